// The network layer: the only code that touches `fetch`, `XMLHttpRequest`, `WebSocket`,
// `Notification` and (in the desktop app) Tauri's `invoke`. main.js and the controller import it as
// one namespace (`import * as api from './net/index.js'`); views never import it.
//
// - platform.js  which server, which platform (browser.js / desktop.js) and its services
// - session.js   the token and the outbox kept beside it
// - rest.js      REST calls and `serverInfo()`; files.js: uploads with progress, downloads
// - socket.js    the self-healing WebSocket

export { ApiError } from './errors.js';
export {
  configure, platformName, capabilities, serverUrl, hasServer, apiUrl, socketUrl,
  pickImage, pickFiles, notify, notificationPermission, requestNotificationPermission,
  setUnreadCount, saveFile, openExternal, savePlatformSettings,
} from './platform.js';
export { desktop, onTrustProblem } from './desktop.js';
export {
  saveSession, loadSession, clearSession, currentToken, sessionRemembered,
  saveOutbox, loadOutbox, rememberUser, lastUser, onSessionLost, onPasswordChangeRequired,
} from './session.js';
export { auth, rooms, messages, users, dms, mentions, threads, search, admin, serverInfo } from './rest.js';
export { uploadFile, fetchFile, downloadFile, releaseFile } from './files.js';
export { PING_INTERVAL_MS, PONG_TIMEOUT_MS, READY_TIMEOUT_MS, backoffDelay, openSocket } from './socket.js';
