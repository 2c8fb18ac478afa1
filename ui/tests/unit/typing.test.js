// Typing notices: throttled while typing, stopped on clear, idle, blur; silent after a send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypingNotifier, TYPING_RESEND_MS, TYPING_IDLE_MS } from '../../js/typing.js';

function harness({ online = true } = {}) {
  let now = 0;
  const sent = [];
  const timers = new Map();
  let nextTimer = 1;
  const notifier = new TypingNotifier({
    send: (event, roomId) => {
      if (!online) return false;
      sent.push(`${event}:${roomId}`);
      return true;
    },
    now: () => now,
    setTimer: (fn, ms) => {
      const id = nextTimer++;
      timers.set(id, { fn, at: now + ms });
      return id;
    },
    clearTimer: (id) => timers.delete(id),
  });
  const advance = (ms) => {
    now += ms;
    for (const [id, timer] of [...timers]) {
      if (timer.at <= now) {
        timers.delete(id);
        timer.fn();
      }
    }
  };
  return { notifier, sent, advance };
}

test('keystrokes send typing_start at most every few seconds', () => {
  const { notifier, sent, advance } = harness();
  notifier.input(1, true);
  for (let i = 0; i < 10; i += 1) {
    advance(250);
    notifier.input(1, true);
  }
  assert.deepEqual(sent, ['typing_start:1']);
  advance(TYPING_RESEND_MS - 2500);
  notifier.input(1, true);
  assert.deepEqual(sent, ['typing_start:1', 'typing_start:1']);
});

test('clearing the input sends typing_stop once', () => {
  const { notifier, sent } = harness();
  notifier.input(1, true);
  notifier.input(1, false);
  notifier.input(1, false);
  notifier.stop();
  assert.deepEqual(sent, ['typing_start:1', 'typing_stop:1']);
});

test('pausing for a while counts as stopping', () => {
  const { notifier, sent, advance } = harness();
  notifier.input(1, true);
  advance(TYPING_IDLE_MS - 1);
  assert.deepEqual(sent, ['typing_start:1']);
  advance(1);
  assert.deepEqual(sent, ['typing_start:1', 'typing_stop:1']);
});

test('sending a message ends typing without an extra frame; typing again starts anew', () => {
  const { notifier, sent, advance } = harness();
  notifier.input(1, true);
  notifier.sent();
  advance(TYPING_IDLE_MS * 2);
  notifier.stop();
  assert.deepEqual(sent, ['typing_start:1']);
  notifier.input(1, true);
  assert.deepEqual(sent, ['typing_start:1', 'typing_start:1']);
});

test('switching rooms stops typing in the old room', () => {
  const { notifier, sent } = harness();
  notifier.input(1, true);
  notifier.input(2, true);
  assert.deepEqual(sent, ['typing_start:1', 'typing_stop:1', 'typing_start:2']);
});

test('offline keystrokes announce nothing, and nothing needs stopping', () => {
  const { notifier, sent } = harness({ online: false });
  notifier.input(1, true);
  notifier.stop();
  assert.deepEqual(sent, []);
});
