// Pending items keyed by `client_msg_id`: what the outbox (queue.js) and uploads (uploads.js)
// both are — things this person sent that the server has not stored yet, drawn until the
// stored message with the same client_msg_id arrives. Pure functions over an array of items
// (oldest first), each with a `clientMsgId` and a `roomId`; an unchanged list is returned as is,
// so views comparing by reference skip work.

let sequence = 0;

/** A fresh client message id: `c-<time>-<sequence>-<random>`, within the protocol's charset. */
export function newClientMsgId(now = Date.now(), random = Math.random) {
  sequence = (sequence + 1) % 1_679_616;
  const noise = Math.floor(random() * 2_176_782_336).toString(36);
  return `c-${now.toString(36)}-${sequence.toString(36)}-${noise}`;
}

/** The item with `clientMsgId`, or undefined. */
export function findPending(items, clientMsgId) {
  return items.find((item) => item.clientMsgId === clientMsgId);
}

/**
 * Applies `change(item)` (the fields to change) to the item with `clientMsgId`. An item whose
 * fields all stay the same is kept as is, and so is the list when nothing changed.
 */
export function updatePending(items, clientMsgId, change) {
  let changed = false;
  const next = items.map((item) => {
    if (item.clientMsgId !== clientMsgId) return item;
    const updated = { ...item, ...change(item) };
    if (Object.keys(updated).every((k) => updated[k] === item[k])) return item;
    changed = true;
    return updated;
  });
  return changed ? next : items;
}

/** The list without the item with `clientMsgId`. */
export function removePending(items, clientMsgId) {
  const next = items.filter((item) => item.clientMsgId !== clientMsgId);
  return next.length === items.length ? items : next;
}

/** Removes every item whose id appears on one of the stored `messages` written by `userId`. */
export function acknowledgePending(items, messages, userId) {
  if (items.length === 0) return items;
  let next = items;
  for (const message of messages) {
    if (message.client_msg_id && message.user_id === userId) next = removePending(next, message.client_msg_id);
  }
  return next;
}

/** The list without the items of room `roomId` (it was left or removed). */
export function withoutRoom(items, roomId) {
  const next = items.filter((item) => item.roomId !== roomId);
  return next.length === items.length ? items : next;
}
