// A minimal W3C WebDriver client over fetch: just what the desktop end-to-end test needs to
// drive the Confab app through tauri-driver (no dependencies to install).

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriver {
  constructor(base) {
    this.base = base.replace(/\/$/, '');
    this.session = null;
  }

  async call(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({}));
    if (!response.ok || json?.value?.error) {
      const error = json?.value?.error ?? response.status;
      throw new Error(`WebDriver ${method} ${path}: ${error} ${json?.value?.message ?? ''}`);
    }
    return json.value;
  }

  s(path) {
    return `/session/${this.session}${path}`;
  }

  /** Starts the app binary at `application` (tauri-driver launches it). */
  async start(application) {
    const value = await this.call('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application } } },
    });
    this.session = value.sessionId;
  }

  async end() {
    if (!this.session) return;
    const session = this.session;
    this.session = null;
    await this.call('DELETE', `/session/${session}`).catch(() => {});
  }

  async find(css) {
    const value = await this.call('POST', this.s('/element'), { using: 'css selector', value: css });
    return value[ELEMENT];
  }

  async findAll(css) {
    const value = await this.call('POST', this.s('/elements'), { using: 'css selector', value: css });
    return value.map((v) => v[ELEMENT]);
  }

  /** Waits until `css` matches a displayed element; returns it. */
  async waitFor(css, { timeout = 20_000 } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        const id = await this.find(css);
        if (await this.call('GET', this.s(`/element/${id}/displayed`))) return id;
      } catch (e) {
        last = e;
      }
      await sleep(150);
    }
    throw new Error(`timed out waiting for ${css}: ${last?.message ?? 'not displayed'}`);
  }

  /** Waits until `predicate` (a JS function body returning a value) returns something truthy. */
  async waitUntil(script, args = [], { timeout = 20_000, what = script } = {}) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const value = await this.execute(script, args).catch(() => null);
      if (value) return value;
      await sleep(150);
    }
    throw new Error(`timed out waiting until ${what}`);
  }

  /**
   * Clicks `css`. WebKit's driver scrolls a target into view only when none of it shows, so a
   * button half cut off at the bottom of a scrolled dialog is "not interactable" (its centre is
   * clipped): then it is brought to the middle of its scroll container and clicked again.
   */
  async click(css) {
    const id = await this.waitFor(css);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.call('POST', this.s(`/element/${id}/click`), {});
        return;
      } catch (error) {
        if (attempt === 3 || !/not interactable/.test(error.message)) throw error;
        await this.execute("arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' })", [{ [ELEMENT]: id }]);
        await sleep(200);
      }
    }
  }

  async type(css, text, { clear = true } = {}) {
    const id = await this.waitFor(css);
    if (clear) await this.call('POST', this.s(`/element/${id}/clear`), {});
    await this.call('POST', this.s(`/element/${id}/value`), { text });
  }

  async text(css) {
    const id = await this.waitFor(css);
    return this.call('GET', this.s(`/element/${id}/text`));
  }

  execute(script, args = []) {
    return this.call('POST', this.s('/execute/sync'), { script, args });
  }

  executeAsync(script, args = []) {
    return this.call('POST', this.s('/execute/async'), { script, args });
  }

  async screenshot() {
    return Buffer.from(await this.call('GET', this.s('/screenshot')), 'base64');
  }

  title() {
    return this.call('GET', this.s('/title'));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
