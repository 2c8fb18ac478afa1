// Message search: the field in the top bar (Ctrl/⌘+F or `/` focuses it), suggestions for
// `from:` (people) and `in:` (rooms) as one types, and the results panel: room, author, time and
// the text with the matched words marked. Choosing a result opens its room at that message,
// highlighted; "Show more" pages on with the server's cursor.

import { h, icon } from '../dom.js';
import { t, errorText, language } from '../i18n.js';
import { formatDateTime } from '../format.js';
import { roomTitle } from '../state.js';
import { highlightParts, filterSuggestions, applySuggestion } from '../search-query.js';
import { composing } from './shortcuts.js';

/** Creates the search field (`el`) and its results panel (`panel`); `focus()` focuses the field. */
export function createSearch({ store, actions }) {
  const listId = `search-suggest-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', {
    type: 'search',
    class: 'search-input',
    role: 'combobox',
    'aria-label': t('search.label'),
    'aria-expanded': 'false',
    'aria-controls': listId,
    'aria-autocomplete': 'list',
    placeholder: t('search.placeholder'),
    autocomplete: 'off',
    spellcheck: 'false',
    enterkeyhint: 'search',
    'data-testid': 'search-input',
  });
  const suggestList = h('ul', { class: 'search-suggestions', id: listId, role: 'listbox', 'aria-label': t('search.suggestions'), hidden: true });
  const el = h('form', { class: 'search', role: 'search', onsubmit: (event) => event.preventDefault() }, h('span', { class: 'search-icon' }, icon('search')), input, suggestList);

  const status = h('p', { class: 'search-status muted', role: 'status' });
  const list = h('ul', { class: 'search-results' });
  const more = h('button', { type: 'button', class: 'btn btn-ghost search-more', hidden: true }, t('search.more'));
  const closeBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('search.close'), title: t('search.close') }, icon('close'));
  const panel = h(
    'section',
    { class: 'search-panel', hidden: true, 'aria-label': t('search.results'), 'data-testid': 'search-results' },
    h('div', { class: 'search-panel-head' }, h('h2', { class: 'search-panel-title', text: t('search.results') }), closeBtn),
    status,
    list,
    more,
  );

  let suggestion = null;
  let active = 0;
  let query = '';
  let cursor = null;
  let generation = 0;

  function people() {
    const state = store.state;
    const names = new Set();
    for (const members of Object.values(state.members)) for (const m of members ?? []) names.add(m.username);
    for (const room of Object.values(state.rooms)) for (const u of room.dm_users ?? []) names.add(u.username);
    if (state.me?.username) names.add(state.me.username);
    return [...names].filter(Boolean).sort((a, b) => a.localeCompare(b));
  }

  function rooms() {
    return Object.values(store.state.rooms)
      .filter((room) => room.is_member && room.kind !== 'direct')
      .map((room) => room.name)
      .sort((a, b) => a.localeCompare(b));
  }

  function renderSuggestions() {
    suggestion = filterSuggestions(input.value, input.selectionStart ?? input.value.length, { people: people(), rooms: rooms() });
    const items = suggestion?.items ?? [];
    active = Math.min(active, Math.max(0, items.length - 1));
    suggestList.hidden = items.length === 0;
    input.setAttribute('aria-expanded', String(items.length > 0));
    suggestList.replaceChildren(
      ...items.map((item, i) =>
        h('li', {
          id: `${listId}-${i}`,
          role: 'option',
          class: `search-suggestion${i === active ? ' active' : ''}`,
          'aria-selected': String(i === active),
          text: item.label,
          onmousedown: (event) => event.preventDefault(),
          onclick: () => choose(item),
        }),
      ),
    );
    if (items.length) input.setAttribute('aria-activedescendant', `${listId}-${active}`);
    else input.removeAttribute('aria-activedescendant');
  }

  function choose(item) {
    const next = applySuggestion(input.value, suggestion, item.insert);
    input.value = next.value;
    input.setSelectionRange(next.caret, next.caret);
    active = 0;
    renderSuggestions();
    input.focus();
  }

  function hideSuggestions() {
    suggestion = null;
    suggestList.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function resultItem({ message, room, highlights }) {
    const known = store.state.rooms[room.id];
    const where = room.kind === 'direct' ? (known ? roomTitle(known) : t('room.direct')) : `#${room.name}`;
    const text = highlightParts(message.content, highlights).map((part) => (part.hit ? h('mark', { text: part.text }) : part.text));
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'search-result',
          'data-message-id': message.id,
          onclick: () => {
            close();
            // Loads the history around it when it is not among the loaded messages.
            actions.jumpToMessage(room.id, message.id);
          },
        },
        h(
          'span',
          { class: 'search-where' },
          h('span', { class: 'search-room', dir: 'auto', text: where }),
          h('span', { class: 'search-author', dir: 'auto', text: message.username ?? '' }),
          h('time', { datetime: message.timestamp, text: formatDateTime(message.timestamp, language()) }),
        ),
        h('span', { class: 'search-text', dir: 'auto' }, ...text),
      ),
    );
  }

  async function run({ older = false } = {}) {
    const q = older ? query : input.value.trim();
    if (!q) return;
    const mine = ++generation;
    query = q;
    if (!older) {
      cursor = null;
      list.replaceChildren();
    }
    panel.hidden = false;
    more.hidden = true;
    status.textContent = t('search.loading');
    try {
      const page = await actions.searchMessages({ q, cursor: older ? cursor : undefined });
      if (mine !== generation) return;
      cursor = page.next_cursor;
      list.append(...page.results.map(resultItem));
      more.hidden = !cursor;
      status.textContent = list.children.length ? t('search.count', { n: list.children.length, more: Boolean(cursor) }) : t('search.none');
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = errorText(error);
    }
  }

  function close() {
    generation += 1;
    panel.hidden = true;
    hideSuggestions();
  }

  input.addEventListener('input', () => {
    active = 0;
    renderSuggestions();
  });
  input.addEventListener('blur', () => hideSuggestions());
  input.addEventListener('keydown', (event) => {
    if (composing(event)) return;
    const items = suggestion?.items ?? [];
    if ((event.key === 'ArrowDown' || event.key === 'ArrowUp') && items.length) {
      event.preventDefault();
      active = (active + (event.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      renderSuggestions();
    } else if ((event.key === 'Enter' || event.key === 'Tab') && items.length) {
      event.preventDefault();
      choose(items[active]);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      hideSuggestions();
      run();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      if (items.length) hideSuggestions();
      else if (!panel.hidden) close();
      else input.blur();
    }
  });
  more.addEventListener('click', () => run({ older: true }));
  closeBtn.addEventListener('click', () => {
    close();
    input.focus();
  });
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented) {
      event.preventDefault();
      close();
      input.focus();
    }
  });

  return {
    el,
    panel,
    focus() {
      input.focus();
      input.select();
    },
  };
}
