// Attachments over HTTP: `uploadFile()` sends a file with progress (XMLHttpRequest, the only
// API that reports upload progress); `fetchFile()` downloads one with the token (an <img>
// cannot send the Authorization header); `downloadFile()` saves one where downloads go. In the
// desktop app a file picked with its native dialog uploads, and a download is saved, by the app
// itself, streamed from and to disk; a Blob the page holds (dropped, pasted) goes as today.

import { ApiError } from './errors.js';
import { apiUrl, throughApp, currentPlatform, configuredBase, serverUrl } from './platform.js';
import { currentToken } from './session.js';
import { enc, responseError } from './rest.js';

/**
 * Uploads `file` (a File or Blob) to room `roomId`, with an optional caption and client message
 * id (reuse it on retry: the server stores the upload once). `onProgress(fraction)` follows the
 * request body; `signal` (an AbortSignal) cancels, rejecting with code `aborted`. Resolves with
 * `{message, created}` (`created` false when the server already had this client_msg_id).
 */
export function uploadFile(roomId, file, { caption = '', clientMsgId = null, onProgress = null, signal = null } = {}) {
  const token = currentToken();
  const platform = currentPlatform();
  if (file?.picked && platform.uploadPicked) {
    const progress = onProgress && (({ done, total }) => total > 0 && onProgress(done / total));
    return platform
      .uploadPicked({ server: serverUrl(), roomId, file, caption, clientMsgId, token, onProgress: progress, signal })
      .catch((error) => Promise.reject(asAnswer(error)))
      .then(({ message, created }) => {
        onProgress?.(1);
        return { message, created };
      });
  }
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ApiError(0, { code: 'aborted', message: 'upload cancelled' }));
      return;
    }
    const form = new FormData();
    if (caption) form.append('caption', caption);
    if (clientMsgId) form.append('client_msg_id', clientMsgId);
    form.append('file', file, file.name || 'file');
    if (throughApp()) {
      // Through the app's pinned transport: fetch with the body as bytes (no progress until
      // it is done), see uploadThroughApp.
      const fields = [caption && ['caption', caption], clientMsgId && ['client_msg_id', clientMsgId]].filter(Boolean);
      uploadThroughApp(apiUrl(`/api/rooms/${enc(roomId)}/uploads`), fields, file, token, { onProgress, signal }).then(resolve, reject);
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const finish = () => signal?.removeEventListener('abort', onAbort);
    xhr.open('POST', apiUrl(`/api/rooms/${enc(roomId)}/uploads`));
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    if (onProgress && xhr.upload) {
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      });
    }
    xhr.addEventListener('load', () => {
      finish();
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data?.message) {
        onProgress?.(1);
        resolve({ message: data.message, created: xhr.status === 201 });
      } else {
        reject(responseError(xhr.status, data, xhr.getResponseHeader('retry-after')));
      }
    });
    xhr.addEventListener('error', () => {
      finish();
      reject(new ApiError(0, { code: 'network', message: 'network error' }));
    });
    xhr.addEventListener('timeout', () => {
      finish();
      reject(new ApiError(0, { code: 'timeout', message: 'upload timed out' }));
    });
    xhr.addEventListener('abort', () => {
      finish();
      reject(new ApiError(0, { code: 'aborted', message: 'upload cancelled' }));
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(form);
  });
}

/**
 * A multipart/form-data body as bytes, as a browser writes one: text `fields`, then `file`.
 * Names in the header are escaped the way browsers do (`"` → %22, line breaks → %0D/%0A).
 */
export async function multipartBytes(fields, file) {
  const boundary = `----ConfabBoundary${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const text = new TextEncoder();
  const escape = (value) => String(value).replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const parts = fields.map(([name, value]) => text.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"\r\n\r\n${value}\r\n`));
  parts.push(
    text.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${escape(file.name || 'file')}"\r\nContent-Type: ${file.type || 'application/octet-stream'}\r\n\r\n`,
    ),
  );
  parts.push(new Uint8Array(await file.arrayBuffer()));
  parts.push(text.encode(`\r\n--${boundary}--\r\n`));
  return { body: await new Blob(parts).arrayBuffer(), type: `multipart/form-data; boundary=${boundary}` };
}

async function uploadThroughApp(url, fields, file, token, { onProgress, signal }) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    // The body as plain bytes: WebKitGTK's web process crashes on an XMLHttpRequest upload to
    // an app URI scheme, and cannot read a FormData's file for fetch either.
    const { body, type } = await multipartBytes(fields, file);
    headers['Content-Type'] = type;
    response = await fetch(url, { method: 'POST', headers, body, signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e?.name === 'AbortError') throw new ApiError(0, { code: 'aborted', message: 'upload cancelled' });
    throw new ApiError(0, { code: 'network', message: e?.message || 'network error' });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !data?.message) throw responseError(response.status, data, response.headers.get('retry-after'));
  onProgress?.(1);
  return { message: data.message, created: response.status === 201 };
}

/**
 * Downloads an attachment (`url` as the server gave it, e.g. `/api/files/…`) with the session
 * token; resolves with a Blob. `signal` cancels (code `aborted`).
 */
export async function fetchFile(url, { signal = null } = {}) {
  const token = currentToken();
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const target = /^https?:/i.test(url) ? url : apiUrl(url);
  let response;
  try {
    response = await fetch(target, { headers, signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e?.name === 'AbortError') throw new ApiError(0, { code: 'aborted', message: 'download cancelled' });
    throw new ApiError(0, { code: 'network', message: e?.message || 'network error' });
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    throw responseError(response.status, data);
  }
  try {
    return await response.blob();
  } catch (e) {
    if (e?.name === 'AbortError') throw new ApiError(0, { code: 'aborted', message: 'download cancelled' });
    throw new ApiError(0, { code: 'network', message: e?.message || 'network error' });
  }
}

/** An app transfer's error read as the server's answer would be (session lost, pin changed…). */
function asAnswer(error) {
  if (!(error instanceof ApiError) || error.code === 'aborted') return error;
  return responseError(error.status, { error: { code: error.code, message: error.message } });
}

/**
 * Saves attachment `url` as `name` where the platform keeps downloads; resolves with `{path}`
 * (null when the browser decides). In the desktop app the app downloads it itself, streamed to
 * disk, reporting `onProgress({done, total})` (total null when unknown); elsewhere it is fetched
 * with the token and handed to the browser. `signal` cancels (code `aborted`; nothing is kept).
 */
export async function downloadFile(url, name, { onProgress = null, signal = null } = {}) {
  const platform = currentPlatform();
  if (platform.downloadFile && configuredBase() && !/^https?:/i.test(url)) {
    try {
      return await platform.downloadFile({ server: serverUrl(), url, name, token: currentToken(), onProgress, signal });
    } catch (error) {
      throw asAnswer(error);
    }
  }
  const blob = await fetchFile(url, { signal });
  onProgress?.({ done: blob.size, total: blob.size });
  return platform.saveFile(blob, name);
}

/** The platform may forget a file picked for upload (done or discarded). */
export function releaseFile(file) {
  currentPlatform().releasePicked?.(file);
}
