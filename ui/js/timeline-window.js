// The arithmetic of the bounded timeline, without a DOM: which rows of a room are rendered (a
// window around what is on screen, plus a margin), where that window goes when rows are inserted
// above or below it, which row anchors the reading position and where the scroll position must
// go so that row stays put when heights change. views/messages.js measures and applies; this
// module decides, and is unit-tested in tests/unit/timeline-window.test.js.

/**
 * Rows kept rendered: at most `max`; at least `margin` rows beyond each edge of the viewport
 * once the window moves (it moves by `margin` when the viewport comes within `margin / 2` of an
 * edge, so scrolling does not reshape the window every frame). `initial` rows are rendered
 * when a room opens (at the bottom or around the "new messages" divider).
 */
export const WINDOW = Object.freeze({ max: 140, margin: 40, initial: 60 });

/**
 * The rendered window `[start, end)` after the viewport shows rows `first..last` (indices into
 * all `count` rows) of the window `[start, end)`. `pinned`: the reader is at the newest row, so
 * the window follows the end and shrinks back to the rows near it. Returns `{start, end}` (the same numbers when nothing changes).
 */
export function nextWindow({ count, start, end, first, last, pinned = false }, { max = WINDOW.max, margin = WINDOW.margin, initial = WINDOW.initial } = {}) {
  start = clamp(start, 0, count);
  end = clamp(end, start, count);
  if (count === 0) return { start: 0, end: 0 };
  first = clamp(first, 0, count - 1);
  last = clamp(last, first, count - 1);
  if (pinned) {
    // At the newest rows: what is on screen and a margin above it, no more than a freshly
    // opened room renders. Rows rendered while scrolling back are let go on arriving here, so
    // each new message costs what it costs in a short room.
    const size = Math.min(max, Math.max(initial, last - first + 1 + margin));
    return { start: Math.max(0, count - size), end: count };
  }
  let s = start;
  let e = end;
  const needUp = s > 0 && first - s < margin / 2;
  const needDown = e < count && e - 1 - last < margin / 2;
  if (needUp) s = Math.max(0, first - margin);
  if (needDown) e = Math.min(count, last + 1 + margin);
  if (e - s > max) {
    // Drop rows from the side the reader is moving away from, never from around the viewport.
    if (needUp && !needDown) e = Math.max(last + 1 + margin, s + max);
    else if (needDown && !needUp) s = Math.min(first - margin, e - max);
    else {
      s = Math.max(s, first - margin);
      e = Math.min(e, last + 1 + margin);
    }
    s = clamp(s, 0, count);
    e = clamp(e, s, count);
    if (e - s > max) {
      // A viewport taller than (or nearly) the whole budget: keep what is on screen.
      const spare = Math.max(0, max - (last - first + 1));
      s = Math.max(s, first - Math.floor(spare / 2));
      e = Math.min(e, last + 1 + Math.ceil(spare / 2));
    }
  }
  return { start: s, end: e };
}

/**
 * Carries the window over to a new list of row keys (pages loaded above or below, messages
 * arriving, deleted or trimmed away): the window keeps its rows on either side of `anchorKey`
 * (the row the reader is looking at). `window`: `{start, end}` over `oldKeys`.
 * A vanished anchor falls back to the nearest surviving row of the old window.
 */
export function carryWindow(oldKeys, newKeys, window, anchorKey, { max = WINDOW.max } = {}) {
  const count = newKeys.length;
  if (count === 0) return { start: 0, end: 0 };
  const index = new Map(newKeys.map((key, i) => [key, i]));
  let oldAnchor = anchorKey == null ? -1 : oldKeys.indexOf(anchorKey);
  let newAnchor = anchorKey == null ? -1 : index.get(anchorKey) ?? -1;
  if (newAnchor < 0) {
    // Look outwards from where the anchor was for a row that still exists.
    const from = oldAnchor >= 0 ? oldAnchor : window.start;
    for (let d = 0; d < oldKeys.length && newAnchor < 0; d += 1) {
      for (const i of [from + d, from - d]) {
        if (i < window.start || i >= window.end) continue;
        const found = index.get(oldKeys[i]);
        if (found !== undefined) {
          oldAnchor = i;
          newAnchor = found;
          break;
        }
      }
      if (from + d >= window.end && from - d < window.start) break;
    }
  }
  if (newAnchor < 0) return { start: Math.max(0, count - Math.min(max, WINDOW.initial)), end: count };
  const before = Math.max(0, oldAnchor - window.start);
  const after = Math.max(1, window.end - oldAnchor);
  const start = clamp(newAnchor - before, 0, count);
  const end = clamp(newAnchor + after, start, count);
  return end - start > max ? { start, end: start + max } : { start, end };
}

/** The window a freshly opened room renders: ending at the bottom, or around row `focus`. */
export function openingWindow(count, focus = null, { initial = WINDOW.initial } = {}) {
  if (focus == null || focus < 0) return { start: Math.max(0, count - initial), end: count };
  const start = clamp(focus - Math.floor(initial / 3), 0, Math.max(0, count - 1));
  return { start, end: Math.min(count, start + initial) };
}

/**
 * Which rendered row anchors the reading position: the first row of `rows` ({key, top,
 * height}, in order, tops relative to the scrolled content) whose bottom is below `scrollTop`
 * and whose key passes `eligible` (messages anchor; day separators move when pages load).
 * Returns `{key, offset}` (the row's top minus scrollTop) or null.
 */
export function pickAnchor(rows, scrollTop, eligible = () => true) {
  // Binary search for the first row whose bottom passes the top of the viewport.
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].top + rows[mid].height > scrollTop) hi = mid;
    else lo = mid + 1;
  }
  for (let i = lo; i < rows.length; i += 1) {
    if (eligible(rows[i].key)) return { key: rows[i].key, offset: rows[i].top - scrollTop };
  }
  for (let i = lo - 1; i >= 0; i -= 1) {
    if (eligible(rows[i].key)) return { key: rows[i].key, offset: rows[i].top - scrollTop };
  }
  return null;
}

/** The scrollTop that puts an anchor row whose top is now at `top` back at its `offset`. */
export function anchoredScrollTop(anchor, top, { scrollHeight = Infinity, clientHeight = 0 } = {}) {
  return clamp(top - anchor.offset, 0, Math.max(0, scrollHeight - clientHeight));
}

/** Whether the viewport is within `slack` pixels of the bottom ("reading the newest"). */
export function atBottom({ scrollHeight, scrollTop, clientHeight }, slack = 80) {
  return scrollHeight - scrollTop - clientHeight < slack;
}

/**
 * The indices of the first and last of `rows` ({top, height}) that intersect the viewport
 * `[scrollTop, scrollTop + clientHeight)`; `{first: 0, last: -1}` for no rows.
 */
export function visibleRange(rows, scrollTop, clientHeight) {
  if (rows.length === 0) return { first: 0, last: -1 };
  const bottom = scrollTop + clientHeight;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].top + rows[mid].height > scrollTop) hi = mid;
    else lo = mid + 1;
  }
  const first = Math.min(lo, rows.length - 1);
  let last = first;
  while (last + 1 < rows.length && rows[last + 1].top < bottom) last += 1;
  return { first, last };
}

function clamp(n, lo, hi) {
  return Math.min(hi, Math.max(lo, n));
}
