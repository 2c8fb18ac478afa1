// Writing messages: Enter sends, Shift+Enter breaks the line (and an IME composition is never
// interrupted), emoji picker, uploads (image and file buttons, pasting images, dropping any
// file; text already typed goes along as the caption), typing notices, and a per-room draft.
// Rooms I have not joined show a Join bar instead, archived rooms a note. `@` offers the room's
// members (mention-picker.js); a toolbar and shortcuts add Markdown marks (format-toolbar.js).

import { h, icon } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { createEmojiPicker } from './emoji-picker.js';
import { autosize } from './message-rows.js';
import { roomTitle } from '../state.js';
import { toast } from './toast.js';
import { createMentionPicker } from './mention-picker.js';
import { createFormatToolbar } from './format-toolbar.js';

const MAX_CONTENT = 4000;
const drafts = new Map(); // room id → unsent text; survives re-renders and room switches

export function createComposer({ actions, onEditLast = () => false }) {
  const textarea = h('textarea', { class: 'composer-input', id: 'composer-input', rows: 1, enterkeyhint: 'send' });
  const send = h('button', { type: 'submit', class: 'send-btn', 'aria-label': t('composer.send'), title: t('composer.send') }, icon('send'));
  const imageBtn = h('button', { type: 'button', class: 'icon-btn', id: 'composer-image', 'aria-label': t('composer.image'), title: t('composer.imageHint') }, icon('image'));
  const fileBtn = h('button', { type: 'button', class: 'icon-btn', id: 'composer-file', 'aria-label': t('composer.file'), title: t('composer.fileHint') }, icon('paperclip'));
  const emojiBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('composer.emoji'), title: t('composer.emoji'), 'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'emoji-picker' }, icon('smile'));
  const counter = h('span', { class: 'composer-counter', 'aria-live': 'polite' });
  const hint = h('span', { class: 'composer-hint', text: t('composer.hint') });
  const picker = createEmojiPicker({
    onPick: (char) => insert(char),
    onClose: () => closePicker(true),
  });
  let members = [];
  let me = null;
  const mentions = createMentionPicker({ textarea, members: () => members, me: () => me, onPicked: () => changed() });
  const formatting = createFormatToolbar(textarea);
  const form = h(
    'form',
    { class: 'composer', novalidate: true },
    picker.el,
    mentions.el,
    formatting.el,
    h('div', { class: 'composer-box' }, imageBtn, fileBtn, emojiBtn, textarea, send),
    h('div', { class: 'composer-foot' }, hint, counter),
  );
  const joinText = h('span');
  const joinBtn = h('button', { type: 'button', class: 'btn btn-primary' }, t('room.join'));
  const joinBar = h('div', { class: 'join-bar', hidden: true }, joinText, joinBtn);
  // The message being replied to, above the box; Escape or ✕ stops replying.
  const replyText = h('span', { class: 'reply-bar-text' });
  const replyCancel = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('reply.cancel'), title: t('reply.cancel') }, icon('close'));
  const replyBar = h('div', { class: 'reply-bar', hidden: true }, icon('reply'), replyText, replyCancel);
  let replyTo = null;
  // An archived room can be read, not written in: the composer gives way to a note.
  const archivedBar = h('div', { class: 'join-bar archived-bar', 'data-testid': 'archived-bar', hidden: true }, icon('archive'), h('span', { text: t('room.archivedNote') }));
  const el = h('div', { class: 'composer-area' }, replyBar, form, joinBar, archivedBar);

  let room = null;

  function current() {
    return room?.id ?? null;
  }

  function insert(text) {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? textarea.value.length;
    textarea.setRangeText(text, start, end, 'end');
    closePicker(false);
    textarea.focus();
    changed();
  }

  function changed() {
    const id = current();
    if (id == null) return;
    drafts.set(id, textarea.value);
    autosize(textarea);
    const over = [...textarea.value.trim()].length - MAX_CONTENT;
    counter.textContent = over > 0 ? t('composer.tooLong', { n: over }) : '';
    form.classList.toggle('too-long', over > 0);
    actions.typing(id, textarea.value.trim().length > 0);
  }

  function submit() {
    const id = current();
    if (id == null) return;
    const text = textarea.value.trim();
    if (!text || [...text].length > MAX_CONTENT) return;
    actions.send(id, text, { replyTo: replyTo?.id ?? null });
    if (replyTo) actions.setReplyTo(id, null);
    textarea.value = '';
    drafts.delete(id);
    counter.textContent = '';
    autosize(textarea);
    textarea.focus();
  }

  function openPicker() {
    picker.open();
    emojiBtn.setAttribute('aria-expanded', 'true');
  }

  function closePicker(returnFocus) {
    if (!picker.isOpen()) return;
    picker.close();
    emojiBtn.setAttribute('aria-expanded', 'false');
    if (returnFocus) emojiBtn.focus();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  textarea.addEventListener('keydown', (event) => {
    if (mentions.onKey(event)) return;
    // keyCode 229: an IME is composing (Chinese input); Enter picks a candidate, never sends.
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && replyTo && current() != null) {
      event.preventDefault();
      actions.setReplyTo(current(), null);
    } else if (event.key === 'ArrowUp' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && textarea.value === '') {
      // ↑ in an empty box edits my last message.
      if (onEditLast()) event.preventDefault();
    }
  });
  textarea.addEventListener('input', changed);
  textarea.addEventListener('blur', () => actions.stopTyping());
  emojiBtn.addEventListener('click', () => (picker.isOpen() ? closePicker(true) : openPicker()));
  /**
   * Starts an upload with `start(roomId, caption)`; the text in the box goes along as the
   * caption and is cleared once the upload has started (kept if nothing was sent).
   */
  async function upload(start) {
    const id = current();
    if (id == null) return;
    const text = textarea.value.trim();
    const caption = text && [...text].length <= MAX_CONTENT ? text : '';
    try {
      const started = await start(id, caption);
      if (started > 0 && caption && current() === id && textarea.value.trim() === caption) {
        textarea.value = '';
        drafts.delete(id);
        counter.textContent = '';
        autosize(textarea);
        actions.typing(id, false);
      }
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  }

  imageBtn.addEventListener('click', () => upload((id, caption) => actions.pickImage(id, { caption })));
  fileBtn.addEventListener('click', () => upload((id, caption) => actions.pickFiles(id, { caption })));
  const onOutsideClick = (event) => {
    if (picker.isOpen() && !picker.el.contains(event.target) && !emojiBtn.contains(event.target)) closePicker(false);
  };
  document.addEventListener('mousedown', onOutsideClick);
  textarea.addEventListener('paste', (event) => {
    // A pasted picture (a screenshot, an image copied from a page) is uploaded. Clipboards that
    // also hold plain text (copied from a document) paste the text, as people expect.
    const data = event.clipboardData;
    const files = [...(data?.files ?? [])].filter((f) => f.type.startsWith('image/'));
    if (files.length === 0 || current() == null) return;
    if ([...(data.types ?? [])].includes('text/plain') && data.getData('text/plain')) return;
    event.preventDefault();
    upload((id, caption) => actions.sendFiles(id, files, { caption }));
  });
  joinBtn.addEventListener('click', async () => {
    if (!room) return;
    joinBtn.disabled = true;
    try {
      await actions.joinRoom(room.id);
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    } finally {
      joinBtn.disabled = false;
    }
  });

  /** Drag-and-drop of files onto `zone` (the whole chat pane). */
  function acceptDrops(zone) {
    let depth = 0;
    const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
    zone.addEventListener('dragenter', (event) => {
      if (!hasFiles(event) || !room?.is_member) return;
      event.preventDefault();
      depth += 1;
      zone.classList.add('dropping');
    });
    zone.addEventListener('dragover', (event) => {
      if (hasFiles(event) && room?.is_member) event.preventDefault();
    });
    zone.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.classList.remove('dropping');
    });
    zone.addEventListener('drop', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      zone.classList.remove('dropping');
      const files = [...event.dataTransfer.files];
      if (files.length && room?.is_member) upload((id, caption) => actions.sendFiles(id, files, { caption }));
    });
  }

  replyCancel.addEventListener('click', () => {
    if (current() != null) actions.setReplyTo(current(), null);
    textarea.focus();
  });

  function renderReply(next) {
    if (next === replyTo) return;
    const started = next && next.id !== replyTo?.id;
    replyTo = next;
    replyBar.hidden = !next;
    if (!next) return;
    replyText.replaceChildren(h('strong', { text: t('reply.replyingTo', { user: next.username ?? '?' }) }), ' ', h('span', { class: 'reply-bar-excerpt', dir: 'auto', text: next.content.slice(0, 140) }));
    if (started) textarea.focus();
  }

  let lastRoom = null;
  function update(state) {
    members = state.members[state.currentRoomId] ?? [];
    me = state.me;
    renderReply(state.replyTo?.[state.currentRoomId] ?? null);
    const next = state.rooms[state.currentRoomId] ?? null;
    if (next === lastRoom) return;
    const switched = next?.id !== room?.id;
    lastRoom = next;
    room = next;
    el.hidden = !room;
    if (!room) return;
    const label = t('composer.label', { room: roomTitle(room) });
    textarea.setAttribute('aria-label', label);
    textarea.placeholder = t('composer.placeholder', { room: roomTitle(room) });
    const archived = Boolean(room.is_archived);
    form.hidden = !room.is_member || archived;
    joinBar.hidden = room.is_member || archived;
    archivedBar.hidden = !archived;
    joinText.textContent = t('composer.preview', { room: room.name });
    if (switched) {
      closePicker(false);
      mentions.close();
      textarea.value = drafts.get(room.id) ?? '';
      counter.textContent = '';
      autosize(textarea);
    }
  }

  function destroy() {
    document.removeEventListener('mousedown', onOutsideClick);
    formatting.destroy();
  }

  return { el, update, acceptDrops, focus: () => textarea.focus(), destroy };
}
