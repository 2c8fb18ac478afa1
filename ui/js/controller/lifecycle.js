// The session's life: resuming a saved session or asking to sign in, signing in and out,
// opening the socket, following its status, and what happens after each `ready` (catch up,
// open a room, flush the outbox). Every start and end bumps `ctx.generation`.

import * as api from '../net/index.js';
import { t } from '../i18n.js';

/** The server's limit for an avatar picture (see `PUT /api/auth/avatar`). */
const AVATAR_MAX_BYTES = 8 * 1024 * 1024;

export function createLifecycle(ctx) {
  const { ui, dispatch, state, typing } = ctx;
  let tickTimer = null;

  /** Resumes the saved session on the configured server, or asks to sign in. */
  function resume() {
    if (api.loadSession()) startSession(null);
    else ui.showAuth();
  }

  /** Stops talking to the current server without signing out (its session stays saved). */
  function suspendSession() {
    ctx.generation += 1;
    ctx.socket?.close();
    ctx.socket = null;
    clearInterval(tickTimer);
    ctx.rooms.cancelMarkRead();
    typing.reset();
    ctx.uploads.dropUploads();
    ctx.outbox.forget();
    dispatch({ type: 'session/start', user: null });
    dispatch({ type: 'server/info', info: null });
  }

  function startSession(user) {
    ctx.generation += 1;
    ctx.rooms.forgetLeaving();
    ctx.outbox.forget();
    dispatch({ type: 'session/start', user });
    ctx.outbox.restoreOutbox();
    ui.showChat();
    ctx.socket = api.openSocket({ onEvent: (event, data, ref) => ctx.events.onEvent(event, data, ref), onStatus });
    clearInterval(tickTimer);
    tickTimer = setInterval(tick, 1000);
    loadServerInfo();
    // The followed threads' unread replies, for the Threads button (not worth failing for).
    ctx.conversations.actions.loadThreads().catch(() => {});
  }

  /** Asks the server for its upload limit and retention (again, if the first try failed). */
  function loadServerInfo() {
    if (state().server) return;
    const mine = ctx.generation;
    api.serverInfo().then(
      (info) => {
        if (mine === ctx.generation) dispatch({ type: 'server/info', info });
      },
      () => {},
    );
  }

  function endSession(messageKey) {
    ctx.generation += 1;
    ctx.socket?.close();
    ctx.socket = null;
    clearInterval(tickTimer);
    ctx.rooms.cancelMarkRead();
    typing.reset();
    ctx.uploads.dropUploads();
    // The saved outbox stays: it is this account's, sent when it signs in here again.
    ctx.outbox.forget();
    api.clearSession();
    dispatch({ type: 'session/start', user: null });
    ui.showAuth(messageKey ? t(messageKey) : null);
  }

  function tick() {
    dispatch({ type: 'typing/expire', now: Date.now() });
    ctx.outbox.flushOutbox();
  }

  function onStatus({ status, attempt, retryAt, reconnected }) {
    if (status === 'unauthorized') {
      endSession('auth.sessionEnded');
      return;
    }
    if (status === 'password_change_required') {
      ctx.admin.requirePasswordChange();
      return;
    }
    if (status === 'online') {
      afterReady(reconnected);
      return;
    }
    typing.reset();
    dispatch({ type: 'outbox/requeue' });
    dispatch({ type: 'connection', status, attempt, retryAt });
  }

  async function afterReady(reconnected) {
    const mine = ctx.generation;
    ctx.syncing = true;
    dispatch({ type: 'connection', status: reconnected ? 'syncing' : 'online' });
    ctx.socket?.send('get_online_users', {});
    loadServerInfo();
    // The followed threads' unread replies, for the Threads button (not worth failing for).
    ctx.conversations.actions.loadThreads().catch(() => {});
    try {
      if (state().me) api.rememberUser(state().me.id);
      await ctx.outbox.restoreOutbox();
      if (reconnected) await Promise.all([ctx.catchUp.catchUp(mine), ctx.conversations.refreshThread()]);
      // A permalink the page was opened with shows its message; else the room last seen.
      if (!(await ctx.conversations.openPendingLink())) {
        let roomId = state().currentRoomId;
        if (roomId == null || !state().rooms[roomId]) roomId = ctx.rooms.initialRoom();
        if (roomId != null) await ctx.rooms.openRoom(roomId, { refresh: reconnected });
      }
      // `#/admin/…` opens the console; a setup link offers a signed-in person the role.
      if (mine === ctx.generation) ctx.admin.followRoute();
    } finally {
      if (mine === ctx.generation) {
        ctx.syncing = false;
        if (ctx.socket?.isOnline()) dispatch({ type: 'connection', status: 'online', reconnected });
        ctx.outbox.flushOutbox();
      }
    }
  }

  const actions = {
    async login(username, password, remember) {
      const answer = await api.auth.login(username, password, remember);
      api.saveSession(answer.token, remember);
      // A temporary password an administrator set opens nothing until it is replaced.
      if (answer.password_change_required) ctx.admin.requirePasswordChange(password);
      else startSession(answer.user);
    },

    /** `link`: `{setupCode}` or `{invite}` from the link the page was opened with. */
    async register(username, password, email, remember, link = {}) {
      const answer = await api.auth.register(username, password, email, link);
      api.saveSession(answer.token, remember);
      if (link.setupCode || link.invite) ctx.admin.linkUsed();
      startSession(answer.user);
    },

    async logout() {
      try {
        await api.auth.logout();
      } catch {
        // Signing out locally is what matters; the token dies on the server eventually.
      }
      endSession('auth.loggedOut');
    },

    async updateProfile(changes) {
      const { user } = await api.auth.updateProfile(changes);
      dispatch({ type: 'me/updated', user });
      return user;
    },

    /** Opens the image picker and makes the chosen picture the avatar; null when cancelled. */
    async pickAvatar() {
      const file = await api.pickImage({ maxBytes: AVATAR_MAX_BYTES });
      if (!file) return null;
      const { user } = await api.auth.setAvatar(file);
      dispatch({ type: 'me/updated', user });
      return user;
    },

    async removeAvatar() {
      const { user } = await api.auth.removeAvatar();
      dispatch({ type: 'me/updated', user });
      return user;
    },

    async changePassword(current, next) {
      await api.auth.changePassword(current, next);
    },

    reconnectNow() {
      ctx.socket?.reconnectNow();
    },
  };

  return { resume, suspendSession, startSession, endSession, actions };
}
