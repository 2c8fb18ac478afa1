// The network module: the only code that touches `fetch`, `XMLHttpRequest`, `WebSocket`,
// `Notification` and (in the desktop app) Tauri's `invoke`. Everything else asks this module.
//
// - `configure({baseUrl, platform})` is the seam for the desktop shell: an empty base URL means
//   "same origin as this page" (the browser); the desktop app sets the server it chose. The
//   platform (browser or desktop) is detected here (`window.__TAURI__`); views never learn its
//   name, only its `capabilities()`.
// - REST calls return the parsed JSON or throw `ApiError` ({status, code, message, field,
//   retryAfter}); code `network` means the server could not be reached.
// - `uploadFile()` sends a file with progress; `fetchFile()` downloads one with the token (an
//   <img> cannot send the Authorization header).
// - `openSocket()` keeps one authenticated WebSocket alive: it reconnects with exponential
//   backoff and jitter, pings every 25 s, notices a dead link, and reports its status.
// - Tokens are kept in localStorage ("remember me") or sessionStorage, never in a URL; in the
//   desktop app remembered tokens live in the app's settings instead of localStorage.

import { BROWSER_CAPABILITIES, DESKTOP_CAPABILITIES, normalizeServer } from './platform-settings.js';

/** Seconds between pings; the server closes sockets that stay silent for 60 s. */
export const PING_INTERVAL_MS = 25_000;
/** A socket that answers nothing (not even the pong) for this long after a ping is dead. */
export const PONG_TIMEOUT_MS = 10_000;
/** How long the server may take to answer `auth` with `ready`. */
export const READY_TIMEOUT_MS = 15_000;

/** An error from the server (`{error: {code, message, field?, retry_after?}}`) or the network. */
export class ApiError extends Error {
  constructor(status, { code = 'unknown', message = '', field = null, retry_after = null } = {}) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retry_after;
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration and platform

let baseUrl = '';
let platform = defaultPlatform();

/**
 * Points the client at a server and/or swaps platform services. `baseUrl` like
 * `http://10.0.0.5:8080` (empty: same origin). `platform` may override any service of the
 * detected platform (`pickImage`, `notify`, `setUnreadCount`, `openExternal`, …).
 */
export function configure({ baseUrl: url, platform: overrides } = {}) {
  if (url !== undefined) baseUrl = String(url || '').replace(/\/+$/, '');
  if (overrides) platform = { ...defaultPlatform(), ...overrides };
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

/** Tauri's global API when this page runs inside the desktop app. */
function tauri() {
  const api = globalThis.__TAURI__;
  return typeof api?.core?.invoke === 'function' ? api : null;
}

function defaultPlatform() {
  return tauri() ? desktopPlatform() : browserPlatform();
}

/** An `<input type=file>` dialog; resolves with the chosen files (empty if cancelled). */
function chooseFiles({ accept = '', multiple = false } = {}) {
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

function browserPlatform() {
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

// ---------------------------------------------------------------------------------------------
// The desktop app (Tauri)

/** Turns a rejected `invoke` (`{code, message}`, or a bare string) into an ApiError. */
function desktopError(error) {
  if (error instanceof ApiError) return error;
  if (error && typeof error === 'object' && typeof error.code === 'string') return new ApiError(0, { code: error.code, message: error.message ?? '' });
  return new ApiError(0, { code: 'desktop', message: String(error?.message ?? error ?? 'desktop error') });
}

async function invoke(command, args, options) {
  const api = tauri();
  if (!api) throw new ApiError(0, { code: 'desktop', message: 'not running in the desktop app' });
  try {
    return await api.core.invoke(command, args, options);
  } catch (error) {
    throw desktopError(error);
  }
}

/** Session tokens the desktop app handed over at start, per server. */
const desktopTokens = new Map();

function rememberStartup(startup) {
  if (startup?.server_url) desktopTokens.set(normalizeServer(startup.server_url), startup.session_token || null);
  return startup;
}

function desktopPlatform() {
  return {
    name: 'desktop',
    capabilities: DESKTOP_CAPABILITIES,
    /** The native dialog; the app checks the file and hands over its bytes. */
    async pickImage({ maxBytes } = {}) {
      const info = await invoke('pick_image', { maxBytes: maxBytes || null });
      if (!info) return null;
      const bytes = await invoke('take_picked_image', { id: info.id });
      const data = bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes) ? bytes : new Uint8Array(bytes ?? []);
      return new File([data], info.name || 'image', { type: info.content_type || 'application/octet-stream' });
    },
    pickFiles: () => chooseFiles({ multiple: true }),
    // The operating system asks, if it asks at all; the app's settings decide.
    notificationPermission: () => 'granted',
    requestNotificationPermission: async () => 'granted',
    /** Reports a new message; the app decides (preferences, mutes, focus) and coalesces. */
    notify({ message }) {
      if (message) invoke('notify', { message }).catch(() => {});
    },
    setUnreadCount(count) {
      invoke('set_unread_count', { count: Math.max(0, Math.min(9999, Math.floor(count) || 0)) }).catch(() => {});
    },
    /**
     * The webview cannot save blob downloads itself: the app writes the bytes into the Downloads
     * folder (given a name, never a path) and says where.
     */
    async saveFile(blob, name) {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const path = await invoke('save_download', bytes, { headers: { 'x-file-name': encodeURIComponent(name) } });
      return { path };
    },
    /** Web and mail links open in the person's browser / mail program, never in the app. */
    openExternal(url) {
      invoke('plugin:opener|open_url', { url }).catch(() => {});
      return true;
    },
    saveSettings: (patch) => invoke('update_settings', { patch }).then(rememberStartup),
    /** Keeps (`token`) or forgets (null) the session for `server` in the app's settings. */
    rememberSession(server, token) {
      const call = token ? invoke('remember_session', { server, token }) : invoke('forget_session', { server });
      call.catch(() => {});
      if (token) desktopTokens.set(normalizeServer(server), token);
      else desktopTokens.delete(normalizeServer(server));
    },
  };
}

/**
 * The desktop app's own commands (only with `capabilities().serverChoice`). Each returns a
 * promise; failures reject with an ApiError whose code is the app's (`port_in_use`, …).
 */
export const desktop = {
  /** `{settings, server_url, session_token, host, notice, version}`. */
  startup: () => invoke('get_settings').then(rememberStartup),
  updateSettings: (patch) => invoke('update_settings', { patch }).then(rememberStartup),
  /** `{url, version}`: the normalized address of a Confab server that answered. */
  checkServer: (url) => invoke('check_server', { url }),
  hostStart: () => invoke('host_start'),
  hostStop: () => invoke('host_stop'),
  hostStatus: () => invoke('host_status'),
  quit: () => invoke('quit'),
  /** `confab://` links the app was opened with before this page listened for `confab-link`. */
  takeLinks: () => invoke('take_links'),
  /** `'on'`, `'off'` or `'unavailable'`: whether the OS was asked not to sleep while hosting. */
  keepAwakeStatus: () => invoke('keep_awake_status'),
  /** Calls `handler(payload)` for each app event `name`; resolves with an unlisten function. */
  async listen(name, handler) {
    const api = tauri();
    if (!api?.event?.listen) return () => {};
    return api.event.listen(name, (event) => handler(event?.payload ?? null));
  },
};

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

// ---------------------------------------------------------------------------------------------
// Session storage

const TOKEN_KEY = 'confab.session';

function storages() {
  const get = (name) => {
    try {
      return globalThis[name] ?? null;
    } catch {
      return null;
    }
  };
  return { local: get('localStorage'), session: get('sessionStorage') };
}

/** Storage key per server, so the desktop app can hold sessions on several servers. */
function sessionKey(suffix = '') {
  return `${TOKEN_KEY}:${baseUrl || 'same-origin'}${suffix}`;
}

let token = null;

/**
 * Keeps `newToken` in localStorage when `remember`, otherwise in sessionStorage. In the desktop
 * app a remembered token goes to the app's settings instead (so a restart keeps the session)
 * and this window's sessionStorage keeps it across reloads either way.
 */
export function saveSession(newToken, remember) {
  token = newToken;
  const { local, session } = storages();
  try {
    if (platform.rememberSession) {
      local?.removeItem(sessionKey());
      session?.setItem(sessionKey(), newToken);
    } else {
      (remember ? session : local)?.removeItem(sessionKey());
      (remember ? local : session)?.setItem(sessionKey(), newToken);
    }
  } catch {
    // Storage unavailable: the session lasts as long as this page.
  }
  platform.rememberSession?.(serverUrl(), remember ? newToken : null);
}

/** The saved token, if any (sessionStorage first: this tab's choice wins). */
export function loadSession() {
  const { local, session } = storages();
  try {
    token = session?.getItem(sessionKey()) || (platform.rememberSession ? null : local?.getItem(sessionKey())) || null;
  } catch {
    token = null;
  }
  if (!token && platform.rememberSession) token = desktopTokens.get(serverUrl()) || null;
  return token;
}

/** Forgets the token everywhere. */
export function clearSession() {
  const had = token;
  token = null;
  const { local, session } = storages();
  try {
    local?.removeItem(sessionKey());
    session?.removeItem(sessionKey());
    local?.removeItem(sessionKey(':outbox'));
    session?.removeItem(sessionKey(':outbox'));
  } catch {
    // nothing stored
  }
  if (platform.rememberSession && (had || desktopTokens.get(serverUrl()))) platform.rememberSession(serverUrl(), null);
}

/** The token in use (for moving a session to the same server under a new address). */
export function currentToken() {
  return token;
}

/** Whether the current session is kept across restarts ("remember me"). */
export function sessionRemembered() {
  if (!token) return false;
  if (platform.rememberSession) return desktopTokens.get(serverUrl()) === token;
  try {
    return storages().local?.getItem(sessionKey()) === token;
  } catch {
    return false;
  }
}

function sessionStore() {
  const { local, session } = storages();
  try {
    return local?.getItem(sessionKey()) === token ? local : session;
  } catch {
    return null;
  }
}

/** Keeps the outbox (JSON) next to the token, so unsent messages survive a reload. */
export function saveOutbox(json) {
  try {
    sessionStore()?.setItem(sessionKey(':outbox'), json);
  } catch {
    // best effort
  }
}

export function loadOutbox() {
  try {
    return sessionStore()?.getItem(sessionKey(':outbox')) ?? null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// REST

/** The address of REST path `path` (relative to this page when no server is configured). */
export function apiUrl(path) {
  return `${baseUrl}${path}`;
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, { code: 'network', message: e?.message || 'network error' });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw responseError(response.status, data, response.headers.get('retry-after'));
  return data;
}

let sessionLost = null;

/** Called when the server says the token no longer works (401 on a REST call). */
export function onSessionLost(callback) {
  sessionLost = callback;
}

const enc = encodeURIComponent;

export const auth = {
  register: (username, password, email) =>
    request('POST', '/api/auth/register', email ? { username, password, email } : { username, password }),
  login: (username, password, remember) => request('POST', '/api/auth/login', { username, password, remember: Boolean(remember) }),
  logout: () => request('POST', '/api/auth/logout'),
  me: () => request('GET', '/api/auth/me'),
  updateProfile: (changes) => request('PUT', '/api/auth/profile', changes),
  changePassword: (currentPassword, newPassword) =>
    request('PUT', '/api/auth/change-password', { current_password: currentPassword, new_password: newPassword }),
};

function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v != null)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export const rooms = {
  list: () => request('GET', '/api/rooms'),
  create: ({ name, description, isPrivate }) =>
    request('POST', '/api/rooms', { name, description: description || undefined, is_private: Boolean(isPrivate) }),
  get: (id) => request('GET', `/api/rooms/${enc(id)}`),
  join: (id) => request('POST', `/api/rooms/${enc(id)}/join`),
  leave: (id) => request('POST', `/api/rooms/${enc(id)}/leave`),
  members: (id) => request('GET', `/api/rooms/${enc(id)}/members`),
  addMember: (id, username) => request('POST', `/api/rooms/${enc(id)}/members`, { username }),
  removeMember: (id, userId) => request('DELETE', `/api/rooms/${enc(id)}/members/${enc(userId)}`),
  markRead: (id, messageId) => request('POST', `/api/rooms/${enc(id)}/read`, { message_id: messageId }),
  /** A page of history: `{before}` for older, `{after}` for newer, neither for the newest. */
  /** A page of history (`before`/`after` ids), or what was edited or deleted since `changedAfter`. */
  messages: (id, { before, after, changedAfter, limit } = {}) =>
    request('GET', `/api/rooms/${enc(id)}/messages${query({ before, after, changed_after: changedAfter, limit })}`),
  send: (id, { content, messageType, clientMsgId }) =>
    request('POST', `/api/rooms/${enc(id)}/messages`, { content, message_type: messageType, client_msg_id: clientMsgId }),
};

export const messages = {
  edit: (id, content) => request('PUT', `/api/messages/${enc(id)}`, { content }),
  remove: (id) => request('DELETE', `/api/messages/${enc(id)}`),
};

export const users = {
  online: () => request('GET', '/api/users/online'),
};

const infoCache = new Map();

/**
 * What the server says about itself: `{version, retention_days, max_upload_bytes}` (no sign-in
 * needed; asked once per server and page).
 */
export function serverInfo() {
  const key = serverUrl();
  let answer = infoCache.get(key);
  if (!answer) {
    answer = request('GET', '/api/info');
    infoCache.set(key, answer);
    answer.catch(() => infoCache.delete(key));
  }
  return answer;
}

/** An error body of a failed response, as an ApiError (and the session-lost hook on 401). */
function responseError(status, data, retryAfter = null) {
  const error = data?.error ?? { code: status === 401 ? 'unauthorized' : status === 413 ? 'payload_too_large' : `http_${status}` };
  if (error.retry_after == null && retryAfter) error.retry_after = Number(retryAfter);
  if (status === 401 && error.code === 'unauthorized') sessionLost?.();
  return new ApiError(status, error);
}

/**
 * Uploads `file` (a File or Blob) to room `roomId`, with an optional caption and client message
 * id (reuse it on retry: the server stores the upload once). `onProgress(fraction)` follows the
 * request body; `signal` (an AbortSignal) cancels, rejecting with code `aborted`. Resolves with
 * `{message, created}` (`created` false when the server already had this client_msg_id).
 */
export function uploadFile(roomId, file, { caption = '', clientMsgId = null, onProgress = null, signal = null } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ApiError(0, { code: 'aborted', message: 'upload cancelled' }));
      return;
    }
    const form = new FormData();
    if (caption) form.append('caption', caption);
    if (clientMsgId) form.append('client_msg_id', clientMsgId);
    form.append('file', file, file.name || 'file');
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const finish = () => signal?.removeEventListener('abort', onAbort);
    xhr.open('POST', apiUrl(`/api/rooms/${enc(roomId)}/uploads`));
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    if (onProgress && xhr.upload) {
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      });
    }
    xhr.addEventListener('load', () => {
      finish();
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data?.message) {
        onProgress?.(1);
        resolve({ message: data.message, created: xhr.status === 201 });
      } else {
        reject(responseError(xhr.status, data, xhr.getResponseHeader('retry-after')));
      }
    });
    xhr.addEventListener('error', () => {
      finish();
      reject(new ApiError(0, { code: 'network', message: 'network error' }));
    });
    xhr.addEventListener('timeout', () => {
      finish();
      reject(new ApiError(0, { code: 'timeout', message: 'upload timed out' }));
    });
    xhr.addEventListener('abort', () => {
      finish();
      reject(new ApiError(0, { code: 'aborted', message: 'upload cancelled' }));
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(form);
  });
}

/**
 * Downloads an attachment (`url` as the server gave it, e.g. `/api/files/…`) with the session
 * token; resolves with a Blob. `signal` cancels (code `aborted`).
 */
export async function fetchFile(url, { signal = null } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const target = /^https?:/i.test(url) ? url : apiUrl(url);
  let response;
  try {
    response = await fetch(target, { headers, signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e?.name === 'AbortError') throw new ApiError(0, { code: 'aborted', message: 'download cancelled' });
    throw new ApiError(0, { code: 'network', message: e?.message || 'network error' });
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    throw responseError(response.status, data);
  }
  try {
    return await response.blob();
  } catch (e) {
    if (e?.name === 'AbortError') throw new ApiError(0, { code: 'aborted', message: 'download cancelled' });
    throw new ApiError(0, { code: 'network', message: e?.message || 'network error' });
  }
}

// ---------------------------------------------------------------------------------------------
// WebSocket

/**
 * The wait before reconnect attempt `attempt` (1, 2, …): 0.5 s doubling up to 30 s, with
 * "equal jitter" (between half and all of it) so clients do not return in lockstep.
 */
export function backoffDelay(attempt, { baseMs = 500, capMs = 30_000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The WebSocket address: the configured server's, or this page's origin's. */
export function socketUrl() {
  const origin = new URL(baseUrl || globalThis.location.href);
  const scheme = origin.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${origin.host}/ws`;
}

/**
 * Opens the real-time connection and keeps it open until `close()`.
 *
 * - `onEvent(event, data, ref)` receives every server frame (after `ready` too).
 * - `onStatus({status, attempt, retryAt, reconnected})` reports `connecting`, `online` (after
 *   `ready`; `reconnected` is true after a drop), `reconnecting` (with the time of the next
 *   attempt) and finally `unauthorized` (close code 4401: the session is gone, no retry).
 *
 * Returns `{send(event, data, ref) → bool, isOnline(), reconnectNow(), close()}`; `send` only
 * succeeds on an authenticated, open socket.
 */
export function openSocket({ onEvent, onStatus }) {
  let ws = null;
  let ready = false;
  let everReady = false;
  let stopped = false;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let deadTimer = null;
  let readyTimer = null;

  const clearTimers = () => {
    clearInterval(pingTimer);
    clearTimeout(deadTimer);
    clearTimeout(readyTimer);
    pingTimer = deadTimer = readyTimer = null;
  };

  const connect = () => {
    retryTimer = null;
    if (stopped) return;
    ready = false;
    onStatus({ status: everReady || attempt > 0 ? 'reconnecting' : 'connecting', attempt, retryAt: null });
    let socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    ws = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ event: 'auth', data: { token }, ref: 'auth' }));
      readyTimer = setTimeout(() => socket.close(4000, 'no ready'), READY_TIMEOUT_MS);
    };
    socket.onmessage = (message) => {
      if (socket !== ws) return;
      clearTimeout(deadTimer);
      deadTimer = null;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!frame || typeof frame.event !== 'string') return;
      if (frame.event === 'ready') {
        clearTimeout(readyTimer);
        ready = true;
        const reconnected = everReady;
        everReady = true;
        attempt = 0;
        pingTimer = setInterval(ping, PING_INTERVAL_MS);
        // The room list and account come first, then the status (which triggers catch-up).
        onEvent(frame.event, frame.data ?? {}, frame.ref ?? null);
        onStatus({ status: 'online', attempt: 0, retryAt: null, reconnected });
        return;
      }
      onEvent(frame.event, frame.data ?? {}, frame.ref ?? null);
    };
    socket.onclose = (close) => {
      if (socket !== ws) return;
      ws = null;
      ready = false;
      clearTimers();
      if (stopped) return;
      if (close.code === 4401) {
        stopped = true;
        onStatus({ status: 'unauthorized', attempt: 0, retryAt: null });
        return;
      }
      scheduleReconnect();
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
  };

  const ping = () => {
    if (!ready || !ws) return;
    ws.send(JSON.stringify({ event: 'ping', data: {} }));
    if (deadTimer === null) {
      const socket = ws;
      deadTimer = setTimeout(() => {
        // Nothing came back: the link is dead even if the browser has not noticed.
        if (socket === ws) {
          ws = null;
          ready = false;
          clearTimers();
          try {
            socket.close(4000, 'no pong');
          } catch {
            // already closing
          }
          scheduleReconnect();
        }
      }, PONG_TIMEOUT_MS);
    }
  };

  const scheduleReconnect = () => {
    if (stopped || retryTimer !== null) return;
    attempt += 1;
    const delay = backoffDelay(attempt);
    onStatus({ status: 'reconnecting', attempt, retryAt: Date.now() + delay });
    retryTimer = setTimeout(connect, delay);
  };

  const reconnectNow = () => {
    if (stopped || ws) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    connect();
  };

  const onOnline = () => reconnectNow();
  const onVisible = () => {
    if (globalThis.document?.visibilityState === 'visible') reconnectNow();
  };
  globalThis.addEventListener?.('online', onOnline);
  globalThis.document?.addEventListener?.('visibilitychange', onVisible);

  connect();

  return {
    send(event, data, ref) {
      if (!ready || !ws || ws.readyState !== WebSocket.OPEN) return false;
      const frame = { event, data };
      if (ref) frame.ref = ref;
      ws.send(JSON.stringify(frame));
      return true;
    },
    isOnline: () => ready,
    reconnectNow,
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimers();
      globalThis.removeEventListener?.('online', onOnline);
      globalThis.document?.removeEventListener?.('visibilitychange', onVisible);
      const socket = ws;
      ws = null;
      socket?.close(1000, 'bye');
    },
  };
}
