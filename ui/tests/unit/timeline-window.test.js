import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextWindow, carryWindow, openingWindow, pickAnchor, anchoredScrollTop, atBottom, visibleRange, WINDOW } from '../../js/timeline-window.js';

const keys = (from, to) => Array.from({ length: to - from }, (_, i) => `m:${from + i}`);
const layout = (heights) => {
  let top = 0;
  return heights.map((height, i) => {
    const row = { key: `m:${i}`, top, height };
    top += height;
    return row;
  });
};

test('a room opens on its newest rows, or around the first unread', () => {
  assert.deepEqual(openingWindow(5000), { start: 5000 - WINDOW.initial, end: 5000 });
  assert.deepEqual(openingWindow(10), { start: 0, end: 10 });
  const around = openingWindow(5000, 1000);
  assert.ok(around.start <= 1000 && around.end > 1000 && around.end - around.start === WINDOW.initial);
});

test('the window does not move while the viewport stays well inside it', () => {
  const w = { count: 400, start: 100, end: 200, first: 140, last: 160 };
  assert.deepEqual(nextWindow(w), { start: 100, end: 200 });
});

test('scrolling up extends the window upwards and drops rows far below, never past the budget', () => {
  const w = nextWindow({ count: 1000, start: 860, end: 1000, first: 865, last: 880 });
  assert.ok(w.start <= 865 - WINDOW.margin, `rows above the viewport are rendered (${w.start})`);
  assert.ok(w.end - w.start <= WINDOW.max, 'bounded');
  assert.ok(w.end >= 880 + 1, 'the viewport stays rendered');
});

test('scrolling down extends the window downwards and drops rows far above', () => {
  const w = nextWindow({ count: 1000, start: 0, end: 140, first: 120, last: 135 });
  assert.ok(w.end >= 136 + WINDOW.margin);
  assert.ok(w.start <= 120 && w.end - w.start <= WINDOW.max);
});

test('a reader at the bottom keeps the newest rows rendered as messages arrive, within the budget', () => {
  let w = { start: 940, end: 1000 };
  for (let count = 1001; count <= 1300; count += 1) {
    w = nextWindow({ count, ...w, first: count - 10, last: count - 1, pinned: true });
    assert.equal(w.end, count);
    assert.ok(w.end - w.start <= WINDOW.max);
  }
});

test('a viewport taller than the budget keeps every visible row', () => {
  const w = nextWindow({ count: 1000, start: 400, end: 420, first: 300, last: 600 }, { max: 100, margin: 10 });
  assert.ok(w.start <= 300 && w.end >= 601);
});

test('a page inserted above shifts the window with its rows; the anchor keeps its neighbours', () => {
  const before = keys(100, 300);
  const after = keys(0, 300); // 100 older rows loaded above
  const w = carryWindow(before, after, { start: 0, end: 60 }, 'm:110');
  assert.deepEqual(w, { start: 100, end: 160 });
  assert.equal(after[w.start], 'm:100');
});

test('rows trimmed away below and new rows appended do not move the window', () => {
  const before = keys(0, 300);
  const after = keys(0, 250);
  assert.deepEqual(carryWindow(before, after, { start: 10, end: 70 }, 'm:20'), { start: 10, end: 70 });
  const grown = keys(0, 310);
  assert.deepEqual(carryWindow(before, grown, { start: 240, end: 300 }, 'm:250'), { start: 240, end: 300 });
});

test('a deleted anchor falls back to the nearest surviving row', () => {
  const before = keys(0, 100);
  const after = before.filter((k) => k !== 'm:50');
  const w = carryWindow(before, after, { start: 40, end: 80 }, 'm:50');
  assert.ok(w.start >= 39 && w.start <= 41 && w.end - w.start >= 39);
});

test('the anchor is the first message row crossing the top of the viewport', () => {
  const rows = layout([20, 100, 100, 100]);
  assert.deepEqual(pickAnchor(rows, 150), { key: 'm:2', offset: -30 });
  assert.deepEqual(pickAnchor(rows, 0), { key: 'm:0', offset: 0 });
  assert.deepEqual(pickAnchor(rows, 150, (k) => k !== 'm:2'), { key: 'm:3', offset: 70 });
  assert.deepEqual(pickAnchor(rows, 50, (k) => k !== 'm:1'), { key: 'm:2', offset: 70 });
  assert.equal(pickAnchor([], 0), null);
});

test('height changes above the anchor (an image loads, a message is edited) keep it in place', () => {
  const rows = layout([100, 100, 100, 100]);
  const anchor = pickAnchor(rows, 230); // m:2 at 200, 30 px above the viewport's top
  assert.deepEqual(anchor, { key: 'm:2', offset: -30 });
  const grown = layout([100, 340, 100, 100]); // m:1 grew by 240
  const top = grown.find((r) => r.key === anchor.key).top;
  assert.equal(anchoredScrollTop(anchor, top, { scrollHeight: 640, clientHeight: 100 }), 470);
  // Rows inserted above: the anchor's top moves down by their height, and so does scrollTop.
  assert.equal(anchoredScrollTop(anchor, 200 + 5000, { scrollHeight: 99999, clientHeight: 300 }), 5230);
  // Never past the ends.
  assert.equal(anchoredScrollTop({ key: 'x', offset: 500 }, 100), 0);
  assert.equal(anchoredScrollTop({ key: 'x', offset: 0 }, 900, { scrollHeight: 1000, clientHeight: 400 }), 600);
});

test('at the bottom means within the slack of the end', () => {
  assert.ok(atBottom({ scrollHeight: 1000, scrollTop: 600, clientHeight: 400 }));
  assert.ok(atBottom({ scrollHeight: 1000, scrollTop: 550, clientHeight: 400 }));
  assert.ok(!atBottom({ scrollHeight: 1000, scrollTop: 500, clientHeight: 400 }));
});

test('the visible range covers exactly the rows crossing the viewport', () => {
  const rows = layout(Array(50).fill(40));
  assert.deepEqual(visibleRange(rows, 0, 100), { first: 0, last: 2 });
  assert.deepEqual(visibleRange(rows, 390, 100), { first: 9, last: 12 });
  assert.deepEqual(visibleRange([], 0, 100), { first: 0, last: -1 });
});

test('back at the bottom after reading far back, the window shrinks to what a freshly opened room renders', () => {
  // Scrolled down to the newest rows with the whole budget rendered.
  const w = nextWindow({ count: 400, start: 260, end: 400, first: 385, last: 399, pinned: true });
  assert.deepEqual(w, { start: 400 - WINDOW.initial, end: 400 });
  // A viewport showing more rows than that keeps them all, plus the margin.
  const tall = nextWindow({ count: 400, start: 260, end: 400, first: 330, last: 399, pinned: true });
  assert.deepEqual(tall, { start: 330 - WINDOW.margin, end: 400 });
  // And a short room is rendered whole.
  assert.deepEqual(nextWindow({ count: 30, start: 0, end: 30, first: 10, last: 29, pinned: true }), { start: 0, end: 30 });
});
