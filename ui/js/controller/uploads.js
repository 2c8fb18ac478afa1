// Uploads in use: checking a file against the server's limit before sending a byte, running
// the request with progress (throttled), cancel and retry with the same client_msg_id, and
// downloads. The store holds what is drawn (uploads.js, through the reducer); this module holds
// the File objects, the requests and the preview URLs.

import * as api from '../net/index.js';
import { newClientMsgId, findPending } from '../pending.js';
import { checkUploadSize, isImageType } from '../uploads.js';
import { formatBytes } from '../format.js';
import { t, language } from '../i18n.js';

export function createUploads(ctx) {
  const { ui, dispatch, state } = ctx;
  // client_msg_id → {file, controller, previewUrl}: what an upload needs besides its state.
  const uploadFiles = new Map();

  /** The server's upload limit in bytes (null while unknown: the server then decides). */
  async function uploadLimit() {
    const known = state().server?.max_upload_bytes;
    if (known) return known;
    try {
      const info = await api.serverInfo();
      dispatch({ type: 'server/info', info });
      return info.max_upload_bytes ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Starts uploading `files` to room `roomId`; the caption goes with the first. Files over the
   * server's limit are refused here, before a byte is sent. Resolves with how many started.
   */
  async function sendFiles(roomId, files, { caption = '' } = {}) {
    const list = [...(files ?? [])].filter(Boolean);
    if (list.length === 0) return 0;
    const limit = await uploadLimit();
    let started = 0;
    for (const file of list) {
      const check = checkUploadSize(file.size, limit);
      if (!check.ok) {
        const message =
          check.code === 'empty_file'
            ? t('upload.empty', { name: file.name || t('upload.unnamed') })
            : t('upload.tooLarge', { name: file.name || t('upload.unnamed'), size: formatBytes(file.size, language()), limit: formatBytes(limit, language()) });
        ui.toast(message, { kind: 'error', timeout: 8000 });
        continue;
      }
      const room = state().rooms[roomId];
      if (!room?.is_member) {
        ui.toast(t('err.code.not_a_member'), { kind: 'error' });
        break;
      }
      const clientMsgId = newClientMsgId();
      // A file picked in the desktop app stays on disk (no Blob to preview); it shows as a file.
      const isBlob = typeof Blob !== 'undefined' && file instanceof Blob;
      const previewUrl = isBlob && isImageType(file.type) && typeof URL?.createObjectURL === 'function' ? URL.createObjectURL(file) : null;
      uploadFiles.set(clientMsgId, { file, controller: null, previewUrl });
      dispatch({
        type: 'upload/add',
        item: { roomId, name: file.name || t('upload.unnamed'), size: file.size, type: file.type, caption: started === 0 ? caption : '', previewUrl, clientMsgId },
      });
      started += 1;
      runUpload(clientMsgId);
    }
    return started;
  }

  async function runUpload(clientMsgId) {
    const entry = uploadFiles.get(clientMsgId);
    const item = findPending(state().uploads, clientMsgId);
    if (!entry || !item) return;
    const mine = ctx.generation;
    const controller = new AbortController();
    entry.controller = controller;
    let lastProgress = 0;
    try {
      const { message } = await api.uploadFile(item.roomId, entry.file, {
        caption: item.caption,
        clientMsgId,
        signal: controller.signal,
        onProgress: (fraction) => {
          const now = Date.now();
          if (fraction < 1 && now - lastProgress < 80) return;
          lastProgress = now;
          dispatch({ type: 'upload/progress', clientMsgId, fraction });
        },
      });
      if (mine !== ctx.generation) return;
      dispatch({ type: 'message/new', message, visible: ctx.isVisible() });
      finishUpload(clientMsgId);
    } catch (error) {
      if (error?.code === 'aborted' || mine !== ctx.generation) return;
      if (!findPending(state().uploads, clientMsgId)) {
        finishUpload(clientMsgId); // stored after all (its message arrived on the socket)
        return;
      }
      entry.controller = null;
      dispatch({ type: 'upload/failed', clientMsgId, error: { code: error?.code ?? 'internal', message: error?.message ?? '' } });
    }
  }

  /** Forgets an upload: done, cancelled or discarded. */
  function finishUpload(clientMsgId) {
    const entry = uploadFiles.get(clientMsgId);
    uploadFiles.delete(clientMsgId);
    entry?.controller?.abort();
    if (entry?.previewUrl) URL.revokeObjectURL(entry.previewUrl);
    if (entry) api.releaseFile(entry.file);
    dispatch({ type: 'upload/remove', clientMsgId });
  }

  /** The session ends: running uploads stop and nothing of them is kept. */
  function dropUploads() {
    for (const id of [...uploadFiles.keys()]) finishUpload(id);
  }

  const actions = {
    /** Opens the platform's image picker and uploads the chosen image (with `caption`). */
    async pickImage(roomId, { caption = '' } = {}) {
      const file = await api.pickImage({ maxBytes: await uploadLimit() });
      return file ? sendFiles(roomId, [file], { caption }) : 0;
    },

    /** Opens a file chooser for any files and uploads them. */
    async pickFiles(roomId, { caption = '' } = {}) {
      const files = await api.pickFiles();
      return files.length ? sendFiles(roomId, files, { caption }) : 0;
    },

    /** Uploads files (picked, pasted or dropped); resolves with how many started. */
    sendFiles: (roomId, files, options) => sendFiles(roomId, files, options),

    cancelUpload(clientMsgId) {
      finishUpload(clientMsgId);
    },

    retryUpload(clientMsgId) {
      const entry = uploadFiles.get(clientMsgId);
      if (!entry) {
        dispatch({ type: 'upload/remove', clientMsgId });
        return;
      }
      dispatch({ type: 'upload/retry', clientMsgId });
      runUpload(clientMsgId);
    },

    /** Downloads an attachment with the session token; resolves with a Blob. */
    fetchFile: (url, options) => api.fetchFile(url, options),
    saveFile: (blob, name) => api.saveFile(blob, name),
    /** Saves an attachment where downloads go (streamed to disk by the desktop app). */
    downloadFile: (url, name, options) => api.downloadFile(url, name, options),
  };

  return { dropUploads, actions };
}
