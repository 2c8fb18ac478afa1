// What reaches the person outside the page: system notifications of new messages (decided
// here in a browser, by the app on the desktop) and the unread count on the window or dock.

import * as api from '../net/index.js';
import { language, t } from '../i18n.js';
import { loadPrefs } from '../prefs.js';
import { shouldNotify, isFromOthers, desktopReport } from '../notifications.js';
import { roomTitle } from '../state.js';
import { plainText } from '../markdown.js';

export function createNotify(ctx) {
  const { store, state, caps } = ctx;

  // The window title / dock shows how many messages wait unread across rooms.
  let lastUnread = -1;
  store.subscribe((s) => {
    const unread = Object.values(s.rooms).reduce((sum, r) => sum + (r.is_member ? r.unread_count ?? 0 : 0), 0);
    if (unread !== lastUnread) {
      lastUnread = unread;
      api.setUnreadCount(unread);
    }
  });

  /** What a notification says about `message`: its text without Markdown marks, or what was sent. */
  function notificationBody(message) {
    const caption = plainText(message.content).slice(0, 200);
    if (message.message_type === 'image') return caption ? `${t('notify.image')} ${caption}` : t('notify.image');
    if (message.message_type === 'file') return `${t('notify.file')} ${message.attachment?.file_name ?? caption}`;
    return caption;
  }

  /** Notifies of a new `message` if the platform, the preferences and the room say so. */
  function maybeNotify(message, visible) {
    const s = state();
    const room = s.rooms[message.room_id];
    if (caps.nativeNotifications) {
      // The app decides (its settings, mutes, whether its window has focus) and coalesces;
      // whether it mentions me, and do not disturb, are decided here as for the browser.
      const report = desktopReport(message, { me: s.me, isMember: Boolean(room?.is_member), direct: room?.kind === 'direct' });
      if (!report) return;
      api.notify({
        message: {
          server: api.serverUrl(),
          room_id: room.id,
          room_name: roomTitle(room),
          sender: message.username ?? '',
          // The app shows it as one line: the text without Markdown marks.
          content: plainText(message.content),
          message_type: message.message_type,
          file_name: message.attachment?.file_name ?? null,
          my_username: s.me?.username ?? '',
          mentions_me: report.mentions_me,
          direct: report.direct,
          active_room: visible ? s.currentRoomId ?? null : null,
          lang: language(),
        },
      });
      return;
    }
    // Do not disturb silences every notification, on every platform.
    if (!room?.is_member || !isFromOthers(message, s.me) || s.me?.status === 'dnd') return;
    const prefs = loadPrefs();
    const wanted = shouldNotify(
      message,
      { enabled: prefs.notifications, level: prefs.notifyLevel, muted: Boolean(s.muted[room.id]) },
      { me: s.me, isMember: true, visible, currentRoomId: s.currentRoomId, direct: room.kind === 'direct' },
    );
    if (!wanted) return;
    api.notify({
      title: room.kind === 'direct' ? message.username : t('notify.title', { user: message.username, room: roomTitle(room) }),
      body: notificationBody(message),
      tag: `confab-room-${room.id}`,
      onClick: () => ctx.rooms.openRoom(room.id),
    });
  }

  return { maybeNotify };
}
