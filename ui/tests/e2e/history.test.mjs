// History: the newest page loads when a room opens; older pages load as the reader scrolls up
// (`before=` paging) without losing their place, until the beginning of the room.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSuite, openClient, registerViaUi, registerViaApi, openRoom, rest, eventually, uniqueName,
} from './helpers.mjs';

const TOTAL = 130;
const label = (i) => `History line ${String(i).padStart(3, '0')}`;

const { server, browser } = await startSuite();

test('scrolling up pages in older messages, in order, each once, keeping the reading position', async () => {
  const writer = await registerViaApi(server, uniqueName('quinn'));
  const { body } = await rest(server, 'POST', '/api/rooms', { name: 'Archive', description: 'Lots of history' }, writer.token);
  const roomId = body.room.id;
  for (let i = 1; i <= TOTAL; i += 1) {
    const sent = await rest(server, 'POST', `/api/rooms/${roomId}/messages`, { content: label(i) }, writer.token);
    assert.equal(sent.status, 201);
  }

  const { context, page, errors } = await openClient(browser, server, { viewport: { width: 1280, height: 720 } });
  await registerViaUi(page, uniqueName('rita'));
  await openRoom(page, 'Archive');
  await page.locator('.msg-text', { hasText: label(TOTAL) }).waitFor();
  const loadedAtFirst = await page.locator('.msg[data-message-id]').count();
  assert.ok(loadedAtFirst <= 60, `only the newest page loads at first (${loadedAtFirst})`);
  assert.equal(await page.locator('.msg-text', { hasText: label(1) }).count(), 0);
  const scroller = page.locator('.messages');
  // Opened at the bottom, on the newest message.
  assert.ok(await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 5));

  // Scroll to the top: an older page arrives and the message that was on screen stays there.
  const anchor = page.locator('.msg[data-message-id]').first();
  const anchorId = await anchor.getAttribute('data-message-id');
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  await eventually(async () => (await page.locator('.msg[data-message-id]').count()) > loadedAtFirst, { message: 'older page loaded' });
  await eventually(async () => {
    const box = await page.locator(`.msg[data-message-id="${anchorId}"]`).boundingBox();
    const view = await scroller.boundingBox();
    return box && box.y >= view.y - box.height && box.y <= view.y + view.height;
  }, { message: 'the previously first message is still in view' });

  // Keep scrolling up until the beginning of the room.
  await eventually(async () => {
    await scroller.evaluate((el) => { el.scrollTop = 0; });
    return (await page.locator('.room-intro', { hasText: 'This is the very beginning of #Archive.' }).count()) === 1;
  }, { timeout: 20_000, interval: 300, message: 'reached the beginning' });

  const texts = await page.locator('.msg[data-message-id] .msg-text').allTextContents();
  const lines = texts.filter((t) => t.startsWith('History line'));
  assert.equal(lines.length, TOTAL, 'every message exactly once');
  assert.deepEqual(lines, Array.from({ length: TOTAL }, (_, i) => label(i + 1)), 'oldest first');
  const ids = await page.locator('.msg[data-message-id]').evaluateAll((els) => els.map((el) => Number(el.dataset.messageId)));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(new Set(ids).size, ids.length);
  // Consecutive lines of one author are grouped: one author header for the run.
  assert.ok((await page.locator('.msg.first').count()) < 20);
  assert.deepEqual(errors.map(String), []);
  await context.close();
});
