// Interface languages: Simplified Chinese and English. Strings are looked up by key with `t()`;
// server error codes map to friendly sentences with `errorText()`. The language is chosen from
// the browser/OS preferences unless the person picked one in settings. The strings themselves
// are in i18n/, one module per language.

import { en } from './i18n/en.js';
import { zh } from './i18n/zh-CN.js';
import { adminEn } from './i18n/admin.en.js';
import { adminZh } from './i18n/admin.zh-CN.js';

export const LANGUAGES = [
  { code: 'zh-CN', name: '简体中文' },
  { code: 'en', name: 'English' },
];

// Administration's words live in their own modules (as its views do).
export const dictionaries = { en: { ...en, ...adminEn }, 'zh-CN': { ...zh, ...adminZh } };

let current = 'en';
const listeners = new Set();

/** The best supported language for a list of BCP 47 tags (browser/OS preference order). */
export function detectLanguage(preferred = []) {
  for (const tag of preferred) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export function language() {
  return current;
}

/** Switches the interface language; listeners re-render. */
export function setLanguage(code) {
  const next = code in dictionaries ? code : 'en';
  if (next === current) return;
  current = next;
  for (const listener of listeners) listener(current);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The string for `key` in the current language (English, then the key, as fallbacks). */
export function t(key, params = {}) {
  const value = dictionaries[current][key] ?? dictionaries.en[key];
  if (value === undefined) return key;
  return typeof value === 'function' ? value(params) : value;
}

/** "45 seconds", "14 min 5 s", "3 分钟"… for a wait of `seconds`. */
export function formatWait(seconds) {
  const total = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (total < 60) return t('wait.seconds', { s: total });
  return t('wait.minutes', { m: Math.floor(total / 60), s: total % 60 });
}

/**
 * A sentence for an error from the network module ({code, message, retryAfter}): the
 * localized text for known codes, the server's own message otherwise.
 */
export function errorText(error) {
  const code = error?.code;
  if (code === 'too_many_attempts' || code === 'rate_limited' || code === 'upload_quota_exceeded') {
    // REST errors carry `retryAfter` (see net/errors.js); WebSocket errors the server's `retry_after`.
    return t(`err.code.${code}`, { wait: formatWait(error.retryAfter ?? error.retry_after ?? 60) });
  }
  const key = `err.code.${code}`;
  if (code && (key in dictionaries[current] || key in dictionaries.en)) return t(key, { message: error?.message || String(code) });
  return t('err.generic', { message: error?.message || String(code || error) });
}
