// Accounts in the browser: registering and signing in with errors beside the right field,
// throttling with the wait time, "remember me" storage, signing out, sessions ended elsewhere,
// the interface language, and how to check an HTTPS server's certificate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSuite, startServer, openClient, registerViaUi, loginViaUi, registerViaApi, waitForChat, rest,
  eventually, uniqueName, screenshot,
} from './helpers.mjs';

const { server, browser } = await startSuite();

/** The error text tied to the field labelled `label` by aria-describedby (hints excluded). */
async function fieldError(page, label) {
  const input = page.getByLabel(label, { exact: true });
  await eventually(async () => (await input.getAttribute('aria-invalid')) === 'true', { message: `${label} marked invalid` });
  const ids = (await input.getAttribute('aria-describedby')).split(' ').filter((id) => id.endsWith('-error'));
  const texts = await Promise.all(ids.map((id) => page.locator(`#${id}`).textContent()));
  return texts.filter((t) => t).join(' ');
}

/** A 1×1 PNG. */
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

test('registration errors appear beside the field, in plain words', async () => {
  const { context, page } = await openClient(browser, server);
  await page.getByRole('tab', { name: 'Register' }).click();
  await screenshot(page, 'register-light-wide');

  // Checked before asking the server.
  await page.getByLabel('Username', { exact: true }).fill('al');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Confirm password').fill('different');
  await page.getByRole('button', { name: 'Create account' }).click();
  assert.match(await fieldError(page, 'Username'), /Usernames are 3–32 characters/);
  assert.match(await fieldError(page, 'Password'), /at least 8 characters/);

  await page.getByLabel('Username', { exact: true }).fill(uniqueName('dora'));
  await page.getByLabel('Password', { exact: true }).fill('long-enough-1');
  await page.getByRole('button', { name: 'Create account' }).click();
  assert.equal(await fieldError(page, 'Confirm password'), "The passwords don't match");

  // Refused by the server: the demo account's name is taken.
  await page.getByLabel('Username', { exact: true }).fill('testuser');
  await page.getByLabel('Confirm password').fill('long-enough-1');
  await page.getByRole('button', { name: 'Create account' }).click();
  assert.equal(await fieldError(page, 'Username'), 'That username is already taken — try another one');
  assert.equal(await page.getByLabel('Username', { exact: true }).evaluate((el) => el === document.activeElement), true);
  await context.close();
});

test('a wrong password is explained, and repeated failures say how long to wait', async () => {
  const name = uniqueName('erin');
  await registerViaApi(server, name, 'right-password-1');
  const { context, page } = await openClient(browser, server);
  for (let i = 0; i < 5; i += 1) {
    await page.getByLabel('Username', { exact: true }).fill(name);
    await page.getByLabel('Password', { exact: true }).fill(`wrong-password-${i}`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
    assert.equal(await fieldError(page, 'Password'), 'Wrong username or password');
    await page.getByLabel('Password', { exact: true }).fill('');
  }
  // Now even the right password has to wait from a browser that never signed in to this
  // account (a short, growing delay, not a lock-out), and the page says so.
  await page.getByLabel('Password', { exact: true }).fill('right-password-1');
  await page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
  assert.match(await fieldError(page, 'Password'), /^Too many attempts\. Please wait \d+ (s|seconds?) before trying again\.$/);
  await screenshot(page, 'login-throttled-light-wide');
  await context.close();
});

test('“remember me” keeps the session across tabs; without it the session ends with the tab', async () => {
  const name = uniqueName('finn');
  await registerViaApi(server, name, 'finn-password-1');

  const remembered = await openClient(browser, server);
  const sockets = [];
  remembered.page.on('websocket', (ws) => sockets.push(ws.url()));
  await loginViaUi(remembered.page, name, 'finn-password-1', { remember: true });
  const stored = await remembered.page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage } }));
  const token = stored.local['confab.session:same-origin'];
  assert.match(token ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(stored.session['confab.session:same-origin'], undefined);
  assert.ok(!remembered.page.url().includes(token), 'the token is never in the page URL');
  assert.ok(sockets.length > 0 && sockets.every((url) => !url.includes(token) && url.endsWith('/ws')), 'nor in the socket URL');
  const second = await remembered.context.newPage();
  await second.goto(`${server.url}/`);
  await waitForChat(second);
  await remembered.context.close();

  const forgetful = await openClient(browser, server);
  await loginViaUi(forgetful.page, name, 'finn-password-1');
  const session = await forgetful.page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage } }));
  assert.match(session.session['confab.session:same-origin'] ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(session.local['confab.session:same-origin'], undefined);
  await forgetful.page.reload();
  await waitForChat(forgetful.page); // a reload of the same tab keeps it
  const other = await forgetful.context.newPage();
  await other.goto(`${server.url}/`);
  await other.getByRole('button', { name: 'Sign in', exact: true }).last().waitFor();
  await forgetful.context.close();
});

test('signing out returns to the sign-in screen and the token stops working', async () => {
  const { context, page } = await openClient(browser, server);
  await registerViaUi(page, uniqueName('gus'), 'gus-password-1', { remember: true });
  const token = await page.evaluate(() => localStorage.getItem('confab.session:same-origin'));
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('.auth-notice', { hasText: 'You have signed out.' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('confab.session:same-origin')), null);
  assert.equal((await rest(server, 'GET', '/api/auth/me', undefined, token)).status, 401);
  await page.reload();
  await page.getByRole('button', { name: 'Sign in', exact: true }).last().waitFor();
  await context.close();
});

test('changing the password signs out other sessions, which explain what happened', async () => {
  const name = uniqueName('hana');
  await registerViaApi(server, name, 'hana-password-1');
  const laptop = await openClient(browser, server);
  const phone = await openClient(browser, server, { viewport: { width: 390, height: 844 } });
  await loginViaUi(laptop.page, name, 'hana-password-1');
  await loginViaUi(phone.page, name, 'hana-password-1');

  await laptop.page.getByRole('button', { name: 'Settings' }).first().click();
  const settings = laptop.page.getByRole('dialog', { name: 'Settings' });
  await settings.getByLabel('Current password').fill('not-my-password');
  await settings.getByLabel('New password', { exact: true }).fill('hana-password-2');
  await settings.getByLabel('Confirm new password').fill('hana-password-2');
  await settings.getByRole('button', { name: 'Change password' }).click();
  assert.equal(await fieldError(laptop.page, 'Current password'), 'The current password is not right');
  await settings.getByLabel('Current password').fill('hana-password-1');
  await settings.getByRole('button', { name: 'Change password' }).click();
  await laptop.page.locator('.toast', { hasText: 'Password changed.' }).waitFor();

  // The phone's socket is closed with 4401: back to sign-in, with a reason.
  await phone.page.locator('.auth-notice', { hasText: 'Your session has ended. Please sign in again.' }).waitFor();
  await screenshot(phone.page, 'login-session-ended-light-narrow');
  await loginViaUi(phone.page, name, 'hana-password-2');
  // The laptop (the session that changed it) stays signed in.
  assert.equal(await laptop.page.locator('.conn-dot.online').count(), 1);
  await laptop.context.close();
  await phone.context.close();
});

test('profile: email is saved, and the avatar is a picture uploaded to the server', async () => {
  const { context, page } = await openClient(browser, server);
  await registerViaUi(page, uniqueName('ivy'));
  await page.getByRole('button', { name: 'Settings' }).first().click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  // No address field: a link to another site would be fetched by everyone who sees the avatar.
  assert.equal(await settings.getByLabel('Avatar image address').count(), 0);
  const chooser = page.waitForEvent('filechooser');
  await settings.getByRole('button', { name: 'Upload a picture' }).click();
  await (await chooser).setFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from(ONE_PIXEL_PNG, 'base64') });
  const picture = settings.locator('.profile-preview img');
  await picture.waitFor();
  assert.match(await picture.getAttribute('src'), /^blob:/);
  const token = await page.evaluate(() => sessionStorage.getItem('confab.session:same-origin'));
  let me = await rest(server, 'GET', '/api/auth/me', undefined, token);
  assert.match(me.body.user.avatar_url, /^\/api\/avatars\/[0-9a-f]{32}$/);
  await settings.getByRole('button', { name: 'Remove' }).click();
  await eventually(async () => (await settings.locator('.profile-preview img').count()) === 0, { message: 'initials again' });

  await settings.getByLabel('Email', { exact: true }).fill('ivy@example.com');
  await settings.getByRole('button', { name: 'Save profile' }).click();
  await page.locator('.toast', { hasText: 'Profile saved' }).first().waitFor();
  // The avatar's own "Profile saved" toasts may still be showing: the server has the last word.
  me = await eventually(async () => {
    const answer = await rest(server, 'GET', '/api/auth/me', undefined, token);
    return answer.body.user.email === 'ivy@example.com' && answer;
  }, { message: 'the email is saved' });
  assert.equal(me.body.user.avatar_url, null);
  assert.equal(me.body.user.email, 'ivy@example.com');

  // The theme follows the system unless chosen here, and the choice sticks.
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await settings.getByLabel('Theme').selectOption('dark');
  await eventually(async () => (await background()) !== light, { message: 'dark theme applied' });
  await page.reload();
  await page.locator('.conn-dot.online').waitFor();
  assert.notEqual(await background(), light);
  await page.getByRole('button', { name: 'Settings' }).first().click();
  await settings.getByLabel('Theme').selectOption('system');
  await eventually(async () => (await background()) === light, { message: 'back to the system theme' });
  await context.close();
});

test('the interface follows a Chinese browser and can be switched in settings', async () => {
  const { context, page } = await openClient(browser, server, { locale: 'zh-CN', viewport: { width: 390, height: 844 } });
  await page.getByRole('heading', { name: '欢迎回来' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await screenshot(page, 'login-light-narrow-zh');
  await page.getByRole('tab', { name: '注册' }).click();
  const name = uniqueName('li');
  await page.getByLabel('用户名').fill(name);
  await page.getByLabel('密码', { exact: true }).fill('correct-horse-42');
  await page.getByLabel('确认密码').fill('correct-horse-42');
  await page.getByRole('button', { name: '注册' }).last().click();
  await page.locator('.conn-dot.online').waitFor();
  await page.getByPlaceholder('发送消息到 #大厅').waitFor();
  await page.locator('.system-row', { hasText: `${name} 加入了房间` }).waitFor();
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'chat-dark-narrow-zh');
  await page.emulateMedia({ colorScheme: 'light' });

  await page.getByRole('button', { name: '设置' }).first().click();
  await page.getByRole('dialog', { name: '设置' }).getByLabel('语言').selectOption('en');
  await page.getByPlaceholder('Message #大厅').waitFor();
  await page.locator('.system-row', { hasText: `${name} joined the room` }).waitFor();
  await page.reload();
  await page.getByPlaceholder('Message #大厅').waitFor();
  await context.close();
});

test('the login page has a dark theme too', async () => {
  const { context, page } = await openClient(browser, server, { colorScheme: 'dark' });
  await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
  const background = await page.evaluate(() => getComputedStyle(document.querySelector('.auth-card')).backgroundColor);
  assert.equal(background, 'rgb(22, 25, 34)');
  await screenshot(page, 'login-dark-wide');
  await context.close();
});

test('over HTTPS the sign-in page tells how to check the server’s certificate; over plain HTTP it does not', async () => {
  const plain = await openClient(browser, server);
  await plain.page.getByRole('heading', { name: 'Welcome back' }).waitFor();
  // The page has asked /api/info by the time the server's name or policy shows; give it a moment.
  await plain.page.waitForLoadState('networkidle');
  assert.equal(await plain.page.getByTestId('auth-identity').isVisible(), false);
  await plain.context.close();

  const secure = await startServer({ args: ['--tls', 'on'] });
  try {
    assert.match(secure.url, /^https:\/\//);
    const { context, page, errors } = await openClient(browser, secure, { acceptCertificate: true });
    const identity = page.getByTestId('auth-identity');
    await identity.waitFor();
    await identity.getByText('Is this really your office’s server?').click();
    await page.getByText(/compare its SHA-256 fingerprint with the one shown where the server runs/).waitFor();
    await page.getByText(/If they differ, close this page/).waitFor();
    await screenshot(page, 'login-https-identity');
    // Signing in works over HTTPS and the socket is WSS.
    await registerViaUi(page, uniqueName('tls'));
    await waitForChat(page);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await secure.dispose();
  }
});
