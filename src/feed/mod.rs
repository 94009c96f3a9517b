//! Reading a feed (RSS 0.90–2.0, RSS 1.0/RDF, Atom 0.3 and 1.0, JSON Feed) into one item type.
//!
//! Owns the reading of feed documents: it returns what the feed says — titles as text, the
//! article link, the date, the fullest content, enclosures and media — and no more: no
//! trimming of content, no deduplication, no ids. It never sees the network or the archive.
//!
//! Tolerance comes first: like feedparser's loose mode, a document that is not well-formed
//! XML is read all the same ([`xml`]), any RSS version (or none) is read as RSS 2.0, Atom 0.3
//! as Atom, JSON Feed with numbers where strings belong. A document that plainly holds items
//! but yields none is an error with its reason, never an empty success.
//!
//! Parts: [`xml`] (tolerant tree), [`text`] (entities, titles as text), [`dates`], [`links`],
//! [`content`], [`enclosures`], [`rss`] (RSS and RDF), [`atom`], [`json`].

pub mod atom;
pub mod content;
pub mod dates;
pub mod enclosures;
pub mod json;
pub mod links;
pub mod rss;
pub mod text;
pub mod xml;

use chrono::{DateTime, Utc};
use url::Url;

use crate::fetch::charset;

pub use chrono_tz::Tz;
pub use enclosures::{Enclosure, EnclosureKind};

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the document is empty")]
    Empty,
    #[error("this is not a feed (it looks like an HTML page)")]
    Html,
    #[error("this is not a feed: the document holds no XML element (it starts with {0:?})")]
    NoElement(String),
    #[error(
        "this is not a feed: its root element is <{0}>, not <rss>, <rdf:RDF>, <feed> or a JSON Feed"
    )]
    NotAFeed(String),
    #[error("this is not a valid JSON Feed: {0}")]
    Json(String),
    #[error("the {format} document holds {found} but not one item could be read from it")]
    NoItemRead { format: Format, found: String },
}

/// What kind of document a feed was, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// `<rss>` (or a bare `<channel>`), with the version it declared, if any; every version
    /// is read as RSS 2.0.
    Rss(Option<String>),
    /// RSS 0.90 / 1.0 (`<rdf:RDF>`).
    Rdf,
    /// Atom 1.0 (or an Atom `<feed>` in no namespace).
    Atom,
    /// Atom 0.3 (`http://purl.org/atom/ns#`).
    Atom03,
    /// JSON Feed, with the version URL it declared.
    Json(String),
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Format::Rss(Some(v)) if v != "2.0" => write!(f, "RSS {v} (read as RSS 2.0)"),
            Format::Rss(_) => write!(f, "RSS 2.0"),
            Format::Rdf => write!(f, "RSS 1.0 (RDF)"),
            Format::Atom => write!(f, "Atom 1.0"),
            Format::Atom03 => write!(f, "Atom 0.3 (read as Atom 1.0)"),
            Format::Json(v) if v.is_empty() => write!(f, "JSON Feed"),
            Format::Json(v) => write!(f, "JSON Feed ({v})"),
        }
    }
}

/// One item of a feed, as the feed gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The title as text (markup removed, references decoded); may be empty, may hold line
    /// breaks.
    pub title: String,
    /// The article link, resolved against `xml:base` and the feed's URL; `None` when absent.
    pub link: Option<Url>,
    /// The link as written, when it did not parse as a URL.
    pub raw_link: Option<String>,
    /// The guid / id, when the feed gave one.
    pub guid: Option<String>,
    /// The publication time: published, else updated.
    pub published: Option<DateTime<Utc>>,
    /// The fullest content the item holds, as HTML (plain text escaped).
    pub content: String,
    /// Enclosures and media: podcast audio, `media:content`, `media:thumbnail`, JSON Feed
    /// attachments and images. Absolute URLs, each once, in document order.
    pub enclosures: Vec<Enclosure>,
    /// The document ended inside this item (a truncated download): its last field may be
    /// torn (a link cut short, half a text).
    pub cut_off: bool,
}

impl Item {
    /// The URL of the item's first enclosure that is not a picture standing for it (a
    /// podcast episode's audio): an identity key when items share their link.
    pub fn enclosure_url(&self) -> Option<String> {
        self.enclosures
            .iter()
            .find(|e| e.kind != EnclosureKind::Thumbnail)
            .map(|e| e.url.clone())
    }

    /// The parts every XML item shares (title, content, enclosures) read from `el`, with
    /// the parts its format decides.
    fn from_xml(
        el: &xml::Element,
        base: &Url,
        guid: Option<String>,
        (link, raw_link): (Option<Url>, Option<String>),
        published: Option<DateTime<Utc>>,
    ) -> Item {
        Item {
            title: content::title_of(el),
            link,
            raw_link,
            guid,
            published,
            content: content::content_of(el),
            enclosures: enclosures::collect(el, base),
            cut_off: el.attrs.iter().any(|a| a.name == xml::CUT_OFF),
        }
    }
}

/// A parsed feed.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The document ended before its root element closed (a truncated download): items
    /// after the cut are missing, and the one it ended inside is marked `cut_off`.
    pub truncated: bool,
    pub title: Option<String>,
    pub format: Format,
    pub items: Vec<Item>,
}

/// How a source wants its feed read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The source's time zone: for dates written without one, and abbreviations it uses.
    pub timezone: Option<Tz>,
}

/// Parses a fetched feed body. `content_type` is the HTTP header, if any; `url` resolves
/// relative links.
pub fn parse(bytes: &[u8], content_type: Option<&str>, url: &Url) -> Result<Feed, FeedError> {
    parse_with(bytes, content_type, url, Options::default())
}

/// [`parse`] with a source's options.
pub fn parse_with(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &Url,
    opts: Options,
) -> Result<Feed, FeedError> {
    let mut feed = read_document(bytes, content_type, url, opts)?;
    for item in &mut feed.items {
        if item.title.contains(forbidden) {
            // As the article file's header line reads them: spaces.
            item.title = item.title.replace(forbidden, " ");
        }
        if item.content.contains(forbidden) {
            item.content.retain(|c| !forbidden(c));
        }
    }
    Ok(feed)
}

/// The control characters XML forbids (NUL, BACKSPACE… all of C0 but tab and line breaks)
/// and the non-characters U+FFFE, U+FFFF: a NUL in an article file makes git call it binary.
/// Character references (`&#0;`) and JSON escapes (`\u0000`) bring them in too.
fn forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

fn read_document(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &Url,
    opts: Options,
) -> Result<Feed, FeedError> {
    let decoded = charset::decode(bytes, content_type);
    let text = decoded
        .text
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if text.trim().is_empty() {
        return Err(FeedError::Empty);
    }
    if text.starts_with(['{', '[']) {
        return json::read(text, url, opts);
    }
    if let Some(json_text) = after_js_comments(text).filter(|t| t.starts_with(['{', '['])) {
        // A JSON Feed behind a `// generated by …` line (JSON has no comments; JavaScript does).
        return json::read(json_text, url, opts);
    }
    let lower: String = text
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Err(FeedError::Html);
    }
    let mut doc = xml::parse(text);
    if doc.root().is_some_and(|r| r.raw == "CHANNEL") {
        // CDF, Microsoft's Channel Definition Format: upper-case RSS.
        doc.top.lowercase_names();
    }
    let Some(root) = doc.root() else {
        let start: String = text.chars().take(40).collect();
        return Err(FeedError::NoElement(start));
    };
    let mut feed = match root.name.as_str() {
        "rss" | "channel" | "rdf:RDF" | "RDF" | "rdf" => rss::read(root, url, opts),
        "atom:feed" | "feed" => atom::read(root, doc.root_ns.as_deref(), url, opts),
        // A lone Atom entry document: a feed of one.
        "atom:entry" | "entry" => Feed {
            truncated: false,
            title: None,
            format: Format::Atom,
            items: read_items(&doc.top, url, opts),
        },
        "html" | "xhtml:html" => return Err(FeedError::Html),
        other => {
            // An unknown wrapper around a feed: read the first channel or feed inside it.
            let mut found = Vec::new();
            root.find_all(
                &["rss", "channel", "rdf:RDF", "atom:feed", "feed"],
                &mut found,
            );
            match found.first() {
                Some(inner) if inner.name.ends_with("feed") => atom::read(inner, None, url, opts),
                Some(inner) => rss::read(inner, url, opts),
                None => return Err(FeedError::NotAFeed(other.to_string())),
            }
        }
    };
    feed.truncated = doc.truncated;
    if feed.items.is_empty() {
        let lower = text.to_ascii_lowercase();
        for tag in ["<item", "<entry"] {
            let n = lower
                .match_indices(tag)
                .filter(|(at, _)| {
                    lower[at + tag.len()..].starts_with(|c: char| c == '>' || c.is_whitespace())
                })
                .count();
            if n > 0 {
                return Err(FeedError::NoItemRead {
                    format: feed.format,
                    found: format!("{n} {tag}> tag{}", if n == 1 { "" } else { "s" }),
                });
            }
        }
    }
    Ok(feed)
}

/// `text` after the JavaScript comments (`// …` lines, `/* … */`) and white space it starts
/// with; `None` when it starts with none.
fn after_js_comments(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(line) = rest.strip_prefix("//") {
            rest = line.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(block) = rest.strip_prefix("/*") {
            rest = block.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    (rest.len() < text.len()).then_some(rest)
}

/// Item elements: RSS `<item>` and Atom `<entry>`, whatever the root (feedparser reads an
/// `<item>` in an Atom feed and an `<entry>` in RSS, and so does this).
const ITEM_NAMES: &[&str] = &["item", "atom:item", "atom:entry", "entry"];

/// Every item below `root`, in document order, each read by its own element's rules.
fn read_items(root: &xml::Element, base: &Url, opts: Options) -> Vec<Item> {
    let mut found = Vec::new();
    links::find_with_base(root, base, ITEM_NAMES, &mut found);
    let uses_xml_base = root.any_attr("xml:base");
    found
        .into_iter()
        .map(|(el, base)| {
            let mut item = match el.name.as_str() {
                "item" | "atom:item" => rss::item(el, &base, opts),
                _ => atom::entry(el, &base, opts),
            };
            if uses_xml_base && let Some(source) = content::content_element(el) {
                // The document says what its relative URLs mean: content is resolved
                // against the `xml:base` in effect for it. (Without one, content keeps its
                // URLs as written, as the mirror's files always have; readers resolve them
                // against the article's link.)
                let at = links::base_of(source, &links::base_of(el, &base));
                item.content = links::absolute_urls(&item.content, &at);
            }
            item
        })
        .collect()
}

#[cfg(test)]
mod tests;
