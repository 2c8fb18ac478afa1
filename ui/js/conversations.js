// Replies, threads, reactions and permalinks as plain data: which messages belong in the
// timeline, what a reaction click does, how a thread's summary reads, and the permalink format.
// No DOM, no network: views and the controller use these, unit tests drive them directly.

/** The reactions offered at once, before the full picker. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '👀', '🙏'];

/** Whether `message` shows in its room's timeline: not a reply kept to its thread. */
export function inTimeline(message) {
  return message.thread_id == null || Boolean(message.also_to_room);
}

/** Whether `userId` has reacted with `emoji` on `message` (so a click removes it). */
export function hasReacted(message, emoji, userId) {
  return (message.reactions ?? []).some((r) => r.emoji === emoji && r.user_ids.includes(userId));
}

/**
 * `message` with `userId`'s `emoji` added (`add`) or removed, as the server will store it: the
 * emoji keeps its first-used place, a new one goes last, an emoji nobody has any more goes.
 */
export function withReaction(message, emoji, userId, add) {
  const reactions = (message.reactions ?? []).map((r) => ({ ...r, user_ids: [...r.user_ids] }));
  const at = reactions.findIndex((r) => r.emoji === emoji);
  if (add) {
    if (at < 0) reactions.push({ emoji, count: 1, user_ids: [userId] });
    else if (!reactions[at].user_ids.includes(userId)) {
      reactions[at].user_ids.push(userId);
      reactions[at].count += 1;
    }
  } else if (at >= 0 && reactions[at].user_ids.includes(userId)) {
    reactions[at].user_ids = reactions[at].user_ids.filter((id) => id !== userId);
    reactions[at].count -= 1;
    if (reactions[at].count <= 0) reactions.splice(at, 1);
  }
  return { ...message, reactions };
}

/** The names of who reacted, for a chip's title: known names first, "you" for me. */
export function reactorNames(reaction, namesById, meId, youLabel) {
  return reaction.user_ids.map((id) => (id === meId ? youLabel : namesById.get(id) ?? `#${id}`));
}

/** Replies of thread `rootId` among `messages`, oldest first, without repeats. */
export function repliesOf(messages, rootId) {
  const seen = new Map();
  for (const m of messages) if (m.thread_id === rootId) seen.set(m.id, m);
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

/** The in-app link to message `messageId` of room `roomId`. */
export function permalink(roomId, messageId) {
  return `#/rooms/${roomId}/messages/${messageId}`;
}

/** `{roomId, messageId}` of a permalink hash (`#/rooms/3/messages/41`), else null. */
export function parsePermalink(hash) {
  const match = /^#\/rooms\/(\d+)\/messages\/(\d+)$/.exec(hash ?? '');
  if (!match) return null;
  const roomId = Number(match[1]);
  const messageId = Number(match[2]);
  return Number.isSafeInteger(roomId) && Number.isSafeInteger(messageId) ? { roomId, messageId } : null;
}

/**
 * `{roomId, messageId}` when `href` is a permalink of the server at `serverUrl` (its web client's
 * address plus a permalink hash), else null: such links open in place rather than in a new tab.
 */
export function ownPermalink(href, serverUrl) {
  let url;
  let server;
  try {
    url = new URL(href);
    server = new URL(serverUrl);
  } catch {
    return null;
  }
  if (url.origin !== server.origin || url.pathname.replace(/\/+$/, '') !== server.pathname.replace(/\/+$/, '')) return null;
  return parsePermalink(url.hash);
}

/** The full web address of a permalink, from the page's address without its hash. */
export function permalinkUrl(pageUrl, roomId, messageId) {
  return `${String(pageUrl).split('#')[0]}${permalink(roomId, messageId)}`;
}
