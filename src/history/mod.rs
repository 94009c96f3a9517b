//! History: telling an edit from noise, word-level diffs that work on Chinese, and rechecking
//! article pages for removals (`recheck`).
//!
//! Owns the rules of what counts as a new revision and as a removal. Uses `fetch` and `store`;
//! never writes mirror files (the `archive` driver and `render` do).

mod diff;
pub mod recheck;

pub use crate::text::{content_hash, fnv1a, text_of_html};
pub use diff::{Change, diff_text, short_diff, tokens};
