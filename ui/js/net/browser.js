// A plain browser tab's platform services: the file input, Web Notifications, blob downloads.
// The only code that touches `Notification`.

import { BROWSER_CAPABILITIES } from '../platform-settings.js';

/** An `<input type=file>` dialog; resolves with the chosen files (empty if cancelled). */
export function chooseFiles({ accept = '', multiple = false } = {}) {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    if (accept) input.accept = accept;
    input.multiple = multiple;
    input.hidden = true;
    const done = (files) => {
      input.remove();
      resolve(files);
    };
    input.addEventListener('change', () => done([...(input.files ?? [])]), { once: true });
    input.addEventListener('cancel', () => done([]), { once: true });
    document.body.append(input);
    input.click();
  });
}

export function browserPlatform() {
  return {
    name: 'browser',
    capabilities: BROWSER_CAPABILITIES,
    /** Opens the file chooser; resolves with the chosen image, or null if cancelled. */
    async pickImage() {
      return (await chooseFiles({ accept: 'image/*' }))[0] ?? null;
    },
    pickFiles: () => chooseFiles({ multiple: true }),
    notificationPermission() {
      return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
    },
    async requestNotificationPermission() {
      if (typeof Notification === 'undefined') return 'unsupported';
      if (Notification.permission !== 'default') return Notification.permission;
      return Notification.requestPermission();
    },
    notify({ title, body, tag, onClick }) {
      if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
      try {
        const n = new Notification(title, { body, tag });
        n.onclick = () => {
          window.focus();
          n.close();
          onClick?.();
        };
      } catch {
        // Some browsers only allow notifications from a service worker; nothing to do.
      }
    },
    // The tab title already carries the unread count (the chat screen writes it).
    setUnreadCount() {},
    /** Hands `blob` to the browser as a download named `name`. */
    async saveFile(blob, name) {
      const objectUrl = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = objectUrl;
      link.download = name || 'download';
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      // The browser has taken the file by then; keep the URL a while for slow save dialogs.
      setTimeout(() => URL.revokeObjectURL(objectUrl), 60_000);
      return { path: null };
    },
    // Links open in a new tab by themselves (target=_blank).
    openExternal: () => false,
    // Preferences live in this browser's localStorage (prefs.js); nothing else keeps them.
    saveSettings: async () => null,
    rememberSession: null,
  };
}
