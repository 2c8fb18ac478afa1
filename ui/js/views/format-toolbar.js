// The composer's formatting toolbar and shortcuts: bold (Ctrl/⌘+B), italic (Ctrl/⌘+I), inline
// code (Ctrl/⌘+E), code block (Ctrl/⌘+Shift+X), quote, list and link (also by pasting an
// address over selected text). Each wraps or prefixes the selection with Markdown marks (a
// second press removes them), so what is sent is still the plain text people could have typed.
// `applyFormat` is pure; the textarea is edited through the browser's own editing, so Ctrl/⌘+Z
// undoes a format like typing.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { safeHref } from '../links.js';

const isMac = () => /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? '');

/** The formats, in toolbar order: key, icon paths, and shortcut (`mod` + key, maybe Shift). */
const FORMATS = [
  { kind: 'bold', label: 'format.bold', key: 'b', paths: ['M6 12h8a4 4 0 0 0 0-8H6z', 'M6 12h9a4 4 0 0 1 0 8H6z'] },
  { kind: 'italic', label: 'format.italic', key: 'i', paths: ['M19 4h-9', 'M14 20H5', 'M15 4 9 20'] },
  { kind: 'code', label: 'format.code', key: 'e', paths: ['M16 18l6-6-6-6', 'M8 6l-6 6 6 6'] },
  { kind: 'codeBlock', label: 'format.codeBlock', key: 'x', shift: true, paths: ['M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z', 'M10 9.5 8 12l2 2.5', 'M14 9.5l2 2.5-2 2.5'] },
  { kind: 'quote', label: 'format.quote', paths: ['M3 21c3 0 7-1 7-8V5H3v7h4', 'M14 21c3 0 7-1 7-8V5h-7v7h4'] },
  { kind: 'list', label: 'format.list', paths: ['M8 6h13', 'M8 12h13', 'M8 18h13', 'M3 6h.01', 'M3 12h.01', 'M3 18h.01'] },
  { kind: 'link', label: 'format.link', paths: ['M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7', 'M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7'] },
];

const INLINE_MARKS = { bold: '**', code: '`' };
const LINE_MARKS = { quote: '> ', list: '- ' };
const URL_LIKE = /^(https?:\/\/|mailto:)\S+$/i;
const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * `value` with the selection `start`–`end` formatted as `kind`; returns the new `{value, start,
 * end}` (the selection afterwards: the formatted text, or the caret between empty marks, or the
 * part of a link still to fill in).
 */
export function applyFormat(value, start, end, kind, { linkText = 'text' } = {}) {
  const text = String(value ?? '');
  const from = Math.max(0, Math.min(start, end, text.length));
  const to = Math.min(Math.max(start, end), text.length);
  const selected = text.slice(from, to);
  if (kind === 'code' && selected.includes('\n')) return applyFormat(text, from, to, 'codeBlock');
  if (kind === 'italic') {
    // Already in single stars (not a bold's double ones): take them off.
    if (text[from - 1] === '*' && text[to] === '*' && text[from - 2] !== '*' && text[to + 1] !== '*') return wrapInline(text, from, to, '*');
    // `_` does not work inside a word (snake_case stays as typed, as does Chinese text): `*` does.
    const inWord = WORD_CHAR.test(text[from - 1] ?? '') || WORD_CHAR.test(text[to] ?? '');
    return wrapInline(text, from, to, inWord ? '*' : '_');
  }
  if (INLINE_MARKS[kind]) return wrapInline(text, from, to, INLINE_MARKS[kind]);
  if (LINE_MARKS[kind]) return prefixLines(text, from, to, LINE_MARKS[kind]);
  if (kind === 'codeBlock') {
    const before = from > 0 && text[from - 1] !== '\n' ? '\n' : '';
    const after = to < text.length && text[to] !== '\n' ? '\n' : '';
    const open = `${before}\`\`\`\n`;
    return replace(text, from, to, `${open}${selected}\n\`\`\`${after}`, from + open.length, from + open.length + selected.length);
  }
  if (kind === 'link') {
    if (URL_LIKE.test(selected)) {
      const label = linkText;
      return replace(text, from, to, `[${label}](${selected})`, from + 1, from + 1 + label.length);
    }
    const label = selected || linkText;
    const url = 'https://';
    const at = from + label.length + 3;
    return replace(text, from, to, `[${label}](${url})`, at, at + url.length);
  }
  return { value: text, start: from, end: to };
}

function replace(text, from, to, insert, start, end) {
  return { value: text.slice(0, from) + insert + text.slice(to), start, end };
}

/** Wraps the selection in `mark`, or unwraps it when the marks are already there. */
function wrapInline(text, from, to, mark) {
  const n = mark.length;
  const selected = text.slice(from, to);
  if (text.slice(from - n, from) === mark && text.slice(to, to + n) === mark && from >= n) {
    return replace(text, from - n, to + n, selected, from - n, to - n);
  }
  if (selected.length >= 2 * n && selected.startsWith(mark) && selected.endsWith(mark)) {
    const inner = selected.slice(n, -n);
    return replace(text, from, to, inner, from, from + inner.length);
  }
  // Spaces at the edges stay outside the marks (`** bold **` would not be bold).
  const lead = selected.length - selected.trimStart().length;
  const trail = selected.length - selected.trimEnd().length;
  const core = selected.trim();
  if (!core && selected) return { value: text, start: from, end: to };
  const inner = from + lead;
  return replace(text, inner, to - trail, `${mark}${core}${mark}`, inner + n, inner + n + core.length);
}

/** Puts `mark` before each line the selection touches, or takes it off when all have it. */
function prefixLines(text, from, to, mark) {
  const lineStart = text.lastIndexOf('\n', from - 1) + 1;
  let lineEnd = text.indexOf('\n', to > from && text[to - 1] === '\n' ? to - 1 : to);
  if (lineEnd < 0) lineEnd = text.length;
  const lines = text.slice(lineStart, lineEnd).split('\n');
  const bare = mark.trimEnd();
  const all = lines.every((line) => line.startsWith(bare));
  const next = lines.map((line) => (all ? line.slice(line.startsWith(mark) ? mark.length : bare.length) : mark + line)).join('\n');
  const value = text.slice(0, lineStart) + next + text.slice(lineEnd);
  if (from === to && !all) return { value, start: from + mark.length, end: from + mark.length };
  return { value, start: lineStart, end: lineStart + next.length };
}

function svgIcon(paths) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon');
  for (const d of paths) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** The shortcut of `format` as shown (`Ctrl+B`, `⌘+Shift+X`), or null. */
function shortcutText(format) {
  if (!format.key) return null;
  return `${isMac() ? '⌘' : 'Ctrl'}+${format.shift ? 'Shift+' : ''}${format.key.toUpperCase()}`;
}

/** The shortcuts, for the list of keyboard shortcuts: `[[keys, what it does], …]`. */
export function formatShortcuts() {
  return FORMATS.filter((f) => f.key).map((f) => [shortcutText(f).replace(/\+/g, ' + '), t(f.label)]);
}

/** Applies `kind` to `textarea`'s selection as an edit of the browser's (undoable, fires `input`). */
function format(textarea, kind) {
  const before = textarea.value;
  const next = applyFormat(before, textarea.selectionStart ?? before.length, textarea.selectionEnd ?? before.length, kind, { linkText: t('format.linkText') });
  textarea.focus();
  if (next.value !== before) edit(textarea, before, next.value);
  textarea.setSelectionRange(next.start, next.end);
}

/** Replaces only what changed between `before` and `after`. */
function edit(textarea, before, after) {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head += 1;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail += 1;
  const insert = after.slice(head, after.length - tail);
  textarea.setSelectionRange(head, before.length - tail);
  let done = false;
  try {
    done = document.execCommand(insert ? 'insertText' : 'delete', false, insert);
  } catch {
    done = false;
  }
  if (!done || textarea.value !== after) {
    textarea.value = after;
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

/**
 * `value` with the selection `start`–`end` made a link to `pasted`, when that is one http(s) or
 * mailto address and the selection is a label (not empty, one line, not an address itself);
 * else null.
 */
export function pasteAsLink(value, start, end, pasted) {
  const text = String(value ?? '');
  const url = String(pasted ?? '').trim();
  const label = text.slice(start, end);
  if (start >= end || !url || /\s/.test(url) || label.includes('\n') || safeHref(label.trim())) return null;
  const href = safeHref(url);
  if (!href) return null;
  // Brackets would end the link's address early.
  const dest = href.replace(/\(/g, '%28').replace(/\)/g, '%29');
  const insert = `[${label}](${dest})`;
  const caret = start + insert.length;
  return { value: text.slice(0, start) + insert + text.slice(end), start: caret, end: caret };
}

/**
 * The formatting shortcuts (Ctrl/⌘+B, I, E, Shift+X) in `textarea` — the composer's, or the box
 * editing a message — and pasting an address over selected text to link it. Returns a function
 * that removes them.
 */
export function installFormatShortcuts(textarea) {
  const onKeyDown = (event) => {
    // Never while an input method is composing (Chinese input).
    if (event.isComposing || event.keyCode === 229 || event.altKey) return;
    const mod = isMac() ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
    if (!mod) return;
    const key = event.key.toLowerCase();
    const found = FORMATS.find((f) => f.key && (f.key === key || (f.shift && event.code === `Key${f.key.toUpperCase()}`)) && Boolean(f.shift) === event.shiftKey);
    if (!found) return;
    event.preventDefault();
    format(textarea, found.kind);
  };
  const onPaste = (event) => {
    const before = textarea.value;
    const next = pasteAsLink(before, textarea.selectionStart, textarea.selectionEnd, event.clipboardData?.getData('text/plain'));
    if (!next) return;
    event.preventDefault();
    edit(textarea, before, next.value);
    textarea.setSelectionRange(next.start, next.end);
  };
  textarea.addEventListener('keydown', onKeyDown);
  textarea.addEventListener('paste', onPaste);
  return () => {
    textarea.removeEventListener('keydown', onKeyDown);
    textarea.removeEventListener('paste', onPaste);
  };
}

/**
 * The toolbar for `textarea`, and its shortcuts. Returns `{el, destroy}`. The toolbar is one
 * tab stop; arrow keys move between its buttons.
 */
export function createFormatToolbar(textarea) {
  const buttons = FORMATS.map((f) => {
    const keys = shortcutText(f);
    const label = t(f.label);
    return h(
      'button',
      {
        type: 'button',
        class: `icon-btn fmt-${f.kind}`,
        'aria-label': label,
        title: keys ? `${label} (${keys})` : label,
        'aria-keyshortcuts': keys ? keys.replace('⌘', 'Meta').replace('Ctrl', 'Control') : null,
        tabindex: f === FORMATS[0] ? '0' : '-1',
        'data-format': f.kind,
        // Keeps the selection in the textarea: a click must not move focus before it is read.
        onmousedown: (event) => event.preventDefault(),
        onclick: () => format(textarea, f.kind),
      },
      svgIcon(f.paths),
    );
  });
  const el = h('div', { class: 'format-toolbar', role: 'toolbar', 'aria-label': t('format.toolbar'), 'aria-controls': textarea.id || null }, buttons);
  el.addEventListener('keydown', (event) => {
    const at = buttons.indexOf(event.target);
    if (at < 0) return;
    let to = null;
    if (event.key === 'ArrowRight') to = (at + 1) % buttons.length;
    else if (event.key === 'ArrowLeft') to = (at - 1 + buttons.length) % buttons.length;
    else if (event.key === 'Home') to = 0;
    else if (event.key === 'End') to = buttons.length - 1;
    if (to === null) return;
    event.preventDefault();
    for (const [i, b] of buttons.entries()) b.tabIndex = i === to ? 0 : -1;
    buttons[to].focus();
  });
  const destroy = installFormatShortcuts(textarea);
  return { el, destroy };
}
