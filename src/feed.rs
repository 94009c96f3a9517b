//! Parsing a feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into one item type.
//!
//! Owns the reading of feed documents through feed-rs. It returns what the feed says, raw:
//! no trimming of content, no deduplication, no ids. It never sees the network or the archive.

use chrono::{DateTime, Utc};
use url::Url;

use crate::fetch::charset;

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the document is empty")]
    Empty,
    #[error("this is not a feed (it looks like an HTML page)")]
    Html,
    #[error("this is not a valid feed: {0}")]
    Parse(String),
}

/// One item of a feed, as the feed gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The title, raw (may be empty, may hold line breaks).
    pub title: String,
    /// The link, resolved against the feed's URL when relative; `None` when absent.
    pub link: Option<Url>,
    /// The link as written, when it did not parse as a URL.
    pub raw_link: Option<String>,
    /// The guid / id, when the feed gave one.
    pub guid: Option<String>,
    /// The publication time: published, else updated.
    pub published: Option<DateTime<Utc>>,
    /// content:encoded / content, else description / summary; raw HTML.
    pub content: String,
    /// The first enclosure's URL (a podcast episode's audio), when the item has one.
    pub enclosure: Option<String>,
}

/// A parsed feed.
#[derive(Debug, Clone)]
pub struct Feed {
    pub title: Option<String>,
    pub items: Vec<Item>,
}

/// Parses a fetched feed body. `content_type` is the HTTP header, if any; `url` resolves
/// relative links.
pub fn parse(bytes: &[u8], content_type: Option<&str>, url: &Url) -> Result<Feed, FeedError> {
    let decoded = charset::decode(bytes, content_type);
    let text = charset::declare_utf8(&decoded.text);
    let head = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if head.is_empty() {
        return Err(FeedError::Empty);
    }
    let lower: String = head
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Err(FeedError::Html);
    }
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .build();
    let parsed = parser
        .parse(head.as_bytes())
        .map_err(|e| FeedError::Parse(e.to_string()))?;
    let items = parsed
        .entries
        .into_iter()
        .map(|e| item_of(e, url))
        .collect();
    Ok(Feed {
        title: parsed.title.map(|t| t.content),
        items,
    })
}

fn item_of(e: feed_rs::model::Entry, base: &Url) -> Item {
    let href = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty());
    let link = href.as_deref().and_then(|h| base.join(h).ok());
    let raw_link = if link.is_none() { href } else { None };
    let content = e
        .content
        .and_then(|c| c.body)
        .filter(|b| !b.trim().is_empty())
        .or_else(|| e.summary.map(|s| s.content))
        .unwrap_or_default();
    let enclosure = e
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .find_map(|c| c.url.as_ref().map(|u| u.to_string()));
    Item {
        enclosure,
        title: e.title.map(|t| t.content).unwrap_or_default(),
        link,
        raw_link,
        guid: Some(e.id).filter(|id| !id.trim().is_empty()),
        published: e.published.or(e.updated),
        content,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://example.org/feed.xml").unwrap()
    }

    #[test]
    fn rss_fields() {
        let xml = r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
        <item><title> A </title><link>/a/1</link><guid>g1</guid><pubDate>Wed, 19 Jun 2024 12:47:03 GMT</pubDate>
        <description>short</description><content:encoded><![CDATA[<p>full</p>]]></content:encoded></item>
        <item><title>B</title><description>only</description></item></channel></rss>"#;
        let f = parse(xml.as_bytes(), None, &url()).unwrap();
        assert_eq!(f.items[0].title.trim(), "A");
        assert_eq!(
            f.items[0].link.as_ref().unwrap().as_str(),
            "https://example.org/a/1"
        );
        assert_eq!(f.items[0].guid.as_deref(), Some("g1"));
        assert_eq!(f.items[0].content, "<p>full</p>");
        assert_eq!(
            f.items[0].published.unwrap().timestamp_millis(),
            1718801223000
        );
        assert_eq!(f.items[1].content, "only");
        assert_eq!(f.items[1].guid, None);
        assert_eq!(f.items[1].published, None);
    }

    #[test]
    fn atom_and_json() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>f</id><updated>2024-06-19T12:00:00Z</updated>
        <entry><title>E</title><id>urn:e</id><link href="https://x.example/e"/><updated>2024-06-19T12:00:00Z</updated><content type="html">&lt;p&gt;c&lt;/p&gt;</content></entry></feed>"#;
        let f = parse(atom.as_bytes(), None, &url()).unwrap();
        assert_eq!(f.items[0].content, "<p>c</p>");
        assert_eq!(f.items[0].guid.as_deref(), Some("urn:e"));
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","url":"https://x.example/1","title":"J","content_html":"<p>j</p>","date_published":"2024-06-19T12:00:00Z"}]}"#;
        let f = parse(json.as_bytes(), None, &url()).unwrap();
        assert_eq!(f.items[0].title, "J");
        assert_eq!(f.items[0].content, "<p>j</p>");
    }

    #[test]
    fn html_and_empty_are_errors() {
        assert!(matches!(parse(b"  ", None, &url()), Err(FeedError::Empty)));
        assert!(matches!(
            parse(b"<html><body>x</body></html>", None, &url()),
            Err(FeedError::Html)
        ));
        assert!(parse(b"<rss version=\"2.0\"><channel><item></chan", None, &url()).is_err());
    }
}
