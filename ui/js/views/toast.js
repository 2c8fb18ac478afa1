// Short-lived notices ("“plan.pdf” is too large for this server", "You left #design") in a polite live
// region, so screen readers announce them without moving focus.

import { h, icon } from '../dom.js';
import { t } from '../i18n.js';

let region = null;

function ensureRegion() {
  if (region && region.isConnected) return region;
  region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
  document.body.append(region);
  return region;
}

/** Shows `text` for `timeout` ms; `kind` is `info` or `error`. */
export function toast(text, { kind = 'info', timeout = 5000 } = {}) {
  const container = ensureRegion();
  const close = h('button', { type: 'button', class: 'icon-btn toast-close', 'aria-label': t('toast.dismiss') }, icon('close'));
  const el = h('div', { class: `toast toast-${kind}` }, kind === 'error' ? icon('alert') : null, h('span', { class: 'toast-text', text }), close);
  const remove = () => {
    el.classList.add('toast-leaving');
    setTimeout(() => el.remove(), 200);
  };
  close.addEventListener('click', remove);
  container.append(el);
  while (container.children.length > 4) container.firstElementChild.remove();
  setTimeout(remove, timeout);
}
