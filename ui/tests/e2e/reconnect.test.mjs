// Honest connections: a server restart mid-conversation (banner, reconnect, messages written
// meanwhile sent exactly once), a dropped socket catching every room up with `after=` and
// `changed_after=` (edits and deletes made meanwhile), and messages that fail being marked and
// retried without duplicates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSuite, openClient, registerViaUi, openRoom, sendMessage, messageBubbles, rest, roomId,
  eventually, uniqueName, screenshot,
} from './helpers.mjs';


const { server, browser } = await startSuite();

/** Waits until exactly `n` stored copies of `text` are shown, and checks that stays true. */
async function expectCount(page, text, n = 1) {
  await eventually(async () => (await messageBubbles(page, text).count()) === n, { message: `${n} × “${text}”` });
}

/**
 * Routes a context's WebSocket through the test: it can block connecting, drop the live
 * connection, make the "server" refuse sends of some text, or lose the reply to one.
 */
async function controlledSocket(context) {
  const control = { blocked: false, refuse: null, loseReplyTo: null, live: [] };
  await context.routeWebSocket(/\/ws$/, (ws) => {
    if (control.blocked) {
      ws.close({ code: 4000, reason: 'blocked by the test' });
      return;
    }
    const upstream = ws.connectToServer();
    control.live.push({ ws, upstream });
    ws.onMessage((raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.event === 'send_message' && frame.data.content === control.refuse) {
        ws.send(JSON.stringify({ event: 'error', ref: frame.ref, data: { code: 'invalid_content', message: 'refused by the test', field: 'content' } }));
        return;
      }
      upstream.send(raw);
    });
    upstream.onMessage((raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.event === 'new_message' && frame.ref && frame.data.message.content === control.loseReplyTo) return;
      ws.send(raw);
    });
  });
  control.drop = () => {
    for (const { ws, upstream } of control.live.splice(0)) {
      ws.close({ code: 4000, reason: 'dropped by the test' });
      upstream.close();
    }
  };
  return control;
}

test('a server restart mid-conversation: banner, reconnect, queued messages arrive exactly once', async () => {
  const alice = await openClient(browser, server);
  const bob = await openClient(browser, server);
  await registerViaUi(alice.page, uniqueName('sam'));
  await registerViaUi(bob.page, uniqueName('tess'));
  await sendMessage(alice.page, 'Before the restart');
  await expectCount(bob.page, 'Before the restart');

  await server.stop();
  for (const { page } of [alice, bob]) {
    await page.locator('.conn-banner[data-state="reconnecting"]', { hasText: /Connection lost\. Reconnecting/ }).waitFor();
  }
  await sendMessage(alice.page, 'Written while the server was down (1)');
  await sendMessage(alice.page, 'Written while the server was down (2)');
  const pending = alice.page.locator('.msg.pending');
  await eventually(async () => (await pending.count()) === 2, { message: 'two pending messages' });
  await alice.page.locator('.msg.pending .msg-status', { hasText: 'Waiting for the connection…' }).first().waitFor();
  await alice.page.locator('.conn-banner', { hasText: '2 messages will be sent when the connection is back.' }).waitFor();
  assert.equal(await alice.page.locator('.conn-dot.online').count(), 0);
  await screenshot(alice.page, 'reconnecting-light-wide');

  await server.start();
  // Someone else posts as soon as the server is back, before or after our clients return.
  const admin = (await rest(server, 'POST', '/api/auth/login', { username: 'admin', password: 'admin123' })).body;
  const lobby = await roomId(server, admin.token, '大厅');
  assert.equal((await rest(server, 'POST', `/api/rooms/${lobby}/messages`, { content: 'Posted during the reconnect' }, admin.token)).status, 201);

  for (const { page } of [alice, bob]) await page.locator('.conn-dot.online').waitFor({ timeout: 20_000 });
  await alice.page.locator('.conn-banner[data-state="reconnected"]', { hasText: 'Reconnected' }).waitFor();
  await eventually(async () => (await pending.count()) === 0, { message: 'queue flushed' });
  for (const text of ['Written while the server was down (1)', 'Written while the server was down (2)', 'Posted during the reconnect', 'Before the restart']) {
    await expectCount(bob.page, text);
    await expectCount(alice.page, text);
  }
  // The queued ones kept their order.
  const texts = await bob.page.locator('.msg[data-message-id] .msg-text').allTextContents();
  assert.ok(texts.indexOf('Written while the server was down (1)') < texts.indexOf('Written while the server was down (2)'));
  // A later round trip cannot bring a late duplicate either, and the server stored each once.
  await sendMessage(bob.page, 'All good here');
  await expectCount(alice.page, 'All good here');
  await expectCount(alice.page, 'Written while the server was down (1)');
  await bob.page.reload();
  await bob.page.locator('.conn-dot.online').waitFor();
  await expectCount(bob.page, 'Written while the server was down (1)');
  await expectCount(bob.page, 'Written while the server was down (2)');
  await eventually(async () => (await alice.page.locator('.conn-banner').isHidden()), { message: 'banner gone' });
  assert.deepEqual([...alice.errors, ...bob.errors].map(String), []);
  await alice.context.close();
  await bob.context.close();
});

test('after a dropped connection every loaded room catches up with after= and changed_after=, nothing twice', async () => {
  let control;
  const alice = await openClient(browser, server, { setup: async (context) => { control = await controlledSocket(context); } });
  const bob = await openClient(browser, server);
  await registerViaUi(alice.page, uniqueName('uma'));
  const bobName = uniqueName('vic');
  await registerViaUi(bob.page, bobName);
  await openRoom(alice.page, '技术讨论');
  await openRoom(alice.page, '大厅');
  await sendMessage(bob.page, 'Seen live before the drop');
  await sendMessage(bob.page, 'Edited while uma is away');
  await sendMessage(bob.page, 'Deleted while uma is away');
  await expectCount(alice.page, 'Seen live before the drop');
  await expectCount(alice.page, 'Deleted while uma is away');

  const catchUps = [];
  const changeCatchUps = [];
  alice.page.on('request', (request) => {
    const match = request.url().match(/\/api\/rooms\/(\d+)\/messages\?after=(\d+)/);
    if (match) catchUps.push(Number(match[1]));
    const changes = request.url().match(/\/api\/rooms\/(\d+)\/messages\?changed_after=(\d+)/);
    if (changes) changeCatchUps.push(Number(changes[1]));
  });
  control.blocked = true;
  control.drop();
  await alice.page.locator('.conn-banner[data-state="reconnecting"]').waitFor();

  // Bob (from his phone, say) edits one message and deletes another while alice is away.
  const bobToken = (await rest(server, 'POST', '/api/auth/login', { username: bobName, password: 'correct-horse-42' })).body.token;
  const lobbyId = await roomId(server, bobToken, '大厅');
  const { body: page } = await rest(server, 'GET', `/api/rooms/${lobbyId}/messages`, undefined, bobToken);
  const byText = (text) => page.messages.find((m) => m.content === text).id;
  const edited = await rest(server, 'PUT', `/api/messages/${byText('Edited while uma is away')}`, { content: 'Edited while uma was away (v2)' }, bobToken);
  assert.equal(edited.status, 200);
  const deleted = await rest(server, 'DELETE', `/api/messages/${byText('Deleted while uma is away')}`, undefined, bobToken);
  assert.equal(deleted.status, 204);
  assert.equal(await messageBubbles(alice.page, 'Edited while uma is away').count(), 1, 'alice, offline, still sees the old text');
  await sendMessage(bob.page, 'Missed in the lobby');
  await openRoom(bob.page, '技术讨论');
  await sendMessage(bob.page, 'Missed in tech');
  await expectCount(bob.page, 'Missed in tech');
  assert.equal(await messageBubbles(alice.page, 'Missed in the lobby').count(), 0);

  control.blocked = false;
  // Reconnect now. A scheduled attempt may get there first (the button then disappears just
  // as it is clicked); either way the client must come back online and catch up.
  await alice.page.locator('.conn-banner').getByRole('button', { name: 'Retry now' }).click({ timeout: 2000 }).catch(() => {});
  await alice.page.locator('.conn-dot.online').waitFor();
  await expectCount(alice.page, 'Missed in the lobby');
  const { token } = (await rest(server, 'POST', '/api/auth/login', { username: 'admin', password: 'admin123' })).body;
  const tech = await roomId(server, token, '技术讨论');
  const lobby = await roomId(server, token, '大厅');
  await eventually(() => catchUps.includes(tech) && catchUps.includes(lobby), { message: 'both rooms caught up with after=' });
  const techItem = alice.page.locator('.room-item', { has: alice.page.locator('.room-name', { hasText: /^技术讨论$/ }) });
  await techItem.locator('.badge', { hasText: '1' }).waitFor();
  await openRoom(alice.page, '技术讨论');
  await expectCount(alice.page, 'Missed in tech');
  await expectCount(alice.page, 'Seen live before the drop', 0);
  await openRoom(alice.page, '大厅');
  await expectCount(alice.page, 'Seen live before the drop');
  await expectCount(alice.page, 'Missed in the lobby');
  // The edit and the delete made while she was away show too, without a reload.
  await expectCount(alice.page, 'Edited while uma was away (v2)');
  await expectCount(alice.page, 'Edited while uma is away', 0);
  await expectCount(alice.page, 'Deleted while uma is away', 0);
  await alice.page.locator('.msg.deleted').first().waitFor();
  assert.ok(changeCatchUps.includes(lobby), 'the lobby asked what changed with changed_after=');
  assert.deepEqual([...alice.errors, ...bob.errors].map(String), []);
  await alice.context.close();
  await bob.context.close();
});

test('a refused message is marked failed, and Retry sends it once with the same id', async () => {
  let control;
  const alice = await openClient(browser, server, { setup: async (context) => { control = await controlledSocket(context); } });
  const bob = await openClient(browser, server);
  await registerViaUi(alice.page, uniqueName('wes'));
  await registerViaUi(bob.page, uniqueName('xia'));

  control.refuse = 'Please arrive exactly once';
  await sendMessage(alice.page, 'Please arrive exactly once');
  const failed = alice.page.locator('.msg.failed');
  await failed.locator('.msg-status', { hasText: 'Not sent' }).waitFor();
  const firstId = await failed.getAttribute('data-client-msg-id');
  await screenshot(alice.page, 'failed-message-light-wide');
  assert.equal(await messageBubbles(bob.page, 'Please arrive exactly once').count(), 0);

  control.refuse = null;
  await failed.getByRole('button', { name: 'Retry' }).click();
  await expectCount(bob.page, 'Please arrive exactly once');
  await eventually(async () => (await alice.page.locator('.msg.pending').count()) === 0, { message: 'no pending copy left' });
  await expectCount(alice.page, 'Please arrive exactly once');
  const token = await alice.page.evaluate(() => sessionStorage.getItem('confab.session:same-origin'));
  const lobby = await roomId(server, token, '大厅');
  const { body } = await rest(server, 'GET', `/api/rooms/${lobby}/messages?limit=5`, undefined, token);
  const stored = body.messages.filter((m) => m.content === 'Please arrive exactly once');
  assert.equal(stored.length, 1);
  assert.equal(stored[0].client_msg_id, firstId, 'the retry reused the client_msg_id');

  // The reply to a send is lost and the connection drops: the message is not sent twice.
  control.loseReplyTo = 'Lost reply, still once';
  await sendMessage(alice.page, 'Lost reply, still once');
  await expectCount(bob.page, 'Lost reply, still once');
  assert.equal(await alice.page.locator('.msg.pending').count(), 1, 'without the reply it is still pending');
  control.drop();
  await alice.page.locator('.conn-banner[data-state="reconnecting"]').waitFor();
  // (The first scheduled attempt may reconnect before the button can be clicked.)
  await alice.page.locator('.conn-banner').getByRole('button', { name: 'Retry now' }).click({ timeout: 2000 }).catch(() => {});
  await alice.page.locator('.conn-dot.online').waitFor();
  await eventually(async () => (await alice.page.locator('.msg.pending').count()) === 0, { message: 'pending resolved' });
  await expectCount(alice.page, 'Lost reply, still once');
  await sendMessage(alice.page, 'Round trip');
  await expectCount(bob.page, 'Round trip');
  await expectCount(bob.page, 'Lost reply, still once');
  assert.deepEqual([...alice.errors, ...bob.errors].map(String), []);
  await alice.context.close();
  await bob.context.close();
});
