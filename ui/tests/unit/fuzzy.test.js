import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzyScore, fuzzyFilter } from '../../js/fuzzy.js';

test('letters in order match, in any case; out of order or missing do not', () => {
  assert.notEqual(fuzzyScore('gnrl', 'general'), null);
  assert.notEqual(fuzzyScore('GEN', 'general'), null);
  assert.equal(fuzzyScore('lrng', 'general'), null);
  assert.equal(fuzzyScore('genx', 'general'), null);
  assert.equal(fuzzyScore('', 'anything'), 0);
});

test('Chinese names match by their characters, full-width letters like half-width', () => {
  assert.notEqual(fuzzyScore('设计', '产品设计组'), null);
  assert.notEqual(fuzzyScore('产组', '产品设计组'), null);
  assert.equal(fuzzyScore('组产', '产品设计组'), null);
  assert.notEqual(fuzzyScore('ＤＥＶ', 'dev-team'), null);
});

test('prefixes and word starts rank before scattered matches', () => {
  const rooms = ['design-review', 'random', 'dev', 'a-dev-corner', '开发'];
  assert.deepEqual(fuzzyFilter(rooms, 'dev', (r) => r), ['dev', 'a-dev-corner', 'design-review']);
  assert.deepEqual(fuzzyFilter(rooms, '开', (r) => r), ['开发']);
  assert.equal(fuzzyFilter(rooms, '', (r) => r).length, rooms.length);
});
