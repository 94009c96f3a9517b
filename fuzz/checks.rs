//! The checks the fuzz targets run, one function per target, shared with the regression
//! tests (`tests/fuzz_regressions.rs` runs them on the seed corpus and on every crash the
//! fuzzer found). Each panics when the property it checks is broken.
#![allow(dead_code)]

use std::sync::OnceLock;

use newsmirror::mirror;

use newsmirror::mirror::{article_text, parse_article};
use newsmirror::search::{SearchIndex, SearchQuery};

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<(tempfile::TempDir, SearchIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let (idx, _) = SearchIndex::open(dir.path()).unwrap();
            (dir, idx)
        })
        .1
}
use newsmirror::nesting::cap_depth;

const CAP: usize = 32;

fn depth(doc: &dom_query::Document) -> usize {
    let root = doc.root();
    let mut max = 0;
    let mut stack = vec![(root, 0usize)];
    while let Some((node, d)) = stack.pop() {
        max = max.max(d);
        for child in node.children() {
            stack.push((child, d + 1));
        }
    }
    max
}
/// A feed from parsing through identity and rendering: items become article files that read
/// back the same, list entries, and feeds out; never a crash.
pub fn feed(data: &[u8]) {
    let url = url::Url::parse("https://news.example/feed.xml").unwrap();
    let Ok(feed) = newsmirror::feed::parse(data, None, &url) else {
        return;
    };
    let mut entries = Vec::new();
    for (i, item) in feed.items.iter().enumerate().take(50) {
        let title = mirror::clean_line(&item.title);
        let link = item
            .link
            .as_ref()
            .map(newsmirror::archive::canonical_link)
            .unwrap_or_default();
        let link = mirror::clean_line(&link);
        let _ = newsmirror::archive::comparable_title(&title);
        let _ = newsmirror::history::content_hash(&title, &item.content);
        let content = mirror::flatten_content(&item.content);
        let text = mirror::article_text(0, &title, &link, &content);
        if !content.contains("\n------\n") {
            let back = mirror::parse_article(&text).expect("an article file parses");
            assert_eq!(
                (back.title.as_str(), back.link.as_str()),
                (title.as_str(), link.as_str())
            );
        }
        let entry = mirror::list_entry(0, &title, "articles/s/1048574.md");
        assert!(mirror::list_entry_link(&entry).is_some(), "{entry}");
        entries.push(newsmirror::store::FeedEntry {
            source: "s".into(),
            id: 1048574 - i as i64,
            title,
            link,
            published_ms: 0,
            first_seen_ms: 0,
            content: item.content.clone(),
            revision: 1,
            revised_ms: 0,
            enclosures: Vec::new(),
        });
    }
    let meta = newsmirror::render::feeds::FeedMeta {
        id: "urn:newsmirror:s",
        title: "S",
        slug: Some("s"),
        link: "https://news.example/",
        pages: None,
        sources: &[],
        images: None,
        assets: None,
    };
    for kind in newsmirror::render::feeds::KINDS {
        let _ = newsmirror::render::feeds::render(kind, &meta, &entries);
    }
}

/// The sanitizer on any bytes: never a crash, and nothing executable comes out.
pub fn sanitize(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    let base = url::Url::parse("https://news.example/a/1.html").unwrap();
    let out = newsmirror::clean::sanitize(&html, &base);
    // As a browser reads the output: no active element, no event handler, and every URL
    // attribute http, https or mailto (or a raster data: image).
    let doc = dom_query::Document::from(out.as_str());
    let active =
        doc.select("script, iframe, object, embed, style, svg, math, form, base, meta, link");
    assert!(!active.exists(), "active element in {out}");
    for node in doc.select("*").nodes() {
        for a in node.attrs() {
            assert!(
                !a.name.local.to_ascii_lowercase().starts_with("on"),
                "handler in {out}"
            );
        }
    }
    for node in doc.select("[href], [src], [srcset]").nodes() {
        for attr in ["href", "src", "srcset"] {
            let Some(v) = node.attr(attr) else { continue };
            let v = v.trim_start().to_ascii_lowercase();
            let ok = |u: &str| {
                u.starts_with("http://")
                    || u.starts_with("https://")
                    || u.starts_with("mailto:")
                    || (attr == "src" && u.starts_with("data:image/"))
            };
            let fine = if attr == "srcset" {
                v.split(',').all(|c| ok(c.trim()))
            } else {
                ok(&v)
            };
            assert!(fine, "{attr}={v:?} in {out}");
        }
    }
}

/// Extraction (with its budget) and sanitizing of any page: never a crash, never a hang.
pub fn extract(data: &[u8]) {
    let html = String::from_utf8_lossy(data).into_owned();
    let url = url::Url::parse("https://news.example/a/1.html").unwrap();
    let budget = newsmirror::extract::Budget {
        time: std::time::Duration::from_secs(60),
        ..newsmirror::extract::Budget::default()
    };
    let _ = newsmirror::extract::extract_within(
        html,
        url,
        newsmirror::extract::Rules::default(),
        budget,
        |got, url| newsmirror::clean::sanitize(&got.html, url),
    );
}

/// The article file format: any text parses or not without a crash, and a parsed article
/// written again reads back the same.
pub fn article(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Some(a) = parse_article(&text) else {
        return;
    };
    let Some(ms) = a.published_ms else {
        return;
    };
    if a.content.contains("\n------\n") {
        return;
    }
    let again = article_text(ms, &a.title, &a.link, &a.content);
    let b = parse_article(&again).expect("a written article parses");
    assert_eq!((a.title, a.link, a.content), (b.title, b.link, b.content));
}

/// Config parsing: any text is a config or an error in words, never a crash.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) =
        newsmirror::config::Config::parse(&text, std::path::Path::new("/srv/m/newsmirror.toml"))
    {
        let msg = e.to_string();
        assert!(!msg.is_empty());
    }
}

/// Search queries: any query text runs against an index without a crash.
pub fn search(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = newsmirror::search::query_words(&text);
    let q = SearchQuery {
        text,
        source: None,
        page: 1,
        per_page: 20,
    };
    let _ = index().search(&q);
}

/// The depth cap against a real parser: whatever the input, the tree a parser builds from the
/// capped HTML is no deeper than the cap and a few levels (the formatting elements it reopens).
pub fn nesting(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    let capped = cap_depth(&html, CAP);
    let doc = dom_query::Document::from(capped.as_ref());
    let d = depth(&doc);
    // html, body, and the reopened formatting elements (at most 24) above the cap.
    assert!(d <= CAP + 24 + 8, "depth {d} after the cap of {CAP}");
}
