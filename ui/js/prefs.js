// This device's preferences (language, theme, notifications and their level, muted rooms, last
// room, recent emoji), kept in localStorage; in the desktop app a copy of the app's settings.
// Nothing secret lives here; the session token is the network module's business.

const KEY = 'confab.prefs';
const defaults = { language: 'auto', theme: 'system', notifications: false, notifyLevel: 'all', mutedRooms: {}, favouriteRooms: {}, roomSort: 'name', lastRoom: {}, recentEmoji: [] };

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (privacy mode, sandboxed frame)
  }
}

/** The saved preferences merged over the defaults. */
export function loadPrefs() {
  try {
    const saved = JSON.parse(storage()?.getItem(KEY) ?? 'null');
    return { ...defaults, ...(saved && typeof saved === 'object' ? saved : {}) };
  } catch {
    return { ...defaults };
  }
}

/** Saves `patch` over the current preferences and returns the result. */
export function savePrefs(patch) {
  const next = { ...loadPrefs(), ...patch };
  try {
    storage()?.setItem(KEY, JSON.stringify(next));
  } catch {
    // Full or disabled storage: preferences then last for this page only.
  }
  return next;
}

/** Remembers `char` as the most recently used emoji (at most 24 kept). */
export function rememberEmoji(char) {
  const recent = [char, ...loadPrefs().recentEmoji.filter((c) => c !== char)].slice(0, 24);
  savePrefs({ recentEmoji: recent });
  return recent;
}
