// Avatar pictures. An avatar is a picture uploaded to the Confab server (`/api/avatars/<id>`),
// never a link to another site: a link made every viewer's browser tell that site who was
// reading, and when. Like attachments, avatars need the session token, so each is downloaded
// once as a Blob and shown through an object URL (the CSP allows `blob:` images, and no
// remote ones). They are small and few, so they stay cached for the session.

import { createMediaCache } from './media.js';

const OWN_AVATAR = /^\/api\/avatars\/[0-9a-f]{32}$/;

/** Whether `url` is an avatar served by the Confab server (the only kind shown). */
export function isServerAvatar(url) {
  return typeof url === 'string' && OWN_AVATAR.test(url);
}

/**
 * A loader `(url) → Promise<object URL>` that downloads each avatar once with `fetchBlob`.
 * Anything but a server avatar URL is refused without a request.
 */
export function createAvatarLoader(fetchBlob, urls = {}) {
  const cache = createMediaCache({ fetchBlob, ...urls });
  return (url) => (isServerAvatar(url) ? cache.acquire(url, url) : Promise.reject(new Error('not a server avatar')));
}
