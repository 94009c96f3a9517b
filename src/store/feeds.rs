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
    /// Consecutive failures (0 after a success).
    pub failures: i64,
    pub last_attempt_ms: Option<i64>,
    /// When the feed is next due.
    pub next_at_ms: Option<i64>,
}

/// A feed's state with its URL and source, for status tables.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub url: String,
    pub source: String,
    pub state: FeedState,
}

impl Store {
    /// The state of a feed, default when never fetched.
    pub fn feed_state(&self, url: &str) -> Result<FeedState> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT etag, last_modified, last_ok_ms, last_error, failures, last_attempt_ms,
                 next_at_ms FROM feeds WHERE url = ?1",
            )
            .map_err(|e| self.err(e))?;
        Ok(stmt
            .query_row([url], state_of)
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or_default())
    }

    /// Saves the state of several feeds `(url, source, state)` in one transaction.
    pub fn save_feed_states(&mut self, states: &[(String, String, FeedState)]) -> Result<()> {
        let path = self.path.clone();
        let err = |source| super::StoreError {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO feeds (url, source, etag, last_modified, last_ok_ms, last_error, failures,
                     last_attempt_ms, next_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (url) DO UPDATE SET source = excluded.source, etag = excluded.etag,
                     last_modified = excluded.last_modified, last_ok_ms = excluded.last_ok_ms,
                     last_error = excluded.last_error, failures = excluded.failures,
                     last_attempt_ms = excluded.last_attempt_ms, next_at_ms = excluded.next_at_ms",
                )
                .map_err(err)?;
            for (url, source, s) in states {
                st.execute(params![
                    url,
                    source,
                    s.etag,
                    s.last_modified,
                    s.last_ok_ms,
                    s.last_error,
                    s.failures,
                    s.last_attempt_ms,
                    s.next_at_ms
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }
}

impl Store {
    /// Every feed's state.
    pub fn feed_rows(&self) -> Result<Vec<FeedRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT etag, last_modified, last_ok_ms, last_error, failures, last_attempt_ms,
                 next_at_ms, url, source FROM feeds ORDER BY source, url",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(FeedRow {
                state: state_of(r)?,
                url: r.get(7)?,
                source: r.get(8)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }
}

fn state_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<FeedState> {
    Ok(FeedState {
        etag: r.get(0)?,
        last_modified: r.get(1)?,
        last_ok_ms: r.get(2)?,
        last_error: r.get(3)?,
        failures: r.get(4)?,
        last_attempt_ms: r.get(5)?,
        next_at_ms: r.get(6)?,
    })
}
