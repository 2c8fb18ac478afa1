// The desktop app's own switches in the settings dialog: keep running in the tray when the
// window closes, start at login, and keep the computer awake while hosting (with what the
// system answered).

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
  );
}
