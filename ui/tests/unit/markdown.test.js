// Markdown in messages: each construct of the subset draws as people expect, hostile input stays
// inert text (no script, image, frame, handler or unsafe link is ever created, nothing throws),
// rendering time grows linearly, and plainText() strips the marks for one-line previews.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { installFakeDom, serialize } from './fake-dom.js';
import { growth } from './growth.js';

const dom = installFakeDom();
const { renderMarkdown, renderParsed, mayHoldMarkdown, plainText } = await import('../../js/markdown.js');
const { vendoredSource } = await import('../../../tools/vendor-markdown-it.mjs');

/** `content` rendered into a div. */
function render(content) {
  const root = document.createElement('div');
  root.append(renderMarkdown(content));
  return root;
}
const html = (content) => serialize(render(content), { attributes: ['href', 'title', 'start'] });

test('bold, italic, strikethrough and inline code', () => {
  assert.equal(html('**bold** *it* _also_ ~~gone~~ `a < b`'), '<div><p><strong>bold</strong> <em>it</em> <em>also</em> <s>gone</s> <code class="md-code">a < b</code></p></div>');
  assert.equal(html('***both***'), '<div><p><em><strong>both</strong></em></p></div>');
  assert.equal(html('un*believ*able 这是*重点*内容 **_both_**'), '<div><p>un<em>believ</em>able 这是<em>重点</em>内容 <strong><em>both</em></strong></p></div>');
});

test('a fenced code block is monospace text with its language and a copy button', () => {
  const root = render('```rust\nfn main() {\n    println!("**not bold**");\n}\n```');
  const pre = root.querySelector('pre');
  assert.equal(pre.textContent, 'fn main() {\n    println!("**not bold**");\n}');
  assert.equal(root.querySelector('strong'), null);
  assert.equal(root.querySelector('span').textContent, 'rust');
  const button = root.querySelector('button');
  assert.equal(button.getAttribute('type'), 'button');
  assert.ok(button.getAttribute('aria-label'));
  assert.ok(button.listeners.get('click')?.length, 'the copy button copies on click');
  // Highlighted: keywords, strings and the like in spans of text.
  assert.equal(serialize(root.querySelector('code')), '<code><span class="hl-keyword">fn</span> main() {\n    println!(<span class="hl-string">"**not bold**"</span>);\n}</code>');
  // The button adds no text: the message's text is the code and only the code.
  assert.equal(root.textContent, 'rustfn main() {\n    println!("**not bold**");\n}');
});

test('quotes, bulleted and numbered lists', () => {
  assert.equal(html('> quoted\n> still\n\nafter'), '<div><blockquote><p>quoted\nstill</p></blockquote><p>after</p></div>');
  assert.equal(html('- one\n- two'), '<div><ul><li>one</li><li>two</li></ul></div>');
  assert.equal(html('1. one\n2. two'), '<div><ol><li>one</li><li>two</li></ol></div>');
  assert.equal(html('3) three\n4) four'), '<div><ol start="3"><li>three</li><li>four</li></ol></div>');
  assert.equal(html('- a\n  - nested'), '<div><ul><li>a<ul><li>nested</li></ul></li></ul></div>');
  assert.equal(html('> - in a quote'), '<div><blockquote><ul><li>in a quote</li></ul></blockquote></div>');
});

test('links: [label](url) to http(s)/mailto shows the destination on hover; bare addresses as before', () => {
  assert.equal(html('[the docs](https://example.com/a?b=1)'), '<div><p><a href="https://example.com/a?b=1" title="https://example.com/a?b=1">the docs</a></p></div>');
  assert.equal(html('[mail](mailto:ops@example.com)'), '<div><p><a href="mailto:ops@example.com" title="mailto:ops@example.com">mail</a></p></div>');
  const a = render('[x](https://example.com)').querySelector('a');
  assert.equal(a.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(a.getAttribute('target'), '_blank');
  assert.equal(html('see https://example.com/x. ok'), '<div><p>see <a href="https://example.com/x">https://example.com/x</a>. ok</p></div>');
  // A bare address stays whole: marks inside it are part of it, marks around it still count.
  assert.equal(html('see https://example.com/*a*/b_c_ and *this*'), '<div><p>see <a href="https://example.com/*a*/b_c_">https://example.com/*a*/b_c_</a> and <em>this</em></p></div>');
  assert.equal(html('**https://example.com/x**'), '<div><p><strong><a href="https://example.com/x">https://example.com/x</a></strong></p></div>');
  assert.equal(html('[https://a.example/*x*](https://b.example)'), '<div><p><a href="https://b.example/" title="https://b.example/">https://a.example/*x*</a></p></div>');
  // A link's label is not linkified again (no anchor inside an anchor).
  assert.equal(render('[https://a.example](https://b.example)').querySelectorAll('a').length, 1);
  // Relative and other-scheme links are not links: they stay as typed.
  for (const text of ['[rel](/x)', '[f](ftp://example.com/f)', '[t](tel:123)']) assert.equal(html(text), `<div><p>${text}</p></div>`);
});

test('line breaks are kept; a heading is a bold paragraph; HTML, images, tables and rules stay text', () => {
  assert.equal(html('one\ntwo'), '<div><p>one\ntwo</p></div>');
  assert.equal(html('one  \ntwo'), '<div><p>one<br></br>two</p></div>');
  assert.equal(html('one\n\ntwo'), '<div><p>one</p><p>two</p></div>');
  assert.equal(html('# Release notes\nbody'), '<div><p class="md-heading"><strong>Release notes</strong></p><p>body</p></div>');
  assert.equal(html('<b>hi</b> &amp;'), '<div><p><b>hi</b> &amp;</p></div>');
  assert.equal(render('![cat](https://example.com/cat.png)').querySelector('img'), null);
  assert.equal(render('![cat](https://example.com/cat.png)').textContent, '!cat');
  assert.equal(html('| a | b |\n|---|---|'), '<div><p>| a | b |\n|---|---|</p></div>');
  assert.equal(html('a\n---'), '<div><p>a\n---</p></div>');
  assert.equal(html('***'), '<div><p>***</p></div>');
});

test('mentions and names with underscores stay as typed', () => {
  assert.equal(html('@alice ping @bob_the_builder about snake_case_name'), '<div><p>@alice ping @bob_the_builder about snake_case_name</p></div>');
  assert.equal(plainText('**@alice** look'), '@alice look');
});

test('text without Markdown skips the parser and draws exactly as the parser would', () => {
  // A fixed pseudo-random sequence, so a failure can be reproduced.
  let seed = 20261130;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const alphabet = ['a', 'Z', 'h', 't', 'p', 's', '中', '文', '😀', '1', '9', '0', '.', ')', '(', '-', '+', '=', ' ', ' ', '\t', '\n', '\n', ':', '/', '@', '!', '?', '"', "'", '&', '%', '$', '|', ',', '\u3000', '\u00a0'];
  const seen = { fast: 0, parsed: 0 };
  for (let i = 0; i < 4000; i += 1) {
    const length = 1 + Math.floor(next() * 40);
    let text = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    if (next() < 0.3) text = `see https://example.com/${text.replace(/\s/g, '')} ok`;
    if (mayHoldMarkdown(text)) {
      seen.parsed += 1;
      continue;
    }
    seen.fast += 1;
    const fast = document.createElement('div');
    fast.append(renderMarkdown(text));
    const parsed = document.createElement('div');
    parsed.append(renderParsed(text));
    assert.equal(serialize(fast, { attributes: ['href'] }), serialize(parsed, { attributes: ['href'] }), JSON.stringify(text));
  }
  assert.ok(seen.fast > 500 && seen.parsed > 500, JSON.stringify(seen));
  assert.equal(mayHoldMarkdown('Morning! Shall we go through the launch checklist?'), false);
  assert.equal(mayHoldMarkdown('第一行\n第二行'), false);
  for (const text of ['**b**', 'a\n\nb', '- x', '1. x', '> q', '# h', 'a  \nb', ' lead', 'trail ', '\ttab', 'a\r\nb']) assert.equal(mayHoldMarkdown(text), true, JSON.stringify(text));
});

const ALLOWED_TAGS = new Set(['div', 'p', 'strong', 'em', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'br', 'span', 'button', 'svg', 'path']);
const SAFE_HREF = /^(https?:\/\/|mailto:)/;

const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<a href="javascript:alert(1)">x</a>',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x]( javascript:alert(1) )',
  '[x](java\tscript:alert(1))',
  '[x](&#106;avascript:alert(1))',
  '[x](&#x6A;avascript&colon;alert(1))',
  '[x](javascript&#58;alert(1))',
  '[x](%6Aavascript:alert(1))',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](DATA:text/html,<script>alert(1)</script>)',
  '[x](vbscript:msgbox(1))',
  '[x](VbScRiPt:msgbox(1))',
  '[x](file:///etc/passwd)',
  '[x](//evil.example/)',
  '<javascript:alert(1)>',
  '<data:text/html,hi>',
  '![x](javascript:alert(1))',
  '![x](data:image/svg+xml,<svg onload=alert(1)>)',
  '[x]: javascript:alert(1)\n\n[x]',
  '[x](https://example.com "onmouseover=alert(1)")',
  '[a](https://ok.example)<img src=x onerror=alert(1)>',
  '```html\n<script>alert(1)</script>\n```',
  '```" onmouseover="alert(1)\ncode\n```',
  '`<img src=x onerror=alert(1)>`',
  '> <script>alert(1)</script>',
  '- <style>*{display:none}</style>',
  '\u0000\u202e**bold**\ufeff',
];

function assertInert(content) {
  dom.reset();
  const root = render(content);
  for (const tag of dom.log.elements) assert.ok(ALLOWED_TAGS.has(tag), `${JSON.stringify(content)} created <${tag}>`);
  for (const { name, value } of dom.log.attributes) {
    assert.ok(!name.startsWith('on'), `${JSON.stringify(content)} set ${name}`);
    assert.ok(!['src', 'style', 'srcdoc', 'action', 'formaction'].includes(name), `${JSON.stringify(content)} set ${name}`);
    if (name === 'href') assert.match(value, SAFE_HREF, `${JSON.stringify(content)} made a link to ${value}`);
  }
  for (const { type } of dom.log.listeners) assert.equal(type, 'click');
  return root;
}

test('hostile input creates no script, image, frame, handler or unsafe link, and stays visible', () => {
  for (const content of HOSTILE) assertInert(content);
  assert.equal(render('<script>alert(1)</script>').textContent, '<script>alert(1)</script>');
  assert.equal(render('<img src=x onerror=alert(1)>').textContent, '<img src=x onerror=alert(1)>');
  assert.equal(render('[x](javascript:alert(1))').textContent, '[x](javascript:alert(1))');
  assert.equal(render('[x](JaVaScRiPt:alert(1))').querySelector('a'), null);
  assert.equal(render('[x](&#106;avascript:alert(1))').querySelector('a'), null);
});

/** Pathological inputs of size about `n`. */
const PATHOLOGICAL = {
  'nested quotes': (n) => `${'>'.repeat(n)} deep`,
  'nested quote lines': (n) => Array.from({ length: n / 10 }, (_, i) => `${'>'.repeat(i % 50)} line`).join('\n'),
  'nested lists': (n) => Array.from({ length: n / 10 }, (_, i) => `${'  '.repeat(i % 40)}- item`).join('\n'),
  backticks: (n) => '`'.repeat(n),
  'backtick runs': (n) => Array.from({ length: n / 4 }, (_, i) => '`'.repeat((i % 7) + 1)).join(' '),
  stars: (n) => '*'.repeat(n),
  'star words': (n) => '*a **b '.repeat(n / 7),
  underscores: (n) => '_a __b '.repeat(n / 7),
  tildes: (n) => '~~a '.repeat(n / 4),
  brackets: (n) => '['.repeat(n),
  'open links': (n) => '[a]('.repeat(n / 4),
  'unclosed fences': (n) => '```\n'.repeat(n / 4),
  'angle brackets': (n) => '<a'.repeat(n / 2),
  'lines of text': (n) => 'word https://example.com/x\n'.repeat(n / 27),
  schemes: (n) => 'http:'.repeat(n / 5),
  'glued addresses': (n) => 'https://'.repeat(n / 8),
  mailto: (n) => 'mailto:'.repeat(n / 7),
  'addresses with marks': (n) => 'https://x.example/*a*_b_ '.repeat(n / 25),
};

test('pathological input: nothing throws, nothing executes, text is kept', () => {
  for (const [name, make] of Object.entries(PATHOLOGICAL)) {
    for (const n of [4000, 10000]) {
      const content = make(n);
      const root = assertInert(content);
      assert.ok(root.textContent.length > 0, `${name} ${n} shows something`);
      assert.equal(typeof plainText(content), 'string');
    }
  }
  // 1000 nested quotes: past the nesting limit the message is shown as typed, not cut short.
  const deep = `${'>'.repeat(1000)} the end`;
  assert.ok(render(deep).textContent.includes('the end'));
  assert.ok(plainText(deep).endsWith('the end'));
  const lines = Array.from({ length: 1000 }, (_, i) => `${'>'.repeat(i + 1)} level ${i + 1}`).join('\n');
  assert.ok(render(lines).textContent.includes('level 1000'));
  // An unclosed fence runs to the end of the message, as code.
  assert.equal(render('```\nnever closed\n**x**').querySelector('pre').textContent, 'never closed\n**x**');
  assert.equal(render('`'.repeat(4000)).textContent, '`'.repeat(4000));
  assert.equal(render('*'.repeat(10000)).textContent.length, 10000);
});

test('rendering time grows linearly with the input, also for pathological input', () => {
  // Linear work takes ~4× as long for 4× the input, quadratic ~16×. The bound sits between
  // them, generous for a noisy shared machine: garbage collection runs on this thread and counts
  // as CPU time, and has been seen to take a linear case to 9× once.
  const ratios = {};
  for (const [name, make] of Object.entries(PATHOLOGICAL)) {
    const small = make(5000);
    const large = make(20000);
    const ratio = growth(render, small, large);
    ratios[name] = ratio;
    const plainRatio = growth(plainText, small, large);
    assert.ok(ratio < 10, `${name}: 4× the input took ${ratio.toFixed(1)}× as long to render`);
    assert.ok(plainRatio < 10, `${name}: 4× the input took ${plainRatio.toFixed(1)}× as long for plainText`);
  }
  if (process.env.CONFAB_PRINT_RATIOS) console.log(Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, Number(v.toFixed(2))])));
});

test('plainText strips the marks for one-line previews and notifications', () => {
  assert.equal(plainText('**Release** is _on_ ~~Thursday~~ `Friday`'), 'Release is on Thursday Friday');
  assert.equal(plainText('> quoted\n\n- one\n- two\n\n1. three'), 'quoted one two three');
  assert.equal(plainText('see [the docs](https://example.com/docs) and https://example.com/x'), 'see the docs and https://example.com/x');
  assert.equal(plainText('```js\nlet a = 1;\n```\ndone'), 'let a = 1; done');
  assert.equal(plainText('# Heading\nline one\nline two'), 'Heading line one line two');
  assert.equal(plainText('<b>kept</b> \\*escaped\\*'), '<b>kept</b> *escaped*');
  assert.equal(plainText('just text'), 'just text');
  assert.equal(plainText(''), '');
  assert.equal(plainText(null), '');
  assert.ok(!plainText('**a** __b__ ~~c~~').includes('*'));
});

test('the vendored markdown-it is the npm build pinned in package.json', () => {
  const pin = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url))).devDependencies['markdown-it'];
  const vendored = readFileSync(new URL('../../js/vendor/markdown-it.js', import.meta.url), 'utf8');
  assert.match(vendored, new RegExp(`^/\\*! markdown-it ${pin.replace(/\./g, '\\.')} `));
  assert.ok(readFileSync(new URL('../../js/vendor/markdown-it.LICENSE.txt', import.meta.url), 'utf8').includes(`markdown-it ${pin} (MIT)`));
  const built = new URL('../../node_modules/markdown-it/dist/browser/markdown-it.esm.min.mjs', import.meta.url);
  if (existsSync(built)) assert.equal(vendored, vendoredSource(readFileSync(built, 'utf8')), 'run tools/vendor-markdown-it.mjs');
});
