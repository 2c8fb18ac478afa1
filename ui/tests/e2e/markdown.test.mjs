// Markdown in messages, as two people see it: bold, a code block with its copy button, a list
// and a quote drawn as such; hostile input (script, an image with onerror, a javascript: link)
// inert and visible as typed; notifications and the Mentions list without Markdown marks; the
// composer's toolbar and shortcuts (and the edit box's shortcuts) adding the marks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSuite, openPeople, openClient, registerViaUi, openRoom, sendMessage, eventually, uniqueName, screenshot } from './helpers.mjs';

const names = { alice: uniqueName('alice'), bob: uniqueName('bob'), dana: uniqueName('dana') };
const LOBBY = '大厅';

const { server, browser } = await startSuite();
const [alice, bob] = await openPeople(browser, server, [{ name: names.alice }, { name: names.bob }]);

/** The stored message whose text contains `text`, in `page`. */
const message = (page, text) => page.locator('.msg[data-message-id]', { has: page.locator('.msg-text', { hasText: text }) });

test('bold, a highlighted code block with a copy button, a list and a quote render as such', async () => {
  await openRoom(alice.page, LOBBY);
  await openRoom(bob.page, LOBBY);
  const text = [
    'Release **tomorrow** at _ten_, ~~not today~~, run `npm ci` first:',
    '',
    '```sh',
    'cargo build --release',
    'echo "**not bold** <b>not html</b>"',
    '```',
    '',
    '- notes',
    '- tag',
    '',
    '1. build',
    '2. ship',
    '',
    '> Measure twice',
    '',
    'Docs: [the guide](https://example.com/guide) and https://example.com/raw',
  ].join('\n');
  await sendMessage(alice.page, text);
  const row = message(bob.page, 'Release');
  await row.waitFor();
  const body = row.locator('.msg-text');
  assert.equal(await body.locator('strong').first().textContent(), 'tomorrow');
  assert.equal(await body.locator('em').first().textContent(), 'ten');
  assert.equal(await body.locator('s').textContent(), 'not today');
  assert.equal(await body.locator('p code').textContent(), 'npm ci');
  const pre = body.locator('pre');
  assert.equal(await pre.textContent(), 'cargo build --release\necho "**not bold** <b>not html</b>"');
  assert.equal(await pre.locator('strong, b').count(), 0);
  // Highlighted: the string in its own colour.
  const string = pre.locator('.hl-string');
  assert.equal(await string.textContent(), '"**not bold** <b>not html</b>"');
  assert.notEqual(await string.evaluate((el) => getComputedStyle(el).color), await pre.evaluate((el) => getComputedStyle(el).color));
  const style = await pre.evaluate((el) => ({ font: getComputedStyle(el).fontFamily, overflow: getComputedStyle(el).overflowX, space: getComputedStyle(el).whiteSpace }));
  assert.match(style.font, /mono|Menlo|Consolas/i);
  assert.equal(style.overflow, 'auto');
  assert.equal(style.space, 'pre');
  const copy = body.getByRole('button', { name: 'Copy code' });
  assert.equal(await copy.count(), 1);
  assert.deepEqual(await body.locator('ul > li').allTextContents(), ['notes', 'tag']);
  assert.deepEqual(await body.locator('ol > li').allTextContents(), ['build', 'ship']);
  assert.equal(await body.locator('blockquote').textContent(), 'Measure twice');
  const guide = body.locator('a', { hasText: 'the guide' });
  assert.equal(await guide.getAttribute('href'), 'https://example.com/guide');
  assert.equal(await guide.getAttribute('title'), 'https://example.com/guide', 'hovering shows where the link goes');
  assert.equal(await body.locator('a', { hasText: 'https://example.com/raw' }).getAttribute('href'), 'https://example.com/raw');
  // Nothing is larger than the message text.
  const sizes = await body.evaluate((el) => [...el.querySelectorAll('*')].map((e) => parseFloat(getComputedStyle(e).fontSize)));
  const base = await body.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(sizes.every((s) => s <= base), `font sizes ${sizes} within ${base}`);

  // The copy button copies the code, not the marks around it.
  await bob.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await row.hover();
  await copy.click();
  await eventually(async () => (await bob.page.evaluate(() => navigator.clipboard.readText())) === 'cargo build --release\necho "**not bold** <b>not html</b>"', { message: 'the code is on the clipboard' });
  await body.getByRole('button', { name: 'Copied' }).waitFor();
  await screenshot(bob.page, 'markdown-light-wide');
});

test('a heading is no larger than the text; images and raw HTML stay text', async () => {
  await sendMessage(alice.page, '# Big news\n![cat](https://example.com/cat.png) <i>hi</i>');
  const row = message(bob.page, 'Big news');
  await row.waitFor();
  const body = row.locator('.msg-text');
  assert.equal(await body.locator('h1, h2, h3, h4, h5, h6, img, i').count(), 0);
  assert.equal(await body.locator('strong', { hasText: 'Big news' }).count(), 1);
  assert.match(await body.textContent(), /<i>hi<\/i>/);
});

test('hostile input stays inert and visible as typed', async () => {
  await bob.page.evaluate(() => {
    window.__pwned = 0;
  });
  const hostile = [
    '<script>window.__pwned = 1</script>',
    '<img src=x onerror="window.__pwned = 2">',
    '[click me](javascript:window.__pwned=3)',
    '[or me](JaVaScRiPt:window.__pwned=4)',
    '[data](data:text/html,<script>parent.__pwned=5</script>)',
    '**<img src=y onerror="window.__pwned = 6">**',
  ].join('\n\n');
  await sendMessage(alice.page, hostile);
  const row = message(bob.page, 'window.__pwned = 1');
  await row.waitFor();
  const body = row.locator('.msg-text');
  assert.equal(await body.locator('script, img, iframe, object, embed').count(), 0);
  const text = await body.textContent();
  for (const part of ['<script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">', '[click me](javascript:window.__pwned=3)', '[or me](JaVaScRiPt:window.__pwned=4)']) {
    assert.ok(text.includes(part), `${part} is shown as typed`);
  }
  const hrefs = await body.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, []);
  const handlers = await body.evaluate((el) => [...el.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')));
  assert.deepEqual(handlers, []);
  // Clicking what looks like a link does nothing either.
  await body.getByText('[click me]', { exact: false }).click();
  assert.equal(await bob.page.evaluate(() => window.__pwned), 0);
  assert.equal(await alice.page.evaluate(() => window.__pwned), undefined);
});

test('notifications and the Mentions list show the text without Markdown marks', async () => {
  const dana = await openClient(browser, server, {
    setup: async (context) => {
      await context.grantPermissions(['notifications'], { origin: server.url });
      await context.addInitScript(() => {
        window.__notifications = [];
        window.Notification = new Proxy(window.Notification, {
          construct(target, args) {
            window.__notifications.push({ title: args[0], body: args[1]?.body });
            return Reflect.construct(target, args);
          },
        });
      });
    },
  });
  await registerViaUi(dana.page, names.dana);
  await dana.page.getByRole('button', { name: 'Settings' }).first().click();
  const box = dana.page.getByRole('dialog', { name: 'Settings' }).getByLabel(/Show a notification for new messages/);
  await box.check();
  await eventually(() => box.isChecked(), { message: 'notifications on' });
  await dana.page.keyboard.press('Escape');
  // Dana reads another room, so a message in the lobby notifies her.
  await openRoom(dana.page, '随便聊聊');

  await sendMessage(alice.page, `@${names.dana} **Deploy** is _done_, see [the log](https://example.com/log) and \`make ship\``);
  await eventually(async () => (await dana.page.evaluate(() => window.__notifications.length)) >= 1, { message: 'a notification' });
  const shown = await dana.page.evaluate(() => window.__notifications.at(-1));
  assert.equal(shown.body, `@${names.dana} Deploy is done, see the log and make ship`);
  assert.doesNotMatch(shown.body, /\*\*|`|\]\(/);

  await dana.page.getByTestId('open-mentions').click();
  const item = dana.page.locator('.mention-text', { hasText: 'Deploy' });
  await item.waitFor();
  assert.equal(await item.textContent(), `@${names.dana} Deploy is done, see the log and make ship`);
  await dana.page.keyboard.press('Escape');
  await dana.context.close();
});

test('the composer toolbar and shortcuts (also in the edit box) add the marks around the selection', async () => {
  const { page } = alice;
  const input = page.locator('.composer-input');
  const toolbar = page.getByRole('toolbar', { name: 'Formatting' });
  for (const name of ['Bold', 'Italic', 'Inline code', 'Code block', 'Quote', 'Bulleted list', 'Link']) {
    assert.equal(await toolbar.getByRole('button', { name }).count(), 1, `${name} button`);
  }
  await input.fill('ship it now');
  await input.evaluate((el) => el.setSelectionRange(5, 7));
  await toolbar.getByRole('button', { name: 'Bold' }).click();
  assert.equal(await input.inputValue(), 'ship **it** now');
  await input.press('ControlOrMeta+b');
  assert.equal(await input.inputValue(), 'ship it now', 'the shortcut takes the marks off again');
  await input.press('ControlOrMeta+i');
  assert.equal(await input.inputValue(), 'ship _it_ now');
  await input.press('ControlOrMeta+z');
  assert.equal(await input.inputValue(), 'ship it now', 'a format is undone like typing');
  await input.evaluate((el) => el.setSelectionRange(0, 4));
  await input.press('ControlOrMeta+e');
  assert.equal(await input.inputValue(), '`ship` it now');
  await input.fill('let a = 1;');
  await input.evaluate((el) => el.select());
  await input.press('ControlOrMeta+Shift+X');
  assert.equal(await input.inputValue(), '```\nlet a = 1;\n```');
  await input.fill('first\nsecond');
  await input.evaluate((el) => el.select());
  await toolbar.getByRole('button', { name: 'Quote' }).click();
  assert.equal(await input.inputValue(), '> first\n> second');
  await input.fill('the docs');
  await input.evaluate((el) => el.select());
  await toolbar.getByRole('button', { name: 'Link' }).click();
  assert.equal(await input.inputValue(), '[the docs](https://)');
  await page.keyboard.type('https://example.com/docs');
  assert.equal(await input.inputValue(), '[the docs](https://example.com/docs)');
  await input.press('Enter');
  const link = message(bob.page, 'the docs').locator('a', { hasText: 'the docs' });
  await link.waitFor();

  // Pasting an address over selected text links it.
  await input.fill('see the notes');
  await input.evaluate((el) => {
    el.setSelectionRange(4, 13);
    const data = new DataTransfer();
    data.setData('text/plain', 'https://example.com/notes');
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  assert.equal(await input.inputValue(), 'see [the notes](https://example.com/notes)');
  assert.equal(await link.getAttribute('href'), 'https://example.com/docs');
  await input.fill('');

  // The box editing a message has the shortcuts too.
  await input.press('ArrowUp');
  const editor = page.getByLabel('Edit your message');
  await editor.waitFor();
  await editor.evaluate((el) => el.select());
  await editor.press('ControlOrMeta+b');
  assert.equal(await editor.inputValue(), '**[the docs](https://example.com/docs)**');
  await editor.press('Enter');
  await message(bob.page, 'the docs').locator('strong a', { hasText: 'the docs' }).waitFor();
});

test('no script errors happened in either browser', () => {
  assert.deepEqual(alice.errors.map(String), []);
  assert.deepEqual(bob.errors.map(String), []);
});
