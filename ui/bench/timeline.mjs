// The web client at scale, measured in headless Chromium (not a test: it prints figures).
// Starts a real confab-server, seeds rooms of 50 and 5,000 messages (50,000 too with --big)
// over REST, and as one reader scrolls each room to its very first message and back (DOM nodes
// and JS heap after GC, frame times while scrolling), then measures keystroke-to-frame,
// arrival-to-paint and re-open latencies in rounds that visit every room in turn. Prints each
// figure and its ratio to the 50-message room. Run from ui/:
//   CONFAB_SERVER_BIN=$PWD/../target/debug/confab-server node bench/timeline.mjs [--big]

import { startServer, launchBrowser, openClient, loginViaUi, registerViaApi, rest, seedMessages, openRoom, uniqueName } from '../tests/e2e/helpers.mjs';

const big = process.argv.includes('--big');
const sizes = big ? [50, 5000, 50000] : [50, 5000];
const ROUNDS = 5;
const KEYSTROKES = 40; // in all, over the rounds
const ARRIVALS = 25;

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
};

const server = await startServer();
const browser = await launchBrowser();
try {
  const writer = await registerViaApi(server, uniqueName('writer'));
  const rooms = {};
  for (const n of sizes) {
    const started = Date.now();
    const { body } = await rest(server, 'POST', '/api/rooms', { name: `perf-${n}` }, writer.token);
    rooms[n] = body.room.id;
    await seedMessages(server, writer.token, body.room.id, n, { label: (i) => `Message ${i} of ${n}: some words to make a line of ordinary chat` });
    console.error(`seeded ${n} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const { page, context } = await openClient(browser, server, { viewport: { width: 1280, height: 800 } });
  // Marks when each socket message arrives, before the client's own handler runs.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (event) => {
          if (typeof event.data === 'string' && event.data.includes('"new_message"')) window.__arrivedAt = performance.now();
        });
      }
    };
  });
  await page.reload();
  // The reader is a member of every room (a preview gets no live messages).
  const reader = await registerViaApi(server, uniqueName('reader'));
  for (const n of sizes) await rest(server, 'POST', `/api/rooms/${rooms[n]}/join`, undefined, reader.token);
  await loginViaUi(page, reader.user.username, 'correct-horse-42');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');

  const results = {};
  for (const n of sizes) {
    await openRoom(page, `perf-${n}`);
    await page.locator('.msg[data-message-id]').first().waitFor();

    // Scroll up to the very first message, then back down, a screenful per frame.
    const scrolling = await page.evaluate(async () => {
      const scroller = document.querySelector('.messages');
      const frames = [];
      let maxElements = 0;
      let last = performance.now();
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => {
        const now = performance.now();
        frames.push(now - last);
        last = now;
        resolve();
      }));
      const started = performance.now();
      for (let i = 0; i < 200_000 && !document.querySelector('.room-intro'); i += 1) {
        scroller.scrollTop -= scroller.clientHeight;
        await frame();
        if (i % 20 === 0) maxElements = Math.max(maxElements, document.getElementsByTagName('*').length);
      }
      const upMs = performance.now() - started;
      for (let i = 0; i < 200_000; i += 1) {
        scroller.scrollTop += scroller.clientHeight;
        await frame();
        if (i % 20 === 0) maxElements = Math.max(maxElements, document.getElementsByTagName('*').length);
        const atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 2;
        if (atEnd && !document.querySelector('.messages-bottom .messages-status') && !document.querySelector('.jump-latest:not([hidden])')) break;
      }
      return { frames, maxElements, upMs, totalMs: performance.now() - started };
    });
    await page.waitForTimeout(300);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const metric = (name) => metrics.find((m) => m.name === name)?.value ?? NaN;
    results[n] = {
      nodes: metric('Nodes'),
      elements: await page.evaluate(() => document.getElementsByTagName('*').length),
      maxElements: scrolling.maxElements,
      heapMB: metric('JSHeapUsedSize') / 1048576,
      frameP50: quantile(scrolling.frames, 0.5),
      frameP99: quantile(scrolling.frames, 0.99),
      scrollS: scrolling.totalMs / 1000,
      keys: [],
      arrivals: [],
      reopens: [],
    };
    console.error(`scrolled perf-${n}`);
  }

  // The latencies, in rounds that visit every room in turn, so that the load of a shared
  // machine drifting during the run weighs on every room alike. Each visit re-opens the room
  // (one re-open sample), types and receives messages in it; the rooms keep what was loaded
  // while scrolling them.
  await page.evaluate(() => {
    window.__keys = [];
    document.addEventListener('input', (event) => {
      if (!event.target.matches?.('.composer-input')) return;
      const stamp = event.timeStamp;
      requestAnimationFrame(() => setTimeout(() => window.__keys.push(performance.now() - stamp), 0));
    });
  });
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const n of sizes) {
      const r = results[n];
      // Re-opening the room from another one: click to the frame showing its messages.
      await openRoom(page, `perf-${sizes.find((m) => m !== n)}`);
      await page.waitForTimeout(100);
      r.reopens.push(await page.evaluate((name) => new Promise((resolve) => {
        const button = [...document.querySelectorAll('.room-item')].find((el) => el.querySelector('.room-name')?.textContent === name);
        const started = performance.now();
        button.click();
        const check = () => {
          if (document.querySelector('.topbar-room-name')?.textContent === name && document.querySelector('.message-rows .msg')) {
            requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - started), 0));
          } else requestAnimationFrame(check);
        };
        check();
      }), `perf-${n}`));
      await page.locator('.msg[data-message-id]').first().waitFor();

      // Keystroke to the next frame, in the composer.
      await page.locator('.composer-input').click();
      await page.evaluate(() => {
        window.__keys = [];
      });
      for (let i = 0; i < KEYSTROKES / ROUNDS; i += 1) {
        await page.keyboard.type(i % 10 === 9 ? ' ' : 'x');
        await page.waitForTimeout(30);
      }
      await page.waitForTimeout(200);
      r.keys.push(...(await page.evaluate(() => window.__keys)));
      await page.locator('.composer-input').fill('');

      // Another person's message: socket arrival to the frame that shows it.
      for (let i = 0; i < ARRIVALS / ROUNDS; i += 1) {
        const text = `Arrival ${n}-${round}-${i}`;
        const waiting = page.evaluate((wanted) => new Promise((resolve) => {
          const rows = document.querySelector('.message-rows');
          const observer = new MutationObserver(() => {
            if (![...rows.querySelectorAll('.msg-text')].some((el) => el.textContent === wanted)) return;
            observer.disconnect();
            requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - window.__arrivedAt), 0));
          });
          observer.observe(rows, { childList: true, subtree: true });
        }), text);
        await page.waitForTimeout(20);
        await rest(server, 'POST', `/api/rooms/${rooms[n]}/messages`, { content: text }, writer.token);
        r.arrivals.push(await waiting);
      }
    }
    console.error(`round ${round + 1} of ${ROUNDS}`);
  }
  for (const n of sizes) {
    const r = results[n];
    r.keyP50 = quantile(r.keys, 0.5);
    r.arrivalP50 = quantile(r.arrivals, 0.5);
    r.reopenP50 = quantile(r.reopens, 0.5);
  }

  const rows = [
    ['DOM nodes after GC (CDP Nodes)', 'nodes', 0],
    ['elements in the page, at the end', 'elements', 0],
    ['elements in the page, most while scrolling', 'maxElements', 0],
    ['JS heap after GC (MB)', 'heapMB', 1],
    ['frame time p50 while scrolling (ms)', 'frameP50', 1],
    ['frame time p99 while scrolling (ms)', 'frameP99', 1],
    ['to the first message and back (s)', 'scrollS', 1],
    ['keystroke to frame p50 (ms)', 'keyP50', 1],
    ["another user's message, arrival to paint p50 (ms)", 'arrivalP50', 1],
    ['room re-open p50 (ms)', 'reopenP50', 1],
  ];
  const head = ['', ...sizes.map((n) => `${n} msgs`), ...sizes.slice(1).map((n) => `${n}/50`)];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const [label, key, digits] of rows) {
    const values = sizes.map((n) => results[n][key].toFixed(digits));
    const ratios = sizes.slice(1).map((n) => `${(results[n][key] / results[50][key]).toFixed(2)}×`);
    console.log(`| ${label} | ${[...values, ...ratios].join(' | ')} |`);
  }
  await context.close();
} finally {
  await browser.close();
  await server.dispose();
}
