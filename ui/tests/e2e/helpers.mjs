// Shared e2e machinery: each test file's server and browser (`startSuite`), start/stop/restart a
// real confab-server on a free port with a fresh data dir, launch headless Chromium
// (playwright-core, system chromium), register users through the UI, talk to the REST API
// directly, and wait for conditions instead of sleeping.

import { spawn } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, mkdirSync, rmSync, existsSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const UI_DIR = path.resolve(here, '..', '..');
export const REPO_DIR = path.resolve(UI_DIR, '..');
export const SCREENSHOT_DIR = process.env.CONFAB_SCREENSHOT_DIR || path.join(REPO_DIR, 'test-artifacts', 'screenshots');
export const SERVER_BIN = path.resolve(UI_DIR, process.env.CONFAB_SERVER_BIN || '../target/debug/confab-server');
const CHROMIUM = process.env.CONFAB_CHROMIUM || '/usr/bin/chromium';

/** Default time a condition may take before a test fails. */
export const TIMEOUT = 10_000;

const children = new Set();
function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Records a child pid for the runner, which kills leftovers even if this process dies hard. */
function recordPid(pid) {
  const file = process.env.CONFAB_E2E_PIDFILE;
  if (file) appendFileSync(file, `${pid}\n`);
}

function spawnServer(bind, dataDir, extraArgs = [], profile = 'testing') {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`confab-server not found at ${SERVER_BIN}; build it (cargo build --bin confab-server) or set CONFAB_SERVER_BIN`);
  }
  // Rate limits off: the tests act faster than people do (the limits are tested in server-core).
  const child = spawn(SERVER_BIN, ['--bind', bind, '--data-dir', dataDir, '--profile', profile, '--rate-limits', 'off', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
  });
  children.add(child);
  recordPid(child.pid);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  const url = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`confab-server did not start within 60 s\n${stderr}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/https?:\/\/[^\s/]+:(\d+)\//);
      // The banner ends with "Press Ctrl-C to stop."; a server without an administrator prints
      // its one-time setup link before that.
      if (match && out.includes('Ctrl-C')) {
        clearTimeout(timer);
        const setup = out.match(/https?:\/\/\S+#\/setup\/[A-Za-z0-9_-]+/);
        resolve({ url: match[0].replace(/\/$/, ''), port: Number(match[1]), setupUrl: setup ? setup[0] : null });
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`confab-server exited early (code ${code}, signal ${signal})\n${stderr}`));
    });
  });
  return { child, url, exited, stderr: () => stderr };
}

/**
 * A running confab-server with a fresh data dir (`args`: extra command-line options, e.g.
 * `['--max-upload-mb', '1']`). `stop()` sends SIGTERM and waits; `start()` brings it back on
 * the same port with the same data. `profile` is `testing` (demo accounts, so an administrator
 * exists) unless given: a `production` server starts without one and prints its one-time setup
 * link, kept as `setupUrl` (null when there is none).
 */
export async function startServer({ args = [], profile = 'testing' } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'confab-e2e-'));
  let proc = spawnServer('127.0.0.1:0', dataDir, args, profile);
  const { url, port, setupUrl } = await proc.url;
  const server = {
    url,
    port,
    dataDir,
    setupUrl,
    async stop() {
      if (!proc) return;
      const current = proc;
      proc = null;
      current.child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), 15_000);
      });
      const result = await Promise.race([current.exited, timeout]);
      clearTimeout(timer);
      if (!result) {
        current.child.kill('SIGKILL');
        await current.exited;
      }
    },
    async start() {
      if (proc) return;
      // The port was just released; retry briefly in case the OS still holds it.
      for (let attempt = 0; ; attempt += 1) {
        proc = spawnServer(`127.0.0.1:${port}`, dataDir, args, profile);
        try {
          await proc.url;
          return;
        } catch (error) {
          proc = null;
          if (attempt >= 10) throw error;
          await delay(200);
        }
      }
    },
    async dispose() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * This test file's server (`startServer(options)`) and headless browser, closed again after
 * its last test. Call once at the top level of a test file:
 * `const { server, browser } = await startSuite();`.
 */
export async function startSuite(options = {}) {
  const { after } = await import('node:test');
  const server = await startServer(options);
  let browser = null;
  after(async () => {
    await browser?.close();
    await server.dispose();
  });
  browser = await launchBrowser();
  return { server, browser };
}

/**
 * One browser context per person (`{name, ...openClient options}`), opened in order, then each
 * signed up through the UI in the same order; resolves with the clients.
 */
export async function openPeople(browser, server, people) {
  const clients = [];
  for (const { name, ...options } of people) clients.push(await openClient(browser, server, options));
  for (const [i, { name }] of people.entries()) await registerViaUi(clients[i].page, name);
  return clients;
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Headless Chromium from the system package (never downloaded by Playwright). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/**
 * A fresh browser context (separate storage, like another person's browser) with one page on
 * the server's UI. Options: viewport, colorScheme, locale, `setup(context)` run before the
 * page loads (e.g. to route its WebSocket), `pageUrl` to load the UI from elsewhere,
 * `bypassCSP` (for pages that, like the desktop app's, talk to another origin) and
 * `acceptCertificate` (a person who clicked through the warning of a self-signed server).
 */
export async function openClient(browser, server, { viewport = { width: 1280, height: 800 }, colorScheme = 'light', locale = 'en-US', setup = null, pageUrl = null, bypassCSP = false, acceptCertificate = false } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, locale, reducedMotion: 'reduce', bypassCSP, ignoreHTTPSErrors: acceptCertificate });
  context.setDefaultTimeout(TIMEOUT);
  if (setup) await setup(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/WebSocket|Failed to load resource|ERR_CONNECTION_REFUSED/.test(message.text())) errors.push(new Error(message.text()));
  });
  await page.goto(pageUrl ?? `${server.url}/`);
  return { context, page, errors };
}

let nameSeq = 0;
/** A unique, valid username. */
export function uniqueName(prefix = 'user') {
  nameSeq += 1;
  return `${prefix}${nameSeq}${Math.random().toString(36).slice(2, 6)}`;
}

/** Registers `username` through the sign-up form and waits for the chat screen. */
export async function registerViaUi(page, username, password = 'correct-horse-42', { remember = false } = {}) {
  await page.getByRole('tab', { name: 'Register' }).click();
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  if (remember) await page.getByLabel(/Remember me/).check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForChat(page);
}

/** Signs in through the form and waits for the chat screen. */
export async function loginViaUi(page, username, password, { remember = false } = {}) {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (remember) await page.getByLabel(/Remember me/).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
  await waitForChat(page);
}

/** Waits until the chat screen is connected and showing a room's messages. */
export async function waitForChat(page) {
  await page.locator('.conn-dot.online').waitFor({ timeout: TIMEOUT });
  await page.locator('.messages .room-intro, .messages .message-rows > *').first().waitFor({ timeout: TIMEOUT });
}

/** Clicks room `name` in the room list and waits until it is open. */
export async function openRoom(page, name) {
  const narrow = (page.viewportSize()?.width ?? 1280) <= 600;
  if (narrow && !(await page.locator('.shell.rooms-open').count())) await page.getByRole('button', { name: 'Show rooms' }).click();
  await page.locator('.room-item', { has: page.locator('.room-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) }).click();
  await page.locator('.topbar-room-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }).waitFor({ timeout: TIMEOUT });
  await page.locator('.messages .room-intro, .messages .message-rows > *').first().waitFor({ timeout: TIMEOUT });
}

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Types `text` in the composer and presses Enter. */
export async function sendMessage(page, text) {
  const input = page.locator('.composer-input');
  await input.fill(text);
  await input.press('Enter');
}

/** A locator for stored (not pending) message bubbles whose text is exactly `text`. */
export function messageBubbles(page, text) {
  return page.locator('.msg[data-message-id] .msg-text', { hasText: new RegExp(`^${escapeRegExp(text)}$`) });
}

/**
 * Retries `check` (which throws or returns false while the condition does not hold) until it
 * passes or `timeout` ms elapse; then rethrows the last failure.
 */
export async function eventually(check, { timeout = TIMEOUT, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError = null;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      lastError = new Error(`${message} did not hold`);
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await delay(interval);
  }
}

/** Calls the REST API as `token` (or anonymously); returns {status, body}. */
export async function rest(server, method, pathname, body, token) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${server.url}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Registers a user over REST; returns {token, user}. */
export async function registerViaApi(server, username, password = 'correct-horse-42') {
  const { status, body } = await rest(server, 'POST', '/api/auth/register', { username, password });
  if (status !== 201) throw new Error(`register ${username} failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

/** The id of the room called `name` as `token` sees it. */
export async function roomId(server, token, name) {
  const { body } = await rest(server, 'GET', '/api/rooms', undefined, token);
  const room = body.rooms.find((r) => r.name === name);
  if (!room) throw new Error(`no room ${name}`);
  return room.id;
}

/** Saves a screenshot of `page` as `<name>.png` in the artifacts folder. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // Let style changes (theme, viewport) and fallback fonts (CJK, emoji) reach the screen before
  // capturing. This only affects the picture; no assertion depends on it.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(250);
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.screenshot({ path: file });
  return file;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A real (decodable) RGB PNG of `width` × `height`: a diagonal gradient in `from` → `to`
 * colours with a lighter band, so thumbnails and screenshots show something recognizable.
 */
export function makePng(width, height, { from = [91, 91, 240], to = [217, 70, 239] } = {}) {
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x += 1) {
      const f = (x / width + y / height) / 2;
      const band = Math.abs(y / height - 0.62 + 0.25 * Math.sin((x / width) * Math.PI * 2)) < 0.06 ? 60 : 0;
      for (let c = 0; c < 3; c += 1) row[1 + x * 3 + c] = Math.min(255, Math.round(from[c] + (to[c] - from[c]) * f) + band);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Posts `count` messages to `roomId` as `token`, `parallel` at a time (ids follow completion
 * order, so `label(i)` need not match id order); resolves when all are stored.
 */
export async function seedMessages(server, token, roomId, count, { label = (i) => `Seed ${i}`, parallel = 32 } = {}) {
  let next = 1;
  const worker = async () => {
    while (next <= count) {
      const i = next;
      next += 1;
      for (let attempt = 0; ; attempt += 1) {
        // A kept-alive connection the server has just closed fails the request; the retry
        // carries the same client_msg_id, so the message is still stored once.
        const sent = await rest(server, 'POST', `/api/rooms/${roomId}/messages`, { content: label(i), client_msg_id: `seed-${roomId}-${i}` }, token).catch((error) => ({ status: 0, body: String(error.cause ?? error) }));
        if (sent.status === 201 || sent.status === 200) break;
        if (attempt >= 20) throw new Error(`seeding message ${i} failed: ${sent.status} ${JSON.stringify(sent.body)}`);
        await delay(sent.status === 429 ? 1000 : 50);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
