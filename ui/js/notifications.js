// Which new messages deserve a notification, decided the same way on every platform: the
// person's level (every message, only mentions of @me, or none), muted rooms, do not disturb,
// never my own messages or the server's notices, never the room I am reading. A direct
// message counts as a mention; whom a message mentions is the server's word when it says. Pure.
// The desktop app applies its own settings in Rust (it also knows whether its window has
// focus) but takes whether a message mentions me, and do not disturb, from here.

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
 * What a platform that decides for itself (the desktop app: its own settings, mutes, window
 * focus) is told of a new `message`: null when it must not hear of it at all (not my room, my
 * own, the server's notices, do not disturb); else `{direct, mentions_me}` — a direct
 * conversation notifies like a mention, and whom the message mentions is decided here, from
 * the server's `mentions`, for every platform.
 */
export function desktopReport(message, { me = null, isMember = true, direct = false } = {}) {
  if (!isMember || me?.status === 'dnd' || !isFromOthers(message, me)) return null;
  return { direct: Boolean(direct), mentions_me: mentionsMe(message, me) };
}

/**
 * Whether a new message should be reported to a platform that decides for itself (the desktop
 * app): anything from someone else in a room I am in.
 */
export function isFromOthers(message, me) {
  return Boolean(message) && message.user_id != null && message.message_type !== 'system' && !message.is_deleted && message.user_id !== me?.id;
}
