//! Getting bytes from a URL: HTTP(S) and `file://`, with a whole-request timeout, a size
//! limit applied after decompression, conditional requests, and charset decoding.
//!
//! Owns the network. It knows nothing about feeds, articles or the archive: it takes a URL and
//! validators and returns bytes or a reason.

pub mod charset;

use std::io::Read;
use std::sync::Once;
use std::time::Duration;

use url::Url;

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
    },
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("too many redirects")]
    Redirects,
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
}

/// A reusable fetcher (one connection pool for the whole run).
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
}

static CRYPTO: Once = Once::new();

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        CRYPTO.call_once(|| {
            // Another part of the process may have installed one already; either is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(10))
            .pool_max_idle_per_host(8)
            .build()
            .map_err(|e| FetchError::Connect(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            timeout: settings.timeout,
        })
    }

    /// Fetches `url`, reading at most `max_bytes` of (decompressed) body.
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
    ) -> Result<Fetched, FetchError> {
        match url.scheme() {
            "http" | "https" => {
                let fut = self.get_http(url, validators, max_bytes);
                match tokio::time::timeout(self.timeout + Duration::from_millis(500), fut).await {
                    Ok(r) => r,
                    Err(_) => Err(FetchError::Timeout(self.timeout)),
                }
            }
            "file" => {
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
                }))
            }
            _ => Err(FetchError::Unsupported(url.to_string())),
        }
    }

    async fn get_http(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
    ) -> Result<Fetched, FetchError> {
        let mut req = self.client.get(url.clone());
        if let Some(etag) = &validators.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
        let mut resp = req.send().await.map_err(|e| self.classify(e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                code: status.as_u16(),
                reason: status.canonical_reason(),
            });
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        let final_url = resp.url().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e))? {
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
        }))
    }

    fn classify(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else if e.is_redirect() {
            FetchError::Redirects
        } else if e.is_connect() {
            FetchError::Connect(root_cause(&e))
        } else {
            FetchError::Network(root_cause(&e))
        }
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
