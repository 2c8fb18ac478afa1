// "Choose a new password": shown after signing in with a temporary password an administrator
// set (or when the server says this session must replace it first). Nothing else opens until
// the new password is saved; signing out is the other way out.

import { h, icon } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { field } from './dialogs.js';

export function mountPasswordChange(root, { actions, knowsCurrent = false }) {
  const current = field({ label: t('password.temporary'), name: 'current', type: 'password', autocomplete: 'current-password', maxlength: 128 });
  const next = field({ label: t('settings.newPassword'), name: 'new', type: 'password', autocomplete: 'new-password', maxlength: 128, hint: t('auth.hint.password') });
  const confirm = field({ label: t('auth.confirm'), name: 'confirm', type: 'password', autocomplete: 'new-password', maxlength: 128 });
  current.el.hidden = knowsCurrent;
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('password.save'));
  const signOut = h('button', { type: 'button', class: 'link-btn', onclick: () => actions.logout() }, t('settings.logout'));
  const form = h(
    'form',
    { class: 'auth-form', novalidate: true },
    h('h1', { class: 'auth-title', text: t('password.title') }),
    h('p', { class: 'auth-notice', text: t('password.explain') }),
    current.el,
    next.el,
    confirm.el,
    formError,
    submit,
    h('p', { class: 'auth-server' }, signOut),
  );
  const screen = h(
    'main',
    { class: 'auth-screen' },
    h('section', { class: 'auth-hero' }, h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('lock')), h('span', { text: t('app.name') }))),
    h('div', { class: 'auth-card', 'data-testid': 'password-change' }, form),
  );
  root.replaceChildren(screen);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const f of [current, next, confirm]) f.setError(null);
    formError.textContent = '';
    if (!knowsCurrent && !current.input.value) return current.setError(t('err.required'));
    if (next.input.value.length < 8) return next.setError(t('err.passwordLength'));
    if (confirm.input.value !== next.input.value) return confirm.setError(t('err.passwordMismatch'));
    submit.disabled = true;
    try {
      await actions.choosePassword(knowsCurrent ? null : current.input.value, next.input.value);
    } catch (error) {
      if (!form.isConnected) return;
      submit.disabled = false;
      const target = error.code === 'wrong_password' ? current : error.field === 'new_password' || error.code === 'invalid_password' ? next : null;
      if (target && !target.el.hidden) {
        target.setError(errorText(error));
        target.input.focus();
      } else formError.textContent = errorText(error);
    }
    return undefined;
  });
  (knowsCurrent ? next : current).input.focus();
  return { destroy() {} };
}
