// The offline outbox outlives the browser: messages written while offline, and one whose
// acknowledgement was lost, are still there after the browser is closed and opened again on the
// same profile, and are each stored exactly once when it reconnects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSuite, registerViaUi, messageBubbles, eventually, uniqueName, rest, sendMessage, TIMEOUT } from './helpers.mjs';

const { server } = await startSuite();
const CHROMIUM = process.env.CONFAB_CHROMIUM || '/usr/bin/chromium';

/** A browser with a profile on disk (closing it and opening it again keeps its storage). */
async function openProfile(dir, control) {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(TIMEOUT);
  await context.routeWebSocket(/\/ws$/, (ws) => {
    if (control.blocked) {
      ws.close({ code: 4000, reason: 'offline' });
      return;
    }
    const upstream = ws.connectToServer();
    control.live.push(ws);
    ws.onMessage((raw) => upstream.send(raw));
    upstream.onMessage((raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.event === 'new_message' && frame.data.message.content === control.loseReplyTo) return;
      ws.send(raw);
    });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${server.url}/`);
  return { context, page, errors };
}

async function countStored(token, roomId, text) {
  const { body } = await rest(server, 'GET', `/api/rooms/${roomId}/messages?limit=200`, undefined, token);
  return body.messages.filter((m) => m.content === text).length;
}

test('queued messages survive closing the browser and are sent exactly once on the next start', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'confab-profile-'));
  const name = uniqueName('otto');
  const control = { blocked: false, live: [], loseReplyTo: null };
  try {
    let { context, page } = await openProfile(dir, control);
    await registerViaUi(page, name, 'correct-horse-42', { remember: true });
    const roomName = await page.locator('.topbar-room-name').textContent();
    const { body: login } = await rest(server, 'POST', '/api/auth/login', { username: name, password: 'correct-horse-42' });
    const { body: rooms } = await rest(server, 'GET', '/api/rooms', undefined, login.token);
    const roomId = rooms.rooms.find((r) => r.name === roomName).id;

    // Stored by the server, but its acknowledgement never arrives before the browser closes.
    control.loseReplyTo = 'Stored, not acknowledged';
    await sendMessage(page, 'Stored, not acknowledged');
    await eventually(async () => (await countStored(login.token, roomId, 'Stored, not acknowledged')) === 1, { message: 'stored once' });

    // Offline: two more wait in the outbox.
    control.blocked = true;
    for (const ws of control.live.splice(0)) ws.close({ code: 4000, reason: 'offline' });
    await page.locator('.conn-dot:not(.online)').waitFor();
    await sendMessage(page, 'Written offline, one');
    await sendMessage(page, 'Written offline, two');
    await page.locator('.msg.pending', { hasText: 'Written offline, two' }).waitFor();
    await page.waitForTimeout(300); // the outbox is written to IndexedDB asynchronously
    await context.close();

    // Opened again, online: everything arrives, each message once.
    control.blocked = false;
    control.loseReplyTo = null;
    ({ context, page } = await openProfile(dir, control));
    await page.locator('.conn-dot.online').waitFor();
    for (const text of ['Written offline, one', 'Written offline, two', 'Stored, not acknowledged']) {
      await messageBubbles(page, text).waitFor();
      await eventually(async () => (await countStored(login.token, roomId, text)) === 1, { message: `${text} stored once` });
    }
    assert.equal(await page.locator('.msg.pending').count(), 0);
    await page.waitForTimeout(300);
    await context.close();

    // And once more: nothing is sent again.
    ({ context, page } = await openProfile(dir, control));
    await page.locator('.conn-dot.online').waitFor();
    await messageBubbles(page, 'Written offline, two').waitFor();
    await page.waitForTimeout(1500);
    for (const text of ['Written offline, one', 'Written offline, two', 'Stored, not acknowledged']) {
      assert.equal(await countStored(login.token, roomId, text), 1, `${text} still once`);
    }
    await context.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('opened again while still offline, the waiting messages are shown', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'confab-profile-'));
  const control = { blocked: false, live: [], loseReplyTo: null };
  try {
    let { context, page } = await openProfile(dir, control);
    await registerViaUi(page, uniqueName('ada'), 'correct-horse-42', { remember: true });
    control.blocked = true;
    for (const ws of control.live.splice(0)) ws.close({ code: 4000, reason: 'offline' });
    await page.locator('.conn-dot:not(.online)').waitFor();
    await sendMessage(page, 'Keep me until I am sent');
    await page.locator('.msg.pending', { hasText: 'Keep me until I am sent' }).waitFor();
    await page.waitForTimeout(300);
    await context.close();

    ({ context, page } = await openProfile(dir, control));
    await page.locator('.conn-banner .banner-queued', { hasText: /\b1\b/ }).waitFor({ timeout: 15_000 });
    await context.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
