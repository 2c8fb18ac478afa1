// Attachment pictures and files, which need the session token to download: each is fetched once
// as a Blob and shown through an object URL (`blob:`), shared by everyone showing it and revoked
// as soon as nobody does (a message left the screen, the room changed). The fetcher and the URL
// functions are injected, so the bookkeeping is tested without a browser.

/**
 * A cache of object URLs keyed by name (e.g. `<attachment id>:thumb`), counted by references.
 * `fetchBlob(url, {signal})` downloads; `acquire(key, url)` resolves with an object URL and
 * takes a reference; `release(key)` gives it back (the last one revokes the URL or cancels the
 * download).
 */
export function createMediaCache({
  fetchBlob,
  createUrl = (blob) => URL.createObjectURL(blob),
  revokeUrl = (url) => URL.revokeObjectURL(url),
} = {}) {
  const entries = new Map(); // key → {refs, promise, url, controller}

  function acquire(key, url) {
    let entry = entries.get(key);
    if (!entry) {
      const controller = typeof AbortController === 'function' ? new AbortController() : null;
      entry = { refs: 0, url: null, controller, promise: null };
      const current = entry;
      entry.promise = Promise.resolve()
        .then(() => fetchBlob(url, { signal: controller?.signal ?? null }))
        .then((blob) => {
          if (entries.get(key) !== current) throw Object.assign(new Error('released'), { code: 'aborted' });
          current.url = createUrl(blob);
          current.blob = blob;
          return current.url;
        });
      // A failed download is forgotten, so the next time it is asked for it is tried again.
      entry.promise.catch(() => {
        if (entries.get(key) === current && current.refs === 0) entries.delete(key);
        current.failed = true;
      });
      entries.set(key, entry);
    } else if (entry.failed && entry.refs === 0) {
      entries.delete(key);
      return acquire(key, url);
    }
    entry.refs += 1;
    return entry.promise;
  }

  function release(key) {
    const entry = entries.get(key);
    if (!entry) return;
    entry.refs -= 1;
    if (entry.refs > 0) return;
    entries.delete(key);
    if (entry.url) revokeUrl(entry.url);
    else entry.controller?.abort();
  }

  return {
    acquire,
    release,
    /** The Blob behind `key`, if it is loaded and still referenced. */
    blob: (key) => entries.get(key)?.blob ?? null,
    /** How many keys are referenced (for tests and leak checks). */
    size: () => entries.size,
    /** Releases everything. */
    clear() {
      for (const key of [...entries.keys()]) {
        const entry = entries.get(key);
        entry.refs = 1;
        release(key);
      }
    },
  };
}
