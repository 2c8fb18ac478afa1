// The session token and what is kept beside it. Tokens are kept in localStorage ("remember
// me") or sessionStorage, never in a URL; in the desktop app remembered tokens live in the app's
// settings instead of localStorage. The outbox is stored next to the token so unsent messages
// survive a reload.

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
    local?.removeItem(sessionKey(':outbox'));
    session?.removeItem(sessionKey(':outbox'));
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

let sessionLost = null;

/** Called when the server says the token no longer works (401 on a REST call). */
export function onSessionLost(callback) {
  sessionLost = callback;
}

/** The REST layer saw a 401 `unauthorized`: tell whoever listens. */
export function reportSessionLost() {
  sessionLost?.();
}
