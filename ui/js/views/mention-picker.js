// The `@` autocomplete of the composer: while the word at the caret starts with `@`, the room's
// members whose names start with what follows are offered. Arrow keys move, Enter or Tab pick,
// Escape closes. Nothing happens while an input method is composing (Chinese, Japanese, …):
// the list follows once the composed text is in the box.

import { h, avatar } from '../dom.js';
import { t } from '../i18n.js';
import { mentionAt, matchMembers, completeMention } from '../mentions.js';

export function createMentionPicker({ textarea, members, me, onPicked }) {
  const list = h('ul', { class: 'mention-picker', id: 'mention-picker', role: 'listbox', 'aria-label': t('composer.mentionList'), hidden: true });
  let matches = [];
  let active = 0;
  let at = null;
  let composing = false;

  function close() {
    if (list.hidden) return;
    list.hidden = true;
    matches = [];
    at = null;
    textarea.removeAttribute('aria-activedescendant');
    textarea.setAttribute('aria-expanded', 'false');
  }

  function render() {
    list.replaceChildren(
      ...matches.map((m, i) =>
        h(
          'li',
          {
            id: `mention-option-${i}`,
            role: 'option',
            class: `mention-option${i === active ? ' active' : ''}`,
            'aria-selected': String(i === active),
            'data-user': m.username,
            // mousedown, not click: the textarea must keep its focus and caret.
            onmousedown: (event) => {
              event.preventDefault();
              pick(i);
            },
          },
          avatar(m, 'xs'),
          h('span', { text: m.username }),
        ),
      ),
    );
    textarea.setAttribute('aria-activedescendant', `mention-option-${active}`);
  }

  /** Looks at the word at the caret again; opens, updates or closes the list. */
  function refresh() {
    if (composing) return;
    const caret = textarea.selectionStart ?? textarea.value.length;
    at = textarea.selectionEnd === caret ? mentionAt(textarea.value, caret) : null;
    matches = at ? matchMembers(members(), at.query, { me: me() }) : [];
    if (matches.length === 0) {
      close();
      return;
    }
    active = Math.min(active, matches.length - 1);
    list.hidden = false;
    textarea.setAttribute('aria-expanded', 'true');
    render();
  }

  function pick(i) {
    const member = matches[i];
    if (!member || !at) return;
    const caret = textarea.selectionStart ?? textarea.value.length;
    const next = completeMention(textarea.value, at.start, caret, member.username);
    textarea.value = next.value;
    textarea.setSelectionRange(next.caret, next.caret);
    close();
    onPicked();
  }

  /** Handles a key while the list is open; true if it was the list's key. */
  function onKey(event) {
    if (list.hidden || composing || event.isComposing || event.keyCode === 229) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      active = (active + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
      render();
    } else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      pick(active);
    } else if (event.key === 'Escape') {
      close();
      event.stopPropagation();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  textarea.setAttribute('aria-controls', 'mention-picker');
  textarea.setAttribute('aria-autocomplete', 'list');
  textarea.addEventListener('compositionstart', () => {
    composing = true;
    close();
  });
  textarea.addEventListener('compositionend', () => {
    composing = false;
    refresh();
  });
  textarea.addEventListener('input', (event) => {
    if (!event.isComposing) refresh();
  });
  textarea.addEventListener('click', refresh);
  textarea.addEventListener('blur', close);

  return { el: list, onKey, close, refresh };
}
