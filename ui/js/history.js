// Each room's loaded history and the actions that page it: the newest page, older pages,
// catching up after a reconnect, and a stretch that does not reach the newest message (read far
// back, or jumped to: the first unread, a mention) with newer pages from there. Part of the
// reducer in state.js, which routes the `history/*` actions here.

import * as outbox from './queue.js';
import * as uploads from './uploads.js';

// `changesRev`: the room's edit-and-delete revision from the first page this client loaded (or
// its last catch-up). While connected, live events keep messages current; after a reconnect,
// everything changed since this revision is fetched again. Later pages never advance it, so a
// change made while a dead socket went unnoticed is fetched too (applying one twice is harmless).
//
// A room keeps at most MAX_LOADED messages: a contiguous stretch of its history. `hasMore`: older
// ones exist (above `items`); `hasNewer`: newer ones exist that are not loaded, because the reader
// is far up in the past or jumped to an older message (the first unread, a mention): live
// messages then wait on the server until the reader pages down to them (`after=`), so the list
// never shows a gap. `follow`: the reader is at the newest messages, so when the stretch is full
// the oldest are dropped rather than the newest. `focus`: `{id}` of the message jumped to, to be
// scrolled to and outlined (a new object for every jump, so the same message can be jumped to
// twice).
export const emptyHistory = Object.freeze({ items: [], loaded: false, hasMore: true, hasNewer: false, loadingOlder: false, loadingNewer: false, follow: true, changesRev: null, focus: null });

/** The most messages one room keeps loaded; further pages replace the far end. */
export const MAX_LOADED = 400;

/** Keeps a history within MAX_LOADED, dropping the end away from where the reader is. */
function bounded(h, dropNewest) {
  if (h.items.length <= MAX_LOADED) return h;
  if (dropNewest) return { ...h, items: h.items.slice(0, MAX_LOADED), hasNewer: true };
  return { ...h, items: h.items.slice(h.items.length - MAX_LOADED), hasMore: true };
}

/** The history record of `roomId` (an empty one when nothing is loaded). */
export function historyOf(state, roomId) {
  return state.history[roomId] ?? emptyHistory;
}

/** Merges `incoming` messages into `items` (both sorted by id); later copies replace earlier. */
export function mergeMessages(items, incoming) {
  if (incoming.length === 0) return items;
  const sorted = [...incoming].sort((a, b) => a.id - b.id);
  if (items.length === 0 || sorted[0].id > items[items.length - 1].id) {
    const unique = [];
    for (const m of sorted) {
      if (unique.length && unique[unique.length - 1].id === m.id) unique[unique.length - 1] = m;
      else unique.push(m);
    }
    return items.length ? [...items, ...unique] : unique;
  }
  const byId = new Map(items.map((m) => [m.id, m]));
  for (const m of sorted) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function setIn(obj, key, value) {
  return { ...obj, [key]: value };
}

export function without(obj, key) {
  if (!(key in obj)) return obj;
  const next = { ...obj };
  delete next[key];
  return next;
}

export function meId(state) {
  return state.me ? state.me.id : null;
}

export function withHistory(state, roomId, change) {
  const current = historyOf(state, roomId);
  return { ...state, history: setIn(state.history, roomId, { ...current, ...change(current) }) };
}

/**
 * Adds `messages` to the history of `roomId` with `change`, keeping it within MAX_LOADED
 * (`dropNewest`: the reader is going back in time, so the newest give way).
 */
export function addMessages(state, roomId, messages, change = {}, dropNewest = false) {
  const current = historyOf(state, roomId);
  const merged = bounded({ ...current, items: mergeMessages(current.items, messages), ...change }, dropNewest);
  return acknowledgeStored({ ...state, history: setIn(state.history, roomId, merged) }, messages);
}

/** My pending sends and uploads among `messages` are stored: they leave the outbox. */
export function acknowledgeStored(state, messages) {
  return {
    ...state,
    outbox: outbox.acknowledgeStored(state.outbox, messages, meId(state)),
    uploads: uploads.acknowledgeUploads(state.uploads, messages, meId(state)),
  };
}

/** The `history/*` actions of `reduce` (state.js). */
export function reduceHistory(state, action) {
  switch (action.type) {
    case 'history/changed': {
      // Messages edited or deleted while this client was away, as they are now; only those
      // already loaded are replaced (older ones arrive current when paged in).
      const h = state.history[action.roomId];
      if (!h) return state;
      const now = new Map(action.messages.map((m) => [m.id, m]));
      const items = h.items.some((m) => now.has(m.id)) ? h.items.map((m) => now.get(m.id) ?? m) : h.items;
      return withHistory(state, action.roomId, () => ({ items, changesRev: action.changesRev }));
    }

    case 'history/expired': {
      // The retention job removed every message sent before `before`: drop them here too, and
      // with them the promise of older pages (there are none left on the server).
      const before = Date.parse(action.before);
      if (!Number.isFinite(before)) return state;
      let history = state.history;
      for (const [key, h] of Object.entries(state.history)) {
        const items = h.items.filter((m) => !(Date.parse(m.timestamp) < before));
        if (items.length !== h.items.length) history = { ...history, [key]: { ...h, items, hasMore: false } };
      }
      return history === state.history ? state : { ...state, history };
    }

    case 'history/reset':
      // Too far behind to page forward: forget the room's messages and load the newest again.
      return { ...state, history: without(state.history, action.roomId) };

    case 'history/loading':
      return withHistory(state, action.roomId, () => ({ loadingOlder: action.value }));

    case 'history/around': {
      // A stretch that need not reach the newest message (from the first unread, or around a
      // message jumped to) replaces what was loaded: the two need not touch. `messageId`: the
      // message to scroll to and outline; `hasMore` (older ones exist) is assumed when unknown.
      const { roomId, messages, hasMore, hasNewer, changesRev, messageId } = action;
      const current = historyOf(state, roomId);
      const next = {
        ...state,
        history: setIn(state.history, roomId, {
          ...emptyHistory,
          loaded: true,
          hasMore: hasMore === undefined ? true : Boolean(hasMore),
          hasNewer: Boolean(hasNewer),
          follow: !hasNewer,
          changesRev: Number.isInteger(changesRev) ? changesRev : current.changesRev,
          focus: messageId != null ? { id: messageId } : null,
        }),
      };
      return addMessages(next, roomId, messages, {}, true);
    }

    case 'history/focus':
      return withHistory(state, action.roomId, () => ({ focus: { id: action.messageId } }));

    case 'history/loadingNewer':
      return withHistory(state, action.roomId, () => ({ loadingNewer: action.value }));

    case 'history/follow': {
      const h = state.history[action.roomId];
      if (!h || h.follow === action.value) return state;
      return withHistory(state, action.roomId, () => ({ follow: action.value }));
    }

    case 'history/loaded': {
      // `direction`: 'latest' (first page), 'before' (older page) or 'after' (catching up, or
      // paging down towards the newest from a stretch that does not reach it).
      const { roomId, messages, hasMore, direction, changesRev } = action;
      if (direction === 'latest' && historyOf(state, roomId).hasNewer) {
        // The newest page of a room read far back: it replaces the stretch (no gap is shown).
        state = { ...state, history: without(state.history, roomId) };
      }
      const change = { loaded: true };
      let dropNewest = false;
      if (historyOf(state, roomId).changesRev == null && Number.isInteger(changesRev)) change.changesRev = changesRev;
      if (direction === 'latest') {
        const h = historyOf(state, roomId);
        change.hasMore = h.loaded && h.items.length && messages.length && h.items[0].id < messages[0].id ? h.hasMore : hasMore;
      } else if (direction === 'before') {
        change.hasMore = hasMore;
        change.loadingOlder = false;
        dropNewest = true;
      } else if (direction === 'after' && historyOf(state, roomId).hasNewer) {
        // Without more, the stretch has reached the newest message.
        change.hasNewer = Boolean(hasMore);
        change.loadingNewer = false;
      }
      let next = addMessages(state, roomId, messages, change, dropNewest);
      const room = next.rooms[roomId];
      const newest = messages.length ? messages[messages.length - 1].id : 0;
      if (room && newest > (room.last_message_id ?? 0)) {
        next = { ...next, rooms: setIn(next.rooms, roomId, { ...room, last_message_id: newest }) };
      }
      return next;
    }

    default:
      return state;
  }
}
