// How each row of the message list is drawn: day separators, the "new messages" divider, system
// notices, messages (with their actions and in-place editor), pending sends and uploads, and
// each row's signature (what, when changed, makes views/messages.js build the row again).

import { h, icon, avatar } from '../dom.js';
import { t, language, errorText } from '../i18n.js';
import { formatTime, formatDay, formatDateTime, formatBytes } from '../format.js';
import { linkifiedFragment } from '../links.js';
import { renderMarkdown } from '../markdown.js';
import { installFormatShortcuts } from './format-toolbar.js';
import { isEmojiOnly } from '../emoji.js';
import { confirmDialog } from './dialogs.js';
import { toast } from './toast.js';
import { isImageAttachment } from './attachments.js';
import { openProfile } from './people.js';
import { mentionsMe } from '../mentions.js';
import { extrasSignature, replyQuote, reactionChips, threadLine, threadReplyNote, pinMark, messageActions, withLazyActions } from './message-extras.js';

/**
 * The translation `key` with each of `names` (user text) in a `<bdi>` of its own: isolated from
 * the sentence around it like `isolate()` does, without invisible marks in the text people
 * copy or search for. Returns nodes and strings for `h()`.
 */
export function sentence(key, names) {
  const keys = Object.keys(names);
  // Private-use characters stand in for the names while the sentence is translated.
  const marks = keys.map((_, i) => String.fromCharCode(0xe000 + i));
  const text = t(key, Object.fromEntries(keys.map((k, i) => [k, marks[i]])));
  return text
    .split(/([\ue000-\ue0ff])/)
    .filter(Boolean)
    .map((part) => {
      const i = marks.indexOf(part);
      return i < 0 ? part : h('bdi', { dir: 'auto', text: names[keys[i]] });
    });
}

/** A message's text: big emoji on their own, else its Markdown drawn (see markdown.js). */
function messageText(content, emoji) {
  if (emoji || isEmojiOnly(content)) return h('p', { class: 'msg-text msg-emoji', dir: 'auto' }, linkifiedFragment(content));
  return h('div', { class: 'msg-text', dir: 'auto' }, renderMarkdown(content));
}

/**
 * The row renderers of one message list. `current()` gives `{state, editing, focusId}` (the
 * client state, the id of the message being edited and of the message jumped to); `startEditing(id)` and `stopEditing()` belong to
 * the list, which re-renders.
 */
export function createRowViews({ actions, attachments, current, startEditing, stopEditing, inThread = false }) {
  // The ids of a member list's deactivated people (per list object: lists are replaced, never
  // changed in place), so each row's signature asks a Set rather than the whole list.
  const deactivatedCache = new WeakMap();
  function deactivated(state, message) {
    const members = state.members[message.room_id];
    if (!members || message.user_id == null) return false;
    let ids = deactivatedCache.get(members);
    if (!ids) {
      ids = new Set(members.filter((x) => x.is_deactivated).map((x) => x.id));
      deactivatedCache.set(members, ids);
    }
    return ids.has(message.user_id);
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
        const { state, editing, focusId } = current();
        return `${lang}|${m.edited_at}|${m.is_deleted}|${row.first}|${row.last}|${editing === m.id}|${canModerate}|${m.content.length}|${mentionsMe(m, state.me)}|${focusId === m.id}|${extrasSignature(m, state.me?.id)}|${row.first && deactivated(state, m)}`;
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
    const known = s && ['member_joined', 'member_left', 'room_created', 'member_added', 'member_removed', 'message_pinned', 'room_archived', 'room_unarchived', 'admin_added', 'admin_removed'].includes(s.kind);
    let text = known ? sentence(`system.${s.kind}`, { user: s.username ?? '', by: s.by_username ?? '' }) : message.content;
    // A settings change names what changed: a new name first, else the topic or the privacy.
    if (s?.kind === 'room_updated') {
      if (s.name != null) text = sentence('system.room_renamed', { by: s.by_username ?? '', name: s.name });
      else if (s.is_private != null) text = sentence(s.is_private ? 'system.room_made_private' : 'system.room_made_public', { by: s.by_username ?? '' });
      else text = sentence('system.room_described', { by: s.by_username ?? '' });
    }
    return h(
      'div',
      { class: `system-row system-${s?.kind ?? 'other'}`, role: 'article', 'data-message-id': message.id, tabindex: '-1' },
      h('span', { class: 'system-text' }, text),
      s?.kind === 'message_pinned' ? h('button', { type: 'button', class: 'link-btn', tabindex: '-1', onclick: () => actions.jumpToMessage(message.room_id, s.message_id) }, t('pins.show')) : null,
      h('time', { datetime: message.timestamp, title: formatDateTime(message.timestamp, language()), text: formatTime(message.timestamp, language()) }),
    );
  }

  function messageBody(message) {
    if (message.is_deleted) return h('p', { class: 'msg-text msg-deleted-text' }, icon('trash'), h('span', { text: t('msg.deleted') }));
    if (message.attachment) {
      const media = isImageAttachment(message) ? attachments.image(message) : attachments.file(message);
      const body = h('div', { class: 'msg-attachment' }, media);
      if (message.content) body.append(h('div', { class: 'msg-text msg-caption', dir: 'auto' }, renderMarkdown(message.content)));
      return body;
    }
    return messageText(message.content, message.message_type === 'emoji');
  }

  function renderMessage(row, room) {
    const m = row.message;
    const me = current().state.me;
    const mine = row.mine;
    // `focused`: the message jumped to (from "Mentions") stays outlined until another is.
    const classes = ['msg', mine ? 'mine' : 'theirs', row.first ? 'first' : 'cont', row.last ? 'last' : '', m.is_deleted ? 'deleted' : '', mentionsMe(m, me) ? 'mentions-me' : '', current().focusId === m.id ? 'focused' : ''];
    const profile = () => m.user_id != null && openProfile({ userId: m.user_id, me, actions });
    const time = formatTime(m.timestamp, language());
    const fullTime = formatDateTime(m.timestamp, language());
    const meta = row.first
      ? h(
          'div',
          { class: 'msg-meta' },
          // Someone else's name opens their profile card; like the actions, it is reached from
          // the focused message, not a tab stop of its own.
          mine
            ? h('bdi', { class: 'msg-author', dir: 'auto', text: t('msg.you') })
            : h('button', { type: 'button', class: 'msg-author person-link', tabindex: '-1', title: t('people.profile'), onclick: profile }, h('bdi', { dir: 'auto', text: m.username ?? '?' })),
          !mine && deactivated(current().state, m) ? h('span', { class: 'pill pill-small pill-deactivated', text: t('people.deactivated') }) : null,
          h('time', { datetime: m.timestamp, title: fullTime, text: time }),
        )
      : null;
    let content;
    if (current().editing === m.id && !m.is_deleted) {
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
    const canEdit = mine && !m.is_deleted && (m.message_type === 'text' || m.message_type === 'emoji') && current().editing !== m.id;
    const canDelete = !m.is_deleted && (mine || room.is_admin) && current().editing !== m.id;
    const editing = current().editing === m.id;
    const tools = () =>
      messageActions(m, {
          meId: me?.id,
          inThread,
          on: {
            react: (emoji) => actions.toggleReaction(m, emoji),
            reply: () => actions.setReplyTo(room.id, m),
            thread: () => actions.openThread(m),
            copyLink: () => actions.copyLink(m),
            pin: () => actions.togglePin(m),
            edit: canEdit ? () => startEditing(m.id) : null,
            remove: canDelete ? () => deleteMessage(m) : null,
          },
        });
    const names = new Map((current().state.members[room.id] ?? []).map((x) => [x.id, x.username]));
    const quote = m.is_deleted ? null : replyQuote(m, (id) => actions.jumpToMessage(room.id, id));
    const chips = reactionChips(m, { meId: me?.id, namesById: names, onToggle: (emoji) => actions.toggleReaction(m, emoji) });
    // In the timeline, a reply also sent to the room says which thread it answers.
    const thread = inThread ? null : m.thread_id != null ? threadReplyNote(m, () => actions.openThread(m)) : threadLine(m, () => actions.openThread(m));
    const author = !mine && row.first ? h('div', { class: 'msg-avatar', onclick: profile }, avatar(authorOf(m), 'md')) : h('div', { class: 'msg-avatar' });
    const article = h(
      'article',
      { class: classes.filter(Boolean).join(' '), 'data-message-id': m.id, 'data-author': m.username ?? '', 'aria-label': `${m.username ?? ''}, ${time}`, tabindex: '-1' },
      author,
      h('div', { class: 'msg-main' }, meta, quote, h('div', { class: 'msg-line' }, content, sideTime, pinMark(m)), chips, thread),
    );
    if (!editing) withLazyActions(article, tools);
    return article;
    function authorOf(message) {
      const member = (current().state.members[room.id] ?? []).find((x) => x.id === message.user_id);
      return member ?? { username: message.username, avatar_url: message.user_id === me?.id ? me.avatar_url : null };
    }
  }

  function renderPending(row) {
    const item = row.item;
    const status = item.status;
    const statusText = status === 'failed' ? `${t('msg.failed')}: ${errorText(item.error ?? { code: 'timeout' })}` : status === 'sending' ? t('msg.sending') : t('msg.queued');
    const p = messageText(item.content, false);
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
      { class: `msg mine pending ${status === 'failed' ? 'failed' : ''} ${row.first ? 'first' : 'cont'} ${row.last ? 'last' : ''}`, 'data-client-msg-id': item.clientMsgId, 'data-status': status, tabindex: '-1' },
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
    const caption = item.caption ? h('div', { class: 'msg-text msg-caption', dir: 'auto' }, renderMarkdown(item.caption)) : null;
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
    installFormatShortcuts(input);
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

  async function deleteMessage(message) {
    const ok = await confirmDialog({ title: t('msg.delete'), message: t('msg.confirmDelete'), confirmLabel: t('dialog.delete'), danger: true });
    if (!ok) return;
    try {
      await actions.remove(message);
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  }

  return { signature, renderRow };
}

/**
 * Grows a textarea with its content, up to the CSS max-height. Typing on one line changes no
 * height, so it costs no layout beyond the textarea's own; the height is reset (which lays out
 * the page around it) only when text was removed and the box may need to shrink.
 */
export function autosize(textarea) {
  const length = textarea.value.length;
  const shrinking = length < (textarea.autosizeLength ?? 0) || length === 0;
  textarea.autosizeLength = length;
  if (shrinking) {
    textarea.style.height = 'auto';
    textarea.style.height = `${textarea.scrollHeight}px`;
  } else if (textarea.scrollHeight > textarea.clientHeight) {
    textarea.style.height = `${textarea.scrollHeight}px`;
  }
}
