//! HTML pages for readers: home, a source's list, an article and its earlier versions, search
//! results, errors. The same templates serve the web server (absolute links) and the static
//! site (relative links, so it works from any sub-path and from `file://`; every page carries
//! its Content-Security-Policy in a `<meta>`, since static hosts send no headers). Templates
//! are compiled into the binary (askama), so a broken template is a build error.
//!
//! Every article's HTML goes through [`super::present`] (and so [`crate::clean::sanitize`]).

use askama::Template;
use chrono_tz::Tz;

pub use super::links::Links;
use super::present::{self, Shown, safe_href};
use crate::history::Change;
use crate::search::Hit;
use crate::store::{ArticleRow, SourceOverview};

mod article;

pub use article::{ArticleView, article, revision};

/// The stylesheet, served as `static/style.css`.
pub const STYLE: &str = include_str!("../../static/style.css");

/// The static search page's script, `static/search.js`: the only script of the site.
pub const SEARCH_JS: &str = include_str!("../../static/search.js");

/// Articles per list page.
pub const PAGE_LEN: usize = 50;

/// The policy of every page: nothing runs, styles and forms only from here, images from
/// anywhere (articles show the outlets' images) unless `serve` proxies them.
pub fn csp(images_proxied: bool) -> String {
    let img = if images_proxied {
        "'self' data:"
    } else {
        "'self' https: http: data:"
    };
    format!(
        "default-src 'none'; img-src {img}; media-src 'self' https: http:; style-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The policy of a static page, for its `<meta>`: the server's, less what a `<meta>` cannot
/// carry (`frame-ancestors`), plus the search page's one script (by hash) and the index it
/// fetches.
fn csp_meta(script_hash: Option<&str>) -> String {
    let base = csp(false).replace("; frame-ancestors 'none'", "");
    match script_hash {
        Some(h) => format!("{base}; script-src '{h}'; connect-src 'self'"),
        None => base,
    }
}

/// The `sha256-…` hash of the search script, for CSP and Subresource Integrity.
pub fn search_js_hash() -> String {
    use std::sync::OnceLock;
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let d = ring::digest::digest(&ring::digest::SHA256, SEARCH_JS.as_bytes());
        format!("sha256-{}", base64(d.as_ref()))
    })
    .clone()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What every page of one surface shares.
pub struct Ctx<'a> {
    pub links: Links,
    pub site_name: &'a str,
    /// The readers' time zone.
    pub tz: Tz,
    /// `serve` shows images through its proxy (a function giving the proxied URL).
    pub proxy: Option<&'a (dyn Fn(&url::Url) -> String + Sync)>,
    /// The archive's `assets/` folder (local copies of images shown when there).
    pub assets: Option<std::path::PathBuf>,
}

impl Ctx<'_> {
    /// How an article's HTML is shown on this surface.
    pub fn shown<'b>(&'b self, link: &'b str, rules: &'b crate::config::DisplayRules) -> Shown<'b> {
        Shown {
            link,
            rules,
            images: match self.proxy {
                Some(p) => present::Images::Proxy(p),
                None => present::Images::AsIs,
            },
            assets: self.assets.as_deref(),
        }
    }
}

/// A script a page loads (the static search page only).
pub struct Script {
    pub src: String,
    pub integrity: String,
}

/// What every page's frame needs.
pub struct Nav {
    pub site_name: String,
    pub home: String,
    pub css: String,
    pub search: String,
    pub query: String,
    /// The policy, for static pages (the server sends it as a header).
    pub csp: Option<String>,
    pub script: Option<Script>,
    /// Whether the search box of the header is shown (not on the search page itself).
    pub search_box: bool,
}

impl Nav {
    pub fn new(ctx: &Ctx<'_>, query: &str) -> Nav {
        let links = &ctx.links;
        Nav {
            site_name: ctx.site_name.to_string(),
            home: links.home(),
            css: links.css(),
            search: links.search(),
            query: query.to_string(),
            csp: links.is_files().then(|| csp_meta(None)),
            script: None,
            search_box: true,
        }
    }
}

/// A moment as readers see it: in their zone, to the minute, with its machine-readable form.
pub struct Stamp {
    /// RFC 3339 with the zone's offset, for `<time datetime>`.
    pub iso: String,
    pub text: String,
}

impl Stamp {
    pub fn at(ms: i64, tz: Tz) -> Stamp {
        let t = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&tz);
        Stamp {
            iso: t.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            text: t.format("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// The day only.
    pub fn day(ms: i64, tz: Tz) -> Stamp {
        let t = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&tz);
        let d = t.format("%Y-%m-%d").to_string();
        Stamp {
            iso: d.clone(),
            text: d,
        }
    }
}

/// A time in UTC, to the minute (the command line's search output).
pub fn when(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// `lang` of a title shown among others (`None`: the page's).
fn title_lang(title: &str) -> Option<&'static str> {
    present::lang_of(title)
}

/// An article in a list.
pub struct Entry {
    pub title: String,
    pub lang: Option<&'static str>,
    pub href: String,
    pub source_name: String,
    pub date: Stamp,
    pub removed: bool,
    pub edited: bool,
}

impl Entry {
    pub fn of(row: &ArticleRow, ctx: &Ctx<'_>, source_name: &str) -> Entry {
        Entry {
            title: row.title.clone(),
            lang: title_lang(&row.title),
            href: ctx.links.article(&row.source, row.id),
            source_name: source_name.to_string(),
            date: Stamp::at(row.published_ms, ctx.tz),
            removed: row.status == "removed",
            edited: row.revisions > 1,
        }
    }
}

pub struct SourceCard {
    pub name: String,
    pub href: String,
    pub count: i64,
    pub last: Option<Stamp>,
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

fn rendered(r: askama::Result<String>) -> String {
    r.unwrap_or_else(|e| format!("template error: {e}"))
}

/// The home page: sources (with their names) and the newest articles (with their sources'
/// names).
pub fn home(
    ctx: &Ctx<'_>,
    overview: &[(String, SourceOverview)],
    newest: &[(ArticleRow, String)],
) -> String {
    let links = &ctx.links;
    let sources = overview
        .iter()
        .map(|(name, o)| SourceCard {
            name: name.clone(),
            href: links.list(&o.source, 1),
            count: o.articles,
            last: (o.last_seen_ms > 0).then(|| Stamp::day(o.last_seen_ms, ctx.tz)),
            atom: links.feed(&format!("{}.atom", o.source)),
            rss: links.feed(&format!("{}.rss", o.source)),
            json: links.feed(&format!("{}.json", o.source)),
        })
        .collect();
    let entries = newest
        .iter()
        .map(|(r, name)| Entry::of(r, ctx, name))
        .collect();
    rendered(
        HomePage {
            nav: Nav::new(ctx, ""),
            sources,
            entries,
            all_feed: links.feed("all.atom"),
        }
        .render(),
    )
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
    ctx: &Ctx<'_>,
    (slug, name): (&str, &str),
    count: i64,
    page: usize,
    rows: &[ArticleRow],
) -> String {
    let links = &ctx.links;
    let pages = page_count(count);
    rendered(
        ListPage {
            nav: Nav::new(ctx, ""),
            name: name.to_string(),
            count,
            page,
            pages,
            entries: rows.iter().map(|r| Entry::of(r, ctx, name)).collect(),
            prev: (page > 1).then(|| links.list(slug, page - 1)),
            next: (page < pages).then(|| links.list(slug, page + 1)),
            atom: links.feed(&format!("{slug}.atom")),
            rss: links.feed(&format!("{slug}.rss")),
            json: links.feed(&format!("{slug}.json")),
        }
        .render(),
    )
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
    present::xml_chars(&out).into_owned()
}

pub struct HitView {
    pub href: String,
    pub title_html: String,
    pub snippet_html: String,
    pub source_name: String,
    pub date: Stamp,
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
    /// The static page: results come from its script.
    pub scripted: bool,
    pub index: String,
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

fn source_options(view: &SearchView<'_>) -> Vec<SourceOption> {
    view.sources
        .iter()
        .map(|(slug, name)| SourceOption {
            slug: slug.clone(),
            name: name.clone(),
            selected: view.source == Some(slug.as_str()),
        })
        .collect()
}

/// A page of search results (the server's).
pub fn search(ctx: &Ctx<'_>, view: &SearchView<'_>, hits: &[Hit]) -> String {
    let links = &ctx.links;
    let name_of = |slug: &str| {
        view.sources
            .iter()
            .find(|(s, _)| s == slug)
            .map_or_else(|| slug.to_string(), |(_, n)| n.clone())
    };
    let pages = view.total.div_ceil(view.per_page.max(1));
    let mut nav = Nav::new(ctx, view.query);
    nav.search_box = false;
    rendered(
        SearchPage {
            nav,
            action: links.search(),
            sources: source_options(view),
            scripted: false,
            index: String::new(),
            total: view.total,
            hits: hits
                .iter()
                .map(|h| HitView {
                    href: links.article(&h.source, h.id),
                    title_html: present::xml_chars(&h.title_html).into_owned(),
                    snippet_html: present::xml_chars(&h.snippet_html).into_owned(),
                    source_name: name_of(&h.source),
                    date: Stamp::at(h.published_ms, ctx.tz),
                    removed: h.status == "removed",
                })
                .collect(),
            prev: (view.page > 1)
                .then(|| links.search_page(view.query, view.source, view.page - 1)),
            next: (view.page < pages)
                .then(|| links.search_page(view.query, view.source, view.page + 1)),
        }
        .render(),
    )
}

/// The static site's search page: a form, and the one script that searches the site's index.
pub fn static_search(ctx: &Ctx<'_>, sources: &[(String, String)]) -> String {
    let links = &ctx.links;
    let hash = search_js_hash();
    let mut nav = Nav::new(ctx, "");
    nav.search_box = false;
    nav.csp = Some(csp_meta(Some(&hash)));
    nav.script = Some(Script {
        src: links.search_script(),
        integrity: hash,
    });
    let view = SearchView {
        query: "",
        source: None,
        page: 1,
        per_page: 20,
        total: 0,
        sources,
    };
    rendered(
        SearchPage {
            nav,
            action: links.search(),
            sources: source_options(&view),
            scripted: true,
            index: links.search_index(),
            total: 0,
            hits: Vec::new(),
            prev: None,
            next: None,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub nav: Nav,
    pub code: u16,
    pub message: String,
}

/// An error page.
pub fn error(ctx: &Ctx<'_>, code: u16, message: &str) -> String {
    rendered(
        ErrorPage {
            nav: Nav::new(ctx, ""),
            code,
            message: message.to_string(),
        }
        .render(),
    )
}

/// A link readers may follow (`http`, `https`, `mailto`), or `None`.
pub fn link_of(href: &str) -> Option<String> {
    safe_href(href)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_escape_and_mark() {
        let changes = crate::history::diff_text("一<b>二三", "一<b>二四");
        let html = diff_html(&changes);
        assert_eq!(html, "一&#60;b&#62;二<del>三</del><ins>四</ins>");
    }

    #[test]
    fn times_are_in_the_readers_zone() {
        // 2024-06-19 20:30 UTC is already the 20th in Shanghai.
        let ms = 1_718_829_000_000;
        let s = Stamp::at(ms, chrono_tz::Asia::Shanghai);
        assert_eq!(s.text, "2024-06-20 04:30");
        assert_eq!(s.iso, "2024-06-20T04:30:00+08:00");
        let u = Stamp::at(ms, chrono_tz::UTC);
        assert_eq!(u.text, "2024-06-19 20:30");
        assert_eq!(u.iso, "2024-06-19T20:30:00+00:00");
        assert_eq!(Stamp::day(ms, chrono_tz::Asia::Shanghai).iso, "2024-06-20");
    }

    #[test]
    fn base64_of_digests() {
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    #[test]
    fn static_pages_carry_their_policy_and_only_search_has_a_script() {
        let ctx = Ctx {
            links: Links::files(0),
            site_name: "镜像",
            tz: chrono_tz::Asia::Shanghai,
            proxy: None,
            assets: None,
        };
        let unq = |s: String| s.replace("&#39;", "'");
        let e = unq(error(&ctx, 404, "找不到"));
        assert!(
            e.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
            ),
            "{e}"
        );
        assert!(!e.contains("<script"), "{e}");
        assert!(!e.contains("script-src"), "{e}");
        let s = unq(static_search(&ctx, &[]));
        let hash = search_js_hash();
        assert!(s.contains(&format!("script-src '{hash}'")), "{s}");
        assert!(
            s.contains(&format!(
                "<script src=\"static/search.js\" integrity=\"{hash}\""
            )),
            "{s}"
        );
        assert_eq!(s.matches("<script").count(), 1, "{s}");
        let served = Ctx {
            links: Links::server(),
            ..ctx
        };
        assert!(!error(&served, 404, "x").contains("Content-Security-Policy"));
    }
}
