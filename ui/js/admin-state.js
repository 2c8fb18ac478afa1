// The reducer's part for server administration (called by state.js after its own): what the
// Administration console shows (people, rooms, invites, settings, the audit log, statistics),
// rooms changed or deleted by their admins or the server's, and the pure arithmetic of the
// console's messages-per-day chart. Nothing here touches the network or the DOM.

import { setIn } from './history.js';

/** How many audit entries one page asks for. */
export const AUDIT_PAGE = 50;

export function initialAdmin() {
  return {
    admin: {
      users: { items: [], q: '', loaded: false },
      rooms: { items: [], loaded: false },
      invites: { items: [], loaded: false },
      settings: null,
      audit: { items: [], hasMore: true, loaded: false },
      stats: null,
    },
  };
}

const byId = (items, item) => items.map((x) => (x.id === item.id ? { ...x, ...item } : x));

function withAdmin(state, key, value) {
  return { ...state, admin: { ...state.admin, [key]: value } };
}

/** The room fields a `room_updated` event carries, merged into what this client knows. */
function roomUpdated(state, update) {
  const room = state.rooms[update.id];
  if (!room) return state;
  const next = { ...room };
  for (const key of ['name', 'description', 'is_private', 'is_archived']) if (key in update) next[key] = update[key];
  const adminRooms = state.admin.rooms;
  const known = adminRooms.items.some((r) => r.id === update.id);
  const admin = known ? { ...state.admin, rooms: { ...adminRooms, items: adminRooms.items.map((r) => (r.id === update.id ? { ...r, ...pick(update) } : r)) } } : state.admin;
  return { ...state, rooms: setIn(state.rooms, update.id, next), admin };
}

function pick(update) {
  const out = {};
  for (const key of ['name', 'is_private', 'is_archived']) if (key in update) out[key] = update[key];
  return out;
}

export function reduceAdmin(state, action) {
  const admin = state.admin;
  switch (action.type) {
    case 'room/updated':
      return roomUpdated(state, action.room);
    case 'room/removed': {
      const rooms = admin.rooms;
      if (!rooms.items.some((r) => r.id === action.roomId)) return state;
      return withAdmin(state, 'rooms', { ...rooms, items: rooms.items.filter((r) => r.id !== action.roomId) });
    }
    case 'admin/users':
      return withAdmin(state, 'users', { items: action.users, q: action.q ?? '', loaded: true });
    case 'admin/user':
      return withAdmin(state, 'users', { ...admin.users, items: byId(admin.users.items, action.user) });
    case 'admin/rooms':
      return withAdmin(state, 'rooms', { items: action.rooms, loaded: true });
    case 'admin/room':
      return withAdmin(state, 'rooms', { ...admin.rooms, items: byId(admin.rooms.items, action.room) });
    case 'admin/invites':
      return withAdmin(state, 'invites', { items: action.invites, loaded: true });
    case 'admin/invite':
      return withAdmin(state, 'invites', { ...admin.invites, items: [action.invite, ...admin.invites.items.filter((i) => i.code !== action.invite.code)] });
    case 'admin/inviteRevoked':
      return withAdmin(state, 'invites', { ...admin.invites, items: admin.invites.items.filter((i) => i.code !== action.code) });
    case 'admin/settings': {
      // Default rooms are a setting, shown on the rooms too.
      const ids = new Set(action.settings.default_room_ids ?? []);
      const rooms = admin.rooms.loaded ? { ...admin.rooms, items: admin.rooms.items.map((r) => (r.is_default === ids.has(r.id) ? r : { ...r, is_default: ids.has(r.id) })) } : admin.rooms;
      return { ...state, admin: { ...admin, settings: action.settings, rooms } };
    }
    case 'admin/audit': {
      // `append`: an older page below the entries shown; otherwise the newest page afresh.
      const seen = new Set(action.append ? admin.audit.items.map((e) => e.id) : []);
      const fresh = action.entries.filter((e) => !seen.has(e.id));
      const items = action.append ? [...admin.audit.items, ...fresh] : action.entries;
      return withAdmin(state, 'audit', { items, hasMore: action.entries.length >= (action.limit ?? AUDIT_PAGE), loaded: true });
    }
    case 'admin/stats':
      return withAdmin(state, 'stats', action.stats);
    default:
      return state;
  }
}

/** The console's sections, in the order shown. */
export const ADMIN_SECTIONS = ['users', 'rooms', 'invites', 'settings', 'audit', 'stats'];

/**
 * What an address's hash asks for: `{kind: 'admin', section}` (section null for the list of
 * sections), `{kind: 'setup', code}`, `{kind: 'invite', code}`, or null.
 */
export function parseAdminLink(hash) {
  const match = /^#\/(admin|setup|invite)(?:\/([A-Za-z0-9_-]+))?\/?$/.exec(hash ?? '');
  if (!match) return null;
  const [, kind, rest = null] = match;
  if (kind === 'admin') return { kind, section: ADMIN_SECTIONS.includes(rest) ? rest : null };
  return rest ? { kind, code: rest } : null;
}

/** The smallest of 1, 2, 5, 10, 20, 50, … that is at least `n` (a chart's top line). */
export function niceCeiling(n) {
  if (!(n > 0)) return 1;
  let step = 1;
  for (let i = 0; i < 40; i++) {
    for (const f of [1, 2, 5]) if (f * step >= n) return f * step;
    step *= 10;
  }
  return n;
}

/**
 * Bars for `days` (`[{date, messages}]`, oldest first) in a `width` × `height` box: each
 * `{x, y, width, height, date, messages}`, tallest at the top line (`max`, a round number),
 * a day with messages never thinner than one unit so it stays visible.
 */
export function chartBars(days, { width = 300, height = 100, gap = 2 } = {}) {
  const list = days ?? [];
  const max = niceCeiling(Math.max(0, ...list.map((d) => d.messages ?? 0)));
  if (list.length === 0) return { max, bars: [] };
  const slot = width / list.length;
  const barWidth = Math.max(1, slot - gap);
  const bars = list.map((d, i) => {
    const n = Math.max(0, d.messages ?? 0);
    const h = n === 0 ? 0 : Math.max(1, (n / max) * height);
    return { x: i * slot + (slot - barWidth) / 2, y: height - h, width: barWidth, height: h, date: d.date, messages: n };
  });
  return { max, bars };
}
