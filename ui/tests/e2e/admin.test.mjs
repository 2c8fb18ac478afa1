// Server administration in the browser, on a server started without an administrator (no
// demo accounts): the one-time setup link creates the first administrator, who sees
// Administration; deactivating someone signs their open browser out at once and their sign-in
// is refused in plain words; a room admin renames a room and another member sees the new name
// live; an invite link registers under the `invite` policy; a reset password forces a change at
// the next sign-in; axe on the console and the room settings dialog; the console in Chinese
// and on a phone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSuite, startServer, openClient, registerViaUi, registerViaApi, loginViaUi, waitForChat, openRoom, rest, eventually, uniqueName, screenshot, messageBubbles } from './helpers.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const { server, browser } = await startSuite({ profile: 'production' });

/** Runs axe on the page (or inside `within`) and fails on serious or critical violations. */
async function expectAccessible(page, where, within = null) {
  if (!(await page.evaluate(() => Boolean(globalThis.axe)))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (selector) => {
    const result = await globalThis.axe.run(selector ? document.querySelector(selector) : document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('\n    ')}`);
  }, within);
  assert.deepEqual(violations, [], `${where}:\n  ${violations.join('\n  ')}`);
}

/** The session token a signed-in page holds (this tab's, or remembered). */
function tokenOf(page) {
  return page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith('confab.session:')) ?? Object.keys(localStorage).find((k) => k.startsWith('confab.session:'));
    return sessionStorage.getItem(key) ?? localStorage.getItem(key);
  });
}

/** A browser already signed in with `token` (no form), opened at `hash`. */
async function signedIn(token, { hash = '', locale = 'en-US', viewport, bypassCSP = false } = {}) {
  const setup = (context) => context.addInitScript((t) => sessionStorage.setItem('confab.session:same-origin', t), token);
  return openClient(browser, server, { locale, viewport, bypassCSP, setup, pageUrl: `${server.url}/${hash}` });
}

const bossName = uniqueName('boss');
let boss = null; // the first administrator's browser, at the console
let bossToken = null;

test('the setup link on a fresh server makes the first administrator, who sees Administration', async () => {
  assert.ok(server.setupUrl, 'a server without an administrator prints its setup link');
  assert.match(server.setupUrl, /#\/setup\/[A-Za-z0-9_-]{22}$/);
  // Without the link, nobody who registers is an administrator.
  const plain = await registerViaApi(server, uniqueName('early'));
  assert.equal(plain.user.is_server_admin, false);

  boss = await openClient(browser, server, { pageUrl: server.setupUrl, bypassCSP: true });
  const { page } = boss;
  await page.getByTestId('auth-link-note').filter({ hasText: 'first administrator' }).waitFor();
  await registerViaUi(page, bossName);
  await page.getByRole('button', { name: 'Administration' }).waitFor();
  bossToken = await tokenOf(page);
  const { body } = await rest(server, 'GET', '/api/auth/me', undefined, bossToken);
  assert.equal(body.user.is_server_admin, true);
  // The link is spent: the address bar no longer holds it, and the code no longer works.
  assert.doesNotMatch(page.url(), /setup/);
  const again = await rest(server, 'POST', '/api/auth/register', { username: uniqueName('late'), password: 'correct-horse-42', setup_code: server.setupUrl.split('/').pop() });
  assert.equal(again.status, 403);
  // Someone else never sees the entry.
  const other = await openClient(browser, server);
  await registerViaUi(other.page, uniqueName('plain'));
  assert.equal(await other.page.getByRole('button', { name: 'Administration' }).count(), 0);
  await other.context.close();

  await page.getByRole('button', { name: 'Administration' }).click();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await page.locator(`.admin-row[data-user="${bossName}"]`).filter({ hasText: 'administrator' }).waitFor();
  await expectAccessible(page, 'admin console: users');
  // Today's bar counts a message just sent; days without any have no height.
  const { body: rooms } = await rest(server, 'GET', '/api/rooms', undefined, bossToken);
  const lobby = rooms.rooms.find((r) => r.is_member);
  await rest(server, 'POST', `/api/rooms/${lobby.id}/messages`, { content: 'First words', client_msg_id: 'c-stats-1' }, bossToken);
  await page.getByRole('link', { name: 'Stats' }).click();
  await page.locator('.stats-chart rect.chart-bar').first().waitFor({ state: 'attached' });
  assert.equal(await page.locator('.stats-chart rect.chart-bar').count(), 30);
  const today = page.locator('.stats-chart rect.chart-bar').last();
  assert.ok(Number(await today.getAttribute('data-messages')) >= 1);
  assert.ok(Number(await today.getAttribute('height')) > 0);
  await page.locator('.stat[data-stat="people"] dd').filter({ hasText: /^[1-9]/ }).waitFor();
  await expectAccessible(page, 'admin console: stats');
  await screenshot(page, 'admin-stats-light-wide');
  assert.deepEqual(boss.errors, []);
});

test('a deactivated person is signed out at once and told why they cannot sign in', async () => {
  const name = uniqueName('leaver');
  const { token: leaverToken } = await registerViaApi(server, name);
  const { body: rooms } = await rest(server, 'GET', '/api/rooms', undefined, leaverToken);
  const lobby = rooms.rooms.find((r) => r.is_member);
  await rest(server, 'POST', `/api/rooms/${lobby.id}/messages`, { content: 'Goodbye, everyone', client_msg_id: 'c-leaver-1' }, leaverToken);
  const leaver = await openClient(browser, server);
  await loginViaUi(leaver.page, name, 'correct-horse-42');

  const { page } = boss;
  await page.getByRole('link', { name: 'Users' }).click();
  const row = page.locator(`.admin-row[data-user="${name}"]`);
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await row.filter({ hasText: 'deactivated' }).waitFor();

  // The open browser is back at the sign-in page without anyone touching it.
  await leaver.page.getByRole('button', { name: 'Sign in', exact: true }).last().waitFor();
  await leaver.page.getByLabel('Username', { exact: true }).fill(name);
  await leaver.page.getByLabel('Password', { exact: true }).fill('correct-horse-42');
  await leaver.page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
  await leaver.page.getByText('This account has been deactivated by an administrator').waitFor();
  assert.equal(await leaver.page.locator('.conn-dot').count(), 0);

  // Their messages stay, marked "deactivated" beside their name, as they are among the members.
  const reader = await signedIn(bossToken);
  await waitForChat(reader.page);
  await openRoom(reader.page, lobby.name);
  await reader.page.locator(`.msg[data-author="${name}"] .pill-deactivated`).first().waitFor();
  await reader.page.locator(`.member[data-user="${name}"] .pill-deactivated`).waitFor();
  await reader.context.close();

  // Reactivated, they are let in again.
  await row.getByRole('button', { name: 'Reactivate' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Reactivate' }).click();
  await row.filter({ hasText: 'active' }).filter({ hasNotText: 'deactivated' }).waitFor();
  await leaver.page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
  await waitForChat(leaver.page);
  await leaver.context.close();
});

test('a room admin renames a room and the other member sees the new name without reloading', async () => {
  const carolName = uniqueName('carol');
  const daveName = uniqueName('dave');
  const carol = await registerViaApi(server, carolName);
  await registerViaApi(server, daveName);
  const roomName = uniqueName('plans');
  const { body } = await rest(server, 'POST', '/api/rooms', { name: roomName, description: 'Old topic' }, carol.token);
  await rest(server, 'POST', `/api/rooms/${body.room.id}/members`, { username: daveName }, carol.token);

  const c = await openClient(browser, server, { bypassCSP: true });
  await loginViaUi(c.page, carolName, 'correct-horse-42');
  const d = await openClient(browser, server);
  await loginViaUi(d.page, daveName, 'correct-horse-42');
  await openRoom(c.page, roomName);
  await openRoom(d.page, roomName);

  await c.page.getByTestId('room-settings').click();
  const dialog = c.page.getByRole('dialog');
  await dialog.locator(`.member[data-user="${daveName}"]`).waitFor();
  await expectAccessible(c.page, 'room settings dialog', 'dialog');
  const newName = `${roomName}-renamed`;
  await dialog.getByLabel('Room name').fill(newName);
  await dialog.getByLabel('Description').fill('Where the plans are made');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });

  // Dave's room list and top bar follow at once.
  await d.page.locator('.room-item .room-name', { hasText: new RegExp(`^${newName}$`) }).waitFor();
  await d.page.locator('.topbar-room-name', { hasText: newName }).waitFor();
  await d.page.locator('.topbar-room-meta', { hasText: 'Where the plans are made' }).waitFor();
  await d.page.locator('.system-row', { hasText: `renamed the room to ${newName}` }).waitFor();

  // Carol makes Dave a room admin: he gets the settings button too.
  await c.page.getByTestId('room-settings').click();
  await c.page.getByRole('dialog').getByRole('button', { name: `Make admin (${daveName})` }).click();
  await c.page.getByRole('dialog').getByRole('button', { name: `Remove admin (${daveName})` }).waitFor();
  await c.page.keyboard.press('Escape');
  await d.page.getByTestId('room-settings').waitFor();

  // An archived room: the composer gives way to a note, for both.
  await rest(server, 'POST', `/api/rooms/${body.room.id}/archive`, undefined, bossToken);
  await d.page.getByTestId('archived-bar').waitFor();
  assert.equal(await d.page.locator('.composer-input').isVisible(), false);
  await d.page.locator(`.room-item[data-room-id="${body.room.id}"] .room-archived`).waitFor();

  // Deleted by an administrator: the room disappears with a notice.
  await rest(server, 'DELETE', `/api/rooms/${body.room.id}`, undefined, bossToken);
  await d.page.getByText(`#${newName} was deleted by an administrator`).waitFor();
  await eventually(async () => (await d.page.locator(`.room-item[data-room-id="${body.room.id}"]`).count()) === 0, { message: 'the deleted room left the list' });
  assert.deepEqual([...c.errors, ...d.errors], []);
  await c.context.close();
  await d.context.close();
});

test('under the invite policy an invite link registers, and plain registration is refused in plain words', async () => {
  const { page } = boss;
  await page.getByRole('link', { name: 'Settings' }).click();
  await eventually(async () => (await page.getByLabel('Server name').inputValue()) === 'Confab', { message: 'the settings loaded' });
  await page.getByLabel('Server name').fill('Acme Office');
  await page.getByLabel(/With an invite/).check();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved').waitFor();

  const stranger = await openClient(browser, server);
  await stranger.page.getByTestId('auth-server-name').filter({ hasText: 'Acme Office' }).waitFor();
  await stranger.page.getByRole('tab', { name: 'Register' }).click();
  await stranger.page.getByTestId('auth-policy').filter({ hasText: 'needs an invite' }).waitFor();
  await stranger.page.getByLabel('Username', { exact: true }).fill(uniqueName('nope'));
  await stranger.page.getByLabel('Password', { exact: true }).fill('correct-horse-42');
  await stranger.page.getByLabel('Confirm password').fill('correct-horse-42');
  await stranger.page.getByRole('button', { name: 'Create account' }).click();
  await stranger.page.locator('.form-error', { hasText: 'needs an invite' }).waitFor();
  await stranger.context.close();

  await page.getByRole('link', { name: 'Invites' }).click();
  await page.getByLabel('Uses (optional)').fill('2');
  await page.getByRole('button', { name: 'Create invite' }).click();
  const url = await page.getByTestId('invite-url').inputValue();
  assert.match(url, /#\/invite\/[A-Za-z0-9_-]+$/);
  await expectAccessible(page, 'admin console: invites');

  const invited = await openClient(browser, server, { pageUrl: url });
  await invited.page.getByTestId('auth-link-note').filter({ hasText: 'invited' }).waitFor();
  assert.equal(await invited.page.getByLabel('Invite code').inputValue(), url.split('/').pop());
  await registerViaUi(invited.page, uniqueName('newbie'));
  await invited.context.close();
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('link', { name: 'Invites' }).click();
  await page.locator('.admin-row', { hasText: 'used 1 of 2' }).waitFor();

  await rest(server, 'PUT', '/api/admin/settings', { registration: 'open' }, bossToken);
});

test('a reset password lets its owner in only to choose a new one', async () => {
  await rest(server, 'PUT', '/api/admin/settings', { registration: 'open' }, bossToken);
  const name = uniqueName('forgetful');
  await registerViaApi(server, name);
  const { page } = boss;
  await page.getByRole('link', { name: 'Users' }).click();
  const row = page.locator(`.admin-row[data-user="${name}"]`);
  await row.getByRole('button', { name: 'Reset password' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
  const temporary = await page.getByTestId('temp-password').inputValue();
  assert.ok(temporary.length >= 8);
  await page.getByRole('dialog').getByRole('button', { name: 'Close', exact: true }).last().click();

  const owner = await openClient(browser, server);
  await owner.page.getByLabel('Username', { exact: true }).fill(name);
  await owner.page.getByLabel('Password', { exact: true }).fill(temporary);
  await owner.page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
  await owner.page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  assert.equal(await owner.page.locator('.conn-dot').count(), 0);
  await owner.page.getByLabel('New password').fill('brand-new-secret-9');
  await owner.page.getByLabel('Confirm password').fill('brand-new-secret-9');
  await owner.page.getByRole('button', { name: 'Save and continue' }).click();
  await waitForChat(owner.page);
  const login = await rest(server, 'POST', '/api/auth/login', { username: name, password: 'brand-new-secret-9' });
  assert.equal(login.status, 200);
  assert.equal(login.body.password_change_required, undefined);
  assert.deepEqual(owner.errors, []);
  await owner.context.close();

  // An account an administrator creates starts the same way.
  const hired = uniqueName('hired');
  await page.getByRole('button', { name: 'New account' }).click();
  await page.getByRole('dialog').getByLabel('Username').fill(hired);
  await page.getByRole('dialog').getByRole('button', { name: 'Create account' }).click();
  const given = await page.getByTestId('temp-password').inputValue();
  await page.getByRole('dialog').getByRole('button', { name: 'Close', exact: true }).last().click();
  await page.locator(`.admin-row[data-user="${hired}"]`).waitFor();
  const first = await rest(server, 'POST', '/api/auth/login', { username: hired, password: given });
  assert.equal(first.status, 200);
  assert.equal(first.body.password_change_required, true);
});

test('the console in Chinese, and on a phone: the sections first, then a page each', async () => {
  const zh = await signedIn(bossToken, { hash: '#/admin/stats', locale: 'zh-CN' });
  await zh.page.getByRole('heading', { name: '统计', level: 1 }).waitFor();
  await zh.page.getByText('每日消息数').waitFor();
  await zh.page.getByRole('link', { name: '用户' }).click();
  await zh.page.getByRole('button', { name: '重置密码' }).first().waitFor();
  await screenshot(zh.page, 'admin-users-zh-wide');
  await zh.context.close();

  const phone = await signedIn(bossToken, { hash: '#/admin', viewport: { width: 390, height: 800 }, bypassCSP: true });
  await phone.page.getByRole('link', { name: 'Invites' }).waitFor();
  assert.equal(await phone.page.locator('.admin-page').isVisible(), false);
  await phone.page.getByRole('link', { name: 'Users' }).click();
  await phone.page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  assert.equal(await phone.page.locator('.admin-nav').isVisible(), false);
  await expectAccessible(phone.page, 'admin console on a phone');
  await screenshot(phone.page, 'admin-users-light-phone');
  await phone.page.getByRole('link', { name: 'All sections' }).click();
  await phone.page.getByRole('link', { name: 'Audit log' }).click();
  await phone.page.locator('.audit-row[data-action="register_admin"]').waitFor();
  // Room admins' changes are there too, in words.
  await phone.page.locator('.audit-row[data-action="update_room"]', { hasText: 'changed the settings of' }).first().waitFor();
  await phone.page.getByRole('button', { name: 'Back to chat' }).click();
  await waitForChat(phone.page);
  await phone.context.close();
});

test('messages sent to a room an admin archived are refused, and the room list says archived', async () => {
  const { body } = await rest(server, 'POST', '/api/rooms', { name: uniqueName('old') }, bossToken);
  await rest(server, 'POST', `/api/rooms/${body.room.id}/archive`, undefined, bossToken);
  const sent = await rest(server, 'POST', `/api/rooms/${body.room.id}/messages`, { content: 'hello', client_msg_id: 'c-archived-1' }, bossToken);
  assert.equal(sent.status, 403);
  assert.equal(sent.body.error.code, 'room_archived');
  const { page } = boss;
  await page.getByRole('link', { name: 'Rooms' }).click();
  await page.locator('.admin-row.is-archived', { hasText: body.room.name }).waitFor();
  assert.equal(await messageBubbles(page, 'hello').count(), 0);
});

test('someone already signed in who opens the setup link is offered the administrator role', async () => {
  const fresh = await startServer({ profile: 'production' });
  try {
    const first = await openClient(browser, fresh);
    await registerViaUi(first.page, uniqueName('founder'));
    assert.equal(await first.page.getByRole('button', { name: 'Administration' }).count(), 0);
    await first.page.goto(fresh.setupUrl);
    await first.page.getByRole('dialog').getByRole('button', { name: 'Become administrator' }).click();
    await first.page.getByText('You are now an administrator of this server').waitFor();
    await first.page.getByRole('button', { name: 'Administration' }).waitFor();
    const { body } = await rest(fresh, 'GET', '/api/auth/me', undefined, await tokenOf(first.page));
    assert.equal(body.user.is_server_admin, true);
    assert.deepEqual(first.errors, []);
    await first.context.close();
  } finally {
    await fresh.dispose();
  }
});
