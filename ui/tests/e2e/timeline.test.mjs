// The bounded timeline: a room of 5,000 messages scrolled to its very first message and back
// keeps the page's element count bounded, keeps the message being read in place while pages load
// above it, and still shows another person's new message at the bottom; re-opening the room
// costs no more than with a short history.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSuite, openClient, loginViaUi, registerViaApi, openRoom, rest, eventually, uniqueName, seedMessages, messageBubbles } from './helpers.mjs';

const TOTAL = 5000;
const DOM_CEILING = 3000;

const { server, browser } = await startSuite();

/** Elements in the page, and in the message list. */
const domSize = (page) => page.evaluate(() => ({ all: document.getElementsByTagName('*').length, rows: document.querySelectorAll('.message-rows > *').length }));

test('5,000 messages: to the first and back with a bounded DOM and the reading position kept', async () => {
  const writer = await registerViaApi(server, uniqueName('wendy'));
  const { body } = await rest(server, 'POST', '/api/rooms', { name: 'Long', description: 'A long history' }, writer.token);
  const id = body.room.id;
  const { body: short } = await rest(server, 'POST', '/api/rooms', { name: 'Short' }, writer.token);
  // A member of both rooms (new accounts join only the default rooms; a preview gets no live
  // messages), who joined before the history was written.
  const reader = await registerViaApi(server, uniqueName('reed'));
  for (const room of [id, short.room.id]) await rest(server, 'POST', `/api/rooms/${room}/join`, undefined, reader.token);
  await seedMessages(server, writer.token, id, TOTAL, { label: (i) => `Long line ${i}` });

  const { context, page, errors } = await openClient(browser, server, { viewport: { width: 1280, height: 720 } });
  await loginViaUi(page, reader.user.username, 'correct-horse-42');
  await openRoom(page, 'Long');
  await page.locator('.msg[data-message-id]').first().waitFor();
  let worst = await domSize(page);

  // Up to the very first message, one scroll at a time, checking the DOM as we go; each time
  // rows are added above, the message at the top of the view must stay exactly where it was.
  let anchorsChecked = 0;
  for (let step = 0; step < 2000; step += 1) {
    if (await page.locator('.room-intro').count()) break;
    const before = await page.evaluate(() => {
      const scroller = document.querySelector('.messages');
      scroller.scrollTop = 0;
      const top = scroller.getBoundingClientRect().top;
      const first = [...document.querySelectorAll('.msg[data-message-id]')].find((el) => el.getBoundingClientRect().bottom > top);
      return first ? { id: first.dataset.messageId, y: first.getBoundingClientRect().top } : null;
    });
    // Wait for rows to appear above (the window moving or a page arriving), or the beginning.
    await eventually(() => page.evaluate(() => document.querySelector('.messages').scrollTop > 0 || Boolean(document.querySelector('.room-intro'))), { timeout: 15_000, interval: 20, message: 'rows above' });
    if (before && !(await page.locator('.room-intro').count())) {
      const y = await page.evaluate((mid) => document.querySelector(`.msg[data-message-id="${mid}"]`)?.getBoundingClientRect().top ?? null, before.id);
      assert.ok(y !== null && Math.abs(y - before.y) <= 1, `message ${before.id} stayed at ${before.y} (now ${y})`);
      anchorsChecked += 1;
    }
    const size = await domSize(page);
    if (size.all > worst.all) worst = size;
  }
  assert.equal(await page.locator('.room-intro', { hasText: 'This is the very beginning of #Long.' }).count(), 1, 'reached the beginning');
  // The oldest row of the log, whatever its kind (the room's creation notice comes first).
  const firstId = await page.locator('.message-rows [data-message-id]').first().getAttribute('data-message-id');
  const { body: oldest } = await rest(server, 'GET', `/api/rooms/${id}/messages?after=0&limit=1`, undefined, writer.token);
  assert.equal(Number(firstId), oldest.messages[0].id, 'the very first message is on screen');
  assert.ok(anchorsChecked > 40, `the anchor was checked on every step (${anchorsChecked})`);

  // And back down to the newest, scrolling.
  const { body: newest } = await rest(server, 'GET', `/api/rooms/${id}/messages?limit=1`, undefined, writer.token);
  const newestId = newest.messages[0].id;
  for (let step = 0; step < 3000; step += 1) {
    const done = await page.evaluate((nid) => {
      const scroller = document.querySelector('.messages');
      scroller.scrollTop = scroller.scrollHeight;
      return Boolean(document.querySelector(`.msg[data-message-id="${nid}"]`)) && !document.querySelector('.messages-bottom .messages-status');
    }, newestId);
    if (done) break;
    await page.waitForTimeout(20);
    const size = await domSize(page);
    if (size.all > worst.all) worst = size;
  }
  await page.locator(`.msg[data-message-id="${newestId}"]`).waitFor();
  assert.ok(worst.all <= DOM_CEILING, `at most ${DOM_CEILING} elements at any point (worst ${worst.all}, ${worst.rows} rows)`);

  // At the bottom, another person's message appears, in view.
  await rest(server, 'POST', `/api/rooms/${id}/messages`, { content: 'Fresh from wendy' }, writer.token);
  await messageBubbles(page, 'Fresh from wendy').waitFor();
  await eventually(() => page.evaluate(() => {
    const s = document.querySelector('.messages');
    return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
  }), { message: 'still at the bottom' });

  // Re-opening the room renders a bounded window again.
  await openRoom(page, 'Short');
  await openRoom(page, 'Long');
  await messageBubbles(page, 'Fresh from wendy').waitFor();
  assert.ok((await domSize(page)).all <= DOM_CEILING);
  // Screen readers learn where each message sits in the (partly loaded) log.
  const last = page.locator('.msg[data-message-id]').last();
  assert.equal(await last.getAttribute('aria-setsize'), '-1');
  assert.ok(Number(await last.getAttribute('aria-posinset')) > 1);
  assert.deepEqual(errors.map(String), []);
  await context.close();
});
