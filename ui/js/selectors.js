// Questions views and the controller ask of the state: who is typing, which rooms go in which
// sidebar section (and in which order), what a room is called, whether and how someone is present. Pure.

/** Who is typing in `roomId`, oldest first, as usernames. */
export function typingNames(state, roomId) {
  const users = state.typing[roomId];
  return users ? Object.values(users).map((u) => u.username) : [];
}

/**
 * The room list's sections: `favourites` and the other channels I am in (`rooms`), each in the
 * chosen order (by name, or most recent activity first), `mine` (both, as listed), my open
 * direct conversations (`direct`, latest first) and the public channels I could join
 * (`discover`, by name).
 */
export function roomSections(state) {
  const all = Object.values(state.rooms);
  const channels = all.filter((r) => r.kind !== 'direct');
  const byName = (a, b) => a.name.localeCompare(b.name) || a.id - b.id;
  const byActivity = (a, b) => (b.last_message_id ?? 0) - (a.last_message_id ?? 0) || byName(a, b);
  const order = state.roomSort === 'activity' ? byActivity : byName;
  const favourites = state.favourites ?? {};
  const member = channels.filter((r) => r.is_member);
  const pinned = member.filter((r) => favourites[r.id]).sort(order);
  const rooms = member.filter((r) => !favourites[r.id]).sort(order);
  return {
    favourites: pinned,
    rooms,
    mine: [...pinned, ...rooms],
    direct: all
      .filter((r) => r.kind === 'direct' && r.is_member && (!r.is_hidden || r.id === state.currentRoomId))
      .sort((a, b) => (b.last_message_id ?? 0) - (a.last_message_id ?? 0) || b.id - a.id),
    discover: channels.filter((r) => !r.is_member && !r.is_private).sort(byName),
  };
}

/** Every room in the order the room list shows them. */
export function sidebarOrder(state) {
  const { mine, direct, discover } = roomSections(state);
  return [...mine, ...direct, ...discover];
}

/** What a room is called: a channel's name, or a conversation's other people. */
export function roomTitle(room) {
  if (!room) return '';
  if (room.kind !== 'direct') return room.name;
  return (room.dm_users ?? []).map((u) => u.username).join(', ');
}

/** `{status, status_text}` of `user` as known now (`online`, `away`, `dnd`, `offline`). */
export function statusOf(state, user) {
  if (state.me && user.id === state.me.id) {
    const connected = state.connection.status === 'online' || state.connection.status === 'syncing';
    return { status: connected ? (state.me.status && state.me.status !== 'offline' ? state.me.status : 'online') : 'offline', status_text: state.me.status_text ?? null };
  }
  const p = state.presence[user.id];
  if (p) return { status: p.status, status_text: p.status_text };
  const online = Boolean(user.is_online);
  return { status: online ? user.status ?? 'online' : 'offline', status_text: user.status_text ?? null };
}

/**
 * Whether `user` is online: myself while connected; others from presence (live events first,
 * then snapshots) and finally the member record.
 */
export function isOnline(state, user) {
  if (state.me && user.id === state.me.id) return state.connection.status === 'online' || state.connection.status === 'syncing';
  const p = state.presence[user.id];
  return p ? p.is_online : Boolean(user.is_online);
}
