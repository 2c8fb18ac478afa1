//! The search segmenter: turns message text (and queries) into the terms the index holds, with
//! each term's character offsets in the original text for highlighting.
//!
//! Latin and other spaced scripts: NFKC, then NFKD with combining marks stripped, lowercased,
//! split on anything that is not a letter or digit; ASCII words are stemmed (English Snowball)
//! so `deploy` finds `deployed`. Han, Kana and Hangul have no spaces between words, so a run of
//! them is indexed as overlapping bigrams (which a longer query matches as a phrase) and, in a
//! column of their own, as single characters (which one-character queries match). Emoji and
//! punctuation produce nothing.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words longer than this are cut: no one searches for them, and they would bloat the index.
const MAX_WORD: usize = 64;

/// A piece of segmented text: a word, or a run of CJK characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A word as indexed (folded and stemmed), spanning `start..end` characters of the source.
    Word { term: String, start: usize, end: usize },
    /// Consecutive Han, Kana or Hangul characters, each with its character offset in the source.
    Cjk { chars: Vec<char>, offsets: Vec<usize> },
}

/// Splits `text` into pieces in order. Offsets count Unicode scalar values (Rust `char`s).
pub fn segment(text: &str) -> Vec<Piece> {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut pieces = Vec::new();
    let mut word = String::new();
    let mut word_span = (0, 0);
    let mut cjk: (Vec<char>, Vec<usize>) = (Vec::new(), Vec::new());

    let flush_word = |word: &mut String, span: (usize, usize), pieces: &mut Vec<Piece>| {
        if !word.is_empty() {
            let term = if word.bytes().all(|b| b.is_ascii_lowercase()) {
                stemmer.stem(word).into_owned()
            } else {
                word.clone()
            };
            pieces.push(Piece::Word {
                term,
                start: span.0,
                end: span.1,
            });
            word.clear();
        }
    };
    let flush_cjk = |cjk: &mut (Vec<char>, Vec<usize>), pieces: &mut Vec<Piece>| {
        if !cjk.0.is_empty() {
            pieces.push(Piece::Cjk {
                chars: std::mem::take(&mut cjk.0),
                offsets: std::mem::take(&mut cjk.1),
            });
        }
    };

    for (at, source) in text.chars().enumerate() {
        // Most characters are plain ASCII or common CJK, which normalization leaves alone:
        // skipping it for them makes segmenting several times faster (ranking segments every
        // candidate).
        if source.is_ascii() {
            if source.is_ascii_alphanumeric() {
                flush_cjk(&mut cjk, &mut pieces);
                if word.is_empty() {
                    word_span.0 = at;
                }
                word_span.1 = at + 1;
                if word.len() < MAX_WORD {
                    word.push(source.to_ascii_lowercase());
                }
            } else {
                flush_word(&mut word, word_span, &mut pieces);
                flush_cjk(&mut cjk, &mut pieces);
            }
            continue;
        }
        if is_plain_cjk(source) {
            flush_word(&mut word, word_span, &mut pieces);
            cjk.0.push(source);
            cjk.1.push(at);
            continue;
        }
        // NFKC first so full-width and half-width forms meet their usual ones; CJK characters
        // are then kept whole (NFKD would split Hangul syllables into jamo and strip kana's
        // voicing marks, which change the word).
        for c in std::iter::once(source).nfkc() {
            if is_cjk(c) {
                flush_word(&mut word, word_span, &mut pieces);
                cjk.0.push(c);
                cjk.1.push(at);
                continue;
            }
            for d in std::iter::once(c).nfkd().filter(|d| !is_combining_mark(*d)) {
                if d.is_alphanumeric() {
                    flush_cjk(&mut cjk, &mut pieces);
                    if word.is_empty() {
                        word_span.0 = at;
                    }
                    word_span.1 = at + 1;
                    if word.chars().count() < MAX_WORD {
                        word.extend(d.to_lowercase());
                    }
                } else {
                    flush_word(&mut word, word_span, &mut pieces);
                    flush_cjk(&mut cjk, &mut pieces);
                }
            }
        }
    }
    flush_word(&mut word, word_span, &mut pieces);
    flush_cjk(&mut cjk, &mut pieces);
    pieces
}

/// CJK characters that NFKC leaves as they are: unified Han, Hangul syllables, and kana
/// without voicing marks to compose.
fn is_plain_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0x3041..=0x3096 | 0x30A1..=0x30FA)
}

/// Han (with extensions and compatibility ideographs), Hiragana, Katakana and Hangul.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005..=0x3007       // 々 〆 〇
        | 0x3040..=0x30FF     // Hiragana, Katakana
        | 0x31F0..=0x31FF     // Katakana phonetic extensions
        | 0x3400..=0x4DBF     // Han extension A
        | 0x4E00..=0x9FFF     // Han
        | 0xF900..=0xFAFF     // Han compatibility
        | 0x1100..=0x11FF     // Hangul jamo
        | 0x3130..=0x318F     // Hangul compatibility jamo
        | 0xAC00..=0xD7AF     // Hangul syllables
        | 0x20000..=0x3FFFF) // Han extensions B onwards
}

/// The text the index stores for a message: `body` holds words and CJK bigrams in order (a lone
/// CJK character stands for itself), `chars` every CJK character. Both are space-separated
/// terms for FTS5's `ascii` tokenizer, which splits on ASCII punctuation and spaces only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Indexed {
    pub body: String,
    pub chars: String,
}

impl Indexed {
    pub fn is_empty(&self) -> bool {
        self.body.is_empty() && self.chars.is_empty()
    }
}

/// What the index stores for `text`.
pub fn index_text(text: &str) -> Indexed {
    let mut out = Indexed::default();
    for piece in segment(text) {
        match piece {
            Piece::Word { term, .. } => push_term(&mut out.body, &term),
            Piece::Cjk { chars, .. } => {
                for term in body_terms(&chars) {
                    push_term(&mut out.body, &term);
                }
                for c in chars {
                    push_term(&mut out.chars, c.encode_utf8(&mut [0; 4]));
                }
            }
        }
    }
    out
}

/// The `body` terms of a CJK run: its bigrams, or the character itself if it stands alone.
pub fn body_terms(chars: &[char]) -> Vec<String> {
    if chars.len() == 1 {
        return vec![chars[0].to_string()];
    }
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

fn push_term(out: &mut String, term: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(term);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        segment(text)
            .into_iter()
            .map(|p| match p {
                Piece::Word { term, .. } => term,
                Piece::Cjk { chars, .. } => chars.into_iter().collect(),
            })
            .collect()
    }

    #[test]
    fn latin_is_folded_and_stemmed() {
        assert_eq!(
            words("Deployed, DEPLOYING deploys!"),
            ["deploy", "deploy", "deploy"]
        );
        assert_eq!(words("Café crème"), ["cafe", "creme"]);
        assert_eq!(words("ＡＢＣ naïve"), ["abc", "naiv"]);
        assert_eq!(words("v2.1"), ["v2", "1"]);
    }

    #[test]
    fn scripts_split_at_their_boundaries() {
        assert_eq!(words("v2部署"), ["v2", "部署"]);
        assert_eq!(words("明天部署新版本"), ["明天部署新版本"]);
        assert_eq!(words("部署v2了"), ["部署", "v2", "了"]);
        assert_eq!(words("今日はデプロイ"), ["今日はデプロイ"]);
        assert_eq!(words("배포했어요 ok"), ["배포했어요", "ok"]);
    }

    #[test]
    fn emoji_and_punctuation_are_dropped() {
        assert!(segment("🎉🎉 👍").is_empty());
        assert!(index_text("🚀 —— !!! 。").is_empty());
        assert_eq!(words("🎉ship it🎉"), ["ship", "it"]);
    }

    #[test]
    fn cjk_is_indexed_as_bigrams_and_characters() {
        let indexed = index_text("明天部署 v2");
        assert_eq!(indexed.body, "明天 天部 部署 v2");
        assert_eq!(indexed.chars, "明 天 部 署");
        assert_eq!(index_text("好").body, "好");
        // Korean syllables stay whole; Japanese voiced kana keep their marks.
        assert_eq!(index_text("배포").body, "배포");
        assert_eq!(index_text("ガス").chars, "ガ ス");
        // Half-width katakana meet the full-width form.
        assert_eq!(index_text("ｶﾒﾗ").chars, "カ メ ラ");
    }

    #[test]
    fn offsets_point_into_the_source() {
        let pieces = segment("Café 🎉 部署");
        assert_eq!(
            pieces[0],
            Piece::Word {
                term: "cafe".into(),
                start: 0,
                end: 4
            }
        );
        assert_eq!(
            pieces[1],
            Piece::Cjk {
                chars: vec!['部', '署'],
                offsets: vec![7, 8]
            }
        );
    }
}
