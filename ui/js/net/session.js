// The session token and what is kept beside it. Tokens are kept in localStorage ("remember
// me") or sessionStorage, never in a URL; in the desktop app remembered tokens live in the app's
// settings instead of localStorage. The outbox (messages written but not yet stored) is kept per
// server and account in IndexedDB — in a browser and in the desktop app's webview alike — so it
// survives closing the tab or the app; localStorage when IndexedDB is unavailable.

import { configuredBase, currentPlatform, serverUrl } from './platform.js';
import { desktopToken } from './desktop.js';

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
  return `${TOKEN_KEY}:${configuredBase() || 'same-origin'}${suffix}`;
}

// Device tokens: the server gives one on every sign-in, signed for that username. Sending it back
// with later logins lets this browser in even while someone else's guessing has slowed that
// account down (docs/protocol.md, "Login throttling"). Kept per server and username.
const DEVICE_KEY = 'confab.device';

function deviceKey(username) {
  return `${DEVICE_KEY}:${configuredBase() || 'same-origin'}:${String(username).trim().toLowerCase()}`;
}

/** The device token this browser holds for `username` on the configured server, if any. */
export function loadDeviceToken(username) {
  try {
    return storages().local?.getItem(deviceKey(username)) || null;
  } catch {
    return null;
  }
}

/** Keeps the device token of a sign-in answer; returns the answer. */
export function keepDeviceToken(username, answer) {
  try {
    if (answer?.device_token) storages().local?.setItem(deviceKey(username), answer.device_token);
  } catch {
    // Storage unavailable: this browser is treated as a new device next time.
  }
  return answer;
}

let token = null;

/**
 * Keeps `newToken` in localStorage when `remember`, otherwise in sessionStorage. In the desktop
 * app a remembered token goes to the app's settings instead (so a restart keeps the session)
 * and this window's sessionStorage keeps it across reloads either way.
 */
export function saveSession(newToken, remember) {
  token = newToken;
  const platform = currentPlatform();
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
  const platform = currentPlatform();
  const { local, session } = storages();
  try {
    token = session?.getItem(sessionKey()) || (platform.rememberSession ? null : local?.getItem(sessionKey())) || null;
  } catch {
    token = null;
  }
  if (!token && platform.rememberSession) token = desktopToken(serverUrl());
  return token;
}

/** Forgets the token everywhere. */
export function clearSession() {
  const platform = currentPlatform();
  const had = token;
  token = null;
  const { local, session } = storages();
  try {
    local?.removeItem(sessionKey());
    session?.removeItem(sessionKey());
  } catch {
    // nothing stored
  }
  if (platform.rememberSession && (had || desktopToken(serverUrl()))) platform.rememberSession(serverUrl(), null);
}

/** The token in use (for requests, and for moving a session to the same server under a new address). */
export function currentToken() {
  return token;
}

/** Whether the current session is kept across restarts ("remember me"). */
export function sessionRemembered() {
  if (!token) return false;
  if (currentPlatform().rememberSession) return desktopToken(serverUrl()) === token;
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

/**
 * Where the account last signed in to this server is noted: beside the session keys but not
 * under their prefix, because it is no secret and is kept in localStorage even where the token
 * is not (the desktop app keeps tokens in its own settings).
 */
function accountKey() {
  return `confab.account:${configuredBase() || 'same-origin'}`;
}

/** Remembers which account this server's saved session belongs to (its outbox is keyed by it). */
export function rememberUser(userId) {
  try {
    storages().local?.setItem(accountKey(), String(userId));
  } catch {
    // best effort
  }
}

/** The account last signed in to this server on this device, or null. */
export function lastUser() {
  try {
    const id = Number(storages().local?.getItem(accountKey()));
    return Number.isInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}

const OUTBOX_DB = 'confab';
const OUTBOX_STORE = 'outbox';
let outboxDb = null;

/** The outbox database, or null where IndexedDB is unavailable (then localStorage is used). */
function openOutboxDb() {
  outboxDb ??= new Promise((resolve) => {
    let request;
    try {
      request = globalThis.indexedDB?.open(OUTBOX_DB, 1);
    } catch {
      request = null;
    }
    if (!request) {
      resolve(null);
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(OUTBOX_STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
  return outboxDb;
}

function outboxKey(userId) {
  return `confab.outbox:${configuredBase() || globalThis.location?.origin || 'same-origin'}:${userId}`;
}

function idb(db, mode, work) {
  return new Promise((resolve) => {
    try {
      const tx = db.transaction(OUTBOX_STORE, mode);
      const request = work(tx.objectStore(OUTBOX_STORE));
      tx.oncomplete = () => resolve(request?.result ?? null);
      tx.onerror = () => resolve(null);
      tx.onabort = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

/**
 * Keeps account `userId`'s outbox (JSON from queue.js's serialize) on this device. Writes happen
 * in call order; resolves when stored (best effort: a full disk only loses the copy).
 */
export async function saveOutbox(json, userId) {
  if (userId == null) return;
  const key = outboxKey(userId);
  const empty = json === '[]';
  const db = await openOutboxDb();
  if (db) {
    await idb(db, 'readwrite', (store) => (empty ? store.delete(key) : store.put(json, key)));
    return;
  }
  try {
    if (empty) storages().local?.removeItem(key);
    else storages().local?.setItem(key, json);
  } catch {
    // best effort
  }
}

/** Account `userId`'s saved outbox (JSON), or null. */
export async function loadOutbox(userId) {
  if (userId == null) return null;
  const key = outboxKey(userId);
  const db = await openOutboxDb();
  if (db) return (await idb(db, 'readonly', (store) => store.get(key))) ?? null;
  try {
    return storages().local?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

let sessionLost = null;

/** Called when the server says the token no longer works (401 on a REST call). */
export function onSessionLost(callback) {
  sessionLost = callback;
}

/** The REST layer saw a 401 `unauthorized`: tell whoever listens. */
export function reportSessionLost() {
  sessionLost?.();
}

let passwordChange = null;

/** Called when the server says this session must first replace its temporary password. */
export function onPasswordChangeRequired(callback) {
  passwordChange = callback;
}

/** The REST layer saw a 403 `password_change_required`: tell whoever listens. */
export function reportPasswordChangeRequired() {
  passwordChange?.();
}
