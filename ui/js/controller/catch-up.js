// History pages: the newest page of a room, older pages as the reader scrolls up, a stretch that
// does not reach the newest (from the first unread, or around a message jumped to) and newer
// pages from there, and after a reconnect (or a server's `resync`) everything each loaded room
// missed — new messages (`after=`), then edits and deletes (`changed_after=`).

import * as api from '../net/index.js';
import { historyOf } from '../state.js';
import { errorText } from '../i18n.js';

/**
 * Catching up a room pages forward at most this far (200 messages a page); a room further
 * behind drops its messages and loads the newest page instead, so no gap is ever shown.
 */
const MAX_CATCH_UP_PAGES = 25;
const PAGE = 50;
/** Pages loaded while scrolling through history (bigger: fewer round trips on a long scroll). */
const SCROLL_PAGE = 100;

export function createCatchUp(ctx) {
  const { ui, dispatch, state } = ctx;

  /**
   * After a reconnect: every room with loaded messages fetches what it missed — new messages
   * (`after=`), then edits and deletes (`changed_after=`). With `only` (room ids), just those
   * rooms: the server's `resync` event names the rooms it may have missed changes in.
   */
  async function catchUp(mine, only = null) {
    for (const [key, history] of Object.entries(state().history)) {
      const roomId = Number(key);
      if (!history.loaded || !state().rooms[roomId]) continue;
      if (only && !only.includes(roomId)) continue;
      let last = history.items.length ? history.items[history.items.length - 1].id : null;
      try {
        if (history.hasNewer) {
          // Not at the newest (read far back, or after a jump): newer messages load as the reader
          // scrolls down; only edits matter.
          await catchUpChanges(roomId, mine);
          continue;
        }
        if (last == null) {
          await loadLatest(roomId);
          continue;
        }
        let pages = 0;
        let fresh = false; // reloaded from the newest page: nothing older to reconcile
        for (;;) {
          const page = await api.rooms.messages(roomId, { after: last, limit: 200 });
          if (mine !== ctx.generation) return;
          dispatch({ type: 'history/loaded', roomId, messages: page.messages, hasMore: page.has_more, direction: 'after' });
          if (!page.has_more || page.messages.length === 0) break;
          last = page.messages[page.messages.length - 1].id;
          pages += 1;
          if (pages >= MAX_CATCH_UP_PAGES) {
            dispatch({ type: 'history/reset', roomId });
            await loadLatest(roomId);
            fresh = true;
            break;
          }
        }
        if (!fresh) await catchUpChanges(roomId, mine);
      } catch (error) {
        if (error.code === 'not_found') dispatch({ type: 'room/removed', roomId });
        else if (error.code === 'network') return; // dropped again; the next `ready` retries
      }
    }
  }

  /** Applies the edits and deletes made in `roomId` since this client's revision of it. */
  async function catchUpChanges(roomId, mine) {
    let rev = state().history[roomId]?.changesRev;
    if (rev == null) return;
    for (let pages = 0; pages < MAX_CATCH_UP_PAGES; pages += 1) {
      const page = await api.rooms.messages(roomId, { changedAfter: rev, limit: 200 });
      if (mine !== ctx.generation) return;
      dispatch({ type: 'history/changed', roomId, messages: page.messages, changesRev: page.changes_rev });
      if (!page.has_more) return;
      rev = page.changes_rev;
    }
    // More changed than is worth replaying: start the room afresh from its newest page.
    dispatch({ type: 'history/reset', roomId });
    await loadLatest(roomId);
  }

  /** Loads the newest page of `roomId`. */
  async function loadLatest(roomId) {
    const mine = ctx.generation;
    const page = await api.rooms.messages(roomId, { limit: PAGE });
    if (mine !== ctx.generation) return;
    dispatch({ type: 'history/loaded', roomId, messages: page.messages, hasMore: page.has_more, direction: 'latest', changesRev: page.changes_rev });
  }

  /**
   * Shows `messageId` in `roomId`: at once when it is loaded, else with the page around it
   * (which then pages both ways: older on scroll-up, newer on scroll-down).
   */
  async function loadAround(roomId, messageId) {
    const h = historyOf(state(), roomId);
    if (h.items.some((m) => m.id === messageId)) {
      dispatch({ type: 'history/focus', roomId, messageId });
      return;
    }
    const mine = ctx.generation;
    const page = await api.rooms.messages(roomId, { around: messageId, limit: PAGE });
    if (mine !== ctx.generation) return;
    dispatch({ type: 'history/around', roomId, messageId, messages: page.messages, hasMore: page.has_more, hasNewer: page.has_newer, changesRev: page.changes_rev });
  }

  const actions = {
    async loadOlder(roomId) {
      const h = historyOf(state(), roomId);
      if (!h.loaded || h.loadingOlder || !h.hasMore || h.items.length === 0) return;
      const mine = ctx.generation;
      dispatch({ type: 'history/loading', roomId, value: true });
      try {
        const page = await api.rooms.messages(roomId, { before: h.items[0].id, limit: SCROLL_PAGE });
        if (mine !== ctx.generation) return;
        dispatch({ type: 'history/loaded', roomId, messages: page.messages, hasMore: page.has_more, direction: 'before', changesRev: page.changes_rev });
      } catch (error) {
        dispatch({ type: 'history/loading', roomId, value: false });
        if (error.code !== 'network') ui.toast(errorText(error), { kind: 'error' });
      }
    },

    /** The reader scrolled down to the end of a stretch that does not reach the newest. */
    async loadNewer(roomId) {
      const h = historyOf(state(), roomId);
      if (!h.loaded || h.loadingNewer || !h.hasNewer || h.items.length === 0) return;
      const mine = ctx.generation;
      dispatch({ type: 'history/loadingNewer', roomId, value: true });
      try {
        const page = await api.rooms.messages(roomId, { after: h.items[h.items.length - 1].id, limit: SCROLL_PAGE });
        if (mine !== ctx.generation) return;
        dispatch({ type: 'history/loaded', roomId, messages: page.messages, hasMore: page.has_more, direction: 'after' });
      } catch (error) {
        dispatch({ type: 'history/loadingNewer', roomId, value: false });
        if (error.code !== 'network') ui.toast(errorText(error), { kind: 'error' });
      }
    },

    /** Loads the stretch of `roomId` that starts at its first unread message. */
    async loadFirstUnread(roomId) {
      const after = state().newAfter[roomId];
      if (after == null) return;
      const mine = ctx.generation;
      try {
        const page = await api.rooms.messages(roomId, { after, limit: SCROLL_PAGE });
        if (mine !== ctx.generation) return;
        dispatch({ type: 'history/around', roomId, messages: page.messages, hasNewer: page.has_more });
      } catch (error) {
        if (error.code !== 'network') ui.toast(errorText(error), { kind: 'error' });
      }
    },

    /** Back to the newest messages: reloads them when the stretch loaded does not reach them. */
    async jumpToLatest(roomId) {
      if (!historyOf(state(), roomId).hasNewer) return;
      dispatch({ type: 'history/follow', roomId, value: true });
      await loadLatest(roomId);
    },

    /** Whether the reader is at the newest messages (when the stretch is full, keep those). */
    follow(roomId, value) {
      dispatch({ type: 'history/follow', roomId, value });
    },
  };

  return { catchUp, loadLatest, loadAround, actions };
}
