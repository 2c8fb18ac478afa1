// What each platform can do, and the desktop app's settings mapped to this client's
// preferences and back (the shapes of get_settings and update_settings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BROWSER_CAPABILITIES, DESKTOP_CAPABILITIES, normalizeServer, sameServer, prefsFromDesktop, desktopPatch,
  isMuted, withMuted, startupPlan, lanAddresses, parsePort,
} from '../../js/platform-settings.js';

const settings = (extra = {}) => ({
  version: 1, mode: 'remote', server_url: 'http://192.168.1.20:8080', recent_servers: [], host: { port: 8080, lan: false },
  notifications: { level: 'mentions', muted_rooms: { 'http://192.168.1.20:8080': [4, 9] } }, language: 'zh-CN', theme: 'dark', sessions: {},
  ...extra,
});

test('the browser can do none of the app’s extras; the desktop all of them', () => {
  assert.ok(Object.values(BROWSER_CAPABILITIES).every((v) => v === false));
  assert.ok(Object.values(DESKTOP_CAPABILITIES).every((v) => v === true));
  assert.deepEqual(Object.keys(BROWSER_CAPABILITIES).sort(), Object.keys(DESKTOP_CAPABILITIES).sort());
  assert.ok(Object.isFrozen(DESKTOP_CAPABILITIES));
});

test('server addresses are compared the way the app stores them', () => {
  assert.equal(normalizeServer('HTTP://Chat.Example.com:80/'), 'http://chat.example.com');
  assert.equal(normalizeServer('192.168.1.20:8080'), 'http://192.168.1.20:8080');
  assert.equal(normalizeServer('https://chat.example.com:8443/path'), 'https://chat.example.com:8443');
  assert.equal(normalizeServer(''), '');
  assert.ok(sameServer('http://127.0.0.1:8080/', 'http://127.0.0.1:8080'));
  assert.ok(!sameServer('http://127.0.0.1:8080', 'http://127.0.0.1:8081'));
});

test('the app’s settings become preferences', () => {
  assert.deepEqual(prefsFromDesktop(settings()), {
    language: 'zh-CN', theme: 'dark', notifyLevel: 'mentions', mutedRooms: { 'http://192.168.1.20:8080': [4, 9] },
  });
  assert.deepEqual(prefsFromDesktop(settings({ language: null, theme: 'system', notifications: { level: 'all', muted_rooms: {} } })), {
    language: 'auto', theme: 'system', notifyLevel: 'all', mutedRooms: {},
  });
  // Anything unexpected falls back to the defaults.
  assert.deepEqual(prefsFromDesktop({ language: 'fr', theme: 7, notifications: { level: 'loud', muted_rooms: { x: 'nope' } } }), {
    language: 'auto', theme: 'system', notifyLevel: 'all', mutedRooms: {},
  });
  assert.deepEqual(prefsFromDesktop(null).notifyLevel, 'all');
});

test('preference changes become update_settings patches', () => {
  assert.deepEqual(desktopPatch({ language: 'auto' }), { language: null });
  assert.deepEqual(desktopPatch({ language: 'en' }), { language: 'en' });
  assert.deepEqual(desktopPatch({ theme: 'light' }), { theme: 'light' });
  assert.deepEqual(desktopPatch({ notifyLevel: 'none' }), { notify_level: 'none' });
  assert.deepEqual(desktopPatch({ mute: { server: 'http://127.0.0.1:8080/', roomId: 3, muted: true } }), { mute: { server: 'http://127.0.0.1:8080', room_id: 3, muted: true } });
  assert.equal(desktopPatch({ recentEmoji: ['🎉'] }), null, 'nothing the app keeps');
});

test('muted rooms per server', () => {
  let muted = withMuted({}, 'http://a:1', 5, true);
  muted = withMuted(muted, 'http://a:1/', 2, true);
  assert.deepEqual(muted, { 'http://a:1': [2, 5] });
  assert.ok(isMuted(muted, 'http://a:1', 5));
  assert.ok(!isMuted(muted, 'http://b:1', 5));
  muted = withMuted(muted, 'http://a:1', 5, false);
  muted = withMuted(muted, 'http://a:1', 2, false);
  assert.deepEqual(muted, {}, 'empty lists are dropped');
});

test('what startup shows: the welcome, sign-in, or the saved session', () => {
  assert.deepEqual(startupPlan({ settings: settings({ mode: null }), server_url: null, session_token: null }), { stage: 'welcome', serverUrl: null, token: null });
  assert.deepEqual(startupPlan({ settings: settings(), server_url: 'http://192.168.1.20:8080', session_token: null }), { stage: 'auth', serverUrl: 'http://192.168.1.20:8080', token: null });
  assert.deepEqual(startupPlan({ settings: settings({ mode: 'host' }), server_url: 'http://127.0.0.1:8080', session_token: 'tok' }), { stage: 'chat', serverUrl: 'http://127.0.0.1:8080', token: 'tok' });
  assert.equal(startupPlan(null).stage, 'welcome');
});

test('addresses for colleagues and port fields', () => {
  assert.deepEqual(lanAddresses({ running: true, lan: true, lan_urls: ['http://192.168.1.20:8080', 'http://192.168.1.20:8080', '', 'http://10.0.0.3:8080'] }), ['http://192.168.1.20:8080', 'http://10.0.0.3:8080']);
  assert.deepEqual(lanAddresses(null), []);
  assert.equal(parsePort('8080'), 8080);
  assert.equal(parsePort(' 1 '), 1);
  for (const bad of ['0', '65536', '80a', '', '-1', '8080.5', null]) assert.equal(parsePort(bad), null, String(bad));
});
