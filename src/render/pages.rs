//! HTML pages for readers: home, a source's list, an article, search results. The same
//! templates serve the web server (absolute links) and the static site (relative links, so it
//! works from any sub-path and from `file://`). Templates are compiled into the binary
//! (askama), so a broken template is a build error.
//!
//! Every article's HTML goes through [`crate::clean::sanitize`] here, the one sanitizer.

use askama::Template;

use crate::history::Change;
use crate::search::Hit;
use crate::store::{ArticleInfo, ArticleRow, EventRow, RevisionRow, SourceOverview};

/// The stylesheet, served as `static/style.css`.
pub const STYLE: &str = include_str!("../../static/style.css");

/// Articles per list page.
pub const PAGE_LEN: usize = 50;

/// How links are written.
#[derive(Debug, Clone)]
pub struct Links {
    /// Prefix that leads to the top: `/` for the server, `../../` and the like for files.
    root: String,
    files: bool,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Links {
    /// Links of the web server.
    pub fn server() -> Links {
        Links {
            root: "/".into(),
            files: false,
        }
    }

    /// Links of a static page `depth` folders below the top.
    pub fn files(depth: usize) -> Links {
        Links {
            root: "../".repeat(depth),
            files: true,
        }
    }

    pub fn home(&self) -> String {
        if self.files {
            format!("{}index.html", self.root)
        } else {
            self.root.clone()
        }
    }

    pub fn list(&self, slug: &str, page: usize) -> String {
        let slug = enc(slug);
        match (self.files, page) {
            (true, 0 | 1) => format!("{}s/{slug}/index.html", self.root),
            (true, n) => format!("{}s/{slug}/page-{n}.html", self.root),
            (false, 0 | 1) => format!("{}s/{slug}/", self.root),
            (false, n) => format!("{}s/{slug}/?page={n}", self.root),
        }
    }

    pub fn article(&self, slug: &str, id: i64) -> String {
        let ext = if self.files { ".html" } else { "" };
        format!("{}s/{}/{id}{ext}", self.root, enc(slug))
    }

    pub fn feed(&self, name: &str) -> String {
        format!("{}feeds/{name}", self.root)
    }

    pub fn css(&self) -> String {
        format!("{}static/style.css", self.root)
    }

    fn assets(&self) -> String {
        format!("{}assets/", self.root)
    }

    /// The search page (`None` for static files: no server to search with).
    pub fn search(&self) -> Option<String> {
        (!self.files).then(|| format!("{}search", self.root))
    }

    pub fn search_page(&self, q: &str, source: Option<&str>, page: usize) -> String {
        let mut s = format!("{}search?q={}", self.root, enc(q));
        if let Some(src) = source {
            s.push_str(&format!("&source={}", enc(src)));
        }
        if page > 1 {
            s.push_str(&format!("&page={page}"));
        }
        s
    }
}

/// What every page's frame needs.
pub struct Nav {
    pub site_name: String,
    pub home: String,
    pub css: String,
    pub search: Option<String>,
    pub query: String,
}

impl Nav {
    pub fn new(links: &Links, site_name: &str, query: &str) -> Nav {
        Nav {
            site_name: site_name.to_string(),
            home: links.home(),
            css: links.css(),
            search: links.search(),
            query: query.to_string(),
        }
    }
}

/// A time as readers see it: UTC, to the minute.
pub fn when(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// An article in a list.
pub struct Entry {
    pub title: String,
    pub href: String,
    pub source_name: String,
    pub date: String,
    pub removed: bool,
    pub edited: bool,
}

impl Entry {
    pub fn of(row: &ArticleRow, links: &Links, source_name: &str) -> Entry {
        Entry {
            title: row.title.clone(),
            href: links.article(&row.source, row.id),
            source_name: source_name.to_string(),
            date: when(row.published_ms),
            removed: row.status == "removed",
            edited: row.revisions > 1,
        }
    }
}

pub struct SourceCard {
    pub name: String,
    pub href: String,
    pub count: i64,
    pub last: String,
    pub atom: String,
    pub rss: String,
    pub json: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub nav: Nav,
    pub sources: Vec<SourceCard>,
    pub entries: Vec<Entry>,
    pub all_feed: String,
}

/// The home page: sources (name from `names`, falling back to the slug) and the newest.
pub fn home(
    links: &Links,
    site_name: &str,
    overview: &[(String, SourceOverview)],
    newest: &[(ArticleRow, String)],
) -> String {
    let sources = overview
        .iter()
        .map(|(name, o)| SourceCard {
            name: name.clone(),
            href: links.list(&o.source, 1),
            count: o.articles,
            last: when(o.last_seen_ms)
                .get(..10)
                .unwrap_or_default()
                .to_string(),
            atom: links.feed(&format!("{}.atom", o.source)),
            rss: links.feed(&format!("{}.rss", o.source)),
            json: links.feed(&format!("{}.json", o.source)),
        })
        .collect();
    let entries = newest
        .iter()
        .map(|(r, name)| Entry::of(r, links, name))
        .collect();
    HomePage {
        nav: Nav::new(links, site_name, ""),
        sources,
        entries,
        all_feed: links.feed("all.atom"),
    }
    .render()
    .unwrap_or_else(|e| format!("template error: {e}"))
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub nav: Nav,
    pub name: String,
    pub count: i64,
    pub page: usize,
    pub pages: usize,
    pub entries: Vec<Entry>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub atom: String,
    pub rss: String,
    pub json: String,
}

/// How many pages `count` articles fill.
pub fn page_count(count: i64) -> usize {
    (count.max(1) as usize).div_ceil(PAGE_LEN)
}

/// One page of a source's list.
pub fn list(
    links: &Links,
    site_name: &str,
    (slug, name): (&str, &str),
    count: i64,
    page: usize,
    rows: &[ArticleRow],
) -> String {
    let pages = page_count(count);
    ListPage {
        nav: Nav::new(links, site_name, ""),
        name: name.to_string(),
        count,
        page,
        pages,
        entries: rows.iter().map(|r| Entry::of(r, links, name)).collect(),
        prev: (page > 1).then(|| links.list(slug, page - 1)),
        next: (page < pages).then(|| links.list(slug, page + 1)),
        atom: links.feed(&format!("{slug}.atom")),
        rss: links.feed(&format!("{slug}.rss")),
        json: links.feed(&format!("{slug}.json")),
    }
    .render()
    .unwrap_or_else(|e| format!("template error: {e}"))
}

pub struct RevisionView {
    pub n: i64,
    pub seen: String,
    pub diff_html: String,
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub nav: Nav,
    pub title: String,
    pub source_name: String,
    pub source_href: String,
    pub published: String,
    pub archived: String,
    pub link: String,
    pub content_html: String,
    pub removed: bool,
    pub restored: bool,
    pub status_at: Option<String>,
    pub revisions: Vec<RevisionView>,
}

/// Article HTML made safe to show: sanitized against the article's own link, images kept in
/// the archive (`../../assets/…`) pointed at the page's `assets/`.
pub fn article_html(content: &str, link: &str, links: &Links) -> String {
    const LOCAL: &str = "https://newsmirror.invalid/assets/";
    let base = url::Url::parse(link)
        .unwrap_or_else(|_| url::Url::parse("https://invalid.example/").expect("valid"));
    let mut local = String::with_capacity(content.len());
    let mut rest = content;
    // `src="../../assets/x"` (however many `../`) → a placeholder the sanitizer keeps.
    while let Some(at) = rest.find("assets/") {
        let head = &rest[..at];
        let ups = head.len() - head.trim_end_matches("../").len();
        let quoted = head[..head.len() - ups].ends_with(['"', '\'']);
        if ups > 0 && quoted {
            local.push_str(&head[..head.len() - ups]);
            local.push_str(LOCAL);
        } else {
            local.push_str(head);
            local.push_str("assets/");
        }
        rest = &rest[at + "assets/".len()..];
    }
    local.push_str(rest);
    crate::clean::sanitize(&local, &base).replace(LOCAL, &links.assets())
}

fn escape(s: &str) -> String {
    askama::filters::escape(s, askama::filters::Html)
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// A diff for readers: removed words struck, added words marked, long unchanged runs cut.
pub fn diff_html(changes: &[Change]) -> String {
    const CONTEXT: usize = 30;
    let mut out = String::new();
    let n = changes.len();
    for (i, c) in changes.iter().enumerate() {
        match c {
            Change::Same(s) => {
                let chars: Vec<char> = s.chars().collect();
                if chars.len() <= 2 * CONTEXT {
                    out.push_str(&escape(s));
                    continue;
                }
                if i > 0 {
                    out.push_str(&escape(&chars[..CONTEXT].iter().collect::<String>()));
                }
                out.push_str(" … ");
                if i + 1 < n {
                    let tail: String = chars[chars.len() - CONTEXT..].iter().collect();
                    out.push_str(&escape(&tail));
                }
            }
            Change::Removed(s) => out.push_str(&format!("<del>{}</del>", escape(s))),
            Change::Added(s) => out.push_str(&format!("<ins>{}</ins>", escape(s))),
        }
    }
    out
}

/// One article page, with its revisions (diffs between consecutive ones) and events.
pub fn article(
    links: &Links,
    site_name: &str,
    info: &ArticleInfo,
    source_name: &str,
    revisions: &[RevisionRow],
    events: &[EventRow],
) -> String {
    let latest = revisions.last();
    let mut views = Vec::new();
    if revisions.len() > 1 {
        let mut prev_text = String::new();
        for r in revisions {
            let text = format!("{}\n{}", r.title, crate::history::text_of_html(&r.content));
            let diff = if r.n > 1 && !prev_text.is_empty() {
                diff_html(&crate::history::diff_text(&prev_text, &text))
            } else {
                String::new()
            };
            views.push(RevisionView {
                n: r.n,
                seen: when(r.seen_ms),
                diff_html: diff,
            });
            prev_text = text;
        }
        views.reverse();
    }
    let removed = info.status == "removed";
    ArticlePage {
        nav: Nav::new(links, site_name, ""),
        title: latest.map_or_else(|| info.title.clone(), |r| r.title.clone()),
        source_name: source_name.to_string(),
        source_href: links.list(&info.source, 1),
        published: when(info.published_ms),
        archived: when(info.first_seen_ms),
        link: info.link.clone(),
        content_html: latest
            .map(|r| article_html(&r.content, &info.link, links))
            .unwrap_or_default(),
        removed,
        restored: !removed && events.iter().any(|e| e.kind == "restored"),
        status_at: info.status_ms.filter(|_| removed).map(when),
        revisions: views,
    }
    .render()
    .unwrap_or_else(|e| format!("template error: {e}"))
}

pub struct HitView {
    pub href: String,
    pub title_html: String,
    pub snippet_html: String,
    pub source_name: String,
    pub date: String,
    pub removed: bool,
}

pub struct SourceOption {
    pub slug: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub nav: Nav,
    pub action: String,
    pub sources: Vec<SourceOption>,
    pub total: usize,
    pub hits: Vec<HitView>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// What a search page shows besides its hits.
pub struct SearchView<'a> {
    pub query: &'a str,
    pub source: Option<&'a str>,
    pub page: usize,
    pub per_page: usize,
    pub total: usize,
    /// (slug, name) of every source.
    pub sources: &'a [(String, String)],
}

/// A page of search results.
pub fn search(links: &Links, site_name: &str, view: &SearchView<'_>, hits: &[Hit]) -> String {
    let name_of = |slug: &str| {
        view.sources
            .iter()
            .find(|(s, _)| s == slug)
            .map_or_else(|| slug.to_string(), |(_, n)| n.clone())
    };
    let pages = view.total.div_ceil(view.per_page.max(1));
    SearchPage {
        nav: Nav::new(links, site_name, view.query),
        action: links.search().unwrap_or_default(),
        sources: view
            .sources
            .iter()
            .map(|(slug, name)| SourceOption {
                slug: slug.clone(),
                name: name.clone(),
                selected: view.source == Some(slug.as_str()),
            })
            .collect(),
        total: view.total,
        hits: hits
            .iter()
            .map(|h| HitView {
                href: links.article(&h.source, h.id),
                title_html: h.title_html.clone(),
                snippet_html: h.snippet_html.clone(),
                source_name: name_of(&h.source),
                date: when(h.published_ms),
                removed: h.status == "removed",
            })
            .collect(),
        prev: (view.page > 1).then(|| links.search_page(view.query, view.source, view.page - 1)),
        next: (view.page < pages)
            .then(|| links.search_page(view.query, view.source, view.page + 1)),
    }
    .render()
    .unwrap_or_else(|e| format!("template error: {e}"))
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub nav: Nav,
    pub code: u16,
    pub message: String,
}

/// An error page.
pub fn error(links: &Links, site_name: &str, code: u16, message: &str) -> String {
    ErrorPage {
        nav: Nav::new(links, site_name, ""),
        code,
        message: message.to_string(),
    }
    .render()
    .unwrap_or_else(|e| format!("template error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_images_point_at_the_pages_assets() {
        let html =
            r#"<p>x</p><img src="../../assets/ab12.jpg"><img src="https://e.com/assets/y.png">"#;
        let out = article_html(html, "https://news.example/a/1", &Links::files(3));
        assert!(out.contains(r#"src="../../../assets/ab12.jpg""#), "{out}");
        assert!(out.contains(r#"src="https://e.com/assets/y.png""#), "{out}");
        let out = article_html(html, "https://news.example/a/1", &Links::server());
        assert!(out.contains(r#"src="/assets/ab12.jpg""#), "{out}");
    }

    #[test]
    fn diffs_escape_and_mark() {
        let changes = crate::history::diff_text("一<b>二三", "一<b>二四");
        let html = diff_html(&changes);
        assert_eq!(html, "一&#60;b&#62;二<del>三</del><ins>四</ins>");
    }
}
