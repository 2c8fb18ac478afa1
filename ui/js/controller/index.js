// The session controller: turns socket events into state actions and people's intents (send,
// upload, edit, join, …) into network calls. Views call `actions.*`; only `net/` touches the
// network, and only through capabilities does anything here differ between platforms. Every
// state change is a `dispatch` to the reducer (state.js).
//
// One concern per module, all sharing one context object (`ctx`, below) created here:
// - lifecycle.js      signing in and out, the socket's status, what happens after `ready`
// - catch-up.js       history pages: the newest, older ones, and catching up after a reconnect
// - events.js         routing socket events to state actions
// - rooms.js          opening, joining and leaving rooms, members, edits, marking read, typing
// - outbox.js         messages written but not yet stored, sent when the socket can
// - uploads.js        files being uploaded, with progress, cancel and retry
// - notify.js         system notifications and the unread count
// - preferences.js    language, theme, notification settings, muted rooms
// - people.js         people, direct conversations, my status, mentions, message search
// - conversations.js  threads, reactions, quote-replies, pins, permalinks
// - desktop.js        the desktop app: first run, choosing a server, the built-in server
// - admin.js          setup and invite links, a temporary password's change, the
//                     Administration console, room settings, rooms updated or deleted

import * as api from '../net/index.js';
import { TypingNotifier } from '../typing.js';
import { createLifecycle } from './lifecycle.js';
import { createCatchUp } from './catch-up.js';
import { createEvents } from './events.js';
import { createRooms } from './rooms.js';
import { createOutbox } from './outbox.js';
import { createUploads } from './uploads.js';
import { createNotify } from './notify.js';
import { createPreferences } from './preferences.js';
import { createPeople } from './people.js';
import { createDesktop } from './desktop.js';
import { createConversations } from './conversations.js';
import { createAdmin } from './admin.js';

export function createController({ store, ui, env = globalThis }) {
  /**
   * What the controller's modules share. Each module adds its functions under its own name
   * (`ctx.rooms.openRoom`, …) and calls the others through `ctx` at call time, so the order
   * they are created in does not matter.
   */
  const ctx = {
    store,
    ui,
    env,
    dispatch: (action) => store.dispatch(action),
    state: () => store.state,
    isVisible: () => env.document?.visibilityState !== 'hidden',
    caps: api.capabilities(),
    /** The live socket (`api.openSocket`), null while signed out. */
    socket: null,
    /** Bumps on every login/logout, so late answers of an old session are ignored. */
    generation: 0,
    /** True while a reconnected client catches up; the outbox waits for it. */
    syncing: false,
    /** The desktop app's latest word on its settings and built-in server (null in a browser). */
    desktopState: null,
  };
  ctx.typing = new TypingNotifier({
    send: (event, roomId) => (ctx.socket ? ctx.socket.send(event, { room_id: roomId }) : false),
  });

  ctx.notify = createNotify(ctx);
  ctx.preferences = createPreferences(ctx);
  ctx.lifecycle = createLifecycle(ctx);
  ctx.catchUp = createCatchUp(ctx);
  ctx.events = createEvents(ctx);
  ctx.rooms = createRooms(ctx);
  ctx.outbox = createOutbox(ctx);
  ctx.uploads = createUploads(ctx);
  ctx.desktop = createDesktop(ctx);
  ctx.people = createPeople(ctx);
  ctx.conversations = createConversations(ctx);
  ctx.admin = createAdmin(ctx);

  function start() {
    const { preferences, rooms, typing, lifecycle } = ctx;
    preferences.applyPrefs();
    env.addEventListener?.('languagechange', () => preferences.onLanguageChange());
    env.document?.addEventListener?.('visibilitychange', () => {
      if (ctx.isVisible()) rooms.scheduleMarkRead();
      else typing.stop();
    });
    api.onSessionLost(() => {
      if (ctx.socket) lifecycle.endSession('auth.sessionEnded');
    });
    api.onPasswordChangeRequired(() => {
      if (ctx.socket) ctx.admin.requirePasswordChange();
    });
    if (ctx.caps.serverChoice) return ctx.desktop.startDesktop();
    lifecycle.resume();
    return Promise.resolve();
  }

  const actions = {
    ...ctx.lifecycle.actions,
    ...ctx.catchUp.actions,
    ...ctx.rooms.actions,
    ...ctx.outbox.actions,
    ...ctx.uploads.actions,
    ...ctx.preferences.actions,
    ...ctx.people.actions,
    ...ctx.conversations.actions,
    ...ctx.admin.actions,

    /** What this platform can do (views show features by it). */
    capabilities: () => ({ ...ctx.caps }),

    /** Hands a link to the system browser where the platform needs that; true if it did. */
    openExternal: (url) => api.openExternal(url),

    // --- The desktop app (capabilities serverChoice / hostMode) ---
    ...ctx.desktop.actions,
  };

  return { start, actions };
}
