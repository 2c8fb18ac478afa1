// The message list of the open room: day separators, author groups, the "new messages"
// divider, system notices, edited/deleted markers, pictures and files, pending and failed sends
// and uploads (with progress, Cancel and Retry), in-place editing, loading older pages on
// scroll-up, and keeping the scroll position honest while it changes.

import { h, icon, avatar, reconcile } from '../dom.js';
import { t, language, errorText } from '../i18n.js';
import { buildRows, formatTime, formatDay, formatDateTime, formatBytes } from '../format.js';
import { linkifiedFragment } from '../links.js';
import { historyOf, typingNames, roomTitle } from '../state.js';
import { isEmojiOnly } from '../emoji.js';
import { confirmDialog } from './dialogs.js';
import { toast } from './toast.js';
import { createAttachmentViews, isImageAttachment } from './attachments.js';
import { openProfile } from './people.js';
import { mentionsMe } from '../mentions.js';

/** Within this many pixels of the bottom counts as "reading the newest messages". */
const STICKY_PX = 80;
/** Start loading older messages when scrolled this close to the top. */
const LOAD_OLDER_PX = 200;

export function createMessageList({ actions }) {
  const top = h('div', { class: 'messages-top' });
  const rowsEl = h('div', { class: 'message-rows' });
  const scroller = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' }, top, rowsEl);
  const jump = h('button', { type: 'button', class: 'jump-latest', hidden: true, 'aria-label': t('msg.jumpToNew') }, h('span', { text: t('msg.jumpLabel') }), icon('down'));
  const typingEl = h('div', { class: 'typing-indicator', 'aria-live': 'polite' });
  const el = h('div', { class: 'message-pane' }, scroller, jump, typingEl);

  let roomId = null;
  let state = null;
  let editing = null; // id of the message being edited
  let lastBottomKey = null;
  let lastSlices = {};
  let placed = false; // whether the open room got its first scroll position (needs its history)
  let lastFocus = null; // the jump (`history.focus`) last scrolled to
  const attachments = createAttachmentViews({
    fetchFile: (url, options) => actions.fetchFile(url, options),
    saveFile: (blob, name) => actions.saveFile(blob, name),
    scroller,
  });

  jump.addEventListener('click', () => {
    // After a jump the newest messages are not loaded yet: load them, then go there.
    if (roomId != null && historyOf(state, roomId).hasNewer) {
      placed = false;
      actions.jumpToLatest(roomId);
    } else scrollToBottom();
    jump.hidden = true;
  });

  // Whether the reader is at the newest messages; images that finish loading keep them there.
  let pinned = true;
  rowsEl.addEventListener('load', () => {
    if (pinned) scrollToBottom();
  }, true);

  scroller.addEventListener('scroll', () => {
    if (!state || roomId == null) return;
    const detached = historyOf(state, roomId).hasNewer;
    pinned = nearBottom() && !detached;
    if (nearBottom()) {
      if (detached) actions.loadNewer(roomId);
      else {
        jump.hidden = true;
        actions.roomVisible();
      }
    }
    if (scroller.scrollTop < LOAD_OLDER_PX) actions.loadOlder(roomId);
  });

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICKY_PX;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  /**
   * The first message at least partly visible, and its offset, to restore after a change.
   * Day separators are skipped: when older messages of the same day arrive, the separator
   * keeps its key but moves to the top.
   */
  function anchor() {
    const top = scroller.scrollTop;
    for (const child of rowsEl.children) {
      const key = child.dataset.key ?? '';
      if (!key.startsWith('m:') && !key.startsWith('p:')) continue;
      if (child.offsetTop + child.offsetHeight > top) return { key, offset: child.offsetTop - top };
    }
    return null;
  }

  function update(next) {
    const room = next.rooms[next.currentRoomId] ?? null;
    const history = room ? historyOf(next, room.id) : null;
    const slices = {
      room,
      history,
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
    const lastHistory = lastSlices.history;
    lastSlices = slices;

    renderTyping(next, room);
    if (!room) {
      roomId = null;
      rowsEl.replaceChildren();
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
      lastBottomKey = null;
      placed = false;
      jump.hidden = true;
    }
    scroller.setAttribute('aria-label', t('msg.list', { room: roomTitle(room) }));

    // Pages arriving below a jumped-to message keep the reader where they are.
    const wasNearBottom = switched || (nearBottom() && !history.hasNewer && !lastHistory?.hasNewer);
    const keep = wasNearBottom ? null : anchor();
    const pending = next.outbox.filter((item) => item.roomId === room.id);
    const uploads = next.uploads.filter((item) => item.roomId === room.id);
    const rows = buildRows(history.items, { pending, uploads, meId: next.me?.id ?? null, newAfterId: slices.newAfter ?? null, hasOlder: history.hasMore });
    const newest = [...pending.map((i) => ({ key: `p:${i.clientMsgId}`, at: i.createdAt })), ...uploads.map((i) => ({ key: `u:${i.clientMsgId}`, at: i.createdAt }))].sort((a, b) => a.at - b.at).pop();
    const ownPendingAdded = Boolean(newest) && !rowsEl.querySelector(`[data-key="${CSS.escape(newest.key)}"]`);

    renderTop(room, history, next.server);
    const canModerate = room.is_admin;
    const items = rows.map((row) => ({ ...row, sig: signature(row, canModerate) }));
    reconcile(rowsEl, items, (row) => renderRow(row, room));
    for (const item of uploads) showProgress(item);
    attachments.sweep();

    const previousBottom = lastBottomKey;
    lastBottomKey = items.length ? items[items.length - 1].key : null;
    if (!placed) {
      // A freshly opened room starts at the "new messages" divider, or else at the bottom.
      const divider = rowsEl.querySelector('.new-divider');
      if (divider) scroller.scrollTop = Math.max(0, divider.offsetTop - 24);
      else scrollToBottom();
      placed = history.loaded;
      pinned = nearBottom();
    } else if (wasNearBottom || ownPendingAdded) {
      scrollToBottom();
      pinned = true;
      jump.hidden = true;
    } else if (keep) {
      const el = rowsEl.querySelector(`[data-key="${CSS.escape(keep.key)}"]`);
      if (el) scroller.scrollTop = el.offsetTop - keep.offset;
      if (previousBottom !== lastBottomKey) jump.hidden = false;
    }
    if (history.focus && history.focus !== lastFocus && history.loaded) showFocus(history.focus);
    if (history.hasNewer) jump.hidden = false;
    // A short history that does not fill the pane cannot be scrolled: fetch more now.
    if (history.loaded && history.hasMore && !history.loadingOlder && scroller.scrollHeight <= scroller.clientHeight + LOAD_OLDER_PX) {
      actions.loadOlder(room.id);
    }
    if (history.loaded && history.hasNewer && !history.loadingNewer && nearBottom()) actions.loadNewer(room.id);
  }

  /** Brings the message jumped to into the middle of the pane and marks it for a while. */
  function showFocus(focus) {
    const row = rowsEl.querySelector(`.msg[data-message-id="${CSS.escape(String(focus.id))}"]`);
    if (!row) return;
    lastFocus = focus;
    placed = true;
    pinned = false;
    row.scrollIntoView({ block: 'center' });
    for (const other of rowsEl.querySelectorAll('.msg.focused')) other.classList.remove('focused', 'flash');
    row.classList.remove('flash');
    void row.offsetWidth; // restart the animation when the same message is jumped to again
    row.classList.add('focused', 'flash');
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

  function renderTop(room, history, server) {
    if (!history.loaded) {
      top.replaceChildren(h('p', { class: 'messages-status', text: t('msg.loading') }));
    } else if (history.loadingOlder) {
      top.replaceChildren(h('p', { class: 'messages-status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('msg.loadingOlder')));
    } else if (!history.hasMore) {
      top.replaceChildren(
        h(
          'div',
          { class: 'room-intro' },
          h('span', { class: 'room-intro-icon', 'aria-hidden': 'true' }, icon(room.kind === 'direct' ? 'users' : room.is_private ? 'lock' : 'hash')),
          h('h2', { text: roomTitle(room) }),
          room.description ? h('p', { text: room.description }) : null,
          h('p', { class: 'muted', text: t('msg.beginning', { room: roomTitle(room) }) }),
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

  function signature(row, canModerate) {
    const lang = language();
    switch (row.kind) {
      case 'day':
        return `${lang}|${new Date().toDateString()}`;
      case 'new':
        return lang;
      case 'system':
        return `${lang}`;
      case 'message': {
        const m = row.message;
        return `${lang}|${m.edited_at}|${m.is_deleted}|${row.first}|${row.last}|${editing === m.id}|${canModerate}|${m.content.length}|${mentionsMe(m, state.me)}`;
      }
      case 'pending':
        return `${lang}|${row.item.status}|${row.first}|${row.last}|${row.item.error?.code ?? ''}`;
      case 'upload':
        return `${lang}|${row.item.status}|${row.first}|${row.last}|${row.item.error?.code ?? ''}`;
      default:
        return '';
    }
  }

  function renderRow(row, room) {
    switch (row.kind) {
      case 'day':
        return h('div', { class: 'day-divider', role: 'separator' }, h('span', { text: formatDay(row.timestamp, language(), new Date(), { today: t('day.today'), yesterday: t('day.yesterday') }) }));
      case 'new':
        return h('div', { class: 'new-divider', role: 'separator' }, h('span', { text: t('msg.newDivider') }));
      case 'system':
        return renderSystem(row.message);
      case 'message':
        return renderMessage(row, room);
      case 'pending':
        return renderPending(row);
      case 'upload':
        return renderUpload(row);
      default:
        return h('div');
    }
  }

  function renderSystem(message) {
    const s = message.system;
    const known = s && ['member_joined', 'member_left', 'room_created', 'member_added', 'member_removed'].includes(s.kind);
    const text = known ? t(`system.${s.kind}`, { user: s.username ?? '', by: s.by_username ?? '' }) : message.content;
    return h(
      'div',
      { class: `system-row system-${s?.kind ?? 'other'}`, 'data-message-id': message.id },
      h('span', { class: 'system-text', text }),
      h('time', { datetime: message.timestamp, title: formatDateTime(message.timestamp, language()), text: formatTime(message.timestamp, language()) }),
    );
  }

  function messageBody(message) {
    if (message.is_deleted) return h('p', { class: 'msg-text msg-deleted-text' }, icon('trash'), h('span', { text: t('msg.deleted') }));
    if (message.attachment) {
      const media = isImageAttachment(message) ? attachments.image(message) : attachments.file(message);
      const body = h('div', { class: 'msg-attachment' }, media);
      if (message.content) {
        const caption = h('p', { class: 'msg-text msg-caption' });
        caption.append(linkifiedFragment(message.content));
        body.append(caption);
      }
      return body;
    }
    const big = message.message_type === 'emoji' || isEmojiOnly(message.content);
    const p = h('p', { class: `msg-text${big ? ' msg-emoji' : ''}` });
    p.append(linkifiedFragment(message.content));
    return p;
  }

  function renderMessage(row, room) {
    const m = row.message;
    const me = state.me;
    const mine = row.mine;
    const classes = ['msg', mine ? 'mine' : 'theirs', row.first ? 'first' : 'cont', row.last ? 'last' : '', m.is_deleted ? 'deleted' : '', mentionsMe(m, me) ? 'mentions-me' : ''];
    const profile = () => m.user_id != null && openProfile({ userId: m.user_id, me, actions });
    const time = formatTime(m.timestamp, language());
    const fullTime = formatDateTime(m.timestamp, language());
    const meta = row.first
      ? h(
          'div',
          { class: 'msg-meta' },
          mine ? h('span', { class: 'msg-author', text: t('msg.you') }) : h('button', { type: 'button', class: 'msg-author person-link', title: t('people.profile'), text: m.username ?? '?', onclick: profile }),
          h('time', { datetime: m.timestamp, title: fullTime, text: time }),
        )
      : null;
    let content;
    if (editing === m.id && !m.is_deleted) {
      content = renderEditor(m);
    } else {
      const body = messageBody(m);
      const kind = body.classList.contains('msg-emoji') ? ' bubble-emoji' : body.classList.contains('msg-attachment') ? ' bubble-attachment' : '';
      content = h('div', { class: `bubble${kind}` }, body);
      if (m.edited_at && !m.is_deleted) {
        content.append(h('span', { class: 'msg-edited', title: t('msg.editedAt', { when: formatDateTime(m.edited_at, language()) }), text: `(${t('msg.edited')})` }));
      }
    }
    const sideTime = row.first ? null : h('time', { class: 'msg-side-time', datetime: m.timestamp, title: fullTime, text: time });
    const canEdit = mine && !m.is_deleted && (m.message_type === 'text' || m.message_type === 'emoji') && editing !== m.id;
    const canDelete = !m.is_deleted && (mine || room.is_admin) && editing !== m.id;
    const tools =
      canEdit || canDelete
        ? h(
            'div',
            { class: 'msg-actions', role: 'group', 'aria-label': t('msg.actions') },
            canEdit ? h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('msg.edit'), title: t('msg.edit'), onclick: () => startEditing(m.id) }, icon('edit')) : null,
            canDelete ? h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('msg.delete'), title: t('msg.delete'), onclick: () => deleteMessage(m) }, icon('trash')) : null,
          )
        : null;
    const author = !mine && row.first ? h('div', { class: 'msg-avatar', onclick: profile }, avatar(authorOf(m), 'md')) : h('div', { class: 'msg-avatar' });
    return h(
      'article',
      { class: classes.filter(Boolean).join(' '), 'data-message-id': m.id, 'data-author': m.username ?? '', 'aria-label': `${m.username ?? ''}, ${time}` },
      author,
      h('div', { class: 'msg-main' }, meta, h('div', { class: 'msg-line' }, content, sideTime, tools)),
    );
    function authorOf(message) {
      const member = (state.members[room.id] ?? []).find((x) => x.id === message.user_id);
      return member ?? { username: message.username, avatar_url: message.user_id === me?.id ? me.avatar_url : null };
    }
  }

  function renderPending(row) {
    const item = row.item;
    const status = item.status;
    const statusText = status === 'failed' ? `${t('msg.failed')}: ${errorText(item.error ?? { code: 'timeout' })}` : status === 'sending' ? t('msg.sending') : t('msg.queued');
    const p = h('p', { class: `msg-text${isEmojiOnly(item.content) ? ' msg-emoji' : ''}` });
    p.append(linkifiedFragment(item.content));
    const statusEl = h(
      'div',
      { class: `msg-status status-${status}`, role: status === 'failed' ? 'alert' : null },
      icon(status === 'failed' ? 'alert' : 'clock'),
      h('span', { text: statusText }),
      status === 'failed' ? h('button', { type: 'button', class: 'link-btn', onclick: () => actions.retry(item.clientMsgId) }, icon('retry'), t('msg.retry')) : null,
      status === 'failed' ? h('button', { type: 'button', class: 'link-btn', onclick: () => actions.discard(item.clientMsgId) }, t('msg.discard')) : null,
    );
    return h(
      'article',
      { class: `msg mine pending ${status === 'failed' ? 'failed' : ''} ${row.first ? 'first' : 'cont'} ${row.last ? 'last' : ''}`, 'data-client-msg-id': item.clientMsgId, 'data-status': status },
      h('div', { class: 'msg-avatar' }),
      h(
        'div',
        { class: 'msg-main' },
        row.first ? h('div', { class: 'msg-meta' }, h('span', { class: 'msg-author', text: t('msg.you') })) : null,
        h('div', { class: 'msg-line' }, h('div', { class: `bubble${p.classList.contains('msg-emoji') ? ' bubble-emoji' : ''}` }, p)),
        statusEl,
      ),
    );
  }

  function renderUpload(row) {
    const item = row.item;
    const failed = item.status === 'failed';
    const name = item.name;
    const preview = item.previewUrl
      ? h('img', { class: 'upload-preview', src: item.previewUrl, alt: name })
      : h('span', { class: 'msg-file-icon', 'aria-hidden': 'true' }, icon('file'));
    const bar = failed
      ? null
      : h(
          'div',
          { class: 'upload-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-label': t('upload.progressLabel', { name }) },
          h('span', { class: 'upload-bar-fill' }),
        );
    const caption = item.caption ? h('p', { class: 'msg-text msg-caption' }, linkifiedFragment(item.caption)) : null;
    const bubble = h(
      'div',
      { class: 'bubble bubble-attachment bubble-upload' },
      h(
        'div',
        { class: 'msg-attachment' },
        h('div', { class: 'upload-card' }, preview, h('span', { class: 'msg-file-text' }, h('span', { class: 'msg-file-name', text: name, title: name }), h('span', { class: 'msg-file-size', text: formatBytes(item.size, language()) }))),
        bar,
        caption,
      ),
    );
    const statusEl = failed
      ? h(
          'div',
          { class: 'msg-status status-failed', role: 'alert' },
          icon('alert'),
          h('span', { text: `${t('upload.failed')}: ${errorText(item.error ?? { code: 'internal' })}` }),
          h('button', { type: 'button', class: 'link-btn upload-retry', onclick: () => actions.retryUpload(item.clientMsgId) }, icon('retry'), t('msg.retry')),
          h('button', { type: 'button', class: 'link-btn upload-discard', onclick: () => actions.cancelUpload(item.clientMsgId) }, t('msg.discard')),
        )
      : h(
          'div',
          { class: 'msg-status status-uploading' },
          icon('upload'),
          h('span', { text: t('upload.uploading') }),
          h('span', { class: 'upload-percent' }),
          h('button', { type: 'button', class: 'link-btn upload-cancel', 'aria-label': t('upload.cancelNamed', { name }), onclick: () => actions.cancelUpload(item.clientMsgId) }, t('upload.cancel')),
        );
    return h(
      'article',
      { class: `msg mine pending upload ${failed ? 'failed' : ''} ${row.first ? 'first' : 'cont'} ${row.last ? 'last' : ''}`, 'data-client-msg-id': item.clientMsgId, 'data-status': item.status },
      h('div', { class: 'msg-avatar' }),
      h('div', { class: 'msg-main' }, row.first ? h('div', { class: 'msg-meta' }, h('span', { class: 'msg-author', text: t('msg.you') })) : null, h('div', { class: 'msg-line' }, bubble), statusEl),
    );
  }

  function renderEditor(message) {
    const input = h('textarea', { class: 'edit-input', rows: 1, 'aria-label': t('msg.editLabel'), maxlength: 4000 });
    input.value = message.content;
    const save = async () => {
      const content = input.value.trim();
      if (content === message.content) {
        stopEditing();
        return;
      }
      if (!content) {
        toast(t('err.code.invalid_content'), { kind: 'error' });
        return;
      }
      input.disabled = true;
      try {
        await actions.edit(message.id, content);
        stopEditing();
      } catch (error) {
        input.disabled = false;
        toast(errorText(error), { kind: 'error' });
        input.focus();
      }
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        save();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        stopEditing();
      }
    });
    input.addEventListener('input', () => autosize(input));
    const form = h(
      'div',
      { class: 'bubble editing' },
      input,
      h(
        'div',
        { class: 'edit-bar' },
        h('span', { class: 'muted', text: t('msg.editHint') }),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: stopEditing }, t('msg.cancel')),
        h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: save }, t('msg.save')),
      ),
    );
    queueMicrotask(() => {
      autosize(input);
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    });
    return form;
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
    rowsEl.querySelector(`[data-message-id="${id}"] .msg-actions button`)?.focus();
  }

  async function deleteMessage(message) {
    const ok = await confirmDialog({ title: t('msg.delete'), message: t('msg.confirmDelete'), confirmLabel: t('dialog.delete'), danger: true });
    if (!ok) return;
    try {
      await actions.remove(message);
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
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
    destroy() {
      attachments.releaseAll();
    },
  };
}

/** Grows a textarea with its content, up to the CSS max-height. */
export function autosize(textarea) {
  textarea.style.height = 'auto';
  textarea.style.height = `${textarea.scrollHeight}px`;
}
