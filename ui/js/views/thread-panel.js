// The thread panel on the right: a thread's root, its replies (drawn by the same row renderer
// as the timeline) and a composer of its own, with "also send to the room". Full screen on
// narrow windows. Escape or the close button closes it.

import { h, icon, reconcile } from '../dom.js';
import { t } from '../i18n.js';
import { createRowViews, autosize } from './message-rows.js';
import { createAttachmentViews } from './attachments.js';
import { keepingFocus } from './message-extras.js';
import { isolate } from '../bidi.js';
import { roomTitle } from '../state.js';

export function createThreadPanel({ actions }) {
  let state = null;
  let editing = null;
  const body = h('div', { class: 'thread-body' });
  const attachments = createAttachmentViews({
    fetchFile: (url, options) => actions.fetchFile(url, options),
    saveFile: (blob, name) => actions.saveFile(blob, name),
    downloadFile: (url, name, options) => actions.downloadFile(url, name, options),
    scroller: body,
  });
  const rows = createRowViews({
    actions,
    attachments,
    inThread: true,
    current: () => ({ state, editing, focusId: null }),
    startEditing: (id) => {
      editing = id;
      render(true);
    },
    stopEditing: () => {
      editing = null;
      render(true);
    },
  });

  const title = h('h2', { class: 'thread-title', id: 'thread-title', text: t('thread.title') });
  const where = h('p', { class: 'thread-where' });
  const close = h('button', { type: 'button', class: 'icon-btn', 'data-testid': 'close-thread', 'aria-label': t('thread.close'), title: t('thread.close'), onclick: () => actions.closeThread() }, icon('close'));
  const rootEl = h('div', { class: 'thread-root message-rows' });
  const count = h('p', { class: 'thread-count-divider', role: 'separator' });
  // A live region only while open: the timeline's stays the one log of a closed panel.
  const list = h('div', { class: 'thread-replies message-rows', 'aria-relevant': 'additions' });
  const status = h('p', { class: 'muted thread-status' });
  body.append(rootEl, count, status, list);
  const input = h('textarea', { class: 'thread-input', rows: 1, 'aria-label': t('thread.label'), placeholder: t('thread.placeholder'), maxlength: 4000, enterkeyhint: 'send' });
  const also = h('input', { type: 'checkbox', class: 'thread-also' });
  const send = h('button', { type: 'submit', class: 'send-btn', 'aria-label': t('thread.send'), title: t('thread.send') }, icon('send'));
  const form = h(
    'form',
    { class: 'composer thread-composer', novalidate: true },
    h('div', { class: 'composer-box' }, input, send),
    h('label', { class: 'thread-also-label' }, also, h('span', { text: t('thread.alsoToRoom') })),
  );
  const el = h(
    'aside',
    { class: 'thread-panel', id: 'thread-panel', hidden: true, role: 'complementary', 'aria-labelledby': 'thread-title' },
    h('header', { class: 'thread-head' }, h('div', {}, title, where), close),
    body,
    form,
  );

  function submit() {
    const text = input.value.trim();
    if (!text) return;
    if (actions.replyInThread(text, also.checked)) {
      input.value = '';
      also.checked = false;
      autosize(input);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => autosize(input));
  el.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented && editing == null) {
      event.preventDefault();
      actions.closeThread();
    }
  });

  let last = {};
  function render(force = false) {
    const panel = state?.thread ?? null;
    const slices = { panel, outbox: state?.outbox, members: panel ? state.members[panel.roomId] : null, me: state?.me };
    if (!force && Object.keys(slices).every((k) => slices[k] === last[k])) return;
    const opened = panel && panel.rootId !== last.panel?.rootId;
    last = slices;
    el.hidden = !panel;
    if (panel) {
      list.setAttribute('role', 'log');
      list.setAttribute('aria-live', 'polite');
    } else {
      list.removeAttribute('role');
      list.removeAttribute('aria-live');
    }
    document.querySelector('.shell')?.classList.toggle('thread-open', Boolean(panel));
    if (!panel) {
      rootEl.replaceChildren();
      list.replaceChildren();
      editing = null;
      return;
    }
    const room = state.rooms[panel.roomId] ?? { id: panel.roomId, is_admin: false, name: '' };
    where.textContent = room.name || room.kind ? isolate(roomTitle(room)) : '';
    const meId = state.me?.id ?? null;
    const row = (message) => ({ kind: 'message', key: `m:${message.id}`, message, first: true, last: true, mine: message.user_id === meId });
    const root = row(panel.root);
    reconcile(rootEl, [{ ...root, sig: rows.signature(root, room.is_admin) }], (r) => rows.renderRow(r, room));
    const replies = panel.items.map(row);
    const pending = state.outbox
      .filter((item) => item.threadId === panel.rootId)
      .map((item) => ({ kind: 'pending', key: `p:${item.clientMsgId}`, item, first: true, last: true }));
    const all = [...replies, ...pending].map((r) => ({ ...r, sig: rows.signature(r, room.is_admin) }));
    const stick = list.parentElement && body.scrollHeight - body.scrollTop - body.clientHeight < 40;
    keepingFocus(list, () => reconcile(list, all, (r) => rows.renderRow(r, room)));
    const n = panel.items.filter((m) => !m.is_deleted).length;
    count.textContent = n ? t('thread.replies', { n }) : '';
    status.textContent = panel.loaded ? (n ? '' : t('thread.none')) : t('thread.loading');
    form.hidden = !room.is_member;
    if (opened) {
      editing = null;
      body.scrollTop = body.scrollHeight;
      queueMicrotask(() => input.focus());
    } else if (stick) body.scrollTop = body.scrollHeight;
  }

  return {
    el,
    update(next) {
      state = next;
      render();
    },
  };
}
