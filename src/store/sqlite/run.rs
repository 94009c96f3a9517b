//! A run's commit in one transaction (SQLite).

use rusqlite::{OptionalExtension, Transaction, params};

use super::SqliteStore;
use crate::store::{
    ArticleRecord, ArticleStatus, CheckUpdate, DbErrorKind, EventKind, JournalEntry, NewRevision,
    Result, RunChanges, Runs, StoreError,
};

impl Runs for SqliteStore {
    /// Records what a run learned, all of it or nothing.
    fn commit_run(&mut self, changes: &RunChanges) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let err = self.errs();
        // Taken at once for writing: the versions read below cannot move before the commit.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        check_versions_in(&tx, &changes.expect)
            .map_err(&err)?
            .map_or(Ok(()), |why| {
                Err(StoreError::new(&self.at, DbErrorKind::Conflict, why))
            })?;
        insert_articles_in(&tx, &changes.articles).map_err(&err)?;
        add_revisions_in(&tx, &changes.revisions).map_err(&err)?;
        {
            let mut st = tx
                .prepare_cached("UPDATE articles SET feed_hash = ?2 WHERE pk = ?1")
                .map_err(&err)?;
            for (pk, h) in &changes.feed_hashes {
                st.execute(params![pk, h]).map_err(&err)?;
            }
            let mut st = tx
                .prepare_cached("UPDATE revisions SET hash = ?3 WHERE article = ?1 AND n = ?2")
                .map_err(&err)?;
            for (pk, n, h) in &changes.revision_hashes {
                st.execute(params![pk, n, h]).map_err(&err)?;
            }
        }
        save_checks_in(&tx, &changes.checks).map_err(&err)?;
        super::feeds::save_feed_states_in(&tx, &changes.feeds).map_err(&err)?;
        {
            let mut set = tx
                .prepare_cached(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .map_err(&err)?;
            let mut del = tx
                .prepare_cached("DELETE FROM meta WHERE key = ?1")
                .map_err(&err)?;
            for (k, v) in &changes.meta {
                match v {
                    Some(v) => set.execute(params![k, v]),
                    None => del.execute(params![k]),
                }
                .map_err(&err)?;
            }
        }
        journal_in(&tx, &changes.journal).map_err(&err)?;
        assets_in(&tx, &changes.assets).map_err(&err)?;
        bump_versions_in(&tx, &changes.touched_sources()).map_err(&err)?;
        if let Err(e) = crate::faults::io("io::db_commit") {
            return Err(StoreError::injected(&self.at, &e.to_string()));
        }
        tx.commit().map_err(&err)
    }
}

/// Inserts articles, with their first revision (or the revisions rebuilt from files).
pub(super) fn insert_articles_in(
    tx: &Transaction<'_>,
    rows: &[ArticleRecord],
) -> rusqlite::Result<()> {
    let mut art = tx.prepare_cached(
        "INSERT INTO articles (source, id, path, guid, link, canon, title, norm_title,
         published_ms, first_seen_ms, verbatim, text_key, enclosure, feed_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut rev = tx.prepare_cached(
        "INSERT INTO revisions (article, n, seen_ms, title, content, hash, from_page)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut event = tx.prepare_cached(
        "INSERT INTO events (article, kind, at_ms, revision) VALUES (?1, 'edited', ?2, ?3)",
    )?;
    for a in rows {
        art.execute(params![
            a.source,
            a.id,
            a.path,
            a.guid,
            a.link,
            a.canon,
            a.title,
            a.norm_title,
            a.published_ms,
            a.first_seen_ms,
            a.verbatim,
            a.text_key,
            a.enclosure,
            a.feed_hash,
        ])?;
        let pk = tx.last_insert_rowid();
        // Older revisions kept as files (`revisions/`), then the file's own.
        for (i, old) in a.older.iter().enumerate() {
            rev.execute(params![
                pk,
                i as i64 + 1,
                old.seen_ms,
                old.title,
                old.content,
                old.hash,
                false
            ])?;
            if i > 0 {
                event.execute(params![pk, old.seen_ms, i as i64 + 1])?;
            }
        }
        let n = a.older.len() as i64 + 1;
        let seen = a.seen_ms.unwrap_or(a.first_seen_ms);
        rev.execute(params![
            pk,
            n,
            seen,
            a.title,
            a.content,
            a.hash,
            a.from_page
        ])?;
        if n > 1 {
            event.execute(params![pk, seen, n])?;
        }
        super::articles::insert_enclosures_in(tx, pk, &a.enclosures)?;
    }
    Ok(())
}

fn add_revisions_in(tx: &Transaction<'_>, revs: &[NewRevision]) -> rusqlite::Result<()> {
    let mut rev = tx.prepare_cached(
        "INSERT INTO revisions (article, n, seen_ms, title, content, hash, from_page)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut art = tx.prepare_cached(
        "UPDATE articles SET title = ?2, norm_title = ?3, text_key = ?4 WHERE pk = ?1",
    )?;
    let mut event = tx.prepare_cached(
        "INSERT INTO events (article, kind, at_ms, revision) VALUES (?1, 'edited', ?2, ?3)",
    )?;
    for r in revs {
        rev.execute(params![
            r.article,
            r.n,
            r.seen_ms,
            r.title,
            r.content,
            r.hash,
            r.from_page
        ])?;
        art.execute(params![r.article, r.title, r.norm_title, r.text_key])?;
        event.execute(params![r.article, r.seen_ms, r.n])?;
    }
    Ok(())
}

fn save_checks_in(tx: &Transaction<'_>, checks: &[CheckUpdate]) -> rusqlite::Result<()> {
    let mut upd = tx.prepare_cached(
        "UPDATE articles SET checked_ms = ?2, page_etag = ?3, page_last_modified = ?4,
         missing_since_ms = ?5, check_worker = NULL, check_lease_ms = NULL WHERE pk = ?1",
    )?;
    let mut status =
        tx.prepare_cached("UPDATE articles SET status = ?2, status_ms = ?3 WHERE pk = ?1")?;
    let mut event =
        tx.prepare_cached("INSERT INTO events (article, kind, at_ms) VALUES (?1, ?2, ?3)")?;
    for c in checks {
        upd.execute(params![
            c.article,
            c.checked_ms,
            c.etag,
            c.last_modified,
            c.missing_since_ms
        ])?;
        if let Some((kind, at)) = c.event {
            let new_status = if kind == EventKind::Removed {
                ArticleStatus::Removed
            } else {
                ArticleStatus::Live
            };
            status.execute(params![c.article, new_status.as_str(), at])?;
            event.execute(params![c.article, kind.as_str(), at])?;
        }
    }
    Ok(())
}

/// `None` when every source is at the version expected, else why not.
pub(super) fn check_versions_in(
    tx: &Transaction<'_>,
    expect: &[(String, i64)],
) -> rusqlite::Result<Option<String>> {
    let mut st = tx.prepare_cached("SELECT version FROM sources WHERE slug = ?1")?;
    for (slug, want) in expect {
        let have: i64 = st.query_row([slug], |r| r.get(0)).optional()?.unwrap_or(0);
        if have != *want {
            return Ok(Some(format!(
                "source {slug} was changed by another writer (version {have}, this run read \
                 {want}); nothing of it was committed"
            )));
        }
    }
    Ok(None)
}

pub(super) fn bump_versions_in(tx: &Transaction<'_>, slugs: &[String]) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO sources (slug, version) VALUES (?1, 1)
         ON CONFLICT (slug) DO UPDATE SET version = version + 1",
    )?;
    for s in slugs {
        st.execute([s])?;
    }
    Ok(())
}

pub(super) fn journal_in(tx: &Transaction<'_>, entries: &[JournalEntry]) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO journal (at_ms, kind, path, revision) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for e in entries {
        st.execute(params![e.at, e.kind.as_str(), e.path, e.revision])?;
    }
    Ok(())
}

pub(super) fn assets_in(
    tx: &Transaction<'_>,
    assets: &[(String, Vec<u8>)],
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached("INSERT OR IGNORE INTO assets (name, bytes) VALUES (?1, ?2)")?;
    for (name, bytes) in assets {
        st.execute(params![name, bytes])?;
    }
    Ok(())
}
