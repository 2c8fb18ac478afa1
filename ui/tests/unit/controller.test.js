// The controller against a stand-in server: resuming a saved session over the socket, opening the
// first room, sending through the outbox (acknowledged by the stored message, refused by an
// error carrying its ref), and signing out. No DOM: the page, storage, fetch and WebSocket are
// small fakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configure } from '../../js/net/index.js';
import { createStore } from '../../js/state.js';
import { createController } from '../../js/controller/index.js';

function memoryStorage() {
  const data = new Map();
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
  };
}

/** A WebSocket stand-in: records what the client sends; `receive()` plays a server frame. */
class FakeSocket {
  static OPEN = 1;
  static last = null;
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = FakeSocket.OPEN;
    FakeSocket.last = this;
    queueMicrotask(() => this.onopen?.());
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
  receive(event, data, ref) {
    this.onmessage?.({ data: JSON.stringify(ref ? { event, data, ref } : { event, data }) });
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const me = { id: 7, username: 'mia' };
const lobby = { id: 1, name: 'Lobby', is_member: true, is_admin: false, unread_count: 0, last_read_message_id: 0 };

test('a saved session resumes over the socket, sends through the outbox and signs out', async () => {
  globalThis.location = { href: 'http://chat.example/', origin: 'http://chat.example' };
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  globalThis.WebSocket = FakeSocket;
  const requests = [];
  globalThis.fetch = async (url, options) => {
    requests.push(`${options.method} ${url}`);
    const body = url.includes('/messages') ? { messages: [], has_more: false, changes_rev: 0 } : url.includes('/members') ? { members: [] } : url.includes('/api/info') ? { version: '0', max_upload_bytes: 1000 } : null;
    return { ok: true, status: body ? 200 : 204, json: async () => body, headers: { get: () => null } };
  };
  delete globalThis.__TAURI__;
  configure({ baseUrl: '', platform: {} });
  localStorage.setItem('confab.session:same-origin', 'tok-1');

  const screens = [];
  const ui = { showAuth: () => screens.push('auth'), showChat: () => screens.push('chat'), toast: () => {} };
  const store = createStore();
  const env = { document: { visibilityState: 'visible' }, navigator: { languages: ['en'] } };
  const { start, actions } = createController({ store, ui, env });
  await start();
  assert.deepEqual(screens, ['chat']);
  await tick();
  const socket = FakeSocket.last;
  assert.equal(socket.url, 'ws://chat.example/ws');
  assert.deepEqual(socket.sent[0], { event: 'auth', data: { token: 'tok-1' }, ref: 'auth' });

  socket.receive('ready', { user: me, rooms: [lobby] });
  await tick();
  assert.equal(store.state.connection.status, 'online');
  assert.equal(store.state.currentRoomId, 1, 'the first room opens');
  assert.ok(requests.includes('GET /api/rooms/1/messages?limit=50'));

  // Sent at once on the live socket, with its client_msg_id as the ref; the stored copy clears it.
  assert.equal(actions.send(1, '  hello  '), true);
  const sent = socket.sent.find((f) => f.event === 'send_message');
  assert.equal(sent.data.content, 'hello');
  assert.equal(sent.ref, sent.data.client_msg_id);
  assert.equal(store.state.outbox[0].status, 'sending');
  socket.receive('new_message', { message: { id: 5, room_id: 1, user_id: 7, username: 'mia', content: 'hello', message_type: 'text', client_msg_id: sent.data.client_msg_id, created_at: '2026-01-01T00:00:00Z' } });
  assert.deepEqual(store.state.outbox, []);
  assert.deepEqual(store.state.history[1].items.map((m) => m.id), [5]);

  // A refusal answering that ref marks the message failed.
  actions.send(1, 'x'.repeat(10));
  const second = socket.sent.filter((f) => f.event === 'send_message')[1];
  socket.receive('error', { code: 'invalid_content', message: 'no' }, second.ref);
  assert.equal(store.state.outbox[0].status, 'failed');

  await actions.logout();
  assert.deepEqual(screens, ['chat', 'auth']);
  assert.equal(localStorage.getItem('confab.session:same-origin'), null);
  assert.equal(socket.readyState, 3, 'the socket is closed');
});

test('a file picked in the desktop app uploads from disk: no preview of bytes the page lacks, released when stored', async () => {
  globalThis.location = { href: 'http://chat.example/', origin: 'http://chat.example' };
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  globalThis.WebSocket = FakeSocket;
  globalThis.fetch = async (url) => {
    const body = url.includes('/messages') ? { messages: [], has_more: false, changes_rev: 0 } : url.includes('/members') ? { members: [] } : url.includes('/api/info') ? { version: '0', max_upload_bytes: 1000 } : null;
    return { ok: true, status: body ? 200 : 204, json: async () => body, headers: { get: () => null } };
  };
  const previews = [];
  const realCreate = URL.createObjectURL;
  URL.createObjectURL = (blob) => (previews.push(blob), 'blob:x');
  const uploads = [];
  const released = [];
  delete globalThis.__TAURI__;
  configure({
    baseUrl: '',
    platform: {
      uploadPicked: async (request) => {
        uploads.push(request);
        request.onProgress?.({ done: 5, total: 10 });
        return { message: { id: 11, room_id: 1, user_id: 7, username: 'mia', content: '', message_type: 'image', client_msg_id: request.clientMsgId, created_at: '2026-01-01T00:00:00Z' }, created: true };
      },
      releasePicked: (file) => released.push(file.picked),
    },
  });
  localStorage.setItem('confab.session:same-origin', 'tok-1');
  const store = createStore();
  const { start, actions } = createController({
    store,
    ui: { showAuth: () => {}, showChat: () => {}, toast: () => {} },
    env: { document: { visibilityState: 'visible' }, navigator: { languages: ['en'] } },
  });
  await start();
  await tick();
  FakeSocket.last.receive('ready', { user: me, rooms: [lobby] });
  await tick();

  const picked = { picked: 'p1', name: 'cat.png', size: 10, type: 'image/png' };
  assert.equal(await actions.sendFiles(1, [picked], { caption: 'a cat' }), 1);
  await tick();
  assert.deepEqual(previews, [], 'nothing to preview: the bytes stay on disk');
  assert.equal(uploads.length, 1);
  assert.equal(uploads[0].file, picked);
  assert.equal(uploads[0].roomId, 1);
  assert.equal(uploads[0].caption, 'a cat');
  assert.deepEqual(store.state.uploads, [], 'stored: the pending item is gone');
  assert.deepEqual(released, ['p1'], 'the app may forget the file');
  assert.deepEqual(store.state.history[1].items.map((m) => m.id), [11]);
  URL.createObjectURL = realCreate;
  await actions.logout();
});

test('a resync event makes the rooms it names fetch what they missed, and only those', async () => {
  globalThis.location = { href: 'http://chat.example/', origin: 'http://chat.example' };
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  globalThis.WebSocket = FakeSocket;
  const requests = [];
  const stored = { id: 5, room_id: 1, user_id: 8, username: 'max', content: 'hi', message_type: 'text', created_at: '2026-01-01T00:00:00Z' };
  const missed = { ...stored, id: 9, content: 'missed' };
  globalThis.fetch = async (url, options) => {
    requests.push(`${options.method} ${url}`);
    let body = null;
    if (url.includes('/messages?after=5')) body = { messages: [missed], has_more: false, changes_rev: 3 };
    else if (url.includes('/messages')) body = { messages: url.includes('changed_after') ? [] : [stored], has_more: false, changes_rev: 3 };
    else if (url.includes('/members')) body = { members: [] };
    else if (url.includes('/api/info')) body = { version: '0', max_upload_bytes: 1000 };
    return { ok: true, status: body ? 200 : 204, json: async () => body, headers: { get: () => null } };
  };
  delete globalThis.__TAURI__;
  configure({ baseUrl: '', platform: {} });
  localStorage.setItem('confab.session:same-origin', 'tok-1');
  const ui = { showAuth: () => {}, showChat: () => {}, toast: () => {} };
  const store = createStore();
  const env = { document: { visibilityState: 'visible' }, navigator: { languages: ['en'] } };
  const { start, actions } = createController({ store, ui, env });
  await start();
  await tick();
  const socket = FakeSocket.last;
  socket.receive('ready', { user: me, rooms: [lobby] });
  await tick();
  assert.deepEqual(store.state.history[1].items.map((m) => m.id), [5]);

  try {
    const before = requests.length;
    socket.receive('resync', { room_ids: [42] });
    await tick();
    assert.deepEqual(requests.slice(before), [], 'a room not named is left alone');

    socket.receive('resync', { room_ids: [1] });
    for (let i = 0; i < 5; i += 1) await tick();
    const asked = requests.slice(before);
    assert.ok(asked.some((r) => r.startsWith('GET /api/rooms/1/messages?after=5')), asked.join('\n'));
    assert.ok(asked.some((r) => r.includes('/api/rooms/1/messages?changed_after=3')), asked.join('\n'));
    assert.deepEqual(store.state.history[1].items.map((m) => m.id), [5, 9], 'the missed message is shown');
  } finally {
    await actions.logout();
  }
});
