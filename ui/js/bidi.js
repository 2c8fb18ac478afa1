// Keeping user text from reordering the interface around it. A right-to-left override
// (U+202E) in a name or message would otherwise flip whatever follows it on the same line:
// "\u202egnp.exe spoof" shows as "foops exe.png". Elements holding user text get `dir="auto"`
// on an isolating element (`<bdi>`, or a block such as `<p>`); strings that mix user text into
// a sentence (titles, labels, translations) wrap it with `isolate()`.

const FSI = '\u2068';
const PDI = '\u2069';
// Isolate initiators and terminators inside the text: a stray PDI would close our isolate early
// and let an override after it escape.
const ISOLATE_CONTROLS = /[\u2066-\u2069]/g;

/** `text` as a first-strong isolate: its direction controls end where it ends. */
export function isolate(text) {
  return `${FSI}${String(text ?? '').replace(ISOLATE_CONTROLS, '')}${PDI}`;
}
