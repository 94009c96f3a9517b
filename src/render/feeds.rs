//! Feeds out: Atom 1.0, RSS 2.0 and JSON Feed 1.1 of a source's newest articles (or of every
//! source's), full content shown as on the mirror's pages. Written beside the mirror files as
//! `feeds/<slug>.{atom,rss,json}` and `feeds/all.atom`, by `site`, and served by `serve`.
//!
//! Every entry names its outlet (author), links to the mirror's page when the mirror's public
//! address (`[web] base_url`) is known (and to the original as `related`), and is `updated`
//! when its newest revision was seen. No character XML forbids reaches the XML.

use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use super::links::Links;
use super::present::{self, Images, Shown, safe_href, xml_chars};
use crate::config::{DisplayRules, Source};
use crate::store::FeedEntry;

/// How many articles a feed holds.
pub const FEED_LEN: usize = 50;

/// The feed of every source from each listed source's newest entries (a removed source's
/// articles stay in the archive, unseen by readers): the newest [`FEED_LEN`] of them all.
pub fn merge_newest(per_source: Vec<Vec<FeedEntry>>) -> Vec<FeedEntry> {
    let mut all: Vec<FeedEntry> = per_source.into_iter().flatten().collect();
    all.sort_by(|a, b| {
        b.published_ms
            .cmp(&a.published_ms)
            .then(a.id.cmp(&b.id))
            .then(a.source.cmp(&b.source))
    });
    all.truncate(FEED_LEN);
    all
}

/// The formats a source's feed is written in, by file extension.
pub const KINDS: [&str; 3] = ["atom", "rss", "json"];

/// What a feed is of, and where it lives.
pub struct FeedMeta<'a> {
    /// `urn:newsmirror:<slug>`-style identity of the feed.
    pub id: &'a str,
    pub title: &'a str,
    /// The source's slug (`None`: every source).
    pub slug: Option<&'a str>,
    /// The outlet's site (or any page that stands for the source).
    pub link: &'a str,
    /// The mirror's pages as full URLs (from `[web] base_url`), when known.
    pub pages: Option<&'a Links>,
    /// The configured sources: their names and display rules.
    pub sources: &'a [Source],
    /// The full URL of an image through the reader's own proxy (`serve` with a known public
    /// address); `None`: images as the content has them.
    pub images: Option<&'a (dyn Fn(&Url) -> String + Sync)>,
    /// The archive's `assets/` (local copies of images), when readers can load them.
    pub assets: Option<&'a std::path::Path>,
}

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

/// The MIME type of a feed kind.
pub fn content_type(kind: &str) -> &'static str {
    match kind {
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        _ => "application/feed+json; charset=utf-8",
    }
}

fn time(ms: i64) -> DateTime<FixedOffset> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .fixed_offset()
}

/// When an entry last changed: its newest revision's sighting, or its publication.
pub fn updated_ms(e: &FeedEntry) -> i64 {
    if e.revision > 1 {
        e.revised_ms.max(e.published_ms)
    } else {
        e.published_ms
    }
}

/// When a feed last changed: the newest of its entries' publication, archiving and revision
/// (an article archived now that says it was published last week changes the feed now).
pub fn changed_ms(entries: &[FeedEntry]) -> Option<i64> {
    entries
        .iter()
        .map(|e| updated_ms(e).max(e.first_seen_ms).max(e.revised_ms))
        .max()
}

/// Each entry's (published, updated) as the feed writes them: `updated` distinct within the
/// feed (entries edited in the same run, or dateless, would share one instant), moved later by
/// as many milliseconds as it takes, in a fixed order; an undated `published` moves with it.
fn stamps(entries: &[FeedEntry]) -> Vec<(i64, i64)> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&entries[a], &entries[b]);
        (updated_ms(x), &x.source, x.id).cmp(&(updated_ms(y), &y.source, y.id))
    });
    let mut used = std::collections::HashSet::new();
    let mut out = vec![(0, 0); entries.len()];
    for i in order {
        let e = &entries[i];
        let was = updated_ms(e);
        let mut u = was;
        while !used.insert(u) {
            u += 1;
        }
        let p = if e.published_ms == was {
            u
        } else {
            e.published_ms
        };
        out[i] = (p, u);
    }
    out
}

/// The outlet's own site: the origin of its newest article's link (not the feed's host, which
/// is often another), else the configured sources' guess.
fn site_of(meta: &FeedMeta<'_>, slug: &str, entries: &[FeedEntry]) -> Option<String> {
    entries
        .iter()
        .filter(|e| e.source == slug)
        .find_map(|e| {
            let u = Url::parse(&e.link).ok()?;
            matches!(u.scheme(), "http" | "https").then(|| u.origin().ascii_serialization() + "/")
        })
        .or_else(|| {
            meta.sources
                .iter()
                .find(|s| s.slug == slug)
                .map(|s| s.site_link())
        })
        .filter(|l| !l.contains("invalid.example"))
}

/// The language a feed (or an entry's content) declares: `zh-Hant` when most of its entries'
/// titles are in traditional characters.
fn feed_lang(entries: &[FeedEntry]) -> &'static str {
    let trad = entries
        .iter()
        .filter(|e| present::lang_of(&e.title) == Some("zh-Hant"))
        .count();
    if !entries.is_empty() && trad * 2 > entries.len() {
        "zh-Hant"
    } else {
        "zh-CN"
    }
}

fn entry_id(e: &FeedEntry) -> String {
    format!("urn:newsmirror:{}:{}", e.source, e.id)
}

/// What the feed says of each entry's source.
struct Outlet<'a> {
    name: String,
    site: Option<String>,
    rules: &'a DisplayRules,
}

fn outlet<'a>(meta: &FeedMeta<'a>, slug: &str, entries: &[FeedEntry]) -> Outlet<'a> {
    static NONE: std::sync::OnceLock<DisplayRules> = std::sync::OnceLock::new();
    let site = site_of(meta, slug, entries).and_then(|s| safe_href(&s));
    match meta.sources.iter().find(|s| s.slug == slug) {
        Some(s) => Outlet {
            name: xml(&s.name),
            site,
            rules: &s.display,
        },
        None => Outlet {
            name: xml(slug),
            site,
            rules: NONE.get_or_init(DisplayRules::default),
        },
    }
}

fn xml(s: &str) -> String {
    xml_chars(s).into_owned()
}

/// An entry's content as the mirror's pages show it (images as the content has them; local
/// copies under the mirror's address, or left out when it is not known).
fn content(meta: &FeedMeta<'_>, e: &FeedEntry, rules: &DisplayRules) -> String {
    let shown = Shown {
        link: &e.link,
        rules,
        images: match meta.images {
            Some(proxy) => Images::Proxy(proxy),
            None => Images::AsIs,
        },
        assets: meta.assets,
    };
    const NOWHERE: &str = "https://newsmirror.invalid/assets/";
    let assets = meta
        .pages
        .map_or_else(|| NOWHERE.to_string(), |l| l.assets());
    let html = present::article(&e.content, &shown, &assets);
    if html.contains(NOWHERE) {
        let doc = dom_query::Document::fragment(html.as_str());
        doc.select(&format!("img[src^=\"{NOWHERE}\"]")).remove();
        return doc.html_root().inner_html().to_string();
    }
    html
}

fn author_json(o: &Outlet<'_>) -> serde_json::Value {
    match &o.site {
        Some(url) => serde_json::json!({ "name": o.name, "url": url }),
        None => serde_json::json!({ "name": o.name }),
    }
}

/// The entry's page on the mirror, if the mirror's address is known.
fn page(meta: &FeedMeta<'_>, e: &FeedEntry) -> Option<String> {
    meta.pages.map(|l| l.article(&e.source, e.id))
}

fn self_url(meta: &FeedMeta<'_>, kind: &str) -> Option<String> {
    meta.pages
        .map(|l| l.feed(&format!("{}.{kind}", meta.slug.unwrap_or("all"))))
}

/// The feed's page: the mirror's list (or home page) when its address is known, else the
/// outlet's site (else what the caller gave).
fn home(meta: &FeedMeta<'_>, entries: &[FeedEntry]) -> String {
    match (meta.pages, meta.slug) {
        (Some(l), Some(slug)) => l.list(slug, 1),
        (Some(l), None) => l.home(),
        (None, Some(slug)) => site_of(meta, slug, entries).unwrap_or_else(|| meta.link.to_string()),
        (None, None) => meta.link.to_string(),
    }
}

/// An entry's enclosures that feeds out carry as enclosures (audio, video, documents: not the
/// pictures standing for it), with web URLs only: (url, MIME type, length).
fn attachments(e: &FeedEntry) -> Vec<(String, String, i64)> {
    e.enclosures
        .iter()
        .filter(|x| x.kind != "thumbnail")
        .filter(|x| {
            !x.mime_type
                .as_deref()
                .is_some_and(|t| t.starts_with("image/"))
        })
        .filter_map(|x| {
            let url = safe_href(&x.url)?;
            let ty = x
                .mime_type
                .clone()
                .filter(|t| t.contains('/') && !t.contains(char::is_whitespace))
                .unwrap_or_else(|| "application/octet-stream".into());
            Some((xml(&url), xml(&ty), x.length.unwrap_or(0).max(0)))
        })
        .collect()
}

pub fn atom(meta: &FeedMeta<'_>, entries: &[FeedEntry]) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Link, Person};
    let link = |href: String, rel: &str, ty: Option<&str>| {
        let mut l = Link::default();
        l.set_href(href);
        l.set_rel(rel);
        l.set_mime_type(ty.map(str::to_string));
        l
    };
    let mut feed = Feed::default();
    feed.set_id(meta.id);
    feed.set_title(xml(meta.title));
    feed.set_updated(time(changed_ms(entries).unwrap_or(0)));
    feed.set_lang(Some(feed_lang(entries).to_string()));
    let mut links = vec![link(home(meta, entries), "alternate", Some("text/html"))];
    if let Some(s) = self_url(meta, "atom") {
        links.push(link(s, "self", Some("application/atom+xml")));
    }
    feed.set_links(links);
    feed.set_generator(Some(atom_syndication::Generator {
        value: "newsmirror".into(),
        uri: None,
        version: Some(env!("CARGO_PKG_VERSION").into()),
    }));
    let items: Vec<Entry> = entries
        .iter()
        .zip(stamps(entries))
        .map(|(e, (published, updated))| {
            let o = outlet(meta, &e.source, entries);
            let mut entry = Entry::default();
            entry.set_id(entry_id(e));
            entry.set_title(xml(&e.title));
            entry.set_published(Some(time(published)));
            entry.set_updated(time(updated));
            let mut author = Person::default();
            author.set_name(o.name.clone());
            author.set_uri(o.site.clone());
            entry.set_authors(vec![author]);
            let mut cat = Category::default();
            cat.set_term(e.source.clone());
            cat.set_label(Some(o.name.clone()));
            entry.set_categories(vec![cat]);
            let original = safe_href(&e.link);
            let mut links = Vec::new();
            match (page(meta, e), &original) {
                (Some(p), Some(orig)) => {
                    links.push(link(p, "alternate", Some("text/html")));
                    links.push(link(orig.clone(), "related", Some("text/html")));
                }
                (Some(p), None) => links.push(link(p, "alternate", Some("text/html"))),
                (None, Some(orig)) => {
                    links.push(link(orig.clone(), "alternate", Some("text/html")))
                }
                (None, None) => {}
            }
            for (url, ty, length) in attachments(e) {
                let mut l = link(url, "enclosure", Some(&ty));
                l.set_length((length > 0).then(|| length.to_string()));
                links.push(l);
            }
            entry.set_links(links);
            let mut c = Content::default();
            c.set_content_type(Some("html".to_string()));
            c.set_lang(present::lang_of(&e.title).map(str::to_string));
            c.set_value(Some(content(meta, e, o.rules)));
            entry.set_content(Some(c));
            entry
        })
        .collect();
    feed.set_entries(items);
    // The crate writes its own XML declaration.
    feed.to_string() + "\n"
}

pub fn rss(meta: &FeedMeta<'_>, entries: &[FeedEntry]) -> String {
    use rss::extension::atom::{AtomExtension, Link as AtomLink};
    use rss::extension::dublincore::DublinCoreExtension;
    let mut channel = rss::Channel::default();
    channel.set_title(xml(meta.title));
    channel.set_link(home(meta, entries));
    channel.set_description(format!("{}（newsmirror 镜像）", xml(meta.title)));
    channel.set_language(Some(feed_lang(entries).to_string()));
    channel.set_generator(Some("newsmirror".to_string()));
    if let Some(newest) = changed_ms(entries) {
        channel.set_last_build_date(Some(time(newest).to_rfc2822()));
    }
    if let Some(s) = self_url(meta, "rss") {
        channel.set_atom_ext(Some(AtomExtension {
            links: vec![AtomLink {
                href: s,
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            }],
        }));
    }
    let items: Vec<rss::Item> = entries
        .iter()
        .zip(stamps(entries))
        .map(|(e, (published, _))| {
            let o = outlet(meta, &e.source, entries);
            let original = safe_href(&e.link);
            let mut item = rss::Item::default();
            item.set_title(Some(xml(&e.title)));
            item.set_link(page(meta, e).or_else(|| original.clone()));
            item.set_guid(Some(rss::Guid {
                value: entry_id(e),
                permalink: false,
            }));
            item.set_pub_date(Some(time(published).to_rfc2822()));
            item.set_dublin_core_ext(Some(DublinCoreExtension {
                creators: vec![o.name.clone()],
                ..Default::default()
            }));
            item.set_categories(vec![rss::Category {
                name: o.name.clone(),
                domain: None,
            }]);
            // RSS carries one enclosure an item: the first.
            if let Some((url, ty, length)) = attachments(e).into_iter().next() {
                item.set_enclosure(Some(rss::Enclosure {
                    url,
                    length: length.to_string(),
                    mime_type: ty,
                }));
            }
            let mut html = content(meta, e, o.rules);
            if let (Some(orig), true) = (&original, meta.pages.is_some()) {
                html.push_str(&format!(
                    "<p><a href=\"{}\">原文链接</a></p>",
                    orig.replace('&', "&amp;").replace('"', "&quot;")
                ));
            }
            item.set_description(Some(html));
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
        .zip(stamps(entries))
        .map(|(e, (published, updated))| {
            let o = outlet(meta, &e.source, entries);
            let original = safe_href(&e.link);
            let mut item = serde_json::json!({
                "id": entry_id(e),
                "title": xml(&e.title),
                "content_html": content(meta, e, o.rules),
                "date_published": time(published).to_rfc3339(),
                "date_modified": time(updated).to_rfc3339(),
                "authors": [author_json(&o)],
                "tags": [o.name],
            });
            let url = page(meta, e).or_else(|| original.clone());
            if let Some(u) = url {
                item["url"] = u.into();
            }
            if let (Some(orig), true) = (original, meta.pages.is_some()) {
                item["external_url"] = orig.into();
            }
            if let Some(lang) = present::lang_of(&e.title) {
                item["language"] = lang.into();
            }
            let files: Vec<serde_json::Value> = attachments(e)
                .into_iter()
                .map(|(url, ty, length)| {
                    let mut a = serde_json::json!({ "url": url, "mime_type": ty });
                    if length > 0 {
                        a["size_in_bytes"] = length.into();
                    }
                    a
                })
                .collect();
            if !files.is_empty() {
                item["attachments"] = files.into();
            }
            item
        })
        .collect();
    let mut v = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": xml(meta.title),
        "home_page_url": home(meta, entries),
        "language": feed_lang(entries),
        "items": items,
    });
    if let Some(s) = self_url(meta, "json") {
        v["feed_url"] = s.into();
    }
    if let Some(slug) = meta.slug {
        let o = outlet(meta, slug, entries);
        v["authors"] = serde_json::json!([author_json(&o)]);
    }
    serde_json::to_string_pretty(&v).expect("plain data serializes") + "\n"
}
