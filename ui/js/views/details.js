// The room details panel: what the room is, how long its history is kept, muting its
// notifications on this device, who is in it and who is online right now (live), adding and
// removing members for room admins, leaving or joining the room (closing a conversation), and
// each member's profile card.

import { h, icon, avatar, reconcile } from '../dom.js';
import { t, language, errorText } from '../i18n.js';
import { formatRelative } from '../format.js';
import { isOnline, roomTitle, statusOf } from '../state.js';
import { confirmDialog, field } from './dialogs.js';
import { toast } from './toast.js';
import { openProfile, presenceDot } from './people.js';

export function createDetails({ actions, onClose, onRoomSettings = () => {} }) {
  const title = h('h2', { class: 'details-title' });
  const badge = h('span', { class: 'pill' });
  const description = h('p', { class: 'details-description' });
  const count = h('p', { class: 'muted details-count' });
  const retention = h('p', { class: 'muted retention-note', id: 'retention-note', hidden: true });
  const muteState = h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' }));
  const muteBtn = h(
    'button',
    { type: 'button', class: 'switch', role: 'switch', id: 'room-mute-toggle', 'data-testid': 'room-mute-toggle', 'aria-checked': 'false' },
    icon('bellOff'),
    h('span', { class: 'switch-label', text: t('room.mute') }),
    muteState,
  );
  const settingsBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'room-settings', hidden: true }, icon('settings'), t('roomSettings.open'));
  settingsBtn.addEventListener('click', () => room && onRoomSettings(room.id));
  const archivedNote = h('p', { class: 'archived-note', hidden: true }, icon('archive'), h('span', { text: t('room.archivedNote') }));
  const favouriteBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-small favourite-toggle', 'aria-pressed': 'false', text: t('room.favourite') });
  const muteRow = h('div', { class: 'mute-row' }, muteBtn, h('p', { class: 'field-hint', text: t('room.muteHint') }), favouriteBtn);
  const close = h('button', { type: 'button', class: 'icon-btn details-close', 'aria-label': t('dialog.close'), onclick: onClose }, icon('close'));

  const addField = field({ label: t('members.add'), name: 'member', placeholder: t('members.addPlaceholder'), maxlength: 32 });
  const addBtn = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, icon('userPlus'), t('members.addButton'));
  addField.el.append(addBtn);
  const addForm = h('form', { class: 'add-member', novalidate: true }, addField.el);

  const onlineTitle = h('h3', { class: 'section-title', id: 'members-online' });
  const offlineTitle = h('h3', { class: 'section-title', id: 'members-offline' });
  const onlineList = h('ul', { class: 'member-list', 'aria-labelledby': 'members-online' });
  const offlineList = h('ul', { class: 'member-list', 'aria-labelledby': 'members-offline' });
  const loading = h('p', { class: 'muted', text: t('members.loading') });
  const leaveBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-danger-text btn-block' }, icon('logout'), t('room.leave'));
  const joinBtn = h('button', { type: 'button', class: 'btn btn-primary btn-block' }, t('room.join'));

  const el = h(
    'aside',
    { class: 'details', id: 'details', 'aria-label': t('room.details') },
    h('div', { class: 'details-head' }, h('div', { class: 'details-heading' }, title, badge), close),
    h(
      'div',
      { class: 'details-scroll' },
      description,
      count,
      archivedNote,
      settingsBtn,
      retention,
      muteRow,
      addForm,
      loading,
      h('section', { class: 'member-section' }, onlineTitle, onlineList),
      h('section', { class: 'member-section' }, offlineTitle, offlineList),
    ),
    h('div', { class: 'details-foot' }, leaveBtn, joinBtn),
  );

  let room = null;
  let slices = {};
  let lastState = null;
  // Relative "last seen" times age: redraw them every minute.
  const ageTimer = setInterval(() => {
    if (lastState && el.isConnected) {
      slices = {};
      update(lastState);
    }
  }, 60_000);

  addForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = addField.input.value.trim();
    if (!name || !room) {
      addField.setError(t('err.required'));
      return;
    }
    addBtn.disabled = true;
    try {
      const member = await actions.addMember(room.id, name);
      addField.input.value = '';
      toast(t('members.added', { user: member.username }));
    } catch (error) {
      addField.setError(errorText(error));
      addField.input.focus();
    } finally {
      addBtn.disabled = false;
    }
  });

  leaveBtn.addEventListener('click', async () => {
    if (!room) return;
    const target = room;
    if (target.kind === 'direct') {
      // A conversation is closed, not left: it comes back with its next message.
      actions.closeDm(target.id).catch((error) => toast(errorText(error), { kind: 'error' }));
      return;
    }
    const ok = await confirmDialog({
      title: t('room.leave'),
      message: t('room.confirmLeave', { room: target.name }),
      detail: target.is_private ? t('room.confirmLeavePrivate') : null,
      confirmLabel: t('dialog.leave'),
      danger: true,
    });
    if (!ok) return;
    try {
      await actions.leaveRoom(target.id);
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  });

  favouriteBtn.addEventListener('click', () => {
    if (room) actions.setFavourite(room.id, favouriteBtn.getAttribute('aria-pressed') !== 'true');
  });
  muteBtn.addEventListener('click', () => {
    if (!room) return;
    actions.setMuted(room.id, muteBtn.getAttribute('aria-checked') !== 'true');
  });

  joinBtn.addEventListener('click', async () => {
    if (!room) return;
    try {
      await actions.joinRoom(room.id);
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  });

  function renderMember({ member, online, me, canRemove, presence }) {
    const status = online
      ? [t(`status.${presence.status}`), presence.status_text].filter(Boolean).join(' · ')
      : member.last_seen
        ? t('members.lastSeen', { when: formatRelative(member.last_seen, language(), new Date(), t('members.justNow')) })
        : t('members.offlineNow');
    const remove = canRemove
      ? h(
          'button',
          {
            type: 'button',
            class: 'icon-btn member-remove',
            'aria-label': t('members.remove', { user: member.username }),
            title: t('members.remove', { user: member.username }),
            onclick: () => removeMember(member),
          },
          icon('close'),
        )
      : null;
    return h(
      'li',
      { class: `member${online ? ' online' : ''}`, 'data-user': member.username, 'data-online': String(online) },
      h('span', { class: 'avatar-wrap' }, avatar(member, 'sm'), presenceDot(presence.status)),
      h(
        'button',
        { type: 'button', class: 'member-text person-link', title: t('people.profile'), onclick: () => openProfile({ userId: member.id, me, actions }) },
        h(
          'span',
          { class: 'member-name' },
          h('span', { text: member.username }),
          member.id === me?.id ? h('span', { class: 'member-you', text: `(${t('members.you')})` }) : null,
          member.is_admin ? h('span', { class: 'pill pill-small', text: t('members.admin') }) : null,
          member.is_deactivated ? h('span', { class: 'pill pill-small pill-deactivated', text: t('people.deactivated') }) : null,
        ),
        h('span', { class: 'member-status', text: status }),
      ),
      remove,
    );
  }

  async function removeMember(member) {
    if (!room) return;
    const target = room;
    const ok = await confirmDialog({
      title: t('members.remove', { user: member.username }),
      message: t('members.confirmRemove', { user: member.username, room: target.name }),
      confirmLabel: t('dialog.remove'),
      danger: true,
    });
    if (!ok) return;
    try {
      await actions.removeMember(target.id, member);
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  }

  function update(state) {
    lastState = state;
    const next = state.rooms[state.currentRoomId] ?? null;
    const nextSlices = { room: next, members: next ? state.members[next.id] : null, presence: state.presence, me: state.me, connection: state.connection, lang: language(), server: state.server, muted: state.muted, favourites: state.favourites };
    if (Object.keys(nextSlices).every((k) => nextSlices[k] === slices[k])) return;
    slices = nextSlices;
    room = next;
    el.classList.toggle('empty', !room);
    if (!room) return;
    const direct = room.kind === 'direct';
    title.textContent = roomTitle(room);
    badge.textContent = direct ? t('room.direct') : room.is_private ? t('room.private') : t('room.public');
    leaveBtn.lastChild.textContent = direct ? t('people.close') : t('room.leave');
    badge.className = `pill ${room.is_private ? 'pill-private' : ''}`;
    description.textContent = room.description || (direct ? '' : t('room.noDescription'));
    description.classList.toggle('muted', !room.description);
    count.textContent = t('room.members', { n: room.member_count ?? 0 });
    const days = state.server?.retention_days ?? 0;
    retention.hidden = !(days > 0);
    retention.textContent = days > 0 ? t('room.retention', { n: days }) : '';
    muteRow.hidden = !room.is_member;
    muteBtn.setAttribute('aria-checked', String(Boolean(state.muted[room.id])));
    const favourite = Boolean(state.favourites?.[room.id]);
    favouriteBtn.setAttribute('aria-pressed', String(favourite));
    // Conversations have their own section; only rooms are pinned among the favourites.
    favouriteBtn.hidden = room.kind === 'direct';
    favouriteBtn.textContent = favourite ? t('room.unfavourite') : t('room.favourite');
    addForm.hidden = !room.is_admin || !room.is_member || Boolean(room.is_archived);
    settingsBtn.hidden = direct || !room.is_admin || Boolean(room.is_archived);
    archivedNote.hidden = !room.is_archived;
    leaveBtn.hidden = !room.is_member;
    joinBtn.hidden = room.is_member;

    const members = nextSlices.members;
    loading.hidden = Boolean(members);
    const online = [];
    const offline = [];
    for (const member of members ?? []) (isOnline(state, member) ? online : offline).push(member);
    const byName = (a, b) => Number(b.is_admin) - Number(a.is_admin) || a.username.localeCompare(b.username);
    online.sort(byName);
    offline.sort(byName);
    onlineTitle.textContent = t('members.online', { n: online.length });
    offlineTitle.textContent = t('members.offline', { n: offline.length });
    offlineTitle.parentElement.hidden = offline.length === 0;
    const item = (member, isOn) => {
      const canRemove = room.is_admin && member.id !== state.me?.id;
      const seen = state.presence[member.id]?.last_seen ?? member.last_seen;
      const m = { ...member, last_seen: seen };
      const minute = Math.floor(Date.now() / 60_000); // "last seen 5 minutes ago" ages
      const presence = statusOf(state, member);
      return { key: String(member.id), sig: `${isOn}|${seen}|${member.is_admin}|${member.is_deactivated}|${canRemove}|${member.avatar_url}|${language()}|${minute}|${presence.status}|${presence.status_text}`, member: m, online: isOn, me: state.me, canRemove, presence };
    };
    reconcile(onlineList, online.map((m) => item(m, true)), renderMember);
    reconcile(offlineList, offline.map((m) => item(m, false)), renderMember);
  }

  return { el, update, destroy: () => clearInterval(ageTimer) };
}
