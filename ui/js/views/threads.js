// "Threads": the threads I follow, the most recently active first, each with its unread
// replies; picking one opens its room at the root and the thread beside it. And a room's
// pinned messages, each jumping to its place in the room.

import { h } from '../dom.js';
import { t, language, errorText } from '../i18n.js';
import { formatRelative } from '../format.js';
import { roomTitle } from '../state.js';
import { openDialog } from './dialogs.js';

export function threadsDialog({ store, actions }) {
  const list = h('ul', { class: 'threads-list' });
  const status = h('p', { class: 'muted', text: t('msg.loading') });
  let close = () => {};

  function render() {
    const { items, loaded } = store.state.followed;
    status.textContent = loaded && items.length === 0 ? t('threads.none') : '';
    list.replaceChildren(
      ...items.map(({ root, unread_count: unread }) => {
        const thread = root.thread ?? { reply_count: 0, last_reply_at: root.timestamp };
        return h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: `threads-item${unread > 0 ? ' unread' : ''}`,
              'data-thread-root': root.id,
              onclick: () => {
                close(true);
                actions.openFollowed(root).catch(() => {});
              },
            },
            h('span', { class: 'threads-where', text: `${root.username ?? ''} · ${roomTitle(store.state.rooms[root.room_id]) || '…'}` }),
            h('span', { class: 'threads-text', dir: 'auto', text: root.is_deleted ? t('msg.deleted') : root.content }),
            h(
              'span',
              { class: 'threads-meta' },
              h('span', { text: `${t('thread.replies', { n: thread.reply_count })} · ${t('thread.lastReply', { when: formatRelative(thread.last_reply_at, language(), new Date(), t('thread.justNow')) })}` }),
              unread > 0 ? h('span', { class: 'badge threads-unread', text: t('threads.unread', { n: unread }) }) : null,
            ),
          ),
        );
      }),
    );
  }

  const unsubscribe = store.subscribe(render);
  actions
    .loadThreads()
    .then(render)
    .catch((error) => {
      status.textContent = errorText(error);
    });
  render();
  return openDialog({
    title: t('threads.title'),
    className: 'dialog-threads',
    build: (doClose) => {
      close = doClose;
      return h('div', { class: 'threads-view' }, status, list);
    },
  }).finally(unsubscribe);
}

/** The pinned messages of room `roomId`; picking one shows it in the room. */
export function pinsDialog({ store, actions, roomId }) {
  const list = h('ul', { class: 'threads-list pins-list' });
  const status = h('p', { class: 'muted', text: t('msg.loading') });
  let close = () => {};
  actions
    .loadPins(roomId)
    .then((messages) => {
      status.textContent = messages.length ? '' : t('pins.none');
      list.replaceChildren(
        ...messages.map((m) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'threads-item',
                'data-message-id': m.id,
                onclick: () => {
                  close(true);
                  actions.jumpToMessage(m.room_id, m.id);
                },
              },
              h('span', { class: 'threads-where', text: `${m.username ?? ''} · ${formatRelative(m.timestamp, language(), new Date(), t('thread.justNow'))}` }),
              h('span', { class: 'threads-text', dir: 'auto', text: m.content || (m.attachment?.file_name ?? '') }),
            ),
          ),
        ),
      );
    })
    .catch((error) => {
      status.textContent = errorText(error);
    });
  return openDialog({
    title: t('pins.title', { room: roomTitle(store.state.rooms[roomId]) }),
    className: 'dialog-threads',
    build: (doClose) => {
      close = doClose;
      return h('div', { class: 'threads-view' }, status, list);
    },
  });
}
