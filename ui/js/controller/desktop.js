// The desktop app (capabilities serverChoice / hostMode): the first-run choice of a server,
// switching servers, the built-in server (host mode), the app's events (the machine going idle
// or locked sets me away; `confab://` links it was handed; no password store; whether it keeps
// the computer awake; updates of the app), and its settings mirrored into this page's
// preferences.
// `ctx.desktopState` is the app's latest word.

import * as api from '../net/index.js';
import { errorText, t } from '../i18n.js';
import { savePrefs } from '../prefs.js';
import { prefsFromDesktop, startupPlan, sameServer, parseJoinLink, fingerprintHex, readableFingerprint } from '../platform-settings.js';

export function createDesktop(ctx) {
  const { ui, state } = ctx;
  let desktopListeners = false;
  /** Views showing whether the computer is kept awake, told when the app's answer changes. */
  const keepAwakeWatchers = new Set();
  /** Views showing where updates of the app stand. */
  const updateWatchers = new Set();
  /** The version already announced in a toast, so each is announced once. */
  let announced = null;

  /** The one certificate warning being shown, so a retrying socket never stacks a second. */
  let trustWarning = null;

  /**
   * Resolves with the address to save for `address` when it is an https server the person
   * trusts (asking on first contact), or null for a plain-HTTP server (checked the usual way).
   * An address without a scheme is tried over HTTPS first: LAN servers speak it by default.
   */
  async function trustedSecureUrl(address) {
    const explicit = /^https:\/\//i.test(address);
    // http://, or a scheme that is no server's: the usual check (and its plain-words errors).
    if (!explicit && /^[a-z][a-z0-9+.-]*:\/\//i.test(address)) return null;
    let probe;
    try {
      probe = await api.desktop.probeServer(explicit ? address : `https://${address}`);
    } catch (error) {
      // No HTTPS there (a plain-HTTP server, a typo): the usual check explains.
      if (!explicit) return null;
      throw error;
    }
    if (probe.verdict === 'pinned' || probe.verdict === 'moved') return probe.url;
    if (probe.verdict === 'new') {
      if (!(await ui.confirmFingerprint(probe))) throw new api.ApiError(0, { code: 'not_trusted', message: 'not trusted' });
    } else if ((await ui.certificateChanged(probe)) !== 'trust') {
      throw new api.ApiError(0, { code: 'certificate_changed', message: 'certificate changed' });
    }
    await api.desktop.trustServer(probe);
    return probe.url;
  }

  /**
   * The server in use presented another certificate than the pinned one (REST or socket):
   * nothing was sent. One calm warning; "Disconnect" goes back to the choice of server.
   */
  function onTrustProblem() {
    if (trustWarning) return;
    trustWarning = (async () => {
      const probe = await api.desktop.probeServer(api.serverUrl()).catch(() => null);
      if (probe && (probe.verdict === 'pinned' || probe.verdict === 'moved')) return;
      const choice = probe ? await ui.certificateChanged(probe) : 'disconnect';
      if (choice === 'trust') {
        await api.desktop.trustServer(probe);
        ctx.socket?.reconnectNow?.();
        return;
      }
      ctx.lifecycle.suspendSession();
      ui.showWelcome({ startup: ctx.desktopState });
      ui.toast(t('err.code.certificate_changed'), { kind: 'error', timeout: 15_000 });
    })()
      .catch(() => {})
      .finally(() => {
        trustWarning = null;
      });
  }

  /** `confab://` links the app was opened with (its command line, or a second launch). */
  function linksReceived(links) {
    for (const link of Array.isArray(links) ? links : []) {
      if (typeof link !== 'string' || !link.startsWith('confab:')) continue;
      ui.linkReceived(link);
      const join = parseJoinLink(link);
      if (join) joinByLink(join).catch((error) => ui.toast(errorText(error), { kind: 'error', timeout: 15_000 }));
    }
  }

  /**
   * An invite link names the server and its certificate: the host vouches for it, so it is
   * pinned without a question — if the server presents exactly that certificate. Anything else
   * is refused with the one warning, the link's fingerprint shown as the expected one.
   */
  async function joinByLink({ url, fingerprint }) {
    const probe = await api.desktop.probeServer(url);
    if (fingerprintHex(probe.fingerprint) !== fingerprint) {
      await ui.certificateChanged({ ...probe, verdict: 'impostor', pinned_readable: readableFingerprint(fingerprint) });
      return;
    }
    await api.desktop.trustServer(probe);
    const startup = await api.desktop.updateSettings({ mode: 'remote', server_url: probe.url });
    ui.clearHostProblem();
    moveToServer(startup);
  }

  async function startDesktop() {
    let startup;
    try {
      startup = await api.desktop.startup();
    } catch (error) {
      ui.showWelcome({ startup: null });
      ui.toast(errorText(error), { kind: 'error', timeout: 15_000 });
      return;
    }
    ctx.desktopState = startup;
    api.onTrustProblem(onTrustProblem);
    adoptDesktopSettings(startup.settings);
    if (startup.notice) ui.toast(startup.notice, { timeout: 20_000 });
    listenToDesktop();
    const plan = startupPlan(startup);
    if (plan.stage === 'welcome') {
      ui.showWelcome({ startup });
      return;
    }
    useServer(plan.serverUrl);
    if (startup.settings?.mode === 'host' && !startup.host?.running) ensureHost();
    ctx.lifecycle.resume();
  }

  /** Copies the app's settings into this page's preferences and applies them. */
  function adoptDesktopSettings(settings) {
    if (!settings) return;
    savePrefs(prefsFromDesktop(settings));
    ctx.preferences.applyPrefs();
  }

  function listenToDesktop() {
    if (desktopListeners) return;
    desktopListeners = true;
    api.desktop.listen('open-room', (payload) => {
      const roomId = Number(payload?.room_id);
      if (!payload || !sameServer(payload.server, api.serverUrl()) || !ctx.socket) return;
      if (state().rooms[roomId]) ctx.rooms.openRoom(roomId);
    });
    api.desktop.listen('machine-idle', (payload) => machineIdle(Boolean(payload?.idle)));
    // Links that came before this page listened are fetched once, after it does.
    api.desktop
      .listen('confab-link', (payload) => linksReceived(payload?.links))
      .then(() => api.desktop.takeLinks())
      .then(linksReceived, () => {});
    // Said once per run, when a sign-in can only be kept until Confab quits.
    api.desktop.listen('credential-store-missing', (message) => {
      if (typeof message === 'string') ui.toast(message, { kind: 'error', timeout: 15_000 });
    });
    // The check at start may finish before this page listens: ask once after listening.
    api.desktop
      .listen('update-status', updateChanged)
      .then(() => api.desktop.updateStatus())
      .then(updateChanged, () => {});
    api.desktop.listen('keep-awake', (word) => {
      for (const watcher of keepAwakeWatchers) watcher(word);
    });
    api.desktop.listen('host-status', (payload) => {
      if (!payload || !ctx.desktopState) return;
      ctx.desktopState = { ...ctx.desktopState, host: payload.status ?? ctx.desktopState.host };
      if (payload.error) ui.showHostProblem(payload.error);
      else if (payload.status?.running) ui.clearHostProblem();
      ui.desktopChanged?.();
    });
  }

  /**
   * The machine went idle or locked (its screen saver started), or came back: while it lasts I
   * show as away — only when I was plainly online, so a status I chose (dnd, away) is kept.
   */
  let autoAway = false;
  async function machineIdle(idle) {
    const me = state().me;
    if (!me) return;
    try {
      if (idle && (me.status ?? 'online') === 'online') {
        autoAway = true;
        await ctx.people.actions.setStatus('away', me.status_text ?? '');
      } else if (!idle && autoAway) {
        autoAway = false;
        if (me.status === 'away') await ctx.people.actions.setStatus('online', me.status_text ?? '');
      }
    } catch {
      // Offline: the server's own idle timer and presence take over; the next change tries again.
    }
  }

  /** A new update state: views showing it are told; a newly found version is announced once. */
  function updateChanged(update) {
    if (!update) return;
    for (const watcher of updateWatchers) watcher(update);
    if (update.state === 'available' && update.version !== announced) {
      announced = update.version;
      ui.toast(t('desktop.update.announce', { version: update.version }), { timeout: 20_000 });
    }
  }

  /** Host mode but the built-in server is not (yet) running: start it, or say why it cannot. */
  async function ensureHost() {
    try {
      const host = await api.desktop.hostStart();
      ctx.desktopState = { ...ctx.desktopState, host };
      ui.clearHostProblem();
      ui.desktopChanged?.();
    } catch (error) {
      ui.showHostProblem(error);
    }
  }

  function useServer(url) {
    api.configure({ baseUrl: url });
    ctx.preferences.applyPrefs();
  }

  /**
   * Moves this window to the server of `startup` (the answer of update_settings). With
   * `keepSession` (the same server under a new address: the built-in server's port changed) the
   * current session goes along; otherwise the saved session of the new server is resumed.
   */
  function moveToServer(startup, { keepSession = false } = {}) {
    ctx.desktopState = startup;
    const token = api.currentToken();
    const remembered = api.sessionRemembered();
    const url = startup.server_url;
    if (!url) return;
    const same = sameServer(url, api.serverUrl()) && api.hasServer();
    if (same && ctx.socket) return;
    ctx.lifecycle.suspendSession();
    useServer(url);
    if (keepSession && token) {
      api.saveSession(token, remembered);
      ctx.lifecycle.startSession(null);
    } else {
      ctx.lifecycle.resume();
    }
  }

  const actions = {
    /** The app's settings, built-in server status and current server (null in a browser). */
    desktopState: () => ctx.desktopState,

    /**
     * Checks a server address and, if Confab answers, makes it the server to use; an https
     * server's certificate is trusted first (compared by the person, or already pinned).
     */
    async connectServer(address) {
      const url = (await trustedSecureUrl(address.trim())) ?? (await api.desktop.checkServer(address)).url;
      const startup = await api.desktop.updateSettings({ mode: 'remote', server_url: url });
      ui.clearHostProblem();
      moveToServer(startup);
      return startup;
    },

    /**
     * Runs the server here (`{port, lan}`); resolves with the app's answer (host status and
     * addresses). `enter` moves this window to it at once; otherwise call `enterServer()`.
     */
    async hostHere({ port, lan }, { enter = true } = {}) {
      const before = ctx.desktopState;
      const wasHost = before?.settings?.mode === 'host';
      const unchanged = wasHost && before.settings.host?.port === port && before.settings.host?.lan === lan;
      let startup;
      if (unchanged) {
        // The same port and exposure: update_settings would not restart it; start it directly.
        const host = await api.desktop.hostStart();
        startup = { ...before, host };
      } else {
        try {
          startup = await api.desktop.updateSettings({ mode: 'host', host_port: port, host_lan: lan });
        } catch (error) {
          // The app saved the choice even though the server could not start: stay in step.
          ctx.desktopState = await api.desktop.startup().catch(() => ctx.desktopState);
          throw error;
        }
        // Settings that were already saved (an earlier failed start) do not restart it.
        if (!startup.host?.running) startup = { ...startup, host: await api.desktop.hostStart() };
      }
      ctx.desktopState = startup;
      ui.clearHostProblem();
      if (enter) moveToServer(startup, { keepSession: wasHost });
      ui.desktopChanged?.();
      return startup;
    },

    /** Back to the choice of server (from the sign-in screen). */
    chooseServer() {
      ui.showWelcome({ startup: ctx.desktopState });
    },

    /** After the first-run choice: go on to sign in (or resume) on the chosen server. */
    enterServer() {
      if (ctx.desktopState?.server_url) moveToServer(ctx.desktopState);
    },

    async hostStop() {
      const host = await api.desktop.hostStop();
      ctx.desktopState = { ...ctx.desktopState, host };
      ui.desktopChanged?.();
      return host;
    },

    async hostStart() {
      const host = await api.desktop.hostStart();
      ctx.desktopState = { ...ctx.desktopState, host };
      ui.clearHostProblem();
      ui.desktopChanged?.();
      return host;
    },

    async refreshHost() {
      const host = await api.desktop.hostStatus();
      ctx.desktopState = { ...ctx.desktopState, host };
      return host;
    },

    quit: () => api.desktop.quit(),

    /**
     * Calls `show(servers, {unavailable, outcome})` with the Confab servers heard on the LAN,
     * one per server id, now and at each change. Returns `{stop, scan}`: `scan()` runs the
     * subnet scan and merges what answered into the same list (an announced server keeps its
     * entry); it resolves with the scan's `outcome` (`isolated` when no host answered at all).
     */
    watchLan(show) {
      const servers = new Map();
      const stop = api.desktop.watchLan((event) => {
        if (event?.kind === 'found') servers.set(event.id, event);
        else if (event?.kind === 'gone') servers.delete(event.id);
        show([...servers.values()], { unavailable: event?.kind === 'unavailable' });
      });
      const scan = async () => {
        const result = await api.desktop.scanLan();
        for (const server of result?.servers ?? []) if (!servers.has(server.id)) servers.set(server.id, server);
        show([...servers.values()], { outcome: result?.outcome });
        return result?.outcome;
      };
      return { stop, scan };
    },

    /** The servers whose certificate this app trusts (settings), and forgetting one. */
    pinnedServers: () => api.desktop.pinnedServers(),
    forgetServer: (id) => api.desktop.forgetServer(id),

    /** Changes one of the app's own settings (`close_to_tray`, …); resolves with its new state. */
    async updateDesktopSetting(key, value) {
      const startup = await api.desktop.updateSettings({ [key]: value });
      ctx.desktopState = startup;
      return startup;
    },

    /**
     * Calls `show(word)` with whether the OS was asked not to sleep while hosting (`'on'`,
     * `'off'`, `'unavailable'`), now and whenever it changes; returns a function that stops it.
     */
    watchKeepAwake(show) {
      keepAwakeWatchers.add(show);
      api.desktop.keepAwakeStatus().then(show, () => {});
      return () => keepAwakeWatchers.delete(show);
    },

    /**
     * Calls `show(update)` with where updates of the app stand (`update_status`), now and at
     * each change; returns a function that stops it.
     */
    watchUpdates(show) {
      updateWatchers.add(show);
      api.desktop.updateStatus().then(show, () => {});
      return () => updateWatchers.delete(show);
    },

    /** "Check now" and "Download and install": the app answers with the new state. */
    checkForUpdate: () => api.desktop.updateCheck(),
    installUpdate: () => api.desktop.updateInstall(),
  };

  return { startDesktop, actions };
}
