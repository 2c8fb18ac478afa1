// Copies RapiDoc's single-file browser build from tools/node_modules (installed from npm at the
// version pinned in tools/package.json) into ui/js/vendor/, with its licence notices. The API
// docs page (/api/docs, ui/api-docs.html) must work on an offline LAN, so the renderer is a
// committed file embedded in the server's binary, never fetched from a CDN.
//
//   cd tools && npm ci && node vendor-rapidoc.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'node_modules', 'rapidoc', 'dist');
const out = path.resolve(here, '..', 'ui', 'js', 'vendor');

/** The build as shipped, without the pointer to a source map that is not vendored. */
export function vendoredSource(text) {
  return text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pkg = JSON.parse(readFileSync(path.join(here, 'node_modules', 'rapidoc', 'package.json'), 'utf8'));
  const build = readFileSync(path.join(dist, 'rapidoc-min.js'), 'utf8');
  writeFileSync(path.join(out, 'rapidoc-min.js'), vendoredSource(build));
  const licence = readFileSync(path.join(here, 'node_modules', 'rapidoc', 'LICENSE.txt'), 'utf8').trim();
  const bundled = readFileSync(path.join(dist, 'rapidoc-min.js.LICENSE.txt'), 'utf8').trim();
  writeFileSync(
    path.join(out, 'rapidoc-min.LICENSE.txt'),
    `ui/js/vendor/rapidoc-min.js is dist/rapidoc-min.js of the npm package ${pkg.name} ${pkg.version}\n` +
      `(${pkg.license}), which renders /api/docs.\n\n${licence}\n\n` +
      `The notices of the packages its build bundles, as the build lists them:\n\n${bundled}\n`,
  );
}
