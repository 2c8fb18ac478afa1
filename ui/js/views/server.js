// Choosing where to chat, for platforms that can (the desktop app): connecting to a server
// elsewhere, hosting one on this computer (port, LAN exposure, its addresses with copy
// buttons). Used by the first-run welcome screen, the settings dialog and the "built-in server
// could not start" banner. Errors are shown beside the field they concern, in plain words.
//
// Every control carries a stable `data-testid` (prefixed per screen) for end-to-end tests.

import { h, icon } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { parsePort, lanAddresses, inviteLink } from '../platform-settings.js';
import { field, openDialog } from './dialogs.js';
import { toast } from './toast.js';

/** Fired on `document` when the desktop app's settings or server status changed. */
export const DESKTOP_CHANGED = 'confab:desktop-changed';

const URL_ERRORS = new Set(['invalid_url', 'wrong_scheme', 'unreachable', 'not_confab']);
const PORT_ERRORS = new Set(['port_in_use', 'invalid_port', 'host_failed']);

/**
 * Runs `work()` with `form` busy: its `submit` button disabled and relabelled `busyLabel` until
 * it settles. An error whose code is in `fieldCodes` is shown beside `target` (from `field()`),
 * which takes the focus; any other error is shown in `formError`.
 */
async function submitting({ form, submit, busyLabel, target, fieldCodes, formError }, work) {
  submit.disabled = true;
  form.setAttribute('aria-busy', 'true');
  const label = submit.lastChild.textContent;
  submit.lastChild.textContent = busyLabel;
  try {
    await work();
  } catch (error) {
    if (!form.isConnected) return;
    if (fieldCodes.has(error?.code)) {
      target.setError(errorText(error));
      target.input.focus();
    } else {
      formError.textContent = errorText(error);
    }
  } finally {
    submit.disabled = false;
    form.removeAttribute('aria-busy');
    submit.lastChild.textContent = label;
  }
}

/** Copies `text` to the clipboard (with a fallback for webviews without the async API). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** A list of addresses, each with a Copy button. */
export function addressList(urls, { testid = 'host-addresses' } = {}) {
  return h(
    'ul',
    { class: 'address-list', 'data-testid': testid },
    urls.map((url) => {
      const copy = h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': t('server.copyNamed', { url }), 'data-testid': `${testid}-copy` }, icon('copy'), h('span', { text: t('server.copy') }));
      copy.addEventListener('click', async () => {
        const ok = await copyText(url);
        toast(ok ? t('server.copied', { url }) : t('server.copyFailed'), { kind: ok ? 'info' : 'error' });
      });
      return h('li', { class: 'address' }, h('code', { class: 'address-url', text: url }), copy);
    }),
  );
}

/** What colleagues can use to reach the built-in server, or why they cannot. */
export function hostAddresses(host, { testid = 'host-addresses' } = {}) {
  const urls = lanAddresses(host);
  if (!host?.running) return h('p', { class: 'field-hint', text: t('server.hostNotRunning') });
  if (!host.lan) return h('p', { class: 'field-hint', 'data-testid': `${testid}-local-only`, text: t('server.localOnly') });
  if (urls.length === 0) return h('p', { class: 'field-hint', text: t('server.noLanAddress') });
  // Colleagues compare this with what their app shows on first contact (read aloud, in groups).
  const invites = host.fingerprint ? urls.map((url) => inviteLink(url, host.fingerprint)).filter(Boolean) : [];
  const fingerprint = host.fingerprint_readable
    ? [
        h('p', { class: 'field-hint', text: t('host.fingerprint') }),
        h('pre', { class: 'fingerprint', 'data-testid': `${testid}-fingerprint`, text: host.fingerprint_readable }),
        invites.length ? h('p', { class: 'field-hint', text: t('host.invite') }) : null,
        invites.length ? addressList(invites, { testid: `${testid}-invites` }) : null,
      ]
    : [];
  return h('div', { class: 'host-addresses' }, h('p', { class: 'field-hint', text: t('server.shareThese') }), addressList(urls, { testid }), ...fingerprint);
}

/**
 * The "connect to a server" form: address field, recent servers, Connect. `onConnected(startup)`
 * runs after the app accepted the server.
 */
export function connectForm({ actions, recent = [], current = null, prefix, submitLabel = t('server.connect'), onConnected = () => {} }) {
  const address = field({ label: t('server.address'), name: 'server_url', hint: t('server.addressHint'), placeholder: 'http://192.168.1.20:8080', value: current ?? '' });
  address.input.dataset.testid = `${prefix}server-url`;
  address.errorEl.dataset.testid = `${prefix}server-url-error`;
  address.input.setAttribute('inputmode', 'url');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': `${prefix}server-connect` }, icon('globe'), h('span', { text: submitLabel }));
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const recentList = recent.filter((url) => url !== current);
  const recentEl = recentList.length
    ? h(
        'div',
        { class: 'recent-servers' },
        h('p', { class: 'field-hint', id: `${prefix}recent-title`, text: t('server.recent') }),
        h(
          'ul',
          { class: 'recent-list', 'aria-labelledby': `${prefix}recent-title` },
          recentList.map((url) =>
            h('li', {}, h('button', { type: 'button', class: 'btn btn-small btn-ghost recent-server', 'data-url': url, 'data-testid': `${prefix}recent-server`, onclick: () => connect(url) }, icon('server'), h('span', { text: url }))),
          ),
        ),
      )
    : null;
  const lanEl = lanServers({ actions, prefix, connect: (url) => connect(url) });
  const form = h('form', { class: 'stack server-form', novalidate: true, 'data-testid': `${prefix}connect-form` }, lanEl, address.el, recentEl, formError, h('div', { class: 'dialog-actions' }, submit));

  async function connect(url) {
    address.input.value = url;
    address.setError(null);
    formError.textContent = '';
    if (!url.trim()) {
      address.setError(t('err.required'));
      address.input.focus();
      return;
    }
    await submitting({ form, submit, busyLabel: t('server.checking'), target: address, fieldCodes: URL_ERRORS, formError }, async () => {
      onConnected(await actions.connectServer(url.trim()));
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    connect(address.input.value);
  });
  return { el: form, focus: () => address.input.focus() };
}

/** How long the list waits for a first server before explaining why none may be heard. */
const LAN_QUIET_MS = 6000;

/**
 * Confab servers heard on this network, live (the desktop app only): each a button that
 * connects (the fingerprint is still checked). Stops listening once the form is gone.
 */
function lanServers({ actions, prefix, connect }) {
  if (typeof actions.watchLan !== 'function') return null;
  const list = h('ul', { class: 'recent-list', 'aria-labelledby': `${prefix}lan-title`, 'data-testid': `${prefix}lan-servers` });
  const hint = h('p', { class: 'field-hint', text: t('lan.searching') });
  const el = h('div', { class: 'recent-servers lan-servers' }, h('p', { class: 'field-hint', id: `${prefix}lan-title`, text: t('lan.title') }), list, hint);
  let stop = () => {};
  let seen = false;
  let scanning = false;
  const scanButton = h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'data-testid': `${prefix}lan-scan`, text: t('lan.scan') });
  let scan = async () => {};
  const runScan = async () => {
    if (scanning) return;
    scanning = true;
    scanButton.disabled = true;
    if (!list.children.length) hint.textContent = t('lan.scanning');
    try {
      await scan();
    } catch {
      if (!list.children.length) hint.textContent = t('lan.none');
    } finally {
      scanning = false;
      scanButton.disabled = false;
    }
  };
  scanButton.addEventListener('click', runScan);
  el.append(h('div', { class: 'dialog-actions' }, scanButton));
  // Nothing announced itself: multicast may be filtered, so ask the subnet instead.
  const quiet = setTimeout(() => {
    if (!list.children.length && el.isConnected) runScan();
  }, LAN_QUIET_MS);
  const show = (servers, { unavailable = false, outcome } = {}) => {
    if (el.isConnected) seen = true;
    else if (seen) {
      clearTimeout(quiet);
      stop();
      return;
    }
    list.replaceChildren(
      ...servers.map((server) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'btn btn-small btn-ghost recent-server', 'data-url': server.url, 'data-testid': `${prefix}lan-server`, onclick: () => connect(server.url) },
            icon('server'),
            h('span', { text: `${server.name || server.url} · ${server.url}${server.known ? ` · ${t('lan.known')}` : ''}${server.found_by === 'scan' ? ` · ${t('lan.byScan')}` : ''}` }),
          ),
        ),
      ),
    );
    if (servers.length) hint.textContent = '';
    else if (outcome === 'isolated') hint.textContent = t('lan.isolated');
    else if (unavailable || outcome) hint.textContent = t('lan.none');
  };
  const watching = actions.watchLan(show);
  stop = typeof watching === 'function' ? watching : watching.stop;
  if (typeof watching?.scan === 'function') scan = watching.scan;
  else scanButton.hidden = true;
  return el;
}

/**
 * The "host a server here" form: port (default 8080), "let colleagues connect" and Start.
 * `onStarted(startup)` runs once the server runs; errors (port taken…) show beside the port.
 */
export function hostForm({ actions, host = { port: 8080, lan: false }, prefix, submitLabel = t('server.start'), enter = true, onStarted = () => {} }) {
  const port = field({ label: t('server.port'), name: 'host_port', type: 'text', hint: t('server.portHint'), value: String(host?.port ?? 8080), maxlength: 5 });
  port.input.dataset.testid = `${prefix}host-port`;
  port.errorEl.dataset.testid = `${prefix}host-port-error`;
  port.input.setAttribute('inputmode', 'numeric');
  const lanId = `${prefix}host-lan`;
  const lanBox = h('input', { type: 'checkbox', id: lanId, 'data-testid': lanId, checked: Boolean(host?.lan) });
  const lan = h('label', { class: 'check', for: lanId }, lanBox, h('span', {}, h('span', { text: t('server.lan') }), h('span', { class: 'field-hint check-hint', text: t('server.lanHint') })));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': `${prefix}host-start` }, icon('server'), h('span', { text: submitLabel }));
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'stack server-form', novalidate: true, 'data-testid': `${prefix}host-form` }, port.el, lan, formError, h('div', { class: 'dialog-actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    port.setError(null);
    formError.textContent = '';
    const value = parsePort(port.input.value);
    if (value == null) {
      port.setError(t('err.code.invalid_port'));
      port.input.focus();
      return;
    }
    await submitting({ form, submit, busyLabel: t('server.starting'), target: port, fieldCodes: PORT_ERRORS, formError }, async () => {
      onStarted(await actions.hostHere({ port: value, lan: lanBox.checked }, { enter }));
    });
  });
  return { el: form, focus: () => port.input.focus() };
}

/** A dialog to (re)start the built-in server, e.g. on another port after it could not start. */
export function hostDialog({ actions, reason = null }) {
  const host = actions.desktopState()?.settings?.host ?? { port: 8080, lan: false };
  return openDialog({
    title: t('server.hostTitle'),
    build: (close) => {
      const form = hostForm({ actions, host, prefix: 'dialog-', submitLabel: t('server.start'), onStarted: () => close(true) });
      return h('div', { class: 'stack' }, reason ? h('p', { class: 'form-error', role: 'alert', text: reason }) : null, form.el);
    },
  });
}
