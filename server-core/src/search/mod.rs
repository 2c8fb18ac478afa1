//! Full-text search, storage-independent: the segmenter shared by the index and queries
//! (`tokens`), the query language (`query`) and ranking with highlights (`rank`). SQL is in
//! `store/search.rs`; who may see what is decided in `chat/search.rs`.

pub mod query;
pub mod rank;
pub mod tokens;

pub use query::{Invalid, Query, parse};
pub use tokens::{Indexed, index_text};
