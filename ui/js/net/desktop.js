// The desktop app (Tauri): the only code that calls `invoke`. Its platform services (native
// picker, notifications, downloads, settings), its own commands (`desktop.*`) and the session
// tokens it handed over at start. Attachments download, and files picked with the native dialog
// upload, in the app itself (streamed from and to disk): the page never holds their bytes.

import { DESKTOP_CAPABILITIES, normalizeServer } from '../platform-settings.js';
import { ApiError } from './errors.js';
import { PinnedSocket } from './pinned-socket.js';

/** Tauri's global API when this page runs inside the desktop app. */
export function tauri() {
  const api = globalThis.__TAURI__;
  return typeof api?.core?.invoke === 'function' ? api : null;
}

/** Turns a rejected `invoke` (`{code, message}`, or a bare string) into an ApiError. */
function desktopError(error) {
  if (error instanceof ApiError) return error;
  // A server's refusal of a transfer carries its status, as a fetch's answer would.
  if (error && typeof error === 'object' && typeof error.code === 'string') return new ApiError(Number(error.status) || 0, { code: error.code, message: error.message ?? '' });
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

/** The token the desktop app keeps for `server` (null when it keeps none). */
export function desktopToken(server) {
  return desktopTokens.get(normalizeServer(server)) || null;
}

function rememberStartup(startup) {
  if (startup?.server_url) desktopTokens.set(normalizeServer(startup.server_url), startup.session_token || null);
  return startup;
}

/** Who hears that a pinned server presented another certificate (set by the controller). */
let trustProblemHandler = () => {};

/** `handler({code, message})` runs when a pinned server presents another certificate. */
export function onTrustProblem(handler) {
  trustProblemHandler = typeof handler === 'function' ? handler : () => {};
}

/** Reports a certificate problem met by REST (rest.js) or a socket. */
export function reportTrustProblem(error) {
  trustProblemHandler(error);
}

/** A file chosen with the app's native dialog: it stays on disk, known to the page by an id. */
export class PickedFile {
  constructor({ id, name, size, content_type: type }) {
    this.picked = String(id);
    this.name = String(name || 'file');
    this.size = Number(size) || 0;
    this.type = String(type || 'application/octet-stream');
  }
}

let transfers = 0;

/** An id for a transfer the page may cancel. */
function newTransferId() {
  transfers += 1;
  return `t${Date.now().toString(36)}-${transfers}`;
}

/**
 * Runs transfer command `command` with `args`, progress on a Channel to `onProgress({done,
 * total})`, and cancels it in the app when `signal` aborts (rejecting with code `aborted`).
 */
async function transfer(command, args, { onProgress = null, signal = null } = {}) {
  const Channel = tauri()?.core?.Channel;
  if (signal?.aborted) throw new ApiError(0, { code: 'aborted', message: 'cancelled' });
  const id = newTransferId();
  const channel = typeof Channel === 'function' ? new Channel() : null;
  if (channel) channel.onmessage = (progress) => onProgress?.(progress);
  const onAbort = () => invoke('cancel_transfer', { transfer: id }).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await invoke(command, { ...args, transfer: id, onProgress: channel });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The token to hand the app for `server`: none when the app keeps that very one itself. */
function tokenForApp(server, token) {
  return token && desktopToken(server) !== token ? token : null;
}

export function desktopPlatform() {
  return {
    name: 'desktop',
    capabilities: DESKTOP_CAPABILITIES,
    /**
     * `https` servers go through the app's `confab-api` scheme (pinned TLS in Rust):
     * `confab-api://localhost/<host:port>` (`http://confab-api.localhost/…` on Windows).
     */
    pinnedBase(base) {
      if (!/^https:\/\//i.test(base)) return null;
      const convert = tauri()?.core?.convertFileSrc;
      if (typeof convert !== 'function') return null;
      return convert(new URL(base).host, 'confab-api');
    },
    createSocket(url) {
      const Channel = tauri()?.core?.Channel;
      if (!/^wss:\/\//i.test(url) || typeof Channel !== 'function') return new WebSocket(url);
      return new PinnedSocket(url, { invoke, Channel, onTrustProblem: reportTrustProblem });
    },
    /** The native dialog; the app checks the file and hands over its bytes. */
    async pickImage({ maxBytes } = {}) {
      const info = await invoke('pick_image', { maxBytes: maxBytes || null });
      if (!info) return null;
      const bytes = await invoke('take_picked_image', { id: info.id });
      const data = bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes) ? bytes : new Uint8Array(bytes ?? []);
      return new File([data], info.name || 'image', { type: info.content_type || 'application/octet-stream' });
    },
    /** The native dialog; the files stay on disk (PickedFile) and upload from there. */
    async pickFiles() {
      const infos = await invoke('pick_files');
      return (infos ?? []).map((info) => new PickedFile(info));
    },
    /**
     * Uploads a PickedFile from disk to room `roomId` on `server`, streamed by the app; resolves
     * with `{message, created}` like any upload.
     */
    async uploadPicked({ server, roomId, file, caption, clientMsgId, token, onProgress, signal }) {
      const { status, body } = await transfer(
        'upload_file',
        { server, roomId: Number(roomId), picked: file.picked, caption: caption || null, clientMsgId: clientMsgId || null, token: tokenForApp(server, token) },
        { onProgress, signal },
      );
      return { message: body?.message ?? null, created: status === 201 };
    },
    /** The app may forget a PickedFile (its upload is done or discarded). */
    releasePicked(file) {
      if (file instanceof PickedFile) invoke('release_picked_file', { picked: file.picked }).catch(() => {});
    },
    /**
     * Downloads attachment `url` of `server` into the Downloads folder, streamed by the app to
     * disk (the bytes never reach the page), named `name`; resolves with `{path}`.
     */
    async downloadFile({ server, url, name, token, onProgress, signal }) {
      const path = await transfer('download_file', { server, url, name: name || null, token: tokenForApp(server, token) }, { onProgress, signal });
      return { path };
    },
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
     * A Blob the page already holds (the webview cannot save it itself): the app writes the
     * bytes into the Downloads folder (given a name, never a path) and says where.
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
  /**
   * `{url, id, name, version, fingerprint, readable, verdict, pinned?, presented?,
   * pinned_readable?}` of an https server; `verdict` is `new`, `pinned`, `moved`, `changed` or
   * `impostor`. Sends nothing secret.
   */
  probeServer: (url) => invoke('probe_server', { url }),
  /** Pins the certificate the person compared with the host's screen. */
  trustServer: ({ url, id, name, fingerprint }) => invoke('trust_server', { url, id, name: name || '', fingerprint }),
  forgetServer: (id) => invoke('forget_server', { id }),
  /**
   * Calls `handler(event)` for each change among Confab servers heard on the LAN (`{kind:
   * 'found', id, name, url, version, known}`, `{kind: 'gone', id}`, `{kind: 'unavailable'}`);
   * returns a function that stops listening.
   */
  watchLan(handler) {
    const Channel = tauri()?.core?.Channel;
    if (typeof Channel !== 'function') return () => {};
    const channel = new Channel();
    channel.onmessage = handler;
    invoke('lan_watch', { onEvent: channel }).catch((error) => handler({ kind: 'unavailable', message: error?.message ?? '' }));
    return () => {
      channel.onmessage = () => {};
      invoke('lan_unwatch').catch(() => {});
    };
  },
  /**
   * Asks every address of the local /24s for a Confab server (no credentials sent); resolves
   * with `{servers: [{id, name, url, version, known, found_by: 'scan'}], outcome, networks,
   * elapsed_ms}`, `outcome` one of `found`, `no_server`, `isolated`, `no_network`.
   */
  scanLan: () => invoke('lan_scan'),
  /** `[{id, name, fingerprint, readable, addresses, first_seen, last_seen}]`. */
  pinnedServers: () => invoke('pinned_servers'),
  hostStart: () => invoke('host_start'),
  hostStop: () => invoke('host_stop'),
  hostStatus: () => invoke('host_status'),
  quit: () => invoke('quit'),
  /** `confab://` links the app was opened with before this page listened for `confab-link`. */
  takeLinks: () => invoke('take_links'),
  /** `'on'`, `'off'` or `'unavailable'`: whether the OS was asked not to sleep while hosting. */
  keepAwakeStatus: () => invoke('keep_awake_status'),
  /** Where updates of the app stand: `{state, version?, notes?, code?, message?, …}`. */
  updateStatus: () => invoke('update_status'),
  /** Looks for a newer version now; resolves with the new update state. */
  updateCheck: () => invoke('update_check'),
  /** Downloads the version found, checks its signature, installs it; resolves with the state. */
  updateInstall: () => invoke('update_install'),
  /** Calls `handler(payload)` for each app event `name`; resolves with an unlisten function. */
  async listen(name, handler) {
    const api = tauri();
    if (!api?.event?.listen) return () => {};
    return api.event.listen(name, (event) => handler(event?.payload ?? null));
  },
};
