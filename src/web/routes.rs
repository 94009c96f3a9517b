//! The handlers: one per route, each reading the store (or the index) and rendering a page.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::App;
use crate::render::feeds::{self, FEED_LEN, FeedMeta};
use crate::render::pages::{self, Links, PAGE_LEN};
use crate::search::SearchQuery;

type AppState = State<Arc<App>>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(style))
        .route("/s/{slug}", get(list_redirect))
        .route("/s/{slug}/", get(list))
        .route("/s/{slug}/{id}", get(article))
        .route("/search", get(search))
        .route("/feeds/{file}", get(feed))
        .route("/assets/{file}", get(asset))
        .fallback(not_found)
}

const HTML: &str = "text/html; charset=utf-8";

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, HTML)], body).into_response()
}

fn error(app: &App, code: StatusCode, message: &str) -> Response {
    let body = pages::error(&Links::server(), &app.site_name, code.as_u16(), message);
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
    error(&app, StatusCode::NOT_FOUND, "找不到这个页面。")
}

async fn healthz(State(app): AppState) -> Response {
    match app.overview() {
        Ok(o) => {
            let n: i64 = o.iter().map(|s| s.articles).sum();
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("ok {n} articles\n"),
            )
                .into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response(),
    }
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

async fn home(State(app): AppState) -> Response {
    // Only the sources the config lists (a removed source's articles stay in the archive,
    // unseen).
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
    let (overview, newest) = match data {
        Ok(d) => d,
        Err(e) => return internal(&app, e),
    };
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
    html(pages::home(
        &Links::server(),
        &app.site_name,
        &cards,
        &newest,
    ))
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
) -> Response {
    let page = page_of(q.page.as_deref());
    if !app.sources.iter().any(|(s, _)| *s == slug) {
        return error(&app, StatusCode::NOT_FOUND, "没有这个来源。");
    }
    let data = app.overview().and_then(|o| {
        let count = o
            .iter()
            .find(|s| s.source == slug)
            .map_or(0, |s| s.articles);
        let rows =
            app.with_store(|s| s.newest_rows(Some(&slug), (page - 1) * PAGE_LEN, PAGE_LEN))?;
        Ok((count, rows))
    });
    let (count, rows) = match data {
        Ok(d) => d,
        Err(e) => return internal(&app, e),
    };
    if page > 1 && rows.is_empty() {
        return error(&app, StatusCode::NOT_FOUND, "没有这一页。");
    }
    let name = app.name_of(&slug);
    html(pages::list(
        &Links::server(),
        &app.site_name,
        (&slug, &name),
        count,
        page,
        &rows,
    ))
}

async fn article(State(app): AppState, Path((slug, id)): Path<(String, String)>) -> Response {
    let Ok(id) = id.trim_end_matches(".html").parse::<i64>() else {
        return error(&app, StatusCode::NOT_FOUND, "找不到这篇文章。");
    };
    if !app.sources.iter().any(|(s, _)| *s == slug) {
        return error(&app, StatusCode::NOT_FOUND, "找不到这篇文章。");
    }
    let data = app.with_store(|s| {
        let Some(info) = s.article(&slug, id)? else {
            return Ok(None);
        };
        let revisions = s.revisions(info.pk)?;
        let events = s.events_of(info.pk)?;
        Ok(Some((info, revisions, events)))
    });
    match data {
        Ok(Some((info, revisions, events))) => {
            let name = app.name_of(&slug);
            html(pages::article(
                &Links::server(),
                &app.site_name,
                &info,
                &name,
                &revisions,
                &events,
            ))
        }
        Ok(None) => error(&app, StatusCode::NOT_FOUND, "找不到这篇文章。"),
        Err(e) => internal(&app, e),
    }
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
    let text: String = arg.q.unwrap_or_default().chars().take(200).collect();
    let text = text.trim().to_string();
    let source = arg.source.filter(|s| !s.is_empty());
    let page = page_of(arg.page.as_deref());
    let hits = if text.is_empty() {
        Default::default()
    } else {
        let Some(index) = &app.search else {
            return error(
                &app,
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
        let app2 = app.clone();
        let found = tokio::task::block_in_place(|| index.search(&q));
        match found {
            Ok(h) => h,
            Err(e) => return internal(&app2, e),
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
    html(pages::search(
        &Links::server(),
        &app.site_name,
        &view,
        &hits.hits,
    ))
}

async fn feed(State(app): AppState, Path(file): Path<String>) -> Response {
    let Some((name, ext)) = file.rsplit_once('.') else {
        return not_found(State(app)).await;
    };
    let all = name == "all";
    let known = all || app.sources.iter().any(|(s, _)| s == name);
    if !known || (all && ext != "atom") {
        return not_found(State(app)).await;
    }
    let entries = match app.with_store(|s| s.newest_entries((!all).then_some(name), FEED_LEN)) {
        Ok(e) => e,
        Err(e) => return internal(&app, e),
    };
    let (id, title) = if all {
        (feeds::feed_id(None), app.site_name.clone())
    } else {
        (feeds::feed_id(Some(name)), app.name_of(name))
    };
    let link = app.link_of(name);
    let meta = FeedMeta {
        id: &id,
        title: &title,
        link: &link,
    };
    let ct = match ext {
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        _ => "application/feed+json; charset=utf-8",
    };
    let Some(body) = feeds::render(ext, &meta, &entries) else {
        return not_found(State(app)).await;
    };
    ([(header::CONTENT_TYPE, ct)], body).into_response()
}

async fn asset(State(app): AppState, Path(file): Path<String>) -> Response {
    // Only the names newsmirror gives assets: a hash and an extension.
    let ok = file.split_once('.').is_some_and(|(h, e)| {
        !h.is_empty()
            && h.bytes().all(|b| b.is_ascii_alphanumeric())
            && matches!(
                e,
                "jpg" | "png" | "gif" | "webp" | "avif" | "svg" | "ico" | "bmp"
            )
    });
    if !ok {
        return not_found(State(app)).await;
    }
    let ct = match file.rsplit('.').next().unwrap_or("") {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        _ => "image/bmp",
    };
    let path = app.archive_dir.join("assets").join(&file);
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, ct),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(State(app)).await,
    }
}
