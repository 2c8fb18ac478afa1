// Attachments over HTTP: `uploadFile()` sends a file with progress (XMLHttpRequest, the only
// API that reports upload progress); `fetchFile()` downloads one with the token (an <img>
// cannot send the Authorization header).

import { ApiError } from './errors.js';
import { apiUrl } from './platform.js';
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
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ApiError(0, { code: 'aborted', message: 'upload cancelled' }));
      return;
    }
    const form = new FormData();
    if (caption) form.append('caption', caption);
    if (clientMsgId) form.append('client_msg_id', clientMsgId);
    form.append('file', file, file.name || 'file');
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
