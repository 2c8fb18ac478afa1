// The offline outbox: one client_msg_id per message, reused on retries, never lost or doubled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as q from '../../js/queue.js';

const add = (outbox, content, extra = {}) => q.enqueue(outbox, { roomId: 1, content, now: 1000, ...extra });

test('client message ids are unique and within the protocol charset and length', () => {
  const ids = new Set();
  for (let i = 0; i < 2000; i += 1) {
    const id = q.newClientMsgId();
    assert.match(id, /^[A-Za-z0-9\-_.:]{1,64}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 2000);
});

test('queued messages are due in order and keep their id through retries', () => {
  let outbox = add(add([], 'one'), 'two');
  const [first, second] = outbox;
  assert.deepEqual(q.dueForSending(outbox, 1000).map((i) => i.content), ['one', 'two']);
  outbox = q.markSending(outbox, first.clientMsgId, 1000);
  assert.equal(outbox[0].status, 'sending');
  assert.equal(outbox[0].attempts, 1);
  assert.deepEqual(q.dueForSending(outbox, 1000).map((i) => i.content), ['two']);
  // No ack in time: due again, same id.
  const later = 1000 + q.ACK_TIMEOUT_MS;
  assert.deepEqual(q.dueForSending(outbox, later).map((i) => i.clientMsgId), [first.clientMsgId, second.clientMsgId]);
});

test('an acknowledged message leaves the outbox', () => {
  let outbox = add(add([], 'one'), 'two');
  outbox = q.acknowledge(outbox, outbox[0].clientMsgId);
  assert.deepEqual(outbox.map((i) => i.content), ['two']);
  const same = q.acknowledge(outbox, 'unknown');
  assert.equal(same, outbox, 'unchanged outbox is returned as is');
});

test('stored messages acknowledge only my own items with a matching id', () => {
  const outbox = add(add([], 'one'), 'two');
  const stored = [
    { id: 10, user_id: 5, client_msg_id: outbox[0].clientMsgId },
    { id: 11, user_id: 6, client_msg_id: outbox[1].clientMsgId }, // someone else, same id by chance
  ];
  assert.deepEqual(q.acknowledgeStored(outbox, stored, 5).map((i) => i.content), ['two']);
});

test('a drop puts in-flight messages back in the queue without counting a failure', () => {
  let outbox = add([], 'one');
  outbox = q.markSending(outbox, outbox[0].clientMsgId, 1000);
  outbox = q.requeueInFlight(outbox);
  assert.equal(outbox[0].status, 'queued');
  assert.equal(outbox[0].attempts, 1);
});

test('a refusal marks the message failed; retry keeps the id and resets attempts', () => {
  let outbox = add([], 'one');
  const id = outbox[0].clientMsgId;
  outbox = q.markSending(outbox, id, 1000);
  outbox = q.reject(outbox, id, { code: 'invalid_content', message: 'too long' });
  assert.equal(outbox[0].status, 'failed');
  assert.equal(outbox[0].error.code, 'invalid_content');
  assert.deepEqual(q.dueForSending(outbox, 10 ** 9), []);
  outbox = q.retry(outbox, id);
  assert.equal(outbox[0].status, 'queued');
  assert.equal(outbox[0].attempts, 0);
  assert.equal(outbox[0].clientMsgId, id);
});

test('transient server errors are retried, then give up after MAX_ATTEMPTS sends', () => {
  let outbox = add([], 'one');
  const id = outbox[0].clientMsgId;
  for (let i = 0; i < q.MAX_ATTEMPTS - 1; i += 1) {
    outbox = q.markSending(outbox, id, 1000);
    outbox = q.reject(outbox, id, { code: 'shutting_down' });
    assert.equal(outbox[0].status, 'queued');
  }
  outbox = q.markSending(outbox, id, 1000);
  assert.equal(outbox[0].attempts, q.MAX_ATTEMPTS);
  outbox = q.markSending(outbox, id, 1000 + q.ACK_TIMEOUT_MS);
  assert.equal(outbox[0].status, 'failed');
});

test('a database outage or a busy server keeps the message queued, a refusal does not', () => {
  for (const code of ['database_unavailable', 'server_busy']) {
    let outbox = add([], 'one');
    const id = outbox[0].clientMsgId;
    outbox = q.markSending(outbox, id, 1000);
    outbox = q.reject(outbox, id, { code, retry_after: 5 }, 2000);
    assert.equal(outbox[0].status, 'queued', code);
    assert.equal(outbox[0].clientMsgId, id);
    // Not sent again before the wait the server asked for, then sent.
    assert.deepEqual(q.dueForSending(outbox, 6999), []);
    assert.deepEqual(q.dueForSending(outbox, 7000).map((i) => i.clientMsgId), [id]);
  }
  let outbox = add([], 'two');
  outbox = q.markSending(outbox, outbox[0].clientMsgId, 1000);
  outbox = q.reject(outbox, outbox[0].clientMsgId, { code: 'not_a_member' });
  assert.equal(outbox[0].status, 'failed');
});

test('discard removes a message for good', () => {
  const outbox = add([], 'one');
  assert.deepEqual(q.discard(outbox, outbox[0].clientMsgId), []);
});

test('the outbox survives serialization; in-flight items come back queued', () => {
  let outbox = add(add([], 'one'), 'two');
  outbox = q.markSending(outbox, outbox[0].clientMsgId, 1000);
  outbox = q.reject(outbox, outbox[1].clientMsgId, { code: 'not_a_member' });
  const restored = q.restore(q.serialize(outbox));
  assert.deepEqual(restored.map((i) => [i.content, i.status, i.clientMsgId]), [
    ['one', 'queued', outbox[0].clientMsgId],
    ['two', 'failed', outbox[1].clientMsgId],
  ]);
  assert.deepEqual(q.restore('not json'), []);
  assert.deepEqual(q.restore('[{"clientMsgId": 3}]'), []);
});
