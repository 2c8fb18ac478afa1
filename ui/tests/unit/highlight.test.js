// Code blocks' highlighting: comments, strings, numbers and keywords of common languages; the
// segments always give back the code exactly; unknown languages stay plain; linear time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highlight, languageOf } from '../../js/highlight.js';
import { growth } from './growth.js';

const typed = (code, lang) => highlight(code, lang).filter((s) => s.type !== 'text').map((s) => `${s.type}:${s.text}`);
const joined = (code, lang) => highlight(code, lang).map((s) => s.text).join('');

test('comments, strings, numbers and keywords are told apart', () => {
  assert.deepEqual(typed('const a = "x\\"y"; // hi\nlet b = 0x1F + 2.5e3; /* a\nb */', 'js'), ['keyword:const', 'string:"x\\"y"', 'comment:// hi', 'keyword:let', 'number:0x1F', 'number:2.5e3', 'comment:/* a\nb */']);
  assert.deepEqual(typed('fn main() { let s = "hi"; } // done', 'rust'), ['keyword:fn', 'keyword:let', 'string:"hi"', 'comment:// done']);
  assert.deepEqual(typed('def f():\n    """doc\n    more"""\n    return None  # c', 'py'), ['keyword:def', 'string:"""doc\n    more"""', 'keyword:return', 'keyword:None', 'comment:# c']);
  assert.deepEqual(typed('echo "hi" # note\ncurl http://x/a#b', 'bash'), ['keyword:echo', 'string:"hi"', 'comment:# note']);
  assert.deepEqual(typed("SELECT * FROM t WHERE a = 'it''s' -- c", 'sql'), ['keyword:SELECT', 'keyword:FROM', 'keyword:WHERE', "string:'it''s'", 'comment:-- c']);
  assert.deepEqual(typed('{"a": [1, true, null]}', 'json'), ['string:"a"', 'number:1', 'keyword:true', 'keyword:null']);
});

test('an unclosed string ends with its line; an unclosed comment runs to the end', () => {
  assert.deepEqual(typed('"open\nlet x', 'js'), ['string:"open', 'keyword:let']);
  assert.deepEqual(typed('/* open\nlet x', 'js'), ['comment:/* open\nlet x']);
});

test('unknown or missing languages stay one plain segment', () => {
  assert.deepEqual(highlight('const a = 1;', 'brainfuck'), [{ type: 'text', text: 'const a = 1;' }]);
  assert.deepEqual(highlight('const a = 1;', ''), [{ type: 'text', text: 'const a = 1;' }]);
  assert.deepEqual(highlight('', 'js'), []);
  assert.equal(languageOf('TypeScript'), 'js');
  assert.equal(languageOf('py title="x"'), 'python');
  assert.equal(languageOf('<script>'), null);
});

const HOSTILE = {
  quotes: (n) => '"'.repeat(n),
  'unclosed quotes': (n) => '"a '.repeat(n / 3),
  'quote per line': (n) => '"abc\n'.repeat(n / 5),
  backslashes: (n) => '"' + '\\'.repeat(n),
  'comment starts': (n) => '/*'.repeat(n / 2),
  'triple quotes': (n) => '"""'.repeat(n / 3) + 'x',
  templates: (n) => '`${'.repeat(n / 3),
  'sql quotes': (n) => "''".repeat(n / 2) + "'",
  words: (n) => 'const x1 '.repeat(n / 9),
  digits: (n) => '1.'.repeat(n / 2),
  unicode: (n) => '汉字😀'.repeat(n / 4),
};

test('any input comes back exactly, in time linear in its length', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    for (const lang of ['js', 'rust', 'python', 'bash', 'go', 'c', 'sql', 'json', 'yaml']) {
      const code = make(4000);
      assert.equal(joined(code, lang), code, `${name} in ${lang}`);
      const ratio = growth((code) => highlight(code, lang), make(10000), make(40000));
      // Linear: ~4× for 4× the input; quadratic would be ~16×. Garbage collection counts as CPU
      // time here and has taken a linear case to 9× once, hence the margin.
      assert.ok(ratio < 10, `${name} in ${lang}: 4× the input took ${ratio.toFixed(1)}× as long`);
    }
  }
});
