//! What readers see, export, and the change log (PostgreSQL).

use postgres::Row;

use super::articles::BATCH;
use super::{PgStore, status};
use crate::store::{
    ArticleRow, Change, ExportedArticle, ExportedRevision, FeedEntry, Flow, Neighbour, Reader,
    Result, SearchDoc, SourceOverview,
};

const ROW: &str = "SELECT a.source, a.id, a.title, a.published_ms, a.first_seen_ms, a.status,
    1 + (SELECT COUNT(*) FROM events e WHERE e.article = a.pk AND e.kind = 'edited'),
    (SELECT COUNT(*) FROM events e WHERE e.article = a.pk) FROM articles a";

fn row_of(r: &Row) -> std::result::Result<ArticleRow, postgres::Error> {
    Ok(ArticleRow {
        source: r.try_get(0)?,
        id: r.try_get(1)?,
        title: r.try_get(2)?,
        published_ms: r.try_get(3)?,
        first_seen_ms: r.try_get(4)?,
        status: status(r, 5)?,
        revisions: r.try_get(6)?,
        events: r.try_get(7)?,
    })
}

const DOC: &str = "SELECT a.pk, a.source, a.id, r.title, r.content, a.published_ms, a.status
    FROM articles a JOIN revisions r ON r.article = a.pk
    AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)";

fn doc_of(r: &Row) -> std::result::Result<SearchDoc, postgres::Error> {
    Ok(SearchDoc {
        pk: r.try_get(0)?,
        source: r.try_get(1)?,
        id: r.try_get(2)?,
        title: r.try_get(3)?,
        content: r.try_get(4)?,
        published_ms: r.try_get(5)?,
        status: status(r, 6)?,
    })
}

impl Reader for PgStore {
    fn bulk_load_begin(&self) -> Result<()> {
        Ok(())
    }

    fn bulk_load_end(&self) -> Result<()> {
        Ok(())
    }

    fn overview(&self) -> Result<Vec<SourceOverview>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT a.source, a.n, COALESCE(MAX(f.last_ok_ms), a.newest)
                 FROM (SELECT source, COUNT(*) AS n, MAX(published_ms) AS newest
                       FROM articles GROUP BY source) a
                 LEFT JOIN feeds f ON f.source = a.source GROUP BY a.source, a.n, a.newest
                 ORDER BY a.source",
                &[],
            )?
            .iter()
            .map(|r| SourceOverview {
                source: r.get(0),
                articles: r.get(1),
                last_seen_ms: r.get::<_, Option<i64>>(2).unwrap_or(0),
            })
            .collect())
        })
    }

    fn newest_rows(
        &self,
        source: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ArticleRow>> {
        let filter = if source.is_some() {
            "source = $1"
        } else {
            "$1::text IS NULL"
        };
        let sql = format!(
            "{ROW} JOIN (SELECT pk FROM articles WHERE {filter}
             ORDER BY published_ms DESC, id DESC LIMIT $2 OFFSET $3) p ON p.pk = a.pk
             ORDER BY a.published_ms DESC, a.id DESC"
        );
        let (limit, offset) = (clamp(limit), clamp(offset));
        self.with(|c| {
            c.query(&sql, &[&source, &limit, &offset])?
                .iter()
                .map(row_of)
                .collect()
        })
    }

    fn count_of(&self, source: &str) -> Result<i64> {
        self.with(|c| {
            Ok(c.query_one(
                "SELECT COUNT(*) FROM articles WHERE source = $1",
                &[&source],
            )?
            .get(0))
        })
    }

    fn newest_entries(&self, source: Option<&str>, limit: usize) -> Result<Vec<FeedEntry>> {
        let limit = clamp(limit);
        self.with(|c| {
            let rows = c.query(
                "SELECT a.source, a.id, r.title, a.link, a.published_ms, a.first_seen_ms,
                 r.content, r.n, r.seen_ms, a.pk FROM articles a JOIN revisions r
                 ON r.article = a.pk AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)
                 WHERE ($1::text IS NULL OR a.source = $1)
                 ORDER BY a.published_ms DESC, a.id LIMIT $2",
                &[&source, &limit],
            )?;
            let pks: Vec<i64> = rows.iter().map(|r| r.get(9)).collect();
            let mut encs = super::articles::enclosures_of(c, &pks)?;
            Ok(rows
                .iter()
                .map(|r| FeedEntry {
                    source: r.get(0),
                    id: r.get(1),
                    title: r.get(2),
                    link: r.get(3),
                    published_ms: r.get(4),
                    first_seen_ms: r.get(5),
                    content: r.get(6),
                    revision: r.get(7),
                    revised_ms: r.get(8),
                    enclosures: encs.remove(&r.get::<_, i64>(9)).unwrap_or_default(),
                })
                .collect())
        })
    }

    fn neighbours(
        &self,
        source: &str,
        published_ms: i64,
        id: i64,
    ) -> Result<(Option<Neighbour>, Option<Neighbour>)> {
        let one = |sql: &str| -> Result<Option<Neighbour>> {
            self.with(|c| {
                Ok(c.query_opt(sql, &[&source, &published_ms, &id])?
                    .map(|r| Neighbour {
                        id: r.get(0),
                        title: r.get(1),
                    }))
            })
        };
        let newer = one("SELECT id, title FROM articles WHERE source = $1
             AND (published_ms > $2 OR (published_ms = $2 AND id > $3))
             ORDER BY published_ms, id LIMIT 1")?;
        let older = one("SELECT id, title FROM articles WHERE source = $1
             AND (published_ms < $2 OR (published_ms = $2 AND id < $3))
             ORDER BY published_ms DESC, id DESC LIMIT 1")?;
        Ok((newer, older))
    }

    fn data_version(&self) -> Result<i64> {
        self.with(|c| Ok(c.query_one("SELECT n FROM commits", &[])?.get(0)))
    }

    fn last_change(&self) -> Result<i64> {
        self.with(|c| {
            Ok(
                c.query_one("SELECT COALESCE(MAX(seq), 0) FROM article_changes", &[])?
                    .get(0),
            )
        })
    }

    fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>> {
        let limit = clamp(limit);
        self.with(|c| {
            Ok(c.query(
                "SELECT seq, article FROM article_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &limit],
            )?
            .iter()
            .map(|r| Change {
                seq: r.get(0),
                article: r.get(1),
            })
            .collect())
        })
    }

    fn search_docs(&self, pks: &[i64]) -> Result<Vec<SearchDoc>> {
        let sql = format!("{DOC} WHERE a.pk = ANY($1) ORDER BY a.pk");
        self.with(|c| c.query(&sql, &[&pks])?.iter().map(doc_of).collect())
    }

    fn scan_search_docs(&self, f: &mut dyn FnMut(SearchDoc) -> Flow) -> Result<()> {
        let sql = format!("{DOC} WHERE a.pk > $1 ORDER BY a.pk LIMIT $2");
        let mut after = 0i64;
        loop {
            let docs: Vec<SearchDoc> = self.with(|c| {
                c.query(&sql, &[&after, &BATCH])?
                    .iter()
                    .map(doc_of)
                    .collect()
            })?;
            let Some(last) = docs.last() else {
                return Ok(());
            };
            after = last.pk;
            for d in docs {
                if f(d).is_break() {
                    return Ok(());
                }
            }
        }
    }

    fn scan_export(&self, since_ms: i64, f: &mut dyn FnMut(ExportedArticle) -> Flow) -> Result<()> {
        let mut after = (String::new(), i64::MIN);
        loop {
            let batch: Vec<ExportedArticle> = self.with(|c| {
                let arts = c.query(
                    "SELECT pk, source, id, path, title, link, guid, published_ms, first_seen_ms
                     FROM articles WHERE first_seen_ms >= $1 AND (source, id) > ($2, $3)
                     ORDER BY source, id LIMIT $4",
                    &[&since_ms, &after.0, &after.1, &BATCH],
                )?;
                let pks: Vec<i64> = arts.iter().map(|r| r.get(0)).collect();
                let revs = c.query(
                    "SELECT article, n, seen_ms, title, content FROM revisions
                     WHERE article = ANY($1) ORDER BY article, n",
                    &[&pks],
                )?;
                let mut by: std::collections::HashMap<i64, Vec<ExportedRevision>> =
                    std::collections::HashMap::new();
                for r in &revs {
                    by.entry(r.get(0)).or_default().push(ExportedRevision {
                        n: r.get(1),
                        seen_ms: r.get(2),
                        title: r.get(3),
                        content: r.get(4),
                    });
                }
                Ok(arts
                    .iter()
                    .map(|r| ExportedArticle {
                        source: r.get(1),
                        id: r.get(2),
                        path: r.get(3),
                        title: r.get(4),
                        link: r.get(5),
                        guid: r.get(6),
                        published_ms: r.get(7),
                        first_seen_ms: r.get(8),
                        revisions: by.remove(&r.get::<_, i64>(0)).unwrap_or_default(),
                    })
                    .collect())
            })?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = (last.source.clone(), last.id);
            for a in batch {
                if f(a).is_break() {
                    return Ok(());
                }
            }
        }
    }
}

/// A count for SQL (`LIMIT`, `OFFSET`).
pub(super) fn clamp(n: usize) -> i64 {
    n.min(i64::MAX as usize) as i64
}
