//! Content and titles: the fullest content an item holds, as HTML, and titles as text.
//!
//! Content is looked for in every element feeds put it in, fullest first: `content:encoded`,
//! Atom `<content>`, `<xhtml:body>` / `<body>`, `<fullitem>`; then the summaries:
//! `<description>`, Atom `<summary>`, `dc:description`, `itunes:summary`, `media:description`
//! (YouTube's, inside `media:group`). HTML left unescaped inside an element is written back
//! as HTML; Atom text constructs follow their `type` (`text`, `html`, `xhtml`, a MIME type,
//! base64 for other types, Atom 0.3's `mode`).

use base64::Engine;

use super::text::{html_to_text, looks_like_html, text_as_html};
use super::xml::Element;

/// How an Atom text construct (or any typed element) holds its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// No `type`: text, though markup in it is read as markup (as feedparser does).
    Unstated,
    Text,
    Html,
    Xhtml,
    Base64,
}

/// The kind an element's `type` (and Atom 0.3 `mode`) attribute says.
pub fn kind_of(el: &Element) -> TextKind {
    let mode = el.attr("mode").map(|m| m.trim().to_ascii_lowercase());
    let ty = el.attr("type").map(|t| t.trim().to_ascii_lowercase());
    let by_type = match ty.as_deref() {
        None | Some("") => TextKind::Unstated,
        Some("text" | "text/plain") => TextKind::Text,
        Some("html" | "text/html") => TextKind::Html,
        Some("xhtml" | "application/xhtml+xml") => TextKind::Xhtml,
        Some(t) if t.starts_with("text/") => TextKind::Text,
        Some(t) if t.ends_with("+xml") || t.ends_with("/xml") => TextKind::Xhtml,
        Some(_) => TextKind::Base64,
    };
    match mode.as_deref() {
        Some("base64") => TextKind::Base64,
        Some("escaped") if by_type != TextKind::Text => TextKind::Html,
        Some("xml") if by_type == TextKind::Unstated => TextKind::Xhtml,
        _ => by_type,
    }
}

/// The markup inside an XHTML construct: the `<div>` wrapper's content, or all of it.
fn xhtml_inner(el: &Element) -> String {
    let mut elements = el.elements();
    let only = elements.next().filter(|_| elements.next().is_none());
    match only {
        Some(div)
            if div.raw.rsplit(':').next() == Some("div")
                && el.text().trim() == div.text().trim() =>
        {
            div.inner_html()
        }
        _ => el.inner_html(),
    }
}

fn base64_text(el: &Element) -> Option<String> {
    let compact: String = el.text().split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// An element's content as HTML, by its kind.
pub fn html_of(el: &Element) -> String {
    match kind_of(el) {
        _ if el.has_elements() && kind_of(el) != TextKind::Base64 => match kind_of(el) {
            TextKind::Xhtml => xhtml_inner(el),
            _ => el.inner_html(),
        },
        TextKind::Unstated | TextKind::Html | TextKind::Xhtml => el.text(),
        TextKind::Text => text_as_html(&el.text()),
        TextKind::Base64 => match base64_text(el) {
            Some(t) if looks_like_html(&t) => t,
            Some(t) => text_as_html(&t),
            None => text_as_html(&el.text()),
        },
    }
}

/// An element's text as a reader sees it, by its kind: markup removed, references decoded.
pub fn text_of(el: &Element) -> String {
    let kind = kind_of(el);
    if el.has_elements() && kind != TextKind::Base64 {
        let html = match kind {
            TextKind::Xhtml => xhtml_inner(el),
            _ => el.inner_html(),
        };
        return html_to_text(&html);
    }
    let text = el.text();
    match kind {
        TextKind::Text => text,
        TextKind::Html | TextKind::Xhtml => html_to_text(&text),
        TextKind::Unstated if looks_like_html(&text) => html_to_text(&text),
        TextKind::Unstated => text,
        TextKind::Base64 => match base64_text(el) {
            Some(t) if looks_like_html(&t) => html_to_text(&t),
            Some(t) => t,
            None => text,
        },
    }
}

/// Elements holding an item's title, in order of preference.
const TITLES: &[&str] = &[
    "title",
    "atom:title",
    "dc:title",
    "itunes:title",
    "media:title",
];

/// The title of an item or entry as text: the first of its `<title>`, `dc:title`,
/// `itunes:title` (podcasts), `media:title` (also inside `media:group`) that is not empty.
pub fn title_of(item: &Element) -> String {
    let groups = item.children_named("media:group");
    TITLES
        .iter()
        .flat_map(|n| item.children_named(n))
        .chain(groups.flat_map(|g| g.children_named("media:title")))
        .map(text_of)
        .find(|t| !t.trim().is_empty())
        .unwrap_or_default()
}

/// A feed's own title (the text of `el`, when there is any).
pub fn feed_title(el: Option<&Element>) -> Option<String> {
    el.map(text_of)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Elements holding full content, fullest first.
const FULL: &[&str] = &[
    "content:encoded",
    "atom:content",
    "content",
    "xhtml:body",
    "body",
    "fullitem",
];

/// Elements holding a summary, in order of preference.
const SUMMARY: &[&str] = &[
    "description",
    "atom:summary",
    "summary",
    "dc:description",
    "itunes:summary",
    "media:description",
    "abstract",
];

/// The fullest content of an item or entry, as HTML; empty when it has none.
pub fn content_of(item: &Element) -> String {
    content_with_source(item).0
}

/// The element [`content_of`] takes the content from.
pub fn content_element(item: &Element) -> Option<&Element> {
    content_with_source(item).1
}

fn content_with_source(item: &Element) -> (String, Option<&Element>) {
    for names in [FULL, SUMMARY] {
        for name in names {
            for el in item.children_named(name) {
                // An Atom `<content src="…">` is elsewhere: nothing to read here.
                if el.attr("src").is_some() && !el.has_elements() && el.text().trim().is_empty() {
                    continue;
                }
                let html = if *name == "media:description" || *name == "itunes:summary" {
                    media_text(el)
                } else {
                    html_of(el)
                };
                if !html.trim().is_empty() {
                    return (html, Some(el));
                }
            }
        }
    }
    // YouTube: `<media:group><media:description>`; also inside `media:content`.
    let media = item
        .children_named("media:group")
        .flat_map(|g| g.children_named("media:content").chain([g]))
        .chain(item.children_named("media:content"));
    for m in media {
        if let Some(d) = m.child(&["media:description"]) {
            let html = media_text(d);
            if !html.trim().is_empty() {
                return (html, Some(d));
            }
        }
    }
    (String::new(), None)
}

/// `media:description` and `itunes:summary` are plain text unless they say `type="html"`.
fn media_text(el: &Element) -> String {
    match kind_of(el) {
        TextKind::Html | TextKind::Xhtml => html_of(el),
        _ if el.has_elements() => el.inner_html(),
        _ => text_as_html(&el.text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::xml;

    fn el(src: &str) -> Element {
        xml::parse(src).root().cloned().unwrap()
    }

    #[test]
    fn titles_as_text() {
        for (src, want) in [
            ("<title>A &amp;amp; B</title>", "A & B"),
            ("<title><![CDATA[中 &amp; 文]]></title>", "中 & 文"),
            ("<title>&lt;b&gt;粗体&lt;/b&gt; 标题</title>", "粗体 标题"),
            ("<title><b>naked</b> markup</title>", "naked markup"),
            ("<title>[链接](x) 标题</title>", "[链接](x) 标题"),
            ("<title>新闻&nbsp;标题</title>", "新闻\u{a0}标题"),
            (
                "<title type=\"html\">&lt;b&gt;x&lt;/b&gt; &amp;amp; y</title>",
                "x & y",
            ),
            (
                "<title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><b>x</b> &amp; <i>y</i></div></title>",
                "x & y",
            ),
            (
                "<title type=\"text\">a &lt;b&gt; c &amp; d</title>",
                "a <b> c & d",
            ),
            ("<title><![CDATA[<em>中文</em> 标题]]></title>", "中文 标题"),
            (
                "<title type=\"html\">Example <a href=\"x\">test</a></title>",
                "Example test",
            ),
            ("<title type=\"\">evil</title>", "evil"),
            (
                "<title type=\"application/octet-stream\">aGVsbG8=</title>",
                "hello",
            ),
        ] {
            assert_eq!(text_of(&el(src)), want, "{src}");
        }
        assert_eq!(
            title_of(&el("<item><dc:title>only dc</dc:title></item>")),
            "only dc"
        );
        // attack-feeds F10: an empty title hides nothing; podcasts' itunes:title.
        let ns = r#"xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd""#;
        for (inner, want) in [
            (
                "<title></title><dc:title>dc after empty title</dc:title>",
                "dc after empty title",
            ),
            (
                "<title> </title><itunes:title>Episode 1</itunes:title>",
                "Episode 1",
            ),
            ("<itunes:title>Episode 2</itunes:title>", "Episode 2"),
            (
                "<title>&lt;![CDATA[escaped cdata]]&gt;</title>",
                "escaped cdata",
            ),
        ] {
            assert_eq!(
                title_of(&el(&format!("<item {ns}>{inner}</item>"))),
                want,
                "{inner}"
            );
        }
    }

    #[test]
    fn content_from_every_element() {
        for (src, want) in [
            (
                "<item><description>short</description><content:encoded><![CDATA[<p>full</p>]]></content:encoded></item>",
                "<p>full</p>",
            ),
            (
                "<item><description><p>段落 <b>粗</b></p></description></item>",
                "<p>段落 <b>粗</b></p>",
            ),
            (
                "<item><body xmlns=\"http://www.w3.org/1999/xhtml\"><p>b</p></body></item>",
                "<p>b</p>",
            ),
            (
                "<item><xhtml:body xmlns:xhtml=\"http://www.w3.org/1999/xhtml\"><xhtml:p>x</xhtml:p></xhtml:body></item>",
                "<p>x</p>",
            ),
            (
                "<item><fullitem>&lt;p&gt;f&lt;/p&gt;</fullitem><description>d</description></item>",
                "<p>f</p>",
            ),
            (
                "<entry><summary type=\"application/octet-stream\">PHA+aGk8L3A+</summary></entry>",
                "<p>hi</p>",
            ),
            (
                "<entry><content type=\"text\">a < b\nc</content></entry>",
                "a &lt; b<br>\nc",
            ),
            (
                "<entry><content type=\"text/html\" mode=\"escaped\">&lt;p&gt;x&lt;/p&gt;</content></entry>",
                "<p>x</p>",
            ),
            (
                "<entry><media:group><media:description>Line 1\nLine 2</media:description></media:group></entry>",
                "Line 1<br>\nLine 2",
            ),
            (
                "<entry><content src=\"http://x.example/c\"/><summary>s</summary></entry>",
                "s",
            ),
            (
                // attack-feeds F10: the description inside the media item.
                "<item><media:content url=\"http://v.example/v.mp4\"><media:description>inside</media:description></media:content></item>",
                "inside",
            ),
            (
                "<item><media:group><media:content url=\"http://v.example/v.mp4\"><media:description>in group</media:description></media:content></media:group></item>",
                "in group",
            ),
        ] {
            assert_eq!(content_of(&el(src)), want, "{src}");
        }
    }
}
