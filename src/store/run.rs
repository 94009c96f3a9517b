//! What one run learned, committed in one transaction: the store's side of the commit
//! protocol (`archive::commit`). The driver makes the files durable first, then calls
//! [`Store::commit_run`]; a run that dies before it leaves the database as it was.

use rusqlite::{Transaction, params};

use super::{ArticleRecord, EventKind, FeedState, Result, Store, StoreError};
use crate::store::ArticleStatus;

/// A new revision of an archived article (its file already rewritten).
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub article: i64,
    /// Its number: one more than the newest recorded.
    pub n: i64,
    pub title: String,
    pub norm_title: String,
    pub content: String,
    pub hash: String,
    pub seen_ms: i64,
    /// The content came from the article's page (full text), not from the feed.
    pub from_page: bool,
    /// The identity keys that go with the new text.
    pub text_key: Option<String>,
}

/// The outcome of one recheck of a page.
#[derive(Debug, Clone)]
pub struct CheckUpdate {
    pub article: i64,
    pub checked_ms: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub missing_since_ms: Option<i64>,
    /// A change of status (`Removed` or `Restored`) at a time.
    pub event: Option<(EventKind, i64)>,
}

/// Everything one run learned, as plain data.
#[derive(Debug, Clone, Default)]
pub struct RunChanges {
    /// New articles (their files written).
    pub articles: Vec<ArticleRecord>,
    /// New revisions (their files written).
    pub revisions: Vec<NewRevision>,
    /// The hash of the feed item last seen for an article (so an unchanged item costs nothing).
    pub feed_hashes: Vec<(i64, String)>,
    /// Hashes of revisions stored without one: (article, n, hash).
    pub revision_hashes: Vec<(i64, i64, String)>,
    pub checks: Vec<CheckUpdate>,
    /// Feed state (url, source, state): only for feeds whose items were all committed.
    pub feeds: Vec<(String, String, FeedState)>,
    /// `meta` keys set (or removed, with `None`).
    pub meta: Vec<(String, Option<String>)>,
}

impl RunChanges {
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
            && self.revisions.is_empty()
            && self.feed_hashes.is_empty()
            && self.revision_hashes.is_empty()
            && self.checks.is_empty()
            && self.feeds.is_empty()
            && self.meta.is_empty()
    }
}

impl Store {
    /// Records what a run learned, all of it or nothing.
    pub fn commit_run(&mut self, changes: &RunChanges) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |source: rusqlite::Error| StoreError {
            path: path.clone(),
            source: source.into(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        insert_articles_in(&tx, &changes.articles).map_err(err)?;
        add_revisions_in(&tx, &changes.revisions).map_err(err)?;
        {
            let mut st = tx
                .prepare_cached("UPDATE articles SET feed_hash = ?2 WHERE pk = ?1")
                .map_err(err)?;
            for (pk, h) in &changes.feed_hashes {
                st.execute(params![pk, h]).map_err(err)?;
            }
            let mut st = tx
                .prepare_cached("UPDATE revisions SET hash = ?3 WHERE article = ?1 AND n = ?2")
                .map_err(err)?;
            for (pk, n, h) in &changes.revision_hashes {
                st.execute(params![pk, n, h]).map_err(err)?;
            }
        }
        save_checks_in(&tx, &changes.checks).map_err(err)?;
        super::feeds::save_feed_states_in(&tx, &changes.feeds).map_err(err)?;
        {
            let mut set = tx
                .prepare_cached(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .map_err(err)?;
            let mut del = tx
                .prepare_cached("DELETE FROM meta WHERE key = ?1")
                .map_err(err)?;
            for (k, v) in &changes.meta {
                match v {
                    Some(v) => set.execute(params![k, v]),
                    None => del.execute(params![k]),
                }
                .map_err(err)?;
            }
        }
        if let Err(e) = crate::faults::io("io::db_commit") {
            return Err(StoreError::injected(&self.path, &e.to_string()));
        }
        tx.commit().map_err(err)
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
        super::enclosures::insert_in(tx, pk, &a.enclosures)?;
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
         missing_since_ms = ?5 WHERE pk = ?1",
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
