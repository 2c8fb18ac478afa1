// End-to-end test of the desktop app against a Confab server speaking HTTPS with its own
// self-signed identity (`confab-server --tls on` on loopback): the app shows the fingerprint on
// first contact, the person accepts it, signs up and exchanges messages over the pinned
// transport (REST through the confab-api scheme, the socket through the app); then the server's
// identity is replaced and the app shows one blocking warning, sends nothing, and "Disconnect"
// goes back to the choice of server; an invite link with the new fingerprint pins it without a
// question; hosting with LAN access, the window reaches its own HTTPS server the same way,
// pinned without a question. Run by scripts/desktop-e2e after the other tests, with a
// fresh app data folder.

import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebDriver, sleep } from './webdriver.mjs';

const app = process.env.CONFAB_E2E_APP;
const artifacts = process.env.CONFAB_E2E_ARTIFACTS;
const webdriver = process.env.CONFAB_E2E_WEBDRIVER;
const serverBin = process.env.CONFAB_SERVER_BIN;

const step = (what) => console.log(`pinned e2e: ${what}`);
const hex = (fp) => String(fp ?? '').replace(/[^0-9a-f]/gi, '').toUpperCase();

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The test's own client: HTTPS that checks `fingerprint` when given (anything, to learn it). */
function api(port, method, path, { token, body, fingerprint } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        rejectUnauthorized: false,
        // A fresh connection each time: a resumed TLS session does not show the certificate.
        agent: false,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          const json = text ? JSON.parse(text) : null;
          if (res.statusCode >= 300) reject(new Error(`${method} ${path} → ${res.statusCode} ${text}`));
          else resolve(json);
        });
      },
    );
    // The test's client checks the certificate by its fingerprint too, once the handshake is done.
    req.on('socket', (socket) =>
      socket.once('secureConnect', () => {
        const seen = socket.getPeerCertificate()?.fingerprint256;
        if (fingerprint && hex(seen) !== hex(fingerprint)) req.destroy(new Error(`the test's client met another certificate: ${seen}`));
      }),
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function waitUntil(check, what, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting until ${what}${last ? `: ${last.message}` : ''}`);
}

function startServer(port, dataDir) {
  const child = spawn(serverBin, ['--bind', `127.0.0.1:${port}`, '--data-dir', dataDir, '--tls', 'on', '--no-discovery'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.on('data', () => {});
  return child;
}

async function stopServer(child) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function textOfMessages(wd) {
  return wd.execute("return [...document.querySelectorAll('.msg[data-message-id] .msg-text')].map((e) => e.textContent).join('\\n')");
}

/**
 * Round trips from the page: `GET /api/info` and a WebSocket ping → pong, through the app's
 * pinned transport (confab-api scheme, PinnedSocket) to the HTTPS server, and through the
 * webview's own fetch / WebSocket to a plain-HTTP server on the same machine. Prints means.
 */
async function measure(wd, port, token) {
  const plainPort = await freePort();
  const plainDir = mkdtempSync(join(tmpdir(), 'confab-plain-'));
  const plain = spawn(serverBin, ['--bind', `127.0.0.1:${plainPort}`, '--data-dir', plainDir, '--tls', 'off', '--no-discovery'], { stdio: 'ignore' });
  try {
    const base = `http://127.0.0.1:${plainPort}`;
    await waitUntil(() => fetch(`${base}/api/health`).then((r) => r.ok), 'the plain server answers');
    const register = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'timer', password: 'plain-pass-42' }),
    }).then((r) => r.json());
    const figures = await wd.executeAsync(
      `const [port, plainPort, token, plainToken, done] = arguments;
      (async () => {
        const { PinnedSocket } = await import('/js/net/pinned-socket.js');
        const core = window.__TAURI__.core;
        const N = 300;
        // The page's clock is coarse (1 ms steps in WebKit): the mean over N, not each call.
        const rest = async (url) => {
          for (let i = 0; i < 10; i++) await (await fetch(url, { cache: 'no-store' })).text();
          const t = performance.now();
          for (let i = 0; i < N; i++) await (await fetch(url, { cache: 'no-store' })).text();
          return (performance.now() - t) / N;
        };
        const ws = (socket, token) => new Promise((resolve, reject) => {
          const WARM = 10;
          let pongs = 0;
          let t = 0;
          let finished = false;
          const ping = () => socket.send(JSON.stringify({ event: 'ping', data: {} }));
          socket.onopen = () => socket.send(JSON.stringify({ event: 'auth', data: { token }, ref: 'auth' }));
          socket.onmessage = (m) => {
            const frame = JSON.parse(m.data);
            if (frame.event === 'ready') ping();
            else if (frame.event === 'pong') {
              pongs += 1;
              if (pongs === WARM) t = performance.now();
              if (pongs < WARM + N) ping();
              else { finished = true; socket.close(1000, ''); resolve((performance.now() - t) / N); }
            }
          };
          socket.onclose = (c) => { if (!finished) reject(new Error(socket.url + ' closed ' + c.code + ' after ' + pongs)); };
        });
        const pinnedRest = await rest(core.convertFileSrc('127.0.0.1:' + port, 'confab-api') + '/api/info');
        const directRest = await rest('http://127.0.0.1:' + plainPort + '/api/info');
        const pinnedWs = await ws(new PinnedSocket('wss://127.0.0.1:' + port + '/ws', { invoke: (c, a) => core.invoke(c, a), Channel: core.Channel }), token);
        const directWs = await ws(new WebSocket('ws://127.0.0.1:' + plainPort + '/ws'), plainToken);
        return { pinnedRest, directRest, pinnedWs, directWs };
      })().then(done, (e) => done({ error: String(e) }));`,
      [port, plainPort, token, register.token],
    );
    if (figures?.error) throw new Error(`measuring failed: ${figures.error} (${JSON.stringify(register).slice(0, 200)})`);
    const ms = (x) => `${x.toFixed(3)} ms`;
    console.log(`pinned e2e: REST GET /api/info from the window, mean of 300: pinned ${ms(figures.pinnedRest)}, direct ${ms(figures.directRest)}, ratio ${(figures.pinnedRest / figures.directRest).toFixed(2)}`);
    console.log(`pinned e2e: WebSocket ping/pong from the window, mean of 300: pinned ${ms(figures.pinnedWs)}, direct ${ms(figures.directWs)}, ratio ${(figures.pinnedWs / figures.directWs).toFixed(2)}`);
  } finally {
    await stopServer(plain);
    rmSync(plainDir, { recursive: true, force: true });
  }
}

async function main() {
  if (!serverBin) throw new Error('CONFAB_SERVER_BIN is not set');
  // A first run: no settings, no pins, no built-in server from the earlier tests.
  rmSync(join(process.env.XDG_DATA_HOME, 'chat.confab.desktop'), { recursive: true, force: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'confab-pinned-'));
  const port = await freePort();
  const password = 'pinned-pass-42';
  const wd = new WebDriver(webdriver);
  let server = startServer(port, dataDir);
  try {
    const info = await waitUntil(() => api(port, 'GET', '/api/info'), 'the HTTPS server answers');
    const fingerprint = info.tls_fingerprint;
    if (!fingerprint) throw new Error('the server did not report a fingerprint');

    step('first contact shows the server name and its fingerprint to compare');
    await wd.start(app);
    await wd.waitFor('[data-testid=welcome]', { timeout: 60_000 });
    await wd.type('[data-testid=server-url]', `127.0.0.1:${port}`);
    await wd.click('[data-testid=server-connect]');
    await wd.waitFor('[data-testid=trust-new]', { timeout: 30_000 });
    const shown = await wd.text('[data-testid=trust-fingerprint]');
    if (hex(shown) !== hex(fingerprint)) throw new Error(`the prompt shows ${shown}, the server has ${fingerprint}`);
    if (!/^([0-9A-F]{4} ){7}[0-9A-F]{4}$/.test(shown.split('\n')[0].trim())) throw new Error(`not in readable groups: ${shown}`);
    writeFileSync(join(artifacts, 'pinned-first-contact.png'), await wd.screenshot());
    await wd.click('[data-testid=trust-accept]');

    step('sign up, exchange messages, upload and download a file over the pinned transport');
    await wd.click('#tab-register');
    await wd.type('input[name=username]', 'lin');
    await wd.type('input[name=password]', password);
    await wd.type('input[name=confirm]', password);
    await wd.click('#auth-panel button[type=submit]');
    await wd.waitFor('.composer-input', { timeout: 30_000 });
    await wd.waitFor('.conn-dot.online', { timeout: 30_000 });
    await wd.type('.composer-input', 'Hello over pinned TLS');
    await wd.click('.send-btn');
    const ana = await api(port, 'POST', '/api/auth/register', { body: { username: 'ana', password }, fingerprint });
    const { rooms } = await api(port, 'GET', '/api/rooms', { token: ana.token, fingerprint });
    const stored = await waitUntil(async () => {
      for (const room of rooms) {
        const page = await api(port, 'GET', `/api/rooms/${room.id}/messages`, { token: ana.token, fingerprint });
        const found = (page.messages ?? page).find?.((m) => m.content === 'Hello over pinned TLS');
        if (found) return { room, found };
      }
      return null;
    }, "lin's message is stored on the server");
    await api(port, 'POST', `/api/rooms/${stored.room.id}/messages`, { token: ana.token, body: { content: 'Welcome, lin' }, fingerprint });
    await waitUntil(async () => (await textOfMessages(wd)).includes('Welcome, lin'), "ana's reply arrives over the pinned socket");
    // An upload (multipart) and its download go through the scheme too; the webview must live.
    const roundTrip = await wd.executeAsync(
      `const [roomId, done] = arguments;
      (async () => {
        const net = await import('/js/net/index.js');
        const body = 'a file over pinned TLS '.repeat(2000);
        let progress = 0;
        const { message } = await net.uploadFile(roomId, new File([body], 'pinned.txt', { type: 'text/plain' }), { onProgress: (f) => (progress = f) });
        const blob = await net.fetchFile(message.attachment.url);
        // Saved by the app itself, streamed from the pinned connection to ~/Downloads.
        const steps = [];
        const { path } = await net.downloadFile(message.attachment.url, 'pinned.txt', { onProgress: (p) => steps.push(p) });
        return { same: (await blob.text()) === body, name: message.attachment.file_name, progress, path, last: steps.at(-1), size: body.length };
      })().then(done, (e) => done({ error: String(e?.message ?? e) }));`,
      [stored.room.id],
    );
    if (!roundTrip?.same || roundTrip.name !== 'pinned.txt') throw new Error(`upload and download: ${JSON.stringify(roundTrip)}`);
    const savedAt = join(process.env.HOME, 'Downloads', 'pinned.txt');
    if (roundTrip.path !== savedAt || readFileSync(savedAt, 'utf8') !== 'a file over pinned TLS '.repeat(2000)) {
      throw new Error(`the app's download: ${JSON.stringify(roundTrip)}`);
    }
    if (roundTrip.last?.done !== roundTrip.size || roundTrip.last?.total !== roundTrip.size) throw new Error(`download progress: ${JSON.stringify(roundTrip.last)}`);
    const pins = await wd.executeAsync(
      "const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke('pinned_servers').then((p) => done(p), (e) => done(String(e)))",
    );
    if (!Array.isArray(pins) || pins.length !== 1 || hex(pins[0].fingerprint) !== hex(fingerprint) || pins[0].id !== info.id) {
      throw new Error(`pins kept: ${JSON.stringify(pins)}`);
    }

    step('the cost of the pinned transport, measured in the window (figures, not a check)');
    await measure(wd, port, ana.token);

    step("the server's identity is replaced: one blocking warning, nothing sent");
    await stopServer(server);
    rmSync(join(dataDir, 'identity.key'), { force: true });
    rmSync(join(dataDir, 'identity.crt'), { force: true });
    server = startServer(port, dataDir);
    const replaced = await waitUntil(() => api(port, 'GET', '/api/info'), 'the server answers with its new identity');
    if (hex(replaced.tls_fingerprint) === hex(fingerprint)) throw new Error('the identity was not replaced');
    await wd.waitFor('[data-testid=trust-changed]', { timeout: 60_000 });
    const old = await wd.text('[data-testid=trust-old-fingerprint]');
    const now = await wd.text('[data-testid=trust-new-fingerprint]');
    if (hex(old) !== hex(fingerprint) || hex(now) !== hex(replaced.tls_fingerprint)) throw new Error(`old ${old}, new ${now}`);
    const focused = await wd.execute("return document.activeElement?.dataset?.testid || ''");
    if (focused !== 'trust-disconnect') throw new Error(`"Disconnect" is not the default: ${focused}`);
    // The socket keeps retrying meanwhile: still exactly one dialog.
    await sleep(5_000);
    const dialogs = await wd.execute("return document.querySelectorAll('dialog.dialog-trust').length");
    if (dialogs !== 1) throw new Error(`${dialogs} warnings shown`);
    writeFileSync(join(artifacts, 'pinned-changed.png'), await wd.screenshot());
    await wd.click('[data-testid=trust-disconnect]');
    await wd.waitFor('[data-testid=welcome]', { timeout: 30_000 });

    step('an invite link with the new fingerprint pins it without a question');
    const link = `confab://join?host=127.0.0.1&port=${port}&fp=${hex(replaced.tls_fingerprint)}`;
    const second = spawnSync(app, [link], { encoding: 'utf8', timeout: 20_000 });
    if (second.status !== 0) throw new Error(`the second launch failed: ${second.status} ${second.stderr}`);
    await waitUntil(async () => {
      const pins = await wd.executeAsync(
        "const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke('pinned_servers').then((p) => done(p), (e) => done(String(e)))",
      );
      return Array.isArray(pins) && pins.length === 1 && hex(pins[0].fingerprint) === hex(replaced.tls_fingerprint);
    }, 'the invite pinned the new certificate');
    // The same server (same data, new certificate): lin's kept session resumes over it.
    await wd.waitFor('.conn-dot.online', { timeout: 30_000 });
    const asked = await wd.execute("return document.querySelectorAll('dialog.dialog-trust').length");
    if (asked !== 0) throw new Error('the invite link asked a question');
    step('hosting with LAN access: the window reaches its own HTTPS server over the pinned transport');
    const hostPort = await freePort();
    const hosted = await wd.executeAsync(
      "const [port, done] = arguments; window.__TAURI__.core.invoke('update_settings', { patch: { mode: 'host', host_port: port, host_lan: true } }).then((s) => done(s), (e) => done({ error: JSON.stringify(e) }))",
      [hostPort],
    );
    if (hosted?.error || !hosted.host?.running) throw new Error(`hosting failed: ${JSON.stringify(hosted)}`);
    if (!hosted.server_url?.startsWith('https://127.0.0.1:') || !/^([0-9A-F]{4} ){7}[0-9A-F]{4}\n/.test(hosted.host.fingerprint_readable ?? '')) {
      throw new Error(`not HTTPS with a readable fingerprint: ${JSON.stringify(hosted)}`);
    }
    await wd.execute('location.reload()');
    await wd.waitFor('#auth-panel', { timeout: 30_000 });
    await wd.click('#tab-register');
    await wd.type('input[name=username]', 'host-owner');
    await wd.type('input[name=password]', password);
    await wd.type('input[name=confirm]', password);
    await wd.click('#auth-panel button[type=submit]');
    await wd.waitFor('.composer-input', { timeout: 30_000 });
    await wd.waitFor('.conn-dot.online', { timeout: 30_000 });
    const own = await wd.executeAsync(
      "const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke('pinned_servers').then((p) => done(p), (e) => done(String(e)))",
    );
    if (!own.some((pin) => hex(pin.fingerprint) === hex(hosted.host.fingerprint))) throw new Error(`the own server is not pinned: ${JSON.stringify(own)}`);
    if ((await wd.execute("return document.querySelectorAll('dialog.dialog-trust').length")) !== 0) throw new Error('hosting asked about its own certificate');
    step('passed');
  } finally {
    await wd.end().catch(() => {});
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch(async (error) => {
  console.error(`pinned e2e: FAILED: ${error?.stack ?? error}`);
  process.exit(1);
});
