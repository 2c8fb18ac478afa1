// Which messages notify in the browser: the level (all / mentions / none), muted rooms, never
// my own messages, server notices, or the room I am looking at. (The desktop app decides the
// same way in Rust; the web client only reports messages to it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mentions, shouldNotify, isFromOthers, desktopReport, NOTIFY_LEVELS } from '../../js/notifications.js';

const ME = { id: 1, username: 'Mei' };
const msg = (extra = {}) => ({ id: 5, room_id: 3, user_id: 2, username: 'bob', content: 'hello', message_type: 'text', is_deleted: false, ...extra });
const away = { me: ME, isMember: true, visible: false, currentRoomId: 3 };

test('mentions are @name, ignoring case, not part of a longer name', () => {
  assert.equal(mentions('hi @mei, lunch?', 'Mei'), true);
  assert.equal(mentions('@MEI', 'mei'), true);
  assert.equal(mentions('@mei.', 'mei'), false, 'a dot continues a name (mei.li)');
  assert.equal(mentions('ask @meili', 'mei'), false);
  assert.equal(mentions('@meili and @mei!', 'mei'), true, 'a later exact mention counts');
  assert.equal(mentions('mei without at', 'mei'), false);
  assert.equal(mentions('你好 @小明，开会了', '小明'), true);
  assert.equal(mentions('@小明明', '小明'), false);
  assert.equal(mentions('anything', ''), false);
});

test('the levels are offered in order', () => {
  assert.deepEqual(NOTIFY_LEVELS, ['all', 'mentions', 'none']);
});

test('level all: any message from someone else, unless I am looking at its room', () => {
  const prefs = { enabled: true, level: 'all', muted: false };
  assert.equal(shouldNotify(msg(), prefs, away), true);
  assert.equal(shouldNotify(msg(), prefs, { ...away, visible: true }), false, 'reading that room');
  assert.equal(shouldNotify(msg(), prefs, { ...away, visible: true, currentRoomId: 4 }), true, 'another room');
  assert.equal(shouldNotify(msg({ user_id: 1 }), prefs, away), false, 'my own');
  assert.equal(shouldNotify(msg({ user_id: null, message_type: 'system' }), prefs, away), false, 'server notices');
  assert.equal(shouldNotify(msg({ is_deleted: true }), prefs, away), false);
  assert.equal(shouldNotify(msg(), prefs, { ...away, isMember: false }), false, 'rooms I only preview');
});

test('level mentions, level none, muted rooms, and notifications switched off', () => {
  assert.equal(shouldNotify(msg(), { level: 'mentions' }, away), false);
  assert.equal(shouldNotify(msg({ content: '@mei look' }), { level: 'mentions' }, away), true);
  assert.equal(shouldNotify(msg({ content: '@mei look' }), { level: 'none' }, away), false);
  assert.equal(shouldNotify(msg({ content: '@mei look' }), { level: 'all', muted: true }, away), false, 'muted wins over mentions');
  assert.equal(shouldNotify(msg(), { level: 'all', enabled: false }, away), false);
});

test('what the desktop app is told about: anything from someone else', () => {
  assert.equal(isFromOthers(msg(), ME), true);
  assert.equal(isFromOthers(msg({ user_id: 1 }), ME), false);
  assert.equal(isFromOthers(msg({ message_type: 'system', user_id: null }), ME), false);
  assert.equal(isFromOthers(null, ME), false);
});

test('the server’s mentions decide when it sent them; direct messages notify like mentions; do not disturb silences all', () => {
  // The text says @mei, but the server found no member called so in this room.
  assert.equal(shouldNotify(msg({ content: '@mei look', mentions: [], mentions_room: false }), { level: 'mentions' }, away), false);
  assert.equal(shouldNotify(msg({ content: 'look', mentions: [ME.id], mentions_room: false }), { level: 'mentions' }, away), true);
  assert.equal(shouldNotify(msg({ content: '@room look', mentions: [], mentions_room: true }), { level: 'mentions' }, away), true);
  assert.equal(shouldNotify(msg({ content: 'hi', mentions: [] }), { level: 'mentions' }, { ...away, direct: true }), true);
  assert.equal(shouldNotify(msg({ content: 'hi', mentions: [ME.id] }), { level: 'all', dnd: true }, { ...away, direct: true }), false);
});

test('the desktop app is told whether a message mentions me (the server’s word) and is direct; nothing in do not disturb', () => {
  assert.deepEqual(desktopReport(msg({ content: 'look', mentions: [ME.id], mentions_room: false }), { me: ME }), { direct: false, mentions_me: true });
  assert.deepEqual(desktopReport(msg({ content: '@mei look', mentions: [], mentions_room: false }), { me: ME }), { direct: false, mentions_me: false });
  assert.deepEqual(desktopReport(msg({ content: '@room', mentions: [], mentions_room: true }), { me: ME }), { direct: false, mentions_me: true });
  assert.deepEqual(desktopReport(msg({ content: 'lunch?', mentions: [] }), { me: ME, direct: true }), { direct: true, mentions_me: false });
  assert.equal(desktopReport(msg({ content: 'lunch?' }), { me: { ...ME, status: 'dnd' }, direct: true }), null, 'do not disturb');
  assert.equal(desktopReport(msg({ user_id: ME.id }), { me: ME }), null, 'my own');
  assert.equal(desktopReport(msg(), { me: ME, isMember: false }), null, 'not my room');
});
