// The connection banner: always honest about the socket. Hidden while connected; "Reconnecting
// in N s…" with a Retry button while down (and how many messages wait to be sent); "Reconnected"
// for a moment once every room has caught up.

import { h } from '../dom.js';
import { t } from '../i18n.js';

/** A first connection that takes longer than this shows "Connecting…". */
const SLOW_CONNECT_MS = 1500;
const RECONNECTED_MS = 3000;

export function createBanner({ actions }) {
  const text = h('span', { class: 'banner-text' });
  const queued = h('span', { class: 'banner-queued' });
  const retry = h('button', { type: 'button', class: 'btn btn-small btn-light', onclick: () => actions.reconnectNow() }, t('conn.retryNow'));
  const el = h('div', { class: 'conn-banner', role: 'status', 'aria-live': 'polite', hidden: true }, h('span', { class: 'banner-dot', 'aria-hidden': 'true' }), text, queued, retry);

  let connection = null;
  let outboxCount = 0;
  let countdown = null;
  let hideTimer = null;
  let slow = false;
  let showReconnected = false;

  const slowTimer = setTimeout(() => {
    slow = true;
    render();
  }, SLOW_CONNECT_MS);

  function render() {
    clearInterval(countdown);
    countdown = null;
    const status = connection?.status ?? 'connecting';
    retry.hidden = status !== 'reconnecting' && status !== 'displaced';
    queued.textContent = outboxCount > 0 && status !== 'online' ? t('conn.queued', { n: outboxCount }) : '';
    if (status === 'online') {
      el.dataset.state = showReconnected ? 'reconnected' : 'online';
      el.hidden = !showReconnected;
      if (showReconnected) {
        text.textContent = t('conn.reconnected');
        clearTimeout(hideTimer);
        hideTimer = setTimeout(() => {
          showReconnected = false;
          render();
        }, RECONNECTED_MS);
      }
      return;
    }
    el.dataset.state = status;
    if (status === 'connecting') {
      el.hidden = !slow;
      text.textContent = t('conn.connecting');
      return;
    }
    el.hidden = false;
    if (status === 'displaced') {
      text.textContent = t('conn.displaced');
      return;
    }
    const tick = () => {
      const seconds = connection?.retryAt ? Math.ceil((connection.retryAt - Date.now()) / 1000) : 0;
      text.textContent = status === 'reconnecting' && seconds > 0 ? t('conn.reconnectingIn', { s: seconds }) : t('conn.reconnecting');
    };
    tick();
    if (status === 'reconnecting' && connection?.retryAt) countdown = setInterval(tick, 500);
  }

  function update(state) {
    const count = state.outbox.filter((i) => i.status !== 'failed').length;
    if (state.connection === connection && count === outboxCount) return;
    const previous = connection?.status;
    connection = state.connection;
    outboxCount = count;
    if (connection.status === 'online' && previous !== 'online') showReconnected = connection.reconnected;
    else if (connection.status !== 'online') showReconnected = false;
    render();
  }

  return {
    el,
    update,
    destroy() {
      clearInterval(countdown);
      clearTimeout(hideTimer);
      clearTimeout(slowTimer);
    },
  };
}
