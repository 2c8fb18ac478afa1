// Which server this client talks to and which platform it runs on. `configure({baseUrl,
// platform})` is the seam for the desktop shell: an empty base URL means "same origin as this
// page" (the browser); the desktop app sets the server it chose. The platform (browser or
// desktop) is detected here (`window.__TAURI__`); views never learn its name, only its
// `capabilities()`. The platform's services (pickers, notifications, downloads) are reached
// through the functions below.

import { normalizeServer } from '../platform-settings.js';
import { browserPlatform } from './browser.js';
import { desktopPlatform, tauri } from './desktop.js';

let baseUrl = '';
let platform = defaultPlatform();

function defaultPlatform() {
  return tauri() ? desktopPlatform() : browserPlatform();
}

/**
 * Points the client at a server and/or swaps platform services. `baseUrl` like
 * `http://10.0.0.5:8080` (empty: same origin). `platform` may override any service of the
 * detected platform (`pickImage`, `notify`, `setUnreadCount`, `openExternal`, …).
 */
export function configure({ baseUrl: url, platform: overrides } = {}) {
  if (url !== undefined) baseUrl = String(url || '').replace(/\/+$/, '');
  if (overrides) platform = { ...defaultPlatform(), ...overrides };
}

/** The configured base URL as given (empty: this page's origin). */
export function configuredBase() {
  return baseUrl;
}

/** The platform in use, for the other network modules (sessions ask whether it keeps tokens). */
export function currentPlatform() {
  return platform;
}

/** Which platform services are in use (for diagnostics only: views must not branch on it). */
export function platformName() {
  return platform.name;
}

/** What this platform can do (see platform-settings.js); views show features by these. */
export function capabilities() {
  return { ...platform.capabilities };
}

/** The server this client talks to, as an origin (`http://host:port`). */
export function serverUrl() {
  return normalizeServer(baseUrl || globalThis.location?.origin || '');
}

/** Whether a server has been chosen (always in a browser; after the first-run choice on the desktop). */
export function hasServer() {
  return Boolean(baseUrl) || !platform.capabilities.serverChoice;
}

/**
 * The address of REST path `path` (relative to this page when no server is configured). Inside
 * the desktop app an `https` server is reached through the app's pinned transport instead of
 * the webview's own TLS (which cannot pin a certificate); the platform says how.
 */
export function apiUrl(path) {
  const pinned = baseUrl && platform.pinnedBase?.(baseUrl);
  return `${pinned || baseUrl}${path}`;
}

/** Whether requests go through the desktop app's pinned transport (an https server in the app). */
export function throughApp() {
  return Boolean(baseUrl && platform.pinnedBase?.(baseUrl));
}

/** Opens a WebSocket to `url`: the platform's (the app's pinned one for wss://) or the browser's. */
export function createSocket(url) {
  return platform.createSocket ? platform.createSocket(url) : new WebSocket(url);
}

/** The WebSocket address: the configured server's, or this page's origin's. */
export function socketUrl() {
  const origin = new URL(baseUrl || globalThis.location.href);
  const scheme = origin.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${origin.host}/ws`;
}

/** Opens the platform's image picker (file input in a browser, native dialog on the desktop). */
export function pickImage(options = {}) {
  return platform.pickImage(options);
}

/** Opens a file chooser for any files; resolves with an array (empty when cancelled). */
export function pickFiles() {
  return platform.pickFiles();
}

/**
 * Shows a system notification, if the platform and the person allow it: `{title, body, tag,
 * onClick}` for the browser, `message` (the fields the desktop app's `notify` takes) for the app.
 */
export function notify(notification) {
  platform.notify(notification);
}

export function notificationPermission() {
  return platform.notificationPermission();
}

export function requestNotificationPermission() {
  return platform.requestNotificationPermission();
}

/** The number of unread messages across rooms, for the window title / dock. */
export function setUnreadCount(count) {
  platform.setUnreadCount(count);
}

/**
 * Saves a downloaded file where the platform saves downloads; resolves with `{path}` (null when
 * the browser decides where it goes).
 */
export function saveFile(blob, name) {
  return platform.saveFile(blob, name);
}

/** Hands `url` to the system browser if the platform needs that; true when it did. */
export function openExternal(url) {
  return platform.openExternal(url);
}

/** Saves a change of preferences where the platform keeps them (the desktop app's settings). */
export function savePlatformSettings(patch) {
  return patch ? platform.saveSettings(patch) : Promise.resolve(null);
}
