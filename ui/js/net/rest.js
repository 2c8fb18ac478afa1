// REST calls: each returns the parsed JSON or throws `ApiError` ({status, code, message, field,
// retryAfter}); code `network` means the server could not be reached. The only code that calls
// `fetch` for the API.

import { ApiError } from './errors.js';
import { apiUrl, serverUrl } from './platform.js';
import { reportTrustProblem } from './desktop.js';
import { currentToken, keepDeviceToken, loadDeviceToken, reportSessionLost, reportPasswordChangeRequired } from './session.js';

/** An error body of a failed response, as an ApiError (and the session-lost hook on 401). */
export function responseError(status, data, retryAfter = null) {
  const error = data?.error ?? { code: status === 401 ? 'unauthorized' : status === 413 ? 'payload_too_large' : `http_${status}` };
  if (error.retry_after == null && retryAfter) error.retry_after = Number(retryAfter);
  if (status === 401 && error.code === 'unauthorized') reportSessionLost();
  if (error.code === 'certificate_mismatch') reportTrustProblem(error);
  if (status === 403 && error.code === 'password_change_required') reportPasswordChangeRequired();
  return new ApiError(status, error);
}

async function request(method, path, body) {
  const token = currentToken();
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  // A Blob (a picture) goes as it is; anything else as JSON.
  const raw = typeof Blob !== 'undefined' && body instanceof Blob;
  if (body !== undefined) headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined || raw ? body : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, { code: 'network', message: e?.message || 'network error' });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw responseError(response.status, data, response.headers.get('retry-after'));
  return data;
}

export const enc = encodeURIComponent;

export const auth = {
  /** `extra`: `{setupCode}` (the first administrator's link) or `{invite}` (an invite's code). */
  register: async (username, password, email, { setupCode, invite } = {}) =>
    keepDeviceToken(
      username,
      await request('POST', '/api/auth/register', { username, password, email: email || undefined, setup_code: setupCode || undefined, invite: invite || undefined }),
    ),
  login: async (username, password, remember) => {
    const deviceToken = loadDeviceToken(username);
    const body = { username, password, remember: Boolean(remember) };
    if (deviceToken) body.device_token = deviceToken;
    return keepDeviceToken(username, await request('POST', '/api/auth/login', body));
  },
  logout: () => request('POST', '/api/auth/logout'),
  me: () => request('GET', '/api/auth/me'),
  updateProfile: (changes) => request('PUT', '/api/auth/profile', changes),
  /** Makes `picture` (a Blob) the avatar; the server stores a 256×256 PNG of it. */
  setAvatar: (picture) => request('PUT', '/api/auth/avatar', picture),
  removeAvatar: () => request('DELETE', '/api/auth/avatar'),
  /** Sets my status (`online`, `away`, `dnd`) and its text; answers `{user}`. */
  setStatus: (status, statusText) => request('PUT', '/api/auth/status', { status, status_text: statusText || undefined }),
  changePassword: (currentPassword, newPassword) =>
    request('PUT', '/api/auth/change-password', { current_password: currentPassword, new_password: newPassword }),
};

function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v != null)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export const rooms = {
  list: () => request('GET', '/api/rooms'),
  create: ({ name, description, isPrivate }) =>
    request('POST', '/api/rooms', { name, description: description || undefined, is_private: Boolean(isPrivate) }),
  get: (id) => request('GET', `/api/rooms/${enc(id)}`),
  join: (id) => request('POST', `/api/rooms/${enc(id)}/join`),
  leave: (id) => request('POST', `/api/rooms/${enc(id)}/leave`),
  members: (id) => request('GET', `/api/rooms/${enc(id)}/members`),
  addMember: (id, username) => request('POST', `/api/rooms/${enc(id)}/members`, { username }),
  removeMember: (id, userId) => request('DELETE', `/api/rooms/${enc(id)}/members/${enc(userId)}`),
  markRead: (id, messageId) => request('POST', `/api/rooms/${enc(id)}/read`, { message_id: messageId }),
  /** A page of history (`before`/`after` ids, or `around` one), or what was edited or deleted since `changedAfter`. */
  messages: (id, { before, after, around, changedAfter, limit } = {}) =>
    request('GET', `/api/rooms/${enc(id)}/messages${query({ before, after, around, changed_after: changedAfter, limit })}`),
  send: (id, { content, messageType, clientMsgId, replyTo, threadId, alsoToRoom }) =>
    request('POST', `/api/rooms/${enc(id)}/messages`, { content, message_type: messageType, client_msg_id: clientMsgId, reply_to: replyTo ?? undefined, thread_id: threadId ?? undefined, also_to_room: alsoToRoom || undefined }),
  /** Room admins: `{name?, description?, is_private?}` → `{room}`. */
  update: (id, changes) => request('PATCH', `/api/rooms/${enc(id)}`, changes),
  setAdmin: (id, userId, on) => request(on ? 'PUT' : 'DELETE', `/api/rooms/${enc(id)}/admins/${enc(userId)}`),
  /** Server administrators: read-only for everyone until unarchived. */
  archive: (id, on) => request('POST', `/api/rooms/${enc(id)}/${on ? 'archive' : 'unarchive'}`),
  remove: (id) => request('DELETE', `/api/rooms/${enc(id)}`),
  /** The room's pinned messages, most recently pinned first: `{messages}`. */
  pins: (id) => request('GET', `/api/rooms/${enc(id)}/pins`),
};

export const messages = {
  edit: (id, content) => request('PUT', `/api/messages/${enc(id)}`, { content }),
  remove: (id) => request('DELETE', `/api/messages/${enc(id)}`),
  /** Adds (or removes) my `emoji` reaction: `{message_id, reactions}`. */
  react: (id, emoji) => request('PUT', `/api/messages/${enc(id)}/reactions/${enc(emoji)}`),
  unreact: (id, emoji) => request('DELETE', `/api/messages/${enc(id)}/reactions/${enc(emoji)}`),
  pin: (id) => request('PUT', `/api/messages/${enc(id)}/pin`),
  unpin: (id) => request('DELETE', `/api/messages/${enc(id)}/pin`),
  /** A thread's root and its replies after `after`: `{root, messages, has_more}`. */
  thread: (id, { after, limit } = {}) => request('GET', `/api/messages/${enc(id)}/thread${query({ after, limit })}`),
  threadRead: (id) => request('POST', `/api/messages/${enc(id)}/thread/read`),
  follow: (id) => request('PUT', `/api/messages/${enc(id)}/follow`),
  unfollow: (id) => request('DELETE', `/api/messages/${enc(id)}/follow`),
};

export const threads = {
  /** The threads I follow with their unread replies: `{threads: [{root, unread_count}]}`. */
  list: () => request('GET', '/api/threads'),
};

export const users = {
  online: () => request('GET', '/api/users/online'),
  /** People whose name starts with `q` (any case, any script). */
  search: (q, limit) => request('GET', `/api/users${query({ q, limit })}`),
  get: (id) => request('GET', `/api/users/${enc(id)}`),
};

export const dms = {
  /** The conversation with these people (created the first time): `{room}`. */
  open: (userIds) => request('POST', '/api/dms', { user_ids: userIds }),
  close: (id) => request('POST', `/api/dms/${enc(id)}/close`),
};

export const search = {
  /** Messages matching `q` in my rooms: `{results: [{message, room, highlights}], next_cursor}`. */
  messages: ({ q, cursor, limit, sort } = {}) => request('GET', `/api/search${query({ q, cursor, limit, sort })}`),
};

export const mentions = {
  /** Messages mentioning me, newest first: `{messages, has_more}`. */
  list: ({ before, limit } = {}) => request('GET', `/api/mentions${query({ before, limit })}`),
};

/** Server administration (docs/protocol.md, "Administration"): every route but `claim` needs an administrator. */
export const admin = {
  claim: (setupCode) => request('POST', '/api/admin/claim', { setup_code: setupCode }),
  users: (q) => request('GET', `/api/admin/users${query({ q: q || undefined })}`),
  /** `action`: deactivate, reactivate, reset-password, promote or demote. */
  userAction: (id, action) => request('POST', `/api/admin/users/${enc(id)}/${action}`),
  /** A new account under any policy: `{user, temporary_password}`. */
  createUser: ({ username, email, isServerAdmin }) =>
    request('POST', '/api/admin/users', { username, email: email || undefined, is_server_admin: Boolean(isServerAdmin) }),
  rooms: () => request('GET', '/api/admin/rooms'),
  settings: () => request('GET', '/api/admin/settings'),
  saveSettings: (changes) => request('PUT', '/api/admin/settings', changes),
  invites: () => request('GET', '/api/admin/invites'),
  createInvite: ({ maxUses, expiresInHours }) =>
    request('POST', '/api/admin/invites', { max_uses: maxUses || undefined, expires_in_hours: expiresInHours || undefined }),
  revokeInvite: (code) => request('DELETE', `/api/admin/invites/${enc(code)}`),
  audit: ({ before, limit } = {}) => request('GET', `/api/admin/audit${query({ before, limit })}`),
  stats: () => request('GET', '/api/admin/stats'),
};

const infoCache = new Map();

/**
 * What the server says about itself: `{version, server_name, registration, retention_days,
 * max_upload_bytes}` (no sign-in needed; asked once per server and page unless `fresh`).
 */
export function serverInfo({ fresh = false } = {}) {
  const key = serverUrl();
  if (fresh) infoCache.delete(key);
  let answer = infoCache.get(key);
  if (!answer) {
    answer = request('GET', '/api/info');
    infoCache.set(key, answer);
    answer.catch(() => infoCache.delete(key));
  }
  return answer;
}
