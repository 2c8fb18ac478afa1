// The message list of the open room: which rows it has (author groups, day separators, the
// "new messages" divider, pending sends and uploads), the bounded window of them that is
// rendered, loading older and newer pages at its ends, keeping the scroll position honest while
// it changes, the message jumped to (from "Mentions"), the unread bar and the typing line. How
// each row is drawn is in message-rows.js; keyboard and touch handling in timeline-focus.js.

import { h, icon, reconcile } from '../dom.js';
import { t, language } from '../i18n.js';
import { buildRows } from '../format.js';
import { historyOf, typingNames, roomTitle } from '../state.js';
import { nextWindow, carryWindow, openingWindow, pickAnchor, anchoredScrollTop, atBottom, visibleRange } from '../timeline-window.js';
import { createAttachmentViews } from './attachments.js';
import { createRowViews, sentence } from './message-rows.js';
import { keepingFocus } from './message-extras.js';
import { installRovingFocus } from './timeline-focus.js';
import { isolate } from '../bidi.js';

export { autosize } from './message-rows.js';

/** Within this many pixels of the bottom counts as "reading the newest messages". */
const STICKY_PX = 80;
/** Start loading older (or newer) messages when scrolled this close to the loaded end. */
const LOAD_OLDER_PX = 200;

/** Rows that anchor the reading position: messages, pending sends and uploads. */
const anchorable = (key) => key.startsWith('m:') || key.startsWith('p:') || key.startsWith('u:');

export function createMessageList({ actions }) {
  const top = h('div', { class: 'messages-top' });
  const rowsEl = h('div', { class: 'message-rows' });
  const bottom = h('div', { class: 'messages-bottom' });
  // No tab stop of its own: one message at a time is (roving focus, see rove()).
  const scroller = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions' }, top, rowsEl, bottom);
  const jump = h('button', { type: 'button', class: 'jump-latest', hidden: true, 'aria-label': t('msg.jumpToNew') }, h('span', { text: t('msg.jumpLabel') }), icon('down'));
  const typingEl = h('div', { class: 'typing-indicator', 'aria-live': 'polite' });
  const unreadText = h('span');
  const unreadBar = h(
    'div',
    { class: 'unread-bar', role: 'status', hidden: true },
    unreadText,
    h('button', { type: 'button', class: 'link-btn unread-jump', onclick: () => jumpToFirstUnread() }, icon('down'), t('unread.jump')),
    h('button', { type: 'button', class: 'link-btn unread-mark', onclick: () => markRead() }, icon('check'), t('unread.markRead')),
  );
  const el = h('div', { class: 'message-pane' }, unreadBar, scroller, jump, typingEl);

  let roomId = null;
  let state = null;
  let history = null;
  let editing = null; // id of the message being edited
  let lastSlices = {};
  let placed = false; // whether the open room got its first scroll position (needs its history)
  // The bounded timeline: every row of the loaded history (`rows`, keyed), the rendered window
  // [win.start, win.end) of them, and the row that anchors the reading position.
  let rows = [];
  let keys = [];
  let win = { start: 0, end: 0 };
  let anchor = null;
  let pinned = true; // the reader is at the newest messages (and stays there as they arrive)
  let visibleSpan = 20; // how many rows the viewport showed last (to keep margins around it)
  let following = true; // what the controller was last told about `pinned`
  let settledTop = 0; // scrollTop where this view last put the reading position
  let lastFocus = null; // the jump (`history.focus`) last scrolled to
  const attachments = createAttachmentViews({
    fetchFile: (url, options) => actions.fetchFile(url, options),
    saveFile: (blob, name) => actions.saveFile(blob, name),
    downloadFile: (url, name, options) => actions.downloadFile(url, name, options),
    scroller,
  });
  const { signature, renderRow } = createRowViews({ actions, attachments, current: () => ({ state, editing, focusId: history?.focus?.id ?? null }), startEditing, stopEditing });

  jump.addEventListener('click', () => {
    pinned = true;
    if (history?.hasNewer) actions.jumpToLatest(roomId);
    else {
      win = nextWindow({ count: rows.length, ...win, first: rows.length - 1 - visibleSpan, last: rows.length - 1, pinned: true });
      renderWindow();
      scrollToBottom();
    }
    jump.hidden = true;
  });

  // Anything that changes the height of the rendered rows (a picture loading, an edit, a
  // deletion, the window moving) puts the anchor back where the reader saw it, or keeps the
  // newest messages in view. Corrections happen after layout and before paint: no jump is seen.
  const resizes = new ResizeObserver(() => restore());
  resizes.observe(rowsEl);
  resizes.observe(top);
  resizes.observe(bottom);

  // Scrolling (and rows arriving) moves the window at most once a frame.
  let scrollQueued = false;
  function queueScrollCheck() {
    if (scrollQueued) return;
    scrollQueued = true;
    requestAnimationFrame(() => {
      scrollQueued = false;
      onScroll();
    });
  }
  scroller.addEventListener('scroll', queueScrollCheck);

  function onScroll() {
    if (!state || roomId == null || !history) return;
    pinned = atBottom(scroller, STICKY_PX) && win.end === rows.length && !history.hasNewer;
    if (pinned !== following) {
      following = pinned;
      actions.follow(roomId, pinned);
    }
    if (pinned) {
      jump.hidden = true;
      actions.roomVisible();
    }
    const measured = measure();
    const visible = visibleRange(measured, scroller.scrollTop, scroller.clientHeight);
    visibleSpan = Math.max(0, visible.last - visible.first);
    const next = nextWindow({ count: rows.length, ...win, first: win.start + visible.first, last: win.start + Math.max(visible.first, visible.last), pinned });
    anchor = pickAnchor(measured, scroller.scrollTop, anchorable);
    settledTop = scroller.scrollTop;
    if (!unreadBar.hidden && dividerInView()) unreadBar.hidden = true;
    if (next.start !== win.start || next.end !== win.end) {
      win = next;
      renderWindow();
      restore();
    }
    if (win.start === 0 && scroller.scrollTop < LOAD_OLDER_PX) actions.loadOlder(roomId);
    if (history.hasNewer && win.end === rows.length && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < LOAD_OLDER_PX) actions.loadNewer(roomId);
  }

  /** The rendered rows' keys and positions in the scrolled content (one layout read). */
  function measure() {
    const out = [];
    for (const child of rowsEl.children) {
      const key = child.dataset.key;
      if (key !== undefined) out.push({ key, top: child.offsetTop, height: child.offsetHeight });
    }
    return out;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
    settledTop = scroller.scrollTop;
  }

  /** Puts the reading position back: the bottom when pinned, else the anchor row's offset. */
  function restore() {
    if (!placed || roomId == null) return;
    if (pinned) {
      scrollToBottom();
      return;
    }
    if (!anchor) return;
    const row = rowsEl.querySelector(`[data-key="${CSS.escape(anchor.key)}"]`);
    if (!row) return;
    const wanted = anchoredScrollTop(anchor, row.offsetTop, scroller);
    if (Math.abs(scroller.scrollTop - wanted) >= 1) scroller.scrollTop = wanted;
    settledTop = scroller.scrollTop;
  }

  /** Renders the rows of the window, and tells assistive technology where each message is. */
  function renderWindow() {
    const room = state.rooms[roomId];
    keepingFocus(rowsEl, () => reconcile(rowsEl, rows.slice(win.start, win.end), (row) => renderRow(row, room)));
    const setsize = history.hasMore || history.hasNewer ? '-1' : String(messageCount);
    for (const child of rowsEl.children) {
      const pos = positions.get(child.dataset.key);
      if (pos === undefined) continue;
      if (child.getAttribute('aria-posinset') !== String(pos)) child.setAttribute('aria-posinset', String(pos));
      if (child.getAttribute('aria-setsize') !== setsize) child.setAttribute('aria-setsize', setsize);
    }
    renderTop(room, history, state.server);
    renderBottom(history);
    rove();
  }

  const roving = installRovingFocus(rowsEl);
  const rove = roving.rove;

  /** Whether the "new messages" divider is on screen (or above it, already read past). */
  function dividerInView() {
    const divider = rowsEl.querySelector('.new-divider');
    if (!divider) return false;
    const top = divider.offsetTop - scroller.scrollTop;
    return top >= -divider.offsetHeight && top <= scroller.clientHeight;
  }

  let seekUnread = false;
  function jumpToFirstUnread() {
    unreadBar.hidden = true;
    const index = keys.indexOf('new');
    if (index >= 0) {
      placeAtDivider(index);
      return;
    }
    seekUnread = true;
    actions.loadFirstUnread(roomId);
  }

  function placeAtDivider(index) {
    pinned = false;
    win = openingWindow(rows.length, index);
    renderWindow();
    const divider = rowsEl.querySelector('.new-divider');
    if (divider) scroller.scrollTop = Math.max(0, divider.offsetTop - 24);
    anchor = pickAnchor(measure(), scroller.scrollTop, anchorable);
    settledTop = scroller.scrollTop;
    rowsEl.querySelector('.new-divider + [tabindex]')?.focus({ preventScroll: true });
  }

  /**
   * Renders the window around row `index` (the message jumped to), puts it in the middle of the
   * pane and flashes it (again, when the same message is jumped to twice); it stays outlined.
   */
  function placeAtFocus(index) {
    pinned = false;
    placed = true;
    win = openingWindow(rows.length, index);
    renderWindow();
    const row = rowsEl.querySelector(`[data-key="${CSS.escape(keys[index])}"]`);
    if (row) {
      scroller.scrollTop = Math.max(0, row.offsetTop - Math.max(0, scroller.clientHeight - row.offsetHeight) / 2);
      row.classList.remove('flash');
      void row.offsetWidth; // restarts the animation
      row.classList.add('flash');
    }
    anchor = pickAnchor(measure(), scroller.scrollTop, anchorable);
    settledTop = scroller.scrollTop;
  }

  function markRead() {
    unreadBar.hidden = true;
    actions.markRoomRead(roomId);
  }

  /** The bar offering the first unread message, when it is above what the room opened on. */
  function renderUnreadBar(room, newAfter) {
    const unread = room.unread_count ?? 0;
    if (unread === 0 || newAfter == null) {
      unreadBar.hidden = true;
      return;
    }
    unreadText.textContent = t('room.unread', { n: unread });
  }

  /** Starts editing my newest editable message (↑ in an empty composer); false if none. */
  function editLast() {
    if (!history || !state?.me) return false;
    const mine = [...history.items].reverse().find((m) => m.user_id === state.me.id && !m.is_deleted && (m.message_type === 'text' || m.message_type === 'emoji'));
    if (!mine) return false;
    const index = keys.indexOf(`m:${mine.id}`);
    if (index < 0) return false;
    if (index < win.start || index >= win.end) {
      win = { start: Math.max(0, index - 30), end: Math.min(rows.length, index + 30) };
      pinned = false;
    }
    startEditing(mine.id);
    rowsEl.querySelector(`[data-message-id="${mine.id}"]`)?.scrollIntoView({ block: 'nearest' });
    return true;
  }

  let positions = new Map();
  let messageCount = 0;

  function update(next) {
    const room = next.rooms[next.currentRoomId] ?? null;
    const nextHistory = room ? historyOf(next, room.id) : null;
    const slices = {
      room,
      history: nextHistory,
      outbox: next.outbox,
      uploads: next.uploads,
      server: next.server,
      members: next.members[room?.id],
      me: next.me,
      typing: next.typing[room?.id],
      newAfter: next.newAfter[room?.id],
      lang: language(),
    };
    state = next;
    const changed = Object.keys(slices).some((k) => slices[k] !== lastSlices[k]);
    if (!changed) return;
    lastSlices = slices;

    renderTyping(next, room);
    if (!room) {
      roomId = null;
      history = null;
      rows = [];
      keys = [];
      win = { start: 0, end: 0 };
      rowsEl.replaceChildren();
      bottom.replaceChildren();
      attachments.releaseAll();
      top.replaceChildren(h('p', { class: 'empty-state', text: t('chat.noRoom') }));
      scroller.removeAttribute('aria-label');
      return;
    }
    const switched = room.id !== roomId;
    if (switched) {
      roomId = room.id;
      editing = null;
      rowsEl.replaceChildren();
      attachments.releaseAll();
      placed = false;
      pinned = true;
      following = true;
      anchor = null;
      jump.hidden = true;
      keys = [];
      roving.reset();
      seekUnread = false;
      unreadBar.hidden = true;
    }
    const previousHistory = switched ? null : history;
    history = nextHistory;
    scroller.setAttribute('aria-label', t('msg.list', { room: isolate(roomTitle(room)) }));

    // Scrolled since the position was last put in place, before the scroll event (handled with
    // the next frame) said so: the rows scrolled to are what must stay in place (not those of
    // the last frame), and a reader who left the bottom no longer follows the newest messages.
    if (placed && Math.abs(scroller.scrollTop - settledTop) >= 1) {
      if (pinned && !atBottom(scroller, STICKY_PX)) pinned = false;
      if (!pinned) anchor = null;
    }
    // The newest messages replaced a stretch that did not reach them because the reader asked
    // for them (the "new messages" button, or sending from far back): show them from the bottom.
    if (previousHistory?.hasNewer && !history.hasNewer && history.follow) {
      pinned = true;
      anchor = null;
    }
    if (placed && !pinned && !anchor) anchor = pickAnchor(measure(), scroller.scrollTop, anchorable);
    const pending = next.outbox.filter((item) => item.roomId === room.id && (!item.threadId || item.alsoToRoom));
    const uploads = next.uploads.filter((item) => item.roomId === room.id);
    const built = buildRows(history.items, { pending, uploads, meId: next.me?.id ?? null, newAfterId: slices.newAfter ?? null, hasOlder: history.hasMore });
    const newest = [...pending.map((i) => ({ key: `p:${i.clientMsgId}`, at: i.createdAt })), ...uploads.map((i) => ({ key: `u:${i.clientMsgId}`, at: i.createdAt }))].sort((a, b) => a.at - b.at).pop();
    const ownPendingAdded = placed && Boolean(newest) && !keys.includes(newest.key);

    const canModerate = room.is_admin;
    const previousKeys = keys;
    const previousBottom = keys.length ? keys[keys.length - 1] : null;
    rows = built.map((row) => ({ ...row, sig: signature(row, canModerate) }));
    keys = rows.map((row) => row.key);
    positions = new Map();
    messageCount = 0;
    for (const row of rows) {
      if (row.kind === 'message' || row.kind === 'system' || row.kind === 'pending' || row.kind === 'upload') positions.set(row.key, ++messageCount);
    }
    if (ownPendingAdded) pinned = true;

    renderUnreadBar(room, slices.newAfter);
    const focusIndex = history.loaded && history.focus && history.focus !== lastFocus ? keys.indexOf(`m:${history.focus.id}`) : -1;
    if (focusIndex >= 0) {
      lastFocus = history.focus;
      placeAtFocus(focusIndex);
    } else if (seekUnread && history.loaded && keys.includes('new')) {
      seekUnread = false;
      placeAtDivider(keys.indexOf('new'));
    } else if (!placed) {
      // A freshly opened room starts at the "new messages" divider, or else at the bottom.
      const divider = keys.indexOf('new');
      win = openingWindow(rows.length, divider >= 0 ? divider : null);
      renderWindow();
      const dividerEl = rowsEl.querySelector('.new-divider');
      if (dividerEl) scroller.scrollTop = Math.max(0, dividerEl.offsetTop - 24);
      else scrollToBottom();
      placed = history.loaded;
      pinned = !dividerEl && !history.hasNewer;
      anchor = pinned ? null : pickAnchor(measure(), scroller.scrollTop, anchorable);
      settledTop = scroller.scrollTop;
      // Unread messages above what is on screen: offer to jump to the first of them.
      if (placed && (room.unread_count ?? 0) > 0 && slices.newAfter != null && !dividerInView()) unreadBar.hidden = false;
    } else {
      win = pinned
        ? nextWindow({ count: rows.length, ...carryWindow(previousKeys, keys, win, anchor?.key ?? previousBottom), first: rows.length - 1 - visibleSpan, last: rows.length - 1, pinned: true })
        : carryWindow(previousKeys, keys, win, anchor?.key ?? null);
      if (!pinned && anchor) {
        // Rows that arrived next to the reader (a page above) are rendered before the anchor is
        // put back, so there is room above it to scroll into.
        const at = keys.indexOf(anchor.key);
        if (at >= 0) win = nextWindow({ count: rows.length, ...win, first: at, last: Math.min(rows.length - 1, at + visibleSpan) });
      }
      renderWindow();
      restore();
      if (pinned) jump.hidden = true;
      else if (previousBottom !== keys[keys.length - 1] || history.hasNewer) jump.hidden = false;
    }
    // Not at the newest (read far back, or after a jump): the way back to them.
    if (history.loaded && history.hasNewer) jump.hidden = false;
    for (const item of uploads) showProgress(item);
    attachments.sweep();
    // Rows loaded above or below may be needed on screen already (the reader waits at an edge).
    if (placed) queueScrollCheck();
    // A short history that does not fill the pane cannot be scrolled up: fetch more now.
    if (history.loaded && history.hasMore && !history.loadingOlder && win.start === 0 && scroller.scrollHeight <= scroller.clientHeight + LOAD_OLDER_PX) {
      actions.loadOlder(room.id);
    }
  }

  /** Moves an upload's progress bar in place (its row is not rebuilt for every step). */
  function showProgress(item) {
    const row = rowsEl.querySelector(`[data-key="u:${CSS.escape(item.clientMsgId)}"]`);
    if (!row || item.status !== 'uploading') return;
    const percent = Math.round((item.progress ?? 0) * 100);
    const bar = row.querySelector('.upload-bar');
    if (bar && bar.getAttribute('aria-valuenow') !== String(percent)) {
      bar.setAttribute('aria-valuenow', String(percent));
      bar.setAttribute('aria-valuetext', `${percent}%`);
      bar.querySelector('.upload-bar-fill').style.width = `${percent}%`;
      row.querySelector('.upload-percent').textContent = item.progress == null ? '' : `${percent}%`;
    }
  }

  function renderBottom(history) {
    const want = history.hasNewer && win.end === rows.length;
    if (want === (bottom.childElementCount > 0)) return;
    if (want) bottom.replaceChildren(h('p', { class: 'messages-status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('msg.loadingNewer')));
    else bottom.replaceChildren();
  }

  function renderTop(room, history, server) {
    if (win.start > 0 && history.loaded) {
      if (top.childElementCount) top.replaceChildren();
    } else if (!history.loaded) {
      top.replaceChildren(h('p', { class: 'messages-status', text: t('msg.loading') }));
    } else if (history.loadingOlder) {
      top.replaceChildren(h('p', { class: 'messages-status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('msg.loadingOlder')));
    } else if (!history.hasMore) {
      top.replaceChildren(
        h(
          'div',
          { class: 'room-intro' },
          h('span', { class: 'room-intro-icon', 'aria-hidden': 'true' }, icon(room.kind === 'direct' ? 'users' : room.is_private ? 'lock' : 'hash')),
          h('h2', { dir: 'auto', text: roomTitle(room) }),
          room.description ? h('p', { text: room.description }) : null,
          h('p', { class: 'muted' }, sentence('msg.beginning', { room: roomTitle(room) })),
          server?.retention_days > 0 ? h('p', { class: 'muted retention-note', text: t('room.retention', { n: server.retention_days }) }) : null,
        ),
      );
    } else {
      top.replaceChildren();
    }
  }

  function renderTyping(next, room) {
    const names = room ? typingNames(next, room.id) : [];
    typingEl.replaceChildren();
    if (names.length === 0) {
      typingEl.classList.remove('active');
      return;
    }
    typingEl.classList.add('active');
    const text = names.length === 1 ? t('typing.one', { a: names[0] }) : names.length === 2 ? t('typing.two', { a: names[0], b: names[1] }) : t('typing.many');
    typingEl.append(h('span', { class: 'typing-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', { text }));
  }

  function startEditing(id) {
    editing = id;
    lastSlices = {};
    update(state);
  }

  function stopEditing() {
    const id = editing;
    editing = null;
    lastSlices = {};
    update(state);
    const row = rowsEl.querySelector(`[data-message-id="${id}"]`);
    (row?.querySelector('.msg-actions button') ?? row)?.focus();
  }

  return {
    el,
    update,
    /** Re-renders everything (after a language change). */
    refresh() {
      lastSlices = {};
      if (state) update(state);
    },
    scrollToBottom,
    editLast,
    destroy() {
      attachments.releaseAll();
    },
  };
}
