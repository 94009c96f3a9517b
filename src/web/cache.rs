//! Rendered pages and feeds, kept until the database changes (its `data_version` moves when
//! another process commits), with their validators: a client that has a page gets `304`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Entries kept at most; past it (or past [`MAX_BYTES`]) the cache starts again.
const MAX_ENTRIES: usize = 4096;
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A rendered response.
pub struct Cached {
    pub content_type: &'static str,
    pub body: axum::body::Bytes,
    /// A weak validator of the body.
    pub etag: String,
    /// For feeds: when their newest entry changed (HTTP date).
    pub last_modified: Option<String>,
}

impl Cached {
    pub fn new(content_type: &'static str, body: String, last_modified_ms: Option<i64>) -> Cached {
        let etag = format!(
            "W/\"{:016x}-{:x}\"",
            crate::text::fnv1a(body.as_bytes()),
            body.len()
        );
        Cached {
            content_type,
            body: body.into(),
            etag,
            last_modified: last_modified_ms.and_then(http_date),
        }
    }

    /// The response to a request with `headers`: `304` when the client's copy is current.
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        let mut res = if self.fresh(headers) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut r = Response::new(Body::from(self.body.clone()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            r
        };
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            h.insert(header::ETAG, v);
        }
        if let Some(lm) = self
            .last_modified
            .as_ref()
            .and_then(|l| HeaderValue::from_str(l).ok())
        {
            h.insert(header::LAST_MODIFIED, lm);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        res
    }

    /// Whether the client's copy is current: `If-None-Match` decides when sent, else
    /// `If-Modified-Since`.
    fn fresh(&self, headers: &HeaderMap) -> bool {
        if let Some(inm) = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        {
            let mine = self.etag.trim_start_matches("W/");
            return inm
                .split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.trim_start_matches("W/") == mine);
        }
        match (
            headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date),
            self.last_modified.as_deref().and_then(parse_http_date),
        ) {
            (Some(since), Some(lm)) => lm <= since,
            _ => false,
        }
    }
}

fn http_date(ms: i64) -> Option<String> {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

fn parse_http_date(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// Rendered responses by request (path and query), for one state of the database.
#[derive(Default)]
pub struct Cache {
    inner: Mutex<Inner>,
    /// One lock per key being rendered: requests for a page that is not kept yet wait for the
    /// one render instead of each starting their own.
    flights: Mutex<HashMap<String, Weak<Mutex<()>>>>,
}

/// Held while one request renders a key: others for the same key wait, then find it kept.
pub struct Flight {
    lock: Arc<Mutex<()>>,
}

impl Flight {
    /// Waits for the render of this key in progress, if any, and makes this one the render.
    pub fn hold(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
struct Inner {
    version: Option<i64>,
    map: HashMap<String, Arc<Cached>>,
    bytes: usize,
}

impl Cache {
    /// The response kept for `key`, when the database is still at `version`.
    pub fn get(&self, key: &str, version: Option<i64>) -> Option<Arc<Cached>> {
        let mut inner = self.inner.lock().ok()?;
        if version.is_none() || inner.version != version {
            inner.map.clear();
            inner.bytes = 0;
            inner.version = version;
            return None;
        }
        inner.map.get(key).cloned()
    }

    /// Keeps `value` for `key`, made from the database at `version`.
    pub fn put(&self, key: String, version: Option<i64>, value: Arc<Cached>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if version.is_none() || inner.version != version {
            return;
        }
        if inner.map.len() >= MAX_ENTRIES || inner.bytes + value.body.len() > MAX_BYTES {
            inner.map.clear();
            inner.bytes = 0;
        }
        inner.bytes += value.body.len();
        inner.map.insert(key, value);
    }

    /// The flight of `key`: the same lock for every request rendering it at the same time.
    pub fn flight(&self, key: &str) -> Flight {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lock) = flights.get(key).and_then(Weak::upgrade) {
            return Flight { lock };
        }
        if flights.len() >= MAX_ENTRIES {
            flights.retain(|_, w| w.strong_count() > 0);
        }
        let lock = Arc::new(Mutex::new(()));
        flights.insert(key.to_string(), Arc::downgrade(&lock));
        Flight { lock }
    }

    /// How many responses are kept.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_answer_304() {
        let c = Cached::new("text/html", "<p>x</p>".into(), Some(1_718_800_000_000));
        let mut h = HeaderMap::new();
        assert_eq!(c.respond(&h).status(), StatusCode::OK);
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&c.etag).unwrap(),
        );
        assert_eq!(c.respond(&h).status(), StatusCode::NOT_MODIFIED);
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(c.respond(&h).status(), StatusCode::OK);
        let mut h = HeaderMap::new();
        let lm = c.last_modified.clone().unwrap();
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&lm).unwrap(),
        );
        assert_eq!(c.respond(&h).status(), StatusCode::NOT_MODIFIED);
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Mon, 01 Jan 2024 00:00:00 GMT"),
        );
        assert_eq!(c.respond(&h).status(), StatusCode::OK);
    }

    #[test]
    fn concurrent_requests_for_one_page_share_one_render() {
        let cache = Arc::new(Cache::default());
        let renders = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, renders) = (cache.clone(), renders.clone());
                std::thread::spawn(move || {
                    let flight = cache.flight("/s/s/1");
                    let _held = flight.hold();
                    if cache.get("/s/s/1", Some(1)).is_some() {
                        return;
                    }
                    renders.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    let page = Arc::new(Cached::new("text/html", "页".into(), None));
                    cache.put("/s/s/1".into(), Some(1), page);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Done flights are forgotten.
        let flights = cache.flights.lock().unwrap();
        assert!(flights.values().all(|w| w.strong_count() == 0));
    }

    #[test]
    fn a_new_database_version_empties_the_cache() {
        let cache = Cache::default();
        assert!(cache.get("/", Some(1)).is_none());
        cache.put(
            "/".into(),
            Some(1),
            Arc::new(Cached::new("text/html", "a".into(), None)),
        );
        assert!(cache.get("/", Some(1)).is_some());
        assert!(cache.get("/", Some(2)).is_none());
        assert!(cache.get("/", Some(2)).is_none());
        assert!(cache.is_empty());
    }
}
