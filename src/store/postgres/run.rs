//! A run's commit in one transaction (PostgreSQL): the sources it touches are locked in one
//! order (no deadlocks between workers) and their versions checked, then everything is
//! written, then the change log's tail (commit order, for every follower).

use super::articles::{edited_event_in, insert_articles_in, insert_revision_in};
use super::{PgStore, Tx, TxError};
use crate::store::{
    ArticleStatus, DbErrorKind, EventKind, JournalEntry, Result, RunChanges, Runs, StoreError,
};

impl Runs for PgStore {
    fn commit_run(&mut self, changes: &RunChanges) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.in_tx(|tx| {
            let touched = changes.touched_sources();
            let mut versions = std::collections::HashMap::new();
            for slug in &touched {
                // Locks the source's row until the commit (made when missing).
                let v: i64 = tx
                    .query_one(
                        "INSERT INTO sources (slug) VALUES ($1)
                         ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug
                         RETURNING version",
                        &[slug],
                    )?
                    .get(0);
                versions.insert(slug.clone(), v);
            }
            for (slug, want) in &changes.expect {
                let have = versions.get(slug).copied().unwrap_or(0);
                if have != *want {
                    return Err(TxError::Store(
                        DbErrorKind::Conflict,
                        format!(
                            "source {slug} was changed by another writer (version {have}, this \
                             run read {want}); nothing of it was committed"
                        ),
                    ));
                }
            }
            let mut changed = insert_articles_in(tx, &changes.articles)?;
            for r in &changes.revisions {
                insert_revision_in(
                    tx,
                    r.article,
                    r.n,
                    r.seen_ms,
                    &r.title,
                    &r.content,
                    &Some(r.hash.clone()),
                    r.from_page,
                )?;
                tx.execute(
                    "UPDATE articles SET title = $2, norm_title = $3, text_key = $4 WHERE pk = $1",
                    &[&r.article, &r.title, &r.norm_title, &r.text_key],
                )?;
                edited_event_in(tx, r.article, r.seen_ms, r.n)?;
                changed.push(r.article);
            }
            for (pk, h) in &changes.feed_hashes {
                tx.execute("UPDATE articles SET feed_hash = $2 WHERE pk = $1", &[pk, h])?;
            }
            for (pk, n, h) in &changes.revision_hashes {
                tx.execute(
                    "UPDATE revisions SET hash = $3 WHERE article = $1 AND n = $2",
                    &[pk, n, h],
                )?;
            }
            for c in &changes.checks {
                tx.execute(
                    "UPDATE articles SET checked_ms = $2, page_etag = $3, page_last_modified = $4,
                     missing_since_ms = $5, check_worker = NULL, check_lease_ms = NULL
                     WHERE pk = $1",
                    &[
                        &c.article,
                        &c.checked_ms,
                        &c.etag,
                        &c.last_modified,
                        &c.missing_since_ms,
                    ],
                )?;
                if let Some((kind, at)) = c.event {
                    let to = if kind == EventKind::Removed {
                        ArticleStatus::Removed
                    } else {
                        ArticleStatus::Live
                    };
                    tx.execute(
                        "UPDATE articles SET status = $2, status_ms = $3 WHERE pk = $1",
                        &[&c.article, &to.as_str(), &at],
                    )?;
                    tx.execute(
                        "INSERT INTO events (article, kind, at_ms) VALUES ($1, $2, $3)",
                        &[&c.article, &kind.as_str(), &at],
                    )?;
                    changed.push(c.article);
                }
            }
            super::feeds::save_feed_states_in(tx, &changes.feeds)?;
            for (k, v) in &changes.meta {
                match v {
                    Some(v) => tx.execute(
                        "INSERT INTO meta (key, value) VALUES ($1, $2)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        &[k, v],
                    )?,
                    None => tx.execute("DELETE FROM meta WHERE key = $1", &[k])?,
                };
            }
            for slug in &touched {
                tx.execute(
                    "UPDATE sources SET version = version + 1 WHERE slug = $1",
                    &[slug],
                )?;
            }
            tail_in(tx, &changed, &changes.journal, &changes.assets)?;
            if let Err(e) = crate::faults::io("io::db_commit") {
                return Err(TxError::Store(
                    DbErrorKind::Storage,
                    format!("disk I/O error: {e} (injected)"),
                ));
            }
            Ok(())
        })
        .map_err(|e: StoreError| e)
    }
}

/// The end of every writing transaction: takes the `commits` row (held until the commit, so
/// that numbers taken after it grow in commit order), then records the changed articles in
/// the change log, the journal entries and the images, each with the next number.
pub(super) fn tail_in(
    tx: &mut Tx<'_>,
    changed: &[i64],
    journal: &[JournalEntry],
    assets: &[(String, Vec<u8>)],
) -> std::result::Result<(), postgres::Error> {
    tx.execute("UPDATE commits SET n = n + 1", &[])?;
    let mut pks = changed.to_vec();
    pks.sort_unstable();
    pks.dedup();
    if !pks.is_empty() {
        tx.execute(
            "INSERT INTO article_changes (article, seq)
             SELECT x, nextval('change_seq') FROM unnest($1::bigint[]) x
             ON CONFLICT (article) DO UPDATE SET seq = excluded.seq",
            &[&pks],
        )?;
    }
    for e in journal {
        tx.execute(
            "INSERT INTO journal (seq, at_ms, kind, path, revision)
             VALUES (nextval('change_seq'), $1, $2, $3, $4)",
            &[&e.at, &e.kind.as_str(), &e.path, &e.revision],
        )?;
    }
    for (name, bytes) in assets {
        tx.execute(
            "INSERT INTO assets (name, seq, bytes) VALUES ($1, nextval('change_seq'), $2)
             ON CONFLICT (name) DO NOTHING",
            &[name, bytes],
        )?;
    }
    Ok(())
}
