// The Administration console (server administrators only, `#/admin/SECTION`): a list of
// sections beside the open one on wide screens; on a phone the list first, then a page each
// with a way back. Users and Rooms are drawn here, the other pages in admin-pages.js. Every
// change asks the controller; what it loaded comes back through the store.

import { h, icon, avatar, reconcile } from '../dom.js';
import { t, errorText, language } from '../i18n.js';
import { formatDateTime, formatRelative } from '../format.js';
import { ADMIN_SECTIONS } from '../admin-state.js';
import { confirmDialog, openDialog, field } from './dialogs.js';
import { toast } from './toast.js';
import { copyText } from './server.js';
import { invitesPage, settingsPage, auditPage, statsPage } from './admin-pages.js';

const SECTION_ICONS = { users: 'users', rooms: 'hash', invites: 'userPlus', settings: 'settings', audit: 'file', stats: 'clock' };

/** A date and time in the interface language, or a dash. */
export function when(iso) {
  return iso ? formatDateTime(iso, language()) : '—';
}

/** Runs `work` with `button` disabled; a failure is said in a toast. Resolves with its result. */
export async function busy(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (error) {
    toast(errorText(error), { kind: 'error' });
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function mountAdmin(root, { store, actions, section = null }) {
  const pages = { users: usersPage, rooms: roomsPage, invites: invitesPage, settings: settingsPage, audit: auditPage, stats: statsPage };
  const narrow = globalThis.matchMedia?.('(max-width: 600px)').matches ?? false;
  // A wide screen always shows a page; a phone shows the list until one is chosen.
  const shown = section ?? (narrow ? null : 'users');

  const nav = h(
    'nav',
    { class: 'admin-nav', 'aria-label': t('admin.sections') },
    h(
      'ul',
      {},
      ADMIN_SECTIONS.map((s) =>
        h('li', {}, h('a', { href: `#/admin/${s}`, class: 'admin-nav-link', 'aria-current': s === shown ? 'page' : null, 'data-section': s }, icon(SECTION_ICONS[s]), h('span', { text: t(`admin.section.${s}`) }))),
      ),
    ),
  );
  const back = h('button', { type: 'button', class: 'btn btn-ghost btn-small admin-back', 'data-testid': 'admin-back', onclick: () => actions.closeAdmin() }, icon('reply'), t('admin.backToChat'));
  const header = h(
    'header',
    { class: 'topbar admin-topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('shield')), h('span', { class: 'brand-name', text: t('admin.title') })),
    h('span', { class: 'admin-server muted', text: store.state.server?.server_name ?? '' }),
    back,
  );

  let page = null;
  const main = h('main', { class: 'admin-page', id: 'admin-page' });
  if (shown) {
    page = pages[shown]({ store, actions });
    const up = narrow ? h('a', { href: '#/admin', class: 'link-btn admin-up', 'data-testid': 'admin-up' }, t('admin.allSections')) : null;
    main.append(up ?? '', h('h1', { class: 'admin-title', text: t(`admin.section.${shown}`) }), page.el);
  }
  const screen = h('div', { class: `admin-screen${shown ? ' has-section' : ''}`, 'data-section': shown ?? '' }, header, h('div', { class: 'admin-body' }, nav, main));
  root.replaceChildren(screen);
  document.title = `${t('admin.title')} · ${t('app.name')}`;

  const unsubscribe = page ? store.subscribe((state) => page.update(state)) : () => {};
  if (page) {
    page.update(store.state);
    page.load?.();
  }
  (main.querySelector('h1') ?? nav.querySelector('a'))?.setAttribute('tabindex', '-1');
  (main.querySelector('h1') ?? nav.querySelector('a'))?.focus();

  return {
    destroy() {
      unsubscribe();
      page?.destroy?.();
      document.querySelectorAll('dialog').forEach((d) => d.close());
    },
  };
}

/** A pill with `text`; `kind` picks its colour. */
export function pill(text, kind = '') {
  return h('span', { class: `pill pill-small ${kind}`.trim(), text });
}

// --- Users ---

function usersPage({ store, actions }) {
  const search = h('input', { type: 'search', id: 'admin-user-search', class: 'admin-search', placeholder: t('admin.users.searchPlaceholder'), autocomplete: 'off' });
  const list = h('ul', { class: 'admin-list', 'aria-label': t('admin.section.users'), 'data-testid': 'admin-users' });
  const empty = h('p', { class: 'muted', text: t('admin.users.none'), hidden: true });
  const create = h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => createAccountDialog(actions) }, icon('userPlus'), t('admin.users.create'));
  const el = h(
    'div',
    { class: 'admin-section' },
    h('div', { class: 'admin-tools' }, h('div', { class: 'field admin-search-field' }, h('label', { for: 'admin-user-search', text: t('admin.users.search') }), search), create),
    list,
    empty,
  );
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => actions.loadAdminUsers(search.value).catch((error) => toast(errorText(error), { kind: 'error' })), 250);
  });

  const meId = () => store.state.me?.id;
  const render = ({ user }) => {
    const buttons = [];
    const act = (label, onclick, extra = {}) => buttons.push(h('button', { type: 'button', class: 'btn btn-ghost btn-small', ...extra, onclick }, label));
    if (user.is_deactivated) act(t('admin.users.reactivate'), (e) => change(e.currentTarget, user, 'reactivate'));
    else act(t('admin.users.deactivate'), (e) => change(e.currentTarget, user, 'deactivate'), { class: 'btn btn-ghost btn-small btn-danger-text' });
    act(t('admin.users.resetPassword'), (e) => reset(e.currentTarget, user));
    if (user.is_server_admin) act(t('admin.users.demote'), (e) => change(e.currentTarget, user, 'demote'));
    else if (!user.is_deactivated) act(t('admin.users.promote'), (e) => change(e.currentTarget, user, 'promote'));
    const seen = user.is_online
      ? t('members.onlineNow')
      : t('admin.users.lastSeen', { when: user.last_seen ? formatRelative(user.last_seen, language(), new Date(), t('members.justNow')) : t('admin.users.never') });
    return h(
      'li',
      { class: `admin-row${user.is_deactivated ? ' is-deactivated' : ''}`, 'data-user': user.username },
      avatar(user, 'sm'),
      h(
        'div',
        { class: 'admin-row-main' },
        h(
          'p',
          { class: 'admin-row-title' },
          h('bdi', { text: user.username }),
          user.id === meId() ? h('span', { class: 'member-you', text: `(${t('members.you')})` }) : null,
          user.is_server_admin ? pill(t('admin.users.roleAdmin'), 'pill-admin') : pill(t('admin.users.roleMember')),
          user.is_deactivated ? pill(t('people.deactivated'), 'pill-deactivated') : pill(t('admin.users.active'), 'pill-ok'),
        ),
        h('p', { class: 'admin-row-meta muted', text: [t('admin.users.created', { when: when(user.created_at) }), seen, user.email].filter(Boolean).join(' · ') }),
      ),
      h('div', { class: 'admin-row-actions' }, buttons),
    );
  };

  async function change(button, user, action) {
    const ok = await confirmDialog({
      title: t(`admin.users.${action}`),
      message: t(`admin.users.confirm.${action}`, { user: user.username }),
      confirmLabel: t(`admin.users.${action}`),
      danger: action === 'deactivate' || action === 'demote',
    });
    if (!ok) return;
    const done = await busy(button, () => actions.adminUser(user.id, action));
    if (done) toast(t(`admin.users.done.${action}`, { user: user.username }));
  }

  async function reset(button, user) {
    const ok = await confirmDialog({ title: t('admin.users.resetPassword'), message: t('admin.users.confirm.reset', { user: user.username }), confirmLabel: t('admin.users.resetPassword'), danger: true });
    if (!ok) return;
    const password = await busy(button, () => actions.resetPassword(user.id));
    if (password) temporaryPasswordDialog(user.username, password);
  }

  let last = null;
  return {
    el,
    load: () => actions.loadAdminUsers('').catch((error) => toast(errorText(error), { kind: 'error' })),
    update(state) {
      const users = state.admin.users;
      if (users === last) return;
      last = users;
      reconcile(list, users.items.map((user) => ({ key: String(user.id), sig: `${user.username}|${user.is_server_admin}|${user.is_deactivated}|${user.is_online}|${user.last_seen}|${user.email}`, user })), render);
      empty.hidden = !users.loaded || users.items.length > 0;
    },
    destroy: () => clearTimeout(timer),
  };
}

/** "New account": a name, an optional email, administrator or not; then its temporary password. */
function createAccountDialog(actions) {
  return openDialog({
    title: t('admin.users.create'),
    build: (close) => {
      const username = field({ label: t('auth.username'), name: 'new-username', maxlength: 32, hint: t('auth.hint.username') });
      const email = field({ label: t('auth.email'), name: 'new-email', type: 'email' });
      const adminBox = h('input', { type: 'checkbox', id: 'new-account-admin' });
      const formError = h('p', { class: 'form-error', role: 'alert' });
      const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('admin.users.createSubmit'));
      const form = h(
        'form',
        { class: 'stack', novalidate: true },
        h('p', { class: 'muted', text: t('admin.users.createExplain') }),
        username.el,
        email.el,
        h('label', { class: 'check', for: 'new-account-admin' }, adminBox, h('span', { text: t('admin.users.createAdmin') })),
        formError,
        h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close() }, t('dialog.cancel')), submit),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        formError.textContent = '';
        const name = username.input.value.trim();
        if (!name) {
          username.setError(t('err.required'));
          username.input.focus();
          return;
        }
        submit.disabled = true;
        try {
          const password = await actions.createAccount({ username: name, email: email.input.value.trim(), isServerAdmin: adminBox.checked });
          close();
          temporaryPasswordDialog(name, password);
        } catch (error) {
          submit.disabled = false;
          const target = error.field === 'email' || error.code === 'invalid_email' ? email : error.field === 'username' || error.code === 'username_taken' || error.code === 'invalid_username' ? username : null;
          if (target) {
            target.setError(errorText(error));
            target.input.focus();
          } else formError.textContent = errorText(error);
        }
      });
      return form;
    },
  });
}

/** Shows a temporary password once, with a Copy button, to be passed on to its owner. */
function temporaryPasswordDialog(username, password) {
  return openDialog({
    title: t('admin.users.tempTitle', { user: username }),
    build: (close) => {
      const value = h('input', { type: 'text', id: 'temp-password', class: 'mono', readonly: true, value: password, 'data-testid': 'temp-password' });
      const copy = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-autofocus': true }, icon('copy'), t('admin.copy'));
      copy.addEventListener('click', async () => toast((await copyText(password)) ? t('admin.copied') : t('admin.copyFailed')));
      return h(
        'div',
        { class: 'stack' },
        h('p', { text: t('admin.users.tempExplain', { user: username }) }),
        h('div', { class: 'field copy-field' }, h('label', { for: 'temp-password', text: t('admin.users.tempLabel') }), h('div', { class: 'copy-row' }, value, copy)),
        h('p', { class: 'muted', text: t('admin.users.tempOnce') }),
        h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close() }, t('dialog.close'))),
      );
    },
    initialFocus: (dialog) => dialog.querySelector('[data-autofocus]'),
  });
}

// --- Rooms ---

/** A room's name as the console shows it (a conversation has none). */
function adminRoomName(room) {
  return room.name ?? t('admin.rooms.conversation', { id: room.id });
}

function roomsPage({ actions }) {
  const list = h('ul', { class: 'admin-list', 'aria-label': t('admin.section.rooms'), 'data-testid': 'admin-rooms' });
  const el = h('div', { class: 'admin-section' }, h('p', { class: 'muted', text: t('admin.rooms.intro') }), list);

  const render = ({ room }) => {
    const direct = room.kind === 'direct';
    const name = adminRoomName(room);
    const pills = [
      pill(direct ? t('room.direct') : room.is_private ? t('room.private') : t('room.public'), room.is_private ? 'pill-private' : ''),
      room.is_archived ? pill(t('room.archived'), 'pill-archived') : null,
      room.is_default ? pill(t('admin.rooms.default'), 'pill-ok') : null,
    ];
    const meta = [
      t('room.members', { n: room.member_count ?? 0 }),
      room.created_by_name ? t('admin.rooms.createdBy', { user: room.created_by_name }) : null,
      t('admin.rooms.lastActivity', { when: room.last_activity ? when(room.last_activity) : t('admin.users.never') }),
    ];
    const buttons = [];
    if (!direct) {
      buttons.push(h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: (e) => archive(e.currentTarget, room) }, t(room.is_archived ? 'admin.rooms.unarchive' : 'admin.rooms.archive')));
    }
    buttons.push(h('button', { type: 'button', class: 'btn btn-ghost btn-small btn-danger-text', onclick: () => remove(room) }, t('admin.rooms.delete')));
    let defaultBox = null;
    if (!direct && !room.is_private) {
      const id = `default-room-${room.id}`;
      const box = h('input', { type: 'checkbox', id, checked: Boolean(room.is_default) });
      box.addEventListener('change', async () => {
        const wanted = box.checked;
        if (!(await busy(box, () => actions.setDefaultRoom(room.id, wanted)))) box.checked = !wanted;
      });
      defaultBox = h('label', { class: 'check check-small', for: id }, box, h('span', { text: t('admin.rooms.defaultToggle') }));
    }
    return h(
      'li',
      { class: `admin-row${room.is_archived ? ' is-archived' : ''}`, 'data-room': name },
      h('span', { class: 'room-icon' }, icon(direct ? 'users' : room.is_private ? 'lock' : 'hash')),
      h('div', { class: 'admin-row-main' }, h('p', { class: 'admin-row-title' }, h('bdi', { text: name }), pills), h('p', { class: 'admin-row-meta muted', text: meta.filter(Boolean).join(' · ') }), defaultBox),
      h('div', { class: 'admin-row-actions' }, buttons),
    );
  };

  async function archive(button, room) {
    const on = !room.is_archived;
    const ok = await confirmDialog({
      title: t(on ? 'admin.rooms.archive' : 'admin.rooms.unarchive'),
      message: t(on ? 'admin.rooms.confirmArchive' : 'admin.rooms.confirmUnarchive', { room: room.name }),
      confirmLabel: t(on ? 'admin.rooms.archive' : 'admin.rooms.unarchive'),
    });
    if (ok) await busy(button, () => actions.archiveRoom(room.id, on));
  }

  function remove(room) {
    const name = adminRoomName(room);
    return openDialog({
      title: t('admin.rooms.deleteTitle', { room: name }),
      className: 'dialog-confirm',
      build: (close) => {
        const typed = field({ label: t('admin.rooms.typeName', { room: name }), name: 'confirm-name', maxlength: 80 });
        const submit = h('button', { type: 'submit', class: 'btn btn-danger', disabled: true }, t('admin.rooms.deleteForever'));
        typed.input.addEventListener('input', () => {
          submit.disabled = typed.input.value.trim() !== name;
        });
        const form = h(
          'form',
          { class: 'stack', novalidate: true },
          h('p', { text: t('admin.rooms.deleteExplain', { n: room.member_count ?? 0 }) }),
          typed.el,
          h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close() }, t('dialog.cancel')), submit),
        );
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          if (typed.input.value.trim() !== name) return;
          submit.disabled = true;
          try {
            await actions.deleteRoom(room.id);
            toast(t('admin.rooms.deleted', { room: name }));
            close(true);
          } catch (error) {
            typed.setError(errorText(error));
            submit.disabled = false;
          }
        });
        return form;
      },
    });
  }

  let last = null;
  return {
    el,
    load: () => actions.loadAdminRooms().catch((error) => toast(errorText(error), { kind: 'error' })),
    update(state) {
      const rooms = state.admin.rooms;
      if (rooms === last) return;
      last = rooms;
      reconcile(
        list,
        rooms.items.map((room) => ({ key: String(room.id), sig: `${room.name}|${room.is_private}|${room.is_archived}|${room.is_default}|${room.member_count}|${room.last_activity}`, room })),
        render,
      );
    },
  };
}
