// The emoji picker: a searchable popover with categories and recently used emoji. Arrow keys
// move within the grid, Enter inserts, Escape closes and gives focus back to the opener.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { CATEGORIES, emojiIn, searchEmoji } from '../emoji.js';
import { loadPrefs, rememberEmoji } from '../prefs.js';

const COLUMNS = 8;

export function createEmojiPicker({ onPick, onClose }) {
  const search = h('input', { type: 'search', class: 'emoji-search', placeholder: t('emoji.search'), 'aria-label': t('emoji.search'), autocomplete: 'off' });
  const tabs = h('div', { class: 'emoji-tabs', role: 'tablist', 'aria-label': t('emoji.title') });
  const grid = h('div', { class: 'emoji-grid', role: 'grid', 'aria-label': t('emoji.title') });
  const title = h('p', { class: 'emoji-section-title' });
  const el = h('div', { class: 'emoji-picker', id: 'emoji-picker', role: 'dialog', 'aria-label': t('emoji.title'), hidden: true }, search, tabs, title, grid);

  let category = loadPrefs().recentEmoji.length ? 'recent' : CATEGORIES[0].id;

  const tabDefs = [{ id: 'recent', icon: '🕘', label: t('emoji.recent') }, ...CATEGORIES.map((c) => ({ id: c.id, icon: c.icon, label: t(`emoji.cat.${c.id}`) }))];
  for (const def of tabDefs) {
    tabs.append(
      h('button', { type: 'button', role: 'tab', class: 'emoji-tab', 'data-category': def.id, 'aria-label': def.label, title: def.label, onclick: () => show(def.id) }, def.icon),
    );
  }

  function show(id) {
    category = id;
    search.value = '';
    render();
  }

  function render() {
    const query = search.value.trim();
    let list;
    if (query) {
      list = searchEmoji(query).map((e) => e.char);
      title.textContent = list.length ? t('emoji.search') : t('emoji.none');
    } else if (category === 'recent') {
      list = loadPrefs().recentEmoji;
      title.textContent = t('emoji.recent');
    } else {
      list = emojiIn(category).map((e) => e.char);
      title.textContent = t(`emoji.cat.${category}`);
    }
    for (const tab of tabs.children) tab.setAttribute('aria-selected', String(!query && tab.dataset.category === category));
    grid.replaceChildren();
    let row = null;
    list.forEach((char, i) => {
      if (i % COLUMNS === 0) {
        row = h('div', { role: 'row', class: 'emoji-row' });
        grid.append(row);
      }
      row.append(h('button', { type: 'button', role: 'gridcell', class: 'emoji-cell', tabindex: i === 0 ? '0' : '-1', 'aria-label': char, onclick: () => pick(char) }, char));
    });
  }

  function pick(char) {
    rememberEmoji(char);
    onPick(char);
  }

  search.addEventListener('input', render);
  search.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || (event.key === 'Enter' && search.value)) {
      event.preventDefault();
      const first = grid.querySelector('.emoji-cell');
      if (event.key === 'Enter' && first) first.click();
      else first?.focus();
    }
  });
  grid.addEventListener('keydown', (event) => {
    const cells = [...grid.querySelectorAll('.emoji-cell')];
    const i = cells.indexOf(document.activeElement);
    if (i < 0) return;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    if (event.key in moves) {
      event.preventDefault();
      const j = i + moves[event.key];
      if (j < 0) search.focus();
      else if (j < cells.length) {
        cells[i].tabIndex = -1;
        cells[j].tabIndex = 0;
        cells[j].focus();
      }
    }
  });
  el.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    }
  });

  return {
    el,
    open() {
      render();
      el.hidden = false;
      search.focus();
    },
    close() {
      el.hidden = true;
    },
    isOpen: () => !el.hidden,
  };
}
