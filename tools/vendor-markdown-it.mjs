// Copies markdown-it's browser ES-module build from ui/node_modules (installed from npm at the
// version pinned in ui/package.json) into ui/js/vendor/, with the licences of everything the
// build bundles. The web client has no bundler and must work offline, so the parser is a
// committed file; ui/tests/unit/markdown.test.js checks the copy still matches the pin.
//
//   cd ui && npm ci && node ../tools/vendor-markdown-it.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'ui');
const modules = path.join(ui, 'node_modules');
const out = path.join(ui, 'js', 'vendor');

/** The build as shipped, without the pointer to a source map that is not vendored. */
export function vendoredSource(text) {
  return text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

// What the browser build bundles, with each package's licence file.
const BUNDLED = [
  ['markdown-it', 'LICENSE'],
  ['linkify-it', 'LICENSE'],
  ['mdurl', 'LICENSE'],
  ['uc.micro', 'LICENSE.txt'],
  ['entities', 'LICENSE'],
  ['punycode.js', 'LICENSE-MIT.txt'],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const build = readFileSync(path.join(modules, 'markdown-it', 'dist', 'browser', 'markdown-it.esm.min.mjs'), 'utf8');
  writeFileSync(path.join(out, 'markdown-it.js'), vendoredSource(build));
  const notices = BUNDLED.map(([name, file]) => {
    const pkg = JSON.parse(readFileSync(path.join(modules, name, 'package.json'), 'utf8'));
    const licence = readFileSync(path.join(modules, name, file), 'utf8').trim();
    return `${pkg.name} ${pkg.version} (${pkg.license})\n${'='.repeat(40)}\n\n${licence}\n`;
  });
  const header = 'ui/js/vendor/markdown-it.js is the browser ES-module build of markdown-it\n(dist/browser/markdown-it.esm.min.mjs from the npm package), which bundles the packages below.\nTheir licences:\n\n';
  writeFileSync(path.join(out, 'markdown-it.LICENSE.txt'), header + notices.join('\n'));
}
