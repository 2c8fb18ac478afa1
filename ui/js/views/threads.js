// "Threads": the threads I follow, the most recently active first, each with its unread
// replies; picking one opens its room at the root and the thread beside it.

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
