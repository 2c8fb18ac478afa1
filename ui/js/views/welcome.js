// The first-run screen of platforms that choose their server (the desktop app): connect to a
// Confab server elsewhere, or host one on this computer. Hosting ends on a confirmation with
// the addresses colleagues can use; then (or right after connecting) the sign-in screen follows.

import { h, icon } from '../dom.js';
import { t, LANGUAGES, language } from '../i18n.js';
import { connectForm, hostForm, hostAddresses } from './server.js';

/** Mounts the welcome screen into `root`; `startup` is the app's settings (or null). */
export function mountWelcome(root, { actions, startup = null }) {
  const settings = startup?.settings ?? {};
  const langSelect = h(
    'select',
    { id: 'welcome-language', class: 'select-compact', 'aria-label': t('auth.language') },
    LANGUAGES.map((l) => h('option', { value: l.code, selected: l.code === language() }, l.name)),
  );
  langSelect.addEventListener('change', () => actions.setLanguage(langSelect.value));

  const body = h('div', { class: 'welcome-body' });
  const card = h(
    'div',
    { class: 'auth-card welcome-card', 'data-testid': 'welcome' },
    h('div', { class: 'auth-card-top' }, h('h1', { class: 'auth-title welcome-title', id: 'welcome-title', text: t('welcome.title') }), langSelect),
    body,
  );
  const hero = h(
    'section',
    { class: 'auth-hero' },
    h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('chat')), h('span', { text: t('app.name') })),
    h('p', { class: 'auth-tagline', text: t('welcome.tagline') }),
    h(
      'ul',
      { class: 'auth-points' },
      h('li', { text: `🌐 ${t('welcome.point1')}` }),
      h('li', { text: `🖥️ ${t('welcome.point2')}` }),
    ),
  );
  const screen = h('main', { class: 'auth-screen welcome-screen', 'aria-labelledby': 'welcome-title' }, hero, card);
  root.replaceChildren(screen);

  function showChoice() {
    const connect = connectForm({ actions, recent: settings.recent_servers ?? [], prefix: '', onConnected: () => {} });
    const host = hostForm({ actions, host: settings.host, prefix: '', enter: false, onStarted: (answer) => showHosted(answer) });
    body.replaceChildren(
      h('p', { class: 'muted welcome-intro', text: t('welcome.intro') }),
      h(
        'section',
        { class: 'welcome-choice', 'aria-labelledby': 'welcome-connect-title', 'data-testid': 'welcome-connect' },
        h('h2', { id: 'welcome-connect-title', class: 'welcome-choice-title' }, icon('globe'), h('span', { text: t('welcome.connectTitle') })),
        h('p', { class: 'field-hint', text: t('welcome.connectHint') }),
        connect.el,
      ),
      h('div', { class: 'welcome-or', 'aria-hidden': 'true' }, h('span', { text: t('welcome.or') })),
      h(
        'section',
        { class: 'welcome-choice', 'aria-labelledby': 'welcome-host-title', 'data-testid': 'welcome-host' },
        h('h2', { id: 'welcome-host-title', class: 'welcome-choice-title' }, icon('server'), h('span', { text: t('welcome.hostTitle') })),
        h('p', { class: 'field-hint', text: t('welcome.hostHint') }),
        host.el,
      ),
    );
    connect.focus();
  }

  function showHosted(answer) {
    const status = answer?.host ?? {};
    const next = h('button', { type: 'button', class: 'btn btn-primary btn-block', 'data-testid': 'welcome-continue', id: 'welcome-continue', onclick: () => actions.enterServer() }, t('welcome.continue'));
    body.replaceChildren(
      h(
        'div',
        { class: 'welcome-hosted', role: 'status', 'data-testid': 'welcome-hosted' },
        h('p', { class: 'welcome-ok' }, icon('check'), h('span', { text: t('welcome.hosted', { port: status.port ?? answer?.settings?.host?.port ?? '' }) })),
        hostAddresses(status, { testid: 'welcome-addresses' }),
        h('p', { class: 'field-hint', text: t('welcome.firstAccount') }),
      ),
      next,
    );
    next.focus();
  }

  showChoice();
  return { destroy() {} };
}
