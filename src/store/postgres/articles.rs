//! Articles, identity keys, lists, enclosures (PostgreSQL).

use std::collections::HashSet;

use postgres::Row;

use super::{PgStore, Tx};
use crate::store::{
    ArticleRecord, Articles, Candidate, EnclosureRow, Flow, ListRow, RenderedArticle, Result,
    SourceCount,
};

/// Rows fetched at a time by the scans, between which the connection is free (a scan's
/// callback may use the store).
pub(super) const BATCH: i64 = 500;

const CANDIDATES: &str = "
    WITH c(pk) AS (
        SELECT pk FROM articles WHERE source = $1 AND guid = $2
        UNION SELECT pk FROM articles WHERE source = $1 AND canon = $3
        UNION SELECT pk FROM (SELECT pk FROM articles WHERE source = $1 AND norm_title = $4
            ORDER BY published_ms DESC LIMIT 20) t
        UNION SELECT pk FROM articles WHERE source = $1 AND text_key = $5)
    SELECT a.pk, a.guid, a.canon, a.norm_title, a.text_key, a.enclosure, a.feed_hash,
        r.n, r.hash, r.from_page
    FROM c JOIN articles a ON a.pk = c.pk
    JOIN revisions r ON r.article = a.pk
        AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)
    ORDER BY a.pk";

const RENDERED: &str = "SELECT a.pk, a.path, a.published_ms, r.title, a.link, r.content
    FROM articles a JOIN revisions r ON r.article = a.pk
    AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)";

fn rendered_of(r: &Row) -> RenderedArticle {
    RenderedArticle {
        path: r.get(1),
        published_ms: r.get(2),
        title: r.get(3),
        link: r.get(4),
        content: r.get(5),
    }
}

impl Articles for PgStore {
    fn min_id(&self, source: &str) -> Result<Option<i64>> {
        self.with(|c| {
            Ok(c.query_one(
                "SELECT LEAST((SELECT MIN(id) FROM articles WHERE source = $1),
                 (SELECT MIN(id) FROM list_extras WHERE source = $1))",
                &[&source],
            )?
            .get(0))
        })
    }

    fn candidates(
        &self,
        source: &str,
        guid: Option<&str>,
        canon: Option<&str>,
        norm_title: &str,
        text_key: Option<&str>,
    ) -> Result<Vec<Candidate>> {
        let title = (!norm_title.is_empty()).then_some(norm_title);
        self.with(|c| {
            let rows = c.query(CANDIDATES, &[&source, &guid, &canon, &title, &text_key])?;
            Ok(rows
                .iter()
                .map(|r| Candidate {
                    pk: r.get(0),
                    guid: r.get(1),
                    canon: r.get(2),
                    norm_title: r.get(3),
                    text_key: r.get(4),
                    enclosure: r.get(5),
                    feed_hash: r.get(6),
                    revision: r.get(7),
                    hash: r.get(8),
                    from_page: r.get(9),
                })
                .collect())
        })
    }

    fn insert_articles(&mut self, rows: &[ArticleRecord]) -> Result<()> {
        self.in_tx(|tx| {
            let pks = insert_articles_in(tx, rows)?;
            super::run::tail_in(tx, &pks, &[], &[])?;
            Ok(())
        })
    }

    fn known_paths(&self, source: &str) -> Result<HashSet<String>> {
        self.with(|c| {
            Ok(
                c.query("SELECT path FROM articles WHERE source = $1", &[&source])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect(),
            )
        })
    }

    fn list_rows(
        &self,
        source: &str,
        limit: usize,
        by_id: bool,
        with_marks: bool,
    ) -> Result<Vec<ListRow>> {
        let marks = if with_marks {
            "status = 'removed', EXISTS (SELECT 1 FROM revisions r WHERE r.article = a.pk AND r.n > 1)"
        } else {
            "FALSE, FALSE"
        };
        let sql = format!(
            "SELECT path, title, published_ms, {marks}
             FROM articles a WHERE source = $1 ORDER BY {} LIMIT $2",
            if by_id { "id" } else { "path" }
        );
        let limit = limit.min(i64::MAX as usize) as i64;
        self.with(|c| {
            let mut rows: Vec<ListRow> = c
                .query(&sql, &[&source, &limit])?
                .iter()
                .map(|r| ListRow {
                    path: r.get(0),
                    title: r.get(1),
                    published_ms: r.get(2),
                    line: None,
                    removed: r.get(3),
                    edited: r.get(4),
                })
                .collect();
            if by_id {
                return Ok(rows);
            }
            let extras: Vec<ListRow> = c
                .query(
                    "SELECT path, line FROM list_extras e WHERE source = $1 AND NOT EXISTS
                     (SELECT 1 FROM articles a WHERE a.source = e.source AND a.path = e.path)
                     ORDER BY path LIMIT $2",
                    &[&source, &limit],
                )?
                .iter()
                .map(|r| ListRow {
                    path: r.get(0),
                    title: String::new(),
                    published_ms: 0,
                    line: Some(r.get(1)),
                    edited: false,
                    removed: false,
                })
                .collect();
            if !extras.is_empty() {
                rows.extend(extras);
                rows.sort_by(|a, b| a.path.cmp(&b.path));
                rows.truncate(limit as usize);
            }
            Ok(rows)
        })
    }

    fn insert_list_extras(&mut self, source: &str, extras: &[(String, String)]) -> Result<usize> {
        self.in_tx(|tx| {
            let mut added = 0;
            for (p, line) in extras {
                let id = p
                    .rsplit('/')
                    .next()
                    .and_then(crate::mirror::id_from_file_name);
                added += tx.execute(
                    "INSERT INTO list_extras (source, path, id, line) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                    &[&source, p, &id, line],
                )? as usize;
            }
            Ok(added)
        })
    }

    fn scan_rendered_articles(&self, f: &mut dyn FnMut(RenderedArticle) -> Flow) -> Result<()> {
        let sql = format!(
            "{RENDERED} WHERE a.pk > $1 AND (NOT a.verbatim OR r.n > 1) ORDER BY a.pk LIMIT $2"
        );
        let mut after = 0i64;
        loop {
            let rows = self.with(|c| c.query(&sql, &[&after, &BATCH]))?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.get(0);
            for r in &rows {
                if f(rendered_of(r)).is_break() {
                    return Ok(());
                }
            }
        }
    }

    fn rendered_articles(&self, pks: &[i64]) -> Result<Vec<RenderedArticle>> {
        let sql = format!(
            "{RENDERED} WHERE a.pk = ANY($1) AND (NOT a.verbatim OR r.n > 1) ORDER BY a.pk"
        );
        self.with(|c| Ok(c.query(&sql, &[&pks])?.iter().map(rendered_of).collect()))
    }

    fn counts(&self) -> Result<Vec<SourceCount>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT source, COUNT(*) FROM articles GROUP BY source ORDER BY source",
                &[],
            )?
            .iter()
            .map(|r| SourceCount {
                source: r.get(0),
                articles: r.get(1),
            })
            .collect())
        })
    }

    fn enclosures_at(&self, source: &str, path: &str) -> Result<Vec<EnclosureRow>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT e.url, e.mime_type, e.length, e.title, e.description, e.kind
                 FROM enclosures e JOIN articles a ON a.pk = e.article
                 WHERE a.source = $1 AND a.path = $2 ORDER BY e.n",
                &[&source, &path],
            )?
            .iter()
            .map(|r| EnclosureRow {
                url: r.get(0),
                mime_type: r.get(1),
                length: r.get(2),
                title: r.get(3),
                description: r.get(4),
                kind: r.get(5),
            })
            .collect())
        })
    }

    fn enclosures(&self, pk: i64) -> Result<Vec<EnclosureRow>> {
        self.with(|c| Ok(enclosures_of(c, &[pk])?.remove(&pk).unwrap_or_default()))
    }

    fn delete_source(&mut self, slug: &str) -> Result<usize> {
        self.in_tx(|tx| {
            tx.execute("DELETE FROM list_extras WHERE source = $1", &[&slug])?;
            tx.execute("DELETE FROM feeds WHERE source = $1", &[&slug])?;
            tx.execute("DELETE FROM sources WHERE slug = $1", &[&slug])?;
            // Revisions, events, enclosures and change log entries go with their articles.
            let n = tx.execute("DELETE FROM articles WHERE source = $1", &[&slug])?;
            tx.execute("UPDATE commits SET n = n + 1", &[])?;
            Ok(n as usize)
        })
    }
}

/// Inserts articles with their revisions (the older ones, then the file's own), events and
/// enclosures. Returns the new primary keys, in order.
pub(super) fn insert_articles_in(
    tx: &mut Tx<'_>,
    rows: &[ArticleRecord],
) -> std::result::Result<Vec<i64>, postgres::Error> {
    let mut pks = Vec::with_capacity(rows.len());
    for a in rows {
        let pk: i64 = tx
            .query_one(
                "INSERT INTO articles (source, id, path, guid, link, canon, title, norm_title,
                 published_ms, first_seen_ms, verbatim, text_key, enclosure, feed_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 RETURNING pk",
                &[
                    &a.source,
                    &a.id,
                    &a.path,
                    &a.guid,
                    &a.link,
                    &a.canon,
                    &a.title,
                    &a.norm_title,
                    &a.published_ms,
                    &a.first_seen_ms,
                    &a.verbatim,
                    &a.text_key,
                    &a.enclosure,
                    &a.feed_hash,
                ],
            )?
            .get(0);
        for (i, old) in a.older.iter().enumerate() {
            let n = i as i64 + 1;
            insert_revision_in(
                tx,
                pk,
                n,
                old.seen_ms,
                &old.title,
                &old.content,
                &old.hash,
                false,
            )?;
            if i > 0 {
                edited_event_in(tx, pk, old.seen_ms, n)?;
            }
        }
        let n = a.older.len() as i64 + 1;
        let seen = a.seen_ms.unwrap_or(a.first_seen_ms);
        insert_revision_in(tx, pk, n, seen, &a.title, &a.content, &a.hash, a.from_page)?;
        if n > 1 {
            edited_event_in(tx, pk, seen, n)?;
        }
        insert_enclosures_in(tx, pk, &a.enclosures)?;
        pks.push(pk);
    }
    Ok(pks)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn insert_revision_in(
    tx: &mut Tx<'_>,
    article: i64,
    n: i64,
    seen_ms: i64,
    title: &str,
    content: &str,
    hash: &Option<String>,
    from_page: bool,
) -> std::result::Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO revisions (article, n, seen_ms, title, content, hash, from_page)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&article, &n, &seen_ms, &title, &content, hash, &from_page],
    )?;
    Ok(())
}

pub(super) fn edited_event_in(
    tx: &mut Tx<'_>,
    article: i64,
    at_ms: i64,
    n: i64,
) -> std::result::Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO events (article, kind, at_ms, revision) VALUES ($1, 'edited', $2, $3)",
        &[&article, &at_ms, &n],
    )?;
    Ok(())
}

pub(super) fn insert_enclosures_in(
    tx: &mut Tx<'_>,
    article: i64,
    rows: &[EnclosureRow],
) -> std::result::Result<(), postgres::Error> {
    for (n, e) in rows.iter().enumerate() {
        tx.execute(
            "INSERT INTO enclosures (article, n, url, mime_type, length, title, description, kind)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (article, n) DO UPDATE SET url = excluded.url,
             mime_type = excluded.mime_type, length = excluded.length, title = excluded.title,
             description = excluded.description, kind = excluded.kind",
            &[
                &article,
                &(n as i64),
                &e.url,
                &e.mime_type,
                &e.length,
                &e.title,
                &e.description,
                &e.kind,
            ],
        )?;
    }
    Ok(())
}

/// The enclosures of the articles `pks`, by article, in feed order.
pub(super) fn enclosures_of(
    c: &mut super::Conn,
    pks: &[i64],
) -> std::result::Result<std::collections::HashMap<i64, Vec<EnclosureRow>>, postgres::Error> {
    let mut encs: std::collections::HashMap<i64, Vec<EnclosureRow>> = Default::default();
    for r in c.query(
        "SELECT article, url, mime_type, length, title, description, kind FROM enclosures
         WHERE article = ANY($1) ORDER BY article, n",
        &[&pks],
    )? {
        encs.entry(r.get(0)).or_default().push(EnclosureRow {
            url: r.get(1),
            mime_type: r.get(2),
            length: r.get(3),
            title: r.get(4),
            description: r.get(5),
            kind: r.get(6),
        });
    }
    Ok(encs)
}
