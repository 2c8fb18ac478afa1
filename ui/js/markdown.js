// Message text as Markdown. Content stays plain text on the wire; here it is parsed with
// markdown-it (vendored, see js/vendor/) into tokens, and the DOM is built from the tokens with
// `h()` and text nodes — never HTML — so nothing a sender types can become markup or script.
// Only a chat-sized subset is parsed: bold, italic, strikethrough, inline code, fenced code
// blocks (highlighted by highlight.js), quotes, lists, headings (drawn as bold paragraphs, no
// larger than the text), links to http(s)/mailto and line breaks. Raw HTML, images, tables,
// rules and reference definitions are not parsed, so they stay visible as they were typed.

import markdownit from './vendor/markdown-it.js';
import { h, icon } from './dom.js';
import { t } from './i18n.js';
import { safeHref, splitLinks, linkifiedFragment } from './links.js';
import { highlight } from './highlight.js';

/**
 * How deep quotes and lists may nest. Past it markdown-it stops reading the block (it drops the
 * rest), so a message that deep is shown as typed instead (see `parse`).
 */
const MAX_NESTING = 20;

// A language name shown on a code block; anything else is not shown.
const LANGUAGE = /^[\w+#.-]{1,24}$/;

const md = markdownit('zero', { html: false, linkify: false, typographer: false, breaks: true, maxNesting: MAX_NESTING });
md.enable(['blockquote', 'fence', 'list', 'heading', 'newline', 'escape', 'backticks', 'strikethrough', 'emphasis', 'link', 'autolink']);
// A `[label](url)` to anything but http(s)/mailto is not a link at all: it stays as typed.
md.validateLink = (url) => safeHref(url) !== null;
md.inline.ruler.after('text', 'bare_address', bareAddress);

const SCHEME_BEFORE = /(?:https?|mailto)$/i;
// An address runs to a space, or to a `]` that may close a link's label around it.
const ADDRESS_RUN = /[^\s\]]{1,2048}/y;

/**
 * Keeps a bare address whole: at the `:` after `http`, `https` or `mailto`, the address (as
 * links.js finds it) is taken as text, so `*` or `_` in it cannot start emphasis. The text is
 * linkified when drawn, as before.
 */
function bareAddress(state, silent) {
  const { src, pos } = state;
  if (src.charCodeAt(pos) !== 0x3a) return false;
  // Read from the source, not `state.pending`: slicing that long concatenated string would
  // flatten it at every `:`, which is quadratic.
  const scheme = SCHEME_BEFORE.exec(src.slice(Math.max(0, pos - 6), pos));
  if (!scheme) return false;
  if (scheme[0].toLowerCase() !== 'mailto' && !src.startsWith('//', pos + 1)) return false;
  const start = pos - scheme[0].length;
  ADDRESS_RUN.lastIndex = start;
  const word = ADDRESS_RUN.exec(src);
  const first = word ? splitLinks(word[0])[0] : null;
  if (!first || first.type !== 'link' || first.text.length <= scheme[0].length + 1) return false;
  const end = start + first.text.length;
  if (!silent) state.pending += src.slice(pos, end);
  state.pos = end;
  return true;
}

const MARKDOWN_HINT = /[*_~`[\]<>#\\\r\0]|^(?:[-+]|\d{1,9}[.)])(?:[ \t]|$)|^\s|\s$/m;

/**
 * Whether `content` may hold Markdown: a mark character, a list or quote starting a line, a
 * blank line, spaces at a line's edge (where the parser would drop them), or characters the
 * parser normalizes. Most chat messages hold none of these; they are one paragraph of text, so
 * they skip the parser and draw the same as it would draw them (tests/unit/markdown.test.js).
 */
export function mayHoldMarkdown(content) {
  return MARKDOWN_HINT.test(content);
}

/** The block tokens of `content`, or null when it nests too deep to be shown formatted. */
function parse(content) {
  const tokens = md.parse(String(content ?? ''), {});
  const truncated = tokens.some((token) => token.nesting === 1 && token.level >= MAX_NESTING - 1);
  return truncated ? null : tokens;
}

/**
 * A fragment of block elements (paragraphs, quotes, lists, code blocks) for `content`. Bare
 * addresses become links as in links.js; mentions stay text. Never throws on any input.
 */
export function renderMarkdown(content) {
  const text = String(content ?? '');
  if (text && !mayHoldMarkdown(text)) {
    const fragment = document.createDocumentFragment();
    fragment.append(h('p', {}, linkifiedFragment(text)));
    return fragment;
  }
  return renderParsed(text);
}

/** `renderMarkdown` always through the parser (the tests compare its shortcut with this). */
export function renderParsed(content) {
  const fragment = document.createDocumentFragment();
  const tokens = parse(content);
  if (!tokens) {
    fragment.append(h('p', {}, linkifiedFragment(String(content ?? ''))));
    return fragment;
  }
  // The element each open token appended to; a closing token pops it. Built with a stack, not
  // recursion, so no depth of nesting can overflow the call stack.
  const stack = [fragment];
  const top = () => stack[stack.length - 1];
  const open = (el) => {
    top().append(el);
    stack.push(el);
  };
  for (const token of tokens) {
    // Every opening token pushed exactly one element, so every closing one pops one.
    if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    switch (token.type) {
      case 'paragraph_open':
        // Tight list items hold their text without a paragraph.
        if (token.hidden) stack.push(top());
        else open(h('p'));
        break;
      case 'heading_open': {
        const strong = h('strong');
        top().append(h('p', { class: 'md-heading' }, strong));
        stack.push(strong);
        break;
      }
      case 'blockquote_open':
        open(h('blockquote'));
        break;
      case 'bullet_list_open':
        open(h('ul'));
        break;
      case 'ordered_list_open':
        open(h('ol', { start: listStart(token) }));
        break;
      case 'list_item_open':
        open(h('li'));
        break;
      case 'fence':
      case 'code_block':
        // A fence with nothing in it (a message of only backticks) shows what was typed.
        if (token.content === '') top().append(h('p', {}, `${token.markup ?? ''}${token.info ?? ''}`));
        else top().append(codeBlock(token.content, token.info));
        break;
      case 'inline':
        renderInline(token.children ?? [], top());
        break;
      default:
        // Nothing else is enabled; should a token appear anyway, its text is shown as text.
        if (token.nesting === 1) open(h('div'));
        else if (token.content) top().append(document.createTextNode(token.content));
    }
  }
  return fragment;
}

/** An ordered list's first number, when it is not 1 (and is a sane number). */
function listStart(token) {
  const raw = token.attrGet('start');
  if (raw == null) return null;
  const start = Number(raw);
  return Number.isInteger(start) && start >= 0 && start !== 1 && start < 1e9 ? String(start) : null;
}

function renderInline(children, parent) {
  const stack = [parent];
  let inLink = 0;
  const top = () => stack[stack.length - 1];
  const open = (el) => {
    top().append(el);
    stack.push(el);
  };
  for (const token of children) {
    if (token.nesting === -1) {
      if (token.type === 'link_close') inLink -= 1;
      if (stack.length > 1) stack.pop();
      continue;
    }
    switch (token.type) {
      case 'text':
        // Inside a link the label is text; elsewhere bare addresses become links as before.
        top().append(inLink ? document.createTextNode(token.content) : linkifiedFragment(token.content));
        break;
      case 'code_inline':
        top().append(h('code', { class: 'md-code', text: token.content }));
        break;
      case 'softbreak':
        // Message text keeps its line breaks (white-space: pre-wrap), and copies with them.
        top().append(document.createTextNode('\n'));
        break;
      case 'hardbreak':
        top().append(h('br'));
        break;
      case 'em_open':
        open(h('em'));
        break;
      case 'strong_open':
        open(h('strong'));
        break;
      case 's_open':
        open(h('s'));
        break;
      case 'link_open':
        inLink += 1;
        open(link(token.attrGet('href')));
        break;
      default:
        if (token.nesting === 1) open(h('span'));
        else if (token.content) top().append(document.createTextNode(token.content));
    }
  }
}

/** An anchor to `raw` if it is an http(s)/mailto address, its real destination on hover. */
function link(raw) {
  const href = safeHref(raw ?? '');
  if (!href) return h('span');
  return h('a', { href, title: href, rel: 'noopener noreferrer', target: href.startsWith('mailto:') ? null : '_blank' });
}

/**
 * A fenced code block: monospace, scrolling sideways, highlighted when its language is one
 * highlight.js knows, with a button that copies its text.
 */
function codeBlock(content, info) {
  const text = content.endsWith('\n') ? content.slice(0, -1) : content;
  const lang = String(info ?? '').trim().split(/\s+/)[0];
  // Highlighted as text in spans whose class is one of highlight.js's few token types.
  const code = h('code', {}, highlight(text, lang).map((part) => (part.type === 'text' ? part.text : h('span', { class: `hl-${part.type}`, text: part.text }))));
  const label = t('md.copyCode');
  const button = h('button', { type: 'button', class: 'icon-btn md-copy', 'aria-label': label, title: label }, icon('copy'));
  button.addEventListener('click', () => copyCode(text, code, button));
  return h(
    'div',
    { class: 'md-codeblock' },
    LANGUAGE.test(lang) ? h('span', { class: 'md-code-lang', text: lang }) : null,
    // Focusable, so a long line can be scrolled to from the keyboard.
    h('pre', { class: 'md-pre', tabindex: '0' }, code),
    button,
  );
}

/**
 * Copies a code block's text. Where the clipboard API is unavailable (a server reached over
 * plain http on the LAN is not a secure context) the text is selected and copied the old way,
 * and stays selected so Ctrl/⌘+C works whatever happens.
 */
async function copyCode(text, codeEl, button) {
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    const selection = globalThis.getSelection?.();
    if (selection) {
      selection.selectAllChildren(codeEl);
      try {
        copied = document.execCommand('copy');
      } catch {
        copied = false;
      }
    }
  }
  if (!copied) return;
  const label = t('md.copied');
  button.classList.add('copied');
  button.setAttribute('aria-label', label);
  button.title = label;
  button.replaceChildren(icon('check'));
  setTimeout(() => {
    button.classList.remove('copied');
    button.setAttribute('aria-label', t('md.copyCode'));
    button.title = t('md.copyCode');
    button.replaceChildren(icon('copy'));
  }, 2000);
}

/**
 * `content` as one line of plain text, without Markdown marks: for notifications, previews and
 * excerpts. A link keeps its label; code keeps its text.
 */
export function plainText(content) {
  const text = String(content ?? '');
  if (!mayHoldMarkdown(text)) return oneLine(text);
  const tokens = parse(text);
  if (!tokens) return oneLine(String(content ?? ''));
  const parts = [];
  for (const token of tokens) {
    if (token.type === 'inline') {
      for (const child of token.children ?? []) {
        if (child.type === 'text' || child.type === 'code_inline') parts.push(child.content);
        else if (child.type === 'softbreak' || child.type === 'hardbreak') parts.push(' ');
      }
    } else if (token.type === 'fence' || token.type === 'code_block') {
      parts.push(' ', token.content || `${token.markup ?? ''}${token.info ?? ''}`, ' ');
    } else if (token.block) {
      parts.push(' ');
    }
  }
  return oneLine(parts.join(''));
}

function oneLine(text) {
  return text.replace(/\s+/g, ' ').trim();
}
