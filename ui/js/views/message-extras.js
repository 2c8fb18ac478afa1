// What a message shows besides its text: the quote it replies to (a click jumps to the
// original), its reaction chips (a click toggles mine; the title says who), its thread's
// summary ("3 replies · last reply 5 minutes ago"), its pin mark, and its actions (react,
// reply, reply in thread, copy link, pin, edit, delete), reachable by mouse, touch and keyboard.

import { h, icon } from '../dom.js';
import { t, language } from '../i18n.js';
import { formatRelative } from '../format.js';
import { QUICK_REACTIONS, hasReacted, reactorNames } from '../conversations.js';
import { createEmojiPicker } from './emoji-picker.js';

/** What of these parts, when changed, makes the row be drawn again. */
export function extrasSignature(message, meId) {
  const reactions = (message.reactions ?? []).map((r) => `${r.emoji}:${r.count}:${r.user_ids.includes(meId) ? 1 : 0}`).join(',');
  const quote = message.reply_to ? `${message.reply_to.id}:${message.reply_to.is_deleted ? 'x' : message.reply_to.excerpt}` : '';
  const thread = message.thread ? `${message.thread.reply_count}:${message.thread.last_reply_at}` : '';
  return `${reactions}|${quote}|${thread}|${message.is_pinned ? 1 : 0}`;
}

/** The quoted message above a reply's text; a click shows the original. */
export function replyQuote(message, onJump) {
  const quote = message.reply_to;
  if (!quote) return null;
  if (quote.is_deleted) {
    return h('div', { class: 'reply-quote reply-quote-deleted' }, icon('reply'), h('span', { text: t('reply.deleted') }));
  }
  return h(
    'button',
    { type: 'button', class: 'reply-quote', tabindex: '-1', title: t('reply.jump'), 'data-reply-to': quote.id, onclick: () => onJump(quote.id) },
    icon('reply'),
    h('bdi', { class: 'reply-quote-author', dir: 'auto', text: quote.username ?? '?' }),
    h('span', { class: 'reply-quote-text', dir: 'auto', text: quote.excerpt }),
  );
}

/** The reaction chips under a message, or null without reactions. */
export function reactionChips(message, { meId, namesById, onToggle }) {
  const reactions = message.reactions ?? [];
  if (reactions.length === 0 || message.is_deleted) return null;
  return h(
    'div',
    { class: 'reactions', role: 'group', 'aria-label': t('react.list') },
    ...reactions.map((r) => {
      const mine = r.user_ids.includes(meId);
      const who = reactorNames(r, namesById, meId, t('msg.you')).join(', ');
      return h(
        'button',
        {
          type: 'button',
          class: `reaction-chip${mine ? ' mine' : ''}`,
          tabindex: '-1',
          'aria-pressed': mine ? 'true' : 'false',
          'data-emoji': r.emoji,
          title: t('react.who', { emoji: r.emoji, who }),
          'aria-label': t('react.chip', { emoji: r.emoji, n: r.count }),
          onclick: () => onToggle(r.emoji),
        },
        h('span', { class: 'reaction-emoji', text: r.emoji }),
        h('span', { class: 'reaction-count', text: String(r.count) }),
      );
    }),
  );
}

/** "N replies · last reply 5 minutes ago" under a thread's root, opening the thread. */
export function threadLine(message, onOpen, now = new Date()) {
  const thread = message.thread;
  if (!thread || thread.reply_count <= 0) return null;
  const when = formatRelative(thread.last_reply_at, language(), now, t('thread.justNow'));
  return h(
    'button',
    { type: 'button', class: 'thread-line', tabindex: '-1', 'data-thread-root': message.id, onclick: onOpen },
    icon('thread'),
    h('span', { class: 'thread-count', text: t('thread.replies', { n: thread.reply_count }) }),
    h('span', { class: 'thread-last', text: t('thread.lastReply', { when }) }),
  );
}

/** Under a thread reply also sent to the room: "Replied in a thread", opening it. */
export function threadReplyNote(message, onOpen) {
  return h(
    'button',
    { type: 'button', class: 'thread-line thread-reply-note', tabindex: '-1', 'data-thread-root': message.thread_id, onclick: onOpen },
    icon('thread'),
    h('span', { class: 'thread-last', text: t('thread.repliedIn') }),
  );
}

/** The pin mark beside a pinned message's time. */
export function pinMark(message) {
  return message.is_pinned ? h('span', { class: 'pin-mark', title: t('msg.isPinned'), 'aria-label': t('msg.isPinned') }, icon('pin')) : null;
}

/**
 * The action bar of a message. `on`: {react(emoji), reply, thread, copyLink, pin, edit?,
 * remove?} — edit and remove only for what the reader may change. `inThread`: a row of the
 * thread panel (no "reply in thread" there).
 */
export function messageActions(message, { meId, on, inThread = false }) {
  if (message.is_deleted) return null;
  const button = (name, label, onclick, extra = {}) =>
    h('button', { type: 'button', class: 'icon-btn', tabindex: '-1', 'aria-label': label, title: label, 'data-action': name, onclick, ...extra }, icon(name === 'edit' ? 'edit' : name === 'delete' ? 'trash' : name));
  const quick = QUICK_REACTIONS.slice(0, 3).map((emoji) =>
    h('button', {
      type: 'button',
      class: `icon-btn quick-reaction${hasReacted(message, emoji, meId) ? ' mine' : ''}`,
      tabindex: '-1',
      'data-emoji': emoji,
      'aria-label': t('react.with', { emoji }),
      title: t('react.with', { emoji }),
      onclick: () => on.react(emoji),
      text: emoji,
    }),
  );
  const more = button('smilePlus', t('react.more'), (event) => openPicker(event.currentTarget, on.react), { 'aria-haspopup': 'dialog' });
  return h(
    'div',
    { class: 'msg-actions', role: 'group', 'aria-label': t('msg.actions') },
    ...quick,
    more,
    button('reply', t('msg.reply'), on.reply),
    inThread ? null : button('thread', t('msg.replyInThread'), on.thread),
    button('link', t('msg.copyLink'), on.copyLink),
    button('pin', message.is_pinned ? t('msg.unpin') : t('msg.pin'), on.pin, { 'aria-pressed': message.is_pinned ? 'true' : 'false' }),
    on.edit ? button('edit', t('msg.edit'), on.edit) : null,
    on.remove ? button('delete', t('msg.delete'), on.remove) : null,
  );
}

/**
 * Adds `build()`'s action bar to `row` the first time a pointer, focus or touch reaches it:
 * a bar per rendered message would multiply the timeline's elements several times over.
 */
export function withLazyActions(row, build) {
  const ensure = () => {
    if (row.querySelector(':scope > .msg-actions')) return;
    const bar = build();
    if (bar) row.append(bar);
  };
  // Before the list's own focus handling (which makes the actions tab stops) sees the event.
  for (const type of ['pointermove', 'pointerdown', 'focusin', 'contextmenu']) row.addEventListener(type, ensure);
}

/**
 * Runs `redraw()` (which may replace rows of `container`) and, if that took away the focused
 * control of a message, focuses the same control of its new row: reacting or pinning from the
 * keyboard redraws the message, and focus must not fall back to the page.
 */
export function keepingFocus(container, redraw) {
  const active = document.activeElement;
  const row = active && container.contains(active) ? active.closest('[data-key]') : null;
  const key = row?.dataset.key;
  const control = active?.dataset?.action ? `[data-action="${CSS.escape(active.dataset.action)}"]` : active?.dataset?.emoji ? `.${active.classList.contains('reaction-chip') ? 'reaction-chip' : 'quick-reaction'}[data-emoji="${CSS.escape(active.dataset.emoji)}"]` : null;
  redraw();
  // Only a control: a row redrawn under focus is the list's own business (jumps place focus).
  if (!key || !control || active.isConnected) return;
  const fresh = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!fresh) return;
  // The bar is built on focus: focusing the row first builds it and makes its buttons tab stops.
  fresh.focus({ preventScroll: true });
  const again = control ? fresh.querySelector(control) : null;
  again?.focus({ preventScroll: true });
}

/** The full emoji picker as a popover beside `anchor`; the picked emoji is a reaction. */
function openPicker(anchor, onPick) {
  document.querySelector('.reaction-picker')?.remove();
  let picker;
  const close = (returnFocus) => {
    wrap.remove();
    document.removeEventListener('mousedown', outside, true);
    if (returnFocus) anchor.focus();
  };
  const outside = (event) => {
    if (!wrap.contains(event.target)) close(false);
  };
  picker = createEmojiPicker({
    onPick: (emoji) => {
      close(true);
      onPick(emoji);
    },
    onClose: () => close(true),
  });
  const wrap = h('div', { class: 'reaction-picker' }, picker.el);
  picker.el.removeAttribute('id');
  const box = anchor.getBoundingClientRect();
  wrap.style.top = `${Math.max(8, Math.min(box.bottom + 4, window.innerHeight - 380))}px`;
  wrap.style.left = `${Math.max(8, Math.min(box.right - 320, window.innerWidth - 330))}px`;
  document.body.append(wrap);
  picker.open();
  document.addEventListener('mousedown', outside, true);
}
