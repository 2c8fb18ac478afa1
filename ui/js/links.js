// Link detection in message text. Only http:, https: and mailto: addresses become links; every
// other part of a message stays plain text. Splitting is pure (testable without a DOM); the one
// DOM helper builds text nodes and anchors, never HTML.

/** The only URL schemes that may become clickable. */
export const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

// A candidate runs from the scheme to the first space, quote, angle bracket or CJK/full-width
// punctuation (Chinese text often follows a link without a space).
const CANDIDATE = /(?:https?:\/\/|mailto:)[^\s<>"'`\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+/gi;
const TRAILING = '.,;:!?\'"]}>*';
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;

function count(text, ch) {
  let n = 0;
  for (const c of text) if (c === ch) n += 1;
  return n;
}

/** Drops sentence punctuation that follows a link, keeping balanced parentheses. */
function trimTrailing(url) {
  let end = url.length;
  while (end > 0) {
    const c = url[end - 1];
    if (c === ')') {
      const part = url.slice(0, end);
      if (count(part, '(') >= count(part, ')')) break;
      end -= 1;
    } else if (TRAILING.includes(c)) {
      end -= 1;
    } else {
      break;
    }
  }
  return url.slice(0, end);
}

/**
 * The normalized href for `raw` if it is a well-formed http(s) URL with a host or a mailto: URL
 * with an address; otherwise null. Anything else (javascript:, data:, …) is refused.
 */
export function safeHref(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol === 'mailto:') return url.pathname.length > 0 ? url.href : null;
  return url.hostname ? url.href : null;
}

/**
 * Splits `text` into `{type: 'text', text}` and `{type: 'link', text, href}` segments whose texts
 * concatenate back to `text` exactly.
 */
export function splitLinks(text) {
  const segments = [];
  let last = 0;
  const pushText = (t) => {
    if (!t) return;
    const prev = segments[segments.length - 1];
    if (prev && prev.type === 'text') prev.text += t;
    else segments.push({ type: 'text', text: t });
  };
  for (const match of text.matchAll(CANDIDATE)) {
    // A scheme glued to a preceding Latin letter ("xhttps://") does not start a link. (Checked
    // here rather than with a lookbehind, which older WebKit webviews cannot parse.)
    if (match.index > 0 && SCHEME_CHAR.test(text[match.index - 1])) continue;
    const candidate = trimTrailing(match[0]);
    const href = candidate ? safeHref(candidate) : null;
    if (!href) continue;
    pushText(text.slice(last, match.index));
    segments.push({ type: 'link', text: candidate, href });
    last = match.index + candidate.length;
  }
  pushText(text.slice(last));
  return segments;
}

/** A fragment of text nodes and safe anchors for `text`, opened with noopener noreferrer. */
export function linkifiedFragment(text, doc = document) {
  const fragment = doc.createDocumentFragment();
  for (const segment of splitLinks(text)) {
    if (segment.type === 'text') {
      fragment.append(doc.createTextNode(segment.text));
      continue;
    }
    const a = doc.createElement('a');
    a.href = segment.href;
    a.textContent = segment.text;
    a.rel = 'noopener noreferrer';
    if (!segment.href.startsWith('mailto:')) a.target = '_blank';
    fragment.append(a);
  }
  return fragment;
}
