// The outbox: messages written but not yet acknowledged by the server. Each carries a
// `client_msg_id` chosen once and reused on every retry, so the server stores it at most once no
// matter how often the connection drops. Pure functions over an array of items (oldest first);
// the controller decides when to send.
//
// An item's `status`:
// - `queued`: waiting to be sent (offline, or a transient failure);
// - `sending`: sent on a live socket, waiting for its `new_message`;
// - `failed`: refused by the server or given up on; shown with Retry / Discard.

import { newClientMsgId, updatePending, removePending, acknowledgePending } from './pending.js';

export { newClientMsgId };

/** Sends of one message without an acknowledgement before it is marked failed. */
export const MAX_ATTEMPTS = 5;
/** How long a sent message may wait for its acknowledgement before it is sent again. */
export const ACK_TIMEOUT_MS = 10_000;

/** Server error codes after which sending the same message again may succeed. */
const TRANSIENT_CODES = new Set(['internal', 'shutting_down', 'server_busy', 'database_unavailable', 'network', 'timeout']);

/** Adds a message to the end of the outbox. */
export function enqueue(outbox, { roomId, content, messageType = 'text', clientMsgId = newClientMsgId(), now = Date.now(), replyTo = null, threadId = null, alsoToRoom = false }) {
  const item = {
    clientMsgId,
    roomId,
    content,
    messageType,
    // What it answers: a quoted message id, a thread's root id, shown in the room too.
    replyTo,
    threadId,
    alsoToRoom,
    status: 'queued',
    attempts: 0,
    createdAt: now,
    sentAt: null,
    error: null,
  };
  return [...outbox, item];
}

/**
 * The items to send now, oldest first: queued ones (once the wait a refusal asked for is over)
 * and sent ones whose ack is overdue.
 */
export function dueForSending(outbox, now = Date.now()) {
  return outbox.filter(
    (item) =>
      (item.status === 'queued' && !(item.notBefore > now)) ||
      (item.status === 'sending' && now - item.sentAt >= ACK_TIMEOUT_MS),
  );
}

/**
 * Records that `clientMsgId` is being sent. An item already sent [`MAX_ATTEMPTS`] times without
 * an acknowledgement is marked failed instead; returns the new outbox.
 */
export function markSending(outbox, clientMsgId, now = Date.now()) {
  return updatePending(outbox, clientMsgId, (item) =>
    item.attempts >= MAX_ATTEMPTS
      ? { status: 'failed', error: { code: 'timeout' } }
      : { status: 'sending', attempts: item.attempts + 1, sentAt: now },
  );
}

/** The server stored the message: it leaves the outbox. */
export function acknowledge(outbox, clientMsgId) {
  return removePending(outbox, clientMsgId);
}

/** Acknowledges every item whose id appears on one of `messages` written by `userId`. */
export function acknowledgeStored(outbox, messages, userId) {
  return acknowledgePending(outbox, messages, userId);
}

/**
 * The server answered the send with `error` ({code, message, retry_after?}). Transient errors put
 * the item back in the queue, not to be sent before `retry_after` seconds have passed (a
 * database restarting needs a few); anything else marks it failed.
 */
export function reject(outbox, clientMsgId, error, now = Date.now()) {
  const transient = TRANSIENT_CODES.has(error?.code);
  const wait = Number.isFinite(error?.retry_after) ? Math.min(error.retry_after, 60) * 1000 : 0;
  return updatePending(outbox, clientMsgId, (item) =>
    transient && item.attempts < MAX_ATTEMPTS
      ? { status: 'queued', sentAt: null, notBefore: wait > 0 ? now + wait : null }
      : { status: 'failed', error },
  );
}

/** The connection dropped: whatever was in flight is queued again (not counted as a failure). */
export function requeueInFlight(outbox) {
  if (!outbox.some((item) => item.status === 'sending')) return outbox;
  return outbox.map((item) => (item.status === 'sending' ? { ...item, status: 'queued', sentAt: null } : item));
}

/** The person asked to retry a failed message: same client_msg_id, fresh attempts. */
export function retry(outbox, clientMsgId) {
  return updatePending(outbox, clientMsgId, () => ({ status: 'queued', attempts: 0, sentAt: null, notBefore: null, error: null }));
}

/** The person gave up on a message. */
export function discard(outbox, clientMsgId) {
  return acknowledge(outbox, clientMsgId);
}

/** The outbox as JSON, for keeping it across a reload. */
export function serialize(outbox) {
  return JSON.stringify(outbox.map(({ clientMsgId, roomId, content, messageType, status, attempts, createdAt, error, replyTo, threadId, alsoToRoom }) => ({
    clientMsgId, roomId, content, messageType, status, attempts, createdAt, error, replyTo, threadId, alsoToRoom,
  })));
}

/** An outbox read back from [`serialize`]; anything unreadable is dropped. */
export function restore(json) {
  let items;
  try {
    items = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(items)) return [];
  return items
    .filter((i) => i && typeof i.clientMsgId === 'string' && Number.isInteger(i.roomId) && typeof i.content === 'string')
    .map((i) => ({
      clientMsgId: i.clientMsgId,
      roomId: i.roomId,
      content: i.content,
      messageType: typeof i.messageType === 'string' ? i.messageType : 'text',
      status: i.status === 'failed' ? 'failed' : 'queued',
      attempts: Number.isInteger(i.attempts) ? i.attempts : 0,
      createdAt: Number.isFinite(i.createdAt) ? i.createdAt : Date.now(),
      sentAt: null,
      error: i.status === 'failed' ? i.error ?? null : null,
      replyTo: Number.isInteger(i.replyTo) ? i.replyTo : null,
      threadId: Number.isInteger(i.threadId) ? i.threadId : null,
      alsoToRoom: i.alsoToRoom === true,
    }));
}
