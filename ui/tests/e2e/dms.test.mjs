// Direct messages, mentions and people: opening a conversation from a profile card, a group of
// three from the "New message" picker, `@` autocomplete by keyboard (and not while an input
// method composes), a mention highlighted and counted in the red badge, and the Mentions view
// jumping to a mention far back in history (loaded around it, then paged down to the newest), and
// the quick switcher offering direct conversations and people.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSuite, openPeople, openRoom, sendMessage, messageBubbles, eventually, uniqueName, screenshot, registerViaApi, roomId, rest, waitForChat } from './helpers.mjs';

const names = { alice: uniqueName('alice'), bob: uniqueName('bob'), carol: uniqueName('carol') };
const LOBBY = '大厅';

const { server, browser } = await startSuite();
const [alice, bob, carol] = await openPeople(browser, server, [{ name: names.alice }, { name: names.bob }, { name: names.carol }]);

const dmItem = (page, title) => page.locator('.dm-section .room-item', { has: page.locator('.room-name', { hasText: new RegExp(`^${title}$`) }) });
const roomItem = (page, name) => page.locator('.room-item', { has: page.locator('.room-name', { hasText: new RegExp(`^${name}$`) }) });

test('alice opens a conversation with bob from his profile card; bob sees it with a badge and answers', async () => {
  const { page } = alice;
  await openRoom(page, LOBBY);
  await page.locator(`.member[data-user="${names.bob}"] .person-link`).click();
  const card = page.getByRole('dialog', { name: names.bob });
  await card.locator('.profile-status', { hasText: 'Online' }).waitFor();
  await card.getByRole('button', { name: 'Message' }).click();
  await card.waitFor({ state: 'detached' });
  await page.locator('.topbar-room-name', { hasText: new RegExp(`^${names.bob}$`) }).waitFor();
  await dmItem(page, names.bob).waitFor();
  await sendMessage(page, 'Lunch today? Just us.');
  await messageBubbles(page, 'Lunch today? Just us.').waitFor();

  const item = dmItem(bob.page, names.alice);
  await item.locator('.badge-mention', { hasText: /^1$/ }).waitFor();
  await screenshot(bob.page, 'dm-badge-light-wide');
  await item.click();
  await messageBubbles(bob.page, 'Lunch today? Just us.').waitFor();
  await eventually(async () => (await item.locator('.badge').count()) === 0, { message: 'the badge clears once read' });
  await sendMessage(bob.page, 'Sure, 12:30 🍜');
  await messageBubbles(page, 'Sure, 12:30 🍜').waitFor();

  // Nobody else ever sees it.
  assert.equal(await carol.page.locator('.dm-section .room-item').count(), 0);
});

test('carol starts a group conversation of three from the New message picker', async () => {
  const { page } = carol;
  await page.getByTestId('new-message').click();
  const dialog = page.getByRole('dialog', { name: 'New message' });
  const search = dialog.getByLabel('To');
  await search.fill(names.alice.slice(0, 6).toUpperCase());
  await dialog.locator(`.person[data-user="${names.alice}"]`).click();
  await search.fill(names.bob.slice(0, 5));
  await dialog.locator(`.person[data-user="${names.bob}"]`).click();
  await dialog.locator('.people-chosen .pill').nth(1).waitFor();
  await dialog.getByRole('button', { name: 'Message' }).click();
  await dialog.waitFor({ state: 'detached' });
  const title = [names.alice, names.bob].sort().join(', ');
  await page.locator('.topbar-room-name', { hasText: title }).waitFor();
  await sendMessage(page, 'Hello both, planning the offsite');

  for (const [client, others] of [[alice, [names.bob, names.carol]], [bob, [names.alice, names.carol]]]) {
    const item = dmItem(client.page, others.sort().join(', '));
    await item.locator('.badge-mention').waitFor();
    await item.click();
    await messageBubbles(client.page, 'Hello both, planning the offsite').waitFor();
  }
  await sendMessage(bob.page, 'Count me in');
  await messageBubbles(page, 'Count me in').waitFor();
  await messageBubbles(alice.page, 'Count me in').waitFor();
});

test('@ offers the room members; arrows and Enter pick one, Escape closes, an IME composing does not open it', async () => {
  const { page } = alice;
  await openRoom(page, LOBBY);
  const input = page.locator('.composer-input');
  const picker = page.locator('#mention-picker');
  await input.fill('');
  await input.pressSequentially(`hey @${names.bob.slice(0, 3)}`);
  await picker.locator(`.mention-option[data-user="${names.bob}"]`).waitFor();
  await input.press('Escape');
  await picker.waitFor({ state: 'hidden' });
  assert.equal(await input.inputValue(), `hey @${names.bob.slice(0, 3)}`, 'Escape only closes the list');

  // While an input method composes, nothing opens; once the text is in, the list follows.
  await input.fill('');
  await input.evaluate((el) => el.dispatchEvent(new CompositionEvent('compositionstart', { data: '' })));
  await input.evaluate((el, text) => {
    el.value = text;
    el.dispatchEvent(new InputEvent('input', { data: text, isComposing: true }));
  }, `@${names.carol.slice(0, 3)}`);
  assert.equal(await picker.isVisible(), false);
  await input.evaluate((el) => el.dispatchEvent(new CompositionEvent('compositionend', { data: '' })));
  await picker.locator(`.mention-option[data-user="${names.carol}"]`).waitFor();

  // Only people whose name starts so: with a common prefix, arrows move between them.
  await input.fill('');
  await input.pressSequentially('@');
  const options = picker.locator('.mention-option');
  await options.first().waitFor();
  const listed = await options.evaluateAll((els) => els.map((e) => e.dataset.user));
  assert.ok(listed.includes(names.bob) && listed.includes(names.carol) && !listed.includes(names.alice), listed.join());
  const target = listed.indexOf(names.bob);
  for (let i = 0; i < target; i += 1) await input.press('ArrowDown');
  await picker.locator(`.mention-option.active[data-user="${names.bob}"]`).waitFor();
  await input.press('Enter');
  await picker.waitFor({ state: 'hidden' });
  assert.equal(await input.inputValue(), `@${names.bob} `);
  await input.pressSequentially('the launch notes are up');
  await input.press('Enter');
  await messageBubbles(page, `@${names.bob} the launch notes are up`).waitFor();
});

test('a mention is highlighted for the one mentioned and counted in the red badge', async () => {
  // bob is reading the group conversation, not the lobby.
  const lobby = roomItem(bob.page, LOBBY);
  await lobby.locator('.badge-mention', { hasText: /^@1$/ }).waitFor();
  await carol.page.locator('.room-item', { has: carol.page.locator('.room-name', { hasText: LOBBY }) }).locator('.badge:not(.badge-mention)').waitFor();
  assert.equal(await roomItem(carol.page, LOBBY).locator('.badge-mention').count(), 0, 'carol was not mentioned');
  await lobby.click();
  const message = bob.page.locator('.msg.mentions-me', { hasText: 'the launch notes are up' });
  await message.waitFor();
  await screenshot(bob.page, 'mention-highlight-light-wide');
  await eventually(async () => (await lobby.locator('.badge').count()) === 0, { message: 'the red badge clears once read' });

  // The Mentions view lists it and opens its room.
  await bob.page.getByTestId('open-mentions').click();
  const dialog = bob.page.getByRole('dialog', { name: 'Mentions' });
  await dialog.locator('.mention-item', { hasText: 'the launch notes are up' }).click();
  await dialog.waitFor({ state: 'detached' });
  await bob.page.locator('.topbar-room-name', { hasText: LOBBY }).waitFor();
});

test('Mentions jumps to a mention far back in history, highlighted, and pages down to the newest', async () => {
  // dave mentions bob, then the lobby moves on by more than a page.
  const dave = await registerViaApi(server, uniqueName('dave'));
  const lobbyId = await roomId(server, dave.token, LOBBY);
  const say = async (content) => {
    const { status, body } = await rest(server, 'POST', `/api/rooms/${lobbyId}/messages`, { content }, dave.token);
    assert.equal(status, 201, JSON.stringify(body));
    return body.message.id;
  };
  await say(`@${names.bob} the budget figures are in`);
  const FILLER = 80;
  let newest = 0;
  for (let i = 0; i < FILLER; i += 1) newest = await say(`filler ${i}`);

  // A fresh start with the lobby read (as if bob had scrolled through it elsewhere): the lobby
  // opens at its newest page, without the mention. Marked over REST, so the reload cannot race
  // the client's own read marker.
  const { page } = bob;
  const token = await page.evaluate(() => sessionStorage.getItem('confab.session:same-origin') ?? localStorage.getItem('confab.session:same-origin'));
  const read = await rest(server, 'POST', `/api/rooms/${lobbyId}/read`, { message_id: newest }, token);
  assert.equal(read.status, 200, JSON.stringify(read.body));
  await page.reload();
  await waitForChat(page);
  await openRoom(page, LOBBY);
  await messageBubbles(page, `filler ${FILLER - 1}`).waitFor();
  assert.equal(await page.locator('.msg', { hasText: 'the budget figures are in' }).count(), 0, 'not loaded before the jump');

  await page.getByTestId('open-mentions').click();
  const dialog = page.getByRole('dialog', { name: 'Mentions' });
  await dialog.locator('.mention-item', { hasText: 'the budget figures are in' }).click();
  await dialog.waitFor({ state: 'detached' });
  const target = page.locator('.msg.focused', { hasText: 'the budget figures are in' });
  await target.waitFor();
  await eventually(async () => {
    const [row, pane] = await Promise.all([target.boundingBox(), page.locator('.messages').boundingBox()]);
    return row && pane && row.y >= pane.y && row.y + row.height <= pane.y + pane.height;
  }, { message: 'the mention is on screen' });
  await screenshot(page, 'mention-jump-light-wide');
  assert.equal(await messageBubbles(page, `filler ${FILLER - 1}`).count(), 0, 'the newest page is not glued below it');
  await page.locator('.jump-latest').waitFor();

  // Something new arrives meanwhile; scrolling down pages on to it, with nothing missing or twice.
  await say('posted while bob reads old messages');
  const pane = page.locator('.messages');
  await eventually(async () => {
    await pane.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    return (await messageBubbles(page, 'posted while bob reads old messages').count()) === 1;
  }, { timeout: 20_000, message: 'paging down reaches the newest message' });
  const texts = await page.locator('.msg[data-message-id] .msg-text').allTextContents();
  const fillers = texts.filter((t) => t.startsWith('filler ')).map((t) => Number(t.slice(7)));
  const from = fillers[0];
  assert.deepEqual(fillers, Array.from({ length: FILLER - from }, (_, i) => from + i), 'every later message once, in order');
  assert.ok(texts.indexOf('posted while bob reads old messages') > texts.indexOf(`filler ${FILLER - 1}`));
  // And scrolling up still pages back before the mention.
  await eventually(async () => {
    await pane.evaluate((el) => { el.scrollTop = 0; });
    return (await page.locator('.messages .room-intro').count()) === 1;
  }, { timeout: 20_000, message: 'paging up reaches the beginning' });

  // Answering from an old message goes to the newest ones, where the answer shows once.
  await page.reload();
  await waitForChat(page);
  await page.getByTestId('open-mentions').click();
  await page.getByRole('dialog', { name: 'Mentions' }).locator('.mention-item', { hasText: 'the budget figures are in' }).click();
  await page.locator('.msg.focused', { hasText: 'the budget figures are in' }).waitFor();
  await sendMessage(page, 'Thanks, reading them now');
  await messageBubbles(page, 'Thanks, reading them now').waitFor();
  await messageBubbles(page, 'posted while bob reads old messages').waitFor();
  await eventually(async () => (await page.locator('.msg', { hasText: 'Thanks, reading them now' }).count()) === 1, { message: 'the answer shows once, stored' });
  assert.equal(await page.locator('.msg', { hasText: 'the budget figures are in' }).count(), 0, 'the old page made way for the newest');
  assert.deepEqual(bob.errors, []);
});

test('setting do not disturb from my card shows on my avatar for others', async () => {
  await bob.page.getByTestId('set-status').click();
  const dialog = bob.page.getByRole('dialog', { name: 'Set status' });
  await dialog.getByLabel('Do not disturb').check();
  await dialog.getByLabel('Status text').fill('Deep work 🎧');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await bob.page.locator('.me-status[data-status="dnd"]', { hasText: 'Deep work 🎧' }).waitFor();
  await dmItem(alice.page, names.bob).locator('.presence-dot.dnd').waitFor();
  await openRoom(alice.page, LOBBY);
  await alice.page.locator(`.member[data-user="${names.bob}"] .member-status`, { hasText: 'Deep work 🎧' }).waitFor();
  for (const client of [alice, bob, carol]) assert.deepEqual(client.errors, []);
});

test('Ctrl+K offers direct conversations and people; picking a person opens a conversation with them', async () => {
  const { page } = alice;
  await openRoom(page, LOBBY);
  await page.locator(`.member[data-user="${names.carol}"]`).waitFor();
  const dialog = page.locator('dialog[open]');
  const box = page.getByRole('combobox', { name: 'Type a room or person' });
  const option = (name) => dialog.locator('.switcher-option', { has: page.locator('.switcher-name', { hasText: new RegExp(`^${name}$`) }) });

  // bob already talks with alice one to one: offered once, as that conversation.
  await page.keyboard.press('Control+k');
  await box.fill(names.bob);
  await option(names.bob).first().waitFor();
  assert.equal(await option(names.bob).count(), 1, 'the conversation, not the person as well');
  assert.equal(await option(names.bob).locator('.switcher-kind').textContent(), 'Direct message');
  await option(names.bob).click();
  await page.locator('.topbar-room-name', { hasText: new RegExp(`^${names.bob}$`) }).waitFor();

  // carol is only a fellow member of the lobby: picking her starts a conversation.
  await page.keyboard.press('Control+k');
  await box.fill(names.carol);
  await option(names.carol).first().waitFor();
  assert.match(await option(names.carol).locator('.switcher-kind').textContent(), /^Person/);
  await option(names.carol).click();
  await page.locator('.topbar-room-name', { hasText: new RegExp(`^${names.carol}$`) }).waitFor();
  await dmItem(page, names.carol).waitFor();
  assert.deepEqual(alice.errors, []);
});
