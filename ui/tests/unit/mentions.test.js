// Mentions in the client: whether a message mentions me (the server's word), the `@` word at
// the caret, matching members by prefix in any script, and completing the mention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mentionsMe, mentionAt, matchMembers, completeMention } from '../../js/mentions.js';

const ME = { id: 1, username: 'me' };

test('a message mentions me by name or @room from someone else, never my own or a deleted one', () => {
  assert.equal(mentionsMe({ user_id: 2, mentions: [1], mentions_room: false }, ME), true);
  assert.equal(mentionsMe({ user_id: 2, mentions: [3], mentions_room: false }, ME), false);
  assert.equal(mentionsMe({ user_id: 2, mentions: [], mentions_room: true }, ME), true);
  assert.equal(mentionsMe({ user_id: 1, mentions: [], mentions_room: true }, ME), false);
  assert.equal(mentionsMe({ user_id: 2, mentions: [1], is_deleted: true }, ME), false);
  assert.equal(mentionsMe({ user_id: 2 }, null), false);
});

test('the @ word at the caret: at the start or after a space, not inside an address', () => {
  assert.deepEqual(mentionAt('hi @bo', 6), { start: 3, query: 'bo' });
  assert.deepEqual(mentionAt('@', 1), { start: 0, query: '' });
  assert.deepEqual(mentionAt('你好 @王小', 6), { start: 3, query: '王小' });
  assert.deepEqual(mentionAt('👋 @a', 5), { start: 3, query: 'a' }, 'indices count UTF-16 units, as a textarea does');
  assert.equal(mentionAt('mail me@exa', 11), null);
  assert.equal(mentionAt('hi @bob there', 13), null);
  assert.equal(mentionAt('no at here', 10), null);
  // The caret in the middle of a word counts what is before it.
  assert.deepEqual(mentionAt('@bobby', 3), { start: 0, query: 'bo' });
});

test('members match by the start of their name ignoring case in any script, me left out', () => {
  const members = [
    { id: 1, username: 'me' },
    { id: 2, username: 'Bob' },
    { id: 3, username: 'bobby' },
    { id: 4, username: '王小明' },
    { id: 5, username: 'Ωmega' },
    { id: 6, username: 'alice' },
  ];
  const names = (q, opts) => matchMembers(members, q, { me: ME, ...opts }).map((m) => m.username);
  assert.deepEqual(names('BO'), ['Bob', 'bobby']);
  assert.deepEqual(names('王'), ['王小明']);
  assert.deepEqual(names('ωM'), ['Ωmega']);
  assert.deepEqual(names('m'), []);
  assert.equal(names('').length, 5);
  assert.deepEqual(names('', { limit: 2 }).length, 2);
});

test('completing replaces the typed word with the whole name and a space', () => {
  assert.deepEqual(completeMention('hi @bo and', 3, 6, 'bobby'), { value: 'hi @bobby  and', caret: 10 });
  assert.deepEqual(completeMention('@王', 0, 2, '王小明'), { value: '@王小明 ', caret: 5 });
});
