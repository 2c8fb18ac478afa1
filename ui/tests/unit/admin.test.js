// Administration's pure logic: the links that lead to it, the console's reducers, rooms
// updated or deleted live, and the messages-per-day chart's scaling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdminLink, chartBars, niceCeiling, AUDIT_PAGE } from '../../js/admin-state.js';
import { initialState, reduce } from '../../js/state.js';

test('setup, invite and console links are recognised; anything else is not', () => {
  assert.deepEqual(parseAdminLink('#/setup/AbC_d-12'), { kind: 'setup', code: 'AbC_d-12' });
  assert.deepEqual(parseAdminLink('#/invite/xyz'), { kind: 'invite', code: 'xyz' });
  assert.deepEqual(parseAdminLink('#/admin'), { kind: 'admin', section: null });
  assert.deepEqual(parseAdminLink('#/admin/stats'), { kind: 'admin', section: 'stats' });
  assert.deepEqual(parseAdminLink('#/admin/nonsense'), { kind: 'admin', section: null });
  assert.equal(parseAdminLink('#/setup/'), null);
  assert.equal(parseAdminLink('#/setup/a b'), null);
  assert.equal(parseAdminLink('#/rooms/3/messages/4'), null);
  assert.equal(parseAdminLink(''), null);
  assert.equal(parseAdminLink(undefined), null);
});

test('the chart top line is a round number at least the busiest day', () => {
  assert.equal(niceCeiling(0), 1);
  assert.equal(niceCeiling(1), 1);
  assert.equal(niceCeiling(3), 5);
  assert.equal(niceCeiling(7), 10);
  assert.equal(niceCeiling(11), 20);
  assert.equal(niceCeiling(480), 500);
  assert.equal(niceCeiling(501), 1000);
});

test('bars scale to the top line, fill the width in order, and an empty day has no height', () => {
  const days = [
    { date: '2026-11-01', messages: 0 },
    { date: '2026-11-02', messages: 5 },
    { date: '2026-11-03', messages: 10 },
  ];
  const { max, bars } = chartBars(days, { width: 300, height: 100, gap: 0 });
  assert.equal(max, 10);
  assert.deepEqual(bars.map((b) => b.height), [0, 50, 100]);
  assert.deepEqual(bars.map((b) => b.y), [100, 50, 0]);
  assert.deepEqual(bars.map((b) => b.x), [0, 100, 200]);
  assert.deepEqual(bars.map((b) => b.date), ['2026-11-01', '2026-11-02', '2026-11-03']);
  // A quiet day beside a busy one stays visible.
  const { bars: tiny } = chartBars([{ date: 'a', messages: 1 }, { date: 'b', messages: 5000 }], { height: 100 });
  assert.ok(tiny[0].height >= 1);
  assert.equal(chartBars([], {}).bars.length, 0);
  // Thirty days fit the box, bars never wider than their slot.
  const month = Array.from({ length: 30 }, (_, i) => ({ date: `d${i}`, messages: i }));
  const { bars: all } = chartBars(month, { width: 300, height: 100, gap: 2 });
  assert.equal(all.length, 30);
  assert.ok(all.every((b) => b.x >= 0 && b.x + b.width <= 300 + 1e-9 && b.y >= 0 && b.y + b.height <= 100 + 1e-9));
});

test('the console keeps users, changes one in place, and keeps settings and default rooms in step', () => {
  let s = initialState();
  s = reduce(s, { type: 'admin/users', users: [{ id: 1, username: 'ann', is_deactivated: false }, { id: 2, username: 'bo', is_deactivated: false }], q: 'a' });
  assert.equal(s.admin.users.loaded, true);
  assert.equal(s.admin.users.q, 'a');
  const before = s.admin.users.items[0];
  s = reduce(s, { type: 'admin/user', user: { id: 2, username: 'bo', is_deactivated: true } });
  assert.equal(s.admin.users.items[1].is_deactivated, true);
  assert.equal(s.admin.users.items[0], before, 'untouched rows keep their object');

  s = reduce(s, { type: 'admin/rooms', rooms: [{ id: 5, name: 'lobby', is_default: true }, { id: 6, name: 'news', is_default: false }] });
  s = reduce(s, { type: 'admin/settings', settings: { server_name: 'Acme', default_room_ids: [6] } });
  assert.deepEqual(s.admin.rooms.items.map((r) => r.is_default), [false, true]);
  assert.equal(s.admin.settings.server_name, 'Acme');
});

test('invites: a new one goes first, a revoked one leaves', () => {
  let s = initialState();
  s = reduce(s, { type: 'admin/invites', invites: [{ code: 'old', uses: 1 }] });
  s = reduce(s, { type: 'admin/invite', invite: { code: 'new', uses: 0 } });
  assert.deepEqual(s.admin.invites.items.map((i) => i.code), ['new', 'old']);
  s = reduce(s, { type: 'admin/inviteRevoked', code: 'old' });
  assert.deepEqual(s.admin.invites.items.map((i) => i.code), ['new']);
});

test('the audit log pages backwards without repeating entries, and knows when it has all', () => {
  let s = initialState();
  const page = (from, n) => Array.from({ length: n }, (_, i) => ({ id: from - i, action: 'promote' }));
  s = reduce(s, { type: 'admin/audit', entries: page(100, AUDIT_PAGE), append: false, limit: AUDIT_PAGE });
  assert.equal(s.admin.audit.hasMore, true);
  // The next page overlaps by one (an entry written meanwhile shifts nothing: ids are kept).
  s = reduce(s, { type: 'admin/audit', entries: page(51, 10), append: true, limit: AUDIT_PAGE });
  assert.equal(s.admin.audit.items.length, AUDIT_PAGE + 9);
  assert.equal(new Set(s.admin.audit.items.map((e) => e.id)).size, s.admin.audit.items.length);
  assert.equal(s.admin.audit.hasMore, false);
  // Reloading starts from the newest page again.
  s = reduce(s, { type: 'admin/audit', entries: page(120, 3), append: false, limit: AUDIT_PAGE });
  assert.deepEqual(s.admin.audit.items.map((e) => e.id), [120, 119, 118]);
});

test('room_updated renames a room in the list and the console; a deleted room leaves both', () => {
  let s = initialState();
  s = reduce(s, { type: 'session/ready', user: { id: 1 }, rooms: [{ id: 3, name: 'plans', description: 'old', is_private: false, is_member: true, unread_count: 2 }] });
  s = reduce(s, { type: 'admin/rooms', rooms: [{ id: 3, name: 'plans', is_archived: false }] });
  s = reduce(s, { type: 'room/updated', room: { id: 3, name: 'roadmap', description: 'new', is_private: false, is_archived: true } });
  assert.equal(s.rooms[3].name, 'roadmap');
  assert.equal(s.rooms[3].description, 'new');
  assert.equal(s.rooms[3].is_archived, true);
  assert.equal(s.rooms[3].unread_count, 2, 'what the event does not carry is kept');
  assert.equal(s.admin.rooms.items[0].name, 'roadmap');
  assert.equal(s.admin.rooms.items[0].is_archived, true);
  // An event for a room this client does not know changes nothing.
  assert.equal(reduce(s, { type: 'room/updated', room: { id: 99, name: 'x' } }), s);
  s = reduce(s, { type: 'room/removed', roomId: 3 });
  assert.equal(s.rooms[3], undefined);
  assert.equal(s.admin.rooms.items.length, 0);
});

test('signing out forgets what the console loaded', () => {
  let s = reduce(initialState(), { type: 'admin/users', users: [{ id: 1 }], q: '' });
  s = reduce(s, { type: 'session/start', user: null });
  assert.equal(s.admin.users.items.length, 0);
  assert.equal(s.admin.users.loaded, false);
});
