//! A second opinion for pages where the general extractor returns a list of links (an
//! aggregator's related items, a navigation bar in a layout table) instead of an article: the
//! element holding the most text outside links, readability-style. An article body is never
//! mostly links.

use std::collections::HashMap;

use dom_query::{Document, NodeRef};

/// Elements whose text counts for the block that holds them.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "td",
    "li",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "dd",
    "font",
];

/// Class and id words of page furniture.
const FURNITURE: &[&str] = &[
    "nav",
    "menu",
    "footer",
    "comment",
    "sidebar",
    "share",
    "related",
    "recommend",
    "copyright",
    "breadcrumb",
    "banner",
    "login",
    "header",
    "toolbar",
    "tag",
];

/// Share of `html`'s text that is link text, and its length in characters (one pass over the
/// markup, no parsing: it runs on every extracted article).
pub fn link_density(html: &str) -> (usize, f64) {
    let (mut all, mut links) = (0usize, 0usize);
    let (mut in_tag, mut in_link) = (false, 0usize);
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if in_tag {
            if c == '>' {
                in_tag = false;
            }
        } else if c == '<' {
            in_tag = true;
            let tag = rest.as_bytes().get(1..3).unwrap_or_default();
            if tag.eq_ignore_ascii_case(b"a ") || tag.eq_ignore_ascii_case(b"a>") {
                in_link += 1;
            } else if rest.len() >= 4 && rest.as_bytes()[1..4].eq_ignore_ascii_case(b"/a>") {
                in_link = in_link.saturating_sub(1);
            }
        } else if c == '&'
            && let Some(end) = rest.get(..10).or(Some(rest)).and_then(|h| h.find(';'))
        {
            // An entity is one character; `&nbsp;` is white space.
            let name = &rest[1..end];
            if !matches!(name, "nbsp" | "#160" | "#xa0" | "#xA0") {
                all += 1;
                if in_link > 0 {
                    links += 1;
                }
            }
            rest = &rest[end + 1..];
            continue;
        } else if !c.is_whitespace() {
            all += 1;
            if in_link > 0 {
                links += 1;
            }
        }
        rest = &rest[c.len_utf8()..];
    }
    (
        all,
        if all == 0 {
            1.0
        } else {
            links as f64 / all as f64
        },
    )
}

fn name(n: &NodeRef<'_>) -> String {
    n.node_name().map(|t| t.to_string()).unwrap_or_default()
}

fn furniture(n: &NodeRef<'_>) -> bool {
    let words = format!(
        "{} {}",
        n.class().map(|c| c.to_string()).unwrap_or_default(),
        n.id_attr().map(|c| c.to_string()).unwrap_or_default()
    )
    .to_ascii_lowercase();
    FURNITURE.iter().any(|w| words.contains(w))
}

/// The element of the page with the most text outside links: (its HTML, its text).
pub fn densest_block(page: &str) -> Option<(String, String)> {
    let doc = Document::from(page);
    doc.select(
        "script, style, noscript, template, svg, nav, header, footer, aside, select, \
         button, iframe, object",
    )
    .remove();
    let body = doc.body()?;
    let mut score: HashMap<dom_query::NodeId, f64> = HashMap::new();
    for node in body.descendants_it() {
        if !node.is_text() {
            continue;
        }
        let len = node.text().chars().filter(|c| !c.is_whitespace()).count();
        if len < 10 {
            continue;
        }
        let mut block = None;
        let mut in_link = false;
        for a in node.ancestors_it(Some(12)) {
            let n = name(&a);
            if n == "a" {
                in_link = true;
                break;
            }
            if BLOCKS.contains(&n.as_str()) {
                block = Some(a);
                break;
            }
        }
        let (Some(block), false) = (block, in_link) else {
            continue;
        };
        // Punctuation is the mark of sentences (both Chinese and Latin).
        let commas = node
            .text()
            .chars()
            .filter(|c| matches!(c, '，' | '。' | ',' | '.' | '；' | '、'))
            .count();
        let points = len as f64 + 10.0 * commas as f64;
        *score.entry(block.id).or_default() += points;
        if let Some(parent) = block.parent() {
            *score.entry(parent.id).or_default() += points / 2.0;
        }
    }
    let best = score
        .iter()
        .map(|(id, s)| {
            let n = NodeRef::new(*id, &doc.tree);
            let s = if furniture(&n) { s * 0.2 } else { *s };
            (s, *id)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let node = NodeRef::new(best.1, &doc.tree);
    let text = node.formatted_text().to_string();
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    (chars >= 100).then(|| (node.inner_html().to_string(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_density_counts_link_text() {
        let (n, d) =
            link_density("<p>正文&nbsp;正文</p><ul><li><a href=\"/x\">链&amp;</a></li></ul>");
        assert_eq!(n, 6);
        assert!((d - 2.0 / 6.0).abs() < 1e-9);
        assert_eq!(link_density("").1, 1.0);
    }
}
