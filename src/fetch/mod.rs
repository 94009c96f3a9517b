//! Getting bytes from a URL: HTTP(S) and `file://`, with a whole-request timeout, a size
//! limit applied after decompression, conditional requests, and charset decoding.
//!
//! Owns the network. It knows nothing about feeds, articles or the archive: it takes a URL and
//! validators and returns bytes or a reason.

pub mod charset;
mod guard;
mod limits;
mod retry;

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Mutex, Once};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

pub use guard::{Route, not_public};
pub use limits::Limits;

use crate::config::FetchSettings;

/// Why a fetch failed, in words a mirror keeper understands.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("the server answered HTTP {code}{}", reason.map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        code: u16,
        reason: Option<&'static str>,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    #[error("the body is larger than the limit of {}", human_bytes(*limit))]
    TooLarge { limit: u64 },
    #[error("too many redirects")]
    Redirects,
    #[error("bad proxy setting {proxy}: {why}")]
    Proxy { proxy: String, why: String },
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("the connection failed: {0}")]
    Network(String),
    #[error("cannot read the file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("unsupported URL {0}")]
    Unsupported(String),
    /// A link taken from a feed or page leads somewhere it may not (a private address, a
    /// scheme other than http and https).
    #[error("refused {url}: {why}")]
    Refused { url: String, why: String },
}

impl FetchError {
    /// Whether trying again later may help (timeouts, resets, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Connect(_) | FetchError::Network(_) => true,
            FetchError::Status { code, .. } => *code == 429 || *code >= 500,
            _ => false,
        }
    }
}

/// What a conditional request can send along.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful fetch.
#[derive(Debug)]
pub enum Fetched {
    /// 304: what we have is current.
    NotModified,
    Body(Body),
}

/// A fetched body and what came with it.
#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// The URL after redirects.
    pub final_url: Url,
    /// Whether the transport says where the body ends (a `Content-Length`, chunks, HTTP/2
    /// frames, a local file): then a document that stops early is what the server sends, not a
    /// download cut short. A body ended only by the connection closing may be either.
    pub complete: bool,
}

/// What a fetch is for: the size limit and the rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A feed URL the keeper configured (`file://` too): it may reach any address, and so
    /// may the redirects that stay on its origin.
    Feed,
    /// An article page, from a link a feed holds: no private addresses (see `guard`).
    Page,
    /// An image, from a feed or page: the rules of pages; the size limit is the caller's
    /// `page_max_bytes` (set it to the image limit).
    Image,
}

/// The most redirects one fetch follows.
const MAX_REDIRECTS: usize = 10;

/// The two clients of one set of settings: one for the keeper's own URLs, one whose resolver
/// refuses private addresses.
#[derive(Clone)]
struct Clients {
    trusted: reqwest::Client,
    guarded: reqwest::Client,
}

/// The fetcher of one run: HTTP clients (one per distinct settings, each a connection pool)
/// and the politeness limits they share.
pub struct Fetcher {
    clients: Mutex<HashMap<FetchSettings, Clients>>,
    limits: Limits,
}

static CRYPTO: Once = Once::new();

impl Fetcher {
    /// A fetcher running at most `concurrency` requests at once, `per_host` per host.
    pub fn new(concurrency: usize, per_host: usize) -> Fetcher {
        CRYPTO.call_once(|| {
            // Another part of the process may have installed one already; either is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        Fetcher {
            clients: Mutex::new(HashMap::new()),
            limits: Limits::new(concurrency, per_host),
        }
    }

    fn clients(&self, settings: &FetchSettings) -> Result<Clients, FetchError> {
        // The trusted origins only choose between the two clients: not part of the key.
        let key = FetchSettings {
            trusted_origins: Vec::new(),
            ..settings.clone()
        };
        let mut clients = self.clients.lock().expect("client cache lock");
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let built = Clients {
            trusted: build_client(settings, None)?,
            guarded: build_client(settings, Some(guard::GuardedResolver::new(settings)))?,
        };
        clients.insert(key, built.clone());
        Ok(built)
    }

    /// Fetches `url` with `settings`: at most `settings.timeout` in all, retrying transient
    /// failures (timeouts, resets, 429, 5xx) with backoff while time remains.
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        settings: &FetchSettings,
        kind: Kind,
    ) -> Result<Fetched, FetchError> {
        let max_bytes = match kind {
            Kind::Feed => settings.max_bytes,
            Kind::Page | Kind::Image => settings.page_max_bytes,
        };
        match url.scheme() {
            "http" | "https" => {}
            "file" if kind == Kind::Feed => return read_file(url, max_bytes).await,
            _ if kind == Kind::Feed => return Err(FetchError::Unsupported(url.to_string())),
            _ => {}
        }
        let guard = guard::Guard::new(settings, (kind == Kind::Feed).then_some(url));
        // A link refused before anything is sent: no queueing, no retries.
        guard.check(url).await?;
        let clients = self.clients(settings)?;
        // The budget starts with the first attempt: time spent queueing behind other
        // requests to the same host is not the server's fault.
        let mut deadline = None;
        let mut attempt = 0;
        loop {
            let permit = self.limits.acquire(url, settings.delay).await;
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + settings.timeout);
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(FetchError::Timeout(settings.timeout));
            }
            let fut = get_http(&clients, &guard, url, validators, max_bytes, remaining);
            let result = match tokio::time::timeout(remaining, fut).await {
                Ok(r) => r,
                Err(_) => Err(FetchError::Timeout(settings.timeout)),
            }
            .map_err(|e| match e {
                FetchError::Timeout(_) => FetchError::Timeout(settings.timeout),
                e => e,
            });
            drop(permit);
            let err = match result {
                Ok(f) => return Ok(f),
                Err(e) => e,
            };
            attempt += 1;
            if !err.is_transient() || attempt > settings.retries {
                return Err(err);
            }
            let wait = match &err {
                FetchError::Status {
                    retry_after: Some(ra),
                    ..
                } => *ra,
                _ => retry::backoff(attempt),
            };
            // Only retry when the wait leaves time for another try.
            let left = deadline.saturating_duration_since(Instant::now());
            if wait + Duration::from_millis(100) >= left {
                return Err(err);
            }
            tracing::debug!(%url, error = %err, ?wait, "retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

fn build_client(
    settings: &FetchSettings,
    resolver: Option<guard::GuardedResolver>,
) -> Result<reqwest::Client, FetchError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(settings.user_agent.clone())
        .connect_timeout(settings.connect_timeout)
        // Redirects are followed by `get_http`, which checks every hop.
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(8);
    if let Some(r) = resolver {
        builder = builder.dns_resolver(r);
    }
    if let Some(p) = &settings.proxy {
        let proxy = reqwest::Proxy::all(p)
            .map_err(|e| FetchError::Proxy {
                proxy: p.clone(),
                why: root_cause(&e),
            })?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| FetchError::Connect(format!("cannot set up the HTTP client: {e}")))
}

/// One fetch over HTTP, following redirects hop by hop: each hop is checked by `guard` and
/// goes through the client its route calls for.
async fn get_http(
    clients: &Clients,
    guard: &guard::Guard<'_>,
    url: &Url,
    validators: &Validators,
    max_bytes: u64,
    timeout: Duration,
) -> Result<Fetched, FetchError> {
    let mut url = url.clone();
    let mut hops = 0;
    let mut resp = loop {
        let client = match guard.check(&url).await? {
            Route::Trusted => &clients.trusted,
            Route::Guarded => &clients.guarded,
        };
        let mut req = client.get(url.clone()).timeout(timeout);
        if let Some(etag) = &validators.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
        let resp = req.send().await.map_err(|e| classify(e, timeout, &url))?;
        let next = matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308)
            .then(|| resp.headers().get(reqwest::header::LOCATION))
            .flatten();
        let Some(location) = next else { break resp };
        hops += 1;
        if hops > MAX_REDIRECTS {
            return Err(FetchError::Redirects);
        }
        url = location
            .to_str()
            .ok()
            .and_then(|l| url.join(l.trim()).ok())
            .ok_or_else(|| {
                FetchError::Network(format!("{url} redirects to an unreadable location"))
            })?;
    };
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if !status.is_success() {
        return Err(FetchError::Status {
            code: status.as_u16(),
            reason: status.canonical_reason(),
            retry_after: header(reqwest::header::RETRY_AFTER)
                .and_then(|v| retry::parse_retry_after(&v)),
        });
    }
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let validators = Validators {
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
    };
    if let Some(len) = resp.content_length()
        && len > max_bytes
        && resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .is_none()
    {
        return Err(FetchError::TooLarge { limit: max_bytes });
    }
    let final_url = url.clone();
    let complete = framed(&resp);
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(e, timeout, &url))? {
        if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body(Body {
        bytes,
        content_type,
        validators,
        final_url,
        complete,
    }))
}

/// Whether the response's framing marks the end of its body (see [`Body::complete`]). A body
/// that reqwest decompressed has lost its `Content-Length`: it counts as unframed, the careful
/// side (its compressed stream's own end is checked by the decoder anyway).
fn framed(resp: &reqwest::Response) -> bool {
    let chunked = resp
        .headers()
        .get(reqwest::header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    matches!(
        resp.version(),
        reqwest::Version::HTTP_2 | reqwest::Version::HTTP_3
    ) || resp.content_length().is_some()
        || chunked
}

fn classify(e: reqwest::Error, timeout: Duration, url: &Url) -> FetchError {
    if let Some(why) = guard::refusal_in(&e) {
        FetchError::Refused {
            url: url.to_string(),
            why,
        }
    } else if e.is_timeout() {
        FetchError::Timeout(timeout)
    } else if e.is_redirect() {
        FetchError::Redirects
    } else if e.is_connect() {
        FetchError::Connect(root_cause(&e))
    } else {
        FetchError::Network(root_cause(&e))
    }
}

async fn read_file(url: &Url, max_bytes: u64) -> Result<Fetched, FetchError> {
    let path = url
        .to_file_path()
        .map_err(|_| FetchError::Unsupported(url.to_string()))?;
    let shown = path.display().to_string();
    let bytes = tokio::task::spawn_blocking(move || read_limited(&path, max_bytes))
        .await
        .map_err(|e| FetchError::File {
            path: shown.clone(),
            source: std::io::Error::other(e),
        })?;
    let bytes = bytes.map_err(|e| match e {
        ReadLimited::TooLarge => FetchError::TooLarge { limit: max_bytes },
        ReadLimited::Io(source) => FetchError::File {
            path: shown.clone(),
            source,
        },
    })?;
    Ok(Fetched::Body(Body {
        bytes,
        content_type: None,
        validators: Validators::default(),
        final_url: url.clone(),
        complete: true,
    }))
}

/// `20 MB`, `512 KB`, `300 bytes`.
fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// The innermost error message: reqwest's own top level says little ("error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

enum ReadLimited {
    TooLarge,
    Io(std::io::Error),
}

fn read_limited(path: &std::path::Path, max_bytes: u64) -> Result<Vec<u8>, ReadLimited> {
    let file = std::fs::File::open(path).map_err(ReadLimited::Io)?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadLimited::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadLimited::TooLarge);
    }
    Ok(bytes)
}
