// The chat screen: gradient top bar, connection banner, room list, messages and composer, room
// details. On narrow windows (≤ 600 px) the room list and the details become drawers; between
// that and 1100 px the details panel is a drawer too.

import { h, icon } from '../dom.js';
import { t } from '../i18n.js';
import { createSidebar } from './sidebar.js';
import { createMessageList } from './messages.js';
import { createComposer } from './composer.js';
import { createDetails } from './details.js';
import { createBanner } from './banner.js';
import { createRoomDialog, settingsDialog } from './settings.js';
import { installShortcuts } from './shortcuts.js';
import { createSearch } from './search.js';
import { newMessageDialog, mentionsDialog, statusDialog } from './people.js';
import { createThreadPanel } from './thread-panel.js';
import { threadsDialog, pinsDialog } from './threads.js';
import { roomTitle } from '../state.js';
import { roomSettingsDialog } from './room-settings.js';

const NARROW = '(max-width: 600px)';
const WIDE = '(min-width: 1101px)';

export function mountChat(root, { store, actions }) {
  const media = (query) => globalThis.matchMedia?.(query).matches ?? false;
  let roomsOpen = false;
  let detailsOpen = media(WIDE);

  const sidebar = createSidebar({
    actions,
    onOpenRoom: (id) => {
      actions.openRoom(id);
      if (media(NARROW)) setRooms(false);
    },
    onCreateRoom: () => createRoomDialog({ actions }).then(() => media(NARROW) && setRooms(false)),
    onSettings: () => settingsDialog({ store, actions }),
    onNewMessage: () => newMessageDialog({ store, actions }).then(() => media(NARROW) && setRooms(false)),
    onMentions: () => mentionsDialog({ store, actions }).then(() => media(NARROW) && setRooms(false)),
    onThreads: () => threadsDialog({ store, actions }).then(() => media(NARROW) && setRooms(false)),
    onStatus: () => statusDialog({ store, actions }),
  });
  const messages = createMessageList({ actions });
  const composer = createComposer({ actions, onEditLast: () => messages.editLast() });
  const details = createDetails({ actions, onClose: () => setDetails(false, true), onRoomSettings: (roomId) => roomSettingsDialog({ store, actions, roomId }) });
  const banner = createBanner({ actions });
  const thread = createThreadPanel({ actions });
  const search = createSearch({ store, actions });

  const roomsBtn = h('button', { type: 'button', class: 'icon-btn topbar-btn rooms-toggle', 'aria-label': t('header.openRooms'), 'aria-controls': 'sidebar', 'aria-expanded': 'false' }, icon('menu'));
  const detailsBtn = h('button', { type: 'button', class: 'icon-btn topbar-btn', 'aria-label': t('header.openMembers'), title: t('header.openMembers'), 'aria-controls': 'details' }, icon('users'));
  const pinsBtn = h('button', { type: 'button', class: 'icon-btn topbar-btn', 'data-testid': 'open-pins', 'aria-label': t('pins.open'), title: t('pins.open'), onclick: () => store.state.currentRoomId != null && pinsDialog({ store, actions, roomId: store.state.currentRoomId }) }, icon('pin'));
  const settingsBtn = h('button', { type: 'button', class: 'icon-btn topbar-btn', 'data-testid': 'open-settings', 'aria-label': t('header.settings'), title: t('header.settings'), onclick: () => settingsDialog({ store, actions }) }, icon('settings'));
  // Server administrators reach the Administration console from here (README, office guide).
  const adminBtn = h('button', { type: 'button', class: 'icon-btn topbar-btn', 'data-testid': 'open-admin', 'aria-label': t('admin.title'), title: t('admin.title'), hidden: true, onclick: () => actions.openAdmin(media(NARROW) ? null : 'users') }, icon('shield'));
  const roomIcon = h('span', { class: 'topbar-room-icon', 'aria-hidden': 'true' });
  const roomName = h('h1', { class: 'topbar-room-name', dir: 'auto' });
  const roomMeta = h('p', { class: 'topbar-room-meta' });
  const connDot = h('span', { class: 'conn-dot', role: 'img' });

  const header = h(
    'header',
    { class: 'topbar' },
    roomsBtn,
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('chat')), h('span', { class: 'brand-name', text: t('app.name') })),
    h('div', { class: 'topbar-room' }, roomIcon, h('div', { class: 'topbar-room-text' }, roomName, roomMeta)),
    search.el,
    h('div', { class: 'topbar-actions' }, connDot, pinsBtn, detailsBtn, adminBtn, settingsBtn),
  );

  const chat = h('main', { class: 'chat', id: 'chat' }, messages.el, composer.el, h('div', { class: 'drop-overlay', 'aria-hidden': 'true' }, icon('upload'), h('span', { text: t('composer.drop') })));
  composer.acceptDrops(chat);
  const scrim = h('div', { class: 'scrim', 'aria-hidden': 'true' });
  const workspace = h('div', { class: 'workspace' }, sidebar.el, chat, thread.el, details.el, scrim);
  const skip = h('a', { class: 'skip-link', href: '#composer-input', text: t('kb.skip') });
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    composer.focus();
  });
  const shell = h('div', { class: 'shell' }, skip, header, search.panel, banner.el, workspace);
  root.replaceChildren(shell);
  const shortcuts = installShortcuts({
    store,
    actions,
    focusSearch: () => search.focus(),
    openRoom: (id) => {
      actions.openRoom(id);
      if (media(NARROW)) setRooms(false);
    },
  });

  function setRooms(open, returnFocus = false) {
    roomsOpen = open;
    shell.classList.toggle('rooms-open', open);
    roomsBtn.setAttribute('aria-expanded', String(open));
    if (open) sidebar.focusFirst();
    else if (returnFocus) roomsBtn.focus();
  }

  function setDetails(open, returnFocus = false) {
    detailsOpen = open;
    shell.classList.toggle('details-open', open);
    detailsBtn.setAttribute('aria-expanded', String(open));
    if (open && !media(WIDE)) details.el.querySelector('button, input')?.focus();
    else if (!open && returnFocus) detailsBtn.focus();
  }

  roomsBtn.addEventListener('click', () => setRooms(!roomsOpen));
  detailsBtn.addEventListener('click', () => setDetails(!detailsOpen));
  scrim.addEventListener('click', () => {
    setRooms(false);
    if (!media(WIDE)) setDetails(false);
  });
  shell.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    if (roomsOpen && media(NARROW)) {
      setRooms(false, true);
      event.preventDefault();
    } else if (detailsOpen && !media(WIDE)) {
      setDetails(false, true);
      event.preventDefault();
    }
  });
  const wideQuery = globalThis.matchMedia?.(WIDE);
  const onWide = (event) => setDetails(event.matches);
  wideQuery?.addEventListener('change', onWide);

  setDetails(detailsOpen);

  let lastRoom;
  let lastConnection;
  function renderHeader(state) {
    const room = state.rooms[state.currentRoomId] ?? null;
    if (room !== lastRoom) {
      lastRoom = room;
      roomIcon.replaceChildren(icon(room?.kind === 'direct' ? 'users' : room?.is_private ? 'lock' : 'hash'));
      roomName.textContent = room ? roomTitle(room) : t('app.name');
      roomMeta.textContent = room ? [room.is_archived ? t('room.archived') : null, t('room.members', { n: room.member_count ?? 0 }), room.description].filter(Boolean).join(' · ') : '';
    }
    if (state.connection !== lastConnection) {
      lastConnection = state.connection;
      const online = state.connection.status === 'online';
      connDot.className = `conn-dot ${online ? 'online' : state.connection.status}`;
      const label = online ? t('conn.online') : state.connection.status === 'connecting' ? t('conn.connecting') : t('conn.reconnecting');
      connDot.setAttribute('aria-label', label);
      connDot.title = label;
    }
  }

  let lastTotalUnread = -1;
  function render(state) {
    renderHeader(state);
    adminBtn.hidden = !state.me?.is_server_admin;
    banner.update(state);
    sidebar.update(state);
    messages.update(state);
    composer.update(state);
    thread.update(state);
    details.update(state);
    const unread = Object.values(state.rooms).reduce((sum, r) => sum + (r.is_member ? r.unread_count ?? 0 : 0), 0);
    const room = state.rooms[state.currentRoomId];
    // No isolate marks here: room names hold no direction overrides (the server strips them), and
    // some desktops draw the marks in window titles as boxes.
    const title = `${unread > 0 ? `(${unread > 999 ? '999+' : unread}) ` : ''}${room ? `${room.kind === 'direct' ? '' : '#'}${roomTitle(room)} · ` : ''}${t('app.name')}`;
    if (document.title !== title) document.title = title;
    if (unread !== lastTotalUnread) {
      lastTotalUnread = unread;
      roomsBtn.classList.toggle('has-unread', unread > 0);
    }
  }

  const unsubscribe = store.subscribe(render);
  render(store.state);

  return {
    destroy() {
      unsubscribe();
      shortcuts.destroy();
      banner.destroy();
      messages.destroy();
      details.destroy();
      composer.destroy();
      wideQuery?.removeEventListener('change', onWide);
      document.querySelectorAll('dialog').forEach((d) => d.close());
    },
  };
}
