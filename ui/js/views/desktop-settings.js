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
    keepAwake: 'Keep this computer awake while it hosts the chat',
    awake: {
      on: 'This computer will not sleep while it hosts the chat.',
      off: 'This computer may sleep; colleagues lose the chat while it does.',
      unavailable: 'This system takes no "don’t sleep" requests: change its power settings so it stays on while hosting.',
    },
  },
  'zh-CN': {
    title: '桌面应用',
    closeToTray: '关闭窗口时让 Confab 在托盘中继续运行',
    closeToTrayHint: '本机运行服务器时始终开启，同事不会掉线。',
    startAtLogin: '登录时启动 Confab（在托盘中，不打开窗口）',
    startAtLoginHint: '本机运行服务器时默认开启。',
    keepAwake: '本机运行服务器时保持唤醒',
    awake: {
      on: '本机运行服务器期间不会休眠。',
      off: '本机可能休眠；休眠时同事无法聊天。',
      unavailable: '此系统不接受“保持唤醒”请求：请在电源设置中让它在运行服务器时保持开启。',
    },
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

/** The "keep awake" switch with what the system said, kept current by `keep-awake` events. */
function keepAwake(settings, w) {
  const status = h('p', { class: 'field-hint', role: 'status', 'data-testid': 'settings-keep-awake-status' });
  const show = (word) => {
    status.textContent = w.awake[word] ?? '';
    status.dataset.state = word ?? '';
  };
  api.desktop.keepAwakeStatus().then(show, () => {});
  api.desktop.listen('keep-awake', show).then((unlisten) => {
    const stop = () => (status.isConnected ? setTimeout(stop, 5000) : unlisten());
    setTimeout(stop, 5000);
  });
  return h(
    'div',
    { class: 'stack' },
    toggle({ id: 'settings-keep-awake', key: 'keep_awake', label: w.keepAwake, checked: settings.keep_awake ?? true }),
    status,
  );
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
    settings.mode === 'host' ? keepAwake(settings, w) : null,
  );
}
