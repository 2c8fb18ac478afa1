// Time formatting in the reader's zone and grouping messages into rows.
process.env.TZ = 'Asia/Shanghai';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayKey, formatTime, formatDay, formatRelative, buildRows, GROUP_GAP_MS } from '../../js/format.js';

const msg = (id, userId, timestamp, extra = {}) => ({
  id,
  room_id: 1,
  user_id: userId,
  username: userId == null ? null : `u${userId}`,
  content: `m${id}`,
  message_type: userId == null ? 'system' : 'text',
  timestamp,
  edited_at: null,
  is_deleted: false,
  client_msg_id: null,
  ...extra,
});

test('dayKey and formatTime use the local time zone, not UTC', () => {
  // 20:30 UTC is 04:30 the next day in Shanghai (UTC+8).
  assert.equal(dayKey('2026-11-21T20:30:00.000Z'), '2026-11-22');
  assert.equal(formatTime('2026-11-21T20:30:00.000Z', 'en-GB'), '04:30');
  assert.equal(formatTime('not a time', 'en'), '');
});

test('formatDay says today / yesterday, then weekday and date, then the year', () => {
  const now = new Date('2026-11-21T04:00:00.000Z'); // 12:00 in Shanghai
  const labels = { today: 'Today', yesterday: 'Yesterday' };
  assert.equal(formatDay('2026-11-21T01:00:00.000Z', 'en', now, labels), 'Today');
  assert.equal(formatDay('2026-11-20T15:00:00.000Z', 'en', now, labels), 'Yesterday'); // 23:00 local, 20th
  assert.equal(formatDay('2026-11-20T17:00:00.000Z', 'en', now, labels), 'Today'); // 01:00 local, 21st
  assert.match(formatDay('2026-03-02T04:00:00.000Z', 'en', now, labels), /Mar 2/);
  assert.doesNotMatch(formatDay('2026-03-02T04:00:00.000Z', 'en', now, labels), /2026/);
  assert.match(formatDay('2024-03-02T04:00:00.000Z', 'en', now, labels), /2024/);
  assert.equal(formatDay('2026-11-21T01:00:00.000Z', 'zh-CN', now, { today: '今天', yesterday: '昨天' }), '今天');
});

test('formatRelative reads naturally', () => {
  const now = new Date('2026-11-21T10:00:00.000Z');
  assert.equal(formatRelative('2026-11-21T09:59:50.000Z', 'en', now), 'now');
  assert.equal(formatRelative('2026-11-21T09:55:00.000Z', 'en', now), '5 minutes ago');
  assert.equal(formatRelative('2026-11-21T07:00:00.000Z', 'en', now), '3 hours ago');
  assert.equal(formatRelative('2026-11-20T10:00:00.000Z', 'en', now), 'yesterday');
});

test('consecutive messages of one author within the gap form one group', () => {
  const rows = buildRows([
    msg(1, 7, '2026-11-21T02:00:00.000Z'),
    msg(2, 7, '2026-11-21T02:01:00.000Z'),
    msg(3, 7, '2026-11-21T02:02:00.000Z'),
    msg(4, 8, '2026-11-21T02:03:00.000Z'),
  ], { meId: 8 });
  const kinds = rows.map((r) => `${r.kind}:${r.key}`);
  assert.deepEqual(kinds, ['day:d:2026-11-21', 'message:m:1', 'message:m:2', 'message:m:3', 'message:m:4']);
  const [, a, b, c, d] = rows;
  assert.deepEqual([a.first, a.last, b.first, b.last, c.first, c.last], [true, false, false, false, false, true]);
  assert.equal(d.first, true);
  assert.equal(d.mine, true);
  assert.equal(a.mine, false);
});

test('a long pause, a system message or a new day starts a new group', () => {
  const rows = buildRows([
    msg(1, 7, '2026-11-21T02:00:00.000Z'),
    msg(2, 7, new Date(Date.parse('2026-11-21T02:00:00.000Z') + GROUP_GAP_MS + 1000).toISOString()),
    msg(3, null, '2026-11-21T02:10:00.000Z'),
    msg(4, 7, '2026-11-21T02:10:30.000Z'),
    msg(5, 7, '2026-11-21T16:30:00.000Z'), // 00:30 on the 22nd in Shanghai
  ]);
  const chat = rows.filter((r) => r.kind === 'message');
  assert.deepEqual(chat.map((r) => r.first), [true, true, true, true]);
  assert.deepEqual(rows.filter((r) => r.kind === 'day').map((r) => r.day), ['2026-11-21', '2026-11-22']);
  assert.equal(rows.find((r) => r.key === 'm:3').kind, 'system');
});

test('the new-messages divider goes before the first unread message from someone else', () => {
  const messages = [
    msg(1, 7, '2026-11-21T02:00:00.000Z'),
    msg(2, 8, '2026-11-21T02:01:00.000Z'), // mine: not "new" to me
    msg(3, null, '2026-11-21T02:01:30.000Z'),
    msg(4, 7, '2026-11-21T02:02:00.000Z'),
    msg(5, 7, '2026-11-21T02:02:10.000Z'),
  ];
  const rows = buildRows(messages, { meId: 8, newAfterId: 1 });
  const keys = rows.map((r) => r.key);
  assert.deepEqual(keys, ['d:2026-11-21', 'm:1', 'm:2', 'm:3', 'new', 'm:4', 'm:5']);
  assert.equal(rows.find((r) => r.key === 'm:4').first, true, 'the divider breaks the group');
  assert.ok(!buildRows(messages, { meId: 8 }).some((r) => r.kind === 'new'));
});

test('the divider waits until its place is loaded, instead of sitting atop a partial page', () => {
  const page = [msg(41, 7, '2026-11-21T02:00:00.000Z'), msg(42, 7, '2026-11-21T02:01:00.000Z')];
  // Unread since 10, but only 41.. are loaded and older ones exist: no divider yet.
  assert.ok(!buildRows(page, { meId: 8, newAfterId: 10, hasOlder: true }).some((r) => r.kind === 'new'));
  // Once the boundary is loaded (or nothing older exists), it is shown.
  assert.ok(buildRows(page, { meId: 8, newAfterId: 41, hasOlder: true }).some((r) => r.kind === 'new'));
  assert.ok(buildRows(page, { meId: 8, newAfterId: 10, hasOlder: false }).some((r) => r.kind === 'new'));
});

test('pending messages come after stored ones and join my last group', () => {
  const last = msg(1, 8, new Date(Date.now() - 60_000).toISOString());
  const rows = buildRows([last], {
    meId: 8,
    pending: [{ clientMsgId: 'c-1', roomId: 1, content: 'hi', status: 'queued', createdAt: Date.now() }],
  });
  const pending = rows[rows.length - 1];
  assert.equal(pending.kind, 'pending');
  assert.equal(pending.key, 'p:c-1');
  assert.equal(pending.first, false);
  assert.equal(rows.find((r) => r.key === 'm:1').last, false);
});

test('file sizes read like people write them, in units of 1024', async () => {
  const { formatBytes } = await import('../../js/format.js');
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(8), '8 B');
  assert.equal(formatBytes(1023), '1,023 B');
  assert.equal(formatBytes(1024), '1 KB');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(12345), '12 KB');
  assert.equal(formatBytes(482113), '471 KB');
  assert.equal(formatBytes(1048575), '1 MB', 'never “1024 KB”');
  assert.equal(formatBytes(1_500_000), '1.4 MB');
  assert.equal(formatBytes(10 * 1024 * 1024), '10 MB');
  assert.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GB');
  assert.equal(formatBytes(-5), '0 B');
  assert.equal(formatBytes('junk'), '0 B');
  assert.equal(formatBytes(1536, 'zh-CN'), '1.5 KB');
});

test('thumbnails keep their proportions inside the box, never enlarged', async () => {
  const { fitBox } = await import('../../js/format.js');
  assert.deepEqual(fitBox(1600, 1200), { width: 320, height: 240 });
  assert.deepEqual(fitBox(1200, 1600), { width: 240, height: 320 });
  assert.deepEqual(fitBox(100, 50), { width: 100, height: 50 });
  assert.deepEqual(fitBox(3000, 10), { width: 320, height: 1 });
  assert.deepEqual(fitBox(null, 40), { width: 200, height: 200 }, 'unknown size: a square placeholder');
  assert.deepEqual(fitBox(800, 600, { maxWidth: 400, maxHeight: 100 }), { width: 133, height: 100 });
});
