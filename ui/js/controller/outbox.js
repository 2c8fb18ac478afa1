// The outbox in use: messages are queued (queue.js, through the reducer), kept next to the
// session so a reload keeps them, and sent on the socket when it is online and caught up.

import * as api from '../net/index.js';
import { dueForSending, serialize, restore } from '../queue.js';
import { findPending } from '../pending.js';
import { isEmojiOnly } from '../emoji.js';
import { historyOf } from '../state.js';

export function createOutbox(ctx) {
  const { dispatch, state, typing } = ctx;

  let saved = null; // what was last written for this account, to skip identical writes
  let restoredFor = null; // the account whose saved outbox is loaded into this session

  // The account: known from `ready`, or before it (offline) from the last one on this device.
  const account = () => state().me?.id ?? api.lastUser();

  function persistOutbox() {
    const userId = account();
    if (userId == null || restoredFor !== userId) return; // never overwrite what is not loaded yet
    const json = serialize(state().outbox);
    if (json === saved) return;
    saved = json;
    api.saveOutbox(json, userId);
  }

  /**
   * Brings back the messages this account left unsent on this device (a closed tab or app) once
   * the server says who is signed in; they are sent once caught up, each under its
   * client_msg_id, so one the server already stored is not stored twice.
   */
  async function restoreOutbox() {
    const userId = account();
    if (userId == null || restoredFor === userId) return;
    const json = await api.loadOutbox(userId);
    if (account() !== userId || restoredFor === userId) return;
    restoredFor = userId;
    saved = json;
    const items = json ? restore(json) : [];
    if (items.length) dispatch({ type: 'outbox/restore', items });
    persistOutbox();
  }

  /** A new session (another account, or signed out): its outbox is loaded afresh. */
  function forget() {
    restoredFor = null;
    saved = null;
  }

  /** Sends what is due, unless offline or still catching up after a reconnect. */
  function flushOutbox() {
    const socket = ctx.socket;
    if (!socket?.isOnline() || ctx.syncing) return;
    const now = Date.now();
    for (const item of dueForSending(state().outbox, now)) {
      const room = state().rooms[item.roomId];
      if (!room || !room.is_member) {
        dispatch({ type: 'outbox/rejected', clientMsgId: item.clientMsgId, error: { code: room ? 'not_a_member' : 'not_found' } });
        continue;
      }
      dispatch({ type: 'outbox/sending', clientMsgId: item.clientMsgId, now });
      const updated = findPending(state().outbox, item.clientMsgId);
      if (updated?.status !== 'sending') continue; // given up after too many attempts
      const sent = socket.send(
        'send_message',
        {
          room_id: item.roomId,
          content: item.content,
          message_type: item.messageType,
          client_msg_id: item.clientMsgId,
          reply_to: item.replyTo ?? undefined,
          thread_id: item.threadId ?? undefined,
          also_to_room: item.alsoToRoom || undefined,
        },
        item.clientMsgId,
      );
      if (!sent) {
        dispatch({ type: 'outbox/requeue' });
        break;
      }
    }
    persistOutbox();
  }

  const actions = {
    /**
     * Queues a message; it is sent now if connected, otherwise when the connection is back.
     * `replyTo`: the id of a message it quotes; `threadId`: the thread it replies in (then
     * `alsoToRoom` shows it in the timeline too).
     */
    send(roomId, content, { replyTo = null, threadId = null, alsoToRoom = false } = {}) {
      // NUL characters are invisible and refused by the server; drop them instead of failing.
      const text = content.replace(/\0/g, '').trim();
      if (!text) return false;
      dispatch({ type: 'outbox/add', item: { roomId, content: text, messageType: isEmojiOnly(text) ? 'emoji' : 'text', replyTo, threadId, alsoToRoom: Boolean(threadId) && alsoToRoom } });
      // Reading far back or after a jump: what I send shows below the newest messages, so go there.
      if (!threadId && historyOf(state(), roomId).hasNewer) ctx.catchUp.actions.jumpToLatest(roomId).catch(() => {});
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
  };

  return { persistOutbox, flushOutbox, restoreOutbox, forget, actions };
}
