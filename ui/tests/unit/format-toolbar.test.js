// The composer's formatting: each format wraps or prefixes the selection with Markdown marks,
// a second press takes them off, and the selection afterwards is where people type next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installFakeDom } from './fake-dom.js';

installFakeDom();
const { applyFormat, pasteAsLink } = await import('../../js/views/format-toolbar.js');

/** Formats `marked` ("[" and "]" mark the selection) and shows the result the same way. */
function fmt(marked, kind) {
  const start = marked.indexOf('[');
  const end = marked.indexOf(']') - 1;
  const value = marked.replace('[', '').replace(']', '');
  const out = applyFormat(value, start, end, kind, { linkText: 'text' });
  return `${out.value.slice(0, out.start)}[${out.value.slice(out.start, out.end)}]${out.value.slice(out.end)}`;
}

test('bold, italic and inline code wrap the selection and unwrap it again', () => {
  assert.equal(fmt('ship [it] now', 'bold'), 'ship **[it]** now');
  assert.equal(fmt('ship **[it]** now', 'bold'), 'ship [it] now');
  assert.equal(fmt('ship [**it**] now', 'bold'), 'ship [it] now');
  assert.equal(fmt('ship [it] now', 'italic'), 'ship _[it]_ now');
  assert.equal(fmt('ship _[it]_ now', 'italic'), 'ship [it] now');
  // Inside a word `_` would not be italic: `*` is used, and taken off again.
  assert.equal(fmt('un[believ]able', 'italic'), 'un*[believ]*able');
  assert.equal(fmt('un*[believ]*able', 'italic'), 'un[believ]able');
  assert.equal(fmt('这是[重点]内容', 'italic'), '这是*[重点]*内容');
  // Italic inside bold adds marks rather than eating the bold's.
  assert.equal(fmt('**[both]**', 'italic'), '**_[both]_**');
  assert.equal(fmt('run [npm ci] first', 'code'), 'run `[npm ci]` first');
  // Nothing selected: empty marks with the caret between them.
  assert.equal(fmt('a []', 'bold'), 'a **[]**');
  // Spaces at the edges stay outside the marks, so the text really is bold.
  assert.equal(fmt('a[ word ]b', 'bold'), 'a **[word]** b');
});

test('a code block goes on lines of its own; inline code over lines becomes a block', () => {
  assert.equal(fmt('see [let a = 1;]', 'codeBlock'), 'see \n```\n[let a = 1;]\n```');
  assert.equal(fmt('[a\nb]', 'code'), '```\n[a\nb]\n```');
  assert.equal(fmt('[]', 'codeBlock'), '```\n[]\n```');
});

test('quote and list prefix every selected line, and a second press takes it off', () => {
  assert.equal(fmt('[one\ntwo]', 'quote'), '[> one\n> two]');
  assert.equal(fmt('[> one\n> two]', 'quote'), '[one\ntwo]');
  assert.equal(fmt('first\nse[con]d\nthird', 'list'), 'first\n[- second]\nthird');
  assert.equal(fmt('[]', 'list'), '- []');
  assert.equal(fmt('[- a\n- b]', 'list'), '[a\nb]');
});

test('a link keeps the selected text as its label and selects the address to type', () => {
  assert.equal(fmt('read [the docs] please', 'link'), 'read [the docs]([https://]) please');
  assert.equal(fmt('[https://example.com]', 'link'), '[[text]](https://example.com)');
  assert.equal(fmt('[]', 'link'), '[text]([https://])');
});

test('pasting an address over selected text links the text', () => {
  assert.deepEqual(pasteAsLink('read the docs now', 5, 13, 'https://example.com/docs'), { value: 'read [the docs](https://example.com/docs) now', start: 41, end: 41 });
  assert.equal(pasteAsLink('x', 0, 1, ' https://en.wikipedia.org/wiki/Rust_(language) ').value, '[x](https://en.wikipedia.org/wiki/Rust_%28language%29)');
  // Anything else pastes as usual.
  assert.equal(pasteAsLink('read the docs', 5, 5, 'https://example.com'), null, 'nothing selected');
  assert.equal(pasteAsLink('read the docs', 0, 4, 'not an address'), null);
  assert.equal(pasteAsLink('read the docs', 0, 4, 'javascript:alert(1)'), null);
  assert.equal(pasteAsLink('https://a.example', 0, 17, 'https://b.example'), null, 'an address over an address');
  assert.equal(pasteAsLink('one\ntwo', 0, 7, 'https://b.example'), null, 'a label of several lines');
});
