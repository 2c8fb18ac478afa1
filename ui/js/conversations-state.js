// The reducer's part for replies, threads and reactions (called by state.js after its own):
// the open thread panel, the quote-reply being written in each room, the followed threads
// ("Threads" view) and reactions arriving for loaded messages.

import { historyOf, mergeMessages, setIn, without, withHistory, meId } from './history.js';
import { repliesOf } from './conversations.js';

export function initialConversations() {
  return {
    // The thread panel: {rootId, roomId, root, items, loaded, hasMore} or null.
    thread: null,
    // Room id → the message the composer quotes.
    replyTo: {},
    // "Threads": [{root, unread_count}], the most recently active first.
    followed: { items: [], loaded: false },
  };
}

/** `message` as it now is, in the thread panel and the followed threads (and, with
 * `inHistory`, the room's loaded history: the core reducer already did that for edits). */
function updateMessage(state, message, inHistory = false) {
  let next = state;
  const h = state.history[message.room_id];
  if (inHistory && h && h.items.some((m) => m.id === message.id)) {
    next = withHistory(next, message.room_id, (cur) => ({ items: mergeMessages(cur.items, [message]) }));
  }
  const panel = next.thread;
  if (panel && panel.rootId === message.id) next = { ...next, thread: { ...panel, root: message } };
  else if (panel && panel.items.some((m) => m.id === message.id)) {
    next = { ...next, thread: { ...panel, items: mergeMessages(panel.items, [message]) } };
  }
  const followed = next.followed.items;
  if (followed.some((f) => f.root.id === message.id)) {
    next = { ...next, followed: { ...next.followed, items: followed.map((f) => (f.root.id === message.id ? { ...f, root: message } : f)) } };
  }
  return next;
}

function findMessage(state, roomId, messageId) {
  const inRoom = historyOf(state, roomId).items.find((m) => m.id === messageId);
  if (inRoom) return inRoom;
  const panel = state.thread;
  if (panel?.root?.id === messageId) return panel.root;
  return panel?.items.find((m) => m.id === messageId) ?? null;
}

export function reduceConversations(state, action) {
  const next = reduceAction(state, action);
  // A room that went (left, removed from, gone after a reconnect) takes its thread panel along.
  if (next.thread && !next.rooms[next.thread.roomId]) return { ...next, thread: null };
  return next;
}

function reduceAction(state, action) {
  switch (action.type) {
    case 'session/start':
      return { ...state, ...initialConversations() };

    case 'thread/open':
      if (state.thread?.rootId === action.root.id) return state;
      return {
        ...state,
        thread: {
          rootId: action.root.id,
          roomId: action.root.room_id,
          root: action.root,
          // Replies already loaded with the room are shown while the thread loads.
          items: repliesOf(historyOf(state, action.root.room_id).items, action.root.id),
          loaded: false,
          hasMore: false,
        },
      };

    case 'thread/loaded': {
      const panel = state.thread;
      if (!panel || panel.rootId !== action.rootId) return state;
      return { ...state, thread: { ...panel, root: action.root ?? panel.root, items: mergeMessages(panel.items, action.messages), loaded: true, hasMore: Boolean(action.hasMore) } };
    }

    case 'thread/close':
      return state.thread ? { ...state, thread: null } : state;

    case 'reply/set':
      return action.message ? { ...state, replyTo: setIn(state.replyTo, action.roomId, action.message) } : { ...state, replyTo: without(state.replyTo, action.roomId) };

    case 'message/new': {
      const { message } = action;
      const panel = state.thread;
      if (panel && message.thread_id === panel.rootId && !panel.items.some((m) => m.id === message.id)) {
        return { ...state, thread: { ...panel, items: mergeMessages(panel.items, [message]) } };
      }
      return state;
    }

    case 'message/updated':
      return updateMessage(state, action.message);

    case 'history/changed':
      if (!state.thread && state.followed.items.length === 0) return state;
      return (action.messages ?? []).reduce((next, message) => updateMessage(next, message), state);

    case 'message/deleted': {
      const panel = state.thread;
      let next = state;
      if (panel && panel.items.some((m) => m.id === action.messageId)) {
        const items = panel.items.map((m) => (m.id === action.messageId ? { ...m, is_deleted: true, content: '' } : m));
        next = { ...next, thread: { ...panel, items } };
      }
      if (next.replyTo[action.roomId]?.id === action.messageId) next = { ...next, replyTo: without(next.replyTo, action.roomId) };
      return next;
    }

    case 'reactions/updated': {
      const message = findMessage(state, action.roomId, action.messageId);
      if (!message) return state;
      return updateMessage(state, { ...message, reactions: action.reactions }, true);
    }

    case 'threads/loaded':
      return { ...state, followed: { items: action.threads, loaded: true } };

    case 'threads/reply': {
      // A reply in a followed thread: it moves to the top, one more unread unless it is open.
      const { message } = action;
      const open = state.thread?.rootId === message.thread_id && action.visible;
      const items = state.followed.items;
      const at = items.findIndex((f) => f.root.id === message.thread_id);
      if (at < 0 || message.user_id === meId(state)) return state;
      const entry = { ...items[at], unread_count: open ? 0 : items[at].unread_count + 1 };
      return { ...state, followed: { ...state.followed, items: [entry, ...items.slice(0, at), ...items.slice(at + 1)] } };
    }

    case 'threads/read': {
      const items = state.followed.items;
      if (!items.some((f) => f.root.id === action.rootId && f.unread_count > 0)) return state;
      return { ...state, followed: { ...state.followed, items: items.map((f) => (f.root.id === action.rootId ? { ...f, unread_count: 0 } : f)) } };
    }

    case 'threads/unfollowed':
      return { ...state, followed: { ...state.followed, items: state.followed.items.filter((f) => f.root.id !== action.rootId) } };

    default:
      return state;
  }
}
