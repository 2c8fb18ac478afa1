// The API reference page (/api/docs): its renderer is the vendored RapiDoc build pinned in
// tools/package.json, and the page loads nothing but this server's own files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';

const { vendoredSource } = await import('../../../tools/vendor-rapidoc.mjs');

test('the vendored RapiDoc is the npm build pinned in tools/package.json', () => {
  const pin = JSON.parse(readFileSync(new URL('../../../tools/package.json', import.meta.url))).devDependencies.rapidoc;
  const vendored = readFileSync(new URL('../../js/vendor/rapidoc-min.js', import.meta.url), 'utf8');
  assert.ok(readFileSync(new URL('../../js/vendor/rapidoc-min.LICENSE.txt', import.meta.url), 'utf8').includes(`rapidoc ${pin}\n`));
  assert.doesNotMatch(vendored, /sourceMappingURL/);
  const built = new URL('../../../tools/node_modules/rapidoc/dist/rapidoc-min.js', import.meta.url);
  if (existsSync(built)) assert.equal(vendored, vendoredSource(readFileSync(built, 'utf8')), 'run tools/vendor-rapidoc.mjs');
});

test('the page refers only to files of this server, and keeps RapiDoc from fetching fonts', () => {
  const page = readFileSync(new URL('../../api-docs.html', import.meta.url), 'utf8');
  const urls = [...page.matchAll(/(?:src|href|spec-url)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(urls.includes('/js/vendor/rapidoc-min.js') && urls.includes('/api/openapi.json'), urls.join(' '));
  for (const url of urls) assert.match(url, /^\/[^/]/, `${url} is not on this server`);
  assert.match(page, /load-fonts="false"/);
});
