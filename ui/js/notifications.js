// Which new messages deserve a notification, decided the same way on every platform: the
// person's level (every message, only mentions of @me, or none), muted rooms, do not disturb,
// never my own messages or the server's notices, never the room I am reading. A direct
// message counts as a mention; whom a message mentions is the server's word when it says. Pure; the desktop app makes
// the same decision in Rust (it also knows whether its window has focus), the browser here.

/** The notification levels, in the order settings offer them. */
export const NOTIFY_LEVELS = ['all', 'mentions', 'none'];

const NAME_CHAR = /[\p{L}\p{N}_.-]/u;

/** Whether `content` mentions `@username` (ignoring case; not as part of a longer name). */
export function mentions(content, username) {
  if (!username) return false;
  const text = String(content ?? '').toLowerCase();
  const needle = `@${String(username).toLowerCase()}`;
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return false;
    const next = text.slice(at + needle.length)[Symbol.iterator]().next().value;
    if (next === undefined || !NAME_CHAR.test(next)) return true;
    from = at + 1;
  }
}

/**
 * Whether `message` should raise a notification in the browser.
 *
 * - `prefs`: `{enabled, level, muted}` — notifications switched on (and allowed), the level,
 *   and whether the message's room is muted;
 * - `context`: `{me, isMember, visible, currentRoomId}` — who I am, whether I am in the room,
 *   whether the page is visible, and which room is on screen.
 */
export function shouldNotify(message, { enabled = true, level = 'all', muted = false, dnd = false } = {}, { me = null, isMember = true, visible = false, currentRoomId = null, direct = false } = {}) {
  if (!enabled || level === 'none' || muted || dnd || !isMember) return false;
  if (!message || message.user_id == null || message.message_type === 'system' || message.is_deleted) return false;
  if (me && message.user_id === me.id) return false;
  if (visible && message.room_id === currentRoomId) return false;
  if (level === 'mentions') return direct || mentionsMe(message, me);
  return true;
}

/** Whether `message` mentions `me`: the server's `mentions` if it sent them, else by the text. */
function mentionsMe(message, me) {
  if (Array.isArray(message.mentions)) return message.mentions.includes(me?.id) || message.mentions_room === true;
  return mentions(message.content, me?.username);
}

/**
 * Whether a new message should be reported to a platform that decides for itself (the desktop
 * app): anything from someone else in a room I am in.
 */
export function isFromOthers(message, me) {
  return Boolean(message) && message.user_id != null && message.message_type !== 'system' && !message.is_deleted && message.user_id !== me?.id;
}
