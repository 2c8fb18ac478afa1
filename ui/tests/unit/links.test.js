// Link detection: only http, https and mailto become links; the text survives unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitLinks, safeHref } from '../../js/links.js';

const joined = (segments) => segments.map((s) => s.text).join('');
const links = (text) => splitLinks(text).filter((s) => s.type === 'link');

test('plain text stays one text segment', () => {
  assert.deepEqual(splitLinks('hello world'), [{ type: 'text', text: 'hello world' }]);
  assert.deepEqual(splitLinks(''), []);
});

test('http, https and mailto addresses become links', () => {
  const text = 'see https://example.com/a?b=1#c and http://10.0.0.5:8080/x or mail mailto:team@example.com';
  const found = links(text);
  assert.deepEqual(found.map((l) => l.text), ['https://example.com/a?b=1#c', 'http://10.0.0.5:8080/x', 'mailto:team@example.com']);
  assert.deepEqual(found.map((l) => l.href), ['https://example.com/a?b=1#c', 'http://10.0.0.5:8080/x', 'mailto:team@example.com']);
  assert.equal(joined(splitLinks(text)), text);
});

test('dangerous and unknown schemes never become links', () => {
  for (const text of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'vbscript:x', 'ftp://example.com']) {
    assert.deepEqual(links(text), [], text);
    assert.equal(joined(splitLinks(text)), text);
  }
  assert.equal(safeHref('javascript:alert(1)'), null);
  assert.equal(safeHref('http://'), null);
  assert.equal(safeHref('mailto:'), null);
});

test('a scheme glued to other letters is not a link start', () => {
  assert.deepEqual(links('xhttps://evil.example'), []);
});

test('trailing punctuation is left out, balanced parentheses kept', () => {
  assert.deepEqual(links('Read https://example.com/docs.').map((l) => l.text), ['https://example.com/docs']);
  assert.deepEqual(links('(see https://example.com/x)').map((l) => l.text), ['https://example.com/x']);
  assert.deepEqual(links('https://en.wikipedia.org/wiki/Rust_(programming_language)!').map((l) => l.text), ['https://en.wikipedia.org/wiki/Rust_(programming_language)']);
  assert.deepEqual(links('"https://example.com/q"').map((l) => l.text), ['https://example.com/q']);
});

test('Chinese punctuation right after a link ends it', () => {
  const text = '看看这个https://example.com/页面，很好。';
  const found = links(text);
  assert.deepEqual(found.map((l) => l.text), ['https://example.com/页面']);
  assert.equal(joined(splitLinks(text)), text);
});

test('HTML in a message is only ever text', () => {
  const text = '<img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>';
  assert.deepEqual(splitLinks(text), [{ type: 'text', text }]);
});
