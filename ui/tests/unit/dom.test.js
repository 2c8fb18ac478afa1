import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcile } from '../../js/dom.js';

/** Just enough of an element list for reconcile, counting how often a child is moved. */
function fakeContainer(keys) {
  const children = [];
  const container = {
    moves: 0,
    get children() {
      return children;
    },
    insertBefore(el, before) {
      detach(el);
      children.splice(children.indexOf(before), 0, el);
      el.parent = container;
      container.moves += 1;
    },
    append(el) {
      detach(el);
      children.push(el);
      el.parent = container;
      container.moves += 1;
    },
  };
  const detach = (el) => {
    const at = children.indexOf(el);
    if (at >= 0) children.splice(at, 1);
  };
  const child = (key, sig = '') => ({
    dataset: { key, sig },
    parent: container,
    get nextElementSibling() {
      return children[children.indexOf(this) + 1] ?? null;
    },
    remove() {
      detach(this);
    },
    replaceWith(other) {
      children[children.indexOf(this)] = other;
    },
  });
  for (const key of keys) children.push(child(key));
  container.make = child;
  return container;
}

const rowsOf = (from, to) => Array.from({ length: to - from }, (_, i) => ({ key: `m:${from + i}`, sig: '' }));

test('a window sliding down by one row moves no row: one leaves at the top, one is added at the bottom', () => {
  const container = fakeContainer(rowsOf(0, 60).map((r) => r.key));
  const kept = container.children.slice(1);
  let rendered = 0;
  reconcile(container, rowsOf(1, 61), (item) => {
    rendered += 1;
    return container.make(item.key);
  });
  assert.deepEqual(container.children.map((c) => c.dataset.key), rowsOf(1, 61).map((r) => r.key));
  assert.equal(rendered, 1, 'only the new row is built');
  assert.equal(container.moves, 1, 'only the new row is inserted');
  assert.ok(kept.every((el, i) => container.children[i] === el), 'the other rows are the same elements');
});

test('reordered, replaced and removed children end up in the order asked for', () => {
  const container = fakeContainer(['a', 'b', 'c', 'd']);
  reconcile(container, [{ key: 'd', sig: '' }, { key: 'b', sig: 'new' }, { key: 'e', sig: '' }], (item) => container.make(item.key, item.sig));
  assert.deepEqual(container.children.map((c) => `${c.dataset.key}${c.dataset.sig}`), ['d', 'bnew', 'e']);
});
