// The room list: rooms I am in (with unread badges, a red badge for mentions, and a
// new-messages marker), my direct conversations (with presence dots), public rooms I could
// join, the buttons to create a room, start a conversation and see my mentions, and my own
// card at the bottom (where I set my status).

import { h, icon, avatar, reconcile } from '../dom.js';
import { t } from '../i18n.js';
import { roomSections, roomTitle, statusOf } from '../state.js';
import { presenceDot } from './people.js';

export function createSidebar({ actions, onOpenRoom, onCreateRoom, onSettings, onNewMessage, onMentions, onStatus }) {
  const mineList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-mine' });
  const discoverList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-discover' });
  const empty = h('p', { class: 'muted room-empty', text: t('nav.noRooms') });
  const discoverSection = h('section', { class: 'room-section' }, h('h3', { id: 'rooms-discover', class: 'section-title', text: t('nav.discover') }), discoverList);
  const meCard = h('div', { class: 'me-card' });
  const create = h('button', { type: 'button', class: 'icon-btn icon-btn-soft', 'aria-label': t('room.create'), title: t('room.create'), onclick: onCreateRoom }, icon('plus'));
  const mentionsBtn = h('button', { type: 'button', class: 'icon-btn icon-btn-soft', 'data-testid': 'open-mentions', 'aria-label': t('mentions.title'), title: t('mentions.title'), onclick: onMentions }, icon('at'));
  const newMessage = h('button', { type: 'button', class: 'icon-btn', 'data-testid': 'new-message', 'aria-label': t('people.newMessage'), title: t('people.newMessage'), onclick: onNewMessage }, icon('plus'));
  const directList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-direct' });

  const el = h(
    'nav',
    { class: 'sidebar', id: 'sidebar', 'aria-label': t('nav.label') },
    h('div', { class: 'sidebar-head' }, h('h2', { text: t('nav.rooms') }), mentionsBtn, create),
    h(
      'div',
      { class: 'sidebar-scroll' },
      h('section', { class: 'room-section' }, h('h3', { id: 'rooms-mine', class: 'section-title', text: t('nav.myRooms') }), mineList, empty),
      h('section', { class: 'room-section dm-section' }, h('div', { class: 'section-head' }, h('h3', { id: 'rooms-direct', class: 'section-title', text: t('nav.direct') }), newMessage), directList),
      discoverSection,
    ),
    meCard,
  );

  const count = (n) => (n > 99 ? '99+' : String(n));
  const renderRoom = ({ room, active, muted, status }) => {
    const unread = room.is_member ? room.unread_count ?? 0 : 0;
    const mentions = room.is_member ? room.mention_count ?? 0 : 0;
    const direct = room.kind === 'direct';
    const title = roomTitle(room);
    const label = [title];
    if (room.is_private && !direct) label.push(t('room.private'));
    if (mentions > 0 && !direct) label.push(t('room.mentions', { n: mentions }));
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
        'data-kind': room.kind ?? 'channel',
        title: room.description || title,
        onclick: () => onOpenRoom(room.id),
      },
      direct
        ? h('span', { class: 'room-icon dm-icon' }, (room.dm_users ?? []).length === 1 ? h('span', { class: 'avatar-wrap' }, avatar(room.dm_users[0], 'xs'), presenceDot(status)) : icon('users'))
        : h('span', { class: 'room-icon' }, icon(room.is_private ? 'lock' : 'hash')),
      h('span', { class: 'room-name', text: title }),
      muted ? h('span', { class: 'room-muted', 'aria-hidden': 'true', title: t('room.muted') }, icon('bellOff')) : null,
      unread > 0 && mentions === 0 ? h('span', { class: 'room-dot', 'aria-hidden': 'true' }) : null,
      mentions > 0
        ? h('span', { class: 'badge badge-mention', 'aria-hidden': 'true', text: direct ? count(mentions) : `@${count(mentions)}` })
        : unread > 0
          ? h('span', { class: 'badge', 'aria-hidden': 'true', text: count(unread) })
          : null,
    );
    return h('li', {}, button);
  };

  let lastRooms = null;
  let lastCurrent = null;
  let lastMuted = null;
  let lastMe = null;
  let lastPresence = null;

  let lastPeople = null;
  function update(state) {
    if (state.rooms !== lastRooms || state.currentRoomId !== lastCurrent || state.muted !== lastMuted || state.presence !== lastPeople) {
      lastRooms = state.rooms;
      lastCurrent = state.currentRoomId;
      lastMuted = state.muted;
      lastPeople = state.presence;
      const { mine, discover, direct } = roomSections(state);
      const item = (room) => {
        const other = room.kind === 'direct' && room.dm_users?.length === 1 ? room.dm_users[0] : null;
        const status = other ? statusOf(state, other).status : null;
        return {
          key: String(room.id),
          sig: `${roomTitle(room)}|${room.is_private}|${room.is_member}|${room.unread_count}|${room.mention_count}|${room.id === state.currentRoomId}|${room.description}|${Boolean(state.muted[room.id])}|${status}`,
          room,
          active: room.id === state.currentRoomId,
          muted: Boolean(state.muted[room.id]),
          status,
        };
      };
      reconcile(mineList, mine.map(item), renderRoom);
      reconcile(directList, direct.map(item), renderRoom);
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
    const { status, status_text: text } = statusOf(state, me);
    meCard.replaceChildren(
      h('span', { class: 'avatar-wrap' }, avatar(me, 'sm'), presenceDot(status)),
      h(
        'button',
        { type: 'button', class: 'me-text', 'data-testid': 'set-status', title: t('status.set'), 'aria-label': `${me.username}, ${t(`status.${status}`)}. ${t('status.set')}`, onclick: onStatus },
        h('span', { class: 'me-name', text: me.username }),
        h('span', { class: 'me-status', 'data-status': status, text: text ? `${t(`status.${status}`)} · ${text}` : t(`status.${status}`) }),
      ),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('header.settings'), title: t('header.settings'), onclick: onSettings }, icon('settings')),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('settings.logout'), title: t('settings.logout'), onclick: () => actions.logout() }, icon('logout')),
    );
  }

  return { el, update, focusFirst: () => el.querySelector('.room-item.active, .room-item, button')?.focus() };
}
