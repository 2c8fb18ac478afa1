// The timeline's keyboard and touch handling: one row at a time is its tab stop (roving
// focus: arrow keys, Home and End move between the rendered rows, Tab reaches the focused row's
// actions and author), and on touch screens a message's actions appear on tap or long-press.

/** Installs the handlers on `rowsEl` (the rendered rows); `rove()` after rendering rows. */
export function installRovingFocus(rowsEl) {
  // The tab stop is the row focused last, else the newest rendered.
  let focusKey = null; // the row that last had focus
  function rove() {
    const focused = focusKey ? rowsEl.querySelector(`[data-key="${CSS.escape(focusKey)}"]`) : null;
    const stop = focused ?? [...rowsEl.querySelectorAll(':scope > [tabindex]')].pop() ?? null;
    for (const row of rowsEl.querySelectorAll(':scope > [tabindex="0"]')) if (row !== stop) row.tabIndex = -1;
    if (stop) stop.tabIndex = 0;
  }
  rowsEl.addEventListener('focusin', (event) => {
    const row = event.target.closest('[data-key]');
    if (!row || row.parentElement !== rowsEl) return;
    focusKey = row.dataset.key;
    rove();
    for (const button of row.querySelectorAll('.msg-actions button, .person-link, .reply-quote, .reaction-chip, .thread-line')) button.tabIndex = 0;
  });
  rowsEl.addEventListener('focusout', (event) => {
    const row = event.target.closest('[data-key]');
    if (row && !row.contains(event.relatedTarget)) for (const button of row.querySelectorAll('.msg-actions button, .person-link, .reply-quote, .reaction-chip, .thread-line')) button.tabIndex = -1;
  });
  rowsEl.addEventListener('keydown', (event) => {
    if (event.isComposing || event.keyCode === 229 || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const row = event.target;
    if (!row.dataset?.key || row.parentElement !== rowsEl) return;
    const all = [...rowsEl.querySelectorAll(':scope > [tabindex]')];
    const at = all.indexOf(row);
    let to = null;
    if (event.key === 'ArrowUp') to = all[at - 1];
    else if (event.key === 'ArrowDown') to = all[at + 1];
    else if (event.key === 'Home') to = all[0];
    else if (event.key === 'End') to = all[all.length - 1];
    if (to === null) return;
    event.preventDefault();
    if (!to) return;
    to.focus({ preventScroll: true });
    to.scrollIntoView({ block: 'nearest' });
  });

  // On touch screens a message's actions appear on tap or long-press, not permanently.
  rowsEl.addEventListener('pointerup', (event) => {
    if (event.pointerType !== 'touch' || event.target.closest('button, a, textarea, img, video')) return;
    toggleActions(event.target.closest('.msg'));
  });
  rowsEl.addEventListener('contextmenu', (event) => {
    const row = event.target.closest('.msg');
    if (!row?.querySelector('.msg-actions') || !matchMedia('(hover: none)').matches) return;
    event.preventDefault();
    toggleActions(row, true);
  });
  function toggleActions(row, open = null) {
    if (!row) return;
    const show = open ?? !row.classList.contains('actions-open');
    for (const other of rowsEl.querySelectorAll('.msg.actions-open')) if (other !== row) other.classList.remove('actions-open');
    row.classList.toggle('actions-open', show);
  }

  return {
    rove,
    /** Another room: no row has had focus yet. */
    reset() {
      focusKey = null;
    },
  };
}
