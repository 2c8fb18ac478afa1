// Pictures and files in messages. Attachments need the session token, so they are downloaded
// as blobs (through the controller) and shown with object URLs from a shared cache: a thumbnail
// is fetched when its message scrolls near the screen, and released (its URL revoked) when the
// message leaves the page or the room changes. Image thumbnails keep their final size from the
// start (from the image's width and height), so nothing jumps when they arrive. Clicking one
// opens the viewer with the full image; files get a Download button.

import { h, icon } from '../dom.js';
import { t, language, errorText } from '../i18n.js';
import { formatBytes, fitBox } from '../format.js';
import { createMediaCache } from '../media.js';
import { openDialog } from './dialogs.js';
import { toast } from './toast.js';
import { plainText } from '../markdown.js';

/** Thumbnails are drawn at most this large (the server makes them at most 320 px). */
const THUMB_MAX = { maxWidth: 320, maxHeight: 320 };
/** Start fetching a thumbnail when its message is this close to the visible part of the list. */
const PRELOAD_MARGIN = '600px 0px';

/** Whether `message` carries a picture to show inline. */
export function isImageAttachment(message) {
  const a = message?.attachment;
  return Boolean(a) && message.message_type === 'image' && Boolean(a.thumbnail_url || a.url);
}

/**
 * The attachment views of one message list. `fetchFile(url, {signal})` downloads with the
 * token; `downloadFile(url, name, {onProgress})` saves an attachment where the platform keeps
 * downloads (without it: `fetchFile`, then `saveFile(blob, name)`); `scroller` is the scrolling
 * element (for lazy loading). Call `sweep()` after the list changed and `releaseAll()` when it
 * is emptied or goes away.
 */
export function createAttachmentViews({ fetchFile, saveFile, downloadFile = null, scroller }) {
  const media = createMediaCache({ fetchBlob: fetchFile });
  const held = new Map(); // element → cache key it holds
  const waiting = new Set(); // elements observed, not yet loaded
  const observer =
    typeof IntersectionObserver === 'function'
      ? new IntersectionObserver(
          (entries) => {
            for (const entry of entries) {
              if (!entry.isIntersecting) continue;
              observer.unobserve(entry.target);
              waiting.delete(entry.target);
              entry.target.__load?.();
            }
          },
          { root: scroller, rootMargin: PRELOAD_MARGIN },
        )
      : null;

  /** Loads `key` from `url` into `img` once `holder` is near the screen. */
  function lazyLoad(holder, img, key, url, { onLoaded = null } = {}) {
    const load = () => {
      if (!holder.isConnected) return;
      held.set(holder, key);
      holder.classList.add('loading');
      media.acquire(key, url).then(
        (objectUrl) => {
          if (held.get(holder) !== key) return;
          img.src = objectUrl;
          holder.classList.remove('loading');
          onLoaded?.(objectUrl);
        },
        (error) => {
          if (error?.code === 'aborted' || held.get(holder) !== key) return;
          holder.classList.remove('loading');
          holder.classList.add('broken');
          holder.querySelector('.attachment-broken')?.removeAttribute('hidden');
        },
      );
    };
    holder.__load = load;
    if (observer) {
      waiting.add(holder);
      observer.observe(holder);
    } else {
      queueMicrotask(load);
    }
  }

  /** The inline picture of an image message: a button that opens the viewer. */
  function image(message) {
    const a = message.attachment;
    const box = fitBox(a.width, a.height, THUMB_MAX);
    const name = a.file_name || t('msg.image');
    const img = h('img', { alt: name, width: box.width, height: box.height, decoding: 'async', draggable: 'false' });
    const button = h(
      'button',
      {
        type: 'button',
        class: 'msg-image',
        'aria-label': t('attachment.open', { name }),
        title: name,
        'data-attachment-id': a.id,
      },
      img,
      h('span', { class: 'attachment-broken', hidden: true }, icon('image'), h('span', { text: t('attachment.unavailable') })),
    );
    // The final size from the start: no jump when the picture arrives. On narrow screens the
    // CSS max-width wins and the aspect ratio keeps the height right.
    button.style.width = `${box.width}px`;
    button.style.aspectRatio = `${box.width} / ${box.height}`;
    const url = a.thumbnail_url || a.url;
    lazyLoad(button, img, `${a.id}:thumb`, url);
    button.addEventListener('click', () => openViewer(message, button));
    return button;
  }

  /** A file message's card: icon, name, size and a Download button. */
  function file(message) {
    const a = message.attachment;
    const name = a.file_name || t('attachment.file');
    const size = formatBytes(a.size, language());
    const download = h(
      'button',
      { type: 'button', class: 'btn btn-small btn-ghost attachment-download', 'aria-label': t('attachment.downloadNamed', { name }) },
      icon('download'),
      h('span', { text: t('attachment.download') }),
    );
    download.addEventListener('click', () => saveAttachment(a, download));
    return h(
      'div',
      { class: 'msg-file', 'data-attachment-id': a.id },
      h('span', { class: 'msg-file-icon', 'aria-hidden': 'true' }, icon('file')),
      h('span', { class: 'msg-file-text' }, h('span', { class: 'msg-file-name', text: name, title: name }), h('span', { class: 'msg-file-size', text: size })),
      download,
    );
  }

  /**
   * Saves an attachment, named as sent, where downloads go; the button's label follows the
   * progress when the platform reports it (the desktop app streams large files to disk).
   */
  async function saveAttachment(a, button = null) {
    const label = button?.querySelector('span') ?? null;
    const idle = label?.textContent ?? '';
    if (button) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
    }
    const onProgress = ({ done, total } = {}) => {
      if (label && total > 0) label.textContent = t('attachment.downloading', { percent: Math.floor((100 * Math.min(done, total)) / total) });
    };
    try {
      const name = a.file_name || 'download';
      const { path } = downloadFile ? await downloadFile(a.url, name, { onProgress }) : await saveFile(await fetchFile(a.url), name);
      if (path) toast(t('attachment.savedTo', { path }));
    } catch (error) {
      if (error?.code !== 'aborted') toast(errorText(error), { kind: 'error' });
    } finally {
      if (label) label.textContent = idle;
      if (button) {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    }
  }

  /** The full-size viewer: a modal dialog; Escape or Close returns focus to the thumbnail. */
  function openViewer(message, opener) {
    const a = message.attachment;
    const name = a.file_name || t('msg.image');
    const fullKey = `${a.id}:full`;
    const thumbKey = `${a.id}:thumb`;
    let holdsThumb = false;
    let holdsFull = false;
    return openDialog({
      title: name,
      className: 'dialog-viewer',
      initialFocus: (dialog) => dialog.querySelector('.dialog-head .icon-btn'),
      build: () => {
        const img = h('img', { class: 'viewer-image', alt: name, decoding: 'async' });
        const stage = h('div', { class: 'viewer-stage loading' }, img, h('span', { class: 'spinner viewer-spinner', 'aria-hidden': 'true' }));
        const status = h('p', { class: 'viewer-status', role: 'status' });
        const natural = a.width && a.height ? `${a.width} × ${a.height} · ` : '';
        const download = h('button', { type: 'button', class: 'btn btn-small btn-ghost viewer-download' }, icon('download'), h('span', { text: t('attachment.download') }));
        download.addEventListener('click', () => saveAttachment(a, download));
        if (a.width && a.height) {
          const box = fitBox(a.width, a.height, { maxWidth: 1600, maxHeight: 1600 });
          img.width = box.width;
          img.height = box.height;
        }
        // The thumbnail (already here) stands in while the full picture downloads.
        if (a.thumbnail_url) {
          holdsThumb = true;
          media.acquire(thumbKey, a.thumbnail_url).then((url) => {
            if (!img.dataset.full) img.src = url;
          }, () => {});
        }
        holdsFull = true;
        media.acquire(fullKey, a.url).then(
          (url) => {
            img.dataset.full = 'true';
            img.src = url;
            stage.classList.remove('loading');
          },
          (error) => {
            if (error?.code === 'aborted') return;
            stage.classList.remove('loading');
            status.textContent = `${t('attachment.unavailable')} — ${errorText(error)}`;
          },
        );
        const caption = message.content ? h('p', { class: 'viewer-caption', text: plainText(message.content) }) : null;
        return h(
          'div',
          { class: 'viewer' },
          stage,
          status,
          caption,
          h('div', { class: 'viewer-bar' }, h('span', { class: 'muted viewer-meta', text: `${natural}${formatBytes(a.size, language())}` }), download),
        );
      },
    }).finally(() => {
      if (holdsFull) media.release(fullKey);
      if (holdsThumb) media.release(thumbKey);
      if (opener?.isConnected) opener.focus();
    });
  }

  /** Gives back what messages no longer on the page were holding. */
  function sweep() {
    for (const [el, key] of held) {
      if (el.isConnected) continue;
      held.delete(el);
      media.release(key);
    }
    for (const el of waiting) {
      if (el.isConnected) continue;
      waiting.delete(el);
      observer?.unobserve(el);
    }
  }

  function releaseAll() {
    for (const [el, key] of held) {
      held.delete(el);
      media.release(key);
    }
    for (const el of waiting) observer?.unobserve(el);
    waiting.clear();
  }

  return { image, file, sweep, releaseAll, openViewer, heldCount: () => media.size() };
}
