// Rooms on screen: opening one (its newest page and members), the room shown first, joining,
// leaving and creating rooms, members, edits and deletes, marking what was seen as read, and
// typing notices.

import * as api from '../net/index.js';
import { historyOf, roomSections } from '../state.js';
import { t, errorText } from '../i18n.js';
import { loadPrefs, savePrefs } from '../prefs.js';

export function createRooms(ctx) {
  const { ui, dispatch, state, typing } = ctx;
  let markTimer = null;
  let leaving = new Set(); // rooms this person is leaving (their own user_left is no surprise)

  function scheduleMarkRead() {
    if (markTimer !== null) return;
    markTimer = setTimeout(() => {
      markTimer = null;
      markRead();
    }, 400);
  }

  /** The session ends or is suspended: a pending mark-read is not sent. */
  function cancelMarkRead() {
    clearTimeout(markTimer);
  }

  function markRead() {
    const s = state();
    const room = s.rooms[s.currentRoomId];
    if (!room?.is_member || !ctx.isVisible() || !ctx.socket?.isOnline()) return;
    const items = historyOf(s, room.id).items;
    const newest = items.length ? items[items.length - 1].id : 0;
    if (!newest || (newest <= room.last_read_message_id && room.unread_count === 0 && !room.mention_count)) return;
    if (ctx.socket.send('mark_read', { room_id: room.id, message_id: newest })) {
      dispatch({ type: 'room/read', roomId: room.id, lastReadMessageId: newest, unreadCount: 0, mentionCount: 0 });
    }
  }

  async function loadMembers(roomId) {
    const mine = ctx.generation;
    const { members } = await api.rooms.members(roomId);
    if (mine !== ctx.generation) return;
    dispatch({ type: 'members/loaded', roomId, members });
  }

  /** Shows `roomId`; `around`: a message to show (and highlight) in it, loaded if need be. */
  async function openRoom(roomId, { refresh = false, around = null } = {}) {
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
    if (around != null) tasks.push(ctx.catchUp.loadAround(roomId, around));
    else if (refresh || !historyOf(state(), roomId).loaded) tasks.push(ctx.catchUp.loadLatest(roomId));
    if (refresh || !state().members[roomId]) tasks.push(loadMembers(roomId));
    const results = await Promise.allSettled(tasks);
    for (const result of results) {
      if (result.status !== 'rejected') continue;
      const error = result.reason;
      if (error?.code === 'not_found') {
        dispatch({ type: 'room/removed', roomId });
      } else if (error?.code !== 'network' && error?.code !== 'unauthorized') {
        ui.toast(errorText(error), { kind: 'error' });
      }
      break;
    }
    scheduleMarkRead();
  }

  /** After leaving `roomId`, show another room if it was the one on screen. */
  function moveOffRoom(roomId) {
    const current = state().currentRoomId;
    if (current != null && current !== roomId) return;
    const { mine } = roomSections(state());
    const next = mine.find((r) => r.id !== roomId)?.id ?? null;
    if (next != null) openRoom(next);
  }

  /** The room to show after signing in: the last one seen on this server, or the first. */
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

  const actions = {
    openRoom: (roomId) => openRoom(roomId),
    /** Opens `roomId` at message `messageId` (from "Mentions"), highlighted. */
    jumpToMessage: (roomId, messageId) => openRoom(roomId, { around: messageId }).then(() => ctx.conversations.revealInThread(roomId, messageId)),

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

    async edit(messageId, content) {
      const { message } = await api.messages.edit(messageId, content);
      dispatch({ type: 'message/updated', message });
    },

    async remove(message) {
      await api.messages.remove(message.id);
      dispatch({ type: 'message/deleted', roomId: message.room_id, messageId: message.id });
    },

    typing(roomId, hasText) {
      typing.input(roomId, hasText);
    },

    stopTyping() {
      typing.stop();
    },

    roomVisible() {
      scheduleMarkRead();
    },

    /** Everything in `roomId` counts as seen, loaded or not (Esc, "Mark as read"). */
    markRoomRead(roomId) {
      const room = state().rooms[roomId];
      if (!room?.is_member || !ctx.socket?.isOnline()) return false;
      const items = historyOf(state(), roomId).items;
      const newest = Math.max(room.last_message_id ?? 0, items.length ? items[items.length - 1].id : 0);
      if (!newest || (newest <= room.last_read_message_id && room.unread_count === 0)) return false;
      if (!ctx.socket.send('mark_read', { room_id: roomId, message_id: newest })) return false;
      dispatch({ type: 'room/read', roomId, lastReadMessageId: newest, unreadCount: 0 });
      return true;
    },

    /** Every room with unread messages counts as read. */
    markAllRead() {
      for (const room of Object.values(state().rooms)) {
        if (room.is_member && (room.unread_count ?? 0) > 0) actions.markRoomRead(room.id);
      }
    },
  };

  return {
    openRoom,
    moveOffRoom,
    initialRoom,
    scheduleMarkRead,
    cancelMarkRead,
    isLeaving: (roomId) => leaving.has(roomId),
    forgetLeaving: () => {
      leaving = new Set();
    },
    actions,
  };
}
