// People and conversations: finding someone, their profile, opening (or creating) a direct
// conversation and closing it, my status, the "Mentions" list, and searching messages.

import * as api from '../net/index.js';

export function createPeople(ctx) {
  const { dispatch, state } = ctx;

  /** Records a conversation the server answered with, and shows it. */
  async function show(room) {
    dispatch({ type: 'room/upsert', room: { ...room, is_hidden: false } });
    await ctx.rooms.openRoom(room.id);
    return room;
  }

  const actions = {
    /** People whose name starts with `q`. */
    async searchPeople(q) {
      const { users } = await api.users.search(q, 20);
      return users;
    },

    async profile(userId) {
      const { user } = await api.users.get(userId);
      dispatch({ type: 'presence/update', users: [{ user_id: user.id, ...user }] });
      return user;
    },

    /** Opens the conversation with `userIds` (created the first time) and shows it. */
    async openDm(userIds) {
      const { room } = await api.dms.open(userIds);
      return show(room);
    },

    /** Hides a conversation from the list until its next message. */
    async closeDm(roomId) {
      await api.dms.close(roomId);
      dispatch({ type: 'dm/closed', roomId });
      if (state().currentRoomId === roomId) ctx.rooms.moveOffRoom(roomId);
    },

    /** Sets my status (`online`, `away`, `dnd`) and its text. */
    async setStatus(status, statusText) {
      const { user } = await api.auth.setStatus(status, statusText);
      dispatch({ type: 'me/updated', user });
      return user;
    },

    /** A page of messages matching `q` (the next one with `cursor`); kept by the search view. */
    searchMessages: ({ q, cursor }) => api.search.messages({ q, cursor, limit: 20 }),

    /** The newest page of my mentions, or (`older`) the page after the last one loaded. */
    async loadMentions({ older = false } = {}) {
      const items = state().mentions.items;
      const before = older && items.length ? items[items.length - 1].id : undefined;
      const { messages, has_more: hasMore } = await api.mentions.list({ before, limit: 30 });
      dispatch({ type: 'mentions/loaded', messages, hasMore, older });
      return messages;
    },
  };

  return { actions };
}
