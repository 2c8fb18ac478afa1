// Time and day formatting in the reader's time zone, and the grouping of a room's messages into
// the rows the message list draws (day separators, the "new messages" divider, author groups).
// Pure: no DOM, no network; the clock and the locale are parameters.

import { inTimeline } from './conversations.js';

/** Consecutive messages by one author within this gap share one header. */
export const GROUP_GAP_MS = 5 * 60 * 1000;

const formatters = new Map();

function formatter(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

/** A Date for an RFC 3339 string, or null when it cannot be read. */
export function parseTime(iso) {
  if (iso == null) return null;
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** `YYYY-MM-DD` of the local calendar day `iso` falls on. */
export function dayKey(iso) {
  const d = parseTime(iso);
  if (!d) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local wall-clock time, e.g. `09:05` (or `上午9:05`-style where the locale wants it). */
export function formatTime(iso, locale) {
  const d = parseTime(iso);
  return d ? formatter(locale, { hour: '2-digit', minute: '2-digit' }).format(d) : '';
}

/** Full local date and time, for tooltips. */
export function formatDateTime(iso, locale) {
  const d = parseTime(iso);
  return d ? formatter(locale, { dateStyle: 'full', timeStyle: 'short' }).format(d) : '';
}

/**
 * The label of a day separator: `labels.today` / `labels.yesterday` for those days, the weekday
 * and date within the current year, the full date otherwise.
 */
export function formatDay(iso, locale, now = new Date(), labels = { today: 'Today', yesterday: 'Yesterday' }) {
  const d = parseTime(iso);
  if (!d) return '';
  const key = dayKey(d.getTime());
  if (key === dayKey(now.getTime())) return labels.today;
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1, 12);
  if (key === dayKey(yesterday.getTime())) return labels.yesterday;
  if (d.getFullYear() === now.getFullYear()) {
    return formatter(locale, { weekday: 'short', month: 'short', day: 'numeric' }).format(d);
  }
  return formatter(locale, { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

/** "now" (or `justNow`), "5 minutes ago", "yesterday", … in `locale`. */
export function formatRelative(iso, locale, now = new Date(), justNow = null) {
  const d = parseTime(iso);
  if (!d) return '';
  const seconds = Math.round((d.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (abs < 45) return justNow ?? rtf.format(0, 'second');
  if (abs < 45 * 60) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 6 * 86400) return rtf.format(Math.round(seconds / 86400), 'day');
  return formatter(locale, { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

/**
 * The rows of a room's message list, oldest first.
 *
 * - `messages`: the room's stored messages sorted by id.
 * - `pending`: outbox items of this room (not yet acknowledged), drawn after the stored ones.
 * - `uploads`: uploads in progress (or failed) in this room, drawn with the pending messages in
 *   the order they were started.
 * - `newAfterId`: draw the "new messages" divider before the first message from someone else
 *   whose id is greater than this (null: no divider).
 * - `hasOlder`: whether older messages exist that are not loaded. The divider is only drawn
 *   when its place is among the loaded messages, never at the top of a partial page.
 *
 * Every row has a stable `key`. Message rows say whether they start (`first`) or end (`last`) a
 * run of one author's messages on one day with no gap over [`GROUP_GAP_MS`].
 */
export function buildRows(messages, { pending = [], uploads = [], meId = null, newAfterId = null, hasOlder = false } = {}) {
  const rows = [];
  let currentDay = null;
  let prev = null; // the previous chat row, for grouping
  const boundaryLoaded = !hasOlder || (messages.length > 0 && messages[0].id <= newAfterId);
  let dividerPlaced = newAfterId == null || !boundaryLoaded;

  const startDay = (timestamp) => {
    const key = dayKey(timestamp);
    if (key && key !== currentDay) {
      currentDay = key;
      rows.push({ kind: 'day', key: `d:${key}`, day: key, timestamp });
      prev = null;
    }
  };
  const pushChat = (row, userId, time) => {
    const continues =
      prev !== null &&
      prev.userId === userId &&
      time - prev.time <= GROUP_GAP_MS &&
      time >= prev.time - GROUP_GAP_MS;
    row.first = !continues;
    row.last = true;
    if (continues) prev.row.last = false;
    rows.push(row);
    prev = { row, userId, time };
  };

  for (const message of messages) {
    // Thread replies live in their thread (unless also sent to the room).
    if (!inTimeline(message)) continue;
    startDay(message.timestamp);
    const isSystem = message.message_type === 'system' || message.user_id == null;
    if (!dividerPlaced && message.id > newAfterId && !isSystem && message.user_id !== meId) {
      rows.push({ kind: 'new', key: 'new' });
      dividerPlaced = true;
      prev = null;
    }
    if (isSystem) {
      rows.push({ kind: 'system', key: `m:${message.id}`, message });
      prev = null;
      continue;
    }
    const time = parseTime(message.timestamp)?.getTime() ?? 0;
    pushChat(
      { kind: 'message', key: `m:${message.id}`, message, mine: meId != null && message.user_id === meId },
      message.user_id,
      time,
    );
  }
  const waiting = [
    ...pending.map((item) => ({ kind: 'pending', key: `p:${item.clientMsgId}`, item })),
    ...uploads.map((item) => ({ kind: 'upload', key: `u:${item.clientMsgId}`, item })),
  ].sort((a, b) => a.item.createdAt - b.item.createdAt);
  for (const row of waiting) {
    const iso = new Date(row.item.createdAt).toISOString();
    startDay(iso);
    pushChat({ ...row, mine: true }, meId, row.item.createdAt);
  }
  return rows;
}

/**
 * A file size people can read: `512 B`, `48 KB`, `1.5 MB`, `2 GB` (units of 1024, as the
 * server's limits are). One decimal below 10 of a unit, none above; the number follows
 * `locale`'s conventions.
 */
export function formatBytes(bytes, locale = 'en') {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const round = (v) => Number(v.toFixed(v < 10 ? 1 : 0));
  let value = Math.max(0, Math.floor(Number(bytes) || 0));
  let unit = 0;
  // Rounding decides the unit, so 1023.96 KB reads "1 MB", never "1024 KB".
  while (unit < units.length - 1 && round(value) >= 1024) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 ? value : round(value);
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(shown)} ${units[unit]}`;
}

/**
 * The box an image of `width` × `height` is drawn in, at most `maxWidth` × `maxHeight`, never
 * enlarged; `{width, height}` in whole pixels (at least 1). Unknown dimensions give a square
 * placeholder of `fallback` pixels.
 */
export function fitBox(width, height, { maxWidth = 320, maxHeight = 320, fallback = 200 } = {}) {
  const w = Number(width);
  const h = Number(height);
  if (!(w > 0) || !(h > 0)) {
    const side = Math.min(fallback, maxWidth, maxHeight);
    return { width: side, height: side };
  }
  const scale = Math.min(1, maxWidth / w, maxHeight / h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}
