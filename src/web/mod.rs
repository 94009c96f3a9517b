//! The reader's web server (`newsmirror serve`): the archive as pages, feeds and search.
//!
//! Read-only: it reads the database and the search index and never writes to the archive
//! (its one file is the image proxy's key, under `.newsmirror/`). Every article goes through
//! [`crate::render::present`] (the one sanitizer and the display rules); every response
//! carries a Content-Security-Policy without script, `nosniff` and `no-referrer` (so that
//! image hosts do not learn what is being read).
//!
//! Under abuse: a connection must send its request headers within `header_timeout`, a request
//! is answered within `request_timeout` (rendering runs off the async threads), at most
//! `max_connections` are served at once (the rest wait in the kernel's backlog), pages and
//! feeds are kept rendered until the database changes, answered `304` when the client has
//! them, and compressed (gzip or brotli) when the client accepts it.

mod cache;
mod images;
mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

pub use cache::{Cache, Cached};
pub use images::ImageProxy;

use crate::config::{Config, DisplayRules, Source};
use crate::render::pages::Ctx;
use crate::search::SearchIndex;
use crate::store::pool::Pool;
use crate::store::{Location, SourceOverview, Store, StoreError};

/// How long the sources' counts are kept before they are counted again.
pub const OVERVIEW_TTL: Duration = Duration::from_secs(10);

/// The longest a connection is kept, whatever it does.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);

/// What went wrong starting the server.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("image proxy key {path}: {source}")]
    Key {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
}

/// Limits of the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A connection's request headers must arrive within this.
    pub header_timeout: Duration,
    /// A request is answered (or `408`) within this.
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: max_connections(),
        }
    }
}

/// 256 connections, fewer when the process may open few files (each connection holds one,
/// and the database and the index hold some).
fn max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(3)
                        .and_then(|n| n.parse::<usize>().ok())
                })
        })
        .unwrap_or(1024);
    (soft / 2).saturating_sub(16).clamp(8, 256)
}

/// What the handlers share.
pub struct App {
    pub site_name: String,
    pub archive_dir: PathBuf,
    db: Location,
    /// The database connections (opened as requests need them, checked, kept).
    pool: Pool,
    /// The connection that watches for changes by others (its `data_version`).
    watch: Mutex<Option<Store>>,
    pub search: Option<SearchIndex>,
    /// (slug, name) in config order.
    pub sources: Vec<(String, String)>,
    names: HashMap<String, String>,
    /// The configured sources (names, sites, display rules).
    pub config_sources: Vec<Source>,
    pub tz: chrono_tz::Tz,
    pub base_url: Option<url::Url>,
    pub images: Option<ImageProxy>,
    pub cache: Cache,
    /// Sources at a glance, kept for a few seconds (counting 200,000 articles takes 50 ms).
    overview: Mutex<Option<(std::time::Instant, Vec<SourceOverview>)>>,
}

impl App {
    /// Sets up the app for `config`'s archive; `search` is the opened index, if any.
    pub fn new(config: &Config, search: Option<SearchIndex>) -> Result<App, WebError> {
        let state = config.archive_dir.join(crate::archive::STATE_DIR);
        let db = config.store_location();
        let sources: Vec<(String, String)> = config
            .sources
            .iter()
            .map(|s| (s.slug.clone(), s.name.clone()))
            .collect();
        let names = sources.iter().cloned().collect();
        let pool = crate::store::pool::pool(&db, config.store.pool)?;
        let (watch, _) = crate::store::open(&db)?;
        let images = if config.web.image_proxy {
            Some(ImageProxy::new(&state, config)?)
        } else {
            None
        };
        Ok(App {
            site_name: "新闻镜像".to_string(),
            archive_dir: config.archive_dir.clone(),
            db,
            pool,
            watch: Mutex::new(Some(watch)),
            search,
            sources,
            names,
            config_sources: config.sources.clone(),
            tz: config.web.timezone,
            base_url: config.web.base_url.clone(),
            images,
            cache: Cache::default(),
            overview: Mutex::new(None),
        })
    }

    /// A source's name (its slug when the config no longer lists it).
    pub fn name_of(&self, slug: &str) -> String {
        self.names
            .get(slug)
            .cloned()
            .unwrap_or_else(|| slug.to_string())
    }

    /// A source's display rules (none when the config no longer lists it).
    pub fn rules_of(&self, slug: &str) -> DisplayRules {
        self.config_sources
            .iter()
            .find(|s| s.slug == slug)
            .map(|s| s.display.clone())
            .unwrap_or_default()
    }

    /// How pages are rendered: links of the server, the readers' zone, images through the
    /// proxy when it is on.
    pub fn ctx<'a>(&'a self, proxy: &'a (dyn Fn(&url::Url) -> String + Sync)) -> Ctx<'a> {
        Ctx {
            links: crate::render::pages::Links::server(),
            site_name: &self.site_name,
            tz: self.tz,
            proxy: self.images.as_ref().map(|_| proxy),
            assets: Some(self.archive_dir.join("assets")),
        }
    }

    /// Every source's count and last update, at most [`OVERVIEW_TTL`] old.
    pub fn overview(&self) -> Result<Vec<SourceOverview>, StoreError> {
        if let Ok(cache) = self.overview.lock()
            && let Some((at, o)) = cache.as_ref()
            && at.elapsed() < OVERVIEW_TTL
        {
            return Ok(o.clone());
        }
        let fresh = self.with_store(|s| s.overview())?;
        if let Ok(mut cache) = self.overview.lock() {
            *cache = Some((std::time::Instant::now(), fresh.clone()));
        }
        Ok(fresh)
    }

    /// The database's change counter: rendered pages are dropped when it moves.
    pub fn data_version(&self) -> Option<i64> {
        let mut w = self.watch.lock().ok()?;
        if w.is_none() {
            *w = crate::store::open(&self.db).ok().map(|(s, _)| s);
        }
        match w.as_ref()?.data_version() {
            Ok(v) => Some(v),
            Err(_) => {
                *w = None;
                None
            }
        }
    }

    /// Runs `f` with a database connection from the pool (off the async threads: the
    /// handlers call this inside `spawn_blocking`).
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let store = self.pool.get().map_err(|e| {
            StoreError::new(
                &self.db.to_string(),
                crate::store::DbErrorKind::Unavailable,
                format!("no database connection free: {e}"),
            )
        })?;
        f(&store)
    }
}

async fn security_headers(
    axum::extract::State(proxied): axum::extract::State<bool>,
    mut res: Response,
) -> Response {
    let h = res.headers_mut();
    let policy = crate::render::pages::csp(proxied);
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// The routes, for `app`, with the request timeout, compression and security headers.
pub fn router(app: Arc<App>, limits: &Limits) -> Router {
    let proxied = app.images.is_some();
    routes::routes()
        .with_state(app)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::map_response_with_state(
            proxied,
            security_headers,
        ))
}

/// Serves `app` on `addr` until the process is told to stop (Ctrl-C or SIGTERM). `ready` is
/// called with the address actually bound (port 0 picks a free one).
pub async fn serve(
    app: App,
    addr: SocketAddr,
    limits: Limits,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), WebError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| WebError::Bind { addr, source })?;
    ready(bound);
    let router = router(Arc::new(app), &limits);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let stop = shutdown();
    tokio::pin!(stop);
    loop {
        // A slot first: past the cap, connections wait in the kernel's backlog.
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("never closed"),
            _ = &mut stop => return Ok(()),
        };
        let (stream, _) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait a moment rather than spin.
                    tracing::warn!("serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => return Ok(()),
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // A reader draining a response one byte at a time holds a slot at most this long.
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
        });
    }
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
