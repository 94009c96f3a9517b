//! The handlers: one per route, each reading the store (or the index) and rendering a page,
//! off the async threads (so that the request timeout holds even for a slow page), through
//! the cache of rendered pages.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use url::Url;

use super::{App, Cached};
use crate::render::feeds::{self, FEED_LEN, FeedMeta};
use crate::render::pages::{self, ArticleView, Links, PAGE_LEN};
use crate::search::SearchQuery;

type AppState = State<Arc<App>>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/index.html", get(home))
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(style))
        .route("/s/{slug}", get(list_redirect))
        .route("/s/{slug}/", get(list))
        .route("/s/{slug}/{item}", get(item))
        .route("/search", get(search))
        .route("/search.html", get(search))
        .route("/feeds/{file}", get(feed))
        .route("/assets/{file}", get(asset))
        .route("/img/{sig}", get(image))
        .fallback(not_found)
}

const HTML: &str = "text/html; charset=utf-8";

fn no_proxy(_: &Url) -> String {
    String::new()
}

/// Renders with `app`'s context (images through its proxy when on).
fn with_ctx<T>(app: &App, f: impl FnOnce(&pages::Ctx<'_>) -> T) -> T {
    match &app.images {
        Some(p) => {
            let proxy = |u: &Url| p.link(u);
            f(&app.ctx(&proxy))
        }
        None => f(&app.ctx(&no_proxy)),
    }
}

fn error(app: &App, code: StatusCode, message: &str) -> Response {
    let body = with_ctx(app, |ctx| pages::error(ctx, code.as_u16(), message));
    (code, [(header::CONTENT_TYPE, HTML)], body).into_response()
}

fn internal(app: &App, e: impl std::fmt::Display) -> Response {
    tracing::error!("serve: {e}");
    error(
        app,
        StatusCode::INTERNAL_SERVER_ERROR,
        "服务器出错，请稍后再试。",
    )
}

async fn not_found(State(app): AppState) -> Response {
    blocking(app, |app| {
        error(app, StatusCode::NOT_FOUND, "找不到这个页面。")
    })
    .await
}

/// Runs `f` off the async threads.
async fn blocking(app: Arc<App>, f: impl FnOnce(&App) -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A cacheable page: kept under `key` until the database changes; `make` renders it (or
/// answers otherwise, uncached).
async fn cached(
    app: Arc<App>,
    key: String,
    headers: HeaderMap,
    make: impl FnOnce(&App) -> Result<Cached, Box<Response>> + Send + 'static,
) -> Response {
    blocking(app, move |app| {
        let version = app.data_version();
        if let Some(c) = app.cache.get(&key, version) {
            return c.respond(&headers);
        }
        // One render per page at a time: the others wait for it (a render outlives a request
        // that timed out, and its result is kept for the next one).
        let flight = app.cache.flight(&key);
        let _held = flight.hold();
        if let Some(c) = app.cache.get(&key, version) {
            return c.respond(&headers);
        }
        match make(app) {
            Ok(c) => {
                let c = Arc::new(c);
                app.cache.put(key, version, c.clone());
                c.respond(&headers)
            }
            Err(r) => *r,
        }
    })
    .await
}

async fn healthz(State(app): AppState) -> Response {
    blocking(app, |app| match app.overview() {
        Ok(o) => {
            let n: i64 = o.iter().map(|s| s.articles).sum();
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("ok {n} articles\n"),
            )
                .into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response(),
    })
    .await
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        pages::STYLE,
    )
        .into_response()
}

// Cache keys name what a page is made of (never the raw request, whose query a client may
// vary at will to fill the cache).

async fn home(State(app): AppState, headers: HeaderMap) -> Response {
    cached(app, "home".into(), headers, |app| {
        // Only the sources the config lists (a removed source's articles stay in the
        // archive, unseen).
        let listed: Vec<&str> = app.sources.iter().map(|(s, _)| s.as_str()).collect();
        let data = app.overview().and_then(|o| {
            let others = o.iter().any(|o| !listed.contains(&o.source.as_str()));
            let newest = if others {
                app.with_store(|s| s.newest_rows_of(&listed, 30))?
            } else {
                app.with_store(|s| s.newest_rows(None, 0, 30))?
            };
            Ok((o, newest))
        });
        let (overview, newest) = data.map_err(|e| Box::new(internal(app, e)))?;
        // Sources in config order.
        let mut cards: Vec<(String, crate::store::SourceOverview)> = Vec::new();
        for (slug, name) in &app.sources {
            if let Some(o) = overview.iter().find(|o| &o.source == slug) {
                cards.push((name.clone(), o.clone()));
            }
        }
        let newest: Vec<_> = newest
            .into_iter()
            .map(|r| {
                let name = app.name_of(&r.source);
                (r, name)
            })
            .collect();
        let body = with_ctx(app, |ctx| pages::home(ctx, &cards, &newest));
        Ok(Cached::new(HTML, body, None))
    })
    .await
}

async fn list_redirect(Path(slug): Path<String>) -> Response {
    let to: String = url::form_urlencoded::byte_serialize(slug.as_bytes()).collect();
    Redirect::permanent(&format!("/s/{to}/")).into_response()
}

#[derive(serde::Deserialize)]
struct PageArg {
    page: Option<String>,
}

fn page_of(s: Option<&str>) -> usize {
    s.and_then(|p| p.trim().parse::<usize>().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1)
        .min(1_000_000)
}

async fn list(
    State(app): AppState,
    Path(slug): Path<String>,
    Query(q): Query<PageArg>,
    headers: HeaderMap,
) -> Response {
    let page = page_of(q.page.as_deref());
    list_page(app, slug, page, headers).await
}

async fn list_page(app: Arc<App>, slug: String, page: usize, headers: HeaderMap) -> Response {
    let key = format!("list\u{0}{slug}\u{0}{page}");
    cached(app, key, headers, move |app| {
        let data = app.overview().and_then(|o| {
            let count = o
                .iter()
                .find(|s| s.source == slug)
                .map_or(0, |s| s.articles);
            let rows =
                app.with_store(|s| s.newest_rows(Some(&slug), (page - 1) * PAGE_LEN, PAGE_LEN))?;
            Ok((count, rows))
        });
        let (count, rows) = data.map_err(|e| Box::new(internal(app, e)))?;
        if !app.sources.iter().any(|(s, _)| *s == slug) {
            return Err(Box::new(error(
                app,
                StatusCode::NOT_FOUND,
                "没有这个来源。",
            )));
        }
        if page > 1 && rows.is_empty() {
            return Err(Box::new(error(app, StatusCode::NOT_FOUND, "没有这一页。")));
        }
        let name = app.name_of(&slug);
        let body = with_ctx(app, |ctx| {
            pages::list(ctx, (&slug, &name), count, page, &rows)
        });
        Ok(Cached::new(HTML, body, None))
    })
    .await
}

/// What `/s/{slug}/{item}` names: the static site's list files, an article (`123`,
/// `123.html`) or an earlier version of one (`123-v2`).
enum Item {
    List(usize),
    Article(i64),
    Revision(i64, i64),
}

fn item_of(s: &str) -> Option<Item> {
    let s = s.strip_suffix(".html").unwrap_or(s);
    if s == "index" {
        return Some(Item::List(1));
    }
    if let Some(n) = s.strip_prefix("page-") {
        return n.parse().ok().filter(|&n| n >= 1).map(Item::List);
    }
    let digits = |t: &str| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit());
    if let Some((id, n)) = s.split_once("-v") {
        if digits(id) && digits(n) {
            return Some(Item::Revision(id.parse().ok()?, n.parse().ok()?));
        }
        return None;
    }
    digits(s)
        .then(|| s.parse().ok())
        .flatten()
        .map(Item::Article)
}

async fn item(
    State(app): AppState,
    Path((slug, item)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (id, version) = match item_of(&item) {
        Some(Item::List(page)) => return list_page(app, slug, page, headers).await,
        Some(Item::Article(id)) => (id, None),
        Some(Item::Revision(id, n)) => (id, Some(n)),
        None => {
            return blocking(app, |app| {
                error(app, StatusCode::NOT_FOUND, "找不到这篇文章。")
            })
            .await;
        }
    };
    let key = format!("item\u{0}{slug}\u{0}{id}\u{0}{version:?}");
    cached(app, key, headers, move |app| {
        if !app.sources.iter().any(|(s, _)| *s == slug) {
            return Err(Box::new(error(
                app,
                StatusCode::NOT_FOUND,
                "找不到这篇文章。",
            )));
        }
        let data = app.with_store(|s| {
            let Some(info) = s.article(&slug, id)? else {
                return Ok(None);
            };
            let revisions = s.revisions(info.pk)?;
            let events = s.events_of(info.pk)?;
            let near = s.neighbours(&slug, info.published_ms, info.id)?;
            let enclosures = s.enclosures(info.pk)?;
            Ok(Some((info, revisions, events, near, enclosures)))
        });
        let Some((info, revisions, events, (newer, older), enclosures)) =
            data.map_err(|e| Box::new(internal(app, e)))?
        else {
            return Err(Box::new(error(
                app,
                StatusCode::NOT_FOUND,
                "找不到这篇文章。",
            )));
        };
        let name = app.name_of(&slug);
        let rules = app.rules_of(&slug);
        let view = ArticleView {
            info: &info,
            source_name: &name,
            revisions: &revisions,
            events: &events,
            newer: newer.as_ref(),
            older: older.as_ref(),
            rules: &rules,
            enclosures: &enclosures,
        };
        let body = with_ctx(app, |ctx| match version {
            None => Some(pages::article(ctx, &view)),
            Some(n) => pages::revision(ctx, &view, n),
        });
        match body {
            Some(b) => Ok(Cached::new(HTML, b, None)),
            None => Err(Box::new(error(
                app,
                StatusCode::NOT_FOUND,
                "没有这个较早的版本。",
            ))),
        }
    })
    .await
}

#[derive(serde::Deserialize)]
struct SearchArg {
    q: Option<String>,
    source: Option<String>,
    page: Option<String>,
}

/// Results a search page shows.
const PER_PAGE: usize = 20;

async fn search(State(app): AppState, Query(arg): Query<SearchArg>) -> Response {
    blocking(app, move |app| {
        let text: String = arg
            .q
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let text = text.trim().to_string();
        let source = arg.source.filter(|s| !s.is_empty());
        let page = page_of(arg.page.as_deref());
        let hits = if text.is_empty() {
            Default::default()
        } else {
            let Some(index) = &app.search else {
                return error(
                    app,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "搜索索引还没有建立（运行 newsmirror reindex）。",
                );
            };
            let q = SearchQuery {
                text: text.clone(),
                source: source.clone(),
                page,
                per_page: PER_PAGE,
            };
            match index.search(&q) {
                Ok(h) => h,
                Err(e) => return internal(app, e),
            }
        };
        let view = pages::SearchView {
            query: &text,
            source: source.as_deref(),
            page,
            per_page: PER_PAGE,
            total: hits.total,
            sources: &app.sources,
        };
        let body = with_ctx(app, |ctx| pages::search(ctx, &view, &hits.hits));
        ([(header::CONTENT_TYPE, HTML)], body).into_response()
    })
    .await
}

/// The server's public address for feeds: `[web] base_url`, else what the client asked for
/// (`Host`, when it looks like a host).
fn base_of(app: &App, headers: &HeaderMap) -> Option<Url> {
    if let Some(b) = &app.base_url {
        return Some(b.clone());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then(|| Url::parse(&format!("http://{host}/")).ok())
        .flatten()
}

async fn feed(State(app): AppState, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let base = base_of(&app, &headers);
    let key = format!(
        "feed\u{0}{file}\u{0}{}",
        base.as_ref().map_or("", |b| b.as_str())
    );
    cached(app, key, headers, move |app| {
        let nf = |app: &App| Box::new(error(app, StatusCode::NOT_FOUND, "找不到这个页面。"));
        let Some((name, ext)) = file.rsplit_once('.') else {
            return Err(nf(app));
        };
        let all = name == "all";
        let known = all || app.sources.iter().any(|(s, _)| s == name);
        if !known || (all && ext != "atom") || !feeds::KINDS.contains(&ext) {
            return Err(nf(app));
        }
        let entries = app
            .with_store(|s| {
                if !all {
                    return s.newest_entries(Some(name), FEED_LEN);
                }
                // Only the sources the config lists.
                let mut per_source = Vec::new();
                for (slug, _) in &app.sources {
                    per_source.push(s.newest_entries(Some(slug), FEED_LEN)?);
                }
                Ok(feeds::merge_newest(per_source))
            })
            .map_err(|e| Box::new(internal(app, e)))?;
        let (id, title) = if all {
            (feeds::feed_id(None), app.site_name.clone())
        } else {
            (feeds::feed_id(Some(name)), app.name_of(name))
        };
        let link = app
            .config_sources
            .iter()
            .find(|s| s.slug == name)
            .map_or_else(|| "https://invalid.example/".to_string(), |s| s.site_link());
        let pages = base.as_ref().map(Links::files_at);
        let assets = app.archive_dir.join("assets");
        // Images through this server's proxy, as full URLs under its public address.
        let proxied = |u: &Url| match (&app.images, &base) {
            (Some(p), Some(b)) => b
                .join(p.link(u).trim_start_matches('/'))
                .map_or_else(|_| u.to_string(), |j| j.to_string()),
            _ => u.to_string(),
        };
        let meta = FeedMeta {
            id: &id,
            title: &title,
            slug: (!all).then_some(name),
            link: &link,
            pages: pages.as_ref(),
            sources: &app.config_sources,
            images: (app.images.is_some() && base.is_some()).then_some(&proxied),
            assets: Some(&assets),
        };
        let body = feeds::render(ext, &meta, &entries).ok_or_else(|| nf(app))?;
        // Never later than now (an outlet may date an article ahead).
        let now = chrono::Utc::now().timestamp_millis();
        let changed = feeds::changed_ms(&entries).map(|c| c.min(now));
        Ok(Cached::new(feeds::content_type(ext), body, changed))
    })
    .await
}

async fn asset(State(app): AppState, Path(file): Path<String>) -> Response {
    // Only the names newsmirror gives assets: a hash and an extension.
    let ok = file.split_once('.').is_some_and(|(h, e)| {
        !h.is_empty()
            && h.len() <= 128
            && h.bytes().all(|b| b.is_ascii_alphanumeric())
            && e.len() <= 5
            && e.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    if !ok {
        return not_found(State(app)).await;
    }
    let path = app.archive_dir.join("assets").join(&file);
    let bytes = tokio::fs::read(&path).await.ok();
    // Served by what the bytes are, and only raster images: never SVG or HTML from here.
    match bytes
        .as_deref()
        .and_then(crate::render::present::raster_type)
    {
        Some(ct) => (
            [
                (header::CONTENT_TYPE, ct),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes.unwrap_or_default(),
        )
            .into_response(),
        None => not_found(State(app)).await,
    }
}

#[derive(serde::Deserialize)]
struct ImageArg {
    u: Option<String>,
}

async fn image(
    State(app): AppState,
    Path(sig): Path<String>,
    Query(arg): Query<ImageArg>,
) -> Response {
    use super::images::Refusal;
    let Some(proxy) = &app.images else {
        return not_found(State(app)).await;
    };
    let url = arg.u.unwrap_or_default();
    let plain = |code: StatusCode, why: &str| {
        (
            code,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{why}\n"),
        )
            .into_response()
    };
    match proxy.fetch(&url, &sig).await {
        Ok((ct, bytes)) => (
            [
                (header::CONTENT_TYPE, ct),
                (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(Refusal::BadSignature) => plain(StatusCode::FORBIDDEN, "not an image of this site"),
        Err(Refusal::BadUrl) => plain(StatusCode::BAD_REQUEST, "not an http(s) URL"),
        Err(Refusal::NotAnImage) => plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not a raster image (JPEG, PNG, GIF, WebP, AVIF)",
        ),
        Err(Refusal::Fetch(e)) => {
            let code = match e {
                crate::fetch::FetchError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
                // The address rules of fetching: a private address nobody allowed.
                crate::fetch::FetchError::Refused { .. } => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_GATEWAY,
            };
            plain(code, &format!("the image could not be fetched: {e}"))
        }
    }
}
