// Conversations: a reaction one person adds is seen (and counted, with who) by another; a pin
// and the room's pins; a thread
// conversation between two people in the side panel, with the root's "N replies" line; a
// quote-reply whose quote jumps to the original far back in history; a permalink copied by
// one person opening the message, highlighted, in another person's browser, and opening in place
// when it is clicked in a message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSuite, openPeople, openRoom, sendMessage, messageBubbles, eventually, uniqueName, screenshot, registerViaApi, roomId, rest, seedMessages, openClient, registerViaUi, escapeRegExp } from './helpers.mjs';

const names = { alice: uniqueName('alice'), bob: uniqueName('bob') };
const LOBBY = '大厅';

const { server, browser } = await startSuite();
const [alice, bob] = await openPeople(browser, server, [{ name: names.alice }, { name: names.bob }]);

/** The stored message row whose text is exactly `text`. */
const timeline = (page, text) => page.locator('.messages .msg[data-message-id] .msg-text', { hasText: new RegExp(`^${escapeRegExp(text)}$`) });
const row = (page, text) => page.locator('.messages .msg[data-message-id]', { has: page.locator('.msg-text', { hasText: new RegExp(`^${escapeRegExp(text)}$`) }) });

test('a reaction added by alice shows on bob’s screen with its count and who reacted; bob’s click adds his', async () => {
  await openRoom(alice.page, LOBBY);
  await openRoom(bob.page, LOBBY);
  await sendMessage(bob.page, 'Release notes are up');
  const aliceRow = row(alice.page, 'Release notes are up');
  await aliceRow.waitFor();
  await aliceRow.hover();
  await aliceRow.getByRole('button', { name: 'React with 👍' }).click();

  const chip = row(bob.page, 'Release notes are up').locator('.reaction-chip[data-emoji="👍"]');
  await chip.locator('.reaction-count', { hasText: /^1$/ }).waitFor();
  assert.match(await chip.getAttribute('title'), new RegExp(names.alice));
  assert.equal(await chip.getAttribute('aria-pressed'), 'false');
  await chip.click();
  await chip.locator('.reaction-count', { hasText: /^2$/ }).waitFor();
  assert.equal(await chip.getAttribute('aria-pressed'), 'true');
  const aliceChip = aliceRow.locator('.reaction-chip[data-emoji="👍"]');
  await aliceChip.locator('.reaction-count', { hasText: /^2$/ }).waitFor();

  // Alice takes hers back with the chip: bob sees one again.
  await aliceChip.click();
  await chip.locator('.reaction-count', { hasText: /^1$/ }).waitFor();
  await screenshot(bob.page, 'reactions-light-wide');

  // From the keyboard: Tab from the focused message reaches its reaction chips, then its
  // actions; Enter toggles a reaction and focus stays on it while the message is drawn again.
  const bobRow = row(bob.page, 'Release notes are up');
  await bobRow.focus();
  const label = () => bob.page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  await bob.page.keyboard.press('Tab');
  assert.equal(await label(), '👍 1 reaction');
  await bob.page.keyboard.press('Tab');
  assert.equal(await label(), 'React with 👍');
  await bob.page.keyboard.press('Enter');
  await bobRow.locator('.reaction-chip').waitFor({ state: 'detached' });
  assert.equal(await label(), 'React with 👍', 'focus stays on the reaction button');
  await bob.page.keyboard.press('Enter');
  await bobRow.locator('.reaction-chip[aria-pressed="true"]').waitFor();
});

test('alice pins a message: bob sees the mark and the notice, and finds it in the room’s pins', async () => {
  const message = row(alice.page, 'Release notes are up');
  await message.hover();
  await message.getByRole('button', { name: 'Pin message' }).click();
  const bobRow = row(bob.page, 'Release notes are up');
  await bobRow.locator('.pin-mark').waitFor();
  await bob.page.locator('.system-message_pinned', { hasText: `${names.alice} pinned a message` }).waitFor();
  await bob.page.getByTestId('open-pins').click();
  const dialog = bob.page.getByRole('dialog', { name: /^Pinned in/ });
  await dialog.locator('.threads-item', { hasText: 'Release notes are up' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually(async () => (await bobRow.getAttribute('class')).includes('focused'), { message: 'the pinned message is shown' });
});

test('alice and bob talk in a thread: replies stay in the panel and the root counts them', async () => {
  await sendMessage(alice.page, 'Who can review the budget?');
  const root = row(alice.page, 'Who can review the budget?');
  await root.waitFor();
  await root.hover();
  await root.getByRole('button', { name: 'Reply in thread' }).click();
  const panel = alice.page.locator('#thread-panel');
  await panel.waitFor();
  await panel.getByLabel('Reply in this thread').fill('I will take the first half');
  await panel.getByLabel('Reply in this thread').press('Enter');
  await panel.locator('.thread-replies .msg[data-message-id] .msg-text', { hasText: 'I will take the first half' }).waitFor();

  // Bob sees "1 reply" under the root, not the reply in the timeline, and answers in the thread.
  const bobRoot = row(bob.page, 'Who can review the budget?');
  await bobRoot.locator('.thread-line', { hasText: '1 reply' }).waitFor();
  assert.equal(await timeline(bob.page, 'I will take the first half').count(), 0, 'the reply is kept to its thread');
  await bobRoot.locator('.thread-line').click();
  const bobPanel = bob.page.locator('#thread-panel');
  await bobPanel.locator('.thread-replies .msg-text', { hasText: 'I will take the first half' }).waitFor();
  await bobPanel.getByLabel('Reply in this thread').fill('And I the second');
  await bobPanel.getByLabel('Also send to the room').check();
  await bobPanel.getByLabel('Reply in this thread').press('Enter');

  await panel.locator('.thread-replies .msg-text', { hasText: 'And I the second' }).waitFor();
  await root.locator('.thread-line', { hasText: '2 replies' }).waitFor();
  // Sent to the room too: it shows in alice's timeline as well.
  await timeline(alice.page, 'And I the second').waitFor();
  await row(alice.page, 'And I the second').locator('.thread-reply-note', { hasText: 'Replied in a thread' }).waitFor();
  await screenshot(alice.page, 'thread-panel-light-wide');

  // Alice follows the thread (she started it): a reply while it is closed counts on the Threads
  // button and in the Threads view, and opening it from there reads it.
  await alice.page.getByTestId('close-thread').click();
  await panel.waitFor({ state: 'hidden' });
  await bobPanel.getByLabel('Reply in this thread').fill('Done, looks fine');
  await bobPanel.getByLabel('Reply in this thread').press('Enter');
  const threadsButton = alice.page.getByTestId('open-threads');
  await threadsButton.locator('.threads-badge', { hasText: /^1$/ }).waitFor();
  await threadsButton.click();
  const dialog = alice.page.getByRole('dialog', { name: 'Threads' });
  const item = dialog.locator('.threads-item', { hasText: 'Who can review the budget?' });
  await item.locator('.threads-unread', { hasText: '1 new' }).waitFor();
  await item.click();
  await panel.locator('.thread-replies .msg-text', { hasText: 'Done, looks fine' }).waitFor();
  await threadsButton.locator('.threads-badge').waitFor({ state: 'detached' });
  await alice.page.getByTestId('close-thread').click();
  await bob.page.getByTestId('close-thread').click();
});

test('a quote-reply shows the quoted text; clicking it jumps back to the original and highlights it', async () => {
  const { token } = await registerViaApi(server, uniqueName('seed'));
  const lobby = await roomId(server, token, LOBBY);
  const { body } = await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content: 'The **launch** is on Friday' }, token);
  const originalId = body.message.id;
  await seedMessages(server, token, lobby, 120, { label: (i) => `Filler ${i}` });
  await messageBubbles(bob.page, 'Filler 119').waitFor();

  // Bob quotes the latest filler from the UI…
  const filler = row(bob.page, 'Filler 119');
  await filler.hover();
  await filler.getByRole('button', { name: 'Reply', exact: true }).click();
  await bob.page.locator('.reply-bar', { hasText: 'Filler 119' }).waitFor();
  await sendMessage(bob.page, 'Noted');
  await bob.page.locator('.reply-bar').waitFor({ state: 'hidden' });
  const noted = row(alice.page, 'Noted');
  await noted.locator('.reply-quote', { hasText: 'Filler 119' }).waitFor();

  // …and a reply to the old message, far above what is loaded, jumps there.
  await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content: 'Friday works', reply_to: originalId }, token);
  const quote = row(alice.page, 'Friday works').locator('.reply-quote');
  await quote.locator('.reply-quote-text', { hasText: /^The launch is on Friday$/ }).waitFor();
  await quote.click();
  const original = alice.page.locator(`.msg[data-message-id="${originalId}"]`);
  await original.waitFor();
  await eventually(async () => (await original.getAttribute('class')).includes('focused'), { message: 'the original is highlighted' });
  await original.locator('.bubble').isVisible();
});

test('a permalink copied by alice opens the message, highlighted, in a newcomer’s browser', async () => {
  const { token } = await registerViaApi(server, uniqueName('seed'));
  const lobby = await roomId(server, token, LOBBY);
  const { body } = await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content: 'Permalink target' }, token);
  const targetId = body.message.id;
  await seedMessages(server, token, lobby, 80, { label: (i) => `After ${i}` });

  await alice.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await alice.page.evaluate(([room, id]) => { location.hash = `#/rooms/${room}/messages/${id}`; }, [lobby, targetId]);
  const target = alice.page.locator(`.msg[data-message-id="${targetId}"]`);
  await target.waitFor();
  await target.hover();
  await target.getByRole('button', { name: 'Copy link to message' }).click();
  const link = await eventually(async () => {
    const text = await alice.page.evaluate(() => navigator.clipboard.readText());
    return text.includes('#/rooms/') ? text : false;
  }, { message: 'the link is on the clipboard' });
  assert.equal(new URL(link).hash, `#/rooms/${lobby}/messages/${targetId}`);

  // Carol has never been here: she signs up from the link and lands on the message.
  const carol = await openClient(browser, server, { pageUrl: link });
  await registerViaUi(carol.page, uniqueName('carol'));
  const seen = carol.page.locator(`.msg[data-message-id="${targetId}"]`);
  await seen.waitFor();
  await eventually(async () => (await seen.getAttribute('class')).includes('focused'), { message: 'the linked message is highlighted' });
  assert.ok(await seen.isVisible());
  await screenshot(carol.page, 'permalink-light-wide');
  await carol.context.close();
});

test('a link to a message, pasted into a message, opens it in place rather than in a new tab', async () => {
  const { token } = await registerViaApi(server, uniqueName('seed'));
  const lobby = await roomId(server, token, LOBBY);
  const target = (await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content: 'The agreed budget is 40k' }, token)).body.message;
  await seedMessages(server, token, lobby, 80, { label: (i) => `Later ${i}` });
  const link = `${server.url}/#/rooms/${lobby}/messages/${target.id}`;

  // Bob pastes the link into a message of his own (sending shows the newest page).
  const { page, context } = bob;
  await openRoom(page, LOBBY);
  await sendMessage(page, `See [the budget](${link}) and also ${link}`);
  const pasted = page.locator('.messages .msg[data-message-id] .msg-text', { hasText: 'See the budget and also' });
  await pasted.waitFor();
  const pagesBefore = context.pages().length;
  await pasted.getByRole('link', { name: 'the budget' }).click();
  const seen = page.locator(`.msg[data-message-id="${target.id}"]`);
  await seen.waitFor();
  await eventually(async () => (await seen.getAttribute('class')).includes('focused'), { message: 'the linked message is highlighted' });
  assert.equal(context.pages().length, pagesBefore, 'no new tab opened');
  assert.equal(await messageBubbles(page, 'Later 79').count(), 0, 'the room opened at the message, not at its newest page');
});

test('a link to a reply kept in a thread opens that thread beside the room', async () => {
  const { token } = await registerViaApi(server, uniqueName('seed'));
  const lobby = await roomId(server, token, LOBBY);
  const root = (await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content: 'Offsite venue?' }, token)).body.message;
  const reply = (await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content: 'The lake house', thread_id: root.id }, token)).body.message;
  await bob.page.evaluate(([room, id]) => { location.hash = `#/rooms/${room}/messages/${id}`; }, [lobby, reply.id]);
  const panel = bob.page.locator('#thread-panel');
  await panel.locator('.thread-root .msg-text', { hasText: 'Offsite venue?' }).waitFor();
  await panel.locator(`.thread-replies .msg[data-message-id="${reply.id}"]`).waitFor();
  // On a phone the thread takes the whole width.
  await bob.page.setViewportSize({ width: 390, height: 844 });
  await eventually(async () => (await panel.boundingBox()).width === 390, { message: 'the thread panel is full width' });
  await screenshot(bob.page, 'thread-panel-light-narrow');
  await bob.page.setViewportSize({ width: 1280, height: 800 });
  await bob.page.getByTestId('close-thread').click();
});

test('no page errors', () => {
  for (const client of [alice, bob]) assert.deepEqual(client.errors.map(String), []);
});
