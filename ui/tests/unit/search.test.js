import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highlightParts, filterSuggestions, applySuggestion } from '../../js/search-query.js';

test('highlights cut the text at code points, not UTF-16 units', () => {
  assert.deepEqual(highlightParts('明天部署新版本', [[2, 4]]), [
    { text: '明天', hit: false },
    { text: '部署', hit: true },
    { text: '新版本', hit: false },
  ]);
  // An emoji before the match is one code point but two UTF-16 units.
  assert.deepEqual(highlightParts('🎉 deploy', [[2, 8]]), [
    { text: '🎉 ', hit: false },
    { text: 'deploy', hit: true },
  ]);
  assert.deepEqual(highlightParts('abc', [[0, 99]]), [{ text: 'abc', hit: true }]);
  assert.deepEqual(highlightParts('abc', []), [{ text: 'abc', hit: false }]);
});

test('from: offers people and in: offers rooms, completing the word at the caret', () => {
  const lists = { people: ['alice', 'Alfred', 'bob'], rooms: ['general', 'team plans'] };
  const s = filterSuggestions('deploy from:al', 14, lists);
  assert.deepEqual(s.items.map((i) => i.label), ['from:alice', 'from:Alfred']);
  assert.deepEqual(applySuggestion('deploy from:al', s, s.items[0].insert), { value: 'deploy from:alice ', caret: 18 });
  const rooms = filterSuggestions('in:te', 5, lists);
  assert.deepEqual(rooms.items.map((i) => i.insert), ['in:"team plans" ']);
  assert.deepEqual(filterSuggestions('fr', 2, lists).items.map((i) => i.label), ['from:']);
  assert.equal(filterSuggestions('部署', 2, lists), null);
  assert.equal(filterSuggestions('from:zed', 8, lists), null);
  assert.deepEqual(filterSuggestions('i', 1, lists).items.map((i) => i.label), ['in:', 'is:']);
  assert.deepEqual(filterSuggestions('is:p', 4, lists).items.map((i) => i.insert), ['is:pinned ']);
});
