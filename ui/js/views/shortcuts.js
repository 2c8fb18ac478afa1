// Keyboard shortcuts of the chat screen, the quick switcher (Ctrl/⌘+K), message search (Ctrl/⌘+F
// or `/`) and the list of shortcuts (Ctrl/⌘+/). One keydown listener on the document; none of them fires while an input method is
// composing (Chinese input uses arrows and Escape to pick candidates).

import { h } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { toast } from './toast.js';
import { fuzzyFilter } from '../fuzzy.js';
import { sidebarOrder, roomTitle } from '../state.js';
import { openDialog } from './dialogs.js';
import { formatShortcuts } from './format-toolbar.js';

const isMac = () => /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? '');

/** Whether `el` takes text, so a plain key typed there is text, not a shortcut. */
const typing = (el) => Boolean(el?.closest?.('input, textarea, select, [contenteditable=""], [contenteditable="true"]'));

/** Whether a keydown belongs to an input method picking characters. */
export const composing = (event) => event.isComposing || event.keyCode === 229;

/**
 * Installs the shortcuts; `openRoom(id)` shows a room (`actions.openDm` a conversation),
 * `focusSearch()` focuses message search. Returns `{quickSwitcher, shortcutsDialog, destroy}`.
 */
export function installShortcuts({ store, actions, openRoom, focusSearch = () => {} }) {
  /** Opens (or starts) the one-to-one conversation with `userId`. */
  const openDm = (userId) => actions.openDm([userId]).catch((error) => toast(errorText(error), { kind: 'error' }));

  function step(direction, { unread = false } = {}) {
    const state = store.state;
    const order = sidebarOrder(state).filter((room) => room.is_member || room.id === state.currentRoomId);
    if (order.length === 0) return;
    const here = order.findIndex((room) => room.id === state.currentRoomId);
    for (let i = 1; i <= order.length; i += 1) {
      const room = order[(here + direction * i + order.length * 2) % order.length];
      if (room.id === state.currentRoomId) return;
      if (!unread || (room.unread_count ?? 0) > 0) {
        openRoom(room.id);
        return;
      }
    }
  }

  function onKeyDown(event) {
    if (composing(event) || event.defaultPrevented) return;
    const mod = isMac() ? event.metaKey : event.ctrlKey;
    const inDialog = Boolean(document.querySelector('dialog[open]'));
    if (mod && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'k') {
      event.preventDefault();
      // Only the open attribute says whether a dialog is up: it goes at once on close, while
      // the close event is queued behind the next key press (browsers handle input first).
      if (!inDialog) quickSwitcher();
    } else if (mod && !event.altKey && (event.key === '/' || event.code === 'Slash')) {
      event.preventDefault();
      if (!inDialog) shortcutsDialog();
    } else if (mod && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'f' && !inDialog) {
      // The browser's find only sees the loaded messages; search sees all of them.
      event.preventDefault();
      focusSearch();
    } else if (event.key === '/' && !mod && !event.altKey && !inDialog && !typing(event.target)) {
      event.preventDefault();
      focusSearch();
    } else if (event.altKey && !mod && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && !inDialog) {
      event.preventDefault();
      step(event.key === 'ArrowUp' ? -1 : 1, { unread: event.shiftKey });
    } else if (event.key === 'Escape' && !inDialog && !event.altKey && !mod && event.target.closest?.('#chat')) {
      // Esc in a room: what is in it has been seen.
      const id = store.state.currentRoomId;
      if (id != null) actions.markRoomRead(id);
    }
  }

  /**
   * People this client knows of (members of rooms it has loaded, people of its direct
   * conversations), except those already listed by their one-to-one conversation: picking one
   * opens (or starts) a conversation with them.
   */
  function people() {
    const state = store.state;
    const me = state.me?.id;
    const byId = new Map();
    const add = (user) => {
      if (user.id !== me && !byId.has(user.id)) byId.set(user.id, { kind: 'person', id: user.id, name: user.username });
    };
    for (const members of Object.values(state.members)) for (const member of members ?? []) add(member);
    const withConversation = new Set();
    for (const room of Object.values(state.rooms)) {
      if (room.kind !== 'direct') continue;
      for (const user of room.dm_users ?? []) add(user);
      if ((room.dm_users ?? []).length === 1 && room.is_member) withConversation.add(room.dm_users[0].id);
    }
    return [...byId.values()].filter((p) => !withConversation.has(p.id));
  }

  /** What the switcher offers: rooms and conversations as the sidebar lists them, then people. */
  function candidates() {
    const rooms = sidebarOrder(store.state).map((room) => ({ kind: room.kind === 'direct' ? 'direct' : 'room', id: room.id, name: roomTitle(room), room }));
    return [...rooms, ...people()];
  }

  function quickSwitcher() {
    // Read when the query changes, not once: rooms and people still arriving (just after
    // signing in, or a room created meanwhile) are found too.
    return openDialog({
      title: t('kb.switcher'),
      className: 'dialog-switcher',
      build: (close) => {
        const listId = `switcher-${Math.random().toString(36).slice(2, 8)}`;
        const input = h('input', {
          type: 'text',
          class: 'switcher-input',
          role: 'combobox',
          'aria-expanded': 'true',
          'aria-controls': listId,
          'aria-autocomplete': 'list',
          'aria-label': t('kb.switcherPlaceholder'),
          placeholder: t('kb.switcherPlaceholder'),
          autocomplete: 'off',
          spellcheck: 'false',
        });
        const list = h('ul', { class: 'switcher-list', id: listId, role: 'listbox', 'aria-label': t('kb.switcher') });
        let matches = [];
        let active = 0;
        const pick = (item) => {
          if (!item) return;
          close(item);
          if (item.kind === 'person') openDm(item.id);
          else openRoom(item.room.id);
        };
        const render = () => {
          matches = fuzzyFilter(candidates(), input.value).slice(0, 30);
          active = Math.min(active, Math.max(0, matches.length - 1));
          list.replaceChildren(
            ...matches.map((item, i) =>
              h(
                'li',
                {
                  id: `${listId}-${i}`,
                  role: 'option',
                  class: `switcher-option${i === active ? ' active' : ''}`,
                  'aria-selected': String(i === active),
                  onmousedown: (event) => event.preventDefault(),
                  onclick: () => pick(item),
                },
                h('span', { class: 'switcher-name', text: item.kind === 'room' ? `#${item.name}` : item.name }),
                h('span', { class: 'switcher-kind', text: t(`kb.${item.kind}`) }),
              ),
            ),
          );
          if (matches.length === 0) list.append(h('li', { class: 'switcher-empty', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', text: t('kb.noMatch') }));
          if (matches.length) input.setAttribute('aria-activedescendant', `${listId}-${active}`);
          else input.removeAttribute('aria-activedescendant');
          list.querySelector('.active')?.scrollIntoView?.({ block: 'nearest' });
        };
        input.addEventListener('input', () => {
          active = 0;
          render();
        });
        input.addEventListener('keydown', (event) => {
          if (composing(event)) return;
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            if (matches.length) active = (active + (event.key === 'ArrowDown' ? 1 : -1) + matches.length) % matches.length;
            render();
          } else if (event.key === 'Enter') {
            event.preventDefault();
            pick(matches[active]);
          }
        });
        render();
        return h('div', { class: 'switcher' }, input, list);
      },
    });
  }

  function shortcutsDialog() {
    const mod = isMac() ? '⌘' : 'Ctrl';
    const rows = [
      [`${mod} + K`, t('kb.quick')],
      [`${mod} + F  ·  /`, t('kb.search')],
      ['Alt + ↑ / ↓', t('kb.prevNextRoom')],
      ['Alt + Shift + ↑ / ↓', t('kb.prevNextUnread')],
      ['↑', t('kb.editLast')],
      ['Esc', t('kb.markRead')],
      ['↑ / ↓ / Home / End', t('kb.moveMessages')],
      ['Tab', t('kb.messageActions')],
      [`${mod} + /`, t('kb.showHelp')],
      ...formatShortcuts(),
    ];
    return openDialog({
      title: t('kb.help'),
      className: 'dialog-shortcuts',
      build: () =>
        h(
          'table',
          { class: 'shortcuts-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('kb.key') }), h('th', { scope: 'col', text: t('kb.does') }))),
          h('tbody', {}, ...rows.map(([keys, does]) => h('tr', {}, h('td', {}, h('kbd', { text: keys })), h('td', { text: does })))),
        ),
    });
  }

  document.addEventListener('keydown', onKeyDown);
  return {
    quickSwitcher,
    shortcutsDialog,
    destroy: () => document.removeEventListener('keydown', onKeyDown),
  };
}
