// A WebSocket through the desktop app's pinned transport: the app holds the TLS connection
// (trusting exactly the pinned certificate) and hands frames over a Tauri Channel. It looks
// like the browser's WebSocket to socket.js (readyState, onopen/onmessage/onclose, send, close),
// so the real-time code stays one.

export class PinnedSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  /**
   * `invoke(command, args)` calls the app; `Channel` is Tauri's channel class. `onTrustProblem`
   * hears `certificate_mismatch` (the server presented another certificate than the pinned one).
   */
  constructor(url, { invoke, Channel, onTrustProblem = () => {} }) {
    this.url = url;
    this.readyState = PinnedSocket.CONNECTING;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    this.invoke = invoke;
    this.id = null;
    // Frames go to the app one after another: concurrent invokes may overtake each other.
    this.outbox = Promise.resolve();
    const channel = new Channel();
    channel.onmessage = (event) => this.hear(event, onTrustProblem);
    this.opening = invoke('ws_open', { url, onEvent: channel }).then(
      (id) => {
        this.id = id;
        return id;
      },
      (error) => {
        if (error?.code === 'certificate_mismatch') onTrustProblem(error);
        this.closed(1006, error?.message || '');
        return null;
      },
    );
  }

  hear(event, onTrustProblem) {
    if (!event || this.readyState === PinnedSocket.CLOSED) return;
    if (event.kind === 'open') {
      this.readyState = PinnedSocket.OPEN;
      this.onopen?.({ type: 'open' });
    } else if (event.kind === 'message') {
      this.onmessage?.({ type: 'message', data: event.data });
    } else if (event.kind === 'error') {
      if (event.code === 'certificate_mismatch') onTrustProblem(event);
      this.onerror?.({ type: 'error', code: event.code, message: event.message });
    } else if (event.kind === 'close') {
      this.closed(event.code, event.reason);
    }
  }

  closed(code, reason) {
    if (this.readyState === PinnedSocket.CLOSED) return;
    this.readyState = PinnedSocket.CLOSED;
    this.onclose?.({ type: 'close', code: code ?? 1006, reason: reason ?? '', wasClean: code === 1000 });
  }

  send(text) {
    if (this.readyState !== PinnedSocket.OPEN) throw new Error('the connection is not open');
    this.outbox = this.outbox
      .then(() => this.opening)
      .then((id) => (id == null ? null : this.invoke('ws_send', { id, text })))
      .catch(() => {});
  }

  close(code = 1000, reason = '') {
    if (this.readyState === PinnedSocket.CLOSED || this.readyState === PinnedSocket.CLOSING) return;
    this.readyState = PinnedSocket.CLOSING;
    this.outbox = this.outbox
      .then(() => this.opening)
      .then((id) => (id == null ? null : this.invoke('ws_close', { id, code, reason })))
      .catch(() => {})
      // The app reports the end on the channel; if it cannot (already gone), end here.
      .finally(() => setTimeout(() => this.closed(code, reason), 1000));
  }
}
