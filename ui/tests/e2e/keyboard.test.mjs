// The keyboard: quick switcher (Ctrl+K, fuzzy, Chinese and English), Alt+↑/↓ and Alt+Shift+↑/↓
// through rooms, ↑ in an empty composer edits my last message, Esc marks the room read,
// Ctrl+/ lists the shortcuts (in both languages), nothing fires while an IME composes, arrow
// keys through the room list and the timeline with one tab stop each, and a skip link.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSuite, openClient, loginViaUi, registerViaApi, rest, eventually, uniqueName, sendMessage, messageBubbles } from './helpers.mjs';

const { server, browser } = await startSuite();

const current = (page) => page.locator('.topbar-room-name').textContent();
const focused = (page) => page.evaluate(() => ({ cls: document.activeElement?.className ?? '', text: document.activeElement?.textContent ?? '', id: document.activeElement?.id ?? '' }));

async function setup({ locale = 'en-US' } = {}) {
  const owner = await registerViaApi(server, uniqueName('olga'));
  const reader = await registerViaApi(server, uniqueName('kim'));
  const suffix = Math.random().toString(36).slice(2, 6);
  const names = [`alpha-${suffix}`, `beta-${suffix}`, `产品设计-${suffix}`];
  const ids = {};
  for (const name of names) {
    const { body } = await rest(server, 'POST', '/api/rooms', { name }, owner.token);
    ids[name] = body.room.id;
    await rest(server, 'POST', `/api/rooms/${body.room.id}/join`, undefined, reader.token);
  }
  const client = await openClient(browser, server, { locale });
  await loginViaUi(client.page, reader.user.username, 'correct-horse-42');
  return { owner, reader, names, ids, ...client };
}

test('Ctrl+K finds rooms and people, in English and Chinese; Ctrl+/ lists the shortcuts; an IME composing fires nothing', async () => {
  const { page, names, errors, context, owner, ids } = await setup();
  // Ctrl+K, fuzzy: "bt" finds beta.
  await page.keyboard.press('Control+k');
  const box = page.getByRole('combobox', { name: 'Type a room or person' });
  await box.waitFor();
  await box.fill('bt' + names[1].slice(-4));
  await page.keyboard.press('Enter');
  await eventually(async () => (await current(page)) === names[1], { message: 'beta opened' });

  // Ctrl+K straight after picking, before the browser has delivered the switcher's close event,
  // opens it again rather than being swallowed.
  await page.keyboard.press('Control+k');
  await box.fill('alpha' + names[0].slice(-4));
  await page.evaluate(() => {
    const input = document.querySelector('.switcher-input');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true, bubbles: true, cancelable: true }));
  });
  await eventually(async () => (await current(page)) === names[0], { message: 'alpha opened' });
  await eventually(async () => (await page.locator('dialog[open] .switcher-input').count()) === 1, { message: 'the switcher opened again' });
  await page.keyboard.press('Escape');
  await page.locator('dialog').waitFor({ state: 'detached' });

  // Chinese, by characters in order.
  await page.keyboard.press('Control+k');
  await box.fill('设计');
  assert.match(await page.locator('dialog[open]').getByRole('option', { selected: true }).textContent(), /产品设计/);
  await page.keyboard.press('Enter');
  await eventually(async () => (await current(page)) === names[2], { message: '产品设计 opened' });

  // People known to the client: the owner is a member of the room on screen.
  await page.locator('.member-list').first().waitFor();
  await page.keyboard.press('Control+k');
  await box.fill(owner.user.username);
  assert.match(await page.locator('dialog[open]').getByRole('option', { selected: true }).textContent(), /Person/);
  await page.keyboard.press('Escape');

  // Ctrl+/: every shortcut listed.
  await page.keyboard.press('Control+/');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await dialog.waitFor();
  for (const text of ['Quick switcher', 'Previous / next room', 'Previous / next room with unread messages', 'Edit my last message', 'Mark the room as read']) {
    assert.equal(await dialog.getByText(text).count() > 0, true, text);
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  // While an IME composes (keyCode 229 / isComposing), shortcuts stay silent.
  await page.locator('.composer-input').focus();
  await page.evaluate(() => {
    const target = document.querySelector('.composer-input');
    for (const init of [{ key: 'k', ctrlKey: true, isComposing: true }, { key: 'ArrowDown', altKey: true, keyCode: 229 }, { key: '/', ctrlKey: true, isComposing: true }]) {
      target.dispatchEvent(new KeyboardEvent('keydown', { ...init, bubbles: true, cancelable: true }));
    }
  });
  await page.waitForTimeout(300);
  assert.equal(await page.locator('dialog[open]').count(), 0);
  assert.equal(await current(page), names[2]);
  assert.ok(ids);
  assert.deepEqual(errors.map(String), []);
  await context.close();
});

test('Alt+↑/↓ walk the rooms, Alt+Shift+↑/↓ the unread ones, Esc marks read, ↑ edits my last message', async () => {
  const { page, names, ids, owner, reader, errors, context } = await setup();
  const order = await page.locator('.sidebar .room-item .room-name').allTextContents();
  const mine = order.filter((n) => n.endsWith(names[0].slice(-5)) || !n.includes('-'));
  assert.ok(mine.length >= 3);
  await page.locator('.room-item', { hasText: names[0] }).click();
  await eventually(async () => (await current(page)) === names[0]);
  const start = order.indexOf(names[0]);
  await page.keyboard.press('Alt+ArrowDown');
  await eventually(async () => (await current(page)) === order[(start + 1) % order.length], { message: 'next room' });
  await page.keyboard.press('Alt+ArrowUp');
  await eventually(async () => (await current(page)) === names[0], { message: 'back to the previous room' });

  // Unread in 产品设计 only: Alt+Shift+↓ skips beta and goes there.
  await rest(server, 'POST', `/api/rooms/${ids[names[2]]}/messages`, { content: 'News for you' }, owner.token);
  await page.locator('.room-item.has-unread', { hasText: names[2] }).waitFor();
  await page.keyboard.press('Alt+Shift+ArrowDown');
  await eventually(async () => (await current(page)) === names[2], { message: 'the room with unread messages' });

  // Esc in a room marks it read: a message arrives while the page counts as hidden (so it stays
  // unread), then Esc.
  await page.locator('.room-item', { hasText: names[1] }).click();
  await eventually(async () => (await current(page)) === names[1]);
  await page.evaluate(() => Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }));
  await rest(server, 'POST', `/api/rooms/${ids[names[1]]}/messages`, { content: 'Unseen' }, owner.token);
  await page.locator('.room-item.has-unread', { hasText: names[1] }).waitFor();
  await messageBubbles(page, 'Unseen').waitFor();
  await page.locator('.msg[data-message-id]').last().focus();
  await page.keyboard.press('Escape');
  await page.locator('.room-item.has-unread', { hasText: names[1] }).waitFor({ state: 'detached' });
  await eventually(async () => {
    const { body } = await rest(server, 'GET', '/api/rooms', undefined, reader.token);
    return body.rooms.find((r) => r.id === ids[names[1]]).unread_count === 0;
  }, { message: 'the server knows it was read' });

  // ↑ in an empty composer edits my last message.
  await sendMessage(page, 'My first version');
  await messageBubbles(page, 'My first version').waitFor();
  await page.locator('.composer-input').focus();
  await page.keyboard.press('ArrowUp');
  const editor = page.getByLabel('Edit your message');
  await editor.waitFor();
  assert.equal(await editor.inputValue(), 'My first version');
  await editor.fill('My second version');
  await editor.press('Enter');
  await messageBubbles(page, 'My second version').waitFor();
  // With text in it, ↑ just moves the caret.
  await page.locator('.composer-input').fill('draft');
  await page.locator('.composer-input').press('ArrowUp');
  assert.equal(await page.getByLabel('Edit your message').count(), 0);
  assert.deepEqual(errors.map(String), []);
  await context.close();
});

test('arrow keys through the room list and the timeline, one tab stop each, and a skip link', async () => {
  const { page, names, ids, owner, errors, context } = await setup();
  await page.locator('.room-item', { hasText: names[0] }).click();
  for (const text of ['one', 'two', 'three']) await rest(server, 'POST', `/api/rooms/${ids[names[0]]}/messages`, { content: `Line ${text}` }, owner.token);
  await sendMessage(page, 'Mine, with actions');
  await messageBubbles(page, 'Mine, with actions').waitFor();

  // Room list: one tab stop; arrows move.
  assert.equal(await page.locator('.sidebar .room-item[tabindex="0"]').count(), 1);
  await page.locator('.room-item.active').focus();
  await page.keyboard.press('ArrowDown');
  const next = await focused(page);
  assert.match(next.cls, /room-item/);
  assert.doesNotMatch(next.text, new RegExp(names[0]));
  await page.keyboard.press('ArrowUp');
  assert.match((await focused(page)).text, new RegExp(names[0]));

  // Timeline: one tab stop; actions are not tab stops until their message has focus.
  assert.equal(await page.locator('.message-rows [tabindex="0"]').count(), 1);
  assert.equal(await page.locator('.msg-actions button[tabindex="0"]').count(), 0);
  await page.locator('.message-rows [tabindex="0"]').focus();
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Mine, with actions/);
  // Tab walks the focused message's actions (reactions first), the edit button among them.
  const label = () => page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  await page.keyboard.press('Tab');
  assert.match(await label(), /^React with/);
  let tabs = 1;
  while (!/^Edit/.test((await label()) ?? '') && tabs < 12) {
    await page.keyboard.press('Tab');
    tabs += 1;
  }
  assert.match(await label(), /^Edit/);
  for (let i = 0; i < tabs; i++) await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('ArrowUp');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Line three/);
  await page.keyboard.press('ArrowUp');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Line two/);
  // Every message now has actions: the focused one's are tab stops, no other row is.
  assert.equal(await page.locator('.message-rows > [tabindex="0"]').count(), 1, 'still one row is a tab stop');
  assert.equal(await page.locator('.message-rows > :not(:focus) [tabindex="0"]').count(), 0, 'no other row’s actions are tab stops');

  // The skip link is the first tab stop and lands in the composer.
  const first = await page.evaluate(() => document.querySelector('a[href], button:not([tabindex="-1"]), input, select, textarea, [tabindex="0"]').className);
  assert.match(first, /skip-link/, 'the first tab stop of the page');
  await page.locator('.skip-link').focus();
  assert.ok(await page.locator('.skip-link').isVisible(), 'visible when focused');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'composer-input');
  assert.deepEqual(errors.map(String), []);
  await context.close();
});

test('the shortcut list in Chinese', async () => {
  const { page, context } = await setup();
  await page.evaluate(() => localStorage.setItem('confab.prefs', JSON.stringify({ ...JSON.parse(localStorage.getItem('confab.prefs') ?? '{}'), language: 'zh-CN' })));
  await page.reload();
  await page.locator('.conn-dot.online').waitFor();
  await page.keyboard.press('Control+/');
  const dialog = page.getByRole('dialog', { name: '键盘快捷键' });
  await dialog.waitFor();
  assert.ok((await dialog.getByText('快速切换').count()) > 0);
  assert.ok((await dialog.getByText('将房间标为已读').count()) > 0);
  await context.close();
});
