//! Revisions, rechecks and events (edited, removed, restored).

use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError};

/// An article as the history needs it.
#[derive(Debug, Clone)]
pub struct ArticleInfo {
    pub pk: i64,
    pub source: String,
    pub id: i64,
    pub path: String,
    pub link: String,
    pub title: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    /// `live` or `removed`.
    pub status: String,
    pub status_ms: Option<i64>,
}

/// One revision.
#[derive(Debug, Clone)]
pub struct RevisionRow {
    pub n: i64,
    pub seen_ms: i64,
    pub title: String,
    pub content: String,
    pub hash: Option<String>,
}

/// One event of an article's life.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub article: i64,
    /// `edited`, `removed` or `restored`.
    pub kind: String,
    pub at_ms: i64,
    /// For `edited`: the revision it created.
    pub revision: Option<i64>,
}

/// An article due for a recheck of its page.
#[derive(Debug, Clone)]
pub struct CheckTarget {
    pub pk: i64,
    pub source: String,
    pub link: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub status: String,
    pub missing_since_ms: Option<i64>,
}

/// The outcome of one recheck, to record.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub pk: i64,
    pub checked_ms: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub missing_since_ms: Option<i64>,
    /// A change of status: (`removed` | `restored`, at).
    pub event: Option<(&'static str, i64)>,
    /// The page could not be reached (timeout, reset, 5xx…): nothing concluded.
    pub unreachable: bool,
}

fn info_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArticleInfo> {
    Ok(ArticleInfo {
        pk: r.get(0)?,
        source: r.get(1)?,
        id: r.get(2)?,
        path: r.get(3)?,
        link: r.get(4)?,
        title: r.get(5)?,
        published_ms: r.get(6)?,
        first_seen_ms: r.get(7)?,
        status: r.get(8)?,
        status_ms: r.get(9)?,
    })
}

fn revision_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RevisionRow> {
    Ok(RevisionRow {
        n: r.get(0)?,
        seen_ms: r.get(1)?,
        title: r.get(2)?,
        content: r.get(3)?,
        hash: r.get(4)?,
    })
}

const INFO: &str = "SELECT pk, source, id, path, link, title, published_ms, first_seen_ms, status,
    status_ms FROM articles";

impl Store {
    /// An article by source and id.
    pub fn article(&self, source: &str, id: i64) -> Result<Option<ArticleInfo>> {
        self.conn
            .prepare_cached(&format!("{INFO} WHERE source = ?1 AND id = ?2"))
            .and_then(|mut st| st.query_row(params![source, id], info_of).optional())
            .map_err(|e| self.err(e))
    }

    /// An article by its primary key.
    pub fn article_by_pk(&self, pk: i64) -> Result<Option<ArticleInfo>> {
        self.conn
            .prepare_cached(&format!("{INFO} WHERE pk = ?1"))
            .and_then(|mut st| st.query_row([pk], info_of).optional())
            .map_err(|e| self.err(e))
    }

    /// Every revision of an article, oldest first.
    pub fn revisions(&self, article: i64) -> Result<Vec<RevisionRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT n, seen_ms, title, content, hash FROM revisions WHERE article = ?1 ORDER BY n",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([article], revision_of)
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// The newest revision of an article.
    pub fn latest_revision(&self, article: i64) -> Result<Option<RevisionRow>> {
        self.conn
            .prepare_cached(
                "SELECT n, seen_ms, title, content, hash FROM revisions WHERE article = ?1
                 ORDER BY n DESC LIMIT 1",
            )
            .and_then(|mut st| st.query_row([article], revision_of).optional())
            .map_err(|e| self.err(e))
    }

    /// Records a new revision (the earlier ones stay as they are), makes its title the
    /// article's, and logs an `edited` event. Returns the revision's number.
    pub fn add_revision(
        &mut self,
        article: i64,
        title: &str,
        norm_title: &str,
        content: &str,
        hash: &str,
        seen_ms: i64,
    ) -> Result<i64> {
        let path = self.path.clone();
        let err = |source| StoreError {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let n: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM revisions WHERE article = ?1",
                [article],
                |r| r.get(0),
            )
            .map_err(err)?;
        tx.execute(
            "INSERT INTO revisions (article, n, seen_ms, title, content, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![article, n, seen_ms, title, content, hash],
        )
        .map_err(err)?;
        tx.execute(
            "UPDATE articles SET title = ?2, norm_title = ?3 WHERE pk = ?1",
            params![article, title, norm_title],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO events (article, kind, at_ms, revision) VALUES (?1, 'edited', ?2, ?3)",
            params![article, seen_ms, n],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n)
    }

    /// Fills in the hash of a revision stored before hashes were kept.
    pub fn set_revision_hash(&self, article: i64, n: i64, hash: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE revisions SET hash = ?3 WHERE article = ?1 AND n = ?2",
                params![article, n, hash],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Every event of an article, oldest first.
    pub fn events_of(&self, article: i64) -> Result<Vec<EventRow>> {
        self.events_where("article = ?1", params![article])
    }

    /// Every event in `[from_ms, to_ms)`, newest first.
    pub fn events_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<EventRow>> {
        let mut v = self.events_where("at_ms >= ?1 AND at_ms < ?2", params![from_ms, to_ms])?;
        v.reverse();
        Ok(v)
    }

    fn events_where(&self, cond: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<EventRow>> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT article, kind, at_ms, revision FROM events WHERE {cond} ORDER BY at_ms, pk"
            ))
            .map_err(|e| self.err(e))?;
        st.query_map(p, |r| {
            Ok(EventRow {
                article: r.get(0)?,
                kind: r.get(1)?,
                at_ms: r.get(2)?,
                revision: r.get(3)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Articles first seen after `since_ms` whose page was not checked since `checked_before`
    /// (every one of them when `checked_before` is `None`), oldest check first.
    pub fn due_rechecks(
        &self,
        since_ms: i64,
        checked_before: Option<i64>,
    ) -> Result<Vec<CheckTarget>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT pk, source, link, page_etag, page_last_modified, status, missing_since_ms
                 FROM articles WHERE first_seen_ms >= ?1 AND link LIKE 'http%'
                 AND (?2 IS NULL OR checked_ms IS NULL OR checked_ms < ?2)
                 ORDER BY COALESCE(checked_ms, 0), pk",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![since_ms, checked_before], |r| {
            Ok(CheckTarget {
                pk: r.get(0)?,
                source: r.get(1)?,
                link: r.get(2)?,
                etag: r.get(3)?,
                last_modified: r.get(4)?,
                status: r.get(5)?,
                missing_since_ms: r.get(6)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Records recheck outcomes (and their events) in one transaction.
    pub fn save_checks(&mut self, results: &[CheckResult]) -> Result<()> {
        let err = {
            let path = self.path.clone();
            move |source| StoreError {
                path: path.clone(),
                source,
            }
        };
        let tx = self.conn.transaction().map_err(err.clone())?;
        {
            let mut upd = tx
                .prepare_cached(
                    "UPDATE articles SET checked_ms = ?2, page_etag = ?3, page_last_modified = ?4,
                     missing_since_ms = ?5 WHERE pk = ?1",
                )
                .map_err(err.clone())?;
            let mut status = tx
                .prepare_cached("UPDATE articles SET status = ?2, status_ms = ?3 WHERE pk = ?1")
                .map_err(err.clone())?;
            let mut event = tx
                .prepare_cached("INSERT INTO events (article, kind, at_ms) VALUES (?1, ?2, ?3)")
                .map_err(err.clone())?;
            for c in results {
                upd.execute(params![
                    c.pk,
                    c.checked_ms,
                    c.etag,
                    c.last_modified,
                    c.missing_since_ms
                ])
                .map_err(err.clone())?;
                if let Some((kind, at)) = c.event {
                    let new_status = if kind == "removed" { "removed" } else { "live" };
                    status
                        .execute(params![c.pk, new_status, at])
                        .map_err(err.clone())?;
                    event
                        .execute(params![c.pk, kind, at])
                        .map_err(err.clone())?;
                }
            }
        }
        tx.commit().map_err(err)
    }
}
