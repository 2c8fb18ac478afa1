// The network module's pure parts: reconnect backoff and where requests go (the seam the
// desktop app uses to point the client at a server chosen at run time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, configure, apiUrl, socketUrl, ApiError } from '../../js/net/index.js';

test('reconnect backoff doubles from 0.5 s to a 30 s cap, with jitter', () => {
  const low = (attempt) => backoffDelay(attempt, { random: () => 0 });
  const high = (attempt) => backoffDelay(attempt, { random: () => 1 });
  assert.deepEqual([1, 2, 3, 4].map(high), [500, 1000, 2000, 4000]);
  assert.deepEqual([1, 2, 3].map(low), [250, 500, 1000]);
  assert.equal(high(20), 30_000);
  assert.equal(low(20), 15_000);
});

test('with no server configured, requests go to the page’s own origin', () => {
  globalThis.location = { href: 'https://chat.example.com/index.html' };
  configure({ baseUrl: '' });
  assert.equal(apiUrl('/api/rooms'), '/api/rooms');
  assert.equal(socketUrl(), 'wss://chat.example.com/ws');
  globalThis.location = { href: 'http://192.168.1.20:8080/' };
  assert.equal(socketUrl(), 'ws://192.168.1.20:8080/ws');
});

test('a configured server (the desktop app) is used for REST and the socket', () => {
  configure({ baseUrl: 'http://10.0.0.5:8080/' });
  assert.equal(apiUrl('/api/rooms'), 'http://10.0.0.5:8080/api/rooms');
  assert.equal(socketUrl(), 'ws://10.0.0.5:8080/ws');
  configure({ baseUrl: 'https://confab.example.org' });
  assert.equal(socketUrl(), 'wss://confab.example.org/ws');
  configure({ baseUrl: '' });
});

test('errors carry the server’s code, field and wait time', () => {
  const error = new ApiError(429, { code: 'too_many_attempts', message: 'slow down', retry_after: 120 });
  assert.equal(error.status, 429);
  assert.equal(error.code, 'too_many_attempts');
  assert.equal(error.retryAfter, 120);
  assert.equal(error.field, null);
  assert.ok(error instanceof Error);
});

// ---------------------------------------------------------------------------------------------
// Platforms, sessions and uploads

import { capabilities, platformName, saveSession, loadSession, clearSession, sessionRemembered, desktop, notify, setUnreadCount, openExternal, savePlatformSettings, uploadFile, fetchFile, pickImage } from '../../js/net/index.js';

function memoryStorage() {
  const data = new Map();
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
    keys: () => [...data.keys()],
  };
}

/** A stand-in for Tauri's global API that records calls and answers from `answers`. */
function fakeTauri(answers = {}) {
  const calls = [];
  const listeners = {};
  globalThis.__TAURI__ = {
    core: {
      invoke: async (name, args) => {
        calls.push([name, args]);
        const answer = answers[name];
        if (answer instanceof Error) throw answer;
        if (answer && typeof answer === 'object' && answer.reject) throw answer.reject;
        return typeof answer === 'function' ? answer(args) : answer ?? null;
      },
    },
    event: {
      listen: async (name, fn) => {
        listeners[name] = fn;
        return () => {};
      },
    },
  };
  return { calls, listeners };
}

function usePlatform() {
  configure({ platform: {} }); // detect again
}

test('in a browser: browser capabilities and storage as before', () => {
  delete globalThis.__TAURI__;
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  usePlatform();
  configure({ baseUrl: '' });
  globalThis.location = { href: 'http://192.168.1.20:8080/', origin: 'http://192.168.1.20:8080' };
  assert.equal(platformName(), 'browser');
  assert.equal(capabilities().serverChoice, false);
  assert.equal(openExternal('https://example.com'), false, 'links open by themselves');
  saveSession('tok-remembered', true);
  assert.equal(localStorage.getItem('confab.session:same-origin'), 'tok-remembered');
  assert.equal(sessionRemembered(), true);
  saveSession('tok-tab', false);
  assert.equal(localStorage.getItem('confab.session:same-origin'), null);
  assert.equal(sessionStorage.getItem('confab.session:same-origin'), 'tok-tab');
  assert.equal(sessionRemembered(), false);
  clearSession();
  assert.equal(loadSession(), null);
});

test('in the desktop app: capabilities, and commands with camelCase arguments', async () => {
  const { calls, listeners } = fakeTauri({
    get_settings: { settings: { mode: 'remote' }, server_url: 'http://10.0.0.5:8080', session_token: 'saved-token', host: { running: false }, notice: null, version: '0.1.0' },
    check_server: { reject: { code: 'unreachable', message: 'nothing there' } },
    pick_image: { id: 'p1', name: 'cat.png', size: 3, content_type: 'image/png' },
    take_picked_image: new Uint8Array([1, 2, 3]).buffer,
  });
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  usePlatform();
  assert.equal(platformName(), 'desktop');
  assert.deepEqual(capabilities(), { serverChoice: true, hostMode: true, nativeNotifications: true, nativeImagePicker: true, persistentSettings: true, quit: true, externalLinks: true });

  const startup = await desktop.startup();
  assert.equal(startup.server_url, 'http://10.0.0.5:8080');
  await assert.rejects(desktop.checkServer('nowhere'), (e) => e instanceof ApiError && e.code === 'unreachable' && e.message === 'nothing there');
  configure({ baseUrl: startup.server_url });
  assert.equal(loadSession(), 'saved-token', 'the session the app kept is resumed');

  const file = await pickImage({ maxBytes: 1024 });
  assert.equal(file.name, 'cat.png');
  assert.equal(file.type, 'image/png');
  assert.equal(file.size, 3);
  assert.deepEqual(calls.find(([n]) => n === 'pick_image')[1], { maxBytes: 1024 });
  assert.deepEqual(calls.find(([n]) => n === 'take_picked_image')[1], { id: 'p1' });

  notify({ title: 'x', body: 'y', message: { server: 'http://10.0.0.5:8080', room_id: 1 } });
  setUnreadCount(12.7);
  assert.equal(openExternal('https://example.com/a'), true);
  await savePlatformSettings({ notify_level: 'none' });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls.filter(([n]) => ['notify', 'set_unread_count', 'plugin:opener|open_url', 'update_settings'].includes(n)), [
    ['notify', { message: { server: 'http://10.0.0.5:8080', room_id: 1 } }],
    ['set_unread_count', { count: 12 }],
    ['plugin:opener|open_url', { url: 'https://example.com/a' }],
    ['update_settings', { patch: { notify_level: 'none' } }],
  ]);
  const seen = [];
  await desktop.listen('open-room', (payload) => seen.push(payload));
  listeners['open-room']({ event: 'open-room', payload: { server: 'http://10.0.0.5:8080', room_id: 4 } });
  assert.deepEqual(seen, [{ server: 'http://10.0.0.5:8080', room_id: 4 }]);
});

test('in the desktop app: remembered sessions go to the app, never to localStorage', async () => {
  const { calls } = fakeTauri({});
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  usePlatform();
  configure({ baseUrl: 'http://127.0.0.1:8080' });
  saveSession('tok-1', true);
  assert.deepEqual(globalThis.localStorage.keys(), []);
  assert.equal(sessionStorage.getItem('confab.session:http://127.0.0.1:8080'), 'tok-1', 'this window keeps it across reloads');
  assert.equal(sessionRemembered(), true);
  saveSession('tok-2', false);
  assert.equal(sessionRemembered(), false);
  clearSession();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls, [
    ['remember_session', { server: 'http://127.0.0.1:8080', token: 'tok-1' }],
    ['forget_session', { server: 'http://127.0.0.1:8080' }],
    ['forget_session', { server: 'http://127.0.0.1:8080' }],
  ]);
  delete globalThis.__TAURI__;
  usePlatform();
  configure({ baseUrl: '' });
});

/** A scripted XMLHttpRequest: answers `status`/`body` after reporting progress. */
function fakeXhr({ status = 201, body = '{}', progress = [0.5, 1], fail = null } = {}) {
  const sent = [];
  globalThis.XMLHttpRequest = class {
    constructor() {
      this.headers = {};
      this.listeners = {};
      this.upload = { addEventListener: (name, fn) => (this.uploadProgress = fn) };
    }
    open(method, url) {
      this.method = method;
      this.url = url;
    }
    setRequestHeader(k, v) {
      this.headers[k] = v;
    }
    getResponseHeader() {
      return null;
    }
    addEventListener(name, fn) {
      this.listeners[name] = fn;
    }
    abort() {
      this.aborted = true;
      queueMicrotask(() => this.listeners.abort?.());
    }
    send(form) {
      sent.push(this);
      this.form = form;
      setTimeout(() => {
        if (this.aborted) return;
        for (const p of progress) this.uploadProgress?.({ lengthComputable: true, loaded: p * 100, total: 100 });
        if (fail) return this.listeners[fail]?.();
        this.status = status;
        this.responseText = body;
        this.listeners.load?.();
      }, 5);
    }
  };
  return sent;
}

test('uploadFile sends multipart with the token, reports progress, and returns the message', async () => {
  delete globalThis.__TAURI__;
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  usePlatform();
  configure({ baseUrl: 'http://10.0.0.5:8080' });
  saveSession('tok', false);
  const sent = fakeXhr({ status: 201, body: JSON.stringify({ message: { id: 9, client_msg_id: 'c-1' } }) });
  const progress = [];
  const file = new File([new Uint8Array([1, 2])], 'a.png', { type: 'image/png' });
  const answer = await uploadFile(3, file, { caption: 'hi', clientMsgId: 'c-1', onProgress: (f) => progress.push(f) });
  assert.deepEqual(answer, { message: { id: 9, client_msg_id: 'c-1' }, created: true });
  assert.equal(sent[0].method, 'POST');
  assert.equal(sent[0].url, 'http://10.0.0.5:8080/api/rooms/3/uploads');
  assert.equal(sent[0].headers.Authorization, 'Bearer tok');
  assert.equal(sent[0].form.get('caption'), 'hi');
  assert.equal(sent[0].form.get('client_msg_id'), 'c-1');
  assert.equal(sent[0].form.get('file').name, 'a.png');
  assert.deepEqual(progress, [0.5, 1, 1]);

  fakeXhr({ status: 200, body: JSON.stringify({ message: { id: 9 } }) });
  assert.equal((await uploadFile(3, file, { clientMsgId: 'c-1' })).created, false, 'a repeat answers 200 with the stored message');
});

test('uploadFile errors: the server’s code, the network, and cancelling', async () => {
  fakeXhr({ status: 413, body: JSON.stringify({ error: { code: 'payload_too_large', message: 'too big' } }) });
  const file = new File([new Uint8Array([1])], 'big.bin');
  await assert.rejects(uploadFile(1, file), (e) => e.status === 413 && e.code === 'payload_too_large');
  fakeXhr({ status: 413, body: '<html>' });
  await assert.rejects(uploadFile(1, file), (e) => e.code === 'payload_too_large', 'a proxy’s page says the same');
  fakeXhr({ fail: 'error' });
  await assert.rejects(uploadFile(1, file), (e) => e.code === 'network');
  fakeXhr({});
  const controller = new AbortController();
  const running = uploadFile(1, file, { signal: controller.signal });
  controller.abort();
  await assert.rejects(running, (e) => e.code === 'aborted');
  await assert.rejects(uploadFile(1, file, { signal: controller.signal }), (e) => e.code === 'aborted', 'already cancelled');
});

test('fetchFile downloads with the token from the configured server', async () => {
  const requests = [];
  globalThis.fetch = async (url, options) => {
    requests.push([url, options.headers.Authorization]);
    if (url.endsWith('/gone')) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no' } }), { status: 404 });
    return new Response(new Uint8Array([7, 7]));
  };
  const blob = await fetchFile('/api/files/abc/thumbnail');
  assert.equal(blob.size, 2);
  assert.deepEqual(requests[0], ['http://10.0.0.5:8080/api/files/abc/thumbnail', 'Bearer tok']);
  await assert.rejects(fetchFile('/api/files/gone'), (e) => e.status === 404 && e.code === 'not_found');
  configure({ baseUrl: '' });
});

import { auth } from '../../js/net/index.js';

test('sign-ins keep the device token per server and username and send it back', async () => {
  delete globalThis.__TAURI__;
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  usePlatform();
  configure({ baseUrl: '' });
  const sent = [];
  globalThis.fetch = async (url, options) => {
    const body = JSON.parse(options.body);
    sent.push(body);
    return new Response(JSON.stringify({ token: 't', user: {}, device_token: `dev-${body.username}` }), { status: 200 });
  };
  await auth.register('Alice', 'correct-horse-42');
  await auth.login('alice', 'correct-horse-42', false);
  await auth.login('bob', 'correct-horse-42', false);
  assert.equal(sent[1].device_token, 'dev-Alice', 'alice’s browser proves it signed in before');
  assert.equal(sent[2].device_token, undefined, 'no token for a name never used here');
  assert.equal(localStorage.getItem('confab.device:same-origin:bob'), 'dev-bob');
});

test('password errors say which rule the password broke', async () => {
  const { errorText } = await import('../../js/i18n.js');
  const common = errorText({ code: 'invalid_password', message: 'this password is on the list of the 20,000 most common passwords' });
  const name = errorText({ code: 'invalid_password', message: 'the password must not contain the username' });
  const length = errorText({ code: 'invalid_password', message: 'password must be 8 to 128 characters long' });
  assert.match(common, /common|常见/);
  assert.match(name, /username|用户名/);
  assert.match(length, /8–128/);
});

// ---------------------------------------------------------------------------------------------
// Large transfers in the desktop app: streamed by the app, never through the page

import { downloadFile, releaseFile, pickFiles } from '../../js/net/index.js';
import { PickedFile } from '../../js/net/desktop.js';

class FakeChannel {
  constructor() {
    this.onmessage = null;
  }
}

/** The app's side of a transfer: answers after sending `progress` on the page's Channel. */
function transferringTauri({ progress = [], answers = {} } = {}) {
  const { calls } = fakeTauri({
    ...answers,
    download_file: async (args) => {
      for (const p of progress) args.onProgress.onmessage(p);
      const answer = answers.download_file;
      return typeof answer === 'function' ? answer(args) : answer;
    },
    upload_file: async (args) => {
      for (const p of progress) args.onProgress.onmessage(p);
      const answer = answers.upload_file;
      return typeof answer === 'function' ? answer(args) : answer;
    },
  });
  globalThis.__TAURI__.core.Channel = FakeChannel;
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  usePlatform();
  configure({ baseUrl: 'https://10.0.0.5:8443' });
  return calls;
}

test('in the app, an attachment downloads in the app: no bytes reach the page, progress does', async () => {
  let fetched = 0;
  globalThis.fetch = async () => {
    fetched += 1;
    return new Response('no');
  };
  const calls = transferringTauri({
    progress: [{ done: 0, total: 400 }, { done: 200, total: 400 }, { done: 400, total: 400 }],
    answers: { download_file: '/home/ana/Downloads/plan.pdf' },
  });
  saveSession('tok-remembered', true);
  const seen = [];
  const saved = await downloadFile('/api/files/f1', 'plan.pdf', { onProgress: (p) => seen.push(p.done) });
  assert.deepEqual(saved, { path: '/home/ana/Downloads/plan.pdf' });
  assert.deepEqual(seen, [0, 200, 400]);
  assert.equal(fetched, 0, 'the page fetched nothing');
  const [, args] = calls.find(([name]) => name === 'download_file');
  assert.equal(args.server, 'https://10.0.0.5:8443');
  assert.equal(args.url, '/api/files/f1');
  assert.equal(args.name, 'plan.pdf');
  assert.equal(args.token, null, 'the app uses the token it keeps');
  assert.ok(args.transfer && args.onProgress instanceof FakeChannel);

  // A session the app was not asked to keep: the page hands its token over.
  saveSession('tok-tab', false);
  await downloadFile('/api/files/f1', 'plan.pdf');
  assert.equal(calls.filter(([name]) => name === 'download_file')[1][1].token, 'tok-tab');
});

test('in the app, a refused or cancelled download is the server’s error or `aborted`', async () => {
  let release;
  const calls = transferringTauri({
    answers: {
      download_file: (args) =>
        args.url.endsWith('/gone')
          ? Promise.reject({ code: 'not_found', message: 'no such file', status: 404 })
          : new Promise((resolve, reject) => (release = () => reject({ code: 'aborted', message: 'the transfer was cancelled' }))),
      cancel_transfer: () => release(),
    },
  });
  await assert.rejects(downloadFile('/api/files/gone', 'x'), (e) => e instanceof ApiError && e.status === 404 && e.code === 'not_found');
  const controller = new AbortController();
  const running = downloadFile('/api/files/big', 'big.iso', { signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 0));
  controller.abort();
  await assert.rejects(running, (e) => e.code === 'aborted');
  const started = calls.filter(([name]) => name === 'download_file')[1][1].transfer;
  assert.deepEqual(calls.find(([name]) => name === 'cancel_transfer'), ['cancel_transfer', { transfer: started }]);
});

test('in the app, picked files stay on disk and upload from there, with progress and the server’s refusal', async () => {
  const calls = transferringTauri({
    progress: [{ done: 500, total: 1000 }, { done: 1000, total: 1000 }],
    answers: {
      pick_files: [{ id: 'p7', name: 'survey.bin', size: 900, content_type: 'application/octet-stream' }],
      upload_file: (args) =>
        args.picked === 'p-huge'
          ? Promise.reject({ code: 'payload_too_large', message: 'The file is larger than the 10 MB limit.', status: 413 })
          : { status: 201, body: { message: { id: 4, client_msg_id: args.clientMsgId } } },
    },
  });
  saveSession('tok-remembered', true);
  const [file] = await pickFiles();
  assert.ok(file instanceof PickedFile);
  assert.deepEqual({ ...file }, { picked: 'p7', name: 'survey.bin', size: 900, type: 'application/octet-stream' });
  const progress = [];
  const answer = await uploadFile(3, file, { caption: 'raw', clientMsgId: 'c-9', onProgress: (f) => progress.push(f) });
  assert.deepEqual(answer, { message: { id: 4, client_msg_id: 'c-9' }, created: true });
  assert.deepEqual(progress, [0.5, 1, 1]);
  const [, args] = calls.find(([name]) => name === 'upload_file');
  assert.deepEqual(
    { server: args.server, roomId: args.roomId, picked: args.picked, caption: args.caption, clientMsgId: args.clientMsgId, token: args.token },
    { server: 'https://10.0.0.5:8443', roomId: 3, picked: 'p7', caption: 'raw', clientMsgId: 'c-9', token: null },
  );
  const huge = new PickedFile({ id: 'p-huge', name: 'huge.iso', size: 5, content_type: '' });
  await assert.rejects(uploadFile(3, huge), (e) => e.status === 413 && e.code === 'payload_too_large' && /10 MB/.test(e.message));
  releaseFile(file);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls.at(-1), ['release_picked_file', { picked: 'p7' }]);
  delete globalThis.__TAURI__;
  usePlatform();
  configure({ baseUrl: '' });
});

test('in a browser, a download is fetched with the token and handed to the browser', async () => {
  delete globalThis.__TAURI__;
  usePlatform();
  configure({ baseUrl: 'http://10.0.0.5:8080' });
  globalThis.localStorage = memoryStorage();
  globalThis.sessionStorage = memoryStorage();
  saveSession('tok', false);
  const requests = [];
  globalThis.fetch = async (url, options) => {
    requests.push([url, options.headers.Authorization]);
    return new Response(new Uint8Array([1, 2, 3]));
  };
  const handed = [];
  configure({ platform: { saveFile: async (blob, name) => (handed.push([blob.size, name]), { path: null }) } });
  const seen = [];
  assert.deepEqual(await downloadFile('/api/files/f1', 'a.txt', { onProgress: (p) => seen.push(p) }), { path: null });
  assert.deepEqual(requests, [['http://10.0.0.5:8080/api/files/f1', 'Bearer tok']]);
  assert.deepEqual(handed, [[3, 'a.txt']]);
  assert.deepEqual(seen, [{ done: 3, total: 3 }]);
  configure({ platform: {}, baseUrl: '' });
});
