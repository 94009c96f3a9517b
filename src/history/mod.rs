//! History: telling an edit from noise, word-level diffs that work on Chinese, and rechecking
//! article pages for removals (`recheck`).
//!
//! Owns the rules of what counts as a new revision and as a removal. Uses `fetch` and `store`;
//! never writes mirror files (the `archive` driver and `render` do).

mod diff;
pub mod recheck;

pub use diff::{Change, diff_text, short_diff, text_of_html, tokens};

use crate::archive::canonical_link;

/// The hash of an article's title and content, normalized so that white space and tracking
/// parameters in links do not count as an edit. Stable across versions (FNV-1a, 64 bits).
pub fn content_hash(title: &str, content: &str) -> String {
    let norm = format!("{}\u{0}{}", normalize(title), normalize(content));
    format!("{:016x}", fnv1a(norm.as_bytes()))
}

/// FNV-1a, 64 bits: a stable hash (the same in every version and on every machine).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Lines trimmed and joined (as the mirror file holds them), white space folded (and dropped
/// around tags), links without tracking parameters.
fn normalize(s: &str) -> String {
    let flat = crate::mirror::flatten_content(s);
    let mut out = String::with_capacity(flat.len());
    let mut rest = flat.as_str();
    // Tracking parameters live in query strings: without a `?` there is nothing to drop.
    let has_query = flat.contains('?');
    while has_query && let Some(pos) = rest.find("http") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
            .unwrap_or(tail.len());
        let candidate = &tail[..end];
        let canon = url::Url::parse(&candidate.replace("&amp;", "&"))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| canonical_link(&u));
        out.push_str(canon.as_deref().unwrap_or(candidate));
        rest = &tail[end..];
    }
    out.push_str(rest);
    let mut folded = String::with_capacity(out.len());
    let mut space = false;
    for c in out.chars() {
        if c.is_whitespace() || c == '\u{FEFF}' {
            space = true;
            continue;
        }
        if space && !folded.is_empty() && !folded.ends_with('>') && c != '<' {
            folded.push(' ');
        }
        space = false;
        folded.push(c);
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_not_an_edit() {
        let a = content_hash(
            "标题",
            "<p>一段话 <a href=\"https://x.example/a?id=1&utm_source=rss\">链接</a></p>\n<p>二</p>",
        );
        let b = content_hash(
            " 标题 ",
            "<p>一段话  <a href=\"https://x.example/a?id=1\">链接</a></p><p>二</p> ",
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            content_hash(
                "标题",
                "<p>一段話 <a href=\"https://x.example/a?id=1\">链接</a></p><p>二</p>"
            )
        );
        assert_ne!(
            a,
            content_hash(
                "新标题",
                "<p>一段话 <a href=\"https://x.example/a?id=1\">链接</a></p><p>二</p>"
            )
        );
    }
}
