// The sign-in / register screen: a gradient welcome panel and a card with both forms. Errors
// appear beside the field they concern, in the interface language. It names the server (from
// /api/info) and says when registration needs an invite or is closed; a setup link
// (`#/setup/CODE`) registers the first administrator, an invite link fills in the invite.

import { h, icon } from '../dom.js';
import { t, errorText, formatWait, LANGUAGES, language } from '../i18n.js';
import { field } from './dialogs.js';

const USERNAME_FIELDS = new Set(['username']);
const PASSWORD_FIELDS = new Set(['password']);

/** Mounts the auth screen into `root`; `notice` is an optional message shown above the form. */
export function mountAuth(root, { actions, notice = null, mode: requestedMode }) {
  const link = actions.entryLink?.() ?? {};
  let mode = requestedMode ?? (link.setupCode || link.invite ? 'register' : 'login');
  let countdown = null;

  const tabLogin = h('button', { type: 'button', role: 'tab', id: 'tab-login', class: 'auth-tab', 'aria-controls': 'auth-panel' }, t('auth.tab.login'));
  const tabRegister = h('button', { type: 'button', role: 'tab', id: 'tab-register', class: 'auth-tab', 'aria-controls': 'auth-panel' }, t('auth.tab.register'));
  const tabs = h('div', { class: 'auth-tabs', role: 'tablist', 'aria-label': t('app.name') }, tabLogin, tabRegister);

  const heading = h('h1', { class: 'auth-title' });
  const noticeEl = h('p', { class: 'auth-notice', role: 'status' });
  const username = field({ label: t('auth.username'), name: 'username', autocomplete: 'username', maxlength: 32 });
  const password = field({ label: t('auth.password'), name: 'password', type: 'password', autocomplete: 'current-password', maxlength: 128 });
  const confirm = field({ label: t('auth.confirm'), name: 'confirm', type: 'password', autocomplete: 'new-password', maxlength: 128 });
  const email = field({ label: t('auth.email'), name: 'email', type: 'email', autocomplete: 'email' });
  const invite = field({ label: t('auth.invite'), name: 'invite', maxlength: 64, value: link.invite ?? '', hint: t('auth.inviteHint') });
  const policyLine = h('p', { class: 'auth-policy', 'data-testid': 'auth-policy', hidden: true });
  const linkLine = h('p', { class: 'auth-link-note', 'data-testid': 'auth-link-note', hidden: !link.setupCode && !link.invite, text: link.setupCode ? t('auth.setupNote') : link.invite ? t('auth.inviteNote') : '' });
  let policy = 'open';
  const rememberBox = h('input', { type: 'checkbox', id: 'remember', name: 'remember' });
  const remember = h('label', { class: 'check', for: 'remember' }, rememberBox, h('span', { text: t('auth.remember') }));
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' });

  const reveal = h('button', { type: 'button', class: 'icon-btn field-reveal', 'aria-label': t('auth.showPassword'), 'aria-pressed': 'false' }, icon('eye'));
  reveal.addEventListener('click', () => {
    const show = password.input.type === 'password';
    password.input.type = show ? 'text' : 'password';
    reveal.setAttribute('aria-pressed', String(show));
    reveal.setAttribute('aria-label', t(show ? 'auth.hidePassword' : 'auth.showPassword'));
  });
  password.el.classList.add('field-with-reveal');
  password.el.insertBefore(reveal, password.input.nextSibling);

  const form = h(
    'form',
    { class: 'auth-form', novalidate: true },
    heading,
    noticeEl,
    linkLine,
    policyLine,
    username.el,
    password.el,
    confirm.el,
    email.el,
    invite.el,
    remember,
    formError,
    submit,
  );

  const langSelect = h(
    'select',
    { id: 'auth-language', class: 'select-compact', 'aria-label': t('auth.language') },
    LANGUAGES.map((l) => h('option', { value: l.code, selected: l.code === language() }, l.name)),
  );
  langSelect.addEventListener('change', () => actions.setLanguage(langSelect.value));

  // Platforms that choose their server say which one this is, and offer to change it.
  const desktop = actions.capabilities?.().serverChoice ? actions.desktopState?.() : null;
  const serverLine = desktop
    ? h(
        'p',
        { class: 'auth-server', 'data-testid': 'auth-server' },
        h('span', {
          text: desktop.settings?.mode === 'host' ? t('auth.serverHost') : t('auth.serverRemote', { url: desktop.server_url ?? '' }),
        }),
        h('button', { type: 'button', class: 'link-btn', 'data-testid': 'auth-change-server', onclick: () => actions.chooseServer() }, t('auth.changeServer')),
      )
    : null;
  // The tab panel wraps the form (a <form> keeps its own role for assistive technology).
  const panel = h('div', { id: 'auth-panel', role: 'tabpanel' }, form);
  // Filled in once /api/info says the server has its own certificate (a browser only: the
  // desktop app checks the fingerprint itself).
  const identity = h('details', { class: 'auth-identity', 'data-testid': 'auth-identity', hidden: true });
  const card = h('div', { class: 'auth-card' }, h('div', { class: 'auth-card-top' }, tabs, langSelect), panel, serverLine, identity);
  const serverName = h('p', { class: 'auth-server-name', 'data-testid': 'auth-server-name', hidden: true });
  const hero = h(
    'section',
    { class: 'auth-hero' },
    h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('chat')), h('span', { text: t('app.name') })),
    serverName,
    h('p', { class: 'auth-tagline', text: t('app.tagline') }),
    h(
      'ul',
      { class: 'auth-points' },
      h('li', { text: `💬 ${t('hero.point1')}` }),
      h('li', { text: `⚡ ${t('hero.point2')}` }),
      h('li', { text: `📱 ${t('hero.point3')}` }),
    ),
  );
  const screen = h('main', { class: 'auth-screen' }, hero, card);
  root.replaceChildren(screen);

  const clearErrors = () => {
    for (const f of [username, password, confirm, email, invite]) f.setError(null);
    formError.textContent = '';
    stopCountdown();
  };

  const setMode = (next) => {
    mode = next;
    const isLogin = mode === 'login';
    tabLogin.setAttribute('aria-selected', String(isLogin));
    tabRegister.setAttribute('aria-selected', String(!isLogin));
    tabLogin.tabIndex = isLogin ? 0 : -1;
    tabRegister.tabIndex = isLogin ? -1 : 0;
    panel.setAttribute('aria-labelledby', isLogin ? 'tab-login' : 'tab-register');
    heading.textContent = t(isLogin ? 'auth.login.title' : 'auth.register.title');
    submit.textContent = t(isLogin ? 'auth.submit.login' : 'auth.submit.register');
    confirm.el.hidden = isLogin;
    email.el.hidden = isLogin;
    invite.el.hidden = isLogin || (policy === 'open' && !link.invite) || Boolean(link.setupCode);
    renderPolicy();
    password.input.autocomplete = isLogin ? 'current-password' : 'new-password';
    setHint(username, isLogin ? null : t('auth.hint.username'));
    setHint(password, isLogin ? null : t('auth.hint.password'));
    clearErrors();
  };

  /** What registration needs on this server, said on the Register tab. */
  function renderPolicy() {
    const text = link.setupCode || mode === 'login' ? '' : policy === 'invite' ? t('auth.policy.invite') : policy === 'closed' ? t('auth.policy.closed') : '';
    policyLine.textContent = text;
    policyLine.hidden = !text;
  }

  actions.serverInfo?.().then(
    (info) => {
      if (!screen.isConnected || !info) return;
      policy = info.registration ?? 'open';
      if (info.server_name && info.server_name !== t('app.name')) {
        serverName.textContent = info.server_name;
        serverName.hidden = false;
      }
      document.title = info.server_name ? `${info.server_name} · ${t('app.name')}` : t('app.name');
      if (info.tls_fingerprint && !desktop && globalThis.location?.protocol === 'https:') {
        identity.replaceChildren(
          h('summary', { text: t('auth.identity.summary') }),
          h('p', { text: t('auth.identity.how') }),
          h('p', { text: t('auth.identity.differ') }),
          h('p', { text: t('auth.identity.app') }),
        );
        identity.hidden = false;
      }
      invite.el.hidden = mode === 'login' || (policy === 'open' && !link.invite) || Boolean(link.setupCode);
      renderPolicy();
    },
    () => {},
  );

  function setHint(f, text) {
    let hint = f.el.querySelector('.field-hint');
    if (!text) {
      hint?.remove();
      f.input.setAttribute('aria-describedby', f.errorEl.id);
      return;
    }
    if (!hint) {
      hint = h('p', { class: 'field-hint', id: `${f.input.id}-hint` });
      f.el.insertBefore(hint, f.errorEl);
      f.input.setAttribute('aria-describedby', `${hint.id} ${f.errorEl.id}`);
    }
    hint.textContent = text;
  }

  tabLogin.addEventListener('click', () => setMode('login'));
  tabRegister.addEventListener('click', () => setMode('register'));
  tabs.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const next = mode === 'login' ? tabRegister : tabLogin;
    next.click();
    next.focus();
  });

  function stopCountdown() {
    clearInterval(countdown);
    countdown = null;
  }

  function showThrottled(error) {
    const until = Date.now() + (error.retryAfter ?? 60) * 1000;
    const render = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        stopCountdown();
        password.setError(null);
        return;
      }
      password.setError(t('err.code.too_many_attempts', { wait: formatWait(left) }));
    };
    stopCountdown();
    render();
    countdown = setInterval(render, 1000);
  }

  function showError(error) {
    if (error?.code === 'too_many_attempts') {
      showThrottled(error);
      password.input.focus();
      return;
    }
    const text = errorText(error);
    const target =
      error?.field === 'username' || USERNAME_FIELDS.has(error?.field) || error?.code === 'username_taken'
        ? username
        : error?.field === 'email'
          ? email
          : error?.code === 'invalid_invite' && !invite.el.hidden
            ? invite
          : error?.field === 'password' || PASSWORD_FIELDS.has(error?.field) || error?.code === 'invalid_credentials'
            ? password
            : null;
    if (target) {
      target.setError(text);
      target.input.focus();
    } else {
      formError.textContent = text;
    }
  }

  function validate() {
    let ok = true;
    const fail = (f, text) => {
      if (ok) f.input.focus();
      f.setError(text);
      ok = false;
    };
    const name = username.input.value.trim();
    if (!name) fail(username, t('err.required'));
    else if (mode === 'register' && ([...name].length < 3 || [...name].length > 32)) fail(username, t('err.usernameLength'));
    if (!password.input.value) fail(password, t('err.required'));
    else if (mode === 'register' && password.input.value.length < 8) fail(password, t('err.passwordLength'));
    if (mode === 'register' && password.input.value && confirm.input.value !== password.input.value) fail(confirm, t('err.passwordMismatch'));
    return ok;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    if (!validate()) return;
    submit.disabled = true;
    const label = submit.textContent;
    submit.textContent = t('auth.busy');
    form.setAttribute('aria-busy', 'true');
    try {
      const name = username.input.value.trim();
      if (mode === 'login') await actions.login(name, password.input.value, rememberBox.checked);
      else {
        const extra = link.setupCode ? { setupCode: link.setupCode } : invite.input.value.trim() ? { invite: invite.input.value.trim() } : {};
        await actions.register(name, password.input.value, email.input.value.trim() || null, rememberBox.checked, extra);
      }
    } catch (error) {
      if (!form.isConnected) return;
      submit.disabled = false;
      submit.textContent = label;
      form.removeAttribute('aria-busy');
      showError(error);
    }
  });

  setMode(mode);
  if (notice) noticeEl.textContent = notice;
  else noticeEl.hidden = true;
  username.input.focus();

  return {
    mode: () => mode,
    destroy() {
      stopCountdown();
    },
  };
}
