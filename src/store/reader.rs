//! What readers see: sources at a glance, articles newest first in pages, and the documents
//! the search index is fed with.

use rusqlite::params;

use super::{Result, Store};

/// A source at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOverview {
    pub source: String,
    pub articles: i64,
    /// The last successful fetch of its feeds (else the newest article's date; 0 when none).
    pub last_seen_ms: i64,
}

/// An article in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRow {
    pub source: String,
    pub id: i64,
    pub title: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub status: super::ArticleStatus,
    /// How many revisions the archive holds.
    pub revisions: i64,
    /// How many events (edited, removed, restored) it has had.
    pub events: i64,
}

/// An article as the search index holds it: its newest revision.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub pk: i64,
    pub source: String,
    pub id: i64,
    pub title: String,
    /// The newest revision's content, raw HTML.
    pub content: String,
    pub published_ms: i64,
    pub status: super::ArticleStatus,
}

// Every revision after the first comes with an `edited` event (`Store::add_revision`): counting
// events spares reading the revisions table, whose rows hold whole articles.
const ROW: &str = "SELECT a.source, a.id, a.title, a.published_ms, a.first_seen_ms, a.status,
    1 + (SELECT COUNT(*) FROM events e WHERE e.article = a.pk AND e.kind = 'edited'),
    (SELECT COUNT(*) FROM events e WHERE e.article = a.pk) FROM articles a";

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArticleRow> {
    Ok(ArticleRow {
        source: r.get(0)?,
        id: r.get(1)?,
        title: r.get(2)?,
        published_ms: r.get(3)?,
        first_seen_ms: r.get(4)?,
        status: r.get(5)?,
        revisions: r.get(6)?,
        events: r.get(7)?,
    })
}

const DOC: &str = "SELECT a.pk, a.source, a.id, r.title, r.content, a.published_ms, a.status
    FROM articles a JOIN revisions r ON r.article = a.pk
    AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)";

fn doc_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<SearchDoc> {
    Ok(SearchDoc {
        pk: r.get(0)?,
        source: r.get(1)?,
        id: r.get(2)?,
        title: r.get(3)?,
        content: r.get(4)?,
        published_ms: r.get(5)?,
        status: r.get(6)?,
    })
}

/// The readers' indexes and the search queue's trigger on new revisions, made sure of at every
/// opening (they are dropped while the database is rebuilt from the files, and a run may die
/// then).
pub(super) const READER_SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS articles_pub ON articles (source, published_ms, id);
CREATE INDEX IF NOT EXISTS articles_pub_all ON articles (published_ms, id);
CREATE TRIGGER IF NOT EXISTS search_queue_revision AFTER INSERT ON revisions BEGIN
    INSERT OR IGNORE INTO search_queue (article) VALUES (new.article);
END;";

impl Store {
    /// Before loading every article at once (the database rebuilt from the files): drops the
    /// readers' indexes and the search queue's trigger, which [`Store::bulk_load_end`] puts
    /// back in one pass each (a sort instead of 200,000 insertions).
    pub fn bulk_load_begin(&self) -> Result<()> {
        self.conn
            .execute_batch(
                "DROP TRIGGER IF EXISTS search_queue_revision;
                 DROP INDEX IF EXISTS articles_pub; DROP INDEX IF EXISTS articles_pub_all;",
            )
            .map_err(|e| self.err(e))
    }

    /// After a bulk load: every article queued for the search index, indexes and trigger back.
    pub fn bulk_load_end(&self) -> Result<()> {
        self.conn
            .execute_batch(&format!(
                "INSERT OR IGNORE INTO search_queue (article) SELECT pk FROM articles;
                 {READER_SCHEMA}"
            ))
            .map_err(|e| self.err(e))
    }

    /// Every source that holds articles, with its count and its last successful fetch (one
    /// scan of an index).
    pub fn overview(&self) -> Result<Vec<SourceOverview>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT a.source, a.n, COALESCE(MAX(f.last_ok_ms), a.newest)
                 FROM (SELECT source, COUNT(*) AS n, MAX(published_ms) AS newest
                       FROM articles GROUP BY source) a
                 LEFT JOIN feeds f ON f.source = a.source GROUP BY a.source",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| {
            Ok(SourceOverview {
                source: r.get(0)?,
                articles: r.get(1)?,
                last_seen_ms: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Articles of `source` (all sources when `None`), newest publication first, skipping
    /// `offset`.
    pub fn newest_rows(
        &self,
        source: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ArticleRow>> {
        // The page is cut from the index alone (rows skipped by OFFSET cost no lookups), then
        // its rows are read.
        let sql = match source {
            Some(_) => format!(
                "{ROW} JOIN (SELECT pk FROM articles WHERE source = ?1
                 ORDER BY published_ms DESC, id DESC LIMIT ?2 OFFSET ?3) p ON p.pk = a.pk
                 ORDER BY a.published_ms DESC, a.id DESC"
            ),
            None => format!(
                "{ROW} JOIN (SELECT pk FROM articles WHERE ?1 IS NULL
                 ORDER BY published_ms DESC, id DESC LIMIT ?2 OFFSET ?3) p ON p.pk = a.pk
                 ORDER BY a.published_ms DESC, a.id DESC"
            ),
        };
        let mut st = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        st.query_map(params![source, limit as i64, offset as i64], row_of)
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// How many articles `source` holds.
    pub fn count_of(&self, source: &str) -> Result<i64> {
        self.conn
            .prepare_cached("SELECT COUNT(*) FROM articles WHERE source = ?1")
            .and_then(|mut st| st.query_row([source], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` articles waiting for the search index, with their newest revision.
    pub fn search_queue(&self, limit: usize) -> Result<Vec<SearchDoc>> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "{DOC} WHERE a.pk IN (SELECT article FROM search_queue ORDER BY article LIMIT ?1)"
            ))
            .map_err(|e| self.err(e))?;
        st.query_map([limit as i64], doc_of)
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// How many articles wait for the search index.
    pub fn search_queue_len(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM search_queue", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Takes articles off the search queue once the index has committed them.
    pub fn search_done(&mut self, pks: &[i64]) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| StoreErr::of(&self.path, e))?;
        {
            let mut st = tx
                .prepare_cached("DELETE FROM search_queue WHERE article = ?1")
                .map_err(|e| StoreErr::of(&self.path, e))?;
            for pk in pks {
                st.execute([pk]).map_err(|e| StoreErr::of(&self.path, e))?;
            }
        }
        tx.commit().map_err(|e| StoreErr::of(&self.path, e))
    }

    /// Empties the search queue (the index was rebuilt from every article).
    pub fn search_clear(&self) -> Result<()> {
        self.conn
            .execute("DELETE FROM search_queue", [])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Calls `f` with every article's search document, one at a time.
    pub fn for_each_search_doc<E: From<super::StoreError>>(
        &self,
        f: &mut dyn FnMut(SearchDoc) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut st = self.conn.prepare(DOC).map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            f(doc_of(r).map_err(|e| self.err(e))?)?;
        }
        Ok(())
    }
}

struct StoreErr;

impl StoreErr {
    fn of(path: &std::path::Path, source: rusqlite::Error) -> super::StoreError {
        super::StoreError {
            path: path.to_path_buf(),
            source: source.into(),
        }
    }
}
