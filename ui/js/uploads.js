// Uploads in progress: files being sent to a room, drawn as pending messages with a progress
// bar until the server stores them. Like the outbox, each upload has a `client_msg_id` chosen
// once and reused on retry, so a retried upload is stored at most once. Pending items
// (pending.js) with progress; the controller holds the File objects and the requests.
//
// An item's `status`:
// - `uploading`: the request is running; `progress` goes from 0 to 1 (null while unknown);
// - `failed`: refused by the server or the network; shown with Retry / Discard.

import { newClientMsgId, updatePending, removePending, acknowledgePending } from './pending.js';

/** The image types the server recognizes (and makes thumbnails of). */
export const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Whether a file (by its declared type) will probably become an image message. */
export function isImageType(type) {
  return IMAGE_TYPES.has(String(type || '').toLowerCase());
}

/**
 * Whether a file of `size` bytes may be sent to a server accepting `maxBytes` (null or 0:
 * unknown, so let the server decide). `{ok: true}` or `{ok: false, code, size, limit}` with
 * code `empty_file` or `file_too_large`.
 */
export function checkUploadSize(size, maxBytes) {
  const n = Number(size) || 0;
  if (n <= 0) return { ok: false, code: 'empty_file', size: n, limit: maxBytes ?? null };
  if (maxBytes > 0 && n > maxBytes) return { ok: false, code: 'file_too_large', size: n, limit: maxBytes };
  return { ok: true };
}

/** Adds an upload (status `uploading`, no progress yet) to the end of the list. */
export function addUpload(uploads, { roomId, name, size, type, caption = '', previewUrl = null, clientMsgId = newClientMsgId(), now = Date.now() }) {
  const item = {
    clientMsgId,
    roomId,
    name: String(name || ''),
    size: Number(size) || 0,
    type: String(type || ''),
    caption,
    previewUrl,
    status: 'uploading',
    progress: null,
    createdAt: now,
    error: null,
  };
  return [...uploads, item];
}

/** Progress of a running upload: `fraction` 0–1 (clamped; never goes backwards). */
export function setProgress(uploads, clientMsgId, fraction) {
  const value = Math.min(1, Math.max(0, Number(fraction) || 0));
  return updatePending(uploads, clientMsgId, (item) =>
    item.status === 'uploading' ? { progress: Math.max(item.progress ?? 0, value) } : {},
  );
}

/** The upload failed with `error` ({code, message}). */
export function failUpload(uploads, clientMsgId, error) {
  return updatePending(uploads, clientMsgId, () => ({ status: 'failed', error: error ?? { code: 'internal' } }));
}

/** The person retries a failed upload: same client_msg_id, progress from zero. */
export function retryUpload(uploads, clientMsgId) {
  return updatePending(uploads, clientMsgId, () => ({ status: 'uploading', progress: null, error: null }));
}

/** The upload is done (stored), cancelled or discarded: it leaves the list. */
export function removeUpload(uploads, clientMsgId) {
  return removePending(uploads, clientMsgId);
}

/** Removes the uploads whose stored messages (written by `userId`) are among `messages`. */
export function acknowledgeUploads(uploads, messages, userId) {
  return acknowledgePending(uploads, messages, userId);
}
