// Preferences: language, theme, notification settings, muted and favourite rooms, room order. Kept in this browser
// (prefs.js) and, in the desktop app, in the app's settings too.

import * as api from '../net/index.js';
import { detectLanguage, setLanguage, language, errorText } from '../i18n.js';
import { loadPrefs, savePrefs } from '../prefs.js';
import { desktopPatch, withMuted, normalizeServer } from '../platform-settings.js';

export function createPreferences(ctx) {
  const { env, ui, dispatch } = ctx;

  /** Applies the saved preferences: language, theme and this server's muted rooms. */
  function applyPrefs() {
    const prefs = loadPrefs();
    const lang = prefs.language === 'auto' ? detectLanguage(env.navigator?.languages ?? [env.navigator?.language]) : prefs.language;
    setLanguage(lang);
    const root = env.document?.documentElement;
    if (root) {
      root.lang = language();
      if (prefs.theme === 'light' || prefs.theme === 'dark') root.dataset.theme = prefs.theme;
      else delete root.dataset.theme;
    }
    dispatch({ type: 'muted/set', rooms: api.hasServer() ? prefs.mutedRooms?.[api.serverUrl()] ?? [] : [] });
    dispatch({ type: 'sidebar/prefs', favourites: api.hasServer() ? prefs.favouriteRooms?.[normalizeServer(api.serverUrl())] ?? [] : [], sort: prefs.roomSort });
    return prefs;
  }

  /** The system's language changed: follow it unless a language was chosen. */
  function onLanguageChange() {
    if (loadPrefs().language === 'auto') applyPrefs();
  }

  /** Saves a preference here and, in the desktop app, in the app's settings. */
  function savePreference(change) {
    const patch = desktopPatch(change);
    api.savePlatformSettings(patch).then(
      (startup) => {
        if (startup) ctx.desktopState = startup;
      },
      (error) => ui.toast(errorText(error), { kind: 'error' }),
    );
  }

  const actions = {
    setLanguage(code) {
      savePrefs({ language: code });
      applyPrefs();
      savePreference({ language: code });
    },

    setTheme(theme) {
      savePrefs({ theme });
      applyPrefs();
      savePreference({ theme });
    },

    /** Turns notifications on (asking the platform for permission first) or off. */
    async setNotifications(enabled) {
      if (!enabled) {
        savePrefs({ notifications: false });
        return 'off';
      }
      const permission = await api.requestNotificationPermission();
      savePrefs({ notifications: permission === 'granted' });
      return permission;
    },

    /** Which messages notify: `all`, `mentions` (of @me) or `none`. */
    setNotifyLevel(level) {
      savePrefs({ notifyLevel: level });
      savePreference({ notifyLevel: level });
    },

    notifyLevel: () => loadPrefs().notifyLevel,

    /** Mutes (or unmutes) notifications of room `roomId` on this server. */
    setMuted(roomId, muted) {
      const server = api.serverUrl();
      const mutedRooms = withMuted(loadPrefs().mutedRooms, server, roomId, muted);
      savePrefs({ mutedRooms });
      dispatch({ type: 'muted/set', rooms: mutedRooms[normalizeServer(server)] ?? [] });
      savePreference({ mute: { server, roomId, muted } });
    },

    notificationPermission: () => api.notificationPermission(),

    /** Pins room `roomId` among the favourites at the top of the room list (this server). */
    setFavourite(roomId, favourite) {
      const server = normalizeServer(api.serverUrl());
      const all = { ...(loadPrefs().favouriteRooms ?? {}) };
      const rooms = (all[server] ?? []).filter((id) => id !== roomId);
      if (favourite) rooms.push(roomId);
      all[server] = rooms;
      const prefs = savePrefs({ favouriteRooms: all });
      dispatch({ type: 'sidebar/prefs', favourites: rooms, sort: prefs.roomSort });
    },

    /** Orders the room list by `name` or by latest `activity`. */
    setRoomSort(sort) {
      const prefs = savePrefs({ roomSort: sort === 'activity' ? 'activity' : 'name' });
      dispatch({ type: 'sidebar/prefs', favourites: prefs.favouriteRooms?.[normalizeServer(api.serverUrl())] ?? [], sort: prefs.roomSort });
    },
  };

  return { applyPrefs, onLanguageChange, actions };
}
