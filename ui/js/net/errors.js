// The one error type of the network layer: what the server answered (`{error: {code, message,
// field?, retry_after?}}`), or `network` / `aborted` / `timeout` / `desktop` from this side.

/** An error from the server (`{error: {code, message, field?, retry_after?}}`) or the network. */
export class ApiError extends Error {
  constructor(status, { code = 'unknown', message = '', field = null, retry_after = null } = {}) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retry_after;
  }
}
