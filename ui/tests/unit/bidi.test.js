// Direction overrides in user text stay inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolate } from '../../js/bidi.js';

test('an override is wrapped in a first-strong isolate', () => {
  assert.equal(isolate('\u202egnp.exe spoof'), '\u2068\u202egnp.exe spoof\u2069');
});

test('a stray isolate terminator cannot close the isolate early', () => {
  const wrapped = isolate('x\u2069\u202eevil\u2066');
  assert.equal(wrapped, '\u2068x\u202eevil\u2069');
  const pdis = [...wrapped].filter((c) => c === '\u2069').length;
  assert.equal(pdis, 1, 'only our own terminator remains, at the end');
});

test('missing text becomes an empty isolate', () => {
  assert.equal(isolate(null), '\u2068\u2069');
});
