// The client's state and the one function that changes it: `reduce(state, action)` returns the
// next state without touching the old one, so views can compare slices by reference and tests
// can drive it without a DOM or a server. The store around it batches notifications.
//
// Invariants kept here:
// - each room's messages are unique by id and sorted by id;
// - an outbox item disappears as soon as the stored message with its client_msg_id is seen;
// - unread counts come from the server and only grow locally for messages newer than the room's
//   last known message, so a message seen twice is never counted twice.

import * as outbox from './queue.js';
import * as uploads from './uploads.js';
import { withoutRoom } from './pending.js';
import { mentionsMe } from './mentions.js';
import { initialConversations, reduceConversations } from './conversations-state.js';
import { initialAdmin, reduceAdmin } from './admin-state.js';
import { inTimeline } from './conversations.js';
import { historyOf, mergeMessages, withHistory, addMessages, acknowledgeStored, reduceHistory, setIn, without, meId } from './history.js';

export { historyOf, mergeMessages, MAX_LOADED } from './history.js';

/** How long a `typing_update` is believed without being repeated (the server's TTL is ~6 s). */
export const TYPING_BELIEF_MS = 8000;

export function initialState() {
  return {
    me: null,
    rooms: {},
    history: {},
    members: {},
    presence: {},
    typing: {},
    outbox: [],
    uploads: [],
    server: null, // what the server says about itself: {version, retention_days, max_upload_bytes}
    muted: {}, // room id → true for rooms whose notifications are muted on this device
    favourites: {}, // room id → true for rooms this person pinned at the top of the list
    roomSort: 'name', // how the room list is ordered: 'name' or 'activity'
    mentions: { items: [], hasMore: true, loaded: false }, // "Recent mentions", newest first
    currentRoomId: null,
    newAfter: {},
    connection: { status: 'connecting', attempt: 0, retryAt: null, reconnected: false },
    ...initialConversations(),
    ...initialAdmin(),
  };
}

function isChat(message) {
  return message.message_type !== 'system' && message.user_id != null;
}

function roomFromServer(existing, room) {
  // `room_created` copies describe the room as an outsider sees it; never let one undo a
  // membership this client already knows about.
  if (existing && existing.is_member && !room.is_member && room.unread_count === 0 && room.last_read_message_id === 0) {
    return { ...room, is_member: true, is_admin: existing.is_admin, unread_count: existing.unread_count, last_read_message_id: existing.last_read_message_id };
  }
  return room;
}

function dropRoom(state, roomId) {
  return {
    ...state,
    rooms: without(state.rooms, roomId),
    history: without(state.history, roomId),
    members: without(state.members, roomId),
    typing: without(state.typing, roomId),
    newAfter: without(state.newAfter, roomId),
    outbox: withoutRoom(state.outbox, roomId),
    uploads: withoutRoom(state.uploads, roomId),
    currentRoomId: state.currentRoomId === roomId ? null : state.currentRoomId,
  };
}

/**
 * Records presence. Live events (`user_status_*`) always win; snapshots (member lists, the
 * online list) only fill in users no live event has spoken about since the last `ready`,
 * because the server may write a snapshot's data up to a second after announcing the change.
 */
function setPresence(state, entries, { live = false } = {}) {
  if (entries.length === 0) return state;
  const presence = { ...state.presence };
  let changed = false;
  for (const e of entries) {
    if (!live && presence[e.user_id]?.live) continue;
    const online = Boolean(e.is_online);
    const status = online ? (e.status && e.status !== 'offline' ? e.status : 'online') : 'offline';
    presence[e.user_id] = { is_online: online, last_seen: e.last_seen ?? null, status, status_text: e.status_text ?? null, live };
    changed = true;
  }
  return changed ? { ...state, presence } : state;
}

/** A presence entry from a User or Member object. */
function presenceEntry(u) {
  return { user_id: u.id, is_online: u.is_online, last_seen: u.last_seen, status: u.status, status_text: u.status_text };
}

function stopTyping(state, roomId, userId) {
  const room = state.typing[roomId];
  if (!room || !(userId in room)) return state;
  const next = without(room, userId);
  return { ...state, typing: Object.keys(next).length ? setIn(state.typing, roomId, next) : without(state.typing, roomId) };
}

/**
 * The next state after `action` ({type, ...}). Unknown actions return `state` itself.
 */
export function reduce(state, action) {
  // Threads, quote-replies and reactions follow what the rest of the state did; so does what
  // the Administration console shows.
  return reduceAdmin(reduceConversations(reduceCore(state, action), action), action);
}

function reduceCore(state, action) {
  switch (action.type) {
    case 'session/start':
      // What the server is and which rooms are muted belong to the server, not the session.
      return { ...initialState(), me: action.user ?? null, outbox: action.outbox ?? [], server: state.server, muted: state.muted, favourites: state.favourites, roomSort: state.roomSort };

    case 'server/info':
      return { ...state, server: action.info ?? null };

    case 'muted/set': {
      const muted = {};
      for (const id of action.rooms ?? []) muted[id] = true;
      const same = Object.keys(muted).length === Object.keys(state.muted).length && Object.keys(muted).every((id) => state.muted[id]);
      return same ? state : { ...state, muted };
    }

    case 'sidebar/prefs': {
      const favourites = {};
      for (const id of action.favourites ?? []) favourites[id] = true;
      const roomSort = action.sort === 'activity' ? 'activity' : 'name';
      return { ...state, favourites, roomSort };
    }

    case 'session/ready': {
      // A (re)connection: the server's room list is the truth. Rooms that vanished (left on
      // another device, removed from a private room) are dropped with their messages.
      const rooms = {};
      for (const room of action.rooms) rooms[room.id] = room;
      let next = { ...state, me: action.user, rooms };
      for (const id of Object.keys(state.rooms)) {
        if (!(id in rooms)) next = dropRoom(next, Number(id));
      }
      // Typing and presence from before the drop are stale; fresh snapshots and events follow.
      return { ...next, rooms, typing: {}, presence: {} };
    }

    case 'me/updated':
      return { ...state, me: action.user };

    case 'connection':
      return {
        ...state,
        connection: { status: action.status, attempt: action.attempt ?? 0, retryAt: action.retryAt ?? null, reconnected: action.reconnected ?? false },
      };

    case 'room/upsert': {
      const existing = state.rooms[action.room.id];
      return { ...state, rooms: setIn(state.rooms, action.room.id, roomFromServer(existing, action.room)) };
    }

    case 'room/created': {
      // Someone else made a public room: list it unless we already know it.
      if (state.rooms[action.room.id]) return state;
      return { ...state, rooms: setIn(state.rooms, action.room.id, action.room) };
    }

    case 'room/joined': {
      const { room, members = null, messages = [], changesRev = null } = action;
      let next = { ...state, rooms: setIn(state.rooms, room.id, room) };
      if (members) next = { ...next, members: setIn(next.members, room.id, members) };
      next = setPresence(next, (members ?? []).map(presenceEntry));
      const loaded = historyOf(state, room.id).loaded;
      return addMessages(next, room.id, messages, loaded ? {} : { loaded: true, hasMore: messages.length >= 50, changesRev });
    }

    case 'room/removed':
      return dropRoom(state, action.roomId);

    case 'room/open': {
      const room = state.rooms[action.roomId];
      let newAfter = {};
      if (room && room.is_member && room.unread_count > 0) newAfter = { [room.id]: room.last_read_message_id };
      // A room left while reading far back opens again at its newest messages.
      const history = state.currentRoomId !== action.roomId && state.history[action.roomId]?.hasNewer ? without(state.history, action.roomId) : state.history;
      return { ...state, currentRoomId: action.roomId, newAfter, history };
    }

    case 'room/read': {
      const room = state.rooms[action.roomId];
      if (!room) return state;
      const last = Math.max(room.last_read_message_id ?? 0, action.lastReadMessageId ?? 0);
      return {
        ...state,
        rooms: setIn(state.rooms, room.id, { ...room, last_read_message_id: last, unread_count: action.unreadCount ?? 0, mention_count: action.mentionCount ?? 0 }),
      };
    }

    case 'dm/closed': {
      const room = state.rooms[action.roomId];
      if (!room || room.is_hidden) return state;
      return { ...state, rooms: setIn(state.rooms, room.id, { ...room, is_hidden: true }) };
    }

    case 'mentions/loaded': {
      // `older`: a further page (appended); otherwise the newest page replaces the list.
      const items = action.older ? [...state.mentions.items, ...action.messages] : action.messages;
      return { ...state, mentions: { items, hasMore: Boolean(action.hasMore), loaded: true } };
    }

    case 'history/changed':
    case 'history/expired':
    case 'history/reset':
    case 'history/loading':
    case 'history/around':
    case 'history/focus':
    case 'history/loadingNewer':
    case 'history/follow':
    case 'history/loaded':
      // History pages, jumps and the bounded stretch of each room: history.js.
      return reduceHistory(state, action);

    case 'message/new': {
      const { message } = action;
      const roomId = message.room_id;
      const room = state.rooms[roomId];
      const h = historyOf(state, roomId);
      const known = h.items.some((m) => m.id === message.id);
      // Past a gap (far back, or after a jump) a new message is fetched when the reader pages
      // down to it.
      let next = h.hasNewer && !known ? acknowledgeStored(state, [message]) : addMessages(state, roomId, [message], {}, h.loaded && !h.follow);
      if (message.user_id != null) next = stopTyping(next, roomId, message.user_id);
      if (!room || known) return next;
      const fresh = message.id > (room.last_message_id ?? 0);
      // A reply kept to its thread is counted in "Threads", not as the room's unread.
      const fromOther = isChat(message) && message.user_id !== meId(state) && !message.is_deleted && inTimeline(message);
      const seen = action.visible === true && state.currentRoomId === roomId;
      // A closed conversation comes back with its next message.
      let updated = { ...room, last_message_id: Math.max(room.last_message_id ?? 0, message.id), is_hidden: false };
      if (fresh && fromOther && !seen && room.is_member) {
        updated = { ...updated, unread_count: Math.min(1000, (room.unread_count ?? 0) + 1) };
        if (room.kind === 'direct' || mentionsMe(message, state.me)) updated.mention_count = Math.min(1000, (room.mention_count ?? 0) + 1);
        if (state.currentRoomId === roomId && !(roomId in next.newAfter)) {
          next = { ...next, newAfter: setIn(next.newAfter, roomId, room.last_message_id ?? message.id - 1) };
        }
      }
      return { ...next, rooms: setIn(next.rooms, roomId, updated) };
    }

    case 'message/updated': {
      const { message } = action;
      const h = state.history[message.room_id];
      if (!h || !h.items.some((m) => m.id === message.id)) return state;
      return withHistory(state, message.room_id, (cur) => ({ items: mergeMessages(cur.items, [message]) }));
    }

    case 'message/deleted': {
      const h = state.history[action.roomId];
      if (!h) return state;
      let changed = false;
      const items = h.items.map((m) => {
        if (m.id !== action.messageId || m.is_deleted) return m;
        changed = true;
        return { ...m, is_deleted: true, content: '' };
      });
      return changed ? withHistory(state, action.roomId, () => ({ items })) : state;
    }

    case 'members/loaded': {
      const next = { ...state, members: setIn(state.members, action.roomId, action.members) };
      return setPresence(next, action.members.map(presenceEntry));
    }

    case 'member/joined': {
      const { roomId, user } = action;
      const room = state.rooms[roomId];
      let next = setPresence(state, [presenceEntry(user)]);
      const list = state.members[roomId];
      const already = list ? list.some((m) => m.id === user.id) : false;
      if (list) next = { ...next, members: setIn(next.members, roomId, already ? list.map((m) => (m.id === user.id ? user : m)) : [...list, user]) };
      if (room && !already) next = { ...next, rooms: setIn(next.rooms, roomId, { ...room, member_count: (room.member_count ?? 0) + 1 }) };
      return next;
    }

    case 'member/left': {
      const { roomId, user } = action;
      const room = state.rooms[roomId];
      if (!room) return state;
      if (user.id === meId(state)) {
        // My own departure may be reported twice (the REST answer and the socket event).
        if (!room.is_member) return state;
        if (room.is_private) return dropRoom(state, roomId);
        // A public room stays visible (it can be previewed and joined again).
        const next = stopTyping(state, roomId, user.id);
        return {
          ...next,
          rooms: setIn(next.rooms, roomId, { ...room, is_member: false, is_admin: false, unread_count: 0, member_count: Math.max(0, (room.member_count ?? 1) - 1) }),
          members: without(next.members, roomId),
          outbox: withoutRoom(next.outbox, roomId),
          uploads: withoutRoom(next.uploads, roomId),
        };
      }
      let next = stopTyping(state, roomId, user.id);
      const list = next.members[roomId];
      if (list) {
        if (!list.some((m) => m.id === user.id)) return next; // already gone (reported twice)
        next = { ...next, members: setIn(next.members, roomId, list.filter((m) => m.id !== user.id)) };
      }
      return { ...next, rooms: setIn(next.rooms, roomId, { ...room, member_count: Math.max(0, (room.member_count ?? 1) - 1) }) };
    }

    case 'presence/update':
      return setPresence(state, action.users, { live: true });

    case 'presence/online': {
      // A snapshot of who is online: everybody else we only know from snapshots is offline.
      const online = new Set(action.users.map((u) => u.id));
      const entries = action.users.map((u) => ({ ...presenceEntry(u), is_online: true }));
      for (const [id, p] of Object.entries(state.presence)) {
        if (p.is_online && !online.has(Number(id))) entries.push({ user_id: Number(id), is_online: false, last_seen: p.last_seen });
      }
      return setPresence(state, entries);
    }

    case 'typing/update': {
      const { roomId, userId, username, isTyping, now = Date.now() } = action;
      if (userId === meId(state)) return state;
      if (!isTyping) return stopTyping(state, roomId, userId);
      const room = state.typing[roomId] ?? {};
      return { ...state, typing: setIn(state.typing, roomId, setIn(room, userId, { username, until: now + TYPING_BELIEF_MS })) };
    }

    case 'typing/expire': {
      let next = state;
      for (const [roomId, users] of Object.entries(state.typing)) {
        for (const [userId, entry] of Object.entries(users)) {
          if (entry.until <= action.now) next = stopTyping(next, Number(roomId), Number(userId));
        }
      }
      return next;
    }

    case 'outbox/restore': {
      // Saved on this device by an earlier visit: added unless already here, oldest first.
      const known = new Set(state.outbox.map((i) => i.clientMsgId));
      const items = action.items.filter((i) => !known.has(i.clientMsgId)).map((i) => (i.status === 'sending' ? { ...i, status: 'queued' } : i));
      if (items.length === 0) return state;
      return { ...state, outbox: [...items, ...state.outbox].sort((a, b) => a.createdAt - b.createdAt) };
    }

    case 'outbox/add':
      return { ...state, outbox: outbox.enqueue(state.outbox, action.item) };
    case 'outbox/sending':
      return { ...state, outbox: outbox.markSending(state.outbox, action.clientMsgId, action.now) };
    case 'outbox/rejected':
      return { ...state, outbox: outbox.reject(state.outbox, action.clientMsgId, action.error) };
    case 'outbox/requeue':
      return { ...state, outbox: outbox.requeueInFlight(state.outbox) };
    case 'outbox/retry':
      return { ...state, outbox: outbox.retry(state.outbox, action.clientMsgId) };
    case 'outbox/discard':
      return { ...state, outbox: outbox.discard(state.outbox, action.clientMsgId) };

    case 'upload/add':
      return { ...state, uploads: uploads.addUpload(state.uploads, action.item) };
    case 'upload/progress': {
      const next = uploads.setProgress(state.uploads, action.clientMsgId, action.fraction);
      return next === state.uploads ? state : { ...state, uploads: next };
    }
    case 'upload/failed': {
      const next = uploads.failUpload(state.uploads, action.clientMsgId, action.error);
      return next === state.uploads ? state : { ...state, uploads: next };
    }
    case 'upload/retry':
      return { ...state, uploads: uploads.retryUpload(state.uploads, action.clientMsgId) };
    case 'upload/remove': {
      const next = uploads.removeUpload(state.uploads, action.clientMsgId);
      return next === state.uploads ? state : { ...state, uploads: next };
    }

    default:
      return state;
  }
}

// Reading the state (views and the controller): kept beside the reducer, in their own module.
export { typingNames, roomSections, sidebarOrder, roomTitle, statusOf, isOnline } from './selectors.js';

/** A store: the current state, `dispatch`, and subscribers called once per batch of actions. */
export function createStore(initial = initialState(), { schedule = (fn) => queueMicrotask(fn) } = {}) {
  let state = initial;
  let scheduled = false;
  const listeners = new Set();
  const notify = () => {
    scheduled = false;
    for (const listener of listeners) listener(state);
  };
  return {
    get state() {
      return state;
    },
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      if (!scheduled) {
        scheduled = true;
        schedule(notify);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
