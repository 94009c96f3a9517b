//! What readers see, export, and the change log (SQLite).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::{
    ArticleRow, Change, ExportedArticle, ExportedRevision, FeedEntry, Flow, Neighbour, Reader,
    Result, SearchDoc, SourceOverview,
};

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
CREATE TRIGGER IF NOT EXISTS article_changes_revision AFTER INSERT ON revisions BEGIN
    INSERT OR REPLACE INTO article_changes (article, seq)
        VALUES (new.article, (SELECT COALESCE(MAX(seq), 0) + 1 FROM article_changes));
END;";

impl Reader for SqliteStore {
    /// Before loading every article at once (the database rebuilt from the files): drops the
    /// readers' indexes and the search queue's trigger, which [`Store::bulk_load_end`] puts
    /// back in one pass each (a sort instead of 200,000 insertions).
    fn bulk_load_begin(&self) -> Result<()> {
        self.conn
            .execute_batch(
                "DROP TRIGGER IF EXISTS article_changes_revision;
                 DROP INDEX IF EXISTS articles_pub; DROP INDEX IF EXISTS articles_pub_all;",
            )
            .map_err(|e| self.err(e))
    }

    /// After a bulk load: every article queued for the search index, indexes and trigger back.
    fn bulk_load_end(&self) -> Result<()> {
        self.conn
            .execute_batch(&format!(
                "INSERT OR REPLACE INTO article_changes (article, seq)
                     SELECT pk, pk + COALESCE((SELECT MAX(seq) FROM article_changes), 0)
                     FROM articles;
                 {READER_SCHEMA}"
            ))
            .map_err(|e| self.err(e))
    }

    /// Every source that holds articles, with its count and its last successful fetch (one
    /// scan of an index).
    fn overview(&self) -> Result<Vec<SourceOverview>> {
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
    fn newest_rows(
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
    fn count_of(&self, source: &str) -> Result<i64> {
        self.conn
            .prepare_cached("SELECT COUNT(*) FROM articles WHERE source = ?1")
            .and_then(|mut st| st.query_row([source], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    fn newest_entries(&self, source: Option<&str>, limit: usize) -> Result<Vec<FeedEntry>> {
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
                e.enclosures =
                    super::articles::enclosures_of(&self.conn, pk).map_err(|e| self.err(e))?;
                Ok(e)
            })
            .collect()
    }

    fn neighbours(
        &self,
        source: &str,
        published_ms: i64,
        id: i64,
    ) -> Result<(Option<Neighbour>, Option<Neighbour>)> {
        let one = |sql: &str| -> Result<Option<Neighbour>> {
            self.conn
                .prepare_cached(sql)
                .and_then(|mut st| {
                    st.query_row(params![source, published_ms, id], |r| {
                        Ok(Neighbour {
                            id: r.get(0)?,
                            title: r.get(1)?,
                        })
                    })
                    .optional()
                })
                .map_err(|e| self.err(e))
        };
        let newer = one("SELECT id, title FROM articles WHERE source = ?1
             AND (published_ms > ?2 OR (published_ms = ?2 AND id > ?3))
             ORDER BY published_ms, id LIMIT 1")?;
        let older = one("SELECT id, title FROM articles WHERE source = ?1
             AND (published_ms < ?2 OR (published_ms = ?2 AND id < ?3))
             ORDER BY published_ms DESC, id DESC LIMIT 1")?;
        Ok((newer, older))
    }

    fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn last_change(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM article_changes",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT seq, article FROM article_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![after, limit as i64], |r| {
            Ok(Change {
                seq: r.get(0)?,
                article: r.get(1)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    fn search_docs(&self, pks: &[i64]) -> Result<Vec<SearchDoc>> {
        let mut st = self
            .conn
            .prepare_cached(&format!("{DOC} WHERE a.pk = ?1"))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(pks.len());
        for pk in pks {
            if let Some(d) = st
                .query_row([pk], doc_of)
                .optional()
                .map_err(|e| self.err(e))?
            {
                out.push(d);
            }
        }
        Ok(out)
    }

    fn scan_search_docs(&self, f: &mut dyn FnMut(SearchDoc) -> Flow) -> Result<()> {
        let mut st = self.conn.prepare(DOC).map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            if f(doc_of(r).map_err(|e| self.err(e))?).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn scan_export(&self, since_ms: i64, f: &mut dyn FnMut(ExportedArticle) -> Flow) -> Result<()> {
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
            if f(a).is_break() {
                break;
            }
        }
        Ok(())
    }
}
