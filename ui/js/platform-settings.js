// What each platform can do, and how the desktop app's settings map to this client's
// preferences and back. Pure: no Tauri, no DOM. The network module picks the capabilities;
// the controller uses the mappings.

/** A plain browser tab: the page's own server, Web Notifications, settings in localStorage. */
export const BROWSER_CAPABILITIES = Object.freeze({
  serverChoice: false, // can choose (and switch) the server to talk to
  hostMode: false, // can run a server itself
  nativeNotifications: false, // the platform decides and shows notifications itself
  nativeImagePicker: false, // picking an image opens a native dialog
  persistentSettings: false, // preferences are kept by the platform (not localStorage)
  quit: false, // the app can be quit from inside
  externalLinks: false, // web links must be handed to the system browser
});

/** The Tauri desktop app. */
export const DESKTOP_CAPABILITIES = Object.freeze({
  serverChoice: true,
  hostMode: true,
  nativeNotifications: true,
  nativeImagePicker: true,
  persistentSettings: true,
  quit: true,
  externalLinks: true,
});

/** `http://Host:80/` → `http://host` — the form the desktop app keys servers by. */
export function normalizeServer(url) {
  if (!url) return '';
  try {
    const u = new URL(String(url).includes('://') ? String(url) : `http://${url}`);
    return `${u.protocol}//${u.host}`;
  } catch {
    return String(url).replace(/\/+$/, '');
  }
}

/** Whether two addresses name the same server. */
export function sameServer(a, b) {
  return normalizeServer(a) === normalizeServer(b);
}

/**
 * This client's preferences from the desktop app's settings (`get_settings().settings`):
 * `{language: 'auto'|'zh-CN'|'en', theme, notifyLevel, mutedRooms: {server: [ids]}}`.
 */
export function prefsFromDesktop(settings) {
  const s = settings ?? {};
  const language = s.language === 'zh-CN' || s.language === 'en' ? s.language : 'auto';
  const theme = s.theme === 'light' || s.theme === 'dark' ? s.theme : 'system';
  const level = s.notifications?.level;
  const notifyLevel = level === 'mentions' || level === 'none' ? level : 'all';
  const mutedRooms = {};
  for (const [server, rooms] of Object.entries(s.notifications?.muted_rooms ?? {})) {
    if (Array.isArray(rooms)) mutedRooms[normalizeServer(server)] = rooms.filter(Number.isInteger);
  }
  return { language, theme, notifyLevel, mutedRooms };
}

/**
 * The `update_settings` patch for a change of this client's preferences
 * (`{language?, theme?, notifyLevel?, mute?: {server, roomId, muted}}`); null when nothing in
 * it is kept by the desktop app.
 */
export function desktopPatch(change) {
  const patch = {};
  if ('language' in change) patch.language = change.language === 'zh-CN' || change.language === 'en' ? change.language : null;
  if ('theme' in change) patch.theme = change.theme === 'light' || change.theme === 'dark' ? change.theme : 'system';
  if ('notifyLevel' in change) patch.notify_level = change.notifyLevel;
  if (change.mute) patch.mute = { server: normalizeServer(change.mute.server), room_id: change.mute.roomId, muted: Boolean(change.mute.muted) };
  return Object.keys(patch).length ? patch : null;
}

/** Whether room `roomId` on `server` is in a `mutedRooms` map. */
export function isMuted(mutedRooms, server, roomId) {
  return (mutedRooms?.[normalizeServer(server)] ?? []).includes(roomId);
}

/** `mutedRooms` with room `roomId` on `server` muted or not (a new object; empty lists dropped). */
export function withMuted(mutedRooms, server, roomId, muted) {
  const key = normalizeServer(server);
  const rooms = (mutedRooms?.[key] ?? []).filter((id) => id !== roomId);
  if (muted) rooms.push(roomId);
  rooms.sort((a, b) => a - b);
  const next = { ...(mutedRooms ?? {}) };
  if (rooms.length) next[key] = rooms;
  else delete next[key];
  return next;
}

/**
 * What the desktop app's startup answer means for the client: `{stage, serverUrl, token}` where
 * stage is `welcome` (first run: choose how to start), `auth` (a server but no session) or
 * `chat` (resume the saved session).
 */
export function startupPlan(startup) {
  const mode = startup?.settings?.mode ?? null;
  const serverUrl = startup?.server_url ?? null;
  if (mode == null || !serverUrl) return { stage: 'welcome', serverUrl: null, token: null };
  const token = startup.session_token || null;
  return { stage: token ? 'chat' : 'auth', serverUrl, token };
}

/** The addresses colleagues can use to reach the built-in server (LAN only), without repeats. */
export function lanAddresses(host) {
  return [...new Set((host?.lan_urls ?? []).filter((u) => typeof u === 'string' && u))];
}

/** A port number from a field's text, or null if it is not 1–65535. */
export function parsePort(text) {
  const value = String(text ?? '').trim();
  if (!/^\d{1,5}$/.test(value)) return null;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : null;
}

/** A fingerprint as hex digits only, upper case: how two spellings of one compare equal. */
export function fingerprintHex(fp) {
  return String(fp ?? '').replace(/[^0-9a-f]/gi, '').toUpperCase();
}

/** A fingerprint in groups of four hex digits, eight groups a line (as the app shows it). */
export function readableFingerprint(fp) {
  const groups = fingerprintHex(fp).match(/.{1,4}/g) ?? [];
  const lines = [];
  for (let i = 0; i < groups.length; i += 8) lines.push(groups.slice(i, i + 8).join(' '));
  return lines.join('\n');
}

/**
 * The invite link for the built-in server at `url` (`https://host:port/`) with certificate
 * `fingerprint`: opened by a colleague's app, it pins that certificate without a question.
 */
export function inviteLink(url, fingerprint) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const hex = fingerprintHex(fingerprint);
  if (parsed.protocol !== 'https:' || hex.length !== 64) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const params = new URLSearchParams({ host, port: parsed.port || '443', fp: hex });
  return `confab://join?${params}`;
}

/**
 * An invite link's server and certificate: `{url: 'https://host:port', fingerprint}`, or null
 * for any other `confab:` link or a malformed one.
 */
export function parseJoinLink(link) {
  let parsed;
  try {
    parsed = new URL(link);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'confab:') return null;
  // `confab://join?…` parses with host "join"; `confab:join?…` with pathname "join".
  const what = (parsed.hostname || parsed.pathname).replace(/^\/+|\/+$/g, '');
  if (what !== 'join') return null;
  const host = parsed.searchParams.get('host') ?? '';
  const port = Number(parsed.searchParams.get('port') ?? '443');
  const fingerprint = fingerprintHex(parsed.searchParams.get('fp'));
  if (!host || /[\s/@?#]/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535 || fingerprint.length !== 64) return null;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return { url: `https://${bracketed}:${port}`, fingerprint };
}
