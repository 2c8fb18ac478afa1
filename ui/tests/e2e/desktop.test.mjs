// The desktop app's side of the web client, in Chromium with a stand-in for Tauri
// (`window.__TAURI__`, injected before the page loads) that answers like the app's Rust
// commands and records every call, against a real confab-server: first run (connect to a
// server, or host one here with a port already taken), sessions kept by the app instead of
// localStorage, notifications and the unread count handed to the app, links opened by the
// system, settings persisted through update_settings, and the app's events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSuite, openClient, registerViaUi, openRoom, sendMessage, messageBubbles, eventually,
  uniqueName, screenshot, makePng, TIMEOUT,
} from './helpers.mjs';

const { server, browser } = await startSuite();

/**
 * Installs the fake app. Its settings live in localStorage under `fake-tauri` (standing in for
 * the app's settings file), so a new window sees what an earlier one saved. `options.takenPorts`
 * answer port_in_use once each; the built-in server "runs" at `serverUrl` (the real test server).
 */
function fakeTauri(context, { serverUrl, takenPorts = [], lanAddress = '192.168.1.20' }) {
  return context.addInitScript(({ serverUrl, takenPorts, lanAddress }) => {
    const KEY = 'fake-tauri';
    const initial = {
      settings: {
        version: 1, mode: null, server_url: null, recent_servers: ['http://old-server.example:8080'],
        host: { port: 8080, lan: false }, notifications: { level: 'all', muted_rooms: {} },
        language: null, theme: 'system', sessions: {},
      },
      running: false,
      taken: takenPorts,
    };
    const load = () => JSON.parse(localStorage.getItem(KEY) ?? 'null') ?? structuredClone(initial);
    const save = (s) => localStorage.setItem(KEY, JSON.stringify(s));
    const calls = [];
    const listeners = {};
    window.__tauriCalls = calls;
    window.__tauriEmit = (name, payload) => (listeners[name] ?? []).forEach((fn) => fn({ event: name, payload }));
    const norm = (url) => {
      const u = new URL(url.includes('://') ? url : `http://${url}`);
      return `${u.protocol}//${u.host}`;
    };
    const hostStatus = (s) => (s.running
      ? { running: true, port: s.settings.host.port, lan: s.settings.host.lan, local_url: `http://127.0.0.1:${s.settings.host.port}`, lan_urls: s.settings.host.lan ? [`http://${lanAddress}:${s.settings.host.port}`] : [] }
      : { running: false, port: null, lan: false, local_url: null, lan_urls: [] });
    const startup = (s, notice = null) => {
      const url = s.settings.mode === 'remote' ? s.settings.server_url : s.settings.mode === 'host' ? serverUrl : null;
      const settings = { ...s.settings, sessions: {} };
      return { settings, server_url: url, session_token: url ? s.settings.sessions[url] ?? null : null, host: hostStatus(s), notice, version: '0.1.0' };
    };
    const fail = (code, message) => Promise.reject({ code, message });
    const startHost = (s) => {
      const i = s.taken.indexOf(s.settings.host.port);
      if (i >= 0) {
        s.taken.splice(i, 1);
        s.running = false;
        save(s);
        return { code: 'port_in_use', message: `port ${s.settings.host.port} is already in use` };
      }
      s.running = true;
      save(s);
      return null;
    };
    const commands = {
      get_settings: () => startup(load(), sessionStorage.getItem('fake-notice-shown') ? null : (sessionStorage.setItem('fake-notice-shown', '1'), null)),
      check_server: ({ url }) => {
        if (/nowhere/.test(url)) return fail('unreachable', `nothing answered at http://${url}`);
        if (/^ftp:/.test(url)) return fail('wrong_scheme', 'use an http:// or https:// address, not ftp://');
        return { url: norm(url).includes('confab.test') ? serverUrl : norm(url), version: '0.1.0' };
      },
      // Addresses without a scheme are tried over HTTPS first; the servers here speak HTTP.
      probe_server: ({ url }) => fail('unreachable', `nothing answered at ${url}`),
      update_settings: ({ patch }) => {
        const s = load();
        const before = JSON.stringify(s.settings.host);
        const wasHost = s.settings.mode === 'host';
        if (patch.mode) s.settings.mode = patch.mode;
        if (patch.server_url) {
          s.settings.server_url = norm(patch.server_url);
          s.settings.recent_servers = [s.settings.server_url, ...s.settings.recent_servers.filter((u) => u !== s.settings.server_url)];
        }
        if (patch.host_port != null) s.settings.host.port = patch.host_port;
        if (patch.host_lan != null) s.settings.host.lan = patch.host_lan;
        if (patch.notify_level) s.settings.notifications.level = patch.notify_level;
        if (patch.mute) {
          const rooms = (s.settings.notifications.muted_rooms[patch.mute.server] ?? []).filter((r) => r !== patch.mute.room_id);
          if (patch.mute.muted) rooms.push(patch.mute.room_id);
          s.settings.notifications.muted_rooms[patch.mute.server] = rooms;
        }
        if ('language' in patch) s.settings.language = patch.language;
        if (patch.theme) s.settings.theme = patch.theme;
        save(s);
        if (s.settings.mode === 'host' && (!wasHost || before !== JSON.stringify(s.settings.host))) {
          const error = startHost(s);
          if (error) return Promise.reject(error);
        } else if (s.settings.mode !== 'host') {
          s.running = false;
          save(s);
        }
        return startup(s);
      },
      remember_session: ({ server, token }) => {
        const s = load();
        s.settings.sessions[server] = token;
        save(s);
        return null;
      },
      forget_session: ({ server }) => {
        const s = load();
        delete s.settings.sessions[server];
        save(s);
        return null;
      },
      host_start: () => {
        const s = load();
        const error = startHost(s);
        return error ? Promise.reject(error) : hostStatus(s);
      },
      host_stop: () => {
        const s = load();
        s.running = false;
        save(s);
        return hostStatus(s);
      },
      host_status: () => hostStatus(load()),
      // The native picker: the test puts what the person "chose" in window.__fakePick.
      pick_image: () => (window.__fakePick ? { id: 'pick-1', name: window.__fakePick.name, size: window.__fakePick.bytes.length, content_type: 'image/png' } : null),
      take_picked_image: () => new Uint8Array(window.__fakePick.bytes).buffer,
      // The raw bytes are the body and the name travels in a header, as the app expects.
      save_download: (bytes, options) => `/home/me/Downloads/${decodeURIComponent(options.headers['x-file-name'])}`,
      // Files the person chose in the native dialog (window.__fakeFiles: {name, type, text});
      // the app, not the page, sends them and fetches downloads (done here with fetch).
      pick_files: () => (window.__fakeFiles ?? []).map((f, i) => ({ id: `file-${i}`, name: f.name, size: new TextEncoder().encode(f.text).length, content_type: f.type })),
      upload_file: async ({ server, roomId, picked, caption, clientMsgId, token }) => {
        // The app's own token for the server when it keeps one, else the page's.
        token = token || load().settings.sessions[server];
        const chosen = window.__fakeFiles[Number(picked.slice('file-'.length))];
        const form = new FormData();
        if (caption) form.append('caption', caption);
        if (clientMsgId) form.append('client_msg_id', clientMsgId);
        form.append('file', new Blob([chosen.text], { type: chosen.type }), chosen.name);
        const answer = await fetch(`${server}/api/rooms/${roomId}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
        const body = await answer.json();
        if (!answer.ok) throw { ...body.error, status: answer.status };
        return { status: answer.status, body };
      },
      release_picked_file: () => null,
      download_file: async ({ server, url, name, token }) => {
        token = token || load().settings.sessions[server];
        const answer = await fetch(`${server}${url}`, { headers: { authorization: `Bearer ${token}` } });
        window.__fakeDownloads = [...(window.__fakeDownloads ?? []), { name, text: await answer.text() }];
        return `/home/me/Downloads/${name}`;
      },
      notify: () => null,
      set_unread_count: () => null,
      quit: () => null,
      'plugin:opener|open_url': () => null,
    };
    window.__TAURI__ = {
      core: {
        invoke(name, args = {}, options = {}) {
          const recorded = args instanceof Uint8Array ? { bytes: new TextDecoder().decode(args), headers: options.headers } : args;
          calls.push({ name, args: JSON.parse(JSON.stringify(recorded ?? {})) });
          const handler = commands[name];
          if (!handler) return Promise.reject(`unknown command ${name}`);
          try {
            return Promise.resolve(handler(args, options));
          } catch (error) {
            return Promise.reject(error);
          }
        },
      },
      event: {
        listen(name, fn) {
          (listeners[name] ??= []).push(fn);
          return Promise.resolve(() => {});
        },
      },
    };
  }, { serverUrl, takenPorts, lanAddress });
}

const calls = (page, name) => page.evaluate((n) => window.__tauriCalls.filter((c) => c.name === n).map((c) => c.args), name);

async function desktopClient(options = {}) {
  return openClient(browser, server, { ...options, setup: (context) => fakeTauri(context, { serverUrl: server.url, ...options }) });
}

test('first run: connect to a server, with errors in plain words, then sign in; the app keeps the session', async () => {
  const { context, page, errors } = await desktopClient();
  await page.locator('[data-testid="welcome"]').waitFor();
  await screenshot(page, 'desktop-welcome-light-wide');
  assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 0, 'no sign-in before a server is chosen');

  const address = page.locator('[data-testid="server-url"]');
  await address.fill('nowhere.invalid:8080');
  await page.locator('[data-testid="server-connect"]').click();
  const describedBy = async () => (await address.getAttribute('aria-describedby')).split(' ').find((id) => id.endsWith('-error'));
  await eventually(async () => (await address.getAttribute('aria-invalid')) === 'true', { message: 'address marked invalid' });
  assert.equal(await page.locator(`#${await describedBy()}`).textContent(), 'Nothing answered at that address. Check it, and that the server is running and on the same network.');
  await address.fill('ftp://files.example.com');
  await page.locator('[data-testid="server-connect"]').click();
  await page.locator('[data-testid="server-url-error"]', { hasText: 'Server addresses start with http:// or https://' }).waitFor();

  await address.fill('chat.confab.test');
  await page.locator('[data-testid="server-connect"]').click();
  // The sign-in screen says which server this is and can go back to the choice; the server
  // just used is offered as a recent one.
  await page.locator('[data-testid="auth-server"]', { hasText: `Server: ${server.url}` }).waitFor();
  await page.locator('[data-testid="auth-change-server"]').click();
  await page.locator(`[data-testid="recent-server"][data-url="${server.url}"]`).click();
  await page.locator('[data-testid="auth-server"]').waitFor();
  const name = uniqueName('desk');
  await registerViaUi(page, name, 'correct-horse-42', { remember: true });
  assert.deepEqual(await calls(page, 'check_server'), [{ url: 'nowhere.invalid:8080' }, { url: 'ftp://files.example.com' }, { url: 'chat.confab.test' }, { url: server.url }]);
  assert.deepEqual(await calls(page, 'update_settings'), [{ patch: { mode: 'remote', server_url: server.url } }, { patch: { mode: 'remote', server_url: server.url } }]);
  const remembered = await calls(page, 'remember_session');
  assert.equal(remembered.length, 1);
  assert.equal(remembered[0].server, server.url);
  assert.match(remembered[0].token, /^[A-Za-z0-9_-]{43}$/);
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('confab.session')));
  assert.deepEqual(stored, [], 'the token is not in localStorage on the desktop');

  // A new window (a restart) resumes the session the app kept, without signing in.
  const again = await context.newPage();
  await again.goto(`${server.url}/`);
  await again.locator('.conn-dot.online').waitFor();
  assert.equal(await again.locator('.me-name').textContent(), name);
  await again.close();
  assert.deepEqual(errors.map(String), []);
  await context.close();
});

test('first run: host a server here; a taken port is explained beside the field; colleagues get the addresses', async () => {
  const { context, page, errors } = await desktopClient({ takenPorts: [8080] });
  await page.locator('[data-testid="welcome"]').waitFor();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.locator('#welcome-language').selectOption('zh-CN');
  await page.getByRole('heading', { name: '欢迎使用 Confab' }).waitFor();
  await screenshot(page, 'desktop-welcome-dark-narrow-zh');
  await page.locator('#welcome-language').selectOption('en');
  await page.getByRole('heading', { name: 'Welcome to Confab' }).waitFor();
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
  const port = page.locator('[data-testid="host-port"]');
  assert.equal(await port.inputValue(), '8080');
  await page.locator('[data-testid="host-start"]').click();
  await eventually(async () => (await port.getAttribute('aria-invalid')) === 'true', { message: 'port marked invalid' });
  const errorId = (await port.getAttribute('aria-describedby')).split(' ').find((id) => id.endsWith('-error'));
  assert.equal(await page.locator(`#${errorId}`).textContent(), 'That port is already used by another program on this computer — choose another one');
  await port.fill('99999');
  await page.locator('[data-testid="host-start"]').click();
  await page.locator('[data-testid="host-port-error"]', { hasText: 'Ports are numbers from 1 to 65535' }).waitFor();

  await port.fill('8181');
  await page.locator('[data-testid="host-lan"]').check();
  await page.locator('[data-testid="host-start"]').click();
  const hosted = page.locator('[data-testid="welcome-hosted"]');
  await hosted.getByText('Your Confab server is running on port 8181.').waitFor();
  assert.deepEqual(await hosted.locator('.address-url').allTextContents(), ['http://192.168.1.20:8181']);
  await hosted.getByRole('button', { name: 'Copy http://192.168.1.20:8181' }).waitFor();
  await screenshot(page, 'desktop-welcome-hosted-light-wide');
  assert.deepEqual(await calls(page, 'update_settings'), [
    { patch: { language: 'zh-CN' } },
    { patch: { language: 'en' } },
    { patch: { mode: 'host', host_port: 8080, host_lan: false } },
    { patch: { mode: 'host', host_port: 8181, host_lan: true } },
  ]);

  await page.locator('[data-testid="welcome-continue"]').click();
  await registerViaUi(page, uniqueName('host'));

  // Settings: the Server section shows the built-in server, its state and addresses.
  await page.locator('[data-testid="open-settings"]').click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.locator('[data-testid="settings-host-status"]', { hasText: 'Running on port 8181' }).waitFor();
  assert.deepEqual(await dialog.locator('[data-testid="settings-host-addresses"] .address-url').allTextContents(), ['http://192.168.1.20:8181']);
  assert.equal(await dialog.locator('[data-testid="settings-quit"]').count(), 1);
  assert.equal(await dialog.locator('#settings-notify').count(), 0, 'the app asks the OS, not the browser, about notifications');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'desktop-settings-server-dark-wide');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.keyboard.press('Escape');

  // The app says the built-in server failed (e.g. at the next start): a banner offers to fix it.
  await page.evaluate(() => window.__tauriEmit('host-status', { status: { running: false, port: null, lan: false, local_url: null, lan_urls: [] }, error: { code: 'port_in_use', message: 'port 8181 is already in use' } }));
  const banner = page.locator('[data-testid="host-problem"]');
  await banner.getByText("Your built-in server isn't running: That port is already used by another program on this computer — choose another one").waitFor();
  await banner.getByRole('button', { name: 'Change port' }).click();
  const hostDialog = page.getByRole('dialog', { name: 'Built-in server' });
  await hostDialog.locator('[data-testid="dialog-host-port"]').fill('8282');
  await hostDialog.locator('[data-testid="dialog-host-start"]').click();
  await hostDialog.waitFor({ state: 'detached' });
  await banner.waitFor({ state: 'hidden' });
  assert.deepEqual((await calls(page, 'update_settings')).at(-1), { patch: { host_port: 8282, host_lan: true, mode: 'host' } });
  assert.deepEqual(errors.map(String), []);
  await context.close();
});

test('in the app: notifications and the unread count go to the app, links open in the system browser, settings persist', async () => {
  const { context, page, errors } = await desktopClient();
  await page.locator('[data-testid="server-url"]').fill(server.url);
  await page.locator('[data-testid="server-connect"]').click();
  const me = uniqueName('dora');
  await registerViaUi(page, me);
  await openRoom(page, '大厅');

  const other = await openClient(browser, server);
  const otherName = uniqueName('eli');
  await registerViaUi(other.page, otherName);
  await openRoom(other.page, '随便聊聊');
  await sendMessage(other.page, `**Coffee** @${me}? https://example.com/menu`);
  await eventually(async () => (await calls(page, 'notify')).length === 1, { message: 'notify called' });
  const [{ message }] = await calls(page, 'notify');
  const rooms = await page.evaluate(() => [...document.querySelectorAll('.room-item')].map((b) => ({ id: Number(b.dataset.roomId), name: b.querySelector('.room-name').textContent })));
  const casual = rooms.find((r) => r.name === '随便聊聊').id;
  assert.deepEqual(message, {
    server: server.url, room_id: casual, room_name: '随便聊聊', sender: otherName, // The app shows one line of text: without the Markdown marks.
    content: `Coffee @${me}? https://example.com/menu`,
    message_type: 'text', file_name: null, my_username: me, mentions_me: true, direct: false, active_room: rooms.find((r) => r.name === '大厅').id, lang: 'en',
  });
  await eventually(async () => (await calls(page, 'set_unread_count')).some((c) => c.count === 1), { message: 'unread count reported' });

  // A notification was clicked: the app asks to open its room.
  await page.evaluate((roomId) => window.__tauriEmit('open-room', { server: `${location.origin}`, room_id: roomId }), casual);
  await page.locator('.topbar-room-name', { hasText: /^随便聊聊$/ }).waitFor();
  await eventually(async () => (await calls(page, 'set_unread_count')).at(-1)?.count === 0, { message: 'unread count back to 0' });

  // Links are handed to the system instead of opening inside the app.
  const popups = [];
  context.on('page', (p) => popups.push(p));
  await page.locator('.msg-text a', { hasText: 'https://example.com/menu' }).click();
  await eventually(async () => (await calls(page, 'plugin:opener|open_url')).length === 1, { message: 'opener called' });
  assert.deepEqual(await calls(page, 'plugin:opener|open_url'), [{ url: 'https://example.com/menu' }]);
  assert.equal(popups.length, 0);

  // Mute this room, choose "mentions only", switch language: all kept by the app.
  const mute = page.locator('[data-testid="room-mute-toggle"]');
  await mute.click();
  assert.equal(await mute.getAttribute('aria-checked'), 'true');
  await page.getByRole('button', { name: 'Settings' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.locator('[data-testid="notify-level-mentions"]').check();
  await dialog.getByLabel('Theme').selectOption('dark');
  await dialog.getByLabel('Language').selectOption('zh-CN');
  await page.getByPlaceholder('发送消息到 #随便聊聊').waitFor();
  const patches = (await calls(page, 'update_settings')).map((c) => c.patch);
  assert.deepEqual(patches.slice(1), [
    { mute: { server: server.url, room_id: casual, muted: true } },
    { notify_level: 'mentions' },
    { theme: 'dark' },
    { language: 'zh-CN' },
  ]);
  // A new window (a restart) starts with the app's settings; without "remember me" the
  // session was not kept, so it asks to sign in — in Chinese.
  const again = await context.newPage();
  await again.goto(`${server.url}/`);
  await again.getByRole('heading', { name: '欢迎回来' }).waitFor({ timeout: TIMEOUT });
  assert.deepEqual(await calls(page, 'remember_session'), []);
  assert.equal(await again.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await again.close();

  await other.context.close();
  assert.deepEqual(errors.map(String), []);
  await context.close();
});

test('from another origin (as the app’s pages are): sign-in, socket, uploads and pictures work through CORS', async () => {
  // The page comes from localhost, the server is 127.0.0.1: every request is cross-origin, with
  // the Authorization header, as from the app's tauri:// pages. (The server's own CSP only
  // allows its own origin, so it is bypassed here; the app's CSP allows http: and https:.)
  const pageUrl = server.url.replace('127.0.0.1', 'localhost');
  const { context, page, errors } = await desktopClient({ pageUrl: `${pageUrl}/`, bypassCSP: true });
  await page.locator('[data-testid="server-url"]').fill(server.url);
  await page.locator('[data-testid="server-connect"]').click();
  await registerViaUi(page, uniqueName('cors'));
  assert.notEqual(new URL(page.url()).origin, server.url);
  // The image button opens the app's native picker, which hands over the bytes.
  await page.evaluate((bytes) => {
    window.__fakePick = { name: 'cross.png', bytes };
  }, [...makePng(400, 300)]);
  await page.locator('#composer-image').click();
  const thumb = page.locator('.msg[data-message-id] .msg-image[title="cross.png"] img[src^="blob:"]');
  await thumb.waitFor();
  await eventually(async () => (await thumb.evaluate((el) => el.naturalWidth)) === 320, { message: 'thumbnail loaded cross-origin' });
  assert.deepEqual(await calls(page, 'pick_image'), [{ maxBytes: 10 * 1024 * 1024 }], 'the picker is told the server’s limit');
  assert.deepEqual(await calls(page, 'take_picked_image'), [{ id: 'pick-1' }]);
  // Files (any type) come from the app's native dialog and are sent by the app from disk; a
  // download is saved by the app too (streamed to Downloads), which says where. The page only
  // names them.
  await page.evaluate(() => {
    window.__fakeFiles = [{ name: 'agenda 1.md', type: 'text/markdown', text: '# Agenda\n' }];
  });
  await page.locator('#composer-file').click();
  const card = page.locator('.msg[data-message-id] .msg-file', { hasText: 'agenda 1.md' });
  await card.getByRole('button', { name: 'Download agenda 1.md' }).click();
  await page.getByText('Saved to /home/me/Downloads/agenda 1.md').waitFor();
  const [upload] = await calls(page, 'upload_file');
  assert.equal(upload.picked, 'file-0');
  assert.equal(upload.server, server.url);
  const [download] = await calls(page, 'download_file');
  assert.equal(download.server, server.url);
  assert.match(download.url, /^\/api\/files\//);
  assert.equal(download.name, 'agenda 1.md');
  assert.deepEqual(await page.evaluate(() => window.__fakeDownloads), [{ name: 'agenda 1.md', text: '# Agenda\n' }]);
  assert.deepEqual(await calls(page, 'save_download'), [], 'the page never holds the bytes to save');
  assert.deepEqual(errors.map(String), []);
  await context.close();
});

test('in a browser nothing of the app shows: no welcome, no server section, browser notifications', async () => {
  const { context, page, errors } = await openClient(browser, server);
  await registerViaUi(page, uniqueName('web'));
  assert.equal(await page.locator('[data-testid="welcome"]').count(), 0);
  await page.getByRole('button', { name: 'Settings' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.locator('[data-testid="notify-level-all"]').waitFor();
  assert.equal(await dialog.locator('[data-testid="notify-level-all"]').isChecked(), true);
  assert.equal(await dialog.locator('[data-testid="settings-server"]').count(), 0);
  assert.equal(await dialog.locator('[data-testid="settings-quit"]').count(), 0);
  assert.equal(await dialog.locator('#settings-notify').count(), 1);
  await dialog.locator('[data-testid="notify-level-none"]').check();
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('confab.prefs')).notifyLevel), 'none');
  assert.deepEqual(errors.map(String), []);
  await context.close();
});
