//! Per-feed state: validators for conditional requests, and health.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

/// What the database remembers of a feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
}

/// Saves the state of several feeds `(url, source, state)` inside a transaction.
pub(super) fn save_feed_states_in(
    tx: &rusqlite::Transaction<'_>,
    states: &[(String, String, FeedState)],
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO feeds (url, source, etag, last_modified, last_ok_ms, last_error, failures,
         last_attempt_ms, next_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (url) DO UPDATE SET source = excluded.source, etag = excluded.etag,
         last_modified = excluded.last_modified, last_ok_ms = excluded.last_ok_ms,
         last_error = excluded.last_error, failures = excluded.failures,
         last_attempt_ms = excluded.last_attempt_ms, next_at_ms = excluded.next_at_ms",
    )?;
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
        ])?;
    }
    Ok(())
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

/// The operational state worth keeping when the database is rebuilt (`.newsmirror/state.json`):
/// feed validators and health, the recheck schedule of recent articles, and how many articles
/// each source held when it was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperationalState {
    /// Articles per source (slug → count) when the state was written.
    pub articles: std::collections::BTreeMap<String, i64>,
    pub feeds: Vec<FeedStateRow>,
    pub rechecks: Vec<RecheckState>,
}

/// One feed's state, by URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedStateRow {
    pub url: String,
    pub source: String,
    #[serde(flatten)]
    pub state: FeedState,
}

/// The recheck state of one article, by path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecheckState {
    pub path: String,
    pub first_seen_ms: i64,
    pub checked_ms: Option<i64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Store {
    /// The operational state: every feed, and the articles first seen since `since_ms` (the
    /// only ones rechecked).
    pub fn operational_state(&self, since_ms: i64) -> Result<OperationalState> {
        let feeds = self
            .feed_rows()?
            .into_iter()
            .map(|r| FeedStateRow {
                url: r.url,
                source: r.source,
                state: r.state,
            })
            .collect();
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT path, first_seen_ms, checked_ms, page_etag, page_last_modified FROM articles
                 WHERE first_seen_ms >= ?1 ORDER BY path",
            )
            .map_err(|e| self.err(e))?;
        let rechecks = st
            .query_map([since_ms], |r| {
                Ok(RecheckState {
                    path: r.get(0)?,
                    first_seen_ms: r.get(1)?,
                    checked_ms: r.get(2)?,
                    etag: r.get(3)?,
                    last_modified: r.get(4)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let articles = self
            .counts()?
            .into_iter()
            .map(|c| (c.source, c.articles))
            .collect();
        Ok(OperationalState {
            articles,
            feeds,
            rechecks,
        })
    }

    /// Loads a saved operational state into a rebuilt database. Feeds of `stale_sources`
    /// (whose files hold fewer articles than when the state was written: the files that went
    /// with it were never published) keep their health but lose their validators, so that
    /// their next fetch is unconditional and nothing they carried is missed.
    pub fn load_operational_state(
        &mut self,
        state: &OperationalState,
        stale_sources: &[String],
    ) -> Result<()> {
        let path = self.path.clone();
        let err = |source: rusqlite::Error| super::StoreError {
            path: path.clone(),
            source: source.into(),
        };
        let feeds: Vec<(String, String, FeedState)> = state
            .feeds
            .iter()
            .map(|f| {
                let mut s = f.state.clone();
                if stale_sources.contains(&f.source) {
                    s.etag = None;
                    s.last_modified = None;
                }
                (f.url.clone(), f.source.clone(), s)
            })
            .collect();
        let tx = self.conn.transaction().map_err(err)?;
        save_feed_states_in(&tx, &feeds).map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "UPDATE articles SET first_seen_ms = ?2, checked_ms = ?3, page_etag = ?4,
                     page_last_modified = ?5 WHERE path = ?1",
                )
                .map_err(err)?;
            for r in &state.rechecks {
                st.execute(params![
                    r.path,
                    r.first_seen_ms,
                    r.checked_ms,
                    r.etag,
                    r.last_modified
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }
}
