// Message search: `/` focuses the field in the top bar, a Chinese word finds its messages with
// the matched characters marked, `in:` offers my rooms, and choosing a result far back in
// history opens the room at that message, highlighted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSuite, openClient, loginViaUi, registerViaApi, roomId, rest, eventually, uniqueName, screenshot } from './helpers.mjs';

const LOBBY = '大厅';
const { server, browser } = await startSuite();

test('a Chinese word finds its messages, highlighted; choosing one lands on it in its room', async () => {
  const writer = await registerViaApi(server, uniqueName('wang'));
  const lobby = await roomId(server, writer.token, LOBBY);
  const say = async (content) => {
    const { status, body } = await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content }, writer.token);
    assert.equal(status, 201, JSON.stringify(body));
  };
  await say('明天部署新版本，大家注意');
  await say('v2部署完成了 🎉');
  const FILLER = 70;
  for (let i = 0; i < FILLER; i += 1) await say(`filler ${i}`);

  const reader = uniqueName('li');
  await registerViaApi(server, reader);
  const { page, errors } = await openClient(browser, server);
  await loginViaUi(page, reader, 'correct-horse-42');
  await page.locator('.msg-text', { hasText: `filler ${FILLER - 1}` }).waitFor();
  assert.equal(await page.locator('.msg', { hasText: '明天部署新版本' }).count(), 0, 'not loaded before the search');

  // `/` focuses the field; `in:` offers the rooms I am in.
  await page.locator('.messages').click();
  await page.keyboard.press('/');
  const field = page.getByRole('combobox', { name: 'Search messages' });
  await eventually(async () => field.evaluate((el) => el === document.activeElement), { message: 'the search field has focus' });
  await field.pressSequentially('in:大');
  await page.getByRole('option', { name: `in:${LOBBY}` }).click();
  assert.equal(await field.inputValue(), `in:${LOBBY} `);
  await field.pressSequentially('部署');
  await field.press('Enter');

  const results = page.getByTestId('search-results');
  const hit = results.locator('.search-result', { hasText: '明天部署新版本' });
  await hit.waitFor();
  assert.equal(await results.locator('.search-result').count(), 2);
  assert.deepEqual(await hit.locator('mark').allTextContents(), ['部署']);
  assert.match(await hit.locator('.search-room').textContent(), new RegExp(`#${LOBBY}`));
  assert.equal(await hit.locator('.search-author').textContent(), writer.user.username);
  await screenshot(page, 'search-results-light-wide');

  await hit.click();
  await results.waitFor({ state: 'hidden' });
  const target = page.locator('.msg.focused', { hasText: '明天部署新版本' });
  await target.waitFor();
  await eventually(async () => {
    const [row, pane] = await Promise.all([target.boundingBox(), page.locator('.messages').boundingBox()]);
    return row && pane && row.y >= pane.y && row.y + row.height <= pane.y + pane.height;
  }, { message: 'the message is on screen' });

  // Ctrl+F comes back to the field; an unknown filter gets the server's explanation.
  await page.keyboard.press('Control+f');
  await eventually(async () => field.evaluate((el) => el === document.activeElement), { message: 'Ctrl+F focuses search' });
  await field.fill('colour:red');
  await field.press('Enter');
  await results.locator('.search-status', { hasText: 'colour:red' }).waitFor();
  assert.deepEqual(errors, []);
});
