// End-to-end test of the app's updates (run by scripts/desktop-e2e after desktop.test.mjs, in
// the same display, D-Bus session and home). The script made a throwaway signing key with
// `cargo tauri signer generate` and started the app's WebDriver with CONFAB_UPDATE_URL pointing
// at this test's HTTP server on 127.0.0.1 and CONFAB_UPDATE_PUBKEY naming that key (a debug
// build takes a test's key; a release build only the one it was built with). This test serves a
// signed update manifest announcing a newer version and an update artifact:
// the app finds it at start and the settings show the version and its notes → a tampered
// artifact is refused and the window says so → a signature made with another key is refused
// too → the genuine artifact downloads and its signature checks out; it is not installed,
// because this is a debug binary in a build folder, not an AppImage or package (AppImage
// bundles cannot be built on this machine: their tooling downloads helpers from GitHub), so the
// window says it cannot replace itself, and the binary is untouched → with the setting off, a
// restart asks the endpoint nothing.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebDriver, sleep } from './webdriver.mjs';

const app = process.env.CONFAB_E2E_APP;
const artifacts = process.env.CONFAB_E2E_ARTIFACTS;
const webdriver = process.env.CONFAB_E2E_WEBDRIVER;
const endpoint = new URL(process.env.CONFAB_UPDATE_URL);
const key = process.env.CONFAB_E2E_UPDATE_KEY;
// cargo-tauri run directly (not through cargo, whose toolchain lives in the real home).
const tauriCli = process.env.CONFAB_E2E_TAURI_CLI;

const step = (what) => console.log(`updater e2e: ${what}`);

/** Signs `file` with the private key at `keyFile` as the Tauri CLI does for releases. */
function sign(keyFile, file, version) {
  const signed = spawnSync(tauriCli, ['tauri', 'signer', 'sign', '-f', keyFile, '-p', '', '--app-version', version, file], { encoding: 'utf8' });
  if (signed.status !== 0) throw new Error(`signing failed: ${signed.stderr}`);
  return readFileSync(`${file}.sig`, 'utf8').trim();
}

function newKey(dir) {
  const made = spawnSync(tauriCli, ['tauri', 'signer', 'generate', '--ci', '-w', join(dir, 'other.key'), '-p', ''], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making a second key failed: ${made.stderr}`);
  return join(dir, 'other.key');
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'confab-update-'));
  // The workspace's version, which the app reports.
  const current = /^version = "([^"]+)"/m.exec(readFileSync('Cargo.toml', 'utf8'))[1];
  const [major, minor] = current.split('.').map(Number);
  const version = `${major}.${minor + 1}.0`;
  const notes = `### Added\n- Updates that check their signature before anything is installed (${version})`;

  // The "new version": bytes standing in for an AppImage, signed for `version`.
  const genuine = Buffer.concat([Buffer.from('\x7fELF Confab update test artifact '), Buffer.from(version), Buffer.alloc(64 * 1024, 7)]);
  const artifactFile = join(dir, `Confab_${version}_amd64.AppImage`);
  writeFileSync(artifactFile, genuine);
  const signature = sign(key, artifactFile, version);
  const otherSignature = sign(newKey(dir), artifactFile, version);
  const tampered = Buffer.from(genuine);
  tampered[tampered.length - 1] ^= 1;

  // What the server hands out; changed as the test goes.
  const served = { artifact: tampered, signature };
  const requests = { manifest: 0, artifact: 0 };
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    if (path === endpoint.pathname) {
      requests.manifest += 1;
      const manifest = {
        version,
        notes,
        pub_date: '2026-12-01T09:00:00Z',
        platforms: { 'linux-x86_64': { url: new URL('/download/confab.AppImage', endpoint).href, signature: served.signature } },
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(manifest));
    } else if (path === '/download/confab.AppImage') {
      requests.artifact += 1;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': served.artifact.length });
      response.end(served.artifact);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(Number(endpoint.port), '127.0.0.1', resolve));
  const binaryBefore = sha256(readFileSync(app));

  const wd = new WebDriver(webdriver);
  try {
    step(`the app starts and finds ${version} (it runs ${current})`);
    await wd.start(app);
    await signedIn(wd);
    await wd.waitUntil("return document.body.textContent.includes(arguments[0])", [`Confab ${version} is available`], {
      what: 'a toast announces the new version',
    });
    if (requests.manifest < 1) throw new Error('the app never asked for the manifest');
    await openSettings(wd);
    await waitForState(wd, 'available');
    const status = await wd.text('[data-testid=update-status]');
    if (!status.includes(version)) throw new Error(`the update status does not name ${version}: ${status}`);
    const shownNotes = await wd.text('[data-testid=update-notes]');
    if (!shownNotes.includes(`Updates that check their signature before anything is installed (${version})`)) {
      throw new Error(`the release notes are not shown: ${shownNotes}`);
    }
    writeFileSync(join(artifacts, 'update-available.png'), await wd.screenshot());

    step('a tampered artifact is refused, and the window says so');
    await wd.click('[data-testid=update-install]');
    await waitForState(wd, 'failed');
    await refusedForItsSignature(wd, version);
    if (requests.artifact !== 1) throw new Error(`the artifact was requested ${requests.artifact} times`);
    writeFileSync(join(artifacts, 'update-refused.png'), await wd.screenshot());

    step('a signature made with another key is refused');
    served.artifact = genuine;
    served.signature = otherSignature;
    await wd.click('[data-testid=update-check]');
    await waitForState(wd, 'available');
    await wd.click('[data-testid=update-install]');
    await waitForState(wd, 'failed');
    await refusedForItsSignature(wd, version);
    if (requests.artifact !== 2) throw new Error(`the artifact was requested ${requests.artifact} times`);

    step('the genuine artifact downloads and its signature checks out; a build-folder binary is not replaced');
    served.signature = signature;
    await wd.click('[data-testid=update-check]');
    await waitForState(wd, 'available');
    await wd.click('[data-testid=update-install]');
    await waitForState(wd, 'verified');
    const verified = await wd.text('[data-testid=update-status]');
    if (!/signature checked/.test(verified) || !/cannot replace itself/.test(verified)) {
      throw new Error(`the verified state reads: ${verified}`);
    }
    if (requests.artifact !== 3) throw new Error(`the artifact was requested ${requests.artifact} times`);
    if (sha256(readFileSync(app)) !== binaryBefore) throw new Error('the app binary changed');
    writeFileSync(join(artifacts, 'update-verified.png'), await wd.screenshot());

    step('with the setting off, a restart asks the endpoint nothing');
    await wd.click('[data-testid=settings-check-updates]');
    await wd.waitUntil("return document.querySelector('[data-testid=settings-check-updates]')?.checked === false && !document.querySelector('[data-testid=settings-check-updates]').disabled");
    const settingsFile = join(process.env.XDG_DATA_HOME, 'chat.confab.desktop', 'settings.json');
    if (!readFileSync(settingsFile, 'utf8').includes('"check_updates": false') && !readFileSync(settingsFile, 'utf8').includes('"check_updates":false')) {
      throw new Error('the setting was not saved');
    }
    await quit(wd);
    const asked = requests.manifest;
    await wd.start(app);
    await signedIn(wd);
    await openSettings(wd);
    // The check at start would have run before the window's first screen: the state says none did.
    await waitForState(wd, 'idle');
    if (requests.manifest !== asked) throw new Error('the app checked for updates with the setting off');
    // "Check now" still works when asked.
    await wd.click('[data-testid=update-check]');
    await waitForState(wd, 'available');
    if (requests.manifest !== asked + 1) throw new Error('"Check now" did not ask the endpoint');
    await quit(wd);
    step('passed');
  } catch (error) {
    try {
      writeFileSync(join(artifacts, 'updater-failure.png'), await wd.screenshot());
    } catch {
      // no session to photograph
    }
    throw error;
  } finally {
    await wd.end();
    server.close();
  }
}

/** Waits for the signed-in window; on a first run (this test alone), hosts and registers. */
async function signedIn(wd) {
  const screen = await wd.waitUntil(
    "return document.querySelector('.composer-input') ? 'chat' : document.querySelector('[data-testid=welcome]') ? 'welcome' : null",
    [],
    { timeout: 60_000, what: 'the window shows the chat or the welcome screen' },
  );
  if (screen === 'chat') return;
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  await wd.type('[data-testid=host-port]', String(port));
  await wd.click('[data-testid=host-start]');
  await wd.waitFor('[data-testid=welcome-hosted]', { timeout: 30_000 });
  await wd.click('[data-testid=welcome-continue]');
  await wd.click('#tab-register');
  await wd.type('input[name=username]', 'keeper');
  await wd.type('input[name=password]', 'desktop-pass-42');
  await wd.type('input[name=confirm]', 'desktop-pass-42');
  // Signed in again after the restart below.
  if (!(await wd.execute("return document.getElementById('remember').checked"))) await wd.click('#remember');
  await wd.click('#auth-panel button[type=submit]');
  await wd.waitFor('.composer-input', { timeout: 30_000 });
}

async function openSettings(wd) {
  await wd.execute("document.querySelector('[data-testid=open-settings]').click()");
  await wd.waitFor('[data-testid=settings-updates]');
}

async function waitForState(wd, state) {
  await wd.waitUntil("return document.querySelector('[data-testid=update-status]')?.dataset.state === arguments[0]", [state], {
    timeout: 60_000,
    what: `the update status is ${state}`,
  });
}

async function refusedForItsSignature(wd, version) {
  const code = await wd.execute("return document.querySelector('[data-testid=update-status]').dataset.code");
  const text = await wd.text('[data-testid=update-status]');
  if (code !== 'update_bad_signature' || !text.includes(`The download of Confab ${version} was refused`) || !text.includes('Nothing was installed')) {
    throw new Error(`the refusal reads: ${code}: ${text}`);
  }
}

async function quit(wd) {
  await wd.executeAsync("const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke('quit').then(() => done('ok'), (e) => done(String(e)))").catch(() => {});
  await sleep(1000);
  await wd.end();
}

main().catch((error) => {
  console.error(`updater e2e failed: ${error.stack ?? error}`);
  process.exit(1);
});
