// The desktop app's pinned transport as the web client sees it: https servers go through the
// app's `confab-api` scheme and its WebSocket channel, plain http ones and browsers keep the
// webview's own fetch/WebSocket; the socket stand-in behaves like a WebSocket for socket.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configure, apiUrl, createSocket } from '../../js/net/platform.js';
import { onTrustProblem } from '../../js/net/desktop.js';
import { PinnedSocket } from '../../js/net/pinned-socket.js';
import { responseError } from '../../js/net/rest.js';

class FakeChannel {
  constructor() {
    this.onmessage = null;
  }
}

function fakeTauri(answers = {}) {
  const calls = [];
  globalThis.__TAURI__ = {
    core: {
      Channel: FakeChannel,
      convertFileSrc: (path, protocol) => `${protocol}://localhost/${encodeURIComponent(path)}`,
      invoke: async (name, args) => {
        calls.push([name, args]);
        const answer = answers[name];
        if (answer && typeof answer === 'object' && answer.reject) throw answer.reject;
        return typeof answer === 'function' ? answer(args) : answer ?? null;
      },
    },
  };
  configure({ platform: {} });
  return calls;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test('in the app, an https server is reached through the pinned scheme; http and browsers are not', () => {
  fakeTauri();
  configure({ baseUrl: 'https://10.0.0.5:8443' });
  assert.equal(apiUrl('/api/rooms'), 'confab-api://localhost/10.0.0.5%3A8443/api/rooms');
  configure({ baseUrl: 'http://10.0.0.5:8080' });
  assert.equal(apiUrl('/api/rooms'), 'http://10.0.0.5:8080/api/rooms');
  delete globalThis.__TAURI__;
  configure({ platform: {}, baseUrl: 'https://10.0.0.5:8443' });
  assert.equal(apiUrl('/api/rooms'), 'https://10.0.0.5:8443/api/rooms');
});

test('in the app, a wss socket is a PinnedSocket; ws stays the browser’s WebSocket', () => {
  fakeTauri({ ws_open: 7 });
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
    }
  }
  globalThis.WebSocket = FakeWebSocket;
  assert.ok(createSocket('wss://10.0.0.5:8443/ws') instanceof PinnedSocket);
  assert.ok(createSocket('ws://10.0.0.5:8080/ws') instanceof FakeWebSocket);
  delete globalThis.__TAURI__;
  configure({ platform: {} });
  assert.ok(createSocket('wss://10.0.0.5:8443/ws') instanceof FakeWebSocket);
});

test('a pinned socket opens, carries frames in order, and reports its close', async () => {
  const calls = fakeTauri({ ws_open: 7 });
  const socket = createSocket('wss://10.0.0.5:8443/ws');
  const channel = calls[0][1].onEvent;
  assert.equal(calls[0][0], 'ws_open');
  const heard = [];
  socket.onopen = () => heard.push('open');
  socket.onmessage = (m) => heard.push(`message ${m.data}`);
  socket.onclose = (c) => heard.push(`close ${c.code}`);
  assert.throws(() => socket.send('too early'));
  channel.onmessage({ kind: 'open' });
  assert.equal(socket.readyState, PinnedSocket.OPEN);
  socket.send('one');
  socket.send('two');
  channel.onmessage({ kind: 'message', data: '{"event":"ready"}' });
  await tick();
  await tick();
  assert.deepEqual(
    calls.filter(([name]) => name === 'ws_send').map(([, args]) => [args.id, args.text]),
    [[7, 'one'], [7, 'two']],
  );
  channel.onmessage({ kind: 'close', code: 4401, reason: 'signed out' });
  channel.onmessage({ kind: 'close', code: 1000, reason: '' });
  assert.deepEqual(heard, ['open', 'message {"event":"ready"}', 'close 4401']);
  assert.equal(socket.readyState, PinnedSocket.CLOSED);
});

test('a certificate mismatch is reported once per occurrence, from the socket and from REST', async () => {
  const calls = fakeTauri({ ws_open: { reject: { code: 'certificate_mismatch', message: 'another certificate' } } });
  const problems = [];
  onTrustProblem((e) => problems.push(e.code));
  const socket = createSocket('wss://10.0.0.5:8443/ws');
  const closes = [];
  socket.onclose = (c) => closes.push(c.code);
  await tick();
  assert.equal(calls[0][0], 'ws_open');
  assert.deepEqual(closes, [1006]);
  const error = responseError(495, { error: { code: 'certificate_mismatch', message: 'x' } });
  assert.equal(error.code, 'certificate_mismatch');
  assert.deepEqual(problems, ['certificate_mismatch', 'certificate_mismatch']);
  onTrustProblem(null);
});

test('invite links carry the server and its certificate, and only well-formed ones are taken', async () => {
  const { inviteLink, parseJoinLink, readableFingerprint } = await import('../../js/platform-settings.js');
  const fp = 'AB:'.repeat(31) + 'CD';
  const link = inviteLink('https://192.168.1.20:8080/', fp);
  assert.equal(link, `confab://join?host=192.168.1.20&port=8080&fp=${'AB'.repeat(31)}CD`);
  assert.deepEqual(parseJoinLink(link), { url: 'https://192.168.1.20:8080', fingerprint: `${'AB'.repeat(31)}CD` });
  assert.deepEqual(parseJoinLink(inviteLink('https://[fe80::1]:9000/', fp)), { url: 'https://[fe80::1]:9000', fingerprint: `${'AB'.repeat(31)}CD` });
  assert.equal(inviteLink('http://192.168.1.20:8080/', fp), null, 'plain HTTP has nothing to pin');
  assert.equal(inviteLink('https://192.168.1.20:8080/', 'AB:CD'), null);
  for (const bad of [
    'confab://open?room=1',
    'confab://join?host=10.0.0.5&port=8080&fp=ABCD',
    `confab://join?host=evil.example/x&port=8080&fp=${'AB'.repeat(32)}`,
    `confab://join?host=10.0.0.5&port=70000&fp=${'AB'.repeat(32)}`,
    `confab://join?port=8080&fp=${'AB'.repeat(32)}`,
    'not a link',
  ]) {
    assert.equal(parseJoinLink(bad), null, bad);
  }
  assert.equal(readableFingerprint(fp), `${'ABAB '.repeat(7)}ABAB\n${'ABAB '.repeat(7)}ABCD`);
});

test('servers heard on the LAN arrive on a channel, and stopping tells the app', async () => {
  const { desktop } = await import('../../js/net/desktop.js');
  const calls = fakeTauri();
  const heard = [];
  const stop = desktop.watchLan((event) => heard.push(event));
  const channel = calls[0][1].onEvent;
  assert.equal(calls[0][0], 'lan_watch');
  channel.onmessage({ kind: 'found', id: 'a', name: 'Office', url: 'https://10.0.0.5:8080', known: false });
  stop();
  channel.onmessage({ kind: 'gone', id: 'a' });
  await tick();
  assert.deepEqual(heard.map((e) => e.kind), ['found'], 'nothing after stopping');
  assert.equal(calls.at(-1)[0], 'lan_unwatch');
});

test('a subnet scan joins the LAN list once per server, marked as found by scan, and says isolated', async () => {
  const { createDesktop } = await import('../../js/controller/desktop.js');
  const scanned = {
    servers: [
      { id: 'a', name: 'Office', url: 'https://10.0.0.9:8080', known: false, found_by: 'scan' },
      { id: 'b', name: 'Lab', url: 'https://10.0.0.7:8080', known: true, found_by: 'scan' },
    ],
    outcome: 'found',
  };
  const calls = fakeTauri({ lan_scan: () => scanned });
  const { actions } = createDesktop({ ui: {}, state: {} });
  const shown = [];
  const { stop, scan } = actions.watchLan((servers, options) => shown.push({ servers, options }));
  calls[0][1].onEvent.onmessage({ kind: 'found', id: 'a', name: 'Office', url: 'https://10.0.0.5:8080', known: false, found_by: 'mdns' });
  assert.equal(await scan(), 'found');
  const last = shown.at(-1).servers;
  assert.deepEqual(last.map((s) => [s.id, s.url, s.found_by]), [
    ['a', 'https://10.0.0.5:8080', 'mdns'],
    ['b', 'https://10.0.0.7:8080', 'scan'],
  ], 'one entry per id; what announced itself keeps its entry');
  scanned.servers = [];
  scanned.outcome = 'isolated';
  calls[0][1].onEvent.onmessage({ kind: 'gone', id: 'a' });
  assert.equal(await scan(), 'isolated');
  assert.equal(shown.at(-1).options.outcome, 'isolated');
  stop();
  assert.equal(calls.at(-1)[0], 'lan_unwatch');
});

test('uploads through the app are multipart bytes a server parses like a browser’s form', async () => {
  const { multipartBytes } = await import('../../js/net/files.js');
  const file = new File(['一张白板 "photo"\r\n'], '白板 "1".txt', { type: 'text/plain' });
  const { body, type } = await multipartBytes([['caption', 'see this'], ['client_msg_id', 'c-1']], file);
  const form = await new Response(body, { headers: { 'content-type': type } }).formData();
  assert.equal(form.get('caption'), 'see this');
  assert.equal(form.get('client_msg_id'), 'c-1');
  const parsed = form.get('file');
  assert.equal(parsed.name, '白板 "1".txt', 'quotes escaped as browsers do, and read back');
  assert.equal(parsed.type, 'text/plain');
  assert.equal(await parsed.text(), '一张白板 "photo"\r\n');
});
