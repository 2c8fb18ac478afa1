// Pure helpers of message search: the text of a result split at its highlights, and the
// `from:` / `in:` filter being typed at the caret with what it could complete to.

/**
 * `content` cut into `{text, hit}` parts at `highlights` (`[start, end)` ranges in code points,
 * as the server counts them), in order.
 */
export function highlightParts(content, highlights = []) {
  const chars = Array.from(content ?? '');
  const parts = [];
  let at = 0;
  for (const [start, end] of highlights) {
    const s = Math.max(at, Math.min(start, chars.length));
    const e = Math.max(s, Math.min(end, chars.length));
    if (s > at) parts.push({ text: chars.slice(at, s).join(''), hit: false });
    if (e > s) parts.push({ text: chars.slice(s, e).join(''), hit: true });
    at = e;
  }
  if (at < chars.length) parts.push({ text: chars.slice(at).join(''), hit: false });
  return parts;
}

const FILTERS = ['from:', 'in:', 'has:', 'is:', 'before:', 'after:', 'on:'];
const HAS = ['file', 'image', 'link'];
const IS = ['pinned'];

/**
 * The filter word ending at `caret` in `value` and what it could become: `{start, end, items:
 * [{label, insert}]}`, or null when the word there is not a filter being typed. `people` are
 * names, `rooms` room names.
 */
export function filterSuggestions(value, caret, { people = [], rooms = [] } = {}) {
  const before = value.slice(0, caret);
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  const end = caret + (value.slice(caret).match(/^\S*/)?.[0].length ?? 0);
  if (!word) return null;
  const lower = word.toLowerCase();
  const pick = (key, names, wrap) => {
    const typed = word.slice(key.length).replace(/^[@#"]/, '').toLowerCase();
    const items = names
      .filter((name) => name.toLowerCase().startsWith(typed))
      .slice(0, 8)
      .map((name) => ({ label: `${key}${name}`, insert: `${key}${wrap(name)} ` }));
    return items.length ? { start, end, items } : null;
  };
  const quote = (name) => (/\s/.test(name) ? `"${name}"` : name);
  if (lower.startsWith('from:')) return pick('from:', people, quote);
  if (lower.startsWith('in:')) return pick('in:', rooms, quote);
  if (lower.startsWith('has:')) return pick('has:', HAS, (x) => x);
  if (lower.startsWith('is:')) return pick('is:', IS, (x) => x);
  const keys = FILTERS.filter((f) => f.startsWith(lower) && f !== lower);
  return keys.length && !word.includes(':') ? { start, end, items: keys.map((k) => ({ label: k, insert: k })) } : null;
}

/** `value` with `suggestion` put in place of the word it completes; and where the caret goes. */
export function applySuggestion(value, { start, end }, insert) {
  const next = value.slice(0, start) + insert + value.slice(end);
  return { value: next, caret: start + insert.length };
}
