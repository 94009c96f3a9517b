//! Articles, identity keys, lists, enclosures (SQLite).

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::{
    ArticleRecord, Articles, Candidate, EnclosureRow, Flow, ListRow, RenderedArticle, Result,
    SourceCount,
};

/// Articles sharing a guid, a canonical link, a title (the newest few) or a text key with an
/// item; each branch answered from its own index.
pub(super) const CANDIDATES: &str = "
    WITH c(pk) AS (
        SELECT pk FROM articles WHERE source = ?1 AND guid = ?2
        UNION SELECT pk FROM articles WHERE source = ?1 AND canon = ?3
        UNION SELECT * FROM (SELECT pk FROM articles WHERE source = ?1 AND norm_title = ?4
            ORDER BY published_ms DESC LIMIT 20)
        UNION SELECT pk FROM articles WHERE source = ?1 AND text_key = ?5)
    SELECT a.pk, a.guid, a.canon, a.norm_title, a.text_key, a.enclosure, a.feed_hash,
        r.n, r.hash, r.from_page
    FROM c JOIN articles a ON a.pk = c.pk
    JOIN revisions r ON r.article = a.pk
        AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)
    ORDER BY a.pk";

impl Articles for SqliteStore {
    /// The smallest id of a source, if it has any article (or list entry kept from an
    /// imported list: those articles existed, and their ids are taken).
    fn min_id(&self, source: &str) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MIN(id) FROM (SELECT MIN(id) AS id FROM articles WHERE source = ?1
                 UNION ALL SELECT MIN(id) FROM list_extras WHERE source = ?1)",
                [source],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The archived articles of `source` that share an identity key with an item.
    fn candidates(
        &self,
        source: &str,
        guid: Option<&str>,
        canon: Option<&str>,
        norm_title: &str,
        text_key: Option<&str>,
    ) -> Result<Vec<Candidate>> {
        let title = (!norm_title.is_empty()).then_some(norm_title);
        let mut stmt = self
            .conn
            .prepare_cached(CANDIDATES)
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![source, guid, canon, title, text_key], |r| {
            Ok(Candidate {
                pk: r.get(0)?,
                guid: r.get(1)?,
                canon: r.get(2)?,
                norm_title: r.get(3)?,
                text_key: r.get(4)?,
                enclosure: r.get(5)?,
                feed_hash: r.get(6)?,
                revision: r.get(7)?,
                hash: r.get(8)?,
                from_page: r.get(9)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Records articles (and their revisions) in one transaction: rebuilding from the files.
    fn insert_articles(&mut self, rows: &[ArticleRecord]) -> Result<()> {
        let err = self.errs();
        let tx = self.conn.transaction().map_err(&err)?;
        super::run::insert_articles_in(&tx, rows).map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// The paths of a source's articles known to the database.
    fn known_paths(&self, source: &str) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path FROM articles WHERE source = ?1")
            .map_err(|e| self.err(e))?;
        stmt.query_map([source], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// The first `limit` entries of a source's list: articles and kept list lines, in byte
    /// order of their paths (the order of file names in a directory listing), or by id
    /// (newest first) when `by_id`.
    fn list_rows(
        &self,
        source: &str,
        limit: usize,
        by_id: bool,
        with_marks: bool,
    ) -> Result<Vec<ListRow>> {
        // The edited/removed marks cost a lookup a row: only when lists show them.
        let marks = if with_marks {
            "status = 'removed', EXISTS (SELECT 1 FROM revisions r WHERE r.article = a.pk AND r.n > 1)"
        } else {
            "0, 0"
        };
        let sql = format!(
            "SELECT path, title, published_ms, {marks}
             FROM articles a WHERE source = ?1 ORDER BY {} LIMIT ?2",
            if by_id { "id" } else { "path" }
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows: Vec<ListRow> = stmt
            .query_map(params![source, limit as i64], |r| {
                Ok(ListRow {
                    path: r.get(0)?,
                    title: r.get(1)?,
                    published_ms: r.get(2)?,
                    line: None,
                    removed: r.get(3)?,
                    edited: r.get(4)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        if by_id {
            return Ok(rows);
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT path, line FROM list_extras e WHERE source = ?1 AND NOT EXISTS
                 (SELECT 1 FROM articles a WHERE a.source = e.source AND a.path = e.path)
                 ORDER BY path LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let extras: Vec<ListRow> = stmt
            .query_map(params![source, limit as i64], |r| {
                Ok(ListRow {
                    path: r.get(0)?,
                    title: String::new(),
                    published_ms: 0,
                    line: Some(r.get(1)?),
                    edited: false,
                    removed: false,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        if !extras.is_empty() {
            rows.extend(extras);
            rows.sort_by(|a, b| a.path.cmp(&b.path));
            rows.truncate(limit);
        }
        Ok(rows)
    }

    /// Keeps list lines for paths whose files are absent; returns how many were new.
    fn insert_list_extras(&mut self, source: &str, extras: &[(String, String)]) -> Result<usize> {
        let err = self.errs();
        let tx = self.conn.transaction().map_err(&err)?;
        let mut added = 0;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO list_extras (source, path, id, line) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(&err)?;
            for (p, line) in extras {
                let id = p
                    .rsplit('/')
                    .next()
                    .and_then(crate::mirror::id_from_file_name);
                added += st.execute(params![source, p, id, line]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(added)
    }

    fn scan_rendered_articles(&self, f: &mut dyn FnMut(RenderedArticle) -> Flow) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare(&format!("{RENDERED} WHERE a.verbatim = 0 OR r.n > 1"))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            if f(rendered_of(r).map_err(|e| self.err(e))?).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn rendered_articles(&self, pks: &[i64]) -> Result<Vec<RenderedArticle>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{RENDERED} WHERE a.pk = ?1 AND (a.verbatim = 0 OR r.n > 1)"
            ))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for pk in pks {
            if let Some(a) = stmt
                .query_row([pk], rendered_of)
                .optional()
                .map_err(|e| self.err(e))?
            {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Article counts of every source that has articles.
    fn counts(&self) -> Result<Vec<SourceCount>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, COUNT(*) FROM articles GROUP BY source")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(SourceCount {
                source: r.get(0)?,
                articles: r.get(1)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    fn enclosures_at(&self, source: &str, path: &str) -> Result<Vec<EnclosureRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT e.url, e.mime_type, e.length, e.title, e.description, e.kind
                 FROM enclosures e JOIN articles a ON a.pk = e.article
                 WHERE a.source = ?1 AND a.path = ?2 ORDER BY e.n",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![source, path], |r| {
            Ok(EnclosureRow {
                url: r.get(0)?,
                mime_type: r.get(1)?,
                length: r.get(2)?,
                title: r.get(3)?,
                description: r.get(4)?,
                kind: r.get(5)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    fn enclosures(&self, pk: i64) -> Result<Vec<EnclosureRow>> {
        enclosures_of(&self.conn, pk).map_err(|e| self.err(e))
    }

    fn delete_source(&mut self, slug: &str) -> Result<usize> {
        let err = self.errs();
        let tx = self.conn.transaction().map_err(&err)?;
        let of_source = "(SELECT pk FROM articles WHERE source = ?1)";
        for sql in [
            format!("DELETE FROM events WHERE article IN {of_source}"),
            format!("DELETE FROM revisions WHERE article IN {of_source}"),
            format!("DELETE FROM article_changes WHERE article IN {of_source}"),
            format!("DELETE FROM enclosures WHERE article IN {of_source}"),
            "DELETE FROM list_extras WHERE source = ?1".to_string(),
            "DELETE FROM feeds WHERE source = ?1".to_string(),
            "DELETE FROM sources WHERE slug = ?1".to_string(),
        ] {
            tx.execute(&sql, [slug]).map_err(&err)?;
        }
        let n = tx
            .execute("DELETE FROM articles WHERE source = ?1", [slug])
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(n)
    }
}

const RENDERED: &str = "SELECT a.path, a.published_ms, r.title, a.link, r.content FROM articles a
    JOIN revisions r ON r.article = a.pk AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)";

fn rendered_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RenderedArticle> {
    Ok(RenderedArticle {
        path: r.get(0)?,
        published_ms: r.get(1)?,
        title: r.get(2)?,
        link: r.get(3)?,
        content: r.get(4)?,
    })
}

/// Records an article's enclosures (inside the transaction that inserts the article).
pub(super) fn insert_enclosures_in(
    tx: &rusqlite::Transaction<'_>,
    article: i64,
    rows: &[EnclosureRow],
) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut ins = tx.prepare_cached(
        "INSERT OR REPLACE INTO enclosures (article, n, url, mime_type, length, title, description, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (n, e) in rows.iter().enumerate() {
        ins.execute(params![
            article,
            n as i64,
            e.url,
            e.mime_type,
            e.length,
            e.title,
            e.description,
            e.kind
        ])?;
    }
    Ok(())
}

/// The enclosures of article `pk`, in feed order.
pub(super) fn enclosures_of(
    conn: &rusqlite::Connection,
    pk: i64,
) -> rusqlite::Result<Vec<EnclosureRow>> {
    conn.prepare_cached(
        "SELECT url, mime_type, length, title, description, kind FROM enclosures
         WHERE article = ?1 ORDER BY n",
    )?
    .query_map([pk], |r| {
        Ok(EnclosureRow {
            url: r.get(0)?,
            mime_type: r.get(1)?,
            length: r.get(2)?,
            title: r.get(3)?,
            description: r.get(4)?,
            kind: r.get(5)?,
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every branch of the candidate lookup must use an index: a scan makes each item's cost
    /// grow with the archive.
    #[test]
    fn candidate_lookup_uses_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = SqliteStore::open(&dir.path().join("t.sqlite")).unwrap();
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {CANDIDATES}"))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(params!["s", "g", "c", "t", "k"], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter()
                .all(|p| !p.starts_with("SCAN a") && !p.starts_with("SCAN articles")),
            "{plan:?}"
        );
    }
}
