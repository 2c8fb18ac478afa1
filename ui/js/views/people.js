// People in dialogs: a person's profile card (with "Message"), the "New message" picker that
// finds people and opens or creates the conversation, my status, and the "Mentions" list.

import { h, avatar } from '../dom.js';
import { t, errorText, language } from '../i18n.js';
import { formatDateTime } from '../format.js';
import { roomTitle } from '../state.js';
import { openDialog, field } from './dialogs.js';
import { toast } from './toast.js';
import { plainText } from '../markdown.js';

/** The statuses a person can choose, in menu order. */
export const STATUSES = ['online', 'away', 'dnd'];

/** A presence dot for `status` (`online`, `away`, `dnd`, `offline`). */
export function presenceDot(status) {
  return h('span', { class: `presence-dot ${status ?? 'offline'}`, 'aria-hidden': 'true' });
}

/** Opens the profile card of user `userId`; "Message" opens our conversation. */
export async function openProfile({ userId, me, actions }) {
  let user;
  try {
    user = await actions.profile(userId);
  } catch (error) {
    toast(errorText(error), { kind: 'error' });
    return;
  }
  await openDialog({
    title: user.username,
    className: 'dialog-profile',
    build: (close) =>
      h(
        'div',
        { class: 'profile-card', 'data-user': user.username },
        h('span', { class: 'avatar-wrap' }, avatar(user, 'lg'), presenceDot(user.status)),
        h('p', { class: 'profile-status', 'data-status': user.status, text: t(`status.${user.status}`) }),
        user.is_deactivated ? h('p', {}, h('span', { class: 'pill pill-deactivated', text: t('people.deactivated') })) : null,
        user.status_text ? h('p', { class: 'profile-status-text', text: user.status_text }) : null,
        user.id === me?.id
          ? null
          : h(
              'div',
              { class: 'dialog-actions' },
              h('button', {
                type: 'button',
                class: 'btn btn-primary',
                'data-autofocus': true,
                onclick: async () => {
                  try {
                    await actions.openDm([user.id]);
                    close(true);
                  } catch (error) {
                    toast(errorText(error), { kind: 'error' });
                  }
                },
              }, t('people.message')),
            ),
      ),
    initialFocus: (dialog) => dialog.querySelector('[data-autofocus]'),
  });
}

/** The "New message" picker: search people, choose one or more, open the conversation. */
export function newMessageDialog({ store, actions }) {
  const me = store.state.me;
  const chosen = new Map(); // id → user
  const search = field({ label: t('people.search'), name: 'people', placeholder: t('people.searchPlaceholder'), maxlength: 32 });
  // A list of toggle buttons (one per person): a listbox may not hold buttons.
  const results = h('ul', { class: 'people-results', 'aria-label': t('people.results') });
  const chips = h('div', { class: 'people-chosen', 'aria-live': 'polite' });
  const start = h('button', { type: 'submit', class: 'btn btn-primary', disabled: true }, t('people.message'));
  let seq = 0;

  function renderChosen() {
    chips.replaceChildren(...[...chosen.values()].map((u) => h('span', { class: 'pill', text: u.username })));
    start.disabled = chosen.size === 0 || chosen.size > 7;
  }

  function renderResults(users) {
    results.replaceChildren(
      ...users
        .filter((u) => u.id !== me?.id)
        .map((u) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'person',
                'aria-pressed': String(chosen.has(u.id)),
                'data-user': u.username,
                onclick: (event) => {
                  if (chosen.has(u.id)) chosen.delete(u.id);
                  else chosen.set(u.id, u);
                  event.currentTarget.setAttribute('aria-pressed', String(chosen.has(u.id)));
                  renderChosen();
                },
              },
              h('span', { class: 'avatar-wrap' }, avatar(u, 'sm'), presenceDot(u.status)),
              h('span', { class: 'person-name', text: u.username }),
            ),
          ),
        ),
    );
  }

  async function find() {
    const mine = ++seq;
    try {
      const users = await actions.searchPeople(search.input.value.trim());
      if (mine === seq) renderResults(users);
    } catch (error) {
      if (mine === seq) search.setError(errorText(error));
    }
  }

  search.input.addEventListener('input', find);
  find();
  return openDialog({
    title: t('people.newMessage'),
    className: 'dialog-people',
    build: (close) => {
      const form = h('form', { class: 'people-form', novalidate: true }, search.el, chips, results, h('div', { class: 'dialog-actions' }, start));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (chosen.size === 0) return;
        start.disabled = true;
        try {
          await actions.openDm([...chosen.keys()]);
          close(true);
        } catch (error) {
          toast(errorText(error), { kind: 'error' });
          start.disabled = false;
        }
      });
      return form;
    },
  });
}

/** Setting my status: online, away or do not disturb, and a line of text. */
export function statusDialog({ store, actions }) {
  const me = store.state.me ?? {};
  const current = STATUSES.includes(me.status) ? me.status : 'online';
  const text = field({ label: t('status.text'), name: 'status_text', value: me.status_text ?? '', maxlength: 100, placeholder: t('status.textPlaceholder') });
  const choices = STATUSES.map((status) =>
    h(
      'label',
      { class: 'status-choice' },
      h('input', { type: 'radio', name: 'status', value: status, checked: status === current }),
      presenceDot(status),
      h('span', { text: t(`status.${status}`) }),
    ),
  );
  return openDialog({
    title: t('status.set'),
    className: 'dialog-status',
    build: (close) => {
      const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('status.save'));
      const form = h('form', { class: 'status-form', novalidate: true }, h('fieldset', { class: 'status-choices' }, h('legend', { text: t('status.label') }), ...choices), text.el, h('div', { class: 'dialog-actions' }, save));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const status = form.querySelector('input[name="status"]:checked')?.value ?? 'online';
        save.disabled = true;
        try {
          await actions.setStatus(status, text.input.value.trim());
          close(true);
        } catch (error) {
          text.setError(errorText(error));
          save.disabled = false;
        }
      });
      return form;
    },
    initialFocus: (dialog) => dialog.querySelector('input[name="status"]:checked'),
  });
}

/** "Mentions": the messages that mention me, newest first; choosing one shows it in its room. */
export function mentionsDialog({ store, actions }) {
  const list = h('ul', { class: 'mention-list' });
  const more = h('button', { type: 'button', class: 'btn btn-ghost', hidden: true }, t('mentions.more'));
  const status = h('p', { class: 'muted', text: t('msg.loading') });
  let close = () => {};

  function render() {
    const { items, hasMore } = store.state.mentions;
    status.textContent = items.length ? '' : t('mentions.none');
    more.hidden = !hasMore || items.length === 0;
    list.replaceChildren(
      ...items.map((m) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'mention-item',
              'data-message-id': m.id,
              onclick: () => {
                close(true);
                // Loads the history around it when it is not among the loaded messages.
                actions.jumpToMessage(m.room_id, m.id);
              },
            },
            h('span', { class: 'mention-where', text: `${m.username ?? ''} · ${roomTitle(store.state.rooms[m.room_id]) || '…'}` }),
            h('span', { class: 'mention-text', text: plainText(m.content) }),
            h('time', { datetime: m.timestamp, text: formatDateTime(m.timestamp, language()) }),
          ),
        ),
      ),
    );
  }

  const load = (older) =>
    actions
      .loadMentions({ older })
      .then(render)
      .catch((error) => {
        status.textContent = errorText(error);
      });
  more.addEventListener('click', () => load(true));
  load(false);
  return openDialog({
    title: t('mentions.title'),
    className: 'dialog-mentions',
    build: (doClose) => {
      close = doClose;
      return h('div', { class: 'mentions-view' }, status, list, more);
    },
  });
}
