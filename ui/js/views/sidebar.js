// The room list: favourite rooms, the other rooms I am in (with unread badges, a red badge for
// mentions), my direct conversations (with presence dots), and public rooms I could join; ordered
// by name or latest activity, "mark all as read", arrow keys moving through it (one tab stop), the
// buttons to create a room, start a conversation and see my mentions, and my own card at the
// bottom (where I set my status).

import { h, icon, avatar, reconcile } from '../dom.js';
import { t } from '../i18n.js';
import { roomSections, roomTitle, statusOf } from '../state.js';
import { presenceDot } from './people.js';

export function createSidebar({ actions, onOpenRoom, onCreateRoom, onSettings, onNewMessage, onMentions, onThreads, onStatus }) {
  const favouriteList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-favourites' });
  const favouriteSection = h('section', { class: 'room-section', hidden: true }, h('h3', { id: 'rooms-favourites', class: 'section-title', text: t('nav.favourites') }), favouriteList);
  const mineList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-mine' });
  const discoverList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-discover' });
  const empty = h('p', { class: 'muted room-empty', text: t('nav.noRooms') });
  const discoverSection = h('section', { class: 'room-section' }, h('h3', { id: 'rooms-discover', class: 'section-title', text: t('nav.discover') }), discoverList);
  const meCard = h('div', { class: 'me-card' });
  const create = h('button', { type: 'button', class: 'icon-btn icon-btn-soft', 'aria-label': t('room.create'), title: t('room.create'), onclick: onCreateRoom }, icon('plus'));
  const sort = h(
    'select',
    { class: 'room-sort', 'aria-label': t('nav.sortBy'), title: t('nav.sortBy'), onchange: () => actions.setRoomSort(sort.value) },
    h('option', { value: 'name', text: t('nav.sortName') }),
    h('option', { value: 'activity', text: t('nav.sortActivity') }),
  );
  const markAll = h('button', { type: 'button', class: 'link-btn mark-all-read', hidden: true, onclick: () => actions.markAllRead() }, icon('check'), t('nav.markAllRead'));
  const mentionsBtn = h('button', { type: 'button', class: 'icon-btn icon-btn-soft', 'data-testid': 'open-mentions', 'aria-label': t('mentions.title'), title: t('mentions.title'), onclick: onMentions }, icon('at'));
  const threadsBtn = h('button', { type: 'button', class: 'icon-btn icon-btn-soft', 'data-testid': 'open-threads', 'aria-label': t('threads.open'), title: t('threads.open'), onclick: onThreads }, icon('thread'));
  const newMessage = h('button', { type: 'button', class: 'icon-btn', 'data-testid': 'new-message', 'aria-label': t('people.newMessage'), title: t('people.newMessage'), onclick: onNewMessage }, icon('plus'));
  const directList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-direct' });

  const el = h(
    'nav',
    { class: 'sidebar', id: 'sidebar', 'aria-label': t('nav.label') },
    h('div', { class: 'sidebar-head' }, h('h2', { text: t('nav.rooms') }), mentionsBtn, threadsBtn, create),
    h('div', { class: 'sidebar-tools' }, sort, markAll),
    h(
      'div',
      { class: 'sidebar-scroll' },
      favouriteSection,
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
    // The accessible name is the visible text ("general @1") with words around it for screen
    // readers ("general, @1 1 mention, 3 unread messages, private"), so speech input can say what
    // it sees. Mentions (and every unread message of a conversation) show in a red badge of their
    // own; plain unread in the grey one.
    const words = [];
    if (mentions > 0 && !direct) words.push(t('room.mentions', { n: mentions }));
    if (unread > 0) words.push(mentions > 0 ? t('room.unread', { n: unread }) : t('room.unreadWords', { n: unread }));
    if (room.is_private && !direct) words.push(t('room.private'));
    if (!room.is_member) words.push(t('room.preview'));
    if (muted) words.push(t('room.muted'));
    if (room.is_archived) words.push(t('room.archived'));
    const button = h(
      'button',
      {
        type: 'button',
        class: `room-item${active ? ' active' : ''}${unread > 0 ? ' has-unread' : ''}`,
        'aria-current': active ? 'page' : null,
        'data-room-id': room.id,
        'data-kind': room.kind ?? 'channel',
        tabindex: '-1',
        title: room.description || title,
        onclick: () => onOpenRoom(room.id),
      },
      direct
        ? h('span', { class: 'room-icon dm-icon' }, (room.dm_users ?? []).length === 1 ? h('span', { class: 'avatar-wrap' }, avatar(room.dm_users[0], 'xs'), presenceDot(status)) : icon('users'))
        : h('span', { class: 'room-icon' }, icon(room.is_private ? 'lock' : 'hash')),
      h('bdi', { class: 'room-name', dir: 'auto', text: title }),
      room.is_archived ? h('span', { class: 'room-archived', 'aria-hidden': 'true', title: t('room.archived') }, icon('archive')) : null,
      muted ? h('span', { class: 'room-muted', 'aria-hidden': 'true', title: t('room.muted') }, icon('bellOff')) : null,
      unread > 0 && mentions === 0 ? h('span', { class: 'room-dot', 'aria-hidden': 'true' }) : null,
      mentions > 0 || unread > 0 ? h('span', { class: 'sr-only', text: ', ' }) : null,
      mentions > 0
        ? h('span', { class: 'badge badge-mention', text: direct ? count(mentions) : `@${count(mentions)}` })
        : unread > 0
          ? h('span', { class: 'badge badge-unread', text: count(unread) })
          : null,
      words.length ? h('span', { class: 'sr-only', text: ` ${words.join(', ')}` }) : null,
    );
    return h('li', {}, button);
  };

  // Arrow keys move through the rooms; Tab enters and leaves the list at one room.
  const buttons = () => [...el.querySelectorAll('.room-item')].filter((b) => b.offsetParent !== null || !b.closest('[hidden]'));
  el.querySelector('.sidebar-scroll').addEventListener('keydown', (event) => {
    if (event.isComposing || event.keyCode === 229 || event.altKey || event.ctrlKey || event.metaKey) return;
    const all = buttons();
    const at = all.indexOf(document.activeElement);
    if (at < 0) return;
    let to = null;
    if (event.key === 'ArrowDown') to = Math.min(all.length - 1, at + 1);
    else if (event.key === 'ArrowUp') to = Math.max(0, at - 1);
    else if (event.key === 'Home') to = 0;
    else if (event.key === 'End') to = all.length - 1;
    if (to === null) return;
    event.preventDefault();
    rove(all[to]);
    all[to].focus();
  });

  function rove(target) {
    for (const b of el.querySelectorAll('.room-item')) b.tabIndex = b === target ? 0 : -1;
  }

  let lastRooms = null;
  let lastFavourites = null;
  let lastSort = null;
  let lastCurrent = null;
  let lastMuted = null;
  let lastMe = null;
  let lastPresence = null;
  let lastPeople = null;
  let lastFollowed = null;
  function update(state) {
    if (state.followed !== lastFollowed) {
      // Unread replies in followed threads: a count on the Threads button, in its name too.
      lastFollowed = state.followed;
      const unread = state.followed.items.reduce((sum, f) => sum + (f.unread_count ?? 0), 0);
      threadsBtn.querySelector('.threads-badge')?.remove();
      if (unread > 0) threadsBtn.append(h('span', { class: 'badge threads-badge', 'aria-hidden': 'true', text: unread > 99 ? '99+' : String(unread) }));
      const label = unread > 0 ? `${t('threads.open')}, ${t('threads.unread', { n: unread })}` : t('threads.open');
      threadsBtn.setAttribute('aria-label', label);
    }
    if (state.rooms !== lastRooms || state.currentRoomId !== lastCurrent || state.muted !== lastMuted || state.favourites !== lastFavourites || state.roomSort !== lastSort || state.presence !== lastPeople) {
      lastRooms = state.rooms;
      lastCurrent = state.currentRoomId;
      lastMuted = state.muted;
      lastFavourites = state.favourites;
      lastSort = state.roomSort;
      lastPeople = state.presence;
      const { favourites, rooms: mine, direct, discover } = roomSections(state);
      const item = (room) => {
        const other = room.kind === 'direct' && room.dm_users?.length === 1 ? room.dm_users[0] : null;
        const status = other ? statusOf(state, other).status : null;
        return {
          key: String(room.id),
          sig: `${roomTitle(room)}|${room.is_private}|${room.is_member}|${room.unread_count}|${room.mention_count}|${room.id === state.currentRoomId}|${room.description}|${Boolean(state.muted[room.id])}|${status}|${Boolean(room.is_archived)}`,
          room,
          active: room.id === state.currentRoomId,
          muted: Boolean(state.muted[room.id]),
          status,
        };
      };
      reconcile(favouriteList, favourites.map(item), renderRoom);
      reconcile(mineList, mine.map(item), renderRoom);
      reconcile(directList, direct.map(item), renderRoom);
      reconcile(discoverList, discover.map(item), renderRoom);
      favouriteSection.hidden = favourites.length === 0;
      empty.hidden = mine.length + favourites.length > 0 || Object.keys(state.rooms).length === 0;
      discoverSection.hidden = discover.length === 0;
      sort.value = state.roomSort;
      markAll.hidden = !Object.values(state.rooms).some((r) => r.is_member && (r.unread_count ?? 0) > 0);
      if (!el.contains(document.activeElement) || !document.activeElement.classList.contains('room-item')) {
        rove(el.querySelector('.room-item.active') ?? el.querySelector('.room-item'));
      }
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
        // Named by what it shows ("alice, Online · Deep work") and what it does, for speech input.
        { type: 'button', class: 'me-text', 'data-testid': 'set-status', title: t('status.set'), onclick: onStatus },
        h('span', { class: 'me-name', text: me.username }),
        h('span', { class: 'sr-only', text: ', ' }),
        h('span', { class: 'me-status', 'data-status': status, text: text ? `${t(`status.${status}`)} · ${text}` : t(`status.${status}`) }),
        h('span', { class: 'sr-only', text: `. ${t('status.set')}` }),
      ),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('header.settings'), title: t('header.settings'), onclick: onSettings }, icon('settings')),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('settings.logout'), title: t('settings.logout'), onclick: () => actions.logout() }, icon('logout')),
    );
  }

  return { el, update, focusFirst: () => el.querySelector('.room-item.active, .room-item, button')?.focus() };
}
