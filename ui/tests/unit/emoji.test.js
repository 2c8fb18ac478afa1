// Emoji data and search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATEGORIES, EMOJI, emojiIn, searchEmoji, isEmojiOnly } from '../../js/emoji.js';

test('every category has emoji and every emoji has search words', () => {
  for (const { id } of CATEGORIES) assert.ok(emojiIn(id).length >= 20, id);
  for (const e of EMOJI) assert.ok(e.words.length > 0, e.char);
  assert.equal(new Set(EMOJI.map((e) => e.char)).size, EMOJI.length, 'no duplicates');
});

test('search finds emoji by English or Chinese words', () => {
  assert.equal(searchEmoji('thumbs up')[0].char, '👍');
  assert.ok(searchEmoji('赞').some((e) => e.char === '👍'));
  assert.ok(searchEmoji('笑').length >= 5);
  assert.ok(searchEmoji('PIZZA').some((e) => e.char === '🍕'));
  assert.deepEqual(searchEmoji('   '), []);
  assert.deepEqual(searchEmoji('zzqx'), []);
});

test('emoji-only messages are recognized', () => {
  assert.equal(isEmojiOnly('👍'), true);
  assert.equal(isEmojiOnly('🎉 👍'), true);
  assert.equal(isEmojiOnly('👨‍💻'), true);
  assert.equal(isEmojiOnly('ok 👍'), false);
  assert.equal(isEmojiOnly('123'), false);
  assert.equal(isEmojiOnly('👍👍👍👍👍👍👍'), false, 'long runs are ordinary text');
});
