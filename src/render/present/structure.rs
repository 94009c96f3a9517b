//! The sanitized tree made to fit the page: trailers cut, headings that continue the page's,
//! captions where HTML allows them, blocks out of phrasing elements.

use dom_query::{Document, NodeRef};

/// The block holding a trailer's first text, and all after it (and the rules before it).
pub(super) fn cut_trailers(root: &NodeRef<'_>, markers: &[String]) {
    if markers.is_empty() {
        return;
    }
    let top: Vec<NodeRef<'_>> = root.children();
    let Some(at) = top.iter().position(|n| {
        let t = n.text();
        markers.iter().any(|m| t.contains(m.as_str()))
    }) else {
        return;
    };
    let mut from = at;
    while from > 0 {
        let prev = &top[from - 1];
        let blank = prev.is_text() && prev.text().trim().is_empty();
        if blank || prev.has_name("hr") {
            from -= 1;
        } else {
            break;
        }
    }
    for n in &top[from..] {
        n.remove_from_parent();
    }
}

/// The content's headings continue the page's (its title is the only `h1`): levels in the
/// order they appear, never more than one deeper than the one before.
pub(super) fn headings(doc: &Document) {
    let hs = doc.select("h1, h2, h3, h4, h5, h6").nodes().to_vec();
    if hs.is_empty() {
        return;
    }
    let level = |n: &NodeRef<'_>| -> u8 {
        n.node_name()
            .and_then(|name| name.as_ref().strip_prefix('h').and_then(|d| d.parse().ok()))
            .unwrap_or(2)
    };
    let mut levels: Vec<u8> = hs.iter().map(level).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut prev = 1u8;
    for h in &hs {
        let rank = levels.iter().position(|&l| l == level(h)).unwrap_or(0) as u8 + 2;
        let out = rank.min(prev + 1).min(6);
        h.rename(&format!("h{out}"));
        prev = out;
    }
}

/// `figcaption` only as the first or last child of a `figure`: a `div` holding one at its
/// edge becomes the figure; any other is a caption paragraph.
pub(super) fn captions(doc: &Document) {
    for c in doc.select("figcaption").nodes() {
        let Some(parent) = c.parent() else { continue };
        let kids = parent.element_children();
        let edge =
            kids.first().is_some_and(|k| k.id == c.id) || kids.last().is_some_and(|k| k.id == c.id);
        let many = kids.iter().filter(|k| k.has_name("figcaption")).count() > 1;
        if edge && !many && parent.has_name("div") {
            parent.rename("figure");
        }
        if !(edge && !many && parent.has_name("figure")) {
            c.rename("p");
            c.set_attr("class", "caption");
        }
    }
}

/// Elements that hold only phrasing content.
const PHRASING: [&str; 18] = [
    "span", "b", "strong", "i", "em", "u", "s", "small", "big", "font", "sub", "sup", "mark",
    "cite", "q", "abbr", "code", "label",
];

/// A block (a paragraph, a list…) inside a phrasing element (`<span><div>`, `<b><p>`), which
/// browsers show but HTML does not allow: the phrasing element becomes a `div` (bold and
/// italic kept by a class).
pub(super) fn blocks_in_phrasing(doc: &Document) {
    let blocks = doc
        .select("div, p, ul, ol, dl, table, blockquote, figure, pre, hr, h2, h3, h4, h5, h6, section, article, address")
        .nodes()
        .to_vec();
    for b in blocks {
        let mut up = b.parent();
        let mut steps = 0;
        while let Some(a) = up {
            steps += 1;
            if steps > 64 || !a.is_element() || a.has_name("html") {
                break;
            }
            let name = a.node_name().map(|n| n.to_string()).unwrap_or_default();
            if PHRASING.contains(&name.as_str()) {
                let class = match name.as_str() {
                    "b" | "strong" => Some("bold"),
                    "i" | "em" | "cite" => Some("italic"),
                    _ => None,
                };
                a.rename("div");
                if let Some(c) = class {
                    a.set_attr("class", c);
                }
            }
            up = a.parent();
        }
    }
}
