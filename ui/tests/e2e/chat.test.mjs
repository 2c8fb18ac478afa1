// Two people in two browsers: joining a room, talking both ways, typing and presence, edits and
// deletes, HTML shown as text, safe links, emoji, unread badges, notifications, and
// screenshots of the main views. (Pictures and files: uploads.test.mjs.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSuite, openPeople, openClient, registerViaUi, openRoom, sendMessage, messageBubbles,
  eventually, uniqueName, screenshot, rest,
} from './helpers.mjs';

const names = { alice: uniqueName('alice'), bob: uniqueName('bob') };
const ROOM = 'Project Phoenix';

const { server, browser } = await startSuite();
const [alice, bob] = await openPeople(browser, server, [{ name: names.alice }, { name: names.bob }]);

test('a new public room appears for others, who can preview and join it', async () => {
  const { page } = alice;
  await page.getByRole('button', { name: 'New room' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a room' });
  await dialog.getByLabel('Room name').fill(ROOM);
  await dialog.getByLabel('Description (optional)').fill('Launch planning for the Phoenix release');
  await dialog.getByRole('button', { name: 'Create room' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('.topbar-room-name', { hasText: ROOM }).waitFor();
  await page.locator('.system-row', { hasText: `${names.alice} created the room` }).waitFor();

  // Bob learns about it live, under Discover, and reads it before joining.
  await bob.page.locator('#rooms-discover ~ .room-list .room-name', { hasText: ROOM }).waitFor();
  await openRoom(bob.page, ROOM);
  await bob.page.locator('.join-bar', { hasText: `You are previewing #${ROOM}` }).waitFor();
  assert.equal(await bob.page.locator('.composer-input').isVisible(), false);
  await bob.page.locator('.join-bar').getByRole('button', { name: 'Join room' }).click();
  await bob.page.locator('.composer-input').waitFor();
  await bob.page.locator('#rooms-mine ~ .room-list .room-name', { hasText: ROOM }).waitFor();

  // Alice sees the join notice and the new member.
  await page.locator('.system-row', { hasText: `${names.bob} joined the room` }).waitFor();
  await page.locator(`.member[data-user="${names.bob}"]`).waitFor();
});

test('messages go both ways, grouped by author, with Enter to send and Shift+Enter for lines', async () => {
  await sendMessage(alice.page, 'Morning! Shall we go through the launch checklist?');
  await messageBubbles(bob.page, 'Morning! Shall we go through the launch checklist?').waitFor();

  const input = bob.page.locator('.composer-input');
  await input.fill('Yes — first item:');
  await input.press('Shift+Enter');
  await input.type('release notes');
  assert.equal(await input.inputValue(), 'Yes — first item:\nrelease notes', 'Shift+Enter adds a line instead of sending');
  await input.press('Enter');
  assert.equal(await input.inputValue(), '', 'Enter sends and clears the input');
  await messageBubbles(alice.page, 'Yes — first item:\nrelease notes').waitFor();

  await sendMessage(bob.page, '早上好 👋 我来写发布说明');
  await messageBubbles(alice.page, '早上好 👋 我来写发布说明').waitFor();
  // Bob's two messages form one group: one author header.
  const group = alice.page.locator(`.msg[data-author="${names.bob}"]`);
  assert.equal(await group.count(), 2);
  assert.equal(await alice.page.locator(`.msg.first[data-author="${names.bob}"]`).count(), 1);
  assert.match(await alice.page.locator(`.msg.first[data-author="${names.bob}"] time`).textContent(), /\d{1,2}:\d{2}/);
  // Own messages are on the sending side, marked as mine.
  assert.equal(await bob.page.locator('.msg.mine .msg-text', { hasText: '我来写发布说明' }).count(), 1);
});

test('typing shows for the other person and stops when cleared or sent', async () => {
  const indicator = alice.page.locator('.typing-indicator');
  await bob.page.locator('.composer-input').fill('thinking about it');
  await bob.page.locator('.composer-input').type('…');
  await indicator.getByText(`${names.bob} is typing…`).waitFor();
  await bob.page.locator('.composer-input').fill('');
  await bob.page.locator('.composer-input').press('Backspace');
  await eventually(async () => (await indicator.textContent()) === '', { message: 'typing indicator cleared' });

  await bob.page.locator('.composer-input').type('Done');
  await indicator.getByText(`${names.bob} is typing…`).waitFor();
  await bob.page.locator('.composer-input').press('Enter');
  await messageBubbles(alice.page, 'Done').waitFor();
  await eventually(async () => (await indicator.textContent()) === '', { message: 'typing indicator cleared after send' });
  assert.equal(await bob.page.locator('.typing-indicator').textContent(), '', 'nobody sees their own typing');
});

test('presence changes live when someone comes online and leaves', async () => {
  await openRoom(alice.page, '大厅');
  const carolName = uniqueName('carol');
  const carol = await openClient(browser, server);
  await registerViaUi(carol.page, carolName);
  const row = alice.page.locator(`.member[data-user="${carolName}"]`);
  await eventually(async () => (await row.getAttribute('data-online')) === 'true', { message: 'carol online' });
  assert.equal(await alice.page.locator('#members-online ~ .member-list').locator(`[data-user="${carolName}"]`).count(), 1);
  await carol.context.close();
  await eventually(async () => (await row.getAttribute('data-online')) === 'false', { message: 'carol offline' });
  await alice.page.locator('#members-offline ~ .member-list').locator(`[data-user="${carolName}"]`).waitFor();
  await openRoom(alice.page, ROOM);
});

test('edits and deletes show up for everyone, in place', async () => {
  await sendMessage(alice.page, 'Launch is on Fridy');
  const original = messageBubbles(bob.page, 'Launch is on Fridy');
  await original.waitFor();

  const mine = alice.page.locator('.msg.mine', { has: alice.page.locator('.msg-text', { hasText: 'Launch is on Fridy' }) });
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit message' }).click();
  const editor = alice.page.getByLabel('Edit your message');
  await editor.fill('Launch is on Friday');
  await editor.press('Enter');

  const edited = bob.page.locator('.msg', { has: bob.page.locator('.msg-text', { hasText: /^Launch is on Friday$/ }) });
  await edited.locator('.msg-edited', { hasText: '(edited)' }).waitFor();
  await original.waitFor({ state: 'detached' });
  // Others' messages offer no edit button.
  await edited.hover();
  assert.equal(await edited.getByRole('button', { name: 'Edit message' }).count(), 0);

  const target = alice.page.locator('.msg.mine', { has: alice.page.locator('.msg-text', { hasText: 'Launch is on Friday' }) });
  await target.hover();
  await target.getByRole('button', { name: 'Delete message' }).click();
  await alice.page.getByRole('dialog', { name: 'Delete message' }).getByRole('button', { name: 'Delete' }).click();
  await bob.page.locator('.msg.deleted', { hasText: 'This message was deleted' }).waitFor();
  await alice.page.locator('.msg.deleted', { hasText: 'This message was deleted' }).waitFor();
  assert.equal(await messageBubbles(bob.page, 'Launch is on Friday').count(), 0);
});

test('HTML and script in a message are shown as literal text', async () => {
  const nasty = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold?</b>';
  await sendMessage(alice.page, nasty);
  const bubble = messageBubbles(bob.page, nasty);
  await bubble.waitFor();
  assert.equal(await bubble.textContent(), nasty);
  assert.equal(await bubble.locator('img, script, b').count(), 0);
  assert.equal(await bob.page.evaluate(() => window.__pwned), undefined);
  assert.equal(await alice.page.evaluate(() => window.__pwned), undefined);
});

test('only http(s) and mailto addresses become links, opened safely', async () => {
  await sendMessage(alice.page, 'Checklist: https://example.com/launch?step=1. Not a link: javascript:alert(1) — ask mailto:ops@example.com');
  const bubble = bob.page.locator('.msg-text', { hasText: 'Checklist:' });
  await bubble.waitFor();
  const anchors = bubble.locator('a');
  assert.equal(await anchors.count(), 2);
  assert.equal(await anchors.nth(0).getAttribute('href'), 'https://example.com/launch?step=1');
  assert.equal(await anchors.nth(0).textContent(), 'https://example.com/launch?step=1');
  assert.equal(await anchors.nth(0).getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await anchors.nth(0).getAttribute('target'), '_blank');
  assert.equal(await anchors.nth(1).getAttribute('href'), 'mailto:ops@example.com');
  assert.equal(await anchors.nth(1).getAttribute('rel'), 'noopener noreferrer');
});

test('the emoji picker is searchable and inserts at the cursor', async () => {
  const { page } = alice;
  await page.getByRole('button', { name: 'Insert emoji' }).click();
  const picker = page.getByRole('dialog', { name: 'Emoji' });
  await picker.waitFor();
  assert.ok((await picker.getByRole('tab').count()) >= 8, 'categories are offered');
  await picker.getByRole('tab', { name: 'Food & drink' }).click();
  await picker.getByRole('gridcell', { name: '🥟' }).waitFor();
  await picker.getByLabel('Search emoji').fill('rocket');
  await picker.getByRole('gridcell', { name: '🚀' }).click();
  await picker.waitFor({ state: 'hidden' });
  await page.locator('.composer-input').type(' Ship it');
  assert.equal(await page.locator('.composer-input').inputValue(), '🚀 Ship it');
  await page.locator('.composer-input').press('Enter');
  await messageBubbles(bob.page, '🚀 Ship it').waitFor();

  // Escape closes the picker and gives focus back to its button.
  await page.getByRole('button', { name: 'Insert emoji' }).click();
  await picker.getByLabel('Search emoji').waitFor();
  await page.keyboard.press('Escape');
  await picker.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Insert emoji');
});

test('rooms with new messages get a badge; opening one shows where the new messages start', async () => {
  await openRoom(bob.page, '技术讨论');
  await sendMessage(bob.page, 'Is the build green?');
  const item = alice.page.locator('.room-item', { has: alice.page.locator('.room-name', { hasText: /^技术讨论$/ }) });
  await item.locator('.badge', { hasText: '1' }).waitFor();
  assert.match(await item.getAttribute('class'), /has-unread/);
  await openRoom(alice.page, '技术讨论');
  await alice.page.locator('.new-divider', { hasText: 'New messages' }).waitFor();
  await eventually(async () => (await item.locator('.badge').count()) === 0, { message: 'badge cleared' });
  // The read marker reached the server: a reload still shows no unread messages.
  await alice.page.reload();
  await alice.page.locator('.conn-dot.online').waitFor();
  await alice.page.locator('.room-item .room-name', { hasText: /^技术讨论$/ }).waitFor();
  assert.equal(await item.locator('.badge').count(), 0);
  await openRoom(alice.page, ROOM);

  // A message read just before switching rooms counts as read (the marker is not left behind).
  await openRoom(bob.page, ROOM);
  await sendMessage(bob.page, 'Quick one before you go');
  await messageBubbles(alice.page, 'Quick one before you go').waitFor();
  await openRoom(alice.page, '大厅');
  const token = await alice.page.evaluate(() => sessionStorage.getItem('confab.session:same-origin'));
  await eventually(async () => {
    const { body } = await rest(server, 'GET', '/api/rooms', undefined, token);
    return body.rooms.find((r) => r.name === ROOM).unread_count === 0;
  }, { message: 'read marker reached the newest message' });
  await openRoom(alice.page, ROOM);
  assert.equal(await alice.page.locator('.new-divider').count(), 0);
});

test('notifications, once allowed, announce messages in other rooms', async () => {
  const dana = await openClient(browser, server, {
    setup: async (context) => {
      await context.grantPermissions(['notifications'], { origin: server.url });
      // Record notifications while still using the real API.
      await context.addInitScript(() => {
        window.__notifications = [];
        window.Notification = new Proxy(window.Notification, {
          construct(target, args) {
            window.__notifications.push({ title: args[0], body: args[1]?.body });
            return Reflect.construct(target, args);
          },
        });
      });
    },
  });
  const danaName = uniqueName('dana');
  await registerViaUi(dana.page, danaName);
  await dana.page.getByRole('button', { name: 'Settings' }).first().click();
  const box = dana.page.getByRole('dialog', { name: 'Settings' }).getByLabel(/Show a notification for new messages/);
  await box.check();
  await eventually(() => box.isChecked(), { message: 'notifications on' });
  await dana.page.keyboard.press('Escape');
  await openRoom(dana.page, '大厅');

  await openRoom(bob.page, '随便聊聊');
  await sendMessage(bob.page, 'Lunch at noon?');
  await eventually(async () => (await dana.page.evaluate(() => window.__notifications.length)) === 1, { message: 'one notification' });
  assert.deepEqual(await dana.page.evaluate(() => window.__notifications[0]), { title: `${names.bob} in #随便聊聊`, body: 'Lunch at noon?' });

  // A message in the room being read, in a visible tab, does not notify.
  await openRoom(bob.page, '大厅');
  await sendMessage(bob.page, 'Hello lobby');
  await messageBubbles(dana.page, 'Hello lobby').waitFor();
  assert.equal(await dana.page.evaluate(() => window.__notifications.length), 1);
  const badges = (await dana.page.locator('.room-item .badge').allTextContents()).reduce((sum, n) => sum + Number(n), 0);
  assert.ok(badges >= 1);
  assert.equal(await dana.page.title(), `(${badges}) #大厅 · Confab`, 'the tab title counts unread messages');
  assert.deepEqual(dana.errors.map(String), []);
  await dana.context.close();
  await openRoom(bob.page, ROOM);
});

test('keyboard users can reach everything and see where focus is', async () => {
  const { page } = alice;
  await page.locator('.composer-input').focus();
  await page.keyboard.press('Shift+Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    return { label: el.getAttribute('aria-label'), outline: getComputedStyle(el).outlineStyle };
  });
  assert.equal(focused.label, 'Insert emoji');
  assert.notEqual(focused.outline, 'none', 'focus is visible');
  // Every icon-only button has a name.
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('button')].filter((b) => !b.textContent.trim() && !b.getAttribute('aria-label')).length,
  );
  assert.equal(unnamed, 0);
  assert.equal(await page.locator('[role="log"][aria-live="polite"]').count(), 1);
});

test('screenshots of the main views: light and dark, wide and narrow', async () => {
  const { page } = alice;
  await openRoom(bob.page, ROOM);
  await sendMessage(bob.page, 'Release notes draft is ready for review 📝');
  await messageBubbles(page, 'Release notes draft is ready for review 📝').waitFor();
  await bob.page.locator('.composer-input').type('Looks great');
  await page.locator('.typing-indicator', { hasText: 'is typing' }).waitFor();
  await screenshot(page, 'chat-light-wide');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'chat-dark-wide');
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(dark, 'rgb(244, 245, 251)', 'the dark theme follows prefers-color-scheme');

  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'chat-dark-narrow');
  assert.equal(await page.locator('#sidebar').isVisible(), false, 'narrow windows hide the room list');
  await page.getByRole('button', { name: 'Show rooms' }).click();
  await page.locator('#sidebar').waitFor({ state: 'visible' });
  await screenshot(page, 'rooms-drawer-dark-narrow');
  await page.keyboard.press('Escape');
  await page.locator('#sidebar').waitFor({ state: 'hidden' });
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, 'chat-light-narrow');
  await page.getByRole('button', { name: 'Room details and members' }).click();
  await page.locator('#details').waitFor({ state: 'visible' });
  await screenshot(page, 'members-light-narrow');
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Settings' }).first().click();
  await page.getByRole('dialog', { name: 'Settings' }).waitFor();
  await screenshot(page, 'settings-light-wide');
  await page.keyboard.press('Escape');
  await bob.page.locator('.composer-input').fill('');
});

test('no script errors happened in either browser', () => {
  assert.deepEqual(alice.errors.map(String), []);
  assert.deepEqual(bob.errors.map(String), []);
});
