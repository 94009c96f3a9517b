//! Per-feed state and the recheck schedule (SQLite).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::{FeedRow, FeedState, Feeds, OperationalState, RecheckState, Result};

impl Feeds for SqliteStore {
    /// The state of a feed, default when never fetched.
    fn feed_state(&self, url: &str) -> Result<FeedState> {
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

    /// Every feed's state.
    fn feed_rows(&self) -> Result<Vec<FeedRow>> {
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

    fn recheck_states(&self, since_ms: i64) -> Result<Vec<RecheckState>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT path, first_seen_ms, checked_ms, page_etag, page_last_modified FROM articles
                 WHERE first_seen_ms >= ?1 ORDER BY path",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([since_ms], |r| {
            Ok(RecheckState {
                path: r.get(0)?,
                first_seen_ms: r.get(1)?,
                checked_ms: r.get(2)?,
                etag: r.get(3)?,
                last_modified: r.get(4)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Loads a saved operational state into a rebuilt database. Feeds of `stale_sources`
    /// (whose files hold fewer articles than when the state was written: the files that went
    /// with it were never published) keep their health but lose their validators, so that
    /// their next fetch is unconditional and nothing they carried is missed.
    fn load_operational_state(
        &mut self,
        state: &OperationalState,
        stale_sources: &[String],
    ) -> Result<()> {
        let err = self.errs();
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
        let tx = self.conn.transaction().map_err(&err)?;
        save_feed_states_in(&tx, &feeds).map_err(&err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "UPDATE articles SET first_seen_ms = ?2, checked_ms = ?3, page_etag = ?4,
                     page_last_modified = ?5 WHERE path = ?1",
                )
                .map_err(&err)?;
            for r in &state.rechecks {
                st.execute(params![
                    r.path,
                    r.first_seen_ms,
                    r.checked_ms,
                    r.etag,
                    r.last_modified
                ])
                .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
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
