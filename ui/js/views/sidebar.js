// The room list: rooms I am in (with unread badges and a new-messages marker) and public rooms
// I could join, plus the button to create a room and my own card at the bottom.

import { h, icon, avatar, reconcile } from '../dom.js';
import { t } from '../i18n.js';
import { roomSections } from '../state.js';

export function createSidebar({ actions, onOpenRoom, onCreateRoom, onSettings }) {
  const mineList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-mine' });
  const discoverList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-discover' });
  const empty = h('p', { class: 'muted room-empty', text: t('nav.noRooms') });
  const discoverSection = h('section', { class: 'room-section' }, h('h3', { id: 'rooms-discover', class: 'section-title', text: t('nav.discover') }), discoverList);
  const meCard = h('div', { class: 'me-card' });
  const create = h('button', { type: 'button', class: 'icon-btn icon-btn-soft', 'aria-label': t('room.create'), title: t('room.create'), onclick: onCreateRoom }, icon('plus'));

  const el = h(
    'nav',
    { class: 'sidebar', id: 'sidebar', 'aria-label': t('nav.label') },
    h('div', { class: 'sidebar-head' }, h('h2', { text: t('nav.rooms') }), create),
    h(
      'div',
      { class: 'sidebar-scroll' },
      h('section', { class: 'room-section' }, h('h3', { id: 'rooms-mine', class: 'section-title', text: t('nav.myRooms') }), mineList, empty),
      discoverSection,
    ),
    meCard,
  );

  const renderRoom = ({ room, active, muted }) => {
    const unread = room.is_member ? room.unread_count ?? 0 : 0;
    const label = [room.name];
    if (room.is_private) label.push(t('room.private'));
    if (unread > 0) label.push(t('room.unread', { n: unread }));
    if (!room.is_member) label.push(t('room.preview'));
    if (muted) label.push(t('room.muted'));
    const button = h(
      'button',
      {
        type: 'button',
        class: `room-item${active ? ' active' : ''}${unread > 0 ? ' has-unread' : ''}`,
        'aria-current': active ? 'page' : null,
        'aria-label': label.join(', '),
        'data-room-id': room.id,
        title: room.description || room.name,
        onclick: () => onOpenRoom(room.id),
      },
      h('span', { class: 'room-icon' }, icon(room.is_private ? 'lock' : 'hash')),
      h('bdi', { class: 'room-name', dir: 'auto', text: room.name }),
      muted ? h('span', { class: 'room-muted', 'aria-hidden': 'true', title: t('room.muted') }, icon('bellOff')) : null,
      unread > 0 ? h('span', { class: 'room-dot', 'aria-hidden': 'true' }) : null,
      unread > 0 ? h('span', { class: 'badge', 'aria-hidden': 'true', text: unread > 99 ? '99+' : String(unread) }) : null,
    );
    return h('li', {}, button);
  };

  let lastRooms = null;
  let lastCurrent = null;
  let lastMuted = null;
  let lastMe = null;
  let lastPresence = null;

  function update(state) {
    if (state.rooms !== lastRooms || state.currentRoomId !== lastCurrent || state.muted !== lastMuted) {
      lastRooms = state.rooms;
      lastCurrent = state.currentRoomId;
      lastMuted = state.muted;
      const { mine, discover } = roomSections(state);
      const item = (room) => ({
        key: String(room.id),
        sig: `${room.name}|${room.is_private}|${room.is_member}|${room.unread_count}|${room.id === state.currentRoomId}|${room.description}|${Boolean(state.muted[room.id])}`,
        room,
        active: room.id === state.currentRoomId,
        muted: Boolean(state.muted[room.id]),
      });
      reconcile(mineList, mine.map(item), renderRoom);
      reconcile(discoverList, discover.map(item), renderRoom);
      empty.hidden = mine.length > 0 || Object.keys(state.rooms).length === 0;
      discoverSection.hidden = discover.length === 0;
    }
    if (state.me !== lastMe || state.connection !== lastPresence) {
      lastMe = state.me;
      lastPresence = state.connection;
      renderMe(state);
    }
  }

  function renderMe(state) {
    const me = state.me;
    if (!me) {
      meCard.replaceChildren(h('span', { class: 'muted', text: t('conn.connecting') }));
      return;
    }
    const online = state.connection.status === 'online' || state.connection.status === 'syncing';
    meCard.replaceChildren(
      h('span', { class: 'avatar-wrap' }, avatar(me, 'sm'), h('span', { class: `presence-dot ${online ? 'online' : 'offline'}`, 'aria-hidden': 'true' })),
      h(
        'span',
        { class: 'me-text' },
        h('span', { class: 'me-name', text: me.username }),
        h('span', { class: 'me-status', text: online ? t('conn.online') : t('conn.offline') }),
      ),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('header.settings'), title: t('header.settings'), onclick: onSettings }, icon('settings')),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('settings.logout'), title: t('settings.logout'), onclick: () => actions.logout() }, icon('logout')),
    );
  }

  return { el, update, focusFirst: () => el.querySelector('.room-item.active, .room-item, button')?.focus() };
}
