// "alice is typing…", the sending side: tells the server when this person types, at most every
// few seconds, and that they stopped when the input is cleared, left idle, blurred or sent. The
// clock and timers are injected so the throttling can be tested without waiting.

/** Resend `typing_start` this often while typing continues (the server forgets after ~6 s). */
export const TYPING_RESEND_MS = 3000;
/** No keystroke for this long counts as having stopped typing. */
export const TYPING_IDLE_MS = 5000;

export class TypingNotifier {
  /**
   * `send(event, roomId)` is called with `typing_start` or `typing_stop`; it returns false when
   * the frame could not be sent (offline), in which case nothing is considered announced.
   */
  constructor({ send, now = () => Date.now(), setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (id) => clearTimeout(id) }) {
    this.send = send;
    this.now = now;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.roomId = null;
    this.active = false;
    this.lastStart = 0;
    this.idleTimer = null;
  }

  /** The input of room `roomId` changed; `hasText` says whether it holds anything now. */
  input(roomId, hasText) {
    if (!hasText) {
      this.stop();
      return;
    }
    if (this.active && this.roomId !== roomId) this.stop();
    const now = this.now();
    if (!this.active || now - this.lastStart >= TYPING_RESEND_MS) {
      if (this.send('typing_start', roomId) !== false) {
        this.active = true;
        this.roomId = roomId;
        this.lastStart = now;
      }
    }
    this.clearIdle();
    if (this.active) this.idleTimer = this.setTimer(() => this.stop(), TYPING_IDLE_MS);
  }

  /** The person stopped typing (input cleared, blurred, idle, room switched). */
  stop() {
    this.clearIdle();
    if (!this.active) return;
    this.active = false;
    this.send('typing_stop', this.roomId);
  }

  /** A message was sent: the server already ended the typing state, so nothing is sent. */
  sent() {
    this.clearIdle();
    this.active = false;
  }

  /** The connection dropped: the server forgot this socket's typing state. */
  reset() {
    this.sent();
  }

  clearIdle() {
    if (this.idleTimer !== null) {
      this.clearTimer(this.idleTimer);
      this.idleTimer = null;
    }
  }
}
