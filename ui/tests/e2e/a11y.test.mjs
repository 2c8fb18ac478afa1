// Accessibility checked by axe-core (from npm) on the sign-in page, the chat in light and dark,
// reactions and the thread panel, a phone-sized chat and every dialog: any serious or critical
// violation fails the suite.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSuite, openClient, registerViaUi, registerViaApi, rest, sendMessage, messageBubbles, uniqueName, openRoom } from './helpers.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const { server, browser } = await startSuite();

/** Runs axe on the page (or inside `within`) and fails on serious or critical violations. */
async function expectAccessible(page, where, within = null) {
  if (!(await page.evaluate(() => Boolean(globalThis.axe)))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (selector) => {
    const result = await globalThis.axe.run(selector ? document.querySelector(selector) : document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`).join('\n    ')}`);
  }, within);
  assert.deepEqual(violations, [], `${where}:\n  ${violations.join('\n  ')}`);
}

/** A room with the things the chat draws: others' and my messages (Markdown too), system rows, a private pill. */
async function populated(colorScheme, viewport) {
  const other = await registerViaApi(server, uniqueName('vera'));
  const client = await openClient(browser, server, { colorScheme, viewport, bypassCSP: true }); // axe is injected as a script
  const name = uniqueName('lena');
  await registerViaUi(client.page, name);
  const { body } = await rest(server, 'POST', '/api/rooms', { name: uniqueName('secret'), is_private: true, description: 'Private things' }, other.token);
  await rest(server, 'POST', `/api/rooms/${body.room.id}/members`, { username: name }, other.token);
  await rest(server, 'POST', `/api/rooms/${body.room.id}/messages`, { content: 'Hello from Vera' }, other.token);
  // Markdown: highlighted code (a block wider than the column, so it scrolls), a quote, a list
  // and a link.
  const markdown = ['**Plan** for `v2`:', '```sh', `cargo build --release ${'--features all '.repeat(12)}&& echo "done" 42 # built`, '```', '> ship it', '', '1. test', '2. [tag](https://example.com/tag)'];
  await rest(server, 'POST', `/api/rooms/${body.room.id}/messages`, { content: markdown.join('\n') }, other.token);
  // A direct message that mentions me: the Direct messages section, its presence dot and the
  // red mention badge are checked with the rest.
  const { body: found } = await rest(server, 'GET', `/api/users?q=${encodeURIComponent(name)}&limit=1`, undefined, other.token);
  const { body: dm } = await rest(server, 'POST', '/api/dms', { user_ids: [found.users[0].id] }, other.token);
  await rest(server, 'POST', `/api/rooms/${dm.room.id}/messages`, { content: `@${name} a word in private` }, other.token);
  await client.page.locator('.dm-section .room-item .badge-mention').waitFor({ state: 'attached' }); // the list is hidden on a phone
  await openRoom(client.page, body.room.name);
  await sendMessage(client.page, 'A message of mine');
  await messageBubbles(client.page, 'A message of mine').waitFor();
  return client;
}

test('the sign-in page', async () => {
  const { page, context } = await openClient(browser, server, { bypassCSP: true });
  await page.getByRole('tab', { name: 'Sign in' }).waitFor();
  await expectAccessible(page, 'sign-in');
  await page.getByRole('tab', { name: 'Register' }).click();
  await expectAccessible(page, 'register');
  await context.close();
});

for (const colorScheme of ['light', 'dark']) {
  test(`the chat and every dialog, ${colorScheme}`, async () => {
    const { page, context } = await populated(colorScheme);
    await expectAccessible(page, `chat (${colorScheme})`);

    // Editing my message (the hint must be readable on the bubble).
    await page.locator('.msg.mine').last().hover();
    await page.locator('.msg.mine').last().getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit your message').waitFor();
    await expectAccessible(page, `editing (${colorScheme})`);
    await page.getByLabel('Edit your message').press('Escape');

    // Reactions, a message's action bar and the thread panel.
    const theirs = page.locator('.msg.theirs').last();
    await theirs.hover();
    await theirs.getByRole('button', { name: 'React with 👍' }).click();
    await theirs.locator('.reaction-chip').waitFor();
    await theirs.hover();
    await expectAccessible(page, `reactions and actions (${colorScheme})`);
    await theirs.getByRole('button', { name: 'Reply in thread' }).click();
    await page.locator('#thread-panel').waitFor();
    await expectAccessible(page, `thread panel (${colorScheme})`);
    await page.getByTestId('close-thread').click();

    const dialogs = [
      ['delete confirmation', async () => {
        await page.locator('.msg.mine').last().hover();
        await page.locator('.msg.mine').last().getByRole('button', { name: 'Delete' }).click();
      }],
      ['settings', () => page.locator('[data-testid="open-settings"]').click()],
      ['new room', () => page.getByRole('button', { name: 'New room' }).click()],
      ['quick switcher', () => page.keyboard.press('Control+k')],
      ['keyboard shortcuts', () => page.keyboard.press('Control+/')],
      ['profile card', () => page.locator('.msg-author.person-link').first().click()],
      ['new message', () => page.getByTestId('new-message').click()],
      ['mentions', () => page.getByTestId('open-mentions').click()],
      ['threads', () => page.getByTestId('open-threads').click()],
      ['pins', () => page.getByTestId('open-pins').click()],
      ['status', () => page.getByTestId('set-status').click()],
    ];
    for (const [name, open] of dialogs) {
      await open();
      await page.locator('dialog[open]').waitFor();
      await expectAccessible(page, `${name} dialog (${colorScheme})`, 'dialog[open]');
      await page.keyboard.press('Escape');
      await page.locator('dialog[open]').waitFor({ state: 'detached' });
    }
    await context.close();
  });
}

test('a phone-sized chat, with the room list open', async () => {
  const { page, context } = await populated('light', { width: 390, height: 844 });
  await expectAccessible(page, 'phone chat');
  await page.getByRole('button', { name: 'Show rooms' }).click();
  await page.locator('.shell.rooms-open').waitFor();
  await expectAccessible(page, 'phone room list');
  await context.close();
});
