// Replies, threads, reactions and permalinks as data, and the reducer's part for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inTimeline, hasReacted, withReaction, reactorNames, repliesOf, permalink, parsePermalink, permalinkUrl, ownPermalink } from '../../js/conversations.js';
import { initialState, reduce } from '../../js/state.js';
import { buildRows } from '../../js/format.js';

const msg = (id, extra = {}) => ({ id, room_id: 1, user_id: 2, username: 'bob', content: `m${id}`, message_type: 'text', timestamp: '2026-11-21T10:00:00.000Z', edited_at: null, is_deleted: false, reactions: [], thread: null, thread_id: null, also_to_room: false, reply_to: null, ...extra });

test('thread replies stay out of the timeline unless also sent to the room', () => {
  assert.equal(inTimeline(msg(1)), true);
  assert.equal(inTimeline(msg(2, { thread_id: 1 })), false);
  assert.equal(inTimeline(msg(3, { thread_id: 1, also_to_room: true })), true);
  const rows = buildRows([msg(1), msg(2, { thread_id: 1 }), msg(3, { thread_id: 1, also_to_room: true })]);
  assert.deepEqual(rows.filter((r) => r.kind === 'message').map((r) => r.message.id), [1, 3]);
});

test('a reaction toggles mine, keeps first-used order and drops an emoji nobody has', () => {
  let m = msg(1, { reactions: [{ emoji: '👍', count: 1, user_ids: [5] }] });
  m = withReaction(m, '🎉', 7, true);
  m = withReaction(m, '👍', 7, true);
  assert.deepEqual(m.reactions, [{ emoji: '👍', count: 2, user_ids: [5, 7] }, { emoji: '🎉', count: 1, user_ids: [7] }]);
  assert.equal(hasReacted(m, '👍', 7), true);
  // Adding twice changes nothing; removing one I do not have changes nothing.
  assert.deepEqual(withReaction(m, '👍', 7, true).reactions, m.reactions);
  assert.deepEqual(withReaction(m, '🎉', 5, false).reactions, m.reactions);
  m = withReaction(m, '🎉', 7, false);
  assert.deepEqual(m.reactions.map((r) => r.emoji), ['👍']);
  assert.deepEqual(reactorNames(m.reactions[0], new Map([[5, 'eve']]), 7, 'You'), ['eve', 'You']);
});

test('permalinks round-trip and anything else is not one', () => {
  assert.equal(permalink(3, 41), '#/rooms/3/messages/41');
  assert.deepEqual(parsePermalink('#/rooms/3/messages/41'), { roomId: 3, messageId: 41 });
  for (const bad of ['', '#composer-input', '#/rooms/3', '#/rooms/x/messages/1', '#/rooms/3/messages/41/extra', '#/rooms/99999999999999999999/messages/1']) {
    assert.equal(parsePermalink(bad), null, bad);
  }
  assert.equal(permalinkUrl('https://chat.example/app/?x=1#/old', 3, 41), 'https://chat.example/app/?x=1#/rooms/3/messages/41');
});

test('a link is this server’s permalink only on its own origin and path', () => {
  const server = 'http://192.168.1.20:8080/';
  assert.deepEqual(ownPermalink('http://192.168.1.20:8080/#/rooms/3/messages/41', server), { roomId: 3, messageId: 41 });
  assert.deepEqual(ownPermalink('http://192.168.1.20:8080/#/rooms/3/messages/41', 'http://192.168.1.20:8080'), { roomId: 3, messageId: 41 });
  for (const other of [
    'http://192.168.1.21:8080/#/rooms/3/messages/41', // another server
    'https://192.168.1.20:8080/#/rooms/3/messages/41', // another scheme is another origin
    'http://192.168.1.20:8080/wiki/#/rooms/3/messages/41', // another page on the host
    'http://192.168.1.20:8080/#/rooms/3', // not a message
    'mailto:a@b.c',
    'not a url',
  ]) assert.equal(ownPermalink(other, server), null, other);
});

test('the thread panel collects its replies, live ones too, and follows edits, reactions and deletes', () => {
  let s = reduce(initialState(), { type: 'session/ready', user: { id: 7 }, rooms: [{ id: 1, name: 'a', is_member: true }] });
  s = reduce(s, { type: 'history/loaded', roomId: 1, messages: [msg(1), msg(2, { thread_id: 1 }), msg(3)], hasMore: false, direction: 'latest', changesRev: 0 });
  s = reduce(s, { type: 'thread/open', root: msg(1) });
  assert.deepEqual(s.thread.items.map((m) => m.id), [2], 'replies already loaded show at once');
  s = reduce(s, { type: 'thread/loaded', rootId: 1, root: msg(1, { thread: { reply_count: 2 } }), messages: [msg(2, { thread_id: 1 }), msg(4, { thread_id: 1 })], hasMore: false });
  assert.deepEqual(s.thread.items.map((m) => m.id), [2, 4]);
  s = reduce(s, { type: 'message/new', message: msg(5, { thread_id: 1 }) });
  s = reduce(s, { type: 'message/new', message: msg(6, { thread_id: 9 }) });
  assert.deepEqual(s.thread.items.map((m) => m.id), [2, 4, 5], 'only this thread’s replies');
  s = reduce(s, { type: 'reactions/updated', roomId: 1, messageId: 4, reactions: [{ emoji: '👍', count: 1, user_ids: [2] }] });
  assert.equal(s.thread.items[1].reactions[0].emoji, '👍');
  s = reduce(s, { type: 'reactions/updated', roomId: 1, messageId: 3, reactions: [{ emoji: '🎉', count: 1, user_ids: [2] }] });
  assert.equal(s.history[1].items.find((m) => m.id === 3).reactions[0].emoji, '🎉', 'timeline messages take reactions too');
  s = reduce(s, { type: 'message/updated', message: msg(1, { thread: { reply_count: 3 } }) });
  assert.equal(s.thread.root.thread.reply_count, 3);
  s = reduce(s, { type: 'message/deleted', roomId: 1, messageId: 5 });
  assert.equal(s.thread.items[2].is_deleted, true);
  s = reduce(s, { type: 'thread/close' });
  assert.equal(s.thread, null);
});

test('a quote-reply is per room and goes when its message is deleted', () => {
  let s = reduce(initialState(), { type: 'reply/set', roomId: 1, message: msg(3) });
  s = reduce(s, { type: 'reply/set', roomId: 2, message: msg(8, { room_id: 2 }) });
  assert.equal(s.replyTo[1].id, 3);
  s = reduce(s, { type: 'message/deleted', roomId: 1, messageId: 3 });
  assert.equal(s.replyTo[1], undefined);
  assert.equal(s.replyTo[2].id, 8);
  s = reduce(s, { type: 'reply/set', roomId: 2, message: null });
  assert.deepEqual(s.replyTo, {});
});

test('followed threads count new replies from others until read, and move to the top', () => {
  let s = { ...initialState(), me: { id: 7 } };
  s = reduce(s, { type: 'threads/loaded', threads: [{ root: msg(1), unread_count: 0 }, { root: msg(10), unread_count: 1 }] });
  s = reduce(s, { type: 'threads/reply', message: msg(11, { thread_id: 10 }), visible: true });
  assert.deepEqual(s.followed.items.map((f) => [f.root.id, f.unread_count]), [[10, 2], [1, 0]]);
  s = reduce(s, { type: 'threads/reply', message: msg(12, { thread_id: 1, user_id: 7 }), visible: true });
  assert.equal(s.followed.items[1].unread_count, 0, 'my own replies are not unread');
  s = reduce(s, { type: 'threads/read', rootId: 10 });
  assert.equal(s.followed.items[0].unread_count, 0);
  s = reduce(s, { type: 'threads/unfollowed', rootId: 10 });
  assert.deepEqual(s.followed.items.map((f) => f.root.id), [1]);
});

test('a queued reply keeps what it answers across a reload', async () => {
  const { enqueue, serialize, restore } = await import('../../js/queue.js');
  const outbox = enqueue([], { roomId: 1, content: 'yes', replyTo: 4, threadId: 2, alsoToRoom: true, clientMsgId: 'c-1' });
  const [item] = restore(serialize(outbox));
  assert.deepEqual([item.replyTo, item.threadId, item.alsoToRoom], [4, 2, true]);
  const [plain] = restore(serialize(enqueue([], { roomId: 1, content: 'x', clientMsgId: 'c-2' })));
  assert.deepEqual([plain.replyTo, plain.threadId, plain.alsoToRoom], [null, null, false]);
});

test('the thread panel closes when its room goes', () => {
  let s = initialState();
  s = reduce(s, { type: 'session/ready', user: { id: 7 }, rooms: [{ id: 1, name: 'a', is_member: true }, { id: 2, name: 'b', is_member: true }] });
  s = reduce(s, { type: 'thread/open', root: msg(1) });
  assert.equal(s.thread.rootId, 1);
  s = reduce(s, { type: 'room/removed', roomId: 2 });
  assert.notEqual(s.thread, null, 'another room going changes nothing');
  s = reduce(s, { type: 'room/removed', roomId: 1 });
  assert.equal(s.thread, null);
});
