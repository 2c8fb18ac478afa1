// Fuzzy matching for the quick switcher: a query matches a name when its characters appear in
// order (any script: 设计 finds 产品设计组, "gnrl" finds general), scored so that prefixes,
// word starts and contiguous runs rank first. Case- and width-insensitive (NFKC).

function fold(text) {
  return [...String(text).normalize('NFKC').toLowerCase()];
}

const isBoundary = (prev) => prev === undefined || /[\s\-_./#@·,，。]/u.test(prev);

/**
 * The score of `name` for `query` (higher is better), or null when it does not match. An empty
 * query matches everything with score 0.
 */
export function fuzzyScore(query, name) {
  const q = fold(query).filter((ch) => !/\s/u.test(ch));
  if (q.length === 0) return 0;
  const n = fold(name);
  // Greedy left-to-right, preferring a word start or a contiguous run at each step.
  let score = 0;
  let from = 0;
  let previous = -2;
  for (const ch of q) {
    let at = -1;
    for (let i = from; i < n.length; i += 1) {
      if (n[i] !== ch) continue;
      if (at < 0) at = i;
      if (i === previous + 1 || isBoundary(n[i - 1])) {
        at = i;
        break;
      }
    }
    if (at < 0) return null;
    score += 1;
    if (at === previous + 1) score += 5;
    if (isBoundary(n[at - 1])) score += 2;
    if (at === 0) score += 4;
    previous = at;
    from = at + 1;
  }
  // Shorter names with the same letters are closer.
  return score - n.length * 0.01;
}

/** `items` that match `query`, best first (ties keep their order). `nameOf(item)` gives the text. */
export function fuzzyFilter(items, query, nameOf = (item) => item.name) {
  const scored = [];
  items.forEach((item, index) => {
    const score = fuzzyScore(query, nameOf(item));
    if (score !== null) scored.push({ item, score, index });
  });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.map((s) => s.item);
}
