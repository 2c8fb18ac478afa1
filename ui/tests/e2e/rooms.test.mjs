// Rooms and membership: private rooms stay invisible to non-members, room admins add and remove
// people from the details panel (with errors beside the field), and leaving a room.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSuite, openPeople, openRoom, sendMessage, messageBubbles, rest, eventually, uniqueName,
  screenshot,
} from './helpers.mjs';

const names = { owner: uniqueName('olga'), guest: uniqueName('pete') };
const SECRET = 'Secret plans';

const { server, browser } = await startSuite();
const [owner, guest] = await openPeople(browser, server, [{ name: names.owner }, { name: names.guest }]);

async function createRoom(page, name, { isPrivate = false, description = '' } = {}) {
  await page.getByRole('button', { name: 'New room' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a room' });
  await dialog.getByLabel('Room name').fill(name);
  if (description) await dialog.getByLabel('Description (optional)').fill(description);
  if (isPrivate) await dialog.getByLabel(/Private/).check();
  await dialog.getByRole('button', { name: 'Create room' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('.topbar-room-name', { hasText: name }).waitFor();
}

const roomItem = (page, name) => page.locator('.room-item', { has: page.locator('.room-name', { hasText: new RegExp(`^${name}$`) }) });

test('a private room is invisible to people who are not in it', async () => {
  await createRoom(owner.page, SECRET, { isPrivate: true, description: 'Only the two of us' });
  await sendMessage(owner.page, 'The surprise party is on Saturday');
  await messageBubbles(owner.page, 'The surprise party is on Saturday').waitFor();
  assert.equal(await owner.page.locator('.details .pill', { hasText: 'Private' }).count(), 1);

  // A public room created afterwards reaches the guest; the private one never did.
  await createRoom(owner.page, 'Open plans');
  await roomItem(guest.page, 'Open plans').waitFor();
  assert.equal(await roomItem(guest.page, SECRET).count(), 0);
  const guestToken = await guest.page.evaluate(() => sessionStorage.getItem('confab.session:same-origin'));
  const ownerToken = await owner.page.evaluate(() => sessionStorage.getItem('confab.session:same-origin'));
  const rooms = (await rest(server, 'GET', '/api/rooms', undefined, ownerToken)).body.rooms;
  const secretId = rooms.find((r) => r.name === SECRET).id;
  assert.equal((await rest(server, 'GET', `/api/rooms/${secretId}/messages`, undefined, guestToken)).status, 404);
  await openRoom(owner.page, SECRET);
});

test('a room admin adds a member, who sees the room and its history appear live', async () => {
  const { page } = owner;
  const add = page.getByLabel('Add a member');
  await add.fill('nobody-by-this-name');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('.add-member .field-error', { hasText: 'No user has that name' }).waitFor();

  await add.fill(names.guest);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('.toast', { hasText: `${names.guest} was added to the room` }).waitFor();
  await page.locator(`.member[data-user="${names.guest}"]`).waitFor();
  await page.locator('.system-row', { hasText: `${names.owner} added ${names.guest}` }).waitFor();

  await roomItem(guest.page, SECRET).waitFor();
  await openRoom(guest.page, SECRET);
  await messageBubbles(guest.page, 'The surprise party is on Saturday').waitFor();
  await sendMessage(guest.page, 'I will bring the cake 🎂');
  await messageBubbles(page, 'I will bring the cake 🎂').waitFor();

  await add.fill(names.guest);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('.add-member .field-error', { hasText: 'That person is already in this room' }).waitFor();
  await add.fill('');
  await screenshot(page, 'private-room-admin-light-wide');
  // Only admins get the add form and remove buttons.
  assert.equal(await guest.page.getByLabel('Add a member').isVisible(), false);
  assert.equal(await guest.page.locator('.member-remove').count(), 0);
});

test('a room admin removes a member, whose room disappears with a notice', async () => {
  const { page } = owner;
  const row = page.locator(`.member[data-user="${names.guest}"]`);
  await row.hover();
  await row.getByRole('button', { name: `Remove ${names.guest} from the room` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await row.waitFor({ state: 'detached' });
  await page.locator('.system-row', { hasText: `${names.owner} removed ${names.guest}` }).waitFor();

  await guest.page.locator('.toast', { hasText: `You are no longer in #${SECRET}` }).waitFor();
  await roomItem(guest.page, SECRET).waitFor({ state: 'detached' });
  await eventually(async () => (await guest.page.locator('.topbar-room-name').textContent()) !== SECRET, { message: 'guest moved to another room' });
  assert.equal(await guest.page.locator('.msg-text', { hasText: 'surprise party' }).count(), 0);
});

test('leaving a public room moves it back to Discover and tells the others', async () => {
  await openRoom(guest.page, 'Open plans');
  await openRoom(owner.page, 'Open plans');
  await guest.page.locator('.join-bar').getByRole('button', { name: 'Join room' }).click();
  await guest.page.locator('#rooms-mine ~ .room-list .room-name', { hasText: 'Open plans' }).waitFor();
  await owner.page.locator(`.member[data-user="${names.guest}"]`).waitFor();
  await guest.page.locator('.details').getByRole('button', { name: 'Leave room' }).click();
  const confirm = guest.page.getByRole('dialog', { name: 'Leave room' });
  await confirm.getByText('Leave #Open plans?').waitFor();
  await confirm.getByRole('button', { name: 'Leave' }).click();
  await guest.page.locator('#rooms-discover ~ .room-list .room-name', { hasText: 'Open plans' }).waitFor();
  await owner.page.locator('.system-row', { hasText: `${names.guest} left the room` }).waitFor();
  await owner.page.locator(`.member[data-user="${names.guest}"]`).waitFor({ state: 'detached' });
  await owner.page.locator('.details-count', { hasText: /^1 member$/ }).waitFor();
  await guest.page.locator('.toast', { hasText: 'You left #Open plans' }).waitFor();
  assert.equal(await guest.page.locator('.toast', { hasText: 'You are no longer in #Open plans' }).count(), 0);
  assert.notEqual(await guest.page.locator('.topbar-room-name').textContent(), 'Open plans');
});

test('a direction override is dropped from room names and kept inside its message', async () => {
  const ownerToken = await owner.page.evaluate(() => sessionStorage.getItem('confab.session:same-origin'));
  const created = await rest(server, 'POST', '/api/rooms', { name: '\u202egnp.exe spoof' }, ownerToken);
  assert.equal(created.status, 201);
  assert.equal(created.body.room.name, 'gnp.exe spoof', 'the override is gone from the name');
  await roomItem(owner.page, 'gnp.exe spoof').waitFor();
  await openRoom(owner.page, 'gnp.exe spoof');
  await sendMessage(owner.page, '\u202egnp.exe spoof');
  const bubble = messageBubbles(owner.page, '\u202egnp.exe spoof');
  await bubble.waitFor();
  // The body keeps what was written, in an isolated element whose direction is its own.
  assert.equal(await bubble.getAttribute('dir'), 'auto');
  assert.equal(await bubble.evaluate((el) => getComputedStyle(el).unicodeBidi), 'isolate');
  const author = owner.page.locator('.msg-author').first();
  if (await author.count()) assert.equal(await author.evaluate((el) => getComputedStyle(el).unicodeBidi), 'isolate');
});

test('no script errors happened', () => {
  assert.deepEqual(owner.errors.map(String), []);
  assert.deepEqual(guest.errors.map(String), []);
});
