//! Articles and their revisions.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

/// One archived article, as the database records it.
#[derive(Debug, Clone)]
pub struct ArticleRecord {
    pub source: String,
    pub id: i64,
    /// Path below the archive, e.g. `articles/dw/1048574.md`.
    pub path: String,
    pub guid: Option<String>,
    /// The link as written in the file.
    pub link: String,
    /// The link without fragment and tracking parameters, for finding repeats.
    pub canon: Option<String>,
    /// The title as written in the file.
    pub title: String,
    /// The title as compared for repeats.
    pub norm_title: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    /// The content as received (or as read from the file when rebuilt).
    pub content: String,
    /// The file is kept as it was found (a layout newsmirror does not write).
    pub verbatim: bool,
    /// The hash of the normalized title and content (`history::content_hash`).
    pub hash: Option<String>,
}

/// What an article file is rendered from.
pub struct RenderedArticle {
    pub path: String,
    pub published_ms: i64,
    pub title: String,
    pub link: String,
    pub content: String,
}

/// A list entry: an article, or a line kept from an imported list.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub path: String,
    pub title: String,
    pub published_ms: i64,
    /// The entry's line as an imported list had it, for an article whose file is absent.
    pub line: Option<String>,
    /// The article has more than one revision.
    pub edited: bool,
    /// The article was found removed.
    pub removed: bool,
}

/// Articles per source.
#[derive(Debug, Clone)]
pub struct SourceCount {
    pub source: String,
    pub articles: i64,
}

/// Same guid, same canonical link, or same title within a window.
pub(super) const FIND_REPEAT: &str = "
    SELECT pk, 1 FROM articles WHERE source = ?1 AND guid = ?2
    UNION ALL SELECT pk, 1 FROM articles WHERE source = ?1 AND canon = ?3
    UNION ALL SELECT pk, 0 FROM articles WHERE source = ?1 AND norm_title = ?4
        AND published_ms BETWEEN ?5 AND ?6
    LIMIT 1";

/// An archived article an item repeats.
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    /// The article's primary key.
    pub pk: i64,
    /// Matched by guid or canonical link (the same article, perhaps edited), not only by title.
    pub same_identity: bool,
}

impl Store {
    /// The smallest id of a source, if it has any article (or list entry kept from an
    /// imported list: those articles existed, and their ids are taken).
    pub fn min_id(&self, source: &str) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MIN(id) FROM (SELECT MIN(id) AS id FROM articles WHERE source = ?1
                 UNION ALL SELECT MIN(id) FROM list_extras WHERE source = ?1)",
                [source],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The archived article that is the same as the one described: same guid, same canonical
    /// link, or same title published within `window_ms`.
    pub fn find_repeat(
        &self,
        source: &str,
        guid: Option<&str>,
        canon: Option<&str>,
        norm_title: &str,
        published_ms: i64,
        window_ms: i64,
    ) -> Result<Option<Repeat>> {
        // One statement, each branch answered from its own index (an OR in one WHERE would
        // scan the source's rows).
        let title = (!norm_title.is_empty()).then_some(norm_title);
        let mut stmt = self
            .conn
            .prepare_cached(FIND_REPEAT)
            .map_err(|e| self.err(e))?;
        stmt.query_row(
            params![
                source,
                guid,
                canon,
                title,
                published_ms - window_ms,
                published_ms + window_ms
            ],
            |r| {
                Ok(Repeat {
                    pk: r.get(0)?,
                    same_identity: r.get::<_, i64>(1)? == 1,
                })
            },
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// Records articles (and their first revision) in one transaction.
    pub fn insert_articles(&mut self, rows: &[ArticleRecord]) -> Result<()> {
        let path = self.path.clone();
        let err = |source| super::StoreError {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut art = tx
                .prepare_cached(
                    "INSERT INTO articles (source, id, path, guid, link, canon, title, norm_title,
                     published_ms, first_seen_ms, verbatim)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(err)?;
            let mut rev = tx
                .prepare_cached(
                    "INSERT INTO revisions (article, n, seen_ms, title, content, hash)
                     VALUES (?1, 1, ?2, ?3, ?4, ?5)",
                )
                .map_err(err)?;
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
                    a.verbatim
                ])
                .map_err(err)?;
                let pk = tx.last_insert_rowid();
                rev.execute(params![pk, a.first_seen_ms, a.title, a.content, a.hash])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Records, before they are written, the paths of files about to be written: should the
    /// run die before `insert_articles`, the next run removes them (they may be partial).
    pub fn begin_pending(&mut self, paths: &[&str]) -> Result<()> {
        let path = self.path.clone();
        let err = |source| super::StoreError {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR IGNORE INTO pending_files (path) VALUES (?1)")
                .map_err(err)?;
            for p in paths {
                st.execute([p]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Pending paths that no article records: files of a run that died while writing.
    pub fn orphaned_pending(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.path FROM pending_files p WHERE NOT EXISTS
                 (SELECT 1 FROM articles a WHERE a.path = p.path)",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// Forgets every pending path.
    pub fn clear_pending(&self) -> Result<()> {
        self.conn
            .execute("DELETE FROM pending_files", [])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The paths of a source's articles known to the database.
    pub fn known_paths(&self, source: &str) -> Result<HashSet<String>> {
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
    pub fn list_rows(
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
    pub fn insert_list_extras(
        &mut self,
        source: &str,
        extras: &[(String, String)],
    ) -> Result<usize> {
        let path = self.path.clone();
        let err = |source| super::StoreError {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let mut added = 0;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO list_extras (source, path, id, line) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            for (p, line) in extras {
                let id = p
                    .rsplit('/')
                    .next()
                    .and_then(crate::mirror::id_from_file_name);
                added += st.execute(params![source, p, id, line]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(added)
    }

    /// Calls `f` with every article newsmirror renders itself (not kept verbatim), with the
    /// title and content of its newest revision.
    pub fn for_each_rendered_article<E: From<super::StoreError>>(
        &self,
        f: &mut dyn FnMut(RenderedArticle) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.path, a.published_ms, r.title, a.link, r.content FROM articles a
                 JOIN revisions r ON r.article = a.pk
                 AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)
                 WHERE a.verbatim = 0 OR r.n > 1",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let get = |i| -> Result<String> { r.get(i).map_err(|e| self.err(e)) };
            f(RenderedArticle {
                path: get(0)?,
                published_ms: r.get(1).map_err(|e| self.err(e))?,
                title: get(2)?,
                link: get(3)?,
                content: get(4)?,
            })?;
        }
        Ok(())
    }

    /// Article counts of every source that has articles.
    pub fn counts(&self) -> Result<Vec<SourceCount>> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every branch of the repeat lookup must use an index: a scan makes each item's cost
    /// grow with the archive.
    #[test]
    fn repeat_lookup_uses_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("t.sqlite")).unwrap();
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {FIND_REPEAT}"))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(params!["s", "g", "c", "t", 0, 1], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(plan.iter().all(|p| !p.starts_with("SCAN")), "{plan:?}");
        assert_eq!(
            plan.iter()
                .filter(|p| p.contains("USING") && p.contains("INDEX"))
                .count(),
            3,
            "{plan:?}"
        );
    }
}
