// Mentions in the web client, pure: whether a message mentions me (the server says whom it
// mentions), the `@` word being typed at the caret, and which members match it.

/** Characters a username may hold (the server's rule). */
const NAME_CHAR = /[\p{L}\p{N}_.-]/u;

/** Whether `message` mentions `me`: by name, or `@room` from someone else. */
export function mentionsMe(message, me) {
  if (!message || !me || message.is_deleted || message.user_id === me.id) return false;
  return (Array.isArray(message.mentions) && message.mentions.includes(me.id)) || message.mentions_room === true;
}

/**
 * The `@word` the caret is in or just after: `{start, query}` where `start` is the index of the
 * `@`, or null. An `@` counts only at the start or after a character that cannot be in a name
 * (so an email address is not a mention).
 */
export function mentionAt(text, caret) {
  const before = String(text ?? '').slice(0, caret);
  const chars = [...before];
  let i = chars.length;
  while (i > 0 && NAME_CHAR.test(chars[i - 1])) i -= 1;
  if (i === 0 || chars[i - 1] !== '@') return null;
  if (i >= 2 && NAME_CHAR.test(chars[i - 2])) return null;
  const query = chars.slice(i).join('');
  const start = chars.slice(0, i - 1).join('').length;
  return { start, query };
}

/** Members whose name starts with `query` (ignoring case in every script), me left out; at most `limit`. */
export function matchMembers(members, query, { me = null, limit = 8 } = {}) {
  const q = String(query ?? '').normalize('NFKC').toLowerCase();
  return (members ?? [])
    .filter((m) => m.id !== me?.id && m.username.normalize('NFKC').toLowerCase().startsWith(q))
    .sort((a, b) => a.username.localeCompare(b.username))
    .slice(0, limit);
}

/** `text` with the mention at `start` (up to `caret`) replaced by `@username `; and the new caret. */
export function completeMention(text, start, caret, username) {
  const insert = `@${username} `;
  const value = text.slice(0, start) + insert + text.slice(caret);
  return { value, caret: start + insert.length };
}
