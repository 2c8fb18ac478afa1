// The real-time connection, the only code that opens a `WebSocket`. `openSocket()` keeps one
// authenticated socket alive: it reconnects with exponential backoff and jitter, pings every
// 25 s, notices a dead link, and reports its status.

import { createSocket, socketUrl } from './platform.js';
import { currentToken } from './session.js';

/** Seconds between pings; the server closes sockets that stay silent for 60 s. */
export const PING_INTERVAL_MS = 25_000;
/** A socket that answers nothing (not even the pong) for this long after a ping is dead. */
export const PONG_TIMEOUT_MS = 10_000;
/** How long the server may take to answer `auth` with `ready`. */
export const READY_TIMEOUT_MS = 15_000;

/**
 * The wait before reconnect attempt `attempt` (1, 2, …): 0.5 s doubling up to 30 s, with
 * "equal jitter" (between half and all of it) so clients do not return in lockstep.
 */
export function backoffDelay(attempt, { baseMs = 500, capMs = 30_000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Opens the real-time connection and keeps it open until `close()`.
 *
 * - `onEvent(event, data, ref)` receives every server frame (after `ready` too).
 * - `onStatus({status, attempt, retryAt, reconnected})` reports `connecting`, `online` (after
 *   `ready`; `reconnected` is true after a drop), `reconnecting` (with the time of the next
 *   attempt), `displaced` (close code 4429: too many sockets for the account; no automatic
 *   retry, only `reconnectNow()` or the window becoming visible) and finally `unauthorized`
 *   (close code 4401: the session is gone, no retry) or `password_change_required` (4403: the
 *   account must replace its temporary password first, no retry).
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
      socket = createSocket(socketUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    ws = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ event: 'auth', data: { token: currentToken() }, ref: 'auth' }));
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
      if (close.code === 4403) {
        // A temporary password not yet replaced: retrying cannot help until it is.
        stopped = true;
        onStatus({ status: 'password_change_required', attempt: 0, retryAt: null });
        return;
      }
      if (close.code === 4429) {
        // The account opened more sockets than the server allows and this was the oldest. An
        // automatic reconnect would close the next-oldest, and so on round every window: wait
        // for the person (Retry, or this window becoming visible again).
        onStatus({ status: 'displaced', attempt: 0, retryAt: null });
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
