//! Per-feed state: validators for conditional requests, and health.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

/// What the database remembers of a feed.
#[derive(Debug, Clone, Default)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_ok_ms: Option<i64>,
    pub last_error: Option<String>,
    pub failures: i64,
}

impl Store {
    /// The state of a feed, default when never fetched.
    pub fn feed_state(&self, url: &str) -> Result<FeedState> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT etag, last_modified, last_ok_ms, last_error, failures FROM feeds WHERE url = ?1",
            )
            .map_err(|e| self.err(e))?;
        Ok(stmt
            .query_row([url], |r| {
                Ok(FeedState {
                    etag: r.get(0)?,
                    last_modified: r.get(1)?,
                    last_ok_ms: r.get(2)?,
                    last_error: r.get(3)?,
                    failures: r.get(4)?,
                })
            })
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or_default())
    }

    /// Saves a feed's state.
    pub fn save_feed_state(&self, url: &str, source: &str, s: &FeedState) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO feeds (url, source, etag, last_modified, last_ok_ms, last_error, failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (url) DO UPDATE SET source = excluded.source, etag = excluded.etag,
                 last_modified = excluded.last_modified, last_ok_ms = excluded.last_ok_ms,
                 last_error = excluded.last_error, failures = excluded.failures",
            )
            .and_then(|mut st| {
                st.execute(params![
                    url,
                    source,
                    s.etag,
                    s.last_modified,
                    s.last_ok_ms,
                    s.last_error,
                    s.failures
                ])
            })
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}
