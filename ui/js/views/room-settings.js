// The "Room settings" dialog for room admins: the name, the description (topic), public or
// private, and who the room's admins are (make a member an admin, or stop being one). Every
// change is a system message in the room and reaches the other members live.

import { h, reconcile } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { openDialog, field } from './dialogs.js';
import { toast } from './toast.js';

export function roomSettingsDialog({ store, actions, roomId }) {
  const room = store.state.rooms[roomId];
  if (!room) return Promise.resolve();
  let unsubscribe = () => {};
  return openDialog({
    title: t('roomSettings.title', { room: room.name }),
    className: 'dialog-wide room-settings',
    build: (close) => {
      const name = field({ label: t('createRoom.name'), name: 'name', maxlength: 64, value: room.name });
      const description = field({ label: t('createRoom.description'), name: 'description', multiline: true, maxlength: 500, value: room.description ?? '' });
      const privateBox = h('input', { type: 'checkbox', id: 'room-settings-private', name: 'private', checked: Boolean(room.is_private) });
      const formError = h('p', { class: 'form-error', role: 'alert' });
      const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('roomSettings.save'));
      const form = h(
        'form',
        { class: 'stack', novalidate: true },
        name.el,
        description.el,
        h('label', { class: 'check', for: 'room-settings-private' }, privateBox, h('span', {}, h('span', { text: t('createRoom.private') }), h('span', { class: 'muted', text: ` — ${t('roomSettings.privateHint')}` }))),
        formError,
        h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close() }, t('dialog.cancel')), submit),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        formError.textContent = '';
        const now = store.state.rooms[roomId] ?? room;
        const changes = {};
        const newName = name.input.value.trim();
        if (!newName) {
          name.setError(t('err.required'));
          name.input.focus();
          return;
        }
        if (newName !== now.name) changes.name = newName;
        const newDescription = description.input.value.trim();
        if (newDescription !== (now.description ?? '')) changes.description = newDescription;
        if (privateBox.checked !== Boolean(now.is_private)) changes.is_private = privateBox.checked;
        if (Object.keys(changes).length === 0) {
          close();
          return;
        }
        submit.disabled = true;
        try {
          await actions.updateRoom(roomId, changes);
          toast(t('roomSettings.saved'));
          close(true);
        } catch (error) {
          submit.disabled = false;
          const target = error.field === 'name' || error.code === 'room_name_taken' || error.code === 'invalid_room_name' ? name : error.field === 'description' || error.code === 'invalid_description' ? description : null;
          if (target) {
            target.setError(errorText(error));
            target.input.focus();
          } else formError.textContent = errorText(error);
        }
      });

      // Room admins: every member, with a button to make them an admin or stop.
      const admins = h('ul', { class: 'member-list room-admins', 'aria-labelledby': 'room-admins-title' });
      const renderMember = ({ member, meId }) => {
        // Named "Make admin (dave)": the visible words first, then whom it is about.
        const button = h(
          'button',
          { type: 'button', class: `btn btn-small ${member.is_admin ? 'btn-ghost' : 'btn-light'}` },
          member.is_admin ? t('roomSettings.removeAdminShort') : t('roomSettings.makeAdminShort'),
          h('span', { class: 'sr-only', text: ` (${member.username})` }),
        );
        button.addEventListener('click', async () => {
          button.disabled = true;
          try {
            await actions.setRoomAdmin(roomId, member.id, !member.is_admin);
          } catch (error) {
            toast(errorText(error), { kind: 'error' });
            button.disabled = false;
          }
        });
        return h(
          'li',
          { class: 'member', 'data-user': member.username },
          h(
            'span',
            { class: 'member-name' },
            h('bdi', { text: member.username }),
            member.id === meId ? h('span', { class: 'member-you', text: `(${t('members.you')})` }) : null,
            member.is_admin ? h('span', { class: 'pill pill-small', text: t('members.admin') }) : null,
            member.is_deactivated ? h('span', { class: 'pill pill-small pill-deactivated', text: t('people.deactivated') }) : null,
          ),
          button,
        );
      };
      let lastMembers = null;
      const render = (state) => {
        const members = state.members[roomId];
        if (!members || members === lastMembers) return;
        lastMembers = members;
        const sorted = [...members].sort((a, b) => Number(b.is_admin) - Number(a.is_admin) || a.username.localeCompare(b.username));
        reconcile(admins, sorted.map((member) => ({ key: String(member.id), sig: `${member.is_admin}|${member.is_deactivated}`, member, meId: state.me?.id })), renderMember);
      };
      unsubscribe = store.subscribe(render);
      render(store.state);
      return h(
        'div',
        { class: 'stack' },
        form,
        h('section', { class: 'room-admins-section' }, h('h3', { class: 'section-title', id: 'room-admins-title', text: t('roomSettings.admins') }), h('p', { class: 'field-hint', text: t('roomSettings.adminsHint') }), admins),
      );
    },
  }).finally(() => unsubscribe());
}
