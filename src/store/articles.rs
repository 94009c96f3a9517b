//! Articles and their revisions.

use std::collections::HashSet;

use rusqlite::params;

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
    /// The hash of the normalized title and content (`text::content_hash`).
    pub hash: Option<String>,
    /// The key of the normalized text (`text::text_key`), for items known by their text only.
    pub text_key: Option<String>,
    /// The enclosure's URL (podcasts), when the item had one.
    pub enclosure: Option<String>,
    /// The hash of the feed item as last seen (`None` when rebuilt from the files).
    pub feed_hash: Option<String>,
    /// The content came from the article's page (full text).
    pub from_page: bool,
    /// Older revisions (rebuilt from `revisions/`), oldest first; the record's own content is
    /// the newest.
    pub older: Vec<OldRevision>,
    /// When the newest revision was seen, if not at `first_seen_ms`.
    pub seen_ms: Option<i64>,
    /// Enclosures and media, in feed order (recorded in the same transaction).
    pub enclosures: Vec<super::EnclosureRow>,
}

/// An older revision of an article, read back from its file under `revisions/`.
#[derive(Debug, Clone)]
pub struct OldRevision {
    pub seen_ms: i64,
    pub title: String,
    pub content: String,
    pub hash: Option<String>,
}

/// An archived article that might be the same as a feed item (same guid, canonical link,
/// title or text), with what the identity rules compare.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub pk: i64,
    pub guid: Option<String>,
    pub canon: Option<String>,
    pub norm_title: String,
    pub text_key: Option<String>,
    pub enclosure: Option<String>,
    pub feed_hash: Option<String>,
    /// The newest revision: its number, hash and origin (its text: `latest_revision`).
    pub revision: i64,
    pub hash: Option<String>,
    pub from_page: bool,
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

    /// The archived articles of `source` that share an identity key with an item.
    pub fn candidates(
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
    pub fn insert_articles(&mut self, rows: &[ArticleRecord]) -> Result<()> {
        let path = self.path.clone();
        let err = |source: rusqlite::Error| super::StoreError {
            path: path.clone(),
            source: source.into(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        super::run::insert_articles_in(&tx, rows).map_err(err)?;
        tx.commit().map_err(err)
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
        let err = |source: rusqlite::Error| super::StoreError {
            path: path.clone(),
            source: source.into(),
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

    /// Every branch of the candidate lookup must use an index: a scan makes each item's cost
    /// grow with the archive.
    #[test]
    fn candidate_lookup_uses_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("t.sqlite")).unwrap();
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
