//! Bounded nesting: HTML of any depth made shallow before any tree is built.
//!
//! An HTML parser checks scopes by walking its stack of open elements (quadratic in the
//! depth) and tree walkers recurse (a stack overflow aborts the whole process): a page
//! nesting 100,000 elements does both. [`cap_depth`] reads the page once, tokenizing as a
//! browser does and modelling the parser's stack of open elements (implied end tags, scopes,
//! tables, foreign content, the formatting elements a parser reopens), and drops the tags of
//! elements that would open deeper than the cap; their text stays where it was. A page within
//! the cap comes back untouched, byte for byte. Every stage that builds a tree from strangers'
//! HTML (`extract`, `clean`) calls it first.
//!
//! The model errs on the deep side: where it cannot tell what a parser does, it assumes the
//! element stays open, so that a parser's real depth stays within the cap and a few levels.

mod model;
mod tokens;

use std::borrow::Cow;

use model::{Model, Start};
use tokens::{Kind, Tag, first_attributes, raw_text_end};

/// The deepest nesting kept. Articles nest a few dozen levels; Chromium's parser stops at 512.
pub const MAX_DEPTH: usize = 256;

/// The most attributes kept on one element. Tokenizers compare each attribute with those
/// before it (duplicates are dropped), so a tag with 100,000 attributes costs 10^10 steps;
/// articles use a handful.
pub const MAX_ATTRIBUTES: usize = 64;

/// The most elements kept on one page. Extraction scores an element against its siblings
/// (time quadratic in their number: `x<a>` × 250,000 ran past the 20 s budget) and every
/// element costs the parser, the sanitizer and the renderer; the largest real page in the
/// fixtures has under 5,000 start tags (a longer reference page may have more: past the cap
/// its markup goes, its text stays). Measured in BENCHMARKS.md ("Wide pages").
pub const MAX_ELEMENTS: usize = 10_000;

/// `html` bounded for every tree builder: [`cap_depth`] at [`MAX_DEPTH`] and at most
/// [`MAX_ELEMENTS`] elements. Every stage that parses strangers' HTML (extraction, the
/// sanitizer, the reader's display pass) calls this first.
pub fn bound(html: &str) -> Cow<'_, str> {
    cap(html, MAX_DEPTH, MAX_ELEMENTS)
}

/// [`cap`] with no limit on the number of elements.
pub fn cap_depth(html: &str, max: usize) -> Cow<'_, str> {
    cap(html, max, usize::MAX)
}

/// `html` with every element that would open deeper than `max` unwrapped (its start and end
/// tags dropped, its content kept), end tags a parser would ignore dropped (each one makes it
/// walk its stack of open elements), and tags with more than [`MAX_ATTRIBUTES`] attributes
/// cut to their first ones; borrowed when there is nothing to change. After `elements`
/// elements every further tag, comment and doctype is dropped (their text stays where it
/// was; the content of a `<script>` or `<style>` goes with it): one pass, linear in the page.
pub fn cap(html: &str, max: usize, elements: usize) -> Cow<'_, str> {
    let mut model = Model::new(max.max(1));
    let mut out = Output::new(html);
    let b = html.as_bytes();
    let mut i = 0;
    let mut kept = 0usize;
    while i < b.len() {
        let Some(lt) = b[i..].iter().position(|&c| c == b'<').map(|p| i + p) else {
            model.text(&b[i..]);
            break;
        };
        model.text(&b[i..lt]);
        let Some(tag) = Tag::read(b, lt) else {
            // `<` that opens no tag is text; an unfinished tag at the end is dropped by
            // parsers.
            i = lt + 1;
            continue;
        };
        i = tag.end;
        if kept >= elements {
            if let Kind::Start { name, .. } = tag.kind
                && (name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style"))
            {
                i = raw_text_end(b, i, name);
            }
            out.drop(lt, i);
            continue;
        }
        let crowded = tag.attributes > MAX_ATTRIBUTES;
        match tag.kind {
            Kind::Skip => {}
            Kind::End(name) => {
                if !model.end(name) {
                    out.drop(lt, tag.end);
                    continue;
                }
                // `</p>` and `</br>` may make an element.
                if name.eq_ignore_ascii_case("p") || name.eq_ignore_ascii_case("br") {
                    kept += 1;
                }
                if crowded {
                    out.replace(lt, tag.end, &format!("</{name}>"));
                }
            }
            Kind::Start {
                name,
                attrs,
                self_closing,
            } => {
                let cut;
                let attrs = if crowded {
                    cut = first_attributes(attrs, MAX_ATTRIBUTES);
                    cut.as_str()
                } else {
                    attrs
                };
                let start = model.start(name, attrs, self_closing);
                if crowded && !matches!(start, Start::Dropped) {
                    let close = if self_closing { "/>" } else { ">" };
                    out.replace(lt, tag.end, &format!("<{name}{attrs}{close}"));
                }
                if !matches!(start, Start::Dropped) {
                    kept += 1;
                }
                match start {
                    Start::Dropped => out.drop(lt, tag.end),
                    Start::Kept => {}
                    Start::RawText => i = raw_text_end(b, i, name),
                    Start::PlainText => break,
                }
            }
        }
    }
    out.finish()
}

/// The output, built only once something is dropped.
struct Output<'a> {
    src: &'a str,
    out: Option<String>,
    copied: usize,
}

impl<'a> Output<'a> {
    fn new(src: &'a str) -> Output<'a> {
        Output {
            src,
            out: None,
            copied: 0,
        }
    }

    fn drop(&mut self, from: usize, to: usize) {
        self.replace(from, to, "");
    }

    /// `src[from..to]` becomes `with` (ranges come in order and do not overlap).
    fn replace(&mut self, from: usize, to: usize, with: &str) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.src.len()));
        out.push_str(&self.src[self.copied..from]);
        out.push_str(with);
        self.copied = to;
    }

    fn finish(self) -> Cow<'a, str> {
        match self.out {
            None => Cow::Borrowed(self.src),
            Some(mut out) => {
                out.push_str(&self.src[self.copied..]);
                Cow::Owned(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_pages_are_untouched() {
        for html in [
            "<p>一<p>二<ul><li>a<li>b</ul><table><tr><td>1<td>2</table>",
            "<div><b>粗<i>斜</b>体</i></div><!-- <div><div> --><script>if (a<b) {}</script>",
            "<svg><path d=\"M0\"/><g><rect/></g></svg><br/><img src=x>",
        ] {
            assert!(matches!(cap_depth(html, 8), Cow::Borrowed(_)), "{html}");
        }
    }

    #[test]
    fn deep_nesting_is_cut_and_text_kept() {
        let html = format!("{}字{}", "<div>".repeat(1000), "</div>".repeat(1000));
        let out = cap_depth(&html, 10);
        assert_eq!(
            out,
            format!("{}字{}", "<div>".repeat(10), "</div>".repeat(10))
        );
        let bi = format!("{}深{}", "<b><i>".repeat(500), "</i></b>".repeat(500));
        let out = cap_depth(&bi, 10);
        assert!(
            out.contains('深') && out.matches("<b>").count() <= 10,
            "{out}"
        );
    }

    #[test]
    fn siblings_do_not_add_up() {
        let html = "<p>x</p>".repeat(1000) + &"<li>y".repeat(1000) + &"<td>z".repeat(1000);
        assert!(matches!(cap_depth(&html, 10), Cow::Borrowed(_)));
    }

    #[test]
    fn raw_text_and_comments_are_not_markup() {
        let html = format!(
            "<script>{}</script><!--{}--><textarea>{}</textarea>",
            "<div>".repeat(100),
            "<div>".repeat(100),
            "<div>".repeat(100)
        );
        assert!(matches!(cap_depth(&html, 10), Cow::Borrowed(_)));
        // A dropped script's text is markup to the parser: read as such.
        let deep = format!(
            "{}<script>{}</script>",
            "<div>".repeat(10),
            "<div>".repeat(50)
        );
        let out = cap_depth(&deep, 10);
        assert_eq!(out.matches("<div>").count(), 10, "{out}");
    }

    #[test]
    fn crowded_tags_keep_their_first_attributes() {
        let many: String = (0..1000).map(|k| format!(" a{k}=\"{k}\"")).collect();
        let html = format!("<div id=x{many}>正文</div><img src=a.jpg{many}/></p{many}>");
        let out = cap_depth(&html, 10);
        let kept: String = (0..MAX_ATTRIBUTES - 1)
            .map(|k| format!(" a{k}=\"{k}\""))
            .collect();
        assert!(
            out.starts_with(&format!("<div id=x{kept}>正文</div>")),
            "{out}"
        );
        assert!(out.contains(&format!("<img src=a.jpg{kept}/>")), "{out}");
        assert!(out.ends_with("</p>"), "{out}");
        // Duplicates count once (the tokenizer keeps the first).
        let dup = format!("<p{}>x</p>", " a=1 A=2".repeat(100) + " b=3");
        assert_eq!(cap_depth(&dup, 10), "<p a=1 b=3>x</p>");
        // Few attributes: untouched.
        let few = "<div a=1 a=2 b='>' c>x</div>";
        assert!(matches!(cap_depth(few, 10), Cow::Borrowed(_)));
    }

    #[test]
    fn end_tags_a_parser_ignores_are_dropped() {
        // Each would walk the whole stack of open elements (attack-hostile F2).
        let html = format!("{}{}正文", "<span>".repeat(300), "</x>".repeat(1000));
        let out = cap_depth(&html, 256);
        assert!(!out.contains("</x>"), "{}", &out[out.len() - 100..]);
        let math = format!("<math>{}{}正文", "<mi>".repeat(300), "</mx>".repeat(1000));
        assert!(!cap_depth(&math, 256).contains("</mx>"));
        // Blocked by a special element: ignored by the parser, dropped too.
        let blocked = "<x><div><span>a</x></x>b</span></div></x>";
        assert_eq!(cap_depth(blocked, 10), "<x><div><span>ab</span></div></x>");
        // End tags that do something stay: `</p>` and `</br>` make elements, `</h2>` closes
        // an `h1`.
        let kept = "</p><h1>t</h2><b>x</b></br><div></div>";
        assert!(matches!(cap_depth(kept, 10), Cow::Borrowed(_)));
    }

    #[test]
    fn formatting_elements_reopened_by_text_are_counted() {
        // Each closed block leaves its `b`s to be reopened by the text that follows.
        let unit: String = (0..40).map(|k| format!("<b id={k}>")).collect();
        let html = format!("<div>{unit}</div>x").repeat(50);
        let out = cap_depth(&html, 64);
        assert!(out.matches("<b ").count() < 50 * 40, "nothing dropped");
    }

    #[test]
    fn elements_past_the_cap_are_dropped_and_their_text_kept() {
        let html = format!("<p>a</p>{}<script>x<b></script>尾</p>", "<a>b".repeat(10));
        let out = cap(&html, 256, 5);
        // (`</p>` counts: it makes a `p` when none is open)
        assert_eq!(
            out,
            format!("<p>a</p>{}{}尾", "<a>b".repeat(3), "b".repeat(7))
        );
        // `</p>` makes an element; comments past the cap go too.
        let ps = "</p>".repeat(10) + "<!-- c -->t";
        assert_eq!(cap(&ps, 256, 3), "</p></p></p>t");
        // Elements dropped for depth do not count; within the cap nothing changes.
        let deep = format!("{}x{}", "<i>".repeat(20), "<br>".repeat(5));
        assert_eq!(
            cap(&deep, 4, 9),
            format!("{}x{}", "<i>".repeat(4), "<br>".repeat(5))
        );
        assert!(matches!(cap(&html, 256, 100), Cow::Borrowed(_)));
    }
}
