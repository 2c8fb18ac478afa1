// End-to-end test of the real desktop app (run by scripts/desktop-e2e, which provides the X
// display, the D-Bus session with a notification service, and tauri-driver):
// first run → host mode (a login item appears) → register (the session token is in the Secret
// Service, not in the settings file; the hosting account is the server's administrator) → send a message → a second client answers over HTTP →
// the reply shows in the window and a notification reaches the notification service with the
// right title and a plain-text body → at the "mentions only" level, a plain message stays quiet
// while `@room` and a direct message notify → the screen saver starting shows the person as
// away to others, and online again when it stops → a message in another room shows on the tray
// icon → a shared file downloads, marked with where it came from → a colleague connects and the
// tray counts them → closing the window hides it to the tray while the server keeps answering →
// "Open Confab" brings it back → a second launch with a confab:// link shows the first window
// and hands it the link → quitting asks first while the colleague is connected ("Keep running"
// keeps it running; "Quit" quits) → start again → signed in (token from the Secret Service) and
// the history is still there → quit from the tray menu → a launch made while the app still
// quits (stopping its server) starts once it has stopped, hosting again. The tray is the app's real
// StatusNotifierItem, read and clicked over D-Bus through
// the test's own tray watcher (tray-watcher.py).

import { spawnSync, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { existsSync, readFileSync, readdirSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WebDriver, sleep } from './webdriver.mjs';

const app = process.env.CONFAB_E2E_APP;
const artifacts = process.env.CONFAB_E2E_ARTIFACTS;
const webdriver = process.env.CONFAB_E2E_WEBDRIVER;
const readmeShot = process.env.CONFAB_E2E_README_SCREENSHOT; // optional: where to copy the window screenshot

const step = (what) => console.log(`desktop e2e: ${what}`);

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

async function api(base, method, path, { token, body } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** The Notify calls dbus-monitor recorded: {summary, body} of each. */
function notifications() {
  const log = readFileSync(join(artifacts, 'notify.log'), 'utf8');
  const calls = log.split(/\n(?=method call )/).filter((c) => c.includes('member=Notify'));
  return calls.map((call) => {
    // Arguments: app_name, replaces_id, app_icon, summary, body, actions, hints, timeout.
    const strings = [...call.matchAll(/^\s*string "((?:[^"\\]|\\.)*)"/gm)].map((m) => m[1]);
    return { app: strings[0], summary: strings[2], body: strings[3], raw: call };
  });
}

/** Waits (at most `ms`, 20 s unless told) until `check()` resolves true. */
async function waitUntil(check, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out: ${what}`);
}

/** The ids of the processes running the app binary at `binary`. */
function appProcesses(binary) {
  const found = spawnSync('pgrep', ['-f', '--', `^${binary}( |$)`], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean);
}

/** Waits (at most 20 s) until no process runs the app binary at `binary`. */
async function waitForExit(binary) {
  await waitUntil(() => appProcesses(binary).length === 0, 'the quit app process has exited');
}

async function waitForNotification(predicate, what) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = notifications().find(predicate);
    if (found) return found;
    await sleep(200);
  }
  throw new Error(`no notification ${what}; recorded: ${JSON.stringify(notifications().map(({ summary, body }) => ({ summary, body })))}`);
}

/** The app's tray icon as last registered with the test's tray watcher: {service, path}. */
function trayItem() {
  const file = join(artifacts, 'tray-items.log');
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return lines.length ? JSON.parse(lines.at(-1)) : null;
}

/** How many times a tray icon has registered with the test's tray watcher. */
function trayRegistrations() {
  const file = join(artifacts, 'tray-items.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** Clicks "Quit Confab" in the menu of tray icon `item` and waits until `base` stops answering. */
async function quitFromTray(item, base) {
  const { menu, entries } = trayMenu(item);
  const quit = entries.find((e) => e.label === 'Quit Confab');
  gdbus(item.service, menu, 'com.canonical.dbusmenu.Event', String(quit.id), 'clicked', '<0>', '0');
  const gone = Date.now() + 20_000;
  while (Date.now() < gone && (await up(base))) await sleep(200);
  if (await up(base)) throw new Error('the built-in server still answers after "Quit Confab" in the tray');
}

/** A colleague's upload that stalls half-way: a request the server waits for when it stops.
 * Resolves once the request is under way. */
async function stalledUpload(base) {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', resolve);
  });
  socket.on('error', () => {}); // cut when the server finally stops: expected
  await new Promise((resolve) =>
    socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{`, resolve),
  );
  await sleep(500); // the server has read the head and waits for the body
  return socket;
}

function gdbus(dest, path, method, ...args) {
  const result = spawnSync('gdbus', ['call', '--session', '--dest', dest, '--object-path', path, '--method', method, '--', ...args], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`gdbus ${method}: ${result.stderr}`);
  return result.stdout;
}

/** The text beside the tray icon (the unread count), '' when there is none. */
function trayLabel(item) {
  const out = gdbus(item.service, item.path, 'org.freedesktop.DBus.Properties.Get', 'org.kde.StatusNotifierItem', 'XAyatanaLabel');
  return /<'([^']*)'>/.exec(out)?.[1] ?? '';
}

/** The tray menu's entries: [{id, label}]. */
function trayMenu(item) {
  const menu = /objectpath '([^']+)'/.exec(
    gdbus(item.service, item.path, 'org.freedesktop.DBus.Properties.Get', 'org.kde.StatusNotifierItem', 'Menu'),
  )[1];
  const layout = gdbus(item.service, menu, 'com.canonical.dbusmenu.GetLayout', '0', '-1', '[]');
  const entries = [...layout.matchAll(/\((\d+), \{[^}]*'label': <'([^']*)'>/g)].map((m) => ({ id: Number(m[1]), label: m[2] }));
  return { menu, entries };
}

async function waitForTray(predicate, what) {
  const deadline = Date.now() + 20_000;
  let last;
  while (Date.now() < deadline) {
    const item = trayItem();
    if (item) {
      try {
        last = predicate(item);
        if (last) return item;
      } catch (error) {
        last = error.message; // registered, but not answering yet
      }
    }
    await sleep(200);
  }
  throw new Error(`tray icon: ${what} (last: ${JSON.stringify(last ?? trayItem())})`);
}

/** Ids of the X windows whose title matches `title` (a regular expression); visible ones only. */
function xWindows(title) {
  const found = spawnSync('xdotool', ['search', '--onlyvisible', '--name', title], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.split('\n').filter(Boolean) : [];
}

async function waitForWindows(title, wanted, what) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const ids = xWindows(title);
    if (wanted(ids)) return ids;
    await sleep(200);
  }
  throw new Error(`windows titled ${title}: ${what} (now ${JSON.stringify(xWindows(title))})`);
}

const up = (base) => fetch(`${base}/api/health`).then((r) => r.ok, () => false);

/** A colleague's live connection: a WebSocket signed in with `token`; resolves once ready. */
function connectColleague(base, token) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/ws`);
    const timer = setTimeout(() => reject(new Error('the colleague never got ready')), 15_000);
    socket.addEventListener('open', () => socket.send(JSON.stringify({ event: 'auth', data: { token } })));
    socket.addEventListener('message', (message) => {
      if (JSON.parse(message.data).event === 'ready') {
        clearTimeout(timer);
        resolve(socket);
      }
    });
    socket.addEventListener('error', () => reject(new Error('the colleague could not connect')));
  });
}

/** Waits for the XDG autostart entry that starts Confab hidden at login; returns its text. */
async function waitForLoginItem() {
  const dir = join(process.env.XDG_CONFIG_HOME, 'autostart');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const entries = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.desktop')) : [];
    for (const entry of entries) {
      const text = readFileSync(join(dir, entry), 'utf8');
      if (/^Exec=.*confab-desktop.* --hidden/m.test(text)) return text;
    }
    await sleep(200);
  }
  throw new Error(`no login item starting Confab with --hidden in ${dir}`);
}

/** The session token the app keeps for `server` in the Secret Service (read as any program would). */
async function waitForSecret(server) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = spawnSync('secret-tool', ['lookup', 'service', 'chat.confab.desktop', 'username', server], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
    await sleep(200);
  }
  throw new Error(`no session token for ${server} in the Secret Service`);
}

async function textOfMessages(wd) {
  return wd.execute(
    "return [...document.querySelectorAll('.msg[data-message-id] .msg-text')].map(e => e.textContent)",
  );
}

async function waitForMessage(wd, text, what) {
  await wd.waitUntil(
    "return [...document.querySelectorAll('.msg[data-message-id] .msg-text')].some(e => e.textContent.includes(arguments[0]))",
    [text],
    { what, timeout: 30_000 },
  );
}

function windowScreenshot(file) {
  // The whole X screen, window decorations and all (no window manager: the window fills it).
  const result = spawnSync('import', ['-window', 'root', file], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('import failed');
}

/** Takes the keyboard focus away from the app, as switching to another program would. */
function focusElsewhere() {
  const other = spawn('xmessage', ['-geometry', '300x100+900+650', 'another program'], { stdio: 'ignore' });
  return other;
}

async function main() {
  const wd = new WebDriver(webdriver);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const password = 'desktop-pass-42';
  let elsewhere;
  let colleague;
  try {
    step('first run shows the welcome screen');
    await wd.start(app);
    await wd.waitFor('[data-testid=welcome]', { timeout: 60_000 });

    step(`host mode on port ${port}`);
    await wd.type('[data-testid=host-port]', String(port));
    const lan = await wd.execute("return document.querySelector('[data-testid=host-lan]').checked");
    if (lan) await wd.click('[data-testid=host-lan]');
    await wd.click('[data-testid=host-start]');
    await wd.waitFor('[data-testid=welcome-hosted]', { timeout: 30_000 });
    const health = await api(base, 'GET', '/api/health');
    if (health.service !== 'confab') throw new Error('the built-in server is not answering');
    // Hosting turns on starting at login (hidden, in the tray) unless the person chose otherwise.
    await waitForLoginItem();
    await wd.click('[data-testid=welcome-continue]');

    step('register');
    await wd.click('#tab-register');
    await wd.type('input[name=username]', 'mei');
    await wd.type('input[name=password]', password);
    await wd.type('input[name=confirm]', password);
    const remembered = await wd.execute("return document.getElementById('remember').checked");
    if (!remembered) await wd.click('#remember');
    await wd.click('#auth-panel button[type=submit]');
    await wd.waitFor('.composer-input', { timeout: 30_000 });
    await wd.waitFor('.conn-dot.online', { timeout: 30_000 });

    step('the session token is in the Secret Service, not in the settings file');
    const token = await waitForSecret(base);
    const settingsFile = join(process.env.XDG_DATA_HOME, 'chat.confab.desktop', 'settings.json');
    if (!existsSync(settingsFile)) throw new Error(`no settings file at ${settingsFile}`);
    if (readFileSync(settingsFile, 'utf8').includes(token)) throw new Error('the session token is in the settings file');

    step('whoever hosts administers: mei is the server administrator');
    await waitUntil(async () => (await api(base, 'GET', '/api/auth/me', { token })).user.is_server_admin === true, 'mei becomes a server administrator');

    step('send a message');
    await wd.type('.composer-input', 'Hello from the desktop app');
    await wd.click('.send-btn');
    await waitForMessage(wd, 'Hello from the desktop app', 'my message is shown');

    step('a second client answers');
    const bob = await api(base, 'POST', '/api/auth/register', { body: { username: 'bob', password } });
    const { rooms } = await api(base, 'GET', '/api/rooms', { token: bob.token });
    const openRoom = await wd.execute("return document.querySelector('.topbar-room-name')?.textContent?.trim()");
    const room = rooms.find((r) => openRoom && openRoom.includes(r.name)) ?? rooms[0];
    // The person switched to another program: the window no longer has the focus.
    elsewhere = focusElsewhere();
    await sleep(500);
    spawnSync('xdotool', ['search', '--sync', '--name', 'xmessage', 'windowfocus', '--sync'], { stdio: 'ignore' });
    const reply = 'Hi mei! <b>not bold</b> & <i>not italic</i>';
    await api(base, 'POST', `/api/rooms/${room.id}/messages`, { token: bob.token, body: { content: reply } });
    await waitForMessage(wd, reply, "bob's reply is shown as literal text");

    step('the notification reached the notification service');
    const shown = await waitForNotification((n) => n.summary === `bob · ${room.name}`, `titled "bob · ${room.name}"`);
    // dunst's packaged configuration reads markup in bodies (it advertises body-markup), so
    // the text must arrive escaped to be shown as the literal characters bob typed.
    const escaped = 'Hi mei! &lt;b&gt;not bold&lt;/b&gt; &amp; &lt;i&gt;not italic&lt;/i&gt;';
    if (shown.body !== escaped) {
      throw new Error(`notification body is not escaped plain text: ${JSON.stringify(shown.body)}`);
    }
    if (shown.app !== 'Confab') throw new Error(`notification app name: ${shown.app}`);

    step('only mentions: a plain message stays quiet, @room and a direct message notify');
    const level = await wd.executeAsync(
      "const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke('update_settings', { patch: { notify_level: 'mentions' } }).then(() => done('ok'), (e) => done(JSON.stringify(e)))",
    );
    if (level !== 'ok') throw new Error(`setting the notification level failed: ${level}`);
    await api(base, 'POST', `/api/rooms/${room.id}/messages`, { token: bob.token, body: { content: 'just chatting, nobody in particular' } });
    // `@room` is a mention only by the server's word (the text never names mei).
    await api(base, 'POST', `/api/rooms/${room.id}/messages`, { token: bob.token, body: { content: '@room standup in five' } });
    await waitForNotification((n) => n.summary === `bob · ${room.name}` && n.body === '@room standup in five', 'for @room');
    const { users } = await api(base, 'GET', '/api/users?q=mei', { token: bob.token });
    const mei = users.find((u) => u.username === 'mei');
    const { room: dm } = await api(base, 'POST', '/api/dms', { token: bob.token, body: { user_ids: [mei.id] } });
    await api(base, 'POST', `/api/rooms/${dm.id}/messages`, { token: bob.token, body: { content: 'Are you free for a call? 📞' } });
    // A direct conversation is named after its people: the title is the sender alone.
    await waitForNotification((n) => n.summary === 'bob' && n.body === 'Are you free for a call? 📞', 'titled "bob" for the direct message');
    const quiet = notifications().filter((n) => n.raw.includes('just chatting'));
    if (quiet.length) throw new Error(`a plain message notified at the mentions level: ${JSON.stringify(quiet.map((n) => n.summary))}`);
    await wd.executeAsync(
      "const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke('update_settings', { patch: { notify_level: 'all' } }).then(() => done('ok'), (e) => done(JSON.stringify(e)))",
    );

    step('the screen saver starting shows mei as away to others, and back online when it stops');
    const screenSaver = (active) => {
      const sent = spawnSync('dbus-send', ['--session', '--type=signal', '/org/freedesktop/ScreenSaver', 'org.freedesktop.ScreenSaver.ActiveChanged', `boolean:${active}`], { stdio: 'inherit' });
      if (sent.status !== 0) throw new Error('dbus-send failed');
    };
    const statusOfMei = async () => (await api(base, 'GET', `/api/users/${mei.id}`, { token: bob.token })).user.status;
    if ((await statusOfMei()) !== 'online') throw new Error(`mei is ${await statusOfMei()} before the screen saver`);
    screenSaver(true);
    await waitUntil(async () => (await statusOfMei()) === 'away', 'mei shows as away');
    screenSaver(false);
    await waitUntil(async () => (await statusOfMei()) === 'online', 'mei is online again');
    elsewhere.kill();
    elsewhere = null;

    step('a message in another room shows on the tray icon');
    // Hosting, and nobody but me (not counted) connected yet.
    const menuWanted = `Hosting on port ${port} · 0 people connected|Open Confab|Quit Confab`;
    const item = await waitForTray((tray) => trayMenu(tray).entries.map((e) => e.label).join('|') === menuWanted, `menu ${menuWanted}`);
    const unreadBefore = Number(trayLabel(item) || 0);
    const otherRoom = rooms.find((r) => r.id !== room.id);
    await api(base, 'POST', `/api/rooms/${otherRoom.id}/messages`, { token: bob.token, body: { content: `over in ${otherRoom.name}` } });
    const unread = String(unreadBefore + 1);
    await waitForTray((tray) => trayLabel(tray) === unread, `shows ${unread} unread`);
    // The window's own title (what task bars and window switchers show) says the same.
    const windowTitle = `^Confab \\(${unread}\\)$`;
    const titled = spawnSync('xdotool', ['search', '--name', windowTitle], { encoding: 'utf8' });
    if (titled.status !== 0) throw new Error(`no window titled ${windowTitle}`);
    console.log(`desktop e2e: tray and window title show ${unread} unread`);

    step('a file bob shares downloads into ~/Downloads');
    const notes = 'Agenda:\n1. ship it\n';
    const form = new FormData();
    form.append('file', new Blob([notes], { type: 'text/plain' }), 'agenda.txt');
    const uploaded = await fetch(`${base}/api/rooms/${room.id}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.token}` },
      body: form,
    });
    if (uploaded.status !== 201) throw new Error(`upload failed: ${uploaded.status}`);
    await wd.click('.attachment-download');
    const saved = join(process.env.HOME, 'Downloads', 'agenda.txt');
    const downloaded = Date.now() + 20_000;
    while (Date.now() < downloaded && !(existsSync(saved) && readFileSync(saved, 'utf8') === notes)) await sleep(200);
    if (!existsSync(saved) || readFileSync(saved, 'utf8') !== notes) {
      throw new Error(`the download did not arrive at ${saved}`);
    }
    // The OS's "downloaded from" mark names the chat server, so file managers warn before running it.
    const mark = spawnSync('python3', ['-c', 'import os, sys; print(os.getxattr(sys.argv[1], "user.xdg.origin.url").decode())', saved], { encoding: 'utf8' });
    if (mark.stdout.trim() !== base) throw new Error(`the download's origin mark is ${JSON.stringify(mark.stdout.trim())} (${mark.stderr.trim()}), not ${base}`);

    step('screenshots');
    await sleep(300);
    writeFileSync(join(artifacts, 'chat-webview.png'), await wd.screenshot());
    windowScreenshot(join(artifacts, 'chat-window.png'));
    if (readmeShot) copyFileSync(join(artifacts, 'chat-window.png'), readmeShot);
    const title = await wd.title();
    console.log(`desktop e2e: window title "${title}"`);

    step('a colleague connects: the tray counts them (not me)');
    colleague = await connectColleague(base, bob.token);
    await waitForTray((tray) => trayMenu(tray).entries[0]?.label === `Hosting on port ${port} · 1 person connected`, 'counts 1 person connected');

    step('closing the window hides it to the tray; the server keeps answering');
    const [mainWindow] = await waitForWindows('^Confab', (ids) => ids.length === 1, 'one app window');
    spawnSync('/usr/bin/python3', ['src-tauri/tests/e2e/close-window.py', mainWindow], { stdio: 'inherit' });
    await waitForWindows('^Confab', (ids) => ids.length === 0, 'hidden after the close button');
    if (!(await up(base))) throw new Error('the built-in server stopped when the window closed');
    await sleep(1000);
    if (!(await up(base))) throw new Error('the built-in server stopped after the window closed');
    const hiddenTray = await waitForTray((tray) => trayMenu(tray).entries.length === 3, 'still in the tray');
    const open = trayMenu(hiddenTray).entries.find((e) => e.label === 'Open Confab');
    gdbus(hiddenTray.service, trayMenu(hiddenTray).menu, 'com.canonical.dbusmenu.Event', String(open.id), 'clicked', '<0>', '0');
    await waitForWindows('^Confab', (ids) => ids.length === 1, 'shown again by "Open Confab"');
    await wd.waitFor('.composer-input', { timeout: 20_000 });

    step('a second launch with a confab:// link focuses the first and hands it the link');
    const [shownAgain] = await waitForWindows('^Confab', (ids) => ids.length === 1, 'one app window');
    spawnSync('/usr/bin/python3', ['src-tauri/tests/e2e/close-window.py', shownAgain], { stdio: 'inherit' });
    await waitForWindows('^Confab', (ids) => ids.length === 0, 'hidden again');
    const link = `confab://join?host=127.0.0.1&port=${port}&fp=e2e-test`;
    const second = spawnSync(app, [link], { encoding: 'utf8', timeout: 20_000 });
    writeFileSync(join(artifacts, 'second-launch.log'), `${second.stdout}\n${second.stderr}`);
    if (second.status !== 0) throw new Error(`the second launch did not hand over and exit: ${second.status} ${second.error ?? ''}`);
    await waitForWindows('^Confab', (ids) => ids.length === 1, 'the first window is shown by the second launch');
    const arrived = await wd.waitUntil('return document.body.dataset.lastLink', [], { what: 'the link reaches the web client', timeout: 20_000 });
    if (arrived !== link) throw new Error(`the web client got ${arrived}, not ${link}`);

    step('quitting while a colleague is connected asks first; "Keep running" keeps it running');
    await wd.execute("document.querySelector('[data-testid=open-settings]').click()");
    await wd.click('[data-testid=settings-quit]');
    const [question] = await waitForWindows('^Quit Confab\\?$', (ids) => ids.length === 1, 'the quit question is shown');
    windowScreenshot(join(artifacts, 'quit-question.png'));
    spawnSync('xdotool', ['windowfocus', '--sync', question], { stdio: 'ignore' });
    spawnSync('xdotool', ['key', 'Escape'], { stdio: 'inherit' });
    await waitForWindows('^Quit Confab\\?$', (ids) => ids.length === 0, 'the question goes away');
    await sleep(500);
    if (!(await up(base))) throw new Error('the server stopped although the person chose to keep running');

    step('quit: confirmed while the colleague is connected');
    // The settings dialog is still open behind the question that went away.
    await wd.click('[data-testid=settings-quit]');
    const [again] = await waitForWindows('^Quit Confab\\?$', (ids) => ids.length === 1, 'the quit question is shown again');
    spawnSync('xdotool', ['windowfocus', '--sync', again], { stdio: 'ignore' });
    // "Quit" is the dialog's Alt+Q (its mnemonic).
    spawnSync('xdotool', ['key', 'alt+q'], { stdio: 'inherit' });
    const database = join(process.env.XDG_DATA_HOME, 'chat.confab.desktop', 'server', 'confab.db');
    const stopped = Date.now() + 20_000;
    while (Date.now() < stopped) {
      const up = await fetch(`${base}/api/health`).then(() => true, () => false);
      if (!up) break;
      await sleep(200);
    }
    if (await fetch(`${base}/api/health`).then(() => true, () => false)) {
      throw new Error('the built-in server still answers after quitting');
    }
    if (!existsSync(database)) throw new Error(`no database at ${database}`);
    // Session tokens and the hosted chat live there: nobody else on the computer may read them.
    const appData = join(process.env.XDG_DATA_HOME, 'chat.confab.desktop');
    const mode = statSync(appData).mode & 0o777;
    if (mode !== 0o700) throw new Error(`${appData} has mode ${mode.toString(8)}, not 700`);
    await wd.end();

    // The window is gone before the process has exited: wait, so this launch is not the one
    // handed to the quitting app (the last step tests that case).
    await waitForExit(app);

    step('start again: host mode, session and history are back');
    await wd.start(app);
    await wd.waitFor('.composer-input', { timeout: 60_000 });
    await waitForMessage(wd, 'Hello from the desktop app', 'my message is still there');
    await waitForMessage(wd, reply, "bob's reply is still there");
    const messages = await textOfMessages(wd);
    console.log(`desktop e2e: after restart the room shows ${messages.length} messages`);
    writeFileSync(join(artifacts, 'after-restart.png'), await wd.screenshot());

    step('quit from the tray menu');
    const restarted = await waitForTray((tray) => trayMenu(tray).entries.length === 3, 'registered again after the restart');
    await quitFromTray(restarted, base);
    await wd.end();
    await waitForExit(app);

    step('a launch made while the app still quits starts once it has stopped');
    // Started as a person starts it (not through WebDriver), hosting as set up above.
    let registered = trayRegistrations();
    spawn(app, [], { stdio: 'ignore', detached: true }).unref();
    await waitUntil(() => up(base), 'the app started from its binary hosts', 60_000);
    const first = await waitForTray((tray) => trayRegistrations() > registered && trayMenu(tray).entries.length === 3, 'the app registers its tray icon');
    const quitting = appProcesses(app);
    // A colleague's request still arriving keeps the app stopping its server for up to 10 s,
    // and so holding the single-instance lock: a launch meanwhile is handed to it.
    const upload = await stalledUpload(base);
    registered = trayRegistrations();
    await quitFromTray(first, base);
    spawn(app, [], { stdio: 'ignore', detached: true }).unref();
    await waitUntil(
      async () => !appProcesses(app).some((pid) => quitting.includes(pid)) && (await up(base)),
      'the quit app has exited and the launch made meanwhile hosts again',
      60_000,
    );
    upload.destroy();
    const relaunched = await waitForTray((tray) => trayRegistrations() > registered && trayMenu(tray).entries.length === 3, 'the relaunched app registers its tray icon');
    await waitForWindows('^Confab', (ids) => ids.length === 1, 'the relaunched app shows its window');
    await quitFromTray(relaunched, base);
    await waitForExit(app);
    step('passed');
  } catch (error) {
    try {
      writeFileSync(join(artifacts, 'failure.png'), await wd.screenshot());
    } catch {
      // no session to photograph
    }
    throw error;
  } finally {
    elsewhere?.kill();
    colleague?.close();
    await wd.end();
  }
}

main().catch((error) => {
  console.error(`desktop e2e failed: ${error.stack ?? error}`);
  process.exit(1);
});
