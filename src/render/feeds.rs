//! Feeds out: Atom 1.0, RSS 2.0 and JSON Feed 1.1 of a source's newest articles, full content,
//! sanitized. Written beside the mirror files as `feeds/<slug>.{atom,rss,json}` and
//! `feeds/all.atom`, so readers can subscribe to the mirror itself.

use chrono::{DateTime, FixedOffset, Utc};

use crate::store::FeedEntry;

/// How many articles a feed holds.
pub const FEED_LEN: usize = 50;

/// What a feed is of.
pub struct FeedMeta<'a> {
    /// `urn:newsmirror:<slug>`-style identity of the feed.
    pub id: &'a str,
    pub title: &'a str,
    /// The outlet's site (or any page that stands for the source).
    pub link: &'a str,
}

/// The formats a source's feed is written in, by file extension.
pub const KINDS: [&str; 3] = ["atom", "rss", "json"];

/// The identity of a source's feed (`None`: the feed of every source).
pub fn feed_id(slug: Option<&str>) -> String {
    format!("urn:newsmirror:{}", slug.unwrap_or("all"))
}

/// The feed in the format of file extension `kind` (`atom`, `rss`, `json`).
pub fn render(kind: &str, meta: &FeedMeta<'_>, entries: &[FeedEntry]) -> Option<String> {
    Some(match kind {
        "atom" => atom(meta, entries),
        "rss" => rss(meta, entries),
        "json" => json(meta, entries),
        _ => return None,
    })
}

fn time(ms: i64) -> DateTime<FixedOffset> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .fixed_offset()
}

fn entry_id(e: &FeedEntry) -> String {
    format!("urn:newsmirror:{}:{}", e.source, e.id)
}

/// Each entry's content, sanitized against its own link.
fn clean(e: &FeedEntry) -> String {
    let base = url::Url::parse(&e.link)
        .unwrap_or_else(|_| url::Url::parse("https://invalid.example/").expect("valid"));
    crate::clean::sanitize(&e.content, &base)
}

pub fn atom(meta: &FeedMeta<'_>, entries: &[FeedEntry]) -> String {
    use atom_syndication::{Content, Entry, Feed, Link};
    let mut feed = Feed::default();
    feed.set_id(meta.id);
    feed.set_title(meta.title);
    feed.set_updated(time(
        entries.iter().map(|e| e.published_ms).max().unwrap_or(0),
    ));
    let mut link = Link::default();
    link.set_href(meta.link);
    link.set_rel("alternate");
    feed.set_links(vec![link]);
    feed.set_generator(Some(atom_syndication::Generator {
        value: "newsmirror".into(),
        uri: None,
        version: Some(env!("CARGO_PKG_VERSION").into()),
    }));
    let items: Vec<Entry> = entries
        .iter()
        .map(|e| {
            let mut entry = Entry::default();
            entry.set_id(entry_id(e));
            entry.set_title(e.title.as_str());
            entry.set_published(Some(time(e.published_ms)));
            entry.set_updated(time(e.published_ms.max(e.first_seen_ms)));
            let mut l = Link::default();
            l.set_href(e.link.as_str());
            l.set_rel("alternate");
            entry.set_links(vec![l]);
            let mut c = Content::default();
            c.set_content_type(Some("html".to_string()));
            c.set_value(Some(clean(e)));
            entry.set_content(Some(c));
            entry
        })
        .collect();
    feed.set_entries(items);
    // The crate writes its own XML declaration.
    feed.to_string() + "\n"
}

pub fn rss(meta: &FeedMeta<'_>, entries: &[FeedEntry]) -> String {
    let mut channel = rss::Channel::default();
    channel.set_title(meta.title);
    channel.set_link(meta.link);
    channel.set_description(format!("{} (newsmirror)", meta.title));
    channel.set_generator(Some("newsmirror".to_string()));
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|e| {
            let mut item = rss::Item::default();
            item.set_title(Some(e.title.clone()));
            item.set_link(Some(e.link.clone()));
            item.set_guid(Some(rss::Guid {
                value: entry_id(e),
                permalink: false,
            }));
            item.set_pub_date(Some(time(e.published_ms).to_rfc2822()));
            item.set_description(Some(clean(e)));
            item
        })
        .collect();
    channel.set_items(items);
    // The crates write their own XML declaration.
    format!("{channel}\n")
}

pub fn json(meta: &FeedMeta<'_>, entries: &[FeedEntry]) -> String {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": entry_id(e),
                "url": e.link,
                "title": e.title,
                "content_html": clean(e),
                "date_published": time(e.published_ms).to_rfc3339(),
            })
        })
        .collect();
    let v = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.link,
        "items": items,
    });
    serde_json::to_string_pretty(&v).expect("plain data serializes") + "\n"
}
