// The API reference at /api/docs, as a browser on an offline LAN sees it, in English and in a
// Chinese-locale browser: the REST routes and the sign-in scheme rendered from
// /api/openapi.json, no console error (a CSP violation would be one), and not one request to
// anywhere but the server itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSuite, eventually, TIMEOUT } from './helpers.mjs';

const { server, browser } = await startSuite();

for (const locale of ['en-US', 'zh-CN']) {
  test(`the API reference renders the document from this server alone (${locale})`, async () => {
    const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const errors = [];
    const elsewhere = [];
    const origin = new URL(server.url).origin;
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:') elsewhere.push(request.url());
    });
    const response = await page.goto(`${server.url}/api/docs`);
    assert.equal(response.status(), 200);
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-eval/);

    // RapiDoc draws in its shadow root; Playwright's text locators look inside it.
    await page.getByText('/api/rooms', { exact: true }).first().waitFor();
    await page.getByText('/api/asyncapi.json', { exact: true }).first().waitFor();
    await eventually(async () => (await page.getByText(/bearer/i).count()) > 0, { message: 'the bearer scheme is shown' });
    await page.getByText(/A session token from/).first().waitFor({ state: 'attached' });

    assert.deepEqual(elsewhere, [], 'requests left the server');
    assert.deepEqual(errors, [], 'console errors');
    await context.close();
  });
}
