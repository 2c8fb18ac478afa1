// Modal dialogs on the native <dialog> element: focus moves into the dialog, Tab stays inside
// it, Escape closes it, and focus returns to whatever opened it.

import { h, icon } from '../dom.js';
import { t } from '../i18n.js';

/**
 * Opens a modal dialog titled `title` whose body `build(close)` returns. Resolves when it
 * closes, with whatever was passed to `close(value)` (undefined for Escape / the close button).
 */
export function openDialog({ title, build, className = '', initialFocus = null }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    let result;
    const titleId = `dialog-title-${Math.random().toString(36).slice(2, 8)}`;
    const dialog = h('dialog', { class: `dialog ${className}`, 'aria-labelledby': titleId });
    // Done at once when closed from here: the browser's `close` event comes a task later and,
    // with another dialog opening meanwhile, may come late, leaving two dialogs in the page.
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(result);
    };
    const close = (value) => {
      result = value;
      dialog.close();
      finish();
    };
    const header = h(
      'header',
      { class: 'dialog-head' },
      h('h2', { id: titleId, text: title }),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('dialog.close'), onclick: () => close(undefined) }, icon('close')),
    );
    const body = h('div', { class: 'dialog-body' }, build(close));
    dialog.append(header, body);
    // Escape closes the dialog without going through `close` above.
    dialog.addEventListener('close', finish);
    // A click on the backdrop (outside the dialog box) closes it.
    dialog.addEventListener('mousedown', (event) => {
      if (event.target === dialog) {
        const r = dialog.getBoundingClientRect();
        const inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
        if (!inside) close(undefined);
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    const target = (initialFocus && initialFocus(dialog)) || dialog.querySelector('input, textarea, select, [data-autofocus]') || body.querySelector('button');
    target?.focus();
  });
}

/** Asks a yes/no question; resolves true when confirmed. */
export function confirmDialog({ title, message, detail = null, confirmLabel = t('dialog.confirm'), danger = false }) {
  return openDialog({
    title,
    className: 'dialog-confirm',
    build: (close) =>
      h(
        'div',
        { class: 'confirm' },
        message ? h('p', { text: message }) : null,
        detail ? h('p', { class: 'muted', text: detail }) : null,
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close(false) }, t('dialog.cancel')),
          h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-autofocus': true, onclick: () => close(true) }, confirmLabel),
        ),
      ),
    initialFocus: (dialog) => dialog.querySelector('[data-autofocus]'),
  }).then((value) => value === true);
}

let fieldSeq = 0;

/**
 * A labelled form field with a hint and an error line wired up with aria-describedby. Returns
 * `{el, input, setError(text|null)}`.
 */
export function field({ label, type = 'text', name, autocomplete = 'off', hint = null, value = '', multiline = false, required = false, maxlength = null, placeholder = null }) {
  fieldSeq += 1;
  const id = `f-${name}-${fieldSeq}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const input = multiline
    ? h('textarea', { id, name, rows: 3, maxlength, placeholder })
    : h('input', { id, name, type, autocomplete, maxlength, placeholder, required, spellcheck: type === 'text' ? 'false' : null });
  input.value = value ?? '';
  input.setAttribute('aria-describedby', hint ? `${hintId} ${errorId}` : errorId);
  const error = h('p', { class: 'field-error', id: errorId, 'aria-live': 'polite' });
  const el = h(
    'div',
    { class: 'field' },
    h('label', { for: id, text: label }),
    input,
    hint ? h('p', { class: 'field-hint', id: hintId, text: hint }) : null,
    error,
  );
  const setError = (text) => {
    error.textContent = text ?? '';
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  input.addEventListener('input', () => setError(null));
  return { el, input, setError, errorEl: error };
}
