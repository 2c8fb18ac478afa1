// Socket events in: each server event becomes a state action, plus what follows from it
// (marking read, notifying, leaving a room this person was removed from, a refused send).

import { findPending } from '../pending.js';
import { t } from '../i18n.js';

export function createEvents(ctx) {
  const { ui, dispatch, state } = ctx;

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
      case 'reactions_updated':
        dispatch({ type: 'reactions/updated', roomId: data.room_id, messageId: data.message_id, reactions: data.reactions ?? [] });
        break;
      case 'thread_reply':
        ctx.conversations.onThreadReply(data.message);
        break;
      case 'thread_read':
        dispatch({ type: 'threads/read', rootId: data.root_id });
        break;
      case 'resync':
        // The server may have missed changes in these rooms: fetch them as after a reconnect.
        ctx.catchUp.catchUp(ctx.generation, data.room_ids ?? []).catch(() => {});
        break;
      case 'history_expired':
        dispatch({ type: 'history/expired', before: data.before });
        break;
      case 'room_joined':
        dispatch({ type: 'room/joined', room: data.room, members: data.members, messages: data.messages ?? [], changesRev: data.changes_rev });
        if (data.room.id === state().currentRoomId) ctx.rooms.scheduleMarkRead();
        break;
      case 'room_updated':
        ctx.admin.onRoomUpdated(data.room);
        break;
      case 'room_deleted':
        ctx.admin.onRoomDeleted(data.room_id);
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
        dispatch({ type: 'room/read', roomId: data.room_id, lastReadMessageId: data.last_read_message_id, unreadCount: data.unread_count, mentionCount: data.mention_count });
        break;
      case 'dm_closed':
        dispatch({ type: 'dm/closed', roomId: data.room_id });
        break;
      case 'typing_update':
        dispatch({ type: 'typing/update', roomId: data.room_id, userId: data.user_id, username: data.username, isTyping: data.is_typing });
        break;
      case 'user_status_update':
        dispatch({ type: 'presence/update', users: [data] });
        onMyStatus(data);
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
    const visible = ctx.isVisible();
    dispatch({ type: 'message/new', message, visible });
    ctx.outbox.persistOutbox();
    if (message.room_id === state().currentRoomId && visible) ctx.rooms.scheduleMarkRead();
    // A reply kept to its thread notifies its followers through `thread_reply` instead.
    if (ctx.conversations.notifiesInRoom(message)) ctx.notify.maybeNotify(message, visible);
  }

  /** My status set on another device (or this one) reaches my own account too. */
  function onMyStatus(data) {
    const me = state().me;
    if (!me || data.user_id !== me.id || data.status === 'offline') return;
    if (me.status !== data.status || me.status_text !== data.status_text) {
      dispatch({ type: 'me/updated', user: { ...me, status: data.status, status_text: data.status_text ?? null } });
    }
  }

  function onUserLeft(roomId, user) {
    const s = state();
    const room = s.rooms[roomId];
    const wasMember = Boolean(room?.is_member);
    dispatch({ type: 'member/left', roomId, user });
    if (user.id !== s.me?.id || !wasMember) return;
    // Removed by an admin or left on another device; leaving here says so itself.
    if (!ctx.rooms.isLeaving(roomId)) ui.toast(t('room.removed', { room: room.name }));
    ctx.rooms.moveOffRoom(roomId);
  }

  /** An `error` answering one of this client's sends (its `ref` is the client_msg_id). */
  function onSocketError(error, ref) {
    if (ref && findPending(state().outbox, ref)) {
      dispatch({ type: 'outbox/rejected', clientMsgId: ref, error });
      ctx.outbox.persistOutbox();
    }
  }

  return { onEvent };
}
