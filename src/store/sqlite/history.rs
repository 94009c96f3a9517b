//! Revisions, rechecks, events and the journal's replay (SQLite).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::{
    ArticleInfo, ArticleStatus, CheckTarget, EventKind, EventRow, Flow, History, JournalEntry,
    JournalKind, OlderRevision, Result, RevisionRow,
};

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

impl History for SqliteStore {
    /// An article by source and id.
    fn article(&self, source: &str, id: i64) -> Result<Option<ArticleInfo>> {
        self.conn
            .prepare_cached(&format!("{INFO} WHERE source = ?1 AND id = ?2"))
            .and_then(|mut st| st.query_row(params![source, id], info_of).optional())
            .map_err(|e| self.err(e))
    }

    /// An article by its primary key.
    fn article_by_pk(&self, pk: i64) -> Result<Option<ArticleInfo>> {
        self.conn
            .prepare_cached(&format!("{INFO} WHERE pk = ?1"))
            .and_then(|mut st| st.query_row([pk], info_of).optional())
            .map_err(|e| self.err(e))
    }

    /// Every revision of an article, oldest first.
    fn revisions(&self, article: i64) -> Result<Vec<RevisionRow>> {
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
    fn latest_revision(&self, article: i64) -> Result<Option<RevisionRow>> {
        self.conn
            .prepare_cached(
                "SELECT n, seen_ms, title, content, hash FROM revisions WHERE article = ?1
                 ORDER BY n DESC LIMIT 1",
            )
            .and_then(|mut st| st.query_row([article], revision_of).optional())
            .map_err(|e| self.err(e))
    }

    /// Every event of an article, oldest first.
    fn events_of(&self, article: i64) -> Result<Vec<EventRow>> {
        self.events_where("article = ?1", params![article])
    }

    /// Every event in `[from_ms, to_ms)`, newest first.
    fn events_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<EventRow>> {
        let mut v = self.events_where("at_ms >= ?1 AND at_ms < ?2", params![from_ms, to_ms])?;
        v.reverse();
        Ok(v)
    }

    /// Articles first seen after `since_ms` whose page was not checked since `checked_before`
    /// (every one of them when `checked_before` is `None`), oldest check first.
    /// A check recorded after `now_ms` (a clock that ran ahead) is due too.
    fn due_rechecks(
        &self,
        since_ms: i64,
        checked_before: Option<i64>,
        now_ms: i64,
    ) -> Result<Vec<CheckTarget>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT pk, source, link, page_etag, page_last_modified, status, missing_since_ms
                 FROM articles WHERE first_seen_ms >= ?1 AND link LIKE 'http%'
                 AND (?2 IS NULL OR checked_ms IS NULL OR checked_ms < ?2 OR checked_ms > ?3)
                 ORDER BY COALESCE(checked_ms, 0), pk",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![since_ms, checked_before, now_ms], |r| {
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

    /// Replays journal entries into the database (rebuilding from the files). Idempotent: an
    /// entry that repeats what the database holds (a run that died after writing the journal
    /// and before its commit, then did the work again) changes nothing. Returns how many
    /// entries changed something.
    fn apply_journal(&mut self, entries: &[JournalEntry]) -> Result<usize> {
        let err = self.errs();
        let tx = self.conn.transaction().map_err(&err)?;
        let mut applied = 0;
        {
            let mut find = tx
                .prepare_cached("SELECT pk, status, missing_since_ms FROM articles WHERE path = ?1")
                .map_err(&err)?;
            for e in entries {
                let row: Option<(i64, ArticleStatus, Option<i64>)> = find
                    .query_row([&e.path], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
                    .map_err(&err)?;
                let Some((pk, status, missing)) = row else {
                    continue;
                };
                let changed = match (e.kind, status) {
                    (JournalKind::Edited, _) => {
                        let n = e.revision.unwrap_or(0);
                        let has_rev: bool = tx
                            .query_row(
                                "SELECT EXISTS (SELECT 1 FROM revisions WHERE article = ?1 AND n = ?2)",
                                params![pk, n],
                                |r| r.get(0),
                            )
                            .map_err(&err)?;
                        if !has_rev {
                            0
                        } else {
                            tx.execute(
                                "UPDATE revisions SET seen_ms = ?3 WHERE article = ?1 AND n = ?2",
                                params![pk, n, e.at],
                            )
                            .map_err(&err)?;
                            let moved = tx
                                .execute(
                                    "UPDATE events SET at_ms = ?3 WHERE article = ?1
                                     AND kind = 'edited' AND revision = ?2",
                                    params![pk, n, e.at],
                                )
                                .map_err(&err)?;
                            if moved == 0 {
                                tx.execute(
                                    "INSERT INTO events (article, kind, at_ms, revision)
                                     VALUES (?1, 'edited', ?2, ?3)",
                                    params![pk, e.at, n],
                                )
                                .map_err(&err)?;
                            }
                            1
                        }
                    }
                    (JournalKind::Removed, ArticleStatus::Live)
                    | (JournalKind::Restored, ArticleStatus::Removed) => {
                        let (kind, to) = if e.kind == JournalKind::Removed {
                            (EventKind::Removed, ArticleStatus::Removed)
                        } else {
                            (EventKind::Restored, ArticleStatus::Live)
                        };
                        tx.execute(
                            "UPDATE articles SET status = ?2, status_ms = ?3,
                             missing_since_ms = CASE WHEN ?2 = 'live' THEN NULL
                                 ELSE missing_since_ms END WHERE pk = ?1",
                            params![pk, to.as_str(), e.at],
                        )
                        .map_err(&err)?;
                        tx.execute(
                            "INSERT INTO events (article, kind, at_ms) VALUES (?1, ?2, ?3)",
                            params![pk, kind.as_str(), e.at],
                        )
                        .map_err(&err)?
                    }
                    (JournalKind::Missing, ArticleStatus::Live) if missing.is_none() => tx
                        .execute(
                            "UPDATE articles SET missing_since_ms = ?2 WHERE pk = ?1",
                            params![pk, e.at],
                        )
                        .map_err(&err)?,
                    (JournalKind::Found, ArticleStatus::Live) if missing.is_some() => tx
                        .execute(
                            "UPDATE articles SET missing_since_ms = NULL WHERE pk = ?1",
                            [pk],
                        )
                        .map_err(&err)?,
                    _ => 0,
                };
                applied += changed.min(1);
            }
        }
        tx.commit().map_err(&err)?;
        Ok(applied)
    }

    /// Fills in the text key of articles stored before text keys were kept (`key` computes it
    /// from the newest revision's content). Returns how many were filled.
    fn backfill_text_keys(&mut self, key: &dyn Fn(&str) -> Option<String>) -> Result<usize> {
        let err = self.errs();
        let tx = self.conn.transaction().map_err(&err)?;
        let mut n = 0;
        {
            let mut sel = tx
                .prepare(
                    "SELECT a.pk, r.content FROM articles a JOIN revisions r ON r.article = a.pk
                     AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)
                     WHERE a.text_key IS NULL AND a.verbatim = 0",
                )
                .map_err(&err)?;
            let rows: Vec<(i64, String)> = sel
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect)
                .map_err(&err)?;
            let mut upd = tx
                .prepare("UPDATE articles SET text_key = ?2 WHERE pk = ?1")
                .map_err(&err)?;
            for (pk, content) in rows {
                if let Some(k) = key(&content) {
                    n += upd.execute(params![pk, k]).map_err(&err)?;
                }
            }
        }
        tx.commit().map_err(&err)?;
        Ok(n)
    }

    fn scan_older_revisions(&self, f: &mut dyn FnMut(OlderRevision) -> Flow) -> Result<()> {
        let mut st = self
            .conn
            .prepare(&format!("{OLDER} ORDER BY a.pk, r.n"))
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            if f(older_of(r).map_err(|e| self.err(e))?).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn older_revisions_of(&self, pks: &[i64]) -> Result<Vec<OlderRevision>> {
        let mut st = self
            .conn
            .prepare_cached(&format!("{OLDER} AND a.pk = ?1 ORDER BY r.n"))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for pk in pks {
            let rows: Vec<OlderRevision> = st
                .query_map([pk], older_of)
                .and_then(Iterator::collect)
                .map_err(|e| self.err(e))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Articles whose page was seen missing and is not confirmed removed: (path, since).
    fn pending_sightings(&self) -> Result<Vec<(String, i64)>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT path, missing_since_ms FROM articles
                 WHERE missing_since_ms IS NOT NULL AND status = 'live' ORDER BY pk",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }
}

impl SqliteStore {
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
}

const OLDER: &str = "SELECT a.path, r.n, a.published_ms, a.link, r.title, r.content
    FROM revisions r JOIN articles a ON a.pk = r.article
    WHERE r.n < (SELECT MAX(n) FROM revisions WHERE article = r.article)";

fn older_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<OlderRevision> {
    Ok(OlderRevision {
        path: r.get(0)?,
        n: r.get(1)?,
        published_ms: r.get(2)?,
        link: r.get(3)?,
        title: r.get(4)?,
        content: r.get(5)?,
    })
}
