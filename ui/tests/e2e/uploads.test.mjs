// Pictures and files between two people in two browsers: uploading with the image and file
// buttons, by pasting and by dropping; the other person's thumbnail (fetched with the token, at
// its final size from the start); the full-size viewer; file cards with Download; progress,
// Cancel, and Retry with the same client_msg_id; object URLs released when the room changes;
// the retention note; and a file over the server's limit refused before anything is sent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  startSuite, openPeople, startServer, openClient, registerViaUi, openRoom, sendMessage,
  messageBubbles, eventually, uniqueName, screenshot, makePng, rest, roomId,
} from './helpers.mjs';

const names = { alice: uniqueName('alice'), bob: uniqueName('bob') };
const ROOM = '大厅';
const WHITEBOARD = makePng(800, 600);

/** Records object URLs made and revoked in the page, to check nothing is left behind. */
function trackObjectUrls(context) {
  return context.addInitScript(() => {
    const live = new Set();
    const create = URL.createObjectURL.bind(URL);
    const revoke = URL.revokeObjectURL.bind(URL);
    URL.createObjectURL = (blob) => {
      const url = create(blob);
      live.add(url);
      return url;
    };
    URL.revokeObjectURL = (url) => {
      live.delete(url);
      revoke(url);
    };
    window.__liveObjectUrls = () => [...live];
  });
}

const { server, browser } = await startSuite();
const [alice, bob] = await openPeople(browser, server, [{ name: names.alice }, { name: names.bob, setup: trackObjectUrls }]);
await openRoom(alice.page, ROOM);
await openRoom(bob.page, ROOM);

/** The stored message row (on `page`) whose attachment is called `name`. */
function attachmentRow(page, name) {
  return page.locator('.msg[data-message-id]', { has: page.locator(`.msg-image[title="${name}"], .msg-file-name[title="${name}"]`) });
}

async function chooseFiles(page, buttonName, files) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: buttonName }).click();
  await (await chooser).setFiles(files);
}

/** The client_msg_id in a multipart upload body. */
function clientMsgIdOf(request) {
  const body = request.postDataBuffer()?.toString('latin1') ?? '';
  return body.match(/name="client_msg_id"\r\n\r\n([^\r]+)/)?.[1] ?? null;
}

test('an image from the image button arrives for the other person as a thumbnail, caption and all', async () => {
  await alice.page.locator('.composer-input').fill('Whiteboard from today — details at https://example.com/plan');
  await chooseFiles(alice.page, 'Send an image', { name: 'whiteboard.png', mimeType: 'image/png', buffer: WHITEBOARD });

  const row = attachmentRow(bob.page, 'whiteboard.png');
  const thumb = row.locator('.msg-image');
  await thumb.waitFor();
  // The box has its final size (800×600 scaled into 320×320) before and after the picture arrives.
  const box = await thumb.boundingBox();
  assert.equal(Math.round(box.width), 320);
  assert.equal(Math.round(box.height), 240);
  const img = thumb.locator('img');
  await eventually(async () => (await img.evaluate((el) => el.complete && el.naturalWidth)) > 0, { message: 'thumbnail loaded' });
  assert.match(await img.getAttribute('src'), /^blob:/, 'shown through an object URL');
  assert.equal(await img.evaluate((el) => el.naturalWidth), 320, 'the thumbnail, not the full picture');
  const after = await thumb.boundingBox();
  assert.deepEqual([Math.round(after.width), Math.round(after.height)], [320, 240], 'no layout jump');
  assert.equal(await img.getAttribute('alt'), 'whiteboard.png');

  // The caption renders like a text message, link included.
  const caption = row.locator('.msg-caption');
  assert.equal(await caption.textContent(), 'Whiteboard from today — details at https://example.com/plan');
  assert.equal(await caption.locator('a').getAttribute('href'), 'https://example.com/plan');
  // The sender sees it stored too, and the composer was emptied into the caption.
  await attachmentRow(alice.page, 'whiteboard.png').locator('.msg-image img[src^="blob:"]').waitFor();
  assert.equal(await alice.page.locator('.composer-input').inputValue(), '');
  assert.equal(await alice.page.locator('.msg.upload').count(), 0, 'no pending upload left');
});

test('the viewer shows the full image, fetched the same way; Escape closes it and focus returns', async () => {
  const { page } = bob;
  const thumb = attachmentRow(page, 'whiteboard.png').locator('.msg-image');
  await thumb.click();
  const viewer = page.getByRole('dialog', { name: 'whiteboard.png' });
  await viewer.waitFor();
  const full = viewer.locator('.viewer-image[data-full]');
  await eventually(async () => (await full.evaluate((el) => el.complete && el.naturalWidth)) === 800, { message: 'full image loaded' });
  assert.match(await full.getAttribute('src'), /^blob:/);
  assert.equal(await viewer.locator('.viewer-meta').textContent(), `800 × 600 · ${Math.round(WHITEBOARD.length / 1024)} KB`);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Close', 'focus moves into the viewer');
  await screenshot(page, 'upload-viewer-light-wide');
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Open image whiteboard.png');

  // The keyboard opens it too (Enter on the focused thumbnail), in the dark theme as well.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.keyboard.press('Enter');
  await viewer.waitFor();
  await eventually(async () => (await viewer.locator('.viewer-image[data-full]').evaluate((el) => el.naturalWidth)) === 800, { message: 'full image loaded again' });
  await screenshot(page, 'upload-viewer-dark-wide');
  await viewer.getByRole('button', { name: 'Close' }).click();
  await viewer.waitFor({ state: 'detached' });
  await page.emulateMedia({ colorScheme: 'light' });
});

test('a pasted image is uploaded', async () => {
  const bytes = [...makePng(240, 160, { from: [20, 184, 166], to: [59, 130, 246] })];
  await alice.page.locator('.composer-input').focus();
  await alice.page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], 'pasted.png', { type: 'image/png' }));
    document.querySelector('.composer-input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  const thumb = attachmentRow(bob.page, 'pasted.png').locator('.msg-image');
  await thumb.locator('img[src^="blob:"]').waitFor();
  const box = await thumb.boundingBox();
  assert.deepEqual([Math.round(box.width), Math.round(box.height)], [240, 160], 'small pictures are not enlarged');
  assert.equal(await alice.page.locator('.composer-input').inputValue(), '', 'nothing was pasted as text');
});

test('any file: a card with its name and size, and Download saves it under that name', async () => {
  const content = Buffer.from('Meeting notes\n'.repeat(882).slice(0, 12345));
  await chooseFiles(alice.page, 'Send a file', { name: 'notes 2026.txt', mimeType: 'text/plain', buffer: content });
  const card = attachmentRow(bob.page, 'notes 2026.txt').locator('.msg-file');
  await card.waitFor();
  assert.equal(await card.locator('.msg-file-name').textContent(), 'notes 2026.txt');
  assert.equal(await card.locator('.msg-file-size').textContent(), '12 KB');
  assert.equal(await card.locator('img').count(), 0, 'files are never shown inline');
  const download = bob.page.waitForEvent('download');
  await card.getByRole('button', { name: 'Download notes 2026.txt' }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), 'notes 2026.txt');
  assert.deepEqual(readFileSync(await file.path()), content);
});

test('dropping files on the conversation uploads them, with a drop hint while dragging', async () => {
  const bytes = [...Buffer.from('a,b\n1,2\n')];
  await alice.page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], 'numbers.csv', { type: 'text/csv' }));
    const chat = document.querySelector('.chat');
    chat.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    window.__dropHint = chat.classList.contains('dropping');
    chat.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  assert.equal(await alice.page.evaluate(() => window.__dropHint), true);
  assert.equal(await alice.page.locator('.chat.dropping').count(), 0);
  const card = attachmentRow(bob.page, 'numbers.csv').locator('.msg-file');
  await card.waitFor();
  assert.equal(await card.locator('.msg-file-size').textContent(), '8 B');
});

test('an upload in progress shows a progress bar and can be cancelled', async () => {
  const { page } = alice;
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  const pattern = '**/api/rooms/*/uploads';
  await page.route(pattern, async (route) => {
    await held;
    await route.abort().catch(() => {});
  });
  await chooseFiles(page, 'Send a file', { name: 'draft.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(40_000, 7) });
  const pending = page.locator('.msg.upload[data-status="uploading"]');
  await pending.waitFor();
  assert.equal(await pending.locator('.msg-file-name').textContent(), 'draft.pdf');
  assert.equal(await pending.getByRole('progressbar', { name: 'Uploading draft.pdf' }).count(), 1);
  await screenshot(page, 'upload-pending-light-wide');
  await pending.getByRole('button', { name: 'Cancel uploading draft.pdf' }).click();
  await pending.waitFor({ state: 'detached' });
  release();
  await page.unroute(pattern);
  await sendMessage(page, 'after the cancelled upload');
  await messageBubbles(bob.page, 'after the cancelled upload').waitFor();
  assert.equal(await attachmentRow(bob.page, 'draft.pdf').count(), 0, 'nothing was posted');
});

test('a failed upload is marked; Retry sends it again with the same id and it is stored once', async () => {
  const { page } = alice;
  const ids = [];
  let failNext = true;
  const pattern = '**/api/rooms/*/uploads';
  await page.route(pattern, async (route) => {
    ids.push(clientMsgIdOf(route.request()));
    if (failNext) {
      failNext = false;
      await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'shutting_down', message: 'restarting' } }) });
    } else {
      await route.continue();
    }
  });
  await chooseFiles(page, 'Send an image', { name: 'retry.png', mimeType: 'image/png', buffer: makePng(300, 200) });
  const failed = page.locator('.msg.upload[data-status="failed"]');
  await failed.getByText('Not sent: The server is restarting — try again in a moment').waitFor();
  await failed.getByRole('button', { name: 'Retry' }).click();
  await attachmentRow(bob.page, 'retry.png').locator('img[src^="blob:"]').waitFor();
  await failed.waitFor({ state: 'detached' });
  await page.unroute(pattern);
  assert.equal(ids.length, 2);
  assert.ok(ids[0], 'a client_msg_id was sent');
  assert.equal(ids[1], ids[0], 'the retry reuses it');
  assert.equal(await attachmentRow(bob.page, 'retry.png').count(), 1);
  assert.equal(await attachmentRow(page, 'retry.png').count(), 1);
});

test('pictures are fetched with the token and released when the room changes', async () => {
  const { page } = bob;
  const live = () => page.evaluate(() => window.__liveObjectUrls());
  const shown = await page.locator('.msg-image img[src^="blob:"]').evaluateAll((els) => els.map((el) => el.src));
  assert.ok(shown.length >= 3, 'thumbnails are on screen');
  assert.ok(shown.every((url) => url.startsWith('blob:')));
  await openRoom(page, '技术讨论');
  await eventually(async () => {
    const still = await live();
    return shown.every((url) => !still.includes(url));
  }, { message: 'every thumbnail object URL revoked' });
  await openRoom(page, ROOM);
  await attachmentRow(page, 'whiteboard.png').locator('img[src^="blob:"]').waitFor();
  // Without the token the file is refused: nothing about it is public.
  const token = await page.evaluate(() => sessionStorage.getItem('confab.session:same-origin'));
  const { body } = await rest(server, 'GET', `/api/rooms/${await roomId(server, token, ROOM)}/messages?limit=50`, undefined, token);
  const file = body.messages.find((m) => m.attachment?.file_name === 'whiteboard.png').attachment;
  assert.equal((await fetch(`${server.url}${file.url}`)).status, 401);
});

test('the room says how long its history is kept', async () => {
  const { page } = bob;
  await page.locator('#retention-note', { hasText: 'Messages are kept for 7 days' }).waitFor();
});

test('a file over the server’s limit is refused before anything is sent', async () => {
  const small = await startServer({ args: ['--max-upload-mb', '1'] });
  const client = await openClient(browser, small);
  try {
    await registerViaUi(client.page, uniqueName('zoe'));
    const uploads = [];
    client.page.on('request', (request) => {
      if (request.url().includes('/uploads')) uploads.push(request.url());
    });
    await chooseFiles(client.page, 'Send a file', { name: 'video.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(1_500_000, 1) });
    await client.page.locator('.toast', { hasText: '“video.mp4” is 1.4 MB; this server accepts files up to 1 MB.' }).waitFor();
    assert.equal(await client.page.locator('.msg.upload').count(), 0);
    assert.deepEqual(uploads, [], 'no upload request was made');
    // Said in Chinese for a Chinese interface.
    await client.page.getByRole('button', { name: 'Settings' }).first().click();
    await client.page.getByRole('dialog', { name: 'Settings' }).getByLabel('Language').selectOption('zh-CN');
    await chooseFiles(client.page, '发送文件', { name: '视频.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(1_200_000, 1) });
    await client.page.locator('.toast', { hasText: '“视频.mp4”大小为 1.1 MB，此服务器最多接受 1 MB 的文件。' }).waitFor();
    assert.deepEqual(uploads, []);
    assert.deepEqual(client.errors.map(String), []);
  } finally {
    await client.context.close();
    await small.dispose();
  }
});

test('screenshots: a conversation with a picture and a file, light and dark, wide and narrow', async () => {
  const { page } = bob;
  await openRoom(page, ROOM);
  await sendMessage(page, 'Thanks! I will print the whiteboard for the meeting 🙌');
  await messageBubbles(page, 'Thanks! I will print the whiteboard for the meeting 🙌').waitFor();
  // The whiteboard (with its caption) near the top, the rest of the conversation below.
  const scrollToWhiteboard = () => attachmentRow(page, 'whiteboard.png').evaluate((row) => {
    const list = row.closest('.messages');
    list.scrollTop = row.offsetTop - 40;
  });
  await scrollToWhiteboard();
  await screenshot(page, 'upload-chat-light-wide');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'upload-chat-dark-wide');
  await page.setViewportSize({ width: 390, height: 844 });
  await scrollToWhiteboard();
  await screenshot(page, 'upload-chat-dark-narrow');
  const box = await attachmentRow(page, 'pasted.png').locator('.msg-image').boundingBox();
  assert.ok(box.width <= 390, 'pictures fit narrow windows');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('no script errors happened in either browser', () => {
  assert.deepEqual(alice.errors.map(String), []);
  assert.deepEqual(bob.errors.map(String), []);
});
