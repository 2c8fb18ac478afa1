// The state reducer: messages unique and sorted by id, outbox acknowledgement, unread counts,
// re-sync after reconnect, membership changes, presence and typing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, reduce, mergeMessages, historyOf, roomSections, sidebarOrder, roomTitle, statusOf, typingNames, isOnline, createStore, MAX_LOADED } from '../../js/state.js';

const ME = { id: 1, username: 'me', email: null, avatar_url: null };
const room = (id, extra = {}) => ({
  id,
  name: `room${id}`,
  description: '',
  is_private: false,
  member_count: 2,
  is_member: true,
  is_admin: false,
  unread_count: 0,
  last_read_message_id: 0,
  last_message_id: 0,
  ...extra,
});
const msg = (id, extra = {}) => ({
  id,
  room_id: 1,
  user_id: 2,
  username: 'bob',
  content: `m${id}`,
  message_type: 'text',
  timestamp: '2026-11-21T10:00:00.000Z',
  edited_at: null,
  is_deleted: false,
  client_msg_id: null,
  ...extra,
});

function ready(rooms = [room(1), room(2)]) {
  let s = reduce(initialState(), { type: 'session/start', user: null });
  s = reduce(s, { type: 'session/ready', user: ME, rooms });
  return s;
}
const ids = (s, roomId = 1) => historyOf(s, roomId).items.map((m) => m.id);

test('mergeMessages keeps messages unique and sorted, later copies winning', () => {
  const merged = mergeMessages([msg(1), msg(3)], [msg(5), msg(2), msg(3, { content: 'edited' }), msg(5)]);
  assert.deepEqual(merged.map((m) => m.id), [1, 2, 3, 5]);
  assert.equal(merged[2].content, 'edited');
  const appended = mergeMessages([msg(1)], [msg(3), msg(2), msg(2)]);
  assert.deepEqual(appended.map((m) => m.id), [1, 2, 3]);
});

test('the same message from an event, a page and a catch-up shows once', () => {
  let s = ready();
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(1), msg(2)], hasMore: false, direction: 'latest' });
  s = reduce(s, { type: 'message/new', message: msg(3), visible: true });
  s = reduce(s, { type: 'message/new', message: msg(3), visible: true });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(2), msg(3), msg(4)], hasMore: false, direction: 'after' });
  assert.deepEqual(ids(s), [1, 2, 3, 4]);
});

test('older pages prepend and keep has_more from the server', () => {
  let s = ready();
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(51), msg(52)], hasMore: true, direction: 'latest' });
  assert.equal(historyOf(s, 1).hasMore, true);
  s = reduce(s, { type: 'history/loading', roomId: 1, value: true });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(49), msg(50)], hasMore: false, direction: 'before' });
  assert.deepEqual(ids(s), [49, 50, 51, 52]);
  assert.equal(historyOf(s, 1).hasMore, false);
  assert.equal(historyOf(s, 1).loadingOlder, false);
});

test('my stored message replaces its pending copy', () => {
  let s = ready();
  s = reduce(s, { type: 'outbox/add', item: { roomId: 1, content: 'hi', clientMsgId: 'c-1', now: 5 } });
  s = reduce(s, { type: 'outbox/add', item: { roomId: 1, content: 'there', clientMsgId: 'c-2', now: 6 } });
  assert.equal(s.outbox.length, 2);
  s = reduce(s, { type: 'message/new', message: msg(9, { user_id: 1, username: 'me', content: 'hi', client_msg_id: 'c-1' }), visible: true });
  assert.deepEqual(s.outbox.map((i) => i.clientMsgId), ['c-2']);
  assert.deepEqual(ids(s), [9]);
  // A catch-up page can acknowledge too (the reply was lost in a drop).
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(10, { user_id: 1, client_msg_id: 'c-2' })], hasMore: false, direction: 'after' });
  assert.deepEqual(s.outbox, []);
});

test('unread counts grow for others’ new messages in rooms not being read, once each', () => {
  let s = ready([room(1, { last_message_id: 5 }), room(2, { last_message_id: 5 })]);
  s = reduce(s, { type: 'room/open', roomId: 1 });
  s = reduce(s, { type: 'message/new', message: msg(6, { room_id: 2 }), visible: true });
  s = reduce(s, { type: 'message/new', message: msg(6, { room_id: 2 }), visible: true });
  assert.equal(s.rooms[2].unread_count, 1);
  // Mine, system and ones already counted by the server's snapshot do not count.
  s = reduce(s, { type: 'message/new', message: msg(7, { room_id: 2, user_id: 1 }), visible: true });
  s = reduce(s, { type: 'message/new', message: msg(8, { room_id: 2, user_id: null, message_type: 'system' }), visible: true });
  s = reduce(s, { type: 'message/new', message: msg(4, { room_id: 2 }), visible: true });
  assert.equal(s.rooms[2].unread_count, 1);
  // The open, visible room is being read.
  s = reduce(s, { type: 'message/new', message: msg(9, { room_id: 1 }), visible: true });
  assert.equal(s.rooms[1].unread_count, 0);
  // ...unless the tab is hidden: then it counts and gets a "new messages" divider.
  s = reduce(s, { type: 'message/new', message: msg(10, { room_id: 1 }), visible: false });
  assert.equal(s.rooms[1].unread_count, 1);
  assert.equal(s.newAfter[1], 9);
});

test('room_read sets the server’s unread count and never moves the marker back', () => {
  let s = ready([room(1, { unread_count: 4, last_read_message_id: 10 })]);
  s = reduce(s, { type: 'room/read', roomId: 1, lastReadMessageId: 14, unreadCount: 0 });
  assert.equal(s.rooms[1].unread_count, 0);
  assert.equal(s.rooms[1].last_read_message_id, 14);
  s = reduce(s, { type: 'room/read', roomId: 1, lastReadMessageId: 12, unreadCount: 0 });
  assert.equal(s.rooms[1].last_read_message_id, 14);
});

test('opening a room with unread messages remembers where the new ones start', () => {
  let s = ready([room(1, { unread_count: 2, last_read_message_id: 7 }), room(2)]);
  s = reduce(s, { type: 'room/open', roomId: 1 });
  assert.equal(s.newAfter[1], 7);
  s = reduce(s, { type: 'room/open', roomId: 2 });
  assert.equal(s.newAfter[1], undefined);
});

test('a reconnect keeps loaded messages but drops rooms that are gone', () => {
  let s = ready([room(1), room(2, { is_private: true })]);
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(1)], hasMore: false, direction: 'latest' });
  s = reduce(s, { type: 'history/loaded', roomId: 2, messages: [msg(2, { room_id: 2 })], hasMore: false, direction: 'latest' });
  s = reduce(s, { type: 'room/open', roomId: 2 });
  s = reduce(s, { type: 'typing/update', roomId: 1, userId: 2, username: 'bob', isTyping: true, now: 0 });
  s = reduce(s, { type: 'session/ready', user: ME, rooms: [room(1, { unread_count: 3 })] });
  assert.deepEqual(ids(s, 1), [1]);
  assert.equal(s.rooms[1].unread_count, 3);
  assert.equal(s.rooms[2], undefined);
  assert.equal(s.history[2], undefined);
  assert.equal(s.currentRoomId, null);
  assert.deepEqual(typingNames(s, 1), []);
});

test('edits and deletes update messages in place', () => {
  let s = ready();
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(1), msg(2)], hasMore: false, direction: 'latest' });
  s = reduce(s, { type: 'message/updated', message: msg(1, { content: 'better', edited_at: '2026-11-21T10:01:00.000Z' }) });
  s = reduce(s, { type: 'message/deleted', roomId: 1, messageId: 2 });
  const [a, b] = historyOf(s, 1).items;
  assert.equal(a.content, 'better');
  assert.ok(a.edited_at);
  assert.equal(b.is_deleted, true);
  assert.equal(b.content, '');
  assert.equal(reduce(s, { type: 'message/deleted', roomId: 1, messageId: 2 }), s, 'deleting twice changes nothing');
  assert.equal(reduce(s, { type: 'message/updated', message: msg(99) }), s, 'an edit of an unloaded message is ignored');
});

test('edits and deletes made while away replace loaded messages; the revision is the first page’s until caught up', () => {
  let s = ready();
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(1), msg(2), msg(3)], hasMore: false, direction: 'latest', changesRev: 7 });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(4)], hasMore: false, direction: 'after', changesRev: 9 });
  assert.equal(historyOf(s, 1).changesRev, 7, 'later pages do not advance it: live events covered only while connected');
  s = reduce(s, {
    type: 'history/changed',
    roomId: 1,
    messages: [msg(2, { content: 'fixed', edited_at: '2026-11-21T11:00:00.000Z' }), msg(3, { content: '', is_deleted: true }), msg(99, { content: 'not loaded' })],
    changesRev: 12,
  });
  const h = historyOf(s, 1);
  assert.deepEqual(ids(s), [1, 2, 3, 4], 'nothing added, nothing reordered');
  assert.equal(h.items[1].content, 'fixed');
  assert.equal(h.items[2].is_deleted, true);
  assert.equal(h.changesRev, 12);
  s = reduce(s, { type: 'history/reset', roomId: 1 });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(4)], hasMore: true, direction: 'latest', changesRev: 15 });
  assert.equal(historyOf(s, 1).changesRev, 15, 'a reloaded room starts from its new first page');
});

test('messages the retention job removed stop showing, and no older pages are promised', () => {
  let s = ready();
  const at = (day) => `2026-11-${String(day).padStart(2, '0')}T10:00:00.000Z`;
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(1, { timestamp: at(1) }), msg(2, { timestamp: at(9) }), msg(3, { timestamp: at(15) })], hasMore: true, direction: 'latest' });
  s = reduce(s, { type: 'history/loaded', roomId: 2, messages: [msg(4, { room_id: 2, timestamp: at(20) })], hasMore: true, direction: 'latest' });
  const expired = reduce(s, { type: 'history/expired', before: '2026-11-14T02:00:00.000Z' });
  assert.deepEqual(ids(expired), [3]);
  assert.equal(historyOf(expired, 1).hasMore, false);
  assert.deepEqual(ids(expired, 2), [4], 'rooms with nothing expired are untouched');
  assert.equal(historyOf(expired, 2).hasMore, true);
  assert.equal(reduce(expired, { type: 'history/expired', before: '2026-11-14T02:00:00.000Z' }), expired, 'telling again changes nothing');
  assert.equal(reduce(s, { type: 'history/expired', before: 'not a time' }), s);
});

test('leaving: a public room stays joinable, a private room disappears with its outbox', () => {
  let s = ready([room(1), room(2, { is_private: true })]);
  s = reduce(s, { type: 'outbox/add', item: { roomId: 2, content: 'x', clientMsgId: 'c-9', now: 1 } });
  s = reduce(s, { type: 'member/left', roomId: 1, user: { id: 1, username: 'me' } });
  assert.equal(s.rooms[1].is_member, false);
  assert.deepEqual(roomSections(s).discover.map((r) => r.id), [1]);
  s = reduce(s, { type: 'member/left', roomId: 2, user: { id: 1, username: 'me' } });
  assert.equal(s.rooms[2], undefined);
  assert.deepEqual(s.outbox, []);
});

test('a departure reported twice (REST answer and socket event) counts once', () => {
  let s = ready([room(1, { member_count: 5 })]);
  s = reduce(s, { type: 'members/loaded', roomId: 1, members: [{ id: 1, username: 'me' }, { id: 2, username: 'bob' }] });
  s = reduce(s, { type: 'member/left', roomId: 1, user: { id: 2, username: 'bob' } });
  s = reduce(s, { type: 'member/left', roomId: 1, user: { id: 2, username: 'bob' } });
  assert.equal(s.rooms[1].member_count, 4);
  s = reduce(s, { type: 'member/left', roomId: 1, user: { id: 1, username: 'me' } });
  s = reduce(s, { type: 'member/left', roomId: 1, user: { id: 1, username: 'me' } });
  assert.equal(s.rooms[1].member_count, 3);
  assert.equal(s.rooms[1].is_member, false);
});

test('members joining and leaving update the member list and count', () => {
  let s = ready();
  s = reduce(s, { type: 'members/loaded', roomId: 1, members: [{ id: 1, username: 'me', is_online: true, last_seen: null, is_admin: true }] });
  const bob = { id: 2, username: 'bob', is_online: true, last_seen: null, is_admin: false };
  s = reduce(s, { type: 'member/joined', roomId: 1, user: bob });
  s = reduce(s, { type: 'member/joined', roomId: 1, user: bob });
  assert.deepEqual(s.members[1].map((m) => m.username), ['me', 'bob']);
  assert.equal(s.rooms[1].member_count, 3);
  s = reduce(s, { type: 'member/left', roomId: 1, user: { id: 2, username: 'bob' } });
  assert.deepEqual(s.members[1].map((m) => m.username), ['me']);
  assert.equal(s.rooms[1].member_count, 2);
});

test('presence follows single updates, batches and the full online list', () => {
  let s = ready();
  const bob = { id: 2, username: 'bob', is_online: false, last_seen: null };
  assert.equal(isOnline(s, bob), false);
  s = reduce(s, { type: 'presence/update', users: [{ user_id: 2, username: 'bob', is_online: true, last_seen: null }] });
  assert.equal(isOnline(s, bob), true);
  s = reduce(s, { type: 'presence/update', users: [{ user_id: 2, is_online: false, last_seen: 'x' }, { user_id: 3, is_online: true, last_seen: null }] });
  assert.equal(isOnline(s, bob), false);
  assert.equal(s.presence[2].last_seen, 'x');
  // Snapshots never overrule what a live event said (the server writes them a moment later).
  s = reduce(s, { type: 'presence/online', users: [{ id: 2, username: 'bob' }] });
  assert.equal(s.presence[2].is_online, false);
  s = reduce(s, { type: 'members/loaded', roomId: 1, members: [{ id: 3, username: 'carol', is_online: false, last_seen: null }] });
  assert.equal(s.presence[3].is_online, true);
});

test('after a reconnect, snapshots fill presence until live events arrive', () => {
  let s = ready();
  s = reduce(s, { type: 'presence/update', users: [{ user_id: 2, is_online: true, last_seen: null }] });
  s = reduce(s, { type: 'session/ready', user: ME, rooms: [room(1)] });
  s = reduce(s, { type: 'presence/online', users: [{ id: 3, username: 'carol' }] });
  s = reduce(s, { type: 'members/loaded', roomId: 1, members: [{ id: 2, username: 'bob', is_online: false, last_seen: 'y' }, { id: 4, username: 'dan', is_online: true, last_seen: null }] });
  assert.equal(s.presence[2].is_online, false);
  assert.equal(s.presence[3].is_online, true);
  s = reduce(s, { type: 'presence/online', users: [{ id: 2, username: 'bob' }] });
  assert.equal(s.presence[2].is_online, true);
  assert.equal(s.presence[3].is_online, false, 'absent from the online list means offline');
  assert.equal(s.presence[4].is_online, false);
});

test('I am online exactly while my connection is', () => {
  let s = ready();
  s = reduce(s, { type: 'presence/update', users: [{ user_id: 1, is_online: false, last_seen: 'x' }] });
  s = reduce(s, { type: 'connection', status: 'online' });
  assert.equal(isOnline(s, ME), true);
  s = reduce(s, { type: 'connection', status: 'reconnecting', attempt: 1, retryAt: 5 });
  assert.equal(isOnline(s, ME), false);
});

test('typing indicators come from others only and expire', () => {
  let s = ready();
  s = reduce(s, { type: 'typing/update', roomId: 1, userId: 2, username: 'bob', isTyping: true, now: 0 });
  s = reduce(s, { type: 'typing/update', roomId: 1, userId: 3, username: 'carol', isTyping: true, now: 5000 });
  s = reduce(s, { type: 'typing/update', roomId: 1, userId: 1, username: 'me', isTyping: true, now: 0 });
  assert.deepEqual(typingNames(s, 1), ['bob', 'carol']);
  s = reduce(s, { type: 'typing/expire', now: 9000 });
  assert.deepEqual(typingNames(s, 1), ['carol']);
  s = reduce(s, { type: 'message/new', message: msg(1, { user_id: 3, username: 'carol' }), visible: true });
  assert.deepEqual(typingNames(s, 1), [], 'a message from someone ends their typing');
});

test('room_created from others adds a room but never demotes one I am in', () => {
  let s = ready([room(1)]);
  s = reduce(s, { type: 'room/created', room: room(5, { is_member: false }) });
  assert.equal(s.rooms[5].is_member, false);
  s = reduce(s, { type: 'room/created', room: room(1, { is_member: false }) });
  assert.equal(s.rooms[1].is_member, true);
});

test('the store notifies once per batch and only on change', async () => {
  const store = createStore();
  let calls = 0;
  store.subscribe(() => {
    calls += 1;
  });
  store.dispatch({ type: 'session/ready', user: ME, rooms: [room(1)] });
  store.dispatch({ type: 'room/open', roomId: 1 });
  store.dispatch({ type: 'nothing' });
  await Promise.resolve();
  assert.equal(calls, 1);
  assert.equal(store.state.currentRoomId, 1);
});

const page = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));

test('a room keeps a bounded stretch of history: scrolling far back drops the newest, and back down the oldest', () => {
  let s = ready();
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(4951, 5000), hasMore: true, direction: 'latest' });
  for (let before = 4951; before > 1; before -= 100) {
    s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(Math.max(1, before - 100), before - 1), hasMore: before - 100 > 1, direction: 'before' });
    assert.ok(historyOf(s, 1).items.length <= MAX_LOADED);
  }
  let h = historyOf(s, 1);
  assert.equal(h.items[0].id, 1, 'the very first message is loaded');
  assert.equal(h.hasMore, false);
  assert.equal(h.hasNewer, true, 'the newest ones were dropped, to be fetched again');
  assert.deepEqual(ids(s), page(1, MAX_LOADED).map((m) => m.id));

  // Live messages meanwhile are not appended after a gap.
  s = reduce(s, { type: 'message/new', message: msg(5001) });
  assert.equal(historyOf(s, 1).items.at(-1).id, MAX_LOADED);
  assert.equal(s.rooms[1].unread_count, 1, 'but they still count as unread');

  // Scrolling back down: pages after the stretch, the oldest dropped.
  for (let after = MAX_LOADED; historyOf(s, 1).hasNewer; after += 100) {
    s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(after + 1, Math.min(5001, after + 100)), hasMore: after + 100 < 5001, direction: 'after' });
    assert.ok(historyOf(s, 1).items.length <= MAX_LOADED);
  }
  h = historyOf(s, 1);
  assert.equal(h.items.at(-1).id, 5001);
  assert.equal(h.hasMore, true);
  assert.equal(h.hasNewer, false);
});

test('a reader at the bottom of a busy room keeps the newest, one reading back keeps what they read', () => {
  let s = ready();
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(1, MAX_LOADED), hasMore: false, direction: 'latest' });
  s = reduce(s, { type: 'message/new', message: msg(MAX_LOADED + 1) });
  assert.equal(historyOf(s, 1).items[0].id, 2);
  assert.equal(historyOf(s, 1).hasMore, true);
  s = reduce(s, { type: 'history/follow', roomId: 1, value: false });
  s = reduce(s, { type: 'message/new', message: msg(MAX_LOADED + 2) });
  assert.equal(historyOf(s, 1).items[0].id, 2);
  assert.equal(historyOf(s, 1).items.at(-1).id, MAX_LOADED + 1);
  assert.equal(historyOf(s, 1).hasNewer, true);
});

test('a room left while reading far back reopens at its newest messages', () => {
  let s = ready();
  s = reduce(s, { type: 'room/open', roomId: 1 });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(1, MAX_LOADED), hasMore: false, direction: 'latest' });
  s = reduce(s, { type: 'history/follow', roomId: 1, value: false });
  s = reduce(s, { type: 'message/new', message: msg(MAX_LOADED + 1) });
  s = reduce(s, { type: 'room/open', roomId: 2 });
  s = reduce(s, { type: 'room/open', roomId: 1 });
  assert.equal(historyOf(s, 1).loaded, false);
  // And the newest page replaces a stretch read far back instead of leaving a gap.
  s = reduce(s, { type: 'history/loaded', roomId: 2, messages: page(1, 10).map((m) => ({ ...m, room_id: 2 })), hasMore: false, direction: 'latest' });
  s = reduce(s, { type: 'history/follow', roomId: 2, value: false });
  s = reduce(s, { type: 'history/loaded', roomId: 2, messages: [], hasMore: true, direction: 'before' });
  assert.equal(historyOf(s, 2).hasNewer, false);
});

test('the room list: favourites first, then rooms by name or by latest activity, then rooms to discover', () => {
  let s = ready([room(1, { name: 'alpha', last_message_id: 5 }), room(2, { name: 'beta', last_message_id: 90 }), room(3, { name: 'gamma', last_message_id: 40 }), room(4, { name: 'open', is_member: false })]);
  assert.deepEqual(roomSections(s).mine.map((r) => r.name), ['alpha', 'beta', 'gamma']);
  s = reduce(s, { type: 'sidebar/prefs', favourites: [3], sort: 'activity' });
  const sections = roomSections(s);
  assert.deepEqual(sections.favourites.map((r) => r.name), ['gamma']);
  assert.deepEqual(sections.rooms.map((r) => r.name), ['beta', 'alpha']);
  assert.deepEqual(sections.discover.map((r) => r.name), ['open']);
  // A new message moves its room up when sorted by activity.
  s = reduce(s, { type: 'message/new', message: msg(100, { room_id: 1 }) });
  assert.deepEqual(roomSections(s).rooms.map((r) => r.name), ['alpha', 'beta']);
  // Preferences survive signing in again.
  s = reduce(s, { type: 'session/start', user: ME });
  assert.equal(s.roomSort, 'activity');
  assert.deepEqual(s.favourites, { 3: true });
});

test('jumping to the first unread replaces the newest page with the stretch after the read marker', () => {
  let s = ready([room(1, { unread_count: 300, last_read_message_id: 100, last_message_id: 400 })]);
  s = reduce(s, { type: 'room/open', roomId: 1 });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(351, 400), hasMore: true, direction: 'latest' });
  s = reduce(s, { type: 'history/around', roomId: 1, messages: page(101, 200), hasNewer: true });
  const h = historyOf(s, 1);
  assert.deepEqual([h.items[0].id, h.items.at(-1).id], [101, 200]);
  assert.equal(h.hasMore, true);
  assert.equal(h.hasNewer, true);
  assert.equal(s.newAfter[1], 100);
  assert.equal(h.focus, null, 'nothing to outline: the bar places the reader at the divider');
});

test('direct conversations: their own section, latest first; closed ones hidden until a message', () => {
  const dm = (id, extra = {}) => room(id, { name: '', kind: 'direct', is_private: true, dm_users: [{ id: id + 10, username: `p${id}` }], ...extra });
  let s = ready([room(1, { kind: 'channel' }), dm(5, { last_message_id: 3 }), dm(6, { last_message_id: 9 }), dm(7, { is_hidden: true })]);
  let sections = roomSections(s);
  assert.deepEqual(sections.mine.map((r) => r.id), [1]);
  assert.deepEqual(sections.direct.map((r) => r.id), [6, 5]);
  assert.equal(roomTitle(s.rooms[6]), 'p6');
  assert.equal(roomTitle(s.rooms[1]), 'room1');

  s = reduce(s, { type: 'dm/closed', roomId: 6 });
  assert.deepEqual(roomSections(s).direct.map((r) => r.id), [5]);
  s = reduce(s, { type: 'message/new', message: msg(20, { room_id: 7 }) });
  sections = roomSections(s);
  assert.deepEqual(sections.direct.map((r) => r.id), [7, 5]);
  // Every unread direct message counts as a mention.
  assert.equal(s.rooms[7].mention_count, 1);
});

test('mention counts grow with messages that mention me and follow room_read', () => {
  let s = ready([room(1, { mention_count: 0 })]);
  s = reduce(s, { type: 'message/new', message: msg(10, { mentions: [], mentions_room: false }) });
  assert.equal(s.rooms[1].mention_count, 0);
  s = reduce(s, { type: 'message/new', message: msg(11, { mentions: [ME.id], mentions_room: false }) });
  s = reduce(s, { type: 'message/new', message: msg(12, { mentions: [], mentions_room: true }) });
  // The same message twice is counted once; my own @room is not a mention of me.
  s = reduce(s, { type: 'message/new', message: msg(12, { mentions: [], mentions_room: true }) });
  s = reduce(s, { type: 'message/new', message: msg(13, { user_id: ME.id, mentions: [], mentions_room: true }) });
  assert.deepEqual([s.rooms[1].unread_count, s.rooms[1].mention_count], [3, 2]);
  s = reduce(s, { type: 'room/read', roomId: 1, lastReadMessageId: 11, unreadCount: 1, mentionCount: 1 });
  assert.deepEqual([s.rooms[1].unread_count, s.rooms[1].mention_count], [1, 1]);
});

test('status: live presence carries it; offline whatever was chosen; mine from my account', () => {
  let s = ready();
  s = reduce(s, { type: 'presence/update', users: [{ user_id: 2, is_online: true, status: 'dnd', status_text: 'focus' }] });
  assert.deepEqual(statusOf(s, { id: 2 }), { status: 'dnd', status_text: 'focus' });
  s = reduce(s, { type: 'presence/update', users: [{ user_id: 2, is_online: false, status: 'offline', status_text: 'focus' }] });
  assert.equal(statusOf(s, { id: 2 }).status, 'offline');
  assert.equal(statusOf(s, { id: 3, is_online: true, status: 'away' }).status, 'away');
  s = reduce(s, { type: 'connection', status: 'online' });
  s = reduce(s, { type: 'me/updated', user: { ...ME, status: 'away', status_text: null } });
  assert.equal(statusOf(s, ME).status, 'away');
});

test('recent mentions: the newest page replaces, older pages append', () => {
  let s = ready();
  s = reduce(s, { type: 'mentions/loaded', messages: [msg(9), msg(8)], hasMore: true });
  s = reduce(s, { type: 'mentions/loaded', messages: [msg(4)], hasMore: false, older: true });
  assert.deepEqual(s.mentions.items.map((m) => m.id), [9, 8, 4]);
  assert.equal(s.mentions.hasMore, false);
  s = reduce(s, { type: 'mentions/loaded', messages: [msg(12)], hasMore: true });
  assert.deepEqual(s.mentions.items.map((m) => m.id), [12]);
});

test('a jump loads the page around a message; live messages wait past the gap until paged to', () => {
  let s = ready();
  s = reduce(s, { type: 'room/open', roomId: 1 });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(90), msg(91)], hasMore: true, direction: 'latest', changesRev: 0 });
  s = reduce(s, { type: 'history/around', roomId: 1, messageId: 20, messages: [msg(19), msg(20), msg(21)], hasMore: true, hasNewer: true, changesRev: 0 });
  assert.deepEqual(ids(s), [19, 20, 21], 'the jumped-to page replaces the newest one');
  assert.equal(historyOf(s, 1).focus.id, 20);
  assert.equal(historyOf(s, 1).hasNewer, true);

  s = reduce(s, { type: 'message/new', message: msg(92), visible: true });
  assert.deepEqual(ids(s), [19, 20, 21], 'no gap: the new message is not glued below');
  assert.equal(s.rooms[1].last_message_id, 92);

  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(22), msg(23)], hasMore: true, direction: 'after' });
  assert.deepEqual(ids(s), [19, 20, 21, 22, 23]);
  assert.equal(historyOf(s, 1).hasNewer, true);
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(24), msg(92)], hasMore: false, direction: 'after' });
  assert.equal(historyOf(s, 1).hasNewer, false, 'reached the newest');
  s = reduce(s, { type: 'message/new', message: msg(93), visible: true });
  assert.deepEqual(ids(s), [19, 20, 21, 22, 23, 24, 92, 93], 'live again');

  // The newest page while still detached starts afresh instead of leaving a hole.
  s = reduce(s, { type: 'history/around', roomId: 1, messageId: 5, messages: [msg(5)], hasMore: false, hasNewer: true, changesRev: 0 });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(92), msg(93)], hasMore: true, direction: 'latest', changesRev: 0 });
  assert.deepEqual(ids(s), [92, 93]);
  assert.equal(historyOf(s, 1).hasNewer, false);
  assert.equal(historyOf(s, 1).hasMore, true);
});

test('my message sent while reading older messages after a jump leaves the outbox', () => {
  let s = ready();
  s = reduce(s, { type: 'room/open', roomId: 1 });
  s = reduce(s, { type: 'history/around', roomId: 1, messageId: 20, messages: [msg(20)], hasMore: true, hasNewer: true, changesRev: 0 });
  s = reduce(s, { type: 'outbox/add', item: { roomId: 1, content: 'mine', messageType: 'text', clientMsgId: 'c-1' } });
  assert.equal(s.outbox.length, 1);
  const clientMsgId = s.outbox[0].clientMsgId;
  s = reduce(s, { type: 'message/new', message: msg(95, { user_id: ME.id, username: 'me', content: 'mine', client_msg_id: clientMsgId }), visible: true });
  assert.equal(s.outbox.length, 0, 'acknowledged, not left pending');
  assert.deepEqual(ids(s), [20]);
});

test('one model for both jumps: the first unread and a mention keep the stretch bounded and past the gap', () => {
  let s = ready([room(1, { unread_count: 600, last_read_message_id: 100, last_message_id: 700 })]);
  s = reduce(s, { type: 'room/open', roomId: 1 });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(651, 700), hasMore: true, direction: 'latest', changesRev: 7 });
  // A mention jump to a message in the middle, then paging down past MAX_LOADED: the oldest go.
  s = reduce(s, { type: 'history/around', roomId: 1, messageId: 300, messages: page(276, 325), hasMore: true, hasNewer: true });
  assert.equal(historyOf(s, 1).changesRev, 7, 'the catch-up revision is kept when the page has none');
  assert.equal(historyOf(s, 1).follow, false);
  for (let after = 325; historyOf(s, 1).hasNewer; after += 100) {
    s = reduce(s, { type: 'history/loaded', roomId: 1, messages: page(after + 1, Math.min(700, after + 100)), hasMore: after + 100 < 700, direction: 'after' });
    assert.ok(historyOf(s, 1).items.length <= MAX_LOADED);
  }
  const h = historyOf(s, 1);
  assert.deepEqual([h.items[0].id, h.items.at(-1).id], [700 - MAX_LOADED + 1, 700]);
  assert.equal(h.hasMore, true);
  assert.equal(h.focus.id, 300, 'the focus stays until another jump, even paged away');
  // Jumping to a message already loaded only moves the focus, with a fresh object.
  const before = h.focus;
  s = reduce(s, { type: 'history/focus', roomId: 1, messageId: 650 });
  assert.equal(historyOf(s, 1).focus.id, 650);
  assert.notEqual(historyOf(s, 1).focus, before);
  assert.equal(historyOf(s, 1).items.length, h.items.length);
});

test('the sidebar: direct conversations never among rooms or favourites; the order of Alt+arrows includes them', () => {
  const dm = room(5, { name: '', kind: 'direct', is_private: true, last_message_id: 50, dm_users: [{ id: 15, username: 'bo' }] });
  let s = ready([room(1, { name: 'alpha' }), room(2, { name: 'beta' }), dm, room(4, { name: 'open', is_member: false })]);
  s = reduce(s, { type: 'sidebar/prefs', favourites: [2, 5], sort: 'name' });
  const sections = roomSections(s);
  assert.deepEqual(sections.favourites.map((r) => r.id), [2]);
  assert.deepEqual(sections.rooms.map((r) => r.id), [1]);
  assert.deepEqual(sections.direct.map((r) => r.id), [5]);
  assert.deepEqual(sidebarOrder(s).map((r) => r.id), [2, 1, 5, 4]);
});
