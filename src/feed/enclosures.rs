//! Enclosures and media: podcast audio (`<enclosure>`, Atom `rel="enclosure"`), Media RSS
//! (`media:content`, `media:thumbnail`, inside `media:group` too), `itunes:image`, and JSON
//! Feed attachments and images; and the block of links the archive appends to an article
//! whose content does not already point at them.

use url::Url;

use super::links::{base_of, href_of, rel_of};
use super::text::escape_attr;
use super::xml::Element;

/// What kind of attachment an enclosure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnclosureKind {
    /// An RSS `<enclosure>`, an Atom `rel="enclosure"` link, a JSON Feed attachment.
    Enclosure,
    /// A Media RSS `media:content`.
    Media,
    /// A picture standing for the item: `media:thumbnail`, `itunes:image`, JSON Feed `image`
    /// or `banner_image`.
    Thumbnail,
}

impl EnclosureKind {
    /// The name stored in the database and written in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            EnclosureKind::Enclosure => "enclosure",
            EnclosureKind::Media => "media",
            EnclosureKind::Thumbnail => "thumbnail",
        }
    }

    /// The kind of a stored name; unknown names read as plain enclosures.
    pub fn from_name(name: &str) -> Self {
        match name {
            "media" => EnclosureKind::Media,
            "thumbnail" => EnclosureKind::Thumbnail,
            _ => EnclosureKind::Enclosure,
        }
    }
}

/// One enclosure or media object of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    /// Absolute URL.
    pub url: String,
    /// The MIME type the feed gave (`audio/mpeg`), if any.
    pub mime_type: Option<String>,
    /// The length in bytes the feed gave, if any and a number.
    pub length: Option<u64>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: EnclosureKind,
}

impl Enclosure {
    /// A picture standing for the item, with nothing known but its URL.
    pub fn thumbnail(url: String) -> Enclosure {
        Enclosure {
            url,
            mime_type: None,
            length: None,
            title: None,
            description: None,
            kind: EnclosureKind::Thumbnail,
        }
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn number(s: Option<&str>) -> Option<u64> {
    s.and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
}

/// Adds an enclosure unless its URL is blank, not a URL, or already there.
pub fn push(
    out: &mut Vec<Enclosure>,
    href: Option<&str>,
    base: &Url,
    make: impl FnOnce(String) -> Enclosure,
) {
    let Some(href) = href.map(str::trim).filter(|h| !h.is_empty()) else {
        return;
    };
    let Ok(url) = base.join(href) else {
        return;
    };
    if !matches!(url.scheme(), "http" | "https") {
        return;
    }
    let url = url.to_string();
    if out.iter().any(|e| e.url == url) {
        return;
    }
    out.push(make(url));
}

/// Every enclosure and media object of an RSS item or Atom entry, in document order.
pub fn collect(item: &Element, base: &Url) -> Vec<Enclosure> {
    let mut out = Vec::new();
    collect_into(item, base, &mut out, 0);
    out
}

fn collect_into(el: &Element, base: &Url, out: &mut Vec<Enclosure>, depth: usize) {
    for e in el.elements() {
        let b = base_of(e, base);
        match e.name.as_str() {
            "enclosure" => push(out, e.attr("url").or(e.attr("href")), &b, |url| Enclosure {
                url,
                mime_type: non_empty(e.attr("type").map(str::to_string)),
                length: number(e.attr("length")),
                title: None,
                description: None,
                kind: EnclosureKind::Enclosure,
            }),
            "link" | "atom:link" if rel_of(e) == "enclosure" => {
                push(out, href_of(e).as_deref(), &b, |url| Enclosure {
                    url,
                    mime_type: non_empty(e.attr("type").map(str::to_string)),
                    length: number(e.attr("length")),
                    title: non_empty(e.attr("title").map(str::to_string)),
                    description: None,
                    kind: EnclosureKind::Enclosure,
                })
            }
            "media:content" => {
                push(out, e.attr("url"), &b, |url| Enclosure {
                    url,
                    mime_type: non_empty(e.attr("type").map(str::to_string)),
                    length: number(e.attr("fileSize")),
                    title: non_empty(e.child(&["media:title"]).map(Element::text)),
                    description: non_empty(e.child(&["media:description"]).map(Element::text)),
                    kind: EnclosureKind::Media,
                });
                // Thumbnails may sit inside the media:content they stand for.
                if depth < 2 {
                    collect_into(e, &b, out, depth + 1);
                }
            }
            "media:thumbnail" | "itunes:image" => push(
                out,
                e.attr("url").or(e.attr("href")),
                &b,
                Enclosure::thumbnail,
            ),
            "media:group" if depth < 2 => collect_into(e, &b, out, depth + 1),
            _ => {}
        }
    }
}

/// The HTML appended to an article for the enclosures its content does not already point at:
/// a paragraph of links (pictures as images), or `None` when there is nothing to add.
///
/// Every enclosure is also recorded in full (URL, type, exact length, kind, title) in an HTML
/// comment inside the block, invisible on a git host and in the reader, so that a database
/// rebuilt from the files ([`from_block`]) gets back what the feed said, including the
/// enclosures the content already points at (then the block holds only comments).
pub fn block(content: &str, enclosures: &[Enclosure]) -> Option<String> {
    if enclosures.is_empty() {
        return None;
    }
    let missing: Vec<&Enclosure> = enclosures
        .iter()
        .filter(|e| !content.contains(&e.url) && !content.contains(escape_attr(&e.url).as_ref()))
        .collect();
    let mut out = String::from(crate::text::ENCLOSURE_BLOCK);
    for (i, e) in missing.iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        let href = escape_attr(&e.url);
        let is_image = e.kind == EnclosureKind::Thumbnail
            || e.mime_type
                .as_deref()
                .is_some_and(|t| t.starts_with("image/"));
        if is_image {
            out.push_str(&format!("<img src=\"{href}\">"));
            continue;
        }
        let name = e
            .title
            .clone()
            .unwrap_or_else(|| file_name(&e.url).to_string());
        let mut about = Vec::new();
        if let Some(t) = &e.mime_type {
            about.push(t.clone());
        }
        if let Some(n) = e.length {
            about.push(size(n));
        }
        let about = if about.is_empty() {
            String::new()
        } else {
            format!(" ({})", about.join(", "))
        };
        out.push_str(&format!(
            "<a href=\"{href}\">{}</a>{}",
            super::text::escape_text(&name),
            super::text::escape_text(&about)
        ));
    }
    for e in enclosures {
        out.push_str(&record(e));
    }
    out.push_str("</p>");
    Some(out)
}

const RECORD: &str = "<!--enclosure ";

/// An enclosure as an HTML comment: `<!--enclosure url="…" type="…" length="…" kind="…"
/// title="…"-->`. Values are escaped as attributes, and `--` (which would end a comment in
/// some readers) is written `-&#45;`.
fn record(e: &Enclosure) -> String {
    let mut out = String::from(RECORD);
    let mut field = |name: &str, value: &str| {
        let flat = value.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut v = escape_attr(&flat).into_owned();
        while v.contains("--") {
            v = v.replace("--", "-&#45;");
        }
        out.push_str(&format!("{name}=\"{v}\" "));
    };
    field("url", &e.url);
    if let Some(t) = &e.mime_type {
        field("type", t);
    }
    if let Some(n) = e.length {
        field("length", &n.to_string());
    }
    field("kind", e.kind.as_str());
    if let Some(t) = &e.title {
        field("title", t);
    }
    out.pop();
    out.push_str("-->");
    out
}

/// The enclosures recorded in comments by [`record`], in order.
fn records(block: &str) -> Vec<Enclosure> {
    let attr = |rec: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        let at = format!(" {rec}").find(&key)?;
        let v = &format!(" {rec}")[at + key.len()..];
        let v = &v[..v.find('"')?];
        Some(super::text::decode_entities(v).into_owned())
    };
    block
        .split(RECORD)
        .skip(1)
        .filter_map(|r| {
            let rec = &r[..r.find("-->")?];
            Some(Enclosure {
                url: attr(rec, "url").filter(|u| !u.is_empty())?,
                mime_type: attr(rec, "type"),
                length: attr(rec, "length").and_then(|n| n.parse().ok()),
                title: attr(rec, "title"),
                description: None,
                kind: EnclosureKind::from_name(&attr(rec, "kind").unwrap_or_default()),
            })
        })
        .collect()
}

/// An article's content with the enclosure block appended (see [`block`]).
pub fn with_block(content: &str, enclosures: &[Enclosure]) -> String {
    match block(content, enclosures) {
        Some(b) => format!("{content}{b}"),
        None => content.to_string(),
    }
}

/// The enclosure block at the end of `old` (a feed's content), made again for `new` (the
/// text of the article page that replaced it): links for the enclosures `new` does not point
/// at (an episode the feed's text linked but the page does not), every one recorded.
pub fn carry_block(old: &str, new: String) -> String {
    let enclosures = from_block(old);
    if enclosures.is_empty() || new.contains(crate::text::ENCLOSURE_BLOCK) {
        return new;
    }
    with_block(&new, &enclosures)
}

/// The enclosures named by the block at the end of an archived article's content (what a
/// database rebuilt from the files knows of them): the records in its comments, exactly as
/// the feed gave them; in a block written before there were records, the links (URLs,
/// pictures as thumbnails, link texts as titles, type and rounded size from the text after
/// each link).
pub fn from_block(content: &str) -> Vec<Enclosure> {
    let kept = crate::text::without_enclosure_block(content);
    let block = &content[kept.len()..];
    let recorded = records(block);
    if !recorded.is_empty() {
        return recorded;
    }
    let mut out = Vec::new();
    let mut rest = block;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let (is_img, attr) = if rest.starts_with("<img ") {
            (true, " src=\"")
        } else if rest.starts_with("<a ") {
            (false, " href=\"")
        } else {
            rest = &rest[1..];
            continue;
        };
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        let Some(v) = tag.find(attr).map(|i| &tag[i + attr.len()..]) else {
            rest = &rest[tag_end..];
            continue;
        };
        let url = super::text::decode_entities(&v[..v.find('"').unwrap_or(v.len())]).into_owned();
        rest = &rest[tag_end..];
        if is_img {
            out.push(Enclosure::thumbnail(url));
            continue;
        }
        let name_end = rest.find("</a>").unwrap_or(rest.len());
        let name = super::text::decode_entities(rest.get(1..name_end).unwrap_or("")).into_owned();
        // What `block` wrote after the link: ` (type, size)`.
        let after = rest.get(name_end + 4..).unwrap_or("");
        let about = after
            .strip_prefix(" (")
            .and_then(|a| a.split_once(')'))
            .map_or("", |(a, _)| a);
        let about = super::text::decode_entities(about);
        let mime_type = about
            .split(", ")
            .find(|p| p.contains('/'))
            .map(str::to_string);
        out.push(Enclosure {
            title: (!name.is_empty() && name != file_name(&url)).then_some(name),
            url,
            mime_type,
            length: about.split(", ").find_map(size_back),
            description: None,
            kind: EnclosureKind::Enclosure,
        });
    }
    out
}

fn file_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(url)
}

/// The bytes a [`size`] text stands for (exact below 1,000 bytes, rounded above).
fn size_back(s: &str) -> Option<u64> {
    let (n, unit) = s.split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    let scale = match unit {
        "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return None,
    };
    Some((n * scale).round() as u64)
}

fn size(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.0} KB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::xml;

    fn encl(src: &str) -> Vec<Enclosure> {
        let base = Url::parse("http://feed.example/f.xml").unwrap();
        collect(xml::parse(src).root().unwrap(), &base)
    }

    #[test]
    fn every_kind_is_kept_once() {
        let e = encl(
            r#"<item xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
            <enclosure url="/ep1.mp3" type="audio/mpeg" length="12345678"/>
            <enclosure url="/ep1.mp3" type="audio/mpeg"/>
            <media:group><media:content url="http://v.example/v.mp4" type="video/mp4" fileSize="99"><media:title>V</media:title></media:content>
            <media:thumbnail url="http://v.example/t.jpg"/></media:group>
            <itunes:image href="http://v.example/cover.jpg"/>
            <enclosure url="javascript:alert(1)"/><enclosure url=""/></item>"#,
        );
        let urls: Vec<&str> = e.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://feed.example/ep1.mp3",
                "http://v.example/v.mp4",
                "http://v.example/t.jpg",
                "http://v.example/cover.jpg"
            ]
        );
        assert_eq!(e[0].length, Some(12_345_678));
        assert_eq!(e[0].mime_type.as_deref(), Some("audio/mpeg"));
        assert_eq!(e[1].kind, EnclosureKind::Media);
        assert_eq!(e[1].title.as_deref(), Some("V"));
        assert_eq!(e[2].kind, EnclosureKind::Thumbnail);
        let atom = encl(
            r#"<entry><link rel="enclosure" type="audio/mpeg" length="5" href="http://x.example/a.mp3" title="Ep"/><link href="http://x.example/"/></entry>"#,
        );
        assert_eq!(atom.len(), 1);
        assert_eq!(atom[0].title.as_deref(), Some("Ep"));
    }

    #[test]
    fn block_lists_what_the_content_lacks() {
        let e = encl(
            r#"<item><enclosure url="http://x.example/ep.mp3" type="audio/mpeg" length="12345678"/><enclosure url="http://x.example/p.jpg" type="image/jpeg"/></item>"#,
        );
        assert_eq!(
            block("<p>x</p>", &e).unwrap(),
            "<p class=\"enclosures\"><a href=\"http://x.example/ep.mp3\">ep.mp3</a> (audio/mpeg, 12.3 MB)<br><img src=\"http://x.example/p.jpg\"><!--enclosure url=\"http://x.example/ep.mp3\" type=\"audio/mpeg\" length=\"12345678\" kind=\"enclosure\"--><!--enclosure url=\"http://x.example/p.jpg\" type=\"image/jpeg\" kind=\"enclosure\"--></p>"
        );
        // The content points at both: nothing shown, both recorded (attack-feeds F12).
        let linked = "<img src=\"http://x.example/p.jpg\"><audio src=\"http://x.example/ep.mp3\">";
        let only_records = block(linked, &e).unwrap();
        assert!(!only_records.contains("<a ") && !only_records.contains("<img"));
        assert_eq!(from_block(&format!("{linked}{only_records}")), e);
        // The page that replaces the feed's text lacks the links: they are shown again.
        let carried = carry_block(&format!("{linked}{only_records}"), "<p>page</p>".into());
        assert_eq!(carried, with_block("<p>page</p>", &e));
        assert!(carried.contains("<a href=\"http://x.example/ep.mp3\">"));
        assert_eq!(block("<p>x</p>", &[]), None);
        let with = with_block("<p>feed</p>", &e);
        assert_eq!(
            carry_block(&with, "<p>page</p>".into()),
            format!("<p>page</p>{}", block("", &e).unwrap())
        );
        assert_eq!(
            carry_block("<p>feed</p>", "<p>page</p>".into()),
            "<p>page</p>"
        );
    }

    #[test]
    fn the_block_reads_back() {
        let encl = vec![
            Enclosure {
                url: "https://x.example/ep1.mp3?a=1&b=2".into(),
                mime_type: Some("audio/mpeg".into()),
                length: Some(74),
                title: Some("第一集 <早>".into()),
                description: None,
                kind: EnclosureKind::Enclosure,
            },
            Enclosure {
                url: "https://x.example/v.mp4".into(),
                mime_type: Some("video/mp4".into()),
                length: Some(12_345_678),
                title: None,
                description: None,
                kind: EnclosureKind::Enclosure,
            },
            Enclosure::thumbnail("https://x.example/t.jpg".into()),
        ];
        let content = with_block("<p>正文</p>", &encl);
        let back = from_block(&content);
        assert_eq!(back.len(), 3, "{content}");
        assert_eq!(back[0].url, encl[0].url);
        assert_eq!(back[0].title.as_deref(), Some("第一集 <早>"));
        assert_eq!(back[0].mime_type.as_deref(), Some("audio/mpeg"));
        assert_eq!(back[0].length, Some(74));
        assert_eq!(back, encl, "exactly, from the records");
        // A block written before records existed: links, types and rounded sizes.
        let old = "<p>正文</p><p class=\"enclosures\"><a href=\"https://x.example/v.mp4\">v.mp4</a> (video/mp4, 12.3 MB)<br><img src=\"https://x.example/t.jpg\"></p>";
        let back = from_block(old);
        assert_eq!(back[0].title, None);
        assert_eq!(back[0].mime_type.as_deref(), Some("video/mp4"));
        assert_eq!(back[0].length, Some(12_300_000));
        assert_eq!(back[1].kind, EnclosureKind::Thumbnail);
        assert!(from_block("<p>正文</p>").is_empty());
        // Hostile values stay inside their comment.
        let odd = vec![Enclosure {
            url: "https://x.example/a--b-->c\"d".into(),
            mime_type: Some("audio/x--y".into()),
            length: None,
            title: Some("t --> <script>".into()),
            description: None,
            kind: EnclosureKind::Media,
        }];
        let b = block("", &odd).unwrap();
        assert_eq!(b.matches("-->").count(), 1, "{b}");
        assert!(!b.contains("<script"), "{b}");
        assert_eq!(from_block(&b), odd);
    }
}
