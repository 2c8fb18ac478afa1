// Replies, threads, reactions, pins and permalinks: the thread panel's loading and reading,
// toggling my reactions (shown at once, put right by the server's answer), the quote-reply
// being written, pinning, copying a message's link, the "Threads" list, and opening a
// permalink once signed in.

import * as api from '../net/index.js';
import { errorText, t } from '../i18n.js';
import { hasReacted, withReaction, parsePermalink, permalinkUrl, ownPermalink, inTimeline } from '../conversations.js';

const THREAD_PAGE = 200;

export function createConversations(ctx) {
  const { dispatch, state, ui, env } = ctx;
  /** A permalink waiting for the session to be ready. */
  let pendingLink = parsePermalink(env.location?.hash);

  function fail(error) {
    if (error?.code !== 'network') ui.toast(errorText(error), { kind: 'error' });
  }

  async function loadThread(rootId) {
    const mine = ctx.generation;
    let after = 0;
    // Bounded: a thread of more than 10 pages shows its first 2,000 replies.
    for (let pages = 0; pages < 10; pages++) {
      const page = await api.messages.thread(rootId, { after, limit: THREAD_PAGE });
      if (mine !== ctx.generation) return;
      dispatch({ type: 'thread/loaded', rootId, root: page.root, messages: page.messages, hasMore: page.has_more });
      if (!page.has_more || page.messages.length === 0) break;
      after = page.messages[page.messages.length - 1].id;
    }
  }

  function markThreadRead(rootId) {
    dispatch({ type: 'threads/read', rootId });
    api.messages.threadRead(rootId).catch(() => {});
  }

  /** A new reply in a thread I follow (not mine): counted, and notified like a mention. */
  function onThreadReply(message) {
    const visible = ctx.isVisible();
    dispatch({ type: 'threads/reply', message, visible });
    const open = state().thread?.rootId === message.thread_id;
    if (open && visible) {
      markThreadRead(message.thread_id);
      return;
    }
    // A thread new to the list (I was just mentioned in it): the server has its count.
    if (!state().followed.items.some((f) => f.root.id === message.thread_id)) actions.loadThreads().catch(() => {});
    const me = state().me;
    ctx.notify.maybeNotify({ ...message, mentions: [...(message.mentions ?? []), me?.id] }, false);
  }

  /** After a reconnect: replies to the open thread that arrived meanwhile are fetched. */
  async function refreshThread() {
    const panel = state().thread;
    if (!panel) return;
    try {
      await loadThread(panel.rootId);
    } catch (error) {
      if (error?.code === 'not_found') dispatch({ type: 'thread/close' });
    }
  }

  /** Whether a new message is one the timeline's notifications should speak of. */
  function notifiesInRoom(message) {
    return inTimeline(message);
  }

  /**
   * After a jump to `messageId` in `roomId`: a reply kept to its thread is not in the
   * timeline, so its thread opens beside it (the timeline shows the page around it).
   */
  function revealInThread(roomId, messageId) {
    const message = state().history[roomId]?.items.find((m) => m.id === messageId);
    if (message && !inTimeline(message)) return actions.openThread(message);
    return Promise.resolve();
  }

  /** After `ready`: a permalink the page was opened with (or navigated to) is shown. */
  async function openPendingLink() {
    const link = pendingLink;
    pendingLink = null;
    if (!link) return false;
    if (!state().rooms[link.roomId]) {
      ui.toast(t('link.unavailable'), { kind: 'error' });
      return false;
    }
    await ctx.rooms.openRoom(link.roomId, { around: link.messageId });
    await revealInThread(link.roomId, link.messageId);
    return true;
  }

  env.addEventListener?.('hashchange', () => {
    const link = parsePermalink(env.location?.hash);
    if (!link) return;
    pendingLink = link;
    if (state().me && ctx.socket) openPendingLink().catch(fail);
  });

  const actions = {
    /**
     * Opens `href` in place when it is a link to a message on this server (pasted into a
     * message, say) and says so; anything else is left to the browser or the platform.
     */
    openOwnLink(href) {
      const link = ownPermalink(href, api.serverUrl());
      if (!link) return false;
      pendingLink = link;
      if (state().me && ctx.socket) openPendingLink().catch(fail);
      return true;
    },

    /** Adds my `emoji` to `message`, or removes it if I had it. */
    async toggleReaction(message, emoji) {
      const me = state().me?.id;
      if (me == null || message.is_deleted) return;
      const add = !hasReacted(message, emoji, me);
      const before = message.reactions ?? [];
      dispatch({ type: 'reactions/updated', roomId: message.room_id, messageId: message.id, reactions: withReaction(message, emoji, me, add).reactions });
      try {
        const answer = add ? await api.messages.react(message.id, emoji) : await api.messages.unreact(message.id, emoji);
        dispatch({ type: 'reactions/updated', roomId: message.room_id, messageId: message.id, reactions: answer.reactions });
      } catch (error) {
        dispatch({ type: 'reactions/updated', roomId: message.room_id, messageId: message.id, reactions: before });
        fail(error);
      }
    },

    /** The composer of `roomId` quotes `message` (null: stops quoting). */
    setReplyTo(roomId, message) {
      dispatch({ type: 'reply/set', roomId, message });
    },

    /** Shows the thread of `message` (a root, or a reply standing for its root) in the panel. */
    async openThread(message) {
      let root = message;
      if (message.thread_id != null) {
        root = state().history[message.room_id]?.items.find((m) => m.id === message.thread_id) ?? { ...message, id: message.thread_id, thread_id: null };
      }
      dispatch({ type: 'thread/open', root });
      try {
        await loadThread(root.id);
        if (ctx.isVisible()) markThreadRead(root.id);
      } catch (error) {
        if (error?.code === 'not_found') dispatch({ type: 'thread/close' });
        fail(error);
      }
    },

    closeThread() {
      dispatch({ type: 'thread/close' });
    },

    /** Sends `content` as a reply in the open thread; `alsoToRoom` shows it in the timeline too. */
    replyInThread(content, alsoToRoom = false) {
      const panel = state().thread;
      if (!panel) return false;
      return ctx.outbox.actions.send(panel.roomId, content, { threadId: panel.rootId, alsoToRoom });
    },

    async togglePin(message) {
      try {
        const { message: updated } = message.is_pinned ? await api.messages.unpin(message.id) : await api.messages.pin(message.id);
        dispatch({ type: 'message/updated', message: updated });
        ui.toast(t(updated.is_pinned ? 'msg.pinned' : 'msg.unpinned'));
      } catch (error) {
        fail(error);
      }
    },

    /**
     * Copies the web address that opens `message` — on its server's web client, so the same
     * link works from a browser and from the desktop app; true if the clipboard took it.
     */
    async copyLink(message) {
      const url = permalinkUrl(`${api.serverUrl().replace(/\/+$/, '')}/`, message.room_id, message.id);
      try {
        await env.navigator.clipboard.writeText(url);
        ui.toast(t('msg.linkCopied'));
        return true;
      } catch {
        ui.toast(url);
        return false;
      }
    },

    /** The pinned messages of `roomId`, most recently pinned first. */
    async loadPins(roomId) {
      const { messages } = await api.rooms.pins(roomId);
      return messages;
    },

    async loadThreads() {
      const mine = ctx.generation;
      const { threads } = await api.threads.list();
      if (mine !== ctx.generation) return;
      dispatch({ type: 'threads/loaded', threads });
    },

    async unfollowThread(rootId) {
      try {
        await api.messages.unfollow(rootId);
        dispatch({ type: 'threads/unfollowed', rootId });
      } catch (error) {
        fail(error);
      }
    },

    /** Opens a followed thread: its room at the root, and the thread beside it. */
    async openFollowed(root) {
      await ctx.rooms.openRoom(root.room_id, { around: root.id });
      await actions.openThread(root);
    },
  };

  return { onThreadReply, notifiesInRoom, openPendingLink, markThreadRead, refreshThread, revealInThread, actions };
}
