// Makes the README's screenshot (docs/screenshots/chat.png): three people in a design-review
// room, seen by one of them in a wide light window. Run with `npm run screenshot:readme`
// after building confab-server; it is not part of the test suite.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openClient, registerViaUi, openRoom, sendMessage, messageBubbles, REPO_DIR } from './helpers.mjs';

const server = await startServer();
const browser = await launchBrowser();
try {
  const [mei, priya, alex] = await Promise.all([1, 2, 3].map(() => openClient(browser, server, { viewport: { width: 1440, height: 900 } })));
  await registerViaUi(mei.page, 'mei');
  await registerViaUi(priya.page, 'priya');
  await registerViaUi(alex.page, 'alex');

  await mei.page.getByRole('button', { name: 'New room' }).click();
  const dialog = mei.page.getByRole('dialog', { name: 'Create a room' });
  await dialog.getByLabel('Room name').fill('Design review');
  await dialog.getByLabel('Description (optional)').fill('Onboarding flow, v2 · 新版引导流程');
  await dialog.getByRole('button', { name: 'Create room' }).click();
  await dialog.waitFor({ state: 'detached' });
  for (const person of [priya, alex]) {
    await openRoom(person.page, 'Design review');
    await person.page.locator('.join-bar').getByRole('button', { name: 'Join room' }).click();
    await person.page.locator('.composer-input').waitFor();
  }

  const say = async (person, text) => {
    await sendMessage(person.page, text);
    await messageBubbles(alex.page, text).waitFor();
  };
  await say(mei, 'Morning team! The new onboarding flow is live on staging 🎉');
  await say(priya, 'Nice! I went through it on my phone — the gradient header looks great.');
  await say(priya, 'One thing: the Chinese copy on step 2 wraps oddly. Details in the tracker: https://example.com/tracker/142');
  await say(alex, "On it — I'll fix the line breaks before lunch.");
  await say(alex, '欢迎页的中文文案我也顺便润色一下 ✍️');
  await say(mei, '👍');
  await openRoom(alex.page, '技术讨论');
  await sendMessage(priya.page, 'Also: can we ship this on Friday?');
  await openRoom(alex.page, 'Design review');
  await mei.page.locator('.composer-input').type('Friday works for me');
  await alex.page.locator('.typing-indicator', { hasText: 'mei is typing' }).waitFor();
  await openRoom(priya.page, '随便聊聊');
  await sendMessage(priya.page, 'Coffee? ☕');
  await alex.page.locator('.room-item .badge').first().waitFor();
  await alex.page.mouse.move(0, 0);
  await alex.page.evaluate(() => document.activeElement?.blur());

  const out = path.join(REPO_DIR, 'docs', 'screenshots');
  mkdirSync(out, { recursive: true });
  await alex.page.evaluate(() => document.fonts.ready);
  await alex.page.waitForTimeout(300);
  await alex.page.screenshot({ path: path.join(out, 'chat.png') });
  console.log(`wrote ${path.join(out, 'chat.png')}`);
} finally {
  await browser.close();
  await server.dispose();
}
