// The attachment cache: one download per picture while anything shows it, object URLs revoked
// when the last holder lets go, downloads cancelled when nobody wants them any more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMediaCache } from '../../js/media.js';

function harness() {
  const fetched = [];
  const revoked = [];
  const aborted = [];
  let n = 0;
  const pending = new Map();
  const cache = createMediaCache({
    fetchBlob(url, { signal }) {
      fetched.push(url);
      return new Promise((resolve, reject) => {
        pending.set(url, { resolve, reject });
        signal?.addEventListener('abort', () => {
          aborted.push(url);
          reject(Object.assign(new Error('aborted'), { code: 'aborted' }));
        });
      });
    },
    createUrl: () => `blob:test/${(n += 1)}`,
    revokeUrl: (url) => revoked.push(url),
  });
  const finish = (url) => pending.get(url).resolve({ size: 1 });
  const fail = (url) => pending.get(url).reject(Object.assign(new Error('gone'), { code: 'not_found' }));
  return { cache, fetched, revoked, aborted, finish, fail };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test('a picture shown twice is downloaded once and revoked when both let go', async () => {
  const { cache, fetched, revoked, finish } = harness();
  const a = cache.acquire('f1:thumb', '/api/files/f1/thumbnail');
  const b = cache.acquire('f1:thumb', '/api/files/f1/thumbnail');
  await tick();
  finish('/api/files/f1/thumbnail');
  assert.equal(await a, 'blob:test/1');
  assert.equal(await b, 'blob:test/1');
  assert.deepEqual(fetched, ['/api/files/f1/thumbnail']);
  cache.release('f1:thumb');
  assert.deepEqual(revoked, []);
  assert.equal(cache.size(), 1);
  cache.release('f1:thumb');
  assert.deepEqual(revoked, ['blob:test/1']);
  assert.equal(cache.size(), 0);
  cache.release('f1:thumb'); // releasing too often is harmless
});

test('a download nobody wants any more is cancelled and never becomes an object URL', async () => {
  const { cache, aborted, revoked } = harness();
  const p = cache.acquire('f2:full', '/api/files/f2');
  await tick();
  cache.release('f2:full');
  await assert.rejects(p, { code: 'aborted' });
  assert.deepEqual(aborted, ['/api/files/f2']);
  assert.deepEqual(revoked, []);
});

test('a failed download is tried again the next time it is shown', async () => {
  const { cache, fetched, fail, finish } = harness();
  const p = cache.acquire('f3:thumb', '/api/files/f3/thumbnail');
  await tick();
  fail('/api/files/f3/thumbnail');
  await assert.rejects(p, { code: 'not_found' });
  cache.release('f3:thumb');
  const again = cache.acquire('f3:thumb', '/api/files/f3/thumbnail');
  await tick();
  finish('/api/files/f3/thumbnail');
  assert.match(await again, /^blob:/);
  assert.equal(fetched.length, 2);
});

test('clear releases everything', async () => {
  const { cache, revoked, finish } = harness();
  const p = cache.acquire('a', '/a');
  cache.acquire('a', '/a');
  await tick();
  finish('/a');
  await p;
  cache.clear();
  assert.deepEqual(revoked, ['blob:test/1']);
  assert.equal(cache.size(), 0);
});
