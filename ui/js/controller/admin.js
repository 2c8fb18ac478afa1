// Server and room administration: the links that lead here (`#/setup/CODE` makes the first
// administrator, `#/invite/CODE` registers with an invite, `#/admin/SECTION` opens the
// Administration console), the console's loading and actions, a temporary password that must be
// replaced before anything else, room settings for room admins, and the `room_updated` /
// `room_deleted` events.

import * as api from '../net/index.js';
import { t, errorText } from '../i18n.js';
import { AUDIT_PAGE, parseAdminLink } from '../admin-state.js';

export function createAdmin(ctx) {
  const { dispatch, state, ui, env } = ctx;
  /** `{kind: 'setup' | 'invite', code}` the page was opened with, until it is used. */
  let entryLink = null;
  /** The temporary password just typed at sign-in (so its owner is not asked for it twice). */
  let temporaryPassword = null;

  function readLink() {
    const link = parseAdminLink(env.location?.hash);
    if (link && link.kind !== 'admin') entryLink = link;
    return link;
  }
  readLink();

  function clearHash() {
    try {
      env.history?.replaceState(null, '', `${env.location.pathname}${env.location.search}`);
    } catch {
      // Not fatal: the link is simply left in the address bar.
    }
  }

  /** After `ready` and on every address change: the console, or an offer to claim the role. */
  function followRoute() {
    const link = parseAdminLink(env.location?.hash);
    const me = state().me;
    if (!me || !ctx.socket) return;
    if (link?.kind === 'admin') {
      if (!me.is_server_admin) {
        ui.toast(t('err.code.not_server_admin'), { kind: 'error' });
        clearHash();
      } else if (ui.adminSection?.() !== link.section) {
        // A reconnect leaves the page on screen as it is.
        ui.showAdmin(link.section);
      }
      return;
    }
    if (ui.current?.() === 'admin') ui.showChat();
    if (entryLink?.kind === 'setup' && !me.is_server_admin) offerClaim(entryLink.code);
    else if (entryLink) {
      entryLink = null;
      clearHash();
    }
  }

  async function offerClaim(code) {
    entryLink = null;
    clearHash();
    if (!(await ui.confirmClaim())) return;
    try {
      await api.admin.claim(code);
      const { user } = await api.auth.me();
      dispatch({ type: 'me/updated', user });
      ui.toast(t('admin.claimed'));
    } catch (error) {
      ui.toast(errorText(error), { kind: 'error' });
    }
  }

  env.addEventListener?.('hashchange', () => {
    readLink();
    followRoute();
  });

  /** The session may only change its temporary password: the app waits until it has. */
  function requirePasswordChange(known = null) {
    if (ui.current?.() === 'password') return;
    temporaryPassword = known;
    ctx.lifecycle.suspendSession();
    ui.showPasswordChange({ knowsCurrent: known != null });
  }

  /** A `room_updated` event: the room's shared fields changed (or its admins: members refetched). */
  function onRoomUpdated(update) {
    const room = state().rooms[update.id];
    if (!room) {
      // A room that just became public is now listed for everyone.
      if (update.is_private === false) {
        api.rooms.get(update.id).then(({ room: fresh }) => dispatch({ type: 'room/upsert', room: fresh }), () => {});
      }
      return;
    }
    if (update.is_private && !room.is_member) {
      dispatch({ type: 'room/removed', roomId: update.id });
      ctx.rooms.moveOffRoom(update.id);
      return;
    }
    dispatch({ type: 'room/updated', room: update });
    if (state().members[update.id]) {
      const mine = ctx.generation;
      // Admins may have changed: my own role (room.is_admin) and the members' badges.
      Promise.all([api.rooms.get(update.id), api.rooms.members(update.id)]).then(
        ([{ room: fresh }, { members }]) => {
          if (mine !== ctx.generation) return;
          dispatch({ type: 'room/upsert', room: fresh });
          dispatch({ type: 'members/loaded', roomId: update.id, members });
        },
        () => {},
      );
    }
  }

  function onRoomDeleted(roomId) {
    const room = state().rooms[roomId];
    if (!room) return;
    dispatch({ type: 'room/removed', roomId });
    if (room.is_member) ui.toast(t('room.deleted', { room: room.name }));
    ctx.rooms.moveOffRoom(roomId);
  }

  const actions = {
    /** The link the page was opened with: `{setupCode}` or `{invite}` (or `{}`). */
    entryLink: () => (entryLink?.kind === 'setup' ? { setupCode: entryLink.code } : entryLink?.kind === 'invite' ? { invite: entryLink.code } : {}),
    /** What the server says about itself (its name and registration policy) for the sign-in page. */
    serverInfo: () => api.serverInfo({ fresh: true }),

    async choosePassword(current, next) {
      await api.auth.changePassword(current ?? temporaryPassword, next);
      temporaryPassword = null;
      const { user } = await api.auth.me();
      ctx.lifecycle.startSession(user);
    },

    openAdmin(section = null) {
      env.location.hash = section ? `#/admin/${section}` : '#/admin';
    },
    closeAdmin() {
      clearHash();
      ui.showChat();
    },

    async loadAdminUsers(q = '') {
      const { users } = await api.admin.users(q.trim());
      dispatch({ type: 'admin/users', users, q });
    },
    /** `action`: deactivate, reactivate, promote or demote; answers the user as now. */
    async adminUser(id, action) {
      const { user } = await api.admin.userAction(id, action);
      dispatch({ type: 'admin/user', user });
      return user;
    },
    /** Creates an account (any registration policy); answers its temporary password. */
    async createAccount(details) {
      const { user, temporary_password: password } = await api.admin.createUser(details);
      const users = state().admin.users;
      dispatch({ type: 'admin/users', users: [...users.items.filter((u) => u.id !== user.id), user], q: users.q });
      return password;
    },
    /** A new temporary password for `id`, to be passed on once. */
    async resetPassword(id) {
      const { temporary_password: password } = await api.admin.userAction(id, 'reset-password');
      return password;
    },

    async loadAdminRooms() {
      const [{ rooms }, settings] = await Promise.all([api.admin.rooms(), api.admin.settings()]);
      dispatch({ type: 'admin/rooms', rooms });
      dispatch({ type: 'admin/settings', settings });
    },
    async archiveRoom(id, on) {
      await api.rooms.archive(id, on);
      dispatch({ type: 'admin/room', room: { id, is_archived: on } });
    },
    async deleteRoom(id) {
      await api.rooms.remove(id);
      dispatch({ type: 'room/removed', roomId: id });
      ctx.rooms.moveOffRoom(id);
    },
    async setDefaultRoom(id, on) {
      const current = state().admin.settings?.default_room_ids ?? [];
      const ids = on ? [...new Set([...current, id])] : current.filter((x) => x !== id);
      const settings = await api.admin.saveSettings({ default_room_ids: ids });
      dispatch({ type: 'admin/settings', settings });
      return true;
    },

    async loadInvites() {
      const { invites } = await api.admin.invites();
      dispatch({ type: 'admin/invites', invites });
    },
    /** Answers `{code, url, invite}`. */
    async createInvite(options) {
      const answer = await api.admin.createInvite(options);
      dispatch({ type: 'admin/invite', invite: { ...answer.invite, url: answer.url } });
      return answer;
    },
    /** The link that registers with invite `code` on this server. */
    inviteUrl: (code) => `${api.serverUrl()}/#/invite/${code}`,
    async revokeInvite(code) {
      await api.admin.revokeInvite(code);
      dispatch({ type: 'admin/inviteRevoked', code });
    },

    async loadSettings() {
      const settings = await api.admin.settings();
      dispatch({ type: 'admin/settings', settings });
    },
    async saveSettings(changes) {
      const settings = await api.admin.saveSettings(changes);
      dispatch({ type: 'admin/settings', settings });
      // The sign-in page and the retention note follow the new values.
      dispatch({ type: 'server/info', info: await api.serverInfo({ fresh: true }).catch(() => state().server) });
      return settings;
    },

    /** The newest page of the audit log, or (`more`) the page before the oldest shown. */
    async loadAudit({ more = false } = {}) {
      const items = state().admin.audit.items;
      const before = more && items.length ? items[items.length - 1].id : undefined;
      const { entries } = await api.admin.audit({ before, limit: AUDIT_PAGE });
      dispatch({ type: 'admin/audit', entries, append: more, limit: AUDIT_PAGE });
    },
    async loadStats() {
      dispatch({ type: 'admin/stats', stats: await api.admin.stats() });
    },

    // --- Room settings (room admins) ---
    async updateRoom(id, changes) {
      const { room } = await api.rooms.update(id, changes);
      dispatch({ type: 'room/upsert', room });
      return room;
    },
    async setRoomAdmin(roomId, userId, on) {
      await api.rooms.setAdmin(roomId, userId, on);
      const { members } = await api.rooms.members(roomId);
      dispatch({ type: 'members/loaded', roomId, members });
    },
  };

  /** A registration used the page's link: it is spent. */
  function linkUsed() {
    entryLink = null;
    clearHash();
  }

  return { followRoute, requirePasswordChange, onRoomUpdated, onRoomDeleted, linkUsed, actions };
}
