//! Reading every article with its revisions, for export.

use rusqlite::params;

use super::{Store, StoreError};

/// An article with every revision, oldest first.
#[derive(Debug, Clone)]
pub struct ExportedArticle {
    pub source: String,
    pub id: i64,
    pub path: String,
    pub title: String,
    pub link: String,
    pub guid: Option<String>,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub revisions: Vec<ExportedRevision>,
}

#[derive(Debug, Clone)]
pub struct ExportedRevision {
    pub n: i64,
    pub seen_ms: i64,
    pub title: String,
    pub content: String,
}

impl Store {
    /// Calls `f` with every article first seen at or after `since_ms`, in archive order
    /// (source, then newest first), one at a time.
    pub fn for_each_export<E: From<StoreError>>(
        &self,
        since_ms: i64,
        f: &mut dyn FnMut(ExportedArticle) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut arts = self
            .conn
            .prepare(
                "SELECT pk, source, id, path, title, link, guid, published_ms, first_seen_ms
                 FROM articles WHERE first_seen_ms >= ?1 ORDER BY source, id",
            )
            .map_err(|e| self.err(e))?;
        let mut revs = self
            .conn
            .prepare(
                "SELECT n, seen_ms, title, content FROM revisions WHERE article = ?1 ORDER BY n",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = arts.query(params![since_ms]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let pk: i64 = r.get(0).map_err(|e| self.err(e))?;
            let revisions: Vec<ExportedRevision> = revs
                .query_map([pk], |r| {
                    Ok(ExportedRevision {
                        n: r.get(0)?,
                        seen_ms: r.get(1)?,
                        title: r.get(2)?,
                        content: r.get(3)?,
                    })
                })
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(|e| self.err(e))?;
            let a = (|| -> rusqlite::Result<ExportedArticle> {
                Ok(ExportedArticle {
                    source: r.get(1)?,
                    id: r.get(2)?,
                    path: r.get(3)?,
                    title: r.get(4)?,
                    link: r.get(5)?,
                    guid: r.get(6)?,
                    published_ms: r.get(7)?,
                    first_seen_ms: r.get(8)?,
                    revisions,
                })
            })()
            .map_err(|e| self.err(e))?;
            f(a)?;
        }
        Ok(())
    }
}

/// An article as feeds show it: its newest revision.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub source: String,
    pub id: i64,
    pub title: String,
    pub link: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub content: String,
    /// The number of the newest revision (1: never edited) and when it was seen.
    pub revision: i64,
    pub revised_ms: i64,
    /// Enclosures and media, in feed order.
    pub enclosures: Vec<super::EnclosureRow>,
}

impl Store {
    /// The newest `limit` articles (by publication) of a source, or of all sources.
    pub fn newest_entries(
        &self,
        source: Option<&str>,
        limit: usize,
    ) -> super::Result<Vec<FeedEntry>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT a.source, a.id, r.title, a.link, a.published_ms, a.first_seen_ms, r.content,
                 r.n, r.seen_ms, a.pk FROM articles a JOIN revisions r ON r.article = a.pk
                 AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)
                 WHERE (?1 IS NULL OR a.source = ?1)
                 ORDER BY a.published_ms DESC, a.id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<(FeedEntry, i64)> = st
            .query_map(params![source, limit as i64], |r| {
                Ok((
                    FeedEntry {
                        source: r.get(0)?,
                        id: r.get(1)?,
                        title: r.get(2)?,
                        link: r.get(3)?,
                        published_ms: r.get(4)?,
                        first_seen_ms: r.get(5)?,
                        content: r.get(6)?,
                        revision: r.get(7)?,
                        revised_ms: r.get(8)?,
                        enclosures: Vec::new(),
                    },
                    r.get(9)?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(mut e, pk)| {
                e.enclosures = self.enclosures(pk)?;
                Ok(e)
            })
            .collect()
    }
}
