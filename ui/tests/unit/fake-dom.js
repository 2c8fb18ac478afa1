// Just enough of a DOM for views built with dom.js's h(): elements, text nodes and fragments,
// attributes, classes and listeners, with a log of every element and attribute ever created so
// tests can say what was never made (no script, no on* handler, no unsafe href). Installed on
// globalThis by `installFakeDom()`; `serialize(node)` gives a compact HTML-like string.

class FakeNode {
  constructor() {
    this.parentNode = null;
  }
}

class FakeText extends FakeNode {
  constructor(data) {
    super();
    this.nodeType = 3;
    this.data = String(data);
  }
  get textContent() {
    return this.data;
  }
}

class FakeParent extends FakeNode {
  constructor() {
    super();
    this.childNodes = [];
  }
  append(...nodes) {
    for (const node of nodes) {
      if (node instanceof FakeFragment) {
        const moved = node.childNodes;
        node.childNodes = [];
        for (const child of moved) child.parentNode = null;
        this.append(...moved);
      } else {
        const child = node instanceof FakeNode ? node : new FakeText(node);
        if (child.parentNode) child.parentNode.childNodes = child.parentNode.childNodes.filter((c) => c !== child);
        child.parentNode = this;
        this.childNodes.push(child);
      }
    }
  }
  replaceChildren(...nodes) {
    this.childNodes = [];
    this.append(...nodes);
  }
  get children() {
    return this.childNodes.filter((c) => c instanceof FakeElement);
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  /** Every element below this one, depth first. */
  descendants() {
    const out = [];
    const stack = [...this.children].reverse();
    while (stack.length) {
      const el = stack.pop();
      out.push(el);
      stack.push(...[...el.children].reverse());
    }
    return out;
  }
}

class FakeFragment extends FakeParent {}

class FakeElement extends FakeParent {
  constructor(tag, log) {
    super();
    this.nodeType = 1;
    this.tagName = tag.toUpperCase();
    this.localName = tag.toLowerCase();
    this.attributes = new Map();
    this.listeners = new Map();
    this.dataset = {};
    this.style = { setProperty() {} };
    this.log = log;
    const el = this;
    this.classList = {
      add: (...names) => el.setAttribute('class', [...new Set([...el.classNames(), ...names])].join(' ')),
      remove: (...names) => el.setAttribute('class', el.classNames().filter((n) => !names.includes(n)).join(' ')),
      contains: (name) => el.classNames().includes(name),
      toggle: (name, force) => {
        const on = force ?? !el.classNames().includes(name);
        if (on) el.classList.add(name);
        else el.classList.remove(name);
        return on;
      },
    };
  }
  classNames() {
    return (this.attributes.get('class') ?? '').split(/\s+/).filter(Boolean);
  }
  setAttribute(name, value) {
    this.log.attributes.push({ tag: this.localName, name: String(name).toLowerCase(), value: String(value) });
    this.attributes.set(String(name).toLowerCase(), String(value));
  }
  getAttribute(name) {
    return this.attributes.get(String(name).toLowerCase()) ?? null;
  }
  hasAttribute(name) {
    return this.attributes.has(String(name).toLowerCase());
  }
  get className() {
    return this.getAttribute('class') ?? '';
  }
  set className(value) {
    this.setAttribute('class', value);
  }
  set textContent(value) {
    this.replaceChildren(new FakeText(value));
  }
  get textContent() {
    return super.textContent;
  }
  // Properties that HTML elements reflect to attributes, so the log sees them too.
  set href(value) {
    this.setAttribute('href', value);
  }
  get href() {
    return this.getAttribute('href');
  }
  set title(value) {
    this.setAttribute('title', value);
  }
  get title() {
    return this.getAttribute('title');
  }
  addEventListener(type, listener) {
    this.log.listeners.push({ tag: this.localName, type });
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(listener);
  }
  querySelectorAll(tag) {
    return this.descendants().filter((el) => el.localName === tag);
  }
  querySelector(tag) {
    return this.querySelectorAll(tag)[0] ?? null;
  }
}

/** Installs the fake on globalThis; returns the log of what was created. */
export function installFakeDom() {
  const log = { elements: [], attributes: [], listeners: [] };
  const create = (tag) => {
    log.elements.push(String(tag).toLowerCase());
    return new FakeElement(tag, log);
  };
  globalThis.Node = FakeNode;
  globalThis.document = {
    createElement: create,
    createElementNS: (_ns, tag) => create(tag),
    createTextNode: (data) => new FakeText(data),
    createDocumentFragment: () => new FakeFragment(),
  };
  return {
    log,
    reset() {
      log.elements.length = 0;
      log.attributes.length = 0;
      log.listeners.length = 0;
    },
  };
}

/** A fragment or element as compact HTML-like text (attributes other than class left out). */
export function serialize(node, { attributes = [] } = {}) {
  if (node instanceof FakeText) return node.data;
  const inner = node.childNodes.map((c) => serialize(c, { attributes })).join('');
  if (node instanceof FakeFragment) return inner;
  const attrs = ['class', ...attributes]
    .filter((name) => node.hasAttribute(name))
    .map((name) => ` ${name}="${node.getAttribute(name)}"`)
    .join('');
  return `<${node.localName}${attrs}>${inner}</${node.localName}>`;
}
