// The session controller: turns socket events into state actions and people's intents (send,
// upload, edit, join, …) into network calls. It owns the connection life cycle: catching every
// room up after a reconnect, flushing the outbox, running uploads, marking rooms read, typing
// notices and notifications; in the desktop app also the first-run choice of a server, the
// built-in server and the app's settings. Views call `actions.*`; only `api.js` touches the
// network, and only through capabilities does anything here differ between platforms.

import * as api from './net/index.js';
import { historyOf, roomSections } from './state.js';
import { dueForSending, serialize, restore } from './queue.js';
import { TypingNotifier } from './typing.js';
import { isEmojiOnly } from './emoji.js';
import { detectLanguage, setLanguage, language, t, errorText } from './i18n.js';
import { loadPrefs, savePrefs } from './prefs.js';
import { newClientMsgId } from './queue.js';
import { checkUploadSize, isImageType } from './uploads.js';
import { formatBytes } from './format.js';
import { shouldNotify, isFromOthers } from './notifications.js';
import { prefsFromDesktop, desktopPatch, withMuted, startupPlan, sameServer, normalizeServer } from './platform-settings.js';

/**
 * Catching up a room pages forward at most this far (200 messages a page); a room further
 * behind drops its messages and loads the newest page instead, so no gap is ever shown.
 */
const MAX_CATCH_UP_PAGES = 25;
const PAGE = 50;

export function createController({ store, ui, env = globalThis }) {
  let socket = null;
  let tickTimer = null;
  let markTimer = null;
  let session = 0; // bumps on every login/logout so late answers of an old session are ignored
  let leaving = new Set(); // rooms this person is leaving (their own user_left is no surprise)
  let syncing = false;

  const typing = new TypingNotifier({
    send: (event, roomId) => (socket ? socket.send(event, { room_id: roomId }) : false),
  });

  const dispatch = (action) => store.dispatch(action);
  const state = () => store.state;
  const isVisible = () => env.document?.visibilityState !== 'hidden';
  const caps = api.capabilities();
  // Uploads: client_msg_id → {file, controller}; the store holds what is drawn.
  const uploadFiles = new Map();
  // The desktop app's latest word on its settings and built-in server (null in a browser).
  let desktopState = null;
  let desktopListeners = false;

  // The window title / dock shows how many messages wait unread across rooms.
  let lastUnread = -1;
  store.subscribe((s) => {
    const unread = Object.values(s.rooms).reduce((sum, r) => sum + (r.is_member ? r.unread_count ?? 0 : 0), 0);
    if (unread !== lastUnread) {
      lastUnread = unread;
      api.setUnreadCount(unread);
    }
  });

  // -------------------------------------------------------------------------------------------
  // Preferences

  function applyPrefs() {
    const prefs = loadPrefs();
    const lang = prefs.language === 'auto' ? detectLanguage(env.navigator?.languages ?? [env.navigator?.language]) : prefs.language;
    setLanguage(lang);
    const root = env.document?.documentElement;
    if (root) {
      root.lang = language();
      if (prefs.theme === 'light' || prefs.theme === 'dark') root.dataset.theme = prefs.theme;
      else delete root.dataset.theme;
    }
    dispatch({ type: 'muted/set', rooms: api.hasServer() ? prefs.mutedRooms?.[api.serverUrl()] ?? [] : [] });
    return prefs;
  }

  /** Saves a preference here and, in the desktop app, in the app's settings. */
  function savePreference(change) {
    const patch = desktopPatch(change);
    api.savePlatformSettings(patch).then(
      (startup) => {
        if (startup) desktopState = startup;
      },
      (error) => ui.toast(errorText(error), { kind: 'error' }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Session life cycle

  function start() {
    applyPrefs();
    env.addEventListener?.('languagechange', () => {
      if (loadPrefs().language === 'auto') applyPrefs();
    });
    env.document?.addEventListener?.('visibilitychange', () => {
      if (isVisible()) scheduleMarkRead();
      else typing.stop();
    });
    api.onSessionLost(() => {
      if (socket) endSession('auth.sessionEnded');
    });
    if (caps.serverChoice) return startDesktop();
    resume();
    return Promise.resolve();
  }

  /** Resumes the saved session on the configured server, or asks to sign in. */
  function resume() {
    if (api.loadSession()) startSession(null);
    else ui.showAuth();
  }

  // -------------------------------------------------------------------------------------------
  // The desktop app: first run, choosing and switching servers, the built-in server

  async function startDesktop() {
    let startup;
    try {
      startup = await api.desktop.startup();
    } catch (error) {
      ui.showWelcome({ startup: null });
      ui.toast(errorText(error), { kind: 'error', timeout: 15_000 });
      return;
    }
    desktopState = startup;
    adoptDesktopSettings(startup.settings);
    if (startup.notice) ui.toast(startup.notice, { timeout: 20_000 });
    listenToDesktop();
    const plan = startupPlan(startup);
    if (plan.stage === 'welcome') {
      ui.showWelcome({ startup });
      return;
    }
    useServer(plan.serverUrl);
    if (startup.settings?.mode === 'host' && !startup.host?.running) ensureHost();
    resume();
  }

  /** Copies the app's settings into this page's preferences and applies them. */
  function adoptDesktopSettings(settings) {
    if (!settings) return;
    savePrefs(prefsFromDesktop(settings));
    applyPrefs();
  }

  function listenToDesktop() {
    if (desktopListeners) return;
    desktopListeners = true;
    api.desktop.listen('open-room', (payload) => {
      const roomId = Number(payload?.room_id);
      if (!payload || !sameServer(payload.server, api.serverUrl()) || !socket) return;
      if (state().rooms[roomId]) openRoom(roomId);
    });
    api.desktop.listen('host-status', (payload) => {
      if (!payload || !desktopState) return;
      desktopState = { ...desktopState, host: payload.status ?? desktopState.host };
      if (payload.error) ui.showHostProblem(payload.error);
      else if (payload.status?.running) ui.clearHostProblem();
      ui.desktopChanged?.();
    });
  }

  /** Host mode but the built-in server is not (yet) running: start it, or say why it cannot. */
  async function ensureHost() {
    try {
      const host = await api.desktop.hostStart();
      desktopState = { ...desktopState, host };
      ui.clearHostProblem();
      ui.desktopChanged?.();
    } catch (error) {
      ui.showHostProblem(error);
    }
  }

  function useServer(url) {
    api.configure({ baseUrl: url });
    applyPrefs();
  }

  /**
   * Moves this window to the server of `startup` (the answer of update_settings). With
   * `keepSession` (the same server under a new address: the built-in server's port changed) the
   * current session goes along; otherwise the saved session of the new server is resumed.
   */
  function moveToServer(startup, { keepSession = false } = {}) {
    desktopState = startup;
    const token = api.currentToken();
    const remembered = api.sessionRemembered();
    const url = startup.server_url;
    if (!url) return;
    const same = sameServer(url, api.serverUrl()) && api.hasServer();
    if (same && socket) return;
    suspendSession();
    useServer(url);
    if (keepSession && token) {
      api.saveSession(token, remembered);
      startSession(null);
    } else {
      resume();
    }
  }

  /** Stops talking to the current server without signing out (its session stays saved). */
  function suspendSession() {
    session += 1;
    socket?.close();
    socket = null;
    clearInterval(tickTimer);
    clearTimeout(markTimer);
    typing.reset();
    dropUploads();
    dispatch({ type: 'session/start', user: null });
    dispatch({ type: 'server/info', info: null });
  }

  function startSession(user) {
    session += 1;
    leaving = new Set();
    const saved = api.loadOutbox();
    dispatch({ type: 'session/start', user, outbox: saved ? restore(saved) : [] });
    ui.showChat();
    socket = api.openSocket({ onEvent, onStatus });
    clearInterval(tickTimer);
    tickTimer = setInterval(tick, 1000);
    loadServerInfo();
  }

  /** Asks the server for its upload limit and retention (again, if the first try failed). */
  function loadServerInfo() {
    if (state().server) return;
    const mine = session;
    api.serverInfo().then(
      (info) => {
        if (mine === session) dispatch({ type: 'server/info', info });
      },
      () => {},
    );
  }

  function endSession(messageKey) {
    session += 1;
    socket?.close();
    socket = null;
    clearInterval(tickTimer);
    clearTimeout(markTimer);
    typing.reset();
    dropUploads();
    api.clearSession();
    dispatch({ type: 'session/start', user: null });
    ui.showAuth(messageKey ? t(messageKey) : null);
  }

  function tick() {
    dispatch({ type: 'typing/expire', now: Date.now() });
    flushOutbox();
  }

  function onStatus({ status, attempt, retryAt, reconnected }) {
    if (status === 'unauthorized') {
      endSession('auth.sessionEnded');
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
    const mine = session;
    syncing = true;
    dispatch({ type: 'connection', status: reconnected ? 'syncing' : 'online' });
    socket?.send('get_online_users', {});
    loadServerInfo();
    try {
      if (reconnected) await catchUp(mine);
      let roomId = state().currentRoomId;
      if (roomId == null || !state().rooms[roomId]) roomId = initialRoom();
      if (roomId != null) await openRoom(roomId, { refresh: reconnected });
    } finally {
      if (mine === session) {
        syncing = false;
        if (socket?.isOnline()) dispatch({ type: 'connection', status: 'online', reconnected });
        flushOutbox();
      }
    }
  }

  /**
   * After a reconnect: every room with loaded messages fetches what it missed — new messages
   * (`after=`), then edits and deletes (`changed_after=`).
   */
  async function catchUp(mine) {
    for (const [key, history] of Object.entries(state().history)) {
      const roomId = Number(key);
      if (!history.loaded || !state().rooms[roomId]) continue;
      let last = history.items.length ? history.items[history.items.length - 1].id : null;
      try {
        if (last == null) {
          await loadLatest(roomId);
          continue;
        }
        let pages = 0;
        let fresh = false; // reloaded from the newest page: nothing older to reconcile
        for (;;) {
          const page = await api.rooms.messages(roomId, { after: last, limit: 200 });
          if (mine !== session) return;
          dispatch({ type: 'history/loaded', roomId, messages: page.messages, hasMore: page.has_more, direction: 'after' });
          if (!page.has_more || page.messages.length === 0) break;
          last = page.messages[page.messages.length - 1].id;
          pages += 1;
          if (pages >= MAX_CATCH_UP_PAGES) {
            dispatch({ type: 'history/reset', roomId });
            await loadLatest(roomId);
            fresh = true;
            break;
          }
        }
        if (!fresh) await catchUpChanges(roomId, mine);
      } catch (error) {
        if (error.code === 'not_found') dispatch({ type: 'room/removed', roomId });
        else if (error.code === 'network') return; // dropped again; the next `ready` retries
      }
    }
  }

  /** Applies the edits and deletes made in `roomId` since this client's revision of it. */
  async function catchUpChanges(roomId, mine) {
    let rev = state().history[roomId]?.changesRev;
    if (rev == null) return;
    for (let pages = 0; pages < MAX_CATCH_UP_PAGES; pages += 1) {
      const page = await api.rooms.messages(roomId, { changedAfter: rev, limit: 200 });
      if (mine !== session) return;
      dispatch({ type: 'history/changed', roomId, messages: page.messages, changesRev: page.changes_rev });
      if (!page.has_more) return;
      rev = page.changes_rev;
    }
    // More changed than is worth replaying: start the room afresh from its newest page.
    dispatch({ type: 'history/reset', roomId });
    await loadLatest(roomId);
  }

  function initialRoom() {
    const s = state();
    const { mine, discover } = roomSections(s);
    const remembered = loadPrefs().lastRoom?.[serverKey()];
    if (remembered != null && s.rooms[remembered]) return remembered;
    return mine[0]?.id ?? discover[0]?.id ?? null;
  }

  function serverKey() {
    return `${state().me?.id ?? 0}`;
  }

  // -------------------------------------------------------------------------------------------
  // Socket events

  function onEvent(event, data, ref) {
    switch (event) {
      case 'ready':
        dispatch({ type: 'session/ready', user: data.user, rooms: data.rooms ?? [] });
        // Messages the retention job removed while this client was away stop showing.
        if (data.history_starts) dispatch({ type: 'history/expired', before: data.history_starts });
        break;
      case 'new_message':
        onNewMessage(data.message);
        break;
      case 'message_updated':
        dispatch({ type: 'message/updated', message: data.message });
        break;
      case 'message_deleted':
        dispatch({ type: 'message/deleted', roomId: data.room_id, messageId: data.message_id });
        break;
      case 'history_expired':
        dispatch({ type: 'history/expired', before: data.before });
        break;
      case 'room_joined':
        dispatch({ type: 'room/joined', room: data.room, members: data.members, messages: data.messages ?? [], changesRev: data.changes_rev });
        if (data.room.id === state().currentRoomId) scheduleMarkRead();
        break;
      case 'room_created':
        dispatch({ type: 'room/created', room: data.room });
        break;
      case 'user_joined':
        dispatch({ type: 'member/joined', roomId: data.room_id, user: data.user });
        break;
      case 'user_left':
        onUserLeft(data.room_id, data.user);
        break;
      case 'room_read':
        dispatch({ type: 'room/read', roomId: data.room_id, lastReadMessageId: data.last_read_message_id, unreadCount: data.unread_count });
        break;
      case 'typing_update':
        dispatch({ type: 'typing/update', roomId: data.room_id, userId: data.user_id, username: data.username, isTyping: data.is_typing });
        break;
      case 'user_status_update':
        dispatch({ type: 'presence/update', users: [data] });
        break;
      case 'user_status_batch':
        dispatch({ type: 'presence/update', users: data.users ?? [] });
        break;
      case 'online_users_update':
        dispatch({ type: 'presence/online', users: data.users ?? [] });
        break;
      case 'error':
        onSocketError(data, ref);
        break;
      default:
        break; // pong and anything newer than this client
    }
  }

  function onNewMessage(message) {
    const visible = isVisible();
    dispatch({ type: 'message/new', message, visible });
    persistOutbox();
    if (message.room_id === state().currentRoomId && visible) scheduleMarkRead();
    maybeNotify(message, visible);
  }

  function onUserLeft(roomId, user) {
    const s = state();
    const room = s.rooms[roomId];
    const wasMember = Boolean(room?.is_member);
    dispatch({ type: 'member/left', roomId, user });
    if (user.id !== s.me?.id || !wasMember) return;
    // Removed by an admin or left on another device; leaving here says so itself.
    if (!leaving.has(roomId)) ui.toast(t('room.removed', { room: room.name }));
    moveOffRoom(roomId);
  }

  /** After leaving `roomId`, show another room if it was the one on screen. */
  function moveOffRoom(roomId) {
    const current = state().currentRoomId;
    if (current != null && current !== roomId) return;
    const { mine } = roomSections(state());
    const next = mine.find((r) => r.id !== roomId)?.id ?? null;
    if (next != null) openRoom(next);
  }

  function onSocketError(error, ref) {
    if (ref && state().outbox.some((item) => item.clientMsgId === ref)) {
      dispatch({ type: 'outbox/rejected', clientMsgId: ref, error });
      persistOutbox();
    }
  }

  /** What a notification says about `message`: its text, or what was sent. */
  function notificationBody(message) {
    const caption = (message.content ?? '').slice(0, 200);
    if (message.message_type === 'image') return caption ? `${t('notify.image')} ${caption}` : t('notify.image');
    if (message.message_type === 'file') return `${t('notify.file')} ${message.attachment?.file_name ?? caption}`;
    return caption;
  }

  function maybeNotify(message, visible) {
    const s = state();
    const room = s.rooms[message.room_id];
    if (!room?.is_member || !isFromOthers(message, s.me)) return;
    if (caps.nativeNotifications) {
      // The app decides (its settings, mutes, whether its window has focus) and coalesces.
      api.notify({
        message: {
          server: api.serverUrl(),
          room_id: room.id,
          room_name: room.name,
          sender: message.username ?? '',
          content: message.content ?? '',
          message_type: message.message_type,
          file_name: message.attachment?.file_name ?? null,
          my_username: s.me?.username ?? '',
          active_room: visible ? s.currentRoomId ?? null : null,
          lang: language(),
        },
      });
      return;
    }
    const prefs = loadPrefs();
    const wanted = shouldNotify(
      message,
      { enabled: prefs.notifications, level: prefs.notifyLevel, muted: Boolean(s.muted[room.id]) },
      { me: s.me, isMember: true, visible, currentRoomId: s.currentRoomId },
    );
    if (!wanted) return;
    api.notify({
      title: t('notify.title', { user: message.username, room: room.name }),
      body: notificationBody(message),
      tag: `confab-room-${room.id}`,
      onClick: () => openRoom(room.id),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Outbox

  function persistOutbox() {
    api.saveOutbox(serialize(state().outbox));
  }

  function flushOutbox() {
    if (!socket?.isOnline() || syncing) return;
    const now = Date.now();
    for (const item of dueForSending(state().outbox, now)) {
      const room = state().rooms[item.roomId];
      if (!room || !room.is_member) {
        dispatch({ type: 'outbox/rejected', clientMsgId: item.clientMsgId, error: { code: room ? 'not_a_member' : 'not_found' } });
        continue;
      }
      dispatch({ type: 'outbox/sending', clientMsgId: item.clientMsgId, now });
      const updated = state().outbox.find((i) => i.clientMsgId === item.clientMsgId);
      if (updated?.status !== 'sending') continue; // given up after too many attempts
      const sent = socket.send(
        'send_message',
        { room_id: item.roomId, content: item.content, message_type: item.messageType, client_msg_id: item.clientMsgId },
        item.clientMsgId,
      );
      if (!sent) {
        dispatch({ type: 'outbox/requeue' });
        break;
      }
    }
    persistOutbox();
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  function scheduleMarkRead() {
    if (markTimer !== null) return;
    markTimer = setTimeout(() => {
      markTimer = null;
      markRead();
    }, 400);
  }

  function markRead() {
    const s = state();
    const room = s.rooms[s.currentRoomId];
    if (!room?.is_member || !isVisible() || !socket?.isOnline()) return;
    const items = historyOf(s, room.id).items;
    const newest = items.length ? items[items.length - 1].id : 0;
    if (!newest || (newest <= room.last_read_message_id && room.unread_count === 0)) return;
    if (socket.send('mark_read', { room_id: room.id, message_id: newest })) {
      dispatch({ type: 'room/read', roomId: room.id, lastReadMessageId: newest, unreadCount: 0 });
    }
  }

  async function loadLatest(roomId) {
    const mine = session;
    const page = await api.rooms.messages(roomId, { limit: PAGE });
    if (mine !== session) return;
    dispatch({ type: 'history/loaded', roomId, messages: page.messages, hasMore: page.has_more, direction: 'latest', changesRev: page.changes_rev });
  }

  async function loadMembers(roomId) {
    const mine = session;
    const { members } = await api.rooms.members(roomId);
    if (mine !== session) return;
    dispatch({ type: 'members/loaded', roomId, members });
  }

  async function openRoom(roomId, { refresh = false } = {}) {
    const s = state();
    if (!s.rooms[roomId]) return;
    if (s.currentRoomId !== roomId) {
      // Whatever arrived in the room being left was on screen: mark it read now, not after the
      // throttle fires for the next room.
      clearTimeout(markTimer);
      markTimer = null;
      markRead();
      typing.stop();
      dispatch({ type: 'room/open', roomId });
      savePrefs({ lastRoom: { ...loadPrefs().lastRoom, [serverKey()]: roomId } });
    }
    const tasks = [];
    if (refresh || !historyOf(state(), roomId).loaded) tasks.push(loadLatest(roomId));
    if (refresh || !state().members[roomId]) tasks.push(loadMembers(roomId));
    const results = await Promise.allSettled(tasks);
    for (const result of results) {
      if (result.status !== 'rejected') continue;
      const error = result.reason;
      if (error?.code === 'not_found') {
        dispatch({ type: 'room/removed', roomId });
      } else if (error?.code !== 'network' && error?.code !== 'unauthorized') {
        ui.toast(errorMessage(error), { kind: 'error' });
      }
      break;
    }
    scheduleMarkRead();
  }

  function errorMessage(error) {
    return errorText(error);
  }

  // -------------------------------------------------------------------------------------------
  // Uploads

  /** The server's upload limit in bytes (null while unknown: the server then decides). */
  async function uploadLimit() {
    const known = state().server?.max_upload_bytes;
    if (known) return known;
    try {
      const info = await api.serverInfo();
      dispatch({ type: 'server/info', info });
      return info.max_upload_bytes ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Starts uploading `files` to room `roomId`; the caption goes with the first. Files over the
   * server's limit are refused here, before a byte is sent. Resolves with how many started.
   */
  async function sendFiles(roomId, files, { caption = '' } = {}) {
    const list = [...(files ?? [])].filter(Boolean);
    if (list.length === 0) return 0;
    const limit = await uploadLimit();
    let started = 0;
    for (const file of list) {
      const check = checkUploadSize(file.size, limit);
      if (!check.ok) {
        const message =
          check.code === 'empty_file'
            ? t('upload.empty', { name: file.name || t('upload.unnamed') })
            : t('upload.tooLarge', { name: file.name || t('upload.unnamed'), size: formatBytes(file.size, language()), limit: formatBytes(limit, language()) });
        ui.toast(message, { kind: 'error', timeout: 8000 });
        continue;
      }
      const room = state().rooms[roomId];
      if (!room?.is_member) {
        ui.toast(t('err.code.not_a_member'), { kind: 'error' });
        break;
      }
      const clientMsgId = newClientMsgId();
      const previewUrl = isImageType(file.type) && typeof URL?.createObjectURL === 'function' ? URL.createObjectURL(file) : null;
      uploadFiles.set(clientMsgId, { file, controller: null, previewUrl });
      dispatch({
        type: 'upload/add',
        item: { roomId, name: file.name || t('upload.unnamed'), size: file.size, type: file.type, caption: started === 0 ? caption : '', previewUrl, clientMsgId },
      });
      started += 1;
      runUpload(clientMsgId);
    }
    return started;
  }

  async function runUpload(clientMsgId) {
    const entry = uploadFiles.get(clientMsgId);
    const item = state().uploads.find((u) => u.clientMsgId === clientMsgId);
    if (!entry || !item) return;
    const mine = session;
    const controller = new AbortController();
    entry.controller = controller;
    let lastProgress = 0;
    try {
      const { message } = await api.uploadFile(item.roomId, entry.file, {
        caption: item.caption,
        clientMsgId,
        signal: controller.signal,
        onProgress: (fraction) => {
          const now = Date.now();
          if (fraction < 1 && now - lastProgress < 80) return;
          lastProgress = now;
          dispatch({ type: 'upload/progress', clientMsgId, fraction });
        },
      });
      if (mine !== session) return;
      dispatch({ type: 'message/new', message, visible: isVisible() });
      finishUpload(clientMsgId);
    } catch (error) {
      if (error?.code === 'aborted' || mine !== session) return;
      if (!state().uploads.some((u) => u.clientMsgId === clientMsgId)) {
        finishUpload(clientMsgId); // stored after all (its message arrived on the socket)
        return;
      }
      entry.controller = null;
      dispatch({ type: 'upload/failed', clientMsgId, error: { code: error?.code ?? 'internal', message: error?.message ?? '' } });
    }
  }

  /** Forgets an upload: done, cancelled or discarded. */
  function finishUpload(clientMsgId) {
    const entry = uploadFiles.get(clientMsgId);
    uploadFiles.delete(clientMsgId);
    entry?.controller?.abort();
    if (entry?.previewUrl) URL.revokeObjectURL(entry.previewUrl);
    dispatch({ type: 'upload/remove', clientMsgId });
  }

  /** The session ends: running uploads stop and nothing of them is kept. */
  function dropUploads() {
    for (const id of [...uploadFiles.keys()]) finishUpload(id);
  }

  // -------------------------------------------------------------------------------------------
  // Intents

  const actions = {
    async login(username, password, remember) {
      const answer = await api.auth.login(username, password, remember);
      api.saveSession(answer.token, remember);
      startSession(answer.user);
    },

    async register(username, password, email, remember) {
      const answer = await api.auth.register(username, password, email);
      api.saveSession(answer.token, remember);
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

    openRoom: (roomId) => openRoom(roomId),

    async loadOlder(roomId) {
      const h = historyOf(state(), roomId);
      if (!h.loaded || h.loadingOlder || !h.hasMore || h.items.length === 0) return;
      const mine = session;
      dispatch({ type: 'history/loading', roomId, value: true });
      try {
        const page = await api.rooms.messages(roomId, { before: h.items[0].id, limit: PAGE });
        if (mine !== session) return;
        dispatch({ type: 'history/loaded', roomId, messages: page.messages, hasMore: page.has_more, direction: 'before', changesRev: page.changes_rev });
      } catch (error) {
        dispatch({ type: 'history/loading', roomId, value: false });
        if (error.code !== 'network') ui.toast(errorMessage(error), { kind: 'error' });
      }
    },

    async createRoom({ name, description, isPrivate }) {
      const { room } = await api.rooms.create({ name, description, isPrivate });
      dispatch({ type: 'room/upsert', room });
      await openRoom(room.id);
      return room;
    },

    async joinRoom(roomId) {
      const { room } = await api.rooms.join(roomId);
      dispatch({ type: 'room/upsert', room });
      await openRoom(roomId, { refresh: true });
    },

    async leaveRoom(roomId) {
      const me = state().me;
      const name = state().rooms[roomId]?.name ?? '';
      leaving.add(roomId);
      try {
        await api.rooms.leave(roomId);
        // The socket's user_left may come before or after this answer; either way once.
        dispatch({ type: 'member/left', roomId, user: { id: me.id, username: me.username } });
      } finally {
        leaving.delete(roomId);
      }
      moveOffRoom(roomId);
      ui.toast(t('room.left', { room: name }));
    },

    async addMember(roomId, username) {
      const { member } = await api.rooms.addMember(roomId, username);
      dispatch({ type: 'member/joined', roomId, user: member });
      return member;
    },

    async removeMember(roomId, user) {
      await api.rooms.removeMember(roomId, user.id);
      dispatch({ type: 'member/left', roomId, user: { id: user.id, username: user.username } });
    },

    /** Queues a message; it is sent now if connected, otherwise when the connection is back. */
    send(roomId, content) {
      // NUL characters are invisible and refused by the server; drop them instead of failing.
      const text = content.replace(/\0/g, '').trim();
      if (!text) return false;
      dispatch({ type: 'outbox/add', item: { roomId, content: text, messageType: isEmojiOnly(text) ? 'emoji' : 'text' } });
      typing.sent();
      persistOutbox();
      flushOutbox();
      return true;
    },

    retry(clientMsgId) {
      dispatch({ type: 'outbox/retry', clientMsgId });
      flushOutbox();
    },

    discard(clientMsgId) {
      dispatch({ type: 'outbox/discard', clientMsgId });
      persistOutbox();
    },

    async edit(messageId, content) {
      const { message } = await api.messages.edit(messageId, content);
      dispatch({ type: 'message/updated', message });
    },

    async remove(message) {
      await api.messages.remove(message.id);
      dispatch({ type: 'message/deleted', roomId: message.room_id, messageId: message.id });
    },

    /** Opens the platform's image picker and uploads the chosen image (with `caption`). */
    async pickImage(roomId, { caption = '' } = {}) {
      const file = await api.pickImage({ maxBytes: await uploadLimit() });
      return file ? sendFiles(roomId, [file], { caption }) : 0;
    },

    /** Opens a file chooser for any files and uploads them. */
    async pickFiles(roomId, { caption = '' } = {}) {
      const files = await api.pickFiles();
      return files.length ? sendFiles(roomId, files, { caption }) : 0;
    },

    /** Uploads files (picked, pasted or dropped); resolves with how many started. */
    sendFiles: (roomId, files, options) => sendFiles(roomId, files, options),

    cancelUpload(clientMsgId) {
      finishUpload(clientMsgId);
    },

    retryUpload(clientMsgId) {
      const entry = uploadFiles.get(clientMsgId);
      if (!entry) {
        dispatch({ type: 'upload/remove', clientMsgId });
        return;
      }
      dispatch({ type: 'upload/retry', clientMsgId });
      runUpload(clientMsgId);
    },

    /** Downloads an attachment with the session token; resolves with a Blob. */
    fetchFile: (url, options) => api.fetchFile(url, options),
    saveFile: (blob, name) => api.saveFile(blob, name),

    typing(roomId, hasText) {
      typing.input(roomId, hasText);
    },

    stopTyping() {
      typing.stop();
    },

    roomVisible() {
      scheduleMarkRead();
    },

    async updateProfile(changes) {
      const { user } = await api.auth.updateProfile(changes);
      dispatch({ type: 'me/updated', user });
      return user;
    },

    async changePassword(current, next) {
      await api.auth.changePassword(current, next);
    },

    setLanguage(code) {
      savePrefs({ language: code });
      applyPrefs();
      savePreference({ language: code });
    },

    setTheme(theme) {
      savePrefs({ theme });
      applyPrefs();
      savePreference({ theme });
    },

    /** Turns notifications on (asking the platform for permission first) or off. */
    async setNotifications(enabled) {
      if (!enabled) {
        savePrefs({ notifications: false });
        return 'off';
      }
      const permission = await api.requestNotificationPermission();
      savePrefs({ notifications: permission === 'granted' });
      return permission;
    },

    /** Which messages notify: `all`, `mentions` (of @me) or `none`. */
    setNotifyLevel(level) {
      savePrefs({ notifyLevel: level });
      savePreference({ notifyLevel: level });
    },

    notifyLevel: () => loadPrefs().notifyLevel,

    /** Mutes (or unmutes) notifications of room `roomId` on this server. */
    setMuted(roomId, muted) {
      const server = api.serverUrl();
      const mutedRooms = withMuted(loadPrefs().mutedRooms, server, roomId, muted);
      savePrefs({ mutedRooms });
      dispatch({ type: 'muted/set', rooms: mutedRooms[normalizeServer(server)] ?? [] });
      savePreference({ mute: { server, roomId, muted } });
    },

    notificationPermission: () => api.notificationPermission(),

    reconnectNow() {
      socket?.reconnectNow();
    },

    /** What this platform can do (views show features by it). */
    capabilities: () => ({ ...caps }),

    /** Hands a link to the system browser where the platform needs that; true if it did. */
    openExternal: (url) => api.openExternal(url),

    // --- The desktop app (capabilities serverChoice / hostMode) ---

    /** The app's settings, built-in server status and current server (null in a browser). */
    desktopState: () => desktopState,

    /** Checks a server address and, if Confab answers, makes it the server to use. */
    async connectServer(address) {
      const info = await api.desktop.checkServer(address);
      const startup = await api.desktop.updateSettings({ mode: 'remote', server_url: info.url });
      ui.clearHostProblem();
      moveToServer(startup);
      return startup;
    },

    /**
     * Runs the server here (`{port, lan}`); resolves with the app's answer (host status and
     * addresses). `enter` moves this window to it at once; otherwise call `enterServer()`.
     */
    async hostHere({ port, lan }, { enter = true } = {}) {
      const before = desktopState;
      const wasHost = before?.settings?.mode === 'host';
      const unchanged = wasHost && before.settings.host?.port === port && before.settings.host?.lan === lan;
      let startup;
      if (unchanged) {
        // The same port and exposure: update_settings would not restart it; start it directly.
        const host = await api.desktop.hostStart();
        startup = { ...before, host };
      } else {
        try {
          startup = await api.desktop.updateSettings({ mode: 'host', host_port: port, host_lan: lan });
        } catch (error) {
          // The app saved the choice even though the server could not start: stay in step.
          desktopState = await api.desktop.startup().catch(() => desktopState);
          throw error;
        }
        // Settings that were already saved (an earlier failed start) do not restart it.
        if (!startup.host?.running) startup = { ...startup, host: await api.desktop.hostStart() };
      }
      desktopState = startup;
      ui.clearHostProblem();
      if (enter) moveToServer(startup, { keepSession: wasHost });
      ui.desktopChanged?.();
      return startup;
    },

    /** Back to the choice of server (from the sign-in screen). */
    chooseServer() {
      ui.showWelcome({ startup: desktopState });
    },

    /** After the first-run choice: go on to sign in (or resume) on the chosen server. */
    enterServer() {
      if (desktopState?.server_url) moveToServer(desktopState);
    },

    async hostStop() {
      const host = await api.desktop.hostStop();
      desktopState = { ...desktopState, host };
      ui.desktopChanged?.();
      return host;
    },

    async hostStart() {
      const host = await api.desktop.hostStart();
      desktopState = { ...desktopState, host };
      ui.clearHostProblem();
      ui.desktopChanged?.();
      return host;
    },

    async refreshHost() {
      const host = await api.desktop.hostStatus();
      desktopState = { ...desktopState, host };
      return host;
    },

    quit: () => api.desktop.quit(),
  };

  return { start, actions };
}
