// The desktop app's own switches in the settings dialog: keep running in the tray when the
// window closes, start at login, keep the computer awake while hosting (with what the system
// answered), and updates of the app (what is new in a newer version, installed on request).

import { h } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { toast } from './toast.js';

/** One switch bound to the desktop setting `key` (the same name in a settings change). */
function toggle({ id, key, label, hint, checked, actions }) {
  const box = h('input', { type: 'checkbox', id, 'data-testid': id, checked: Boolean(checked) });
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      const startup = await actions.updateDesktopSetting(key, box.checked);
      box.checked = Boolean(startup?.settings?.[key]);
    } catch (error) {
      box.checked = !box.checked;
      toast(errorText(error), { kind: 'error' });
    } finally {
      box.disabled = false;
    }
  });
  return h('div', { class: 'field' }, h('label', { class: 'check', for: id }, box, h('span', { text: label })), hint ? h('p', { class: 'field-hint', text: hint }) : null);
}

/** The "keep awake" switch with what the system said, kept current while it is shown. */
function keepAwake(settings, actions) {
  const status = h('p', { class: 'field-hint', role: 'status', 'data-testid': 'settings-keep-awake-status' });
  const show = (word) => {
    status.textContent = ['on', 'off', 'unavailable'].includes(word) ? t(`desktop.awake.${word}`) : '';
    status.dataset.state = word ?? '';
  };
  const stop = actions.watchKeepAwake(show);
  // The dialog has no close hook for its sections: stop once the status has left the page.
  const sweep = () => (status.isConnected ? setTimeout(sweep, 5000) : stop());
  setTimeout(sweep, 5000);
  return h(
    'div',
    { class: 'stack' },
    toggle({ id: 'settings-keep-awake', key: 'keep_awake', label: t('desktop.keepAwake'), checked: settings.keep_awake ?? true, actions }),
    status,
  );
}

/** Words for an update state from the app (`update-status`). */
function updateWords(update) {
  switch (update?.state) {
    case 'checking':
      return t('desktop.update.checking');
    case 'up_to_date':
      return t('desktop.update.upToDate');
    case 'available':
      return t('desktop.update.available', { version: update.version });
    case 'downloading':
      return t('desktop.update.downloading', { version: update.version });
    case 'verified':
      return update.installable ? t('desktop.update.verified', { version: update.version }) : t('desktop.update.verifiedNotInstallable', { version: update.version });
    case 'installed':
      return t('desktop.update.installed', { version: update.version });
    case 'failed':
      return update.code === 'update_bad_signature' ? t('desktop.update.badSignature', { version: update.offer?.version ?? '' }) : update.message || t('desktop.update.failed');
    default:
      return '';
  }
}

/** Updates: the automatic check, "Check now", what is new and "Download and install". */
function updatesBlock(settings, actions) {
  if (!actions.watchUpdates) return null;
  const status = h('p', { class: 'field-hint', role: 'status', 'data-testid': 'update-status' });
  // The release's CHANGELOG section, as text.
  const notes = h('pre', { class: 'update-notes', 'data-testid': 'update-notes', hidden: true });
  const check = h('button', { type: 'button', class: 'btn', 'data-testid': 'update-check', text: t('desktop.update.checkNow') });
  const install = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'update-install', text: t('desktop.update.install'), hidden: true });
  const block = h('div', { class: 'stack', 'data-testid': 'settings-updates' });
  const show = (update) => {
    const state = update?.state ?? '';
    block.hidden = state === 'unavailable';
    status.textContent = updateWords(update);
    status.dataset.state = state;
    status.dataset.code = update?.code ?? '';
    status.classList.toggle('update-problem', state === 'failed');
    const offer = state === 'failed' ? update.offer : update;
    notes.textContent = offer?.notes ?? '';
    notes.hidden = !offer?.notes;
    // A refused download may be tried again (the endpoint may have been fixed).
    install.hidden = !(state === 'available' || (state === 'failed' && update.offer));
    check.disabled = state === 'checking' || state === 'downloading';
    install.disabled = state === 'downloading';
  };
  const run = (action) => async () => {
    check.disabled = install.disabled = true;
    try {
      show(await action());
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
      check.disabled = install.disabled = false;
    }
  };
  check.addEventListener('click', run(actions.checkForUpdate));
  install.addEventListener('click', run(actions.installUpdate));
  const stop = actions.watchUpdates(show);
  const sweep = () => (block.isConnected ? setTimeout(sweep, 5000) : stop());
  setTimeout(sweep, 5000);
  block.append(
    toggle({ id: 'settings-check-updates', key: 'check_updates', label: t('desktop.update.auto'), checked: settings.check_updates ?? true, actions }),
    status,
    notes,
    h('div', { class: 'update-actions' }, check, install),
  );
  return block;
}

/** The section; `desktop` is the app's startup state (`get_settings`). */
export function desktopSection({ desktop, actions }) {
  const settings = desktop?.settings ?? {};
  return h(
    'section',
    { class: 'settings-section', 'data-testid': 'settings-desktop' },
    h('h3', { text: t('desktop.title') }),
    toggle({
      id: 'settings-close-to-tray',
      key: 'close_to_tray',
      label: t('desktop.closeToTray'),
      hint: t('desktop.closeToTrayHint'),
      checked: settings.close_to_tray ?? true,
      actions,
    }),
    toggle({
      id: 'settings-start-at-login',
      key: 'start_at_login',
      label: t('desktop.startAtLogin'),
      hint: t('desktop.startAtLoginHint'),
      checked: settings.start_at_login ?? settings.mode === 'host',
      actions,
    }),
    settings.mode === 'host' ? keepAwake(settings, actions) : null,
    updatesBlock(settings, actions),
  );
}
