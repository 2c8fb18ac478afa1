// Avatars come only from the Confab server, each downloaded once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAvatarLoader, isServerAvatar } from '../../js/avatars.js';

const ID = '0123456789abcdef0123456789abcdef';

test('only the server avatar path counts as an avatar', () => {
  assert.ok(isServerAvatar(`/api/avatars/${ID}`));
  for (const url of ['https://tracker.example/pixel.png', `http://192.168.1.1/api/avatars/${ID}`, '/api/files/x', null, `/api/avatars/${ID}/../x`]) {
    assert.equal(isServerAvatar(url), false, String(url));
  }
});

test('an avatar is fetched once and a link to another site never', async () => {
  const fetched = [];
  const load = createAvatarLoader(async (url) => {
    fetched.push(url);
    return { url };
  }, { createUrl: (blob) => `blob:${blob.url}`, revokeUrl: () => {} });
  assert.equal(await load(`/api/avatars/${ID}`), `blob:/api/avatars/${ID}`);
  assert.equal(await load(`/api/avatars/${ID}`), `blob:/api/avatars/${ID}`);
  await assert.rejects(load('https://tracker.example/pixel.png'));
  assert.deepEqual(fetched, [`/api/avatars/${ID}`]);
});
