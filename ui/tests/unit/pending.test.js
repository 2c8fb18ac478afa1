// Pending items by client_msg_id: the one structure under the outbox and the uploads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPending, updatePending, removePending, acknowledgePending, withoutRoom } from '../../js/pending.js';

const items = [
  { clientMsgId: 'a', roomId: 1, status: 'queued' },
  { clientMsgId: 'b', roomId: 2, status: 'queued' },
];

test('an update changes only its item, and a change to nothing keeps the list as is', () => {
  const next = updatePending(items, 'b', () => ({ status: 'failed' }));
  assert.deepEqual(next.map((i) => i.status), ['queued', 'failed']);
  assert.equal(next[0], items[0]);
  assert.equal(findPending(next, 'b').status, 'failed');
  assert.equal(updatePending(items, 'b', () => ({ status: 'queued' })), items);
  assert.equal(updatePending(items, 'unknown', () => ({ status: 'failed' })), items);
});

test('stored messages remove only my own items, and a room’s items go with the room', () => {
  const stored = [
    { id: 10, user_id: 5, client_msg_id: 'a' },
    { id: 11, user_id: 6, client_msg_id: 'b' }, // someone else, same id by chance
  ];
  assert.deepEqual(acknowledgePending(items, stored, 5).map((i) => i.clientMsgId), ['b']);
  assert.deepEqual(removePending(items, 'b').map((i) => i.clientMsgId), ['a']);
  assert.equal(removePending(items, 'unknown'), items);
  assert.deepEqual(withoutRoom(items, 1).map((i) => i.clientMsgId), ['b']);
  assert.equal(withoutRoom(items, 3), items);
});
