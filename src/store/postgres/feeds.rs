//! Per-feed state and the recheck schedule (PostgreSQL).

use postgres::Row;

use super::{PgStore, Tx};
use crate::store::{FeedRow, FeedState, Feeds, OperationalState, RecheckState, Result};

fn state_of(r: &Row) -> FeedState {
    FeedState {
        etag: r.get(0),
        last_modified: r.get(1),
        last_ok_ms: r.get(2),
        last_error: r.get(3),
        failures: r.get(4),
        last_attempt_ms: r.get(5),
        next_at_ms: r.get(6),
    }
}

impl Feeds for PgStore {
    fn feed_state(&self, url: &str) -> Result<FeedState> {
        self.with(|c| {
            Ok(c.query_opt(
                "SELECT etag, last_modified, last_ok_ms, last_error, failures, last_attempt_ms,
                 next_at_ms FROM feeds WHERE url = $1",
                &[&url],
            )?
            .as_ref()
            .map(state_of)
            .unwrap_or_default())
        })
    }

    fn feed_rows(&self) -> Result<Vec<FeedRow>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT etag, last_modified, last_ok_ms, last_error, failures, last_attempt_ms,
                 next_at_ms, url, source FROM feeds ORDER BY source, url",
                &[],
            )?
            .iter()
            .map(|r| FeedRow {
                state: state_of(r),
                url: r.get(7),
                source: r.get(8),
            })
            .collect())
        })
    }

    fn recheck_states(&self, since_ms: i64) -> Result<Vec<RecheckState>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT path, first_seen_ms, checked_ms, page_etag, page_last_modified
                 FROM articles WHERE first_seen_ms >= $1 ORDER BY path",
                &[&since_ms],
            )?
            .iter()
            .map(|r| RecheckState {
                path: r.get(0),
                first_seen_ms: r.get(1),
                checked_ms: r.get(2),
                etag: r.get(3),
                last_modified: r.get(4),
            })
            .collect())
        })
    }

    fn load_operational_state(
        &mut self,
        state: &OperationalState,
        stale_sources: &[String],
    ) -> Result<()> {
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
        self.in_tx(|tx| {
            save_feed_states_in(tx, &feeds)?;
            for r in &state.rechecks {
                tx.execute(
                    "UPDATE articles SET first_seen_ms = $2, checked_ms = $3, page_etag = $4,
                     page_last_modified = $5 WHERE path = $1",
                    &[
                        &r.path,
                        &r.first_seen_ms,
                        &r.checked_ms,
                        &r.etag,
                        &r.last_modified,
                    ],
                )?;
            }
            Ok(())
        })
    }
}

/// Saves the state of several feeds `(url, source, state)` inside a transaction.
pub(super) fn save_feed_states_in(
    tx: &mut Tx<'_>,
    states: &[(String, String, FeedState)],
) -> std::result::Result<(), postgres::Error> {
    for (url, source, s) in states {
        tx.execute(
            "INSERT INTO feeds (url, source, etag, last_modified, last_ok_ms, last_error,
             failures, last_attempt_ms, next_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (url) DO UPDATE SET source = excluded.source, etag = excluded.etag,
             last_modified = excluded.last_modified, last_ok_ms = excluded.last_ok_ms,
             last_error = excluded.last_error, failures = excluded.failures,
             last_attempt_ms = excluded.last_attempt_ms, next_at_ms = excluded.next_at_ms",
            &[
                url,
                source,
                &s.etag,
                &s.last_modified,
                &s.last_ok_ms,
                &s.last_error,
                &s.failures,
                &s.last_attempt_ms,
                &s.next_at_ms,
            ],
        )?;
    }
    Ok(())
}
