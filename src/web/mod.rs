//! The reader's web server (`newsmirror serve`): the archive as pages, feeds and search.
//!
//! Read-only: it reads the database and the search index and never writes to the archive.
//! Every article goes through the one sanitizer (in [`crate::render::pages`]); every response
//! carries a Content-Security-Policy without inline script, `nosniff` and `no-referrer` (so that
//! image hosts do not learn what is being read).

mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::config::Config;
use crate::search::SearchIndex;
use crate::store::{SourceOverview, Store, StoreError};

/// How long the sources' counts are kept before they are counted again.
pub const OVERVIEW_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// The policy every page is served with: nothing runs, styles and forms only from here, images
/// from anywhere (articles show the outlets' or the proxy's images).
pub const CSP: &str = "default-src 'none'; img-src 'self' https: http: data:; \
    media-src 'self' https: http:; style-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

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
    #[error("server: {0}")]
    Serve(std::io::Error),
}

/// What the handlers share.
pub struct App {
    pub site_name: String,
    pub archive_dir: PathBuf,
    db: PathBuf,
    pool: Mutex<Vec<Store>>,
    pub search: Option<SearchIndex>,
    /// (slug, name) in config order.
    pub sources: Vec<(String, String)>,
    names: HashMap<String, String>,
    /// Each source's site, for its feeds.
    links: HashMap<String, String>,
    /// Sources at a glance, kept for a few seconds (counting 200,000 articles takes 50 ms).
    overview: Mutex<Option<(std::time::Instant, Vec<SourceOverview>)>>,
}

impl App {
    /// Sets up the app for `config`'s archive; `search` is the opened index, if any.
    pub fn new(config: &Config, search: Option<SearchIndex>) -> Result<App, WebError> {
        let db = config
            .archive_dir
            .join(crate::archive::STATE_DIR)
            .join("newsmirror.sqlite");
        let sources: Vec<(String, String)> = config
            .sources
            .iter()
            .map(|s| (s.slug.clone(), s.name.clone()))
            .collect();
        let names = sources.iter().cloned().collect();
        let links = config
            .sources
            .iter()
            .map(|s| (s.slug.clone(), s.site_link()))
            .collect();
        let (first, _) = Store::open(&db)?;
        Ok(App {
            site_name: "新闻镜像".to_string(),
            archive_dir: config.archive_dir.clone(),
            db,
            pool: Mutex::new(vec![first]),
            search,
            sources,
            names,
            links,
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

    /// A source's site (a placeholder when unknown).
    pub fn link_of(&self, slug: &str) -> String {
        self.links
            .get(slug)
            .cloned()
            .unwrap_or_else(|| "https://invalid.example/".to_string())
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

    /// Runs `f` with a database connection from the pool.
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let taken = self.pool.lock().map(|mut p| p.pop()).unwrap_or(None);
        let store = match taken {
            Some(s) => s,
            None => Store::open(&self.db)?.0,
        };
        let out = f(&store);
        if let Ok(mut p) = self.pool.lock()
            && p.len() < 16
        {
            p.push(store);
        }
        out
    }
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
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

/// The routes, for `app`.
pub fn router(app: Arc<App>) -> Router {
    routes::routes()
        .with_state(app)
        .layer(axum::middleware::map_response(security_headers))
}

/// Serves `app` on `addr` until the process is told to stop (Ctrl-C or SIGTERM). `ready` is
/// called with the address actually bound (port 0 picks a free one).
pub async fn serve(
    app: App,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), WebError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| WebError::Bind { addr, source })?;
    ready(bound);
    axum::serve(listener, router(Arc::new(app)))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(WebError::Serve)
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
