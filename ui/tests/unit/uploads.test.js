// Uploads: the size check before sending, the list of uploads in progress, and how the store
// draws them next to pending messages and drops them once their messages are stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUploadSize, isImageType, addUpload, setProgress, failUpload, retryUpload, removeUpload, acknowledgeUploads } from '../../js/uploads.js';
import { initialState, reduce, historyOf } from '../../js/state.js';
import { buildRows } from '../../js/format.js';

const MB = 1024 * 1024;

test('the size check refuses empty files and files over the server’s limit, before sending', () => {
  assert.deepEqual(checkUploadSize(10, 10 * MB), { ok: true });
  assert.deepEqual(checkUploadSize(10 * MB, 10 * MB), { ok: true }, 'exactly the limit is fine');
  assert.deepEqual(checkUploadSize(10 * MB + 1, 10 * MB), { ok: false, code: 'file_too_large', size: 10 * MB + 1, limit: 10 * MB });
  assert.equal(checkUploadSize(0, 10 * MB).code, 'empty_file');
  assert.equal(checkUploadSize(undefined, 10 * MB).code, 'empty_file');
  // An unknown limit (the server could not be asked) leaves the decision to the server.
  assert.deepEqual(checkUploadSize(5 * 1024 * MB, null), { ok: true });
  assert.deepEqual(checkUploadSize(5 * 1024 * MB, 0), { ok: true });
});

test('image types are the four the server makes thumbnails of', () => {
  for (const type of ['image/png', 'image/jpeg', 'IMAGE/GIF', 'image/webp']) assert.equal(isImageType(type), true, type);
  for (const type of ['image/svg+xml', 'text/html', '', undefined, 'application/pdf']) assert.equal(isImageType(type), false, String(type));
});

test('an upload goes uploading → progress → failed → retried, keeping its client_msg_id', () => {
  let list = addUpload([], { roomId: 1, name: 'a.png', size: 100, type: 'image/png', clientMsgId: 'c-1', now: 5 });
  assert.equal(list[0].status, 'uploading');
  assert.equal(list[0].progress, null);
  list = setProgress(list, 'c-1', 0.5);
  assert.equal(list[0].progress, 0.5);
  assert.equal(setProgress(list, 'c-1', 0.3)[0].progress, 0.5, 'progress never goes back');
  assert.equal(setProgress(list, 'c-1', 7)[0].progress, 1, 'clamped');
  assert.equal(setProgress(list, 'c-1', 0.5), list, 'no change, same array');
  list = failUpload(list, 'c-1', { code: 'network' });
  assert.equal(list[0].status, 'failed');
  assert.deepEqual(list[0].error, { code: 'network' });
  assert.equal(setProgress(list, 'c-1', 0.9)[0].progress, 0.5, 'a failed upload does not move');
  list = retryUpload(list, 'c-1');
  assert.deepEqual([list[0].status, list[0].progress, list[0].error, list[0].clientMsgId], ['uploading', null, null, 'c-1']);
  assert.deepEqual(removeUpload(list, 'c-1'), []);
  assert.equal(removeUpload(list, 'nope'), list);
});

test('a stored message with the upload’s client_msg_id (mine) ends the upload', () => {
  const list = addUpload(addUpload([], { roomId: 1, name: 'a', size: 1, clientMsgId: 'c-1' }), { roomId: 1, name: 'b', size: 1, clientMsgId: 'c-2' });
  assert.deepEqual(acknowledgeUploads(list, [{ id: 9, user_id: 1, client_msg_id: 'c-2' }], 1).map((u) => u.clientMsgId), ['c-1']);
  assert.equal(acknowledgeUploads(list, [{ id: 9, user_id: 2, client_msg_id: 'c-2' }], 1), list, 'someone else’s id is not mine');
});

const ME = { id: 1, username: 'me' };
const room = (id) => ({ id, name: `room${id}`, is_private: false, is_member: true, is_admin: false, unread_count: 0, last_read_message_id: 0, last_message_id: 0, member_count: 2 });

function ready() {
  let s = reduce(initialState(), { type: 'session/start', user: null });
  return reduce(s, { type: 'session/ready', user: ME, rooms: [room(1), room(2)] });
}

test('the store keeps uploads in progress until their message arrives (by socket or answer)', () => {
  let s = ready();
  s = reduce(s, { type: 'upload/add', item: { roomId: 1, name: 'plan.pdf', size: 2048, type: 'application/pdf', clientMsgId: 'c-7', now: 10 } });
  s = reduce(s, { type: 'upload/progress', clientMsgId: 'c-7', fraction: 0.25 });
  assert.equal(s.uploads[0].progress, 0.25);
  const same = reduce(s, { type: 'upload/progress', clientMsgId: 'c-7', fraction: 0.25 });
  assert.equal(same, s, 'an unchanged progress does not wake the views');
  const stored = { id: 40, room_id: 1, user_id: 1, username: 'me', content: '', message_type: 'file', timestamp: '2026-11-21T10:00:00.000Z', edited_at: null, is_deleted: false, client_msg_id: 'c-7', attachment: { id: 'f', file_name: 'plan.pdf', size: 2048 } };
  s = reduce(s, { type: 'message/new', message: stored, visible: true });
  assert.deepEqual(s.uploads, []);
  assert.deepEqual(historyOf(s, 1).items.map((m) => m.id), [40]);
  assert.equal(reduce(s, { type: 'upload/remove', clientMsgId: 'c-7' }), s, 'removing it again changes nothing');
});

test('failed uploads, leaving a room and a new session drop uploads; server facts and mutes stay', () => {
  let s = ready();
  s = reduce(s, { type: 'server/info', info: { version: '0.1.0', retention_days: 7, max_upload_bytes: 10 * MB } });
  s = reduce(s, { type: 'muted/set', rooms: [2] });
  s = reduce(s, { type: 'upload/add', item: { roomId: 1, name: 'a', size: 1, clientMsgId: 'c-1' } });
  s = reduce(s, { type: 'upload/add', item: { roomId: 2, name: 'b', size: 1, clientMsgId: 'c-2' } });
  s = reduce(s, { type: 'upload/failed', clientMsgId: 'c-1', error: { code: 'payload_too_large' } });
  assert.equal(s.uploads[0].status, 'failed');
  s = reduce(s, { type: 'upload/retry', clientMsgId: 'c-1' });
  assert.equal(s.uploads[0].status, 'uploading');
  s = reduce(s, { type: 'member/left', roomId: 2, user: { id: 1, username: 'me' } });
  assert.deepEqual(s.uploads.map((u) => u.clientMsgId), ['c-1']);
  s = reduce(s, { type: 'room/removed', roomId: 1 });
  assert.deepEqual(s.uploads, []);
  s = reduce(s, { type: 'upload/add', item: { roomId: 2, name: 'c', size: 1, clientMsgId: 'c-3' } });
  s = reduce(s, { type: 'session/start', user: null });
  assert.deepEqual(s.uploads, []);
  assert.equal(s.server.retention_days, 7);
  assert.deepEqual(s.muted, { 2: true });
  const unchanged = reduce(s, { type: 'muted/set', rooms: [2] });
  assert.equal(unchanged, s);
});

test('uploads are drawn among pending messages in the order they were started', () => {
  const rows = buildRows([], {
    meId: 1,
    pending: [{ clientMsgId: 'p1', content: 'hi', createdAt: Date.parse('2026-11-21T10:00:00Z') }, { clientMsgId: 'p2', content: 'x', createdAt: Date.parse('2026-11-21T10:00:03Z') }],
    uploads: [{ clientMsgId: 'u1', name: 'a.png', createdAt: Date.parse('2026-11-21T10:00:01Z') }],
  });
  assert.deepEqual(rows.filter((r) => r.kind !== 'day').map((r) => [r.kind, r.key, r.first, r.last]), [
    ['pending', 'p:p1', true, false],
    ['upload', 'u:u1', false, false],
    ['pending', 'p:p2', false, true],
  ]);
});
