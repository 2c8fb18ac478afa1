//! Ranking and highlighting, computed in Rust from each candidate's text so both are the same
//! whatever stores the index. The score is BM25 over the candidate window (the newest matches,
//! see `chat::search`) plus a recency term of equal weight, so a fair match from today beats a
//! slightly better one from last year. It depends only on the window, never on messages that
//! arrived later, which keeps cursors stable.

use super::query::{Query, Term};
use super::tokens::{Piece, segment};
use crate::model::MessageId;
use crate::time::Millis;

/// BM25's usual constants.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Recency halves every two weeks.
const HALF_LIFE_MS: f64 = 14.0 * 24.0 * 3600.0 * 1000.0;

/// A message that matched the index, to be ranked.
pub struct Candidate<'a> {
    pub id: MessageId,
    pub content: &'a str,
    pub timestamp: Millis,
}

/// Character ranges `[start, end)` of `content` that match the query's included terms,
/// sorted and merged.
pub fn highlights(query: &Query, content: &str) -> Vec<[usize; 2]> {
    let pieces = segment(content);
    let mut spans: Vec<[usize; 2]> = query
        .include
        .iter()
        .flat_map(|term| term_spans(term, &pieces))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<[usize; 2]> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span[0] <= last[1] => last[1] = last[1].max(span[1]),
            _ => merged.push(span),
        }
    }
    merged
}

/// Scores candidates (higher is better), in the order given.
pub fn scores(query: &Query, candidates: &[Candidate<'_>]) -> Vec<f64> {
    let n = candidates.len() as f64;
    let mut lengths = Vec::with_capacity(candidates.len());
    // Term frequency of each included term in each candidate.
    let mut tf: Vec<Vec<f64>> = Vec::with_capacity(candidates.len());
    for c in candidates {
        let pieces = segment(c.content);
        lengths.push(
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Word { .. } => 1,
                    Piece::Cjk { chars, .. } => chars.len(),
                })
                .sum::<usize>()
                .max(1) as f64,
        );
        tf.push(
            query
                .include
                .iter()
                .map(|t| term_spans(t, &pieces).len() as f64 / t.pieces.len().max(1) as f64)
                .collect(),
        );
    }
    let avg_len = lengths.iter().sum::<f64>() / n.max(1.0);
    let idf: Vec<f64> = (0..query.include.len())
        .map(|t| {
            let df = tf.iter().filter(|row| row[t] > 0.0).count() as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    let bm25: Vec<f64> = tf
        .iter()
        .zip(&lengths)
        .map(|(row, len)| {
            row.iter()
                .zip(&idf)
                .map(|(f, idf)| idf * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * len / avg_len)))
                .sum()
        })
        .collect();
    let best = bm25.iter().copied().fold(0.0_f64, f64::max);
    let newest = candidates.iter().map(|c| c.timestamp).max().unwrap_or(0);
    candidates
        .iter()
        .zip(&bm25)
        .map(|(c, score)| {
            let relevance = if best > 0.0 { score / best } else { 0.0 };
            let age = (newest - c.timestamp).max(0) as f64;
            relevance + 0.5_f64.powf(age / HALF_LIFE_MS)
        })
        .collect()
}

/// Where `term` matches among a text's `pieces`.
fn term_spans(term: &Term, pieces: &[Piece]) -> Vec<[usize; 2]> {
    let mut spans = Vec::new();
    for wanted in &term.pieces {
        for piece in pieces {
            match (wanted, piece) {
                (Piece::Word { term: w, .. }, Piece::Word { term, start, end }) if w == term => {
                    spans.push([*start, *end]);
                }
                (Piece::Cjk { chars: w, .. }, Piece::Cjk { chars, offsets }) if w.len() <= chars.len() => {
                    for (i, window) in chars.windows(w.len()).enumerate() {
                        if window == w.as_slice() {
                            spans.push([offsets[i], offsets[i + w.len() - 1] + 1]);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse;

    #[test]
    fn highlights_are_character_offsets() {
        let q = parse("部署 deploy").unwrap();
        assert_eq!(
            highlights(&q, "明天部署新版本, deployed 🎉 Deploying"),
            [[2, 4], [9, 17], [20, 29]]
        );
        assert_eq!(highlights(&parse("署").unwrap(), "部署部署"), [[1, 2], [3, 4]]);
        assert_eq!(highlights(&parse("cafe").unwrap(), "Un café?"), [[3, 7]]);
    }

    #[test]
    fn better_and_newer_matches_score_higher() {
        let q = parse("deploy").unwrap();
        let day = 24 * 3600 * 1000;
        let c = |id, content, timestamp| Candidate {
            id,
            content,
            timestamp,
        };
        let s = scores(
            &q,
            &[
                c(1, "deploy deploy now", 100 * day),
                c(
                    2,
                    "we will deploy the new version of the server tomorrow",
                    100 * day,
                ),
                c(3, "deploy deploy now", 10 * day),
            ],
        );
        assert!(s[0] > s[1], "{s:?}");
        assert!(s[0] > s[2], "{s:?}");
    }
}
