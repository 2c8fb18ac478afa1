// The desktop app's own switches in the settings dialog: keep running in the tray when the
// window closes (and, as they land, start at login, keep the computer awake while hosting,
// check for updates). Its words live here rather than in i18n.js so this stays one file.

import * as api from '../api.js';
import { h } from '../dom.js';
import { language, errorText } from '../i18n.js';
import { toast } from './toast.js';

const WORDS = {
  en: {
    title: 'Desktop app',
    closeToTray: 'Keep Confab running in the tray when I close the window',
    closeToTrayHint: 'Always on while this computer hosts the chat, so colleagues stay connected.',
    startAtLogin: 'Start Confab when I log in (in the tray, without a window)',
    startAtLoginHint: 'On by default while this computer hosts the chat.',
  },
  'zh-CN': {
    title: '桌面应用',
    closeToTray: '关闭窗口时让 Confab 在托盘中继续运行',
    closeToTrayHint: '本机运行服务器时始终开启，同事不会掉线。',
    startAtLogin: '登录时启动 Confab（在托盘中，不打开窗口）',
    startAtLoginHint: '本机运行服务器时默认开启。',
  },
};

/** The desktop app's words in the current language. */
export function words() {
  return WORDS[language()] ?? WORDS.en;
}

/** One switch bound to the desktop setting `key` (the same name in a settings change). */
function toggle({ id, key, label, hint, checked }) {
  const box = h('input', { type: 'checkbox', id, 'data-testid': id, checked: Boolean(checked) });
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      const startup = await api.desktop.updateSettings({ [key]: box.checked });
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

/** The section; `desktop` is the app's startup state (`get_settings`). */
export function desktopSection({ desktop }) {
  const settings = desktop?.settings ?? {};
  const w = words();
  return h(
    'section',
    { class: 'settings-section', 'data-testid': 'settings-desktop' },
    h('h3', { text: w.title }),
    toggle({
      id: 'settings-close-to-tray',
      key: 'close_to_tray',
      label: w.closeToTray,
      hint: w.closeToTrayHint,
      checked: settings.close_to_tray ?? true,
    }),
    toggle({
      id: 'settings-start-at-login',
      key: 'start_at_login',
      label: w.startAtLogin,
      hint: w.startAtLoginHint,
      checked: settings.start_at_login ?? settings.mode === 'host',
    }),
  );
}
