// A small syntax highlighter for code blocks in messages: comments, strings, numbers and
// keywords of the languages people paste most. Pure: it splits the code into `{type, text}`
// segments that concatenate back to the code exactly (markdown.js draws them as spans of text).
// One pass with a sticky pattern; every token that starts also ends (an unclosed string or
// comment runs to the end of its line or of the code), so the time is linear in the code's
// length whatever it holds.

const C_LIKE_COMMENTS = ['//[^\\n]*', '/\\*[\\s\\S]*?(?:\\*/|$)'];
const HASH_COMMENTS = ['#[^\\n]*'];
// Quoted on one line: an unclosed quote ends at the end of its line.
const QUOTED = ['"(?:[^"\\\\\\n]|\\\\.)*(?:"|(?=\\n)|$)', "'(?:[^'\\\\\\n]|\\\\.)*(?:'|(?=\\n)|$)"];
const WORD = '[A-Za-z_$][\\w$]*';
const NUMBER = '\\b(?:0[xXbBoO][\\da-fA-F_]+|\\d[\\d_]*(?:\\.\\d[\\d_]*)?(?:[eE][+-]?\\d+)?)\\b';

const words = (text) => text.split(/\s+/).filter(Boolean);

/** Each language: its comment and string patterns, and its keywords. */
const LANGUAGES = {
  js: {
    comments: C_LIKE_COMMENTS,
    strings: [...QUOTED, '`(?:[^`\\\\]|\\\\[\\s\\S])*(?:`|$)'],
    keywords: words('async await break case catch class const continue debugger default delete do else export extends false finally for from function if import in instanceof let new null of return static super switch this throw true try typeof undefined var void while with yield interface type enum implements private protected public readonly as'),
  },
  rust: {
    comments: C_LIKE_COMMENTS,
    strings: ['"(?:[^"\\\\]|\\\\[\\s\\S])*(?:"|$)'],
    keywords: words('as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while Some None Ok Err'),
  },
  python: {
    comments: HASH_COMMENTS,
    strings: ['"""[\\s\\S]*?(?:"""|$)', "'''[\\s\\S]*?(?:'''|$)", ...QUOTED],
    keywords: words('and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return True try while with yield self'),
  },
  shell: {
    comments: HASH_COMMENTS,
    // `#` inside a word (`a#b`, a URL's fragment) does not start a comment.
    word: '[A-Za-z_$][\\w$#./:-]*',
    strings: ['"(?:[^"\\\\]|\\\\[\\s\\S])*(?:"|$)', "'[^']*(?:'|$)"],
    keywords: words('if then else elif fi for in do done while until case esac function return export local set unset echo cd sudo exit'),
  },
  go: {
    comments: C_LIKE_COMMENTS,
    strings: [...QUOTED, '`[^`]*(?:`|$)'],
    keywords: words('break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false'),
  },
  c: {
    comments: C_LIKE_COMMENTS,
    strings: QUOTED,
    keywords: words('auto break case char class const continue default delete do double else enum extends final float for if implements import int long namespace new null nullptr package private protected public return short signed sizeof static struct super switch template this throw true false try catch typedef union unsigned using var virtual void volatile while bool boolean string'),
  },
  sql: {
    comments: ['--[^\\n]*', '/\\*[\\s\\S]*?(?:\\*/|$)'],
    strings: ["'(?:[^']|'')*(?:'|$)"],
    keywords: words('select from where and or not insert into values update set delete create table index drop alter join left right inner outer on group by order having limit offset as null is in like between distinct primary key references default union all exists case when then else end begin commit'),
    ignoreCase: true,
  },
  json: { comments: [], strings: [QUOTED[0]], keywords: words('true false null') },
  yaml: { comments: HASH_COMMENTS, strings: QUOTED, keywords: words('true false null yes no on off') },
};

const ALIASES = {
  javascript: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'js', tsx: 'js', typescript: 'js',
  rs: 'rust', py: 'python', python3: 'python',
  sh: 'shell', bash: 'shell', zsh: 'shell', console: 'shell', shell: 'shell',
  golang: 'go', cpp: 'c', 'c++': 'c', h: 'c', hpp: 'c', java: 'c', kotlin: 'c', kt: 'c', cs: 'c', csharp: 'c', swift: 'c',
  yml: 'yaml', toml: 'yaml', ini: 'yaml',
};

const compiled = new Map();

/** The language's one sticky pattern: group 1 comments, 2 strings, 3 numbers, 4 words. */
function patternFor(name) {
  if (compiled.has(name)) return compiled.get(name);
  const lang = LANGUAGES[name];
  const alt = (list) => (list.length ? list.join('|') : '(?!)');
  const source = `(${alt(lang.comments)})|(${alt(lang.strings)})|(${NUMBER})|(${lang.word ?? WORD})`;
  const entry = { re: new RegExp(source, 'y'), keywords: new Set(lang.ignoreCase ? lang.keywords.map((k) => k.toLowerCase()) : lang.keywords), ignoreCase: Boolean(lang.ignoreCase) };
  compiled.set(name, entry);
  return entry;
}

/** The language a code block's info string names, or null when it is not one known here. */
export function languageOf(info) {
  const name = String(info ?? '').trim().split(/\s+/)[0].toLowerCase();
  if (LANGUAGES[name]) return name;
  return ALIASES[name] ?? null;
}

/**
 * `code` as `[{type, text}]`, type one of `text`, `comment`, `string`, `number`, `keyword`;
 * one text segment when `language` is unknown.
 */
export function highlight(code, language) {
  const text = String(code ?? '');
  const name = languageOf(language);
  if (!name || !text) return text ? [{ type: 'text', text }] : [];
  const { re, keywords, ignoreCase } = patternFor(name);
  const segments = [];
  const push = (type, part) => {
    if (!part) return;
    const last = segments[segments.length - 1];
    if (last && last.type === type) last.text += part;
    else segments.push({ type, text: part });
  };
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m || m[0] === '') {
      push('text', text[at]);
      at += 1;
      continue;
    }
    if (m[1] !== undefined) push('comment', m[0]);
    else if (m[2] !== undefined) push('string', m[0]);
    else if (m[3] !== undefined) push('number', m[0]);
    else push(keywords.has(ignoreCase ? m[0].toLowerCase() : m[0]) ? 'keyword' : 'text', m[0]);
    at += m[0].length;
  }
  return segments;
}
