//! The search query language: words, `"phrases"`, `-excluded` words and `key:value` filters,
//! parsed into a [`Query`] with the FTS5 expression that finds it. Parsing knows nothing of
//! users or rooms: `from:` and `in:` stay names for `chat::search` to resolve.

use chrono::NaiveDate;

use super::tokens::{Piece, body_terms, segment};

/// Queries longer than this (in characters) are refused rather than run.
pub const MAX_QUERY: usize = 500;
/// Words and phrases per query, included and excluded together.
const MAX_TERMS: usize = 32;

/// What a search query asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// Words and phrases to find, each a list of pieces that must all match.
    pub include: Vec<Term>,
    /// Words and phrases whose messages are left out.
    pub exclude: Vec<Term>,
    pub from: Option<String>,
    pub room: Option<String>,
    /// Days as given; the caller turns them into times.
    pub before: Option<NaiveDate>,
    pub after: Option<NaiveDate>,
    pub on: Option<NaiveDate>,
    pub has: Has,
    /// `is:pinned`: only pinned messages.
    pub pinned: bool,
}

/// The `has:` filters given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Has {
    pub file: bool,
    pub image: bool,
    pub link: bool,
}

/// One word or quoted phrase, segmented.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub pieces: Vec<Piece>,
    /// Quoted: the pieces must appear in order, next to each other.
    pub phrase: bool,
}

/// Why a query cannot run: a message naming the part at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Query {
    /// Whether the query has words or phrases to look for (not only filters).
    pub fn has_text(&self) -> bool {
        !self.include.is_empty()
    }

    /// The FTS5 match expression: every included term, minus every excluded one.
    pub fn fts(&self) -> Option<String> {
        if self.include.is_empty() {
            return None;
        }
        let mut expr = self
            .include
            .iter()
            .map(Term::fts)
            .collect::<Vec<_>>()
            .join(" AND ");
        for term in &self.exclude {
            expr = format!("({expr}) NOT {}", term.fts());
        }
        Some(expr)
    }
}

impl Term {
    /// This term as an FTS5 expression over the `body` and `chars` columns.
    fn fts(&self) -> String {
        let body = |pieces: &[Piece]| -> Vec<String> {
            pieces
                .iter()
                .flat_map(|p| match p {
                    Piece::Word { term, .. } => vec![term.clone()],
                    Piece::Cjk { chars, .. } => body_terms(chars),
                })
                .collect()
        };
        let parts: Vec<String> = if self.phrase {
            vec![phrase_expr(&body(&self.pieces), &self.pieces)]
        } else {
            self.pieces
                .iter()
                .map(|p| phrase_expr(&body(std::slice::from_ref(p)), std::slice::from_ref(p)))
                .collect()
        };
        format!("({})", parts.join(" AND "))
    }
}

/// A phrase over `body`; a single CJK character is looked up in `chars` instead, where every
/// character is indexed (in `body` it appears only inside bigrams).
fn phrase_expr(terms: &[String], pieces: &[Piece]) -> String {
    if let [Piece::Cjk { chars, .. }] = pieces {
        if chars.len() == 1 {
            return format!("chars : {}", quoted(&chars[0].to_string()));
        }
    }
    format!("body : {}", quoted(&terms.join(" ")))
}

/// An FTS5 string: terms inside double quotes, quotes doubled (terms hold none, but be safe).
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Parses a query string. Fails, naming the part at fault, on unknown filters, bad dates and
/// values, queries that are too long, and queries with nothing to search for.
pub fn parse(q: &str) -> Result<Query, Invalid> {
    if q.chars().count() > MAX_QUERY {
        return Err(Invalid(format!(
            "the query is too long: at most {MAX_QUERY} characters"
        )));
    }
    let mut query = Query::default();
    let mut any_filter = false;
    for token in split(q)? {
        match token {
            Token::Text {
                text,
                quoted,
                negated,
            } => {
                let pieces = segment(&text);
                if pieces.is_empty() {
                    continue; // Punctuation or emoji only: nothing to match.
                }
                let term = Term {
                    pieces,
                    phrase: quoted,
                };
                if negated {
                    query.exclude.push(term);
                } else {
                    query.include.push(term);
                }
            }
            Token::Filter { key, value } => {
                any_filter = true;
                filter(&mut query, &key, &value)?;
            }
        }
    }
    if query.include.len() + query.exclude.len() > MAX_TERMS {
        return Err(Invalid(format!(
            "too many words: at most {MAX_TERMS} words and phrases"
        )));
    }
    if !query.exclude.is_empty() && query.include.is_empty() {
        return Err(Invalid(
            "excluding words (-word) needs a word or phrase to search for".into(),
        ));
    }
    if query.include.is_empty() && !any_filter {
        return Err(Invalid(
            "nothing to search for: give a word, a phrase or a filter".into(),
        ));
    }
    Ok(query)
}

fn filter(query: &mut Query, key: &str, value: &str) -> Result<(), Invalid> {
    let part = format!("{key}:{value}");
    if value.is_empty() {
        return Err(Invalid(format!("{key}: needs a value")));
    }
    let date = || {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map_err(|_| Invalid(format!("{part}: the date must be YYYY-MM-DD")))
    };
    match key {
        "from" => query.from = Some(value.trim_start_matches('@').to_owned()),
        "in" => query.room = Some(value.trim_start_matches('#').to_owned()),
        "before" => query.before = Some(date()?),
        "after" => query.after = Some(date()?),
        "on" => query.on = Some(date()?),
        "has" => match value {
            "file" => query.has.file = true,
            "image" => query.has.image = true,
            "link" => query.has.link = true,
            _ => {
                return Err(Invalid(format!("{part}: has: takes file, image or link")));
            }
        },
        "is" if value == "pinned" => query.pinned = true,
        "is" => return Err(Invalid(format!("{part}: is: takes pinned"))),
        _ => return Err(Invalid(format!("{part}: unknown filter {key}:"))),
    }
    Ok(())
}

#[derive(Debug, PartialEq)]
enum Token {
    Text {
        text: String,
        quoted: bool,
        negated: bool,
    },
    Filter {
        key: String,
        value: String,
    },
}

/// Splits on whitespace, keeping `"quoted text"` together (also as a filter's value).
fn split(q: &str) -> Result<Vec<Token>, Invalid> {
    let mut tokens = Vec::new();
    let mut chars = q.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let negated = first == '-';
        if negated {
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let text: String = chars.by_ref().take_while(|c| *c != '"').collect();
            tokens.push(Token::Text {
                text,
                quoted: true,
                negated,
            });
            continue;
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
            word.push(c);
            // A filter's value may be quoted: in:"team plans".
            if c == ':' && chars.peek() == Some(&'"') && is_filter_key(&word[..word.len() - 1]) {
                chars.next();
                word.extend(chars.by_ref().take_while(|c| *c != '"'));
                break;
            }
        }
        match word.split_once(':') {
            Some((key, value)) if !negated && is_filter_key(key) && !value.starts_with("//") => {
                tokens.push(Token::Filter {
                    key: key.to_ascii_lowercase(),
                    value: value.to_owned(),
                });
            }
            _ => tokens.push(Token::Text {
                text: word,
                quoted: false,
                negated,
            }),
        }
    }
    Ok(tokens)
}

/// `key:` is a filter when the key is a plain ASCII word (`http://…` and `10:30` are text).
fn is_filter_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(q: &str) -> String {
        parse(q).unwrap().fts().unwrap()
    }

    fn error(q: &str) -> String {
        parse(q).unwrap_err().0
    }

    #[test]
    fn words_become_terms() {
        assert_eq!(fts("Deployed"), r#"(body : "deploy")"#);
        assert_eq!(fts("署"), r#"(chars : "署")"#);
        assert_eq!(fts("部署"), r#"(body : "部署")"#);
        assert_eq!(fts("明天部署"), r#"(body : "明天 天部 部署")"#);
        assert_eq!(fts("v2部署"), r#"(body : "v2" AND body : "部署")"#);
        assert_eq!(fts("部署 v2"), r#"(body : "部署") AND (body : "v2")"#);
    }

    #[test]
    fn phrases_and_exclusions() {
        assert_eq!(fts(r#""new Version""#), r#"(body : "new version")"#);
        assert_eq!(
            fts("deploy -friday"),
            r#"((body : "deploy")) NOT (body : "friday")"#
        );
        assert_eq!(fts(r#"a -"b c""#), r#"((body : "a")) NOT (body : "b c")"#);
    }

    #[test]
    fn filters_are_read() {
        let q = parse(r#"from:@alice in:"team plans" on:2026-03-01 has:link x"#).unwrap();
        assert_eq!(q.from.as_deref(), Some("alice"));
        assert_eq!(q.room.as_deref(), Some("team plans"));
        assert_eq!(q.on, NaiveDate::from_ymd_opt(2026, 3, 1));
        assert!(q.has.link && !q.has.file);
        assert!(!q.pinned && parse("is:pinned").unwrap().pinned);
        assert!(parse("from:bob").unwrap().fts().is_none());
        // URLs and times are text, not filters.
        assert_eq!(parse("https://example.com").unwrap().include.len(), 1);
        assert_eq!(parse("10:30").unwrap().include.len(), 1);
    }

    #[test]
    fn bad_queries_name_the_part_at_fault() {
        assert!(error("color:red").contains("color:red"));
        assert!(error("before:2026-13-01").contains("before:2026-13-01"));
        assert!(error("on:yesterday").contains("YYYY-MM-DD"));
        assert!(error("has:video").contains("has:video"));
        assert!(error("is:starred").contains("is:starred"));
        assert!(error(&"a".repeat(4000)).contains("too long"));
        assert!(error(r#"- "" -"#).contains("nothing to search"));
        assert!(error("🎉").contains("nothing to search"));
        assert!(error("-deploy").contains("-word"));
        assert!(error("from:").contains("needs a value"));
    }
}
