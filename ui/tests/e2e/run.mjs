// Runs the end-to-end suite: every tests/e2e/*.test.mjs (or those whose name contains one of
// the arguments) under `node --test`, one file at a time. Each file starts its own
// confab-server (CONFAB_SERVER_BIN, default ../target/debug/confab-server) and headless
// Chromium; servers a crashed test file left behind are killed here. Screenshots land in
// <repo>/test-artifacts/screenshots/. Exits non-zero on any failure.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const uiDir = path.resolve(here, '..', '..');
const serverBin = path.resolve(uiDir, process.env.CONFAB_SERVER_BIN || '../target/debug/confab-server');
const chromium = process.env.CONFAB_CHROMIUM || '/usr/bin/chromium';

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(2);
}

if (!existsSync(serverBin)) fail(`confab-server not found at ${serverBin}. Build it with \`cargo build --bin confab-server\` or set CONFAB_SERVER_BIN.`);
if (!existsSync(chromium)) fail(`Chromium not found at ${chromium}. Install it with \`apt-get install -y chromium\` (never \`npx playwright install\`) or set CONFAB_CHROMIUM.`);

const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.test.mjs'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort()
  .map((name) => path.join('tests', 'e2e', name));
if (files.length === 0) fail(`no test file matches ${filters.join(', ')}`);

const scratch = mkdtempSync(path.join(tmpdir(), 'confab-e2e-run-'));
const pidFile = path.join(scratch, 'pids');
mkdirSync(path.resolve(uiDir, '..', 'test-artifacts', 'screenshots'), { recursive: true });

function killLeftovers() {
  if (!existsSync(pidFile)) return;
  for (const line of readFileSync(pidFile, 'utf8').split('\n')) {
    const pid = Number(line);
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already exited
    }
  }
}

const started = Date.now();
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: uiDir,
  stdio: 'inherit',
  env: { ...process.env, CONFAB_SERVER_BIN: serverBin, CONFAB_E2E_PIDFILE: pidFile },
});

const forward = (signal) => () => child.kill(signal);
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));

child.on('exit', (code, signal) => {
  killLeftovers();
  rmSync(scratch, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`e2e: ${files.length} file(s) in ${seconds} s — ${code === 0 ? 'passed' : 'FAILED'}`);
  process.exit(code ?? (signal ? 1 : 0));
});
