//! Revisions, rechecks, events and the journal's replay (PostgreSQL).

use postgres::Row;

use super::articles::BATCH;
use super::{PgStore, event_kind, status};
use crate::store::{
    ArticleInfo, ArticleStatus, CheckTarget, EventKind, EventRow, Flow, History, JournalEntry,
    JournalKind, OlderRevision, Result, RevisionRow,
};

const INFO: &str = "SELECT pk, source, id, path, link, title, published_ms, first_seen_ms, status,
    status_ms FROM articles";

fn info_of(r: &Row) -> std::result::Result<ArticleInfo, postgres::Error> {
    Ok(ArticleInfo {
        pk: r.try_get(0)?,
        source: r.try_get(1)?,
        id: r.try_get(2)?,
        path: r.try_get(3)?,
        link: r.try_get(4)?,
        title: r.try_get(5)?,
        published_ms: r.try_get(6)?,
        first_seen_ms: r.try_get(7)?,
        status: status(r, 8)?,
        status_ms: r.try_get(9)?,
    })
}

fn revision_of(r: &Row) -> RevisionRow {
    RevisionRow {
        n: r.get(0),
        seen_ms: r.get(1),
        title: r.get(2),
        content: r.get(3),
        hash: r.get(4),
    }
}

fn event_of(r: &Row) -> std::result::Result<EventRow, postgres::Error> {
    Ok(EventRow {
        article: r.try_get(0)?,
        kind: event_kind(r, 1)?,
        at_ms: r.try_get(2)?,
        revision: r.try_get(3)?,
    })
}

const OLDER: &str = "SELECT a.path, r.n, a.published_ms, a.link, r.title, r.content, r.article
    FROM revisions r JOIN articles a ON a.pk = r.article
    WHERE r.n < (SELECT MAX(n) FROM revisions WHERE article = r.article)";

fn older_of(r: &Row) -> OlderRevision {
    OlderRevision {
        path: r.get(0),
        n: r.get(1),
        published_ms: r.get(2),
        link: r.get(3),
        title: r.get(4),
        content: r.get(5),
    }
}

impl History for PgStore {
    fn article(&self, source: &str, id: i64) -> Result<Option<ArticleInfo>> {
        let sql = format!("{INFO} WHERE source = $1 AND id = $2");
        self.with(|c| {
            c.query_opt(&sql, &[&source, &id])?
                .map(|r| info_of(&r))
                .transpose()
        })
    }

    fn article_by_pk(&self, pk: i64) -> Result<Option<ArticleInfo>> {
        let sql = format!("{INFO} WHERE pk = $1");
        self.with(|c| c.query_opt(&sql, &[&pk])?.map(|r| info_of(&r)).transpose())
    }

    fn revisions(&self, article: i64) -> Result<Vec<RevisionRow>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT n, seen_ms, title, content, hash FROM revisions WHERE article = $1
                 ORDER BY n",
                &[&article],
            )?
            .iter()
            .map(revision_of)
            .collect())
        })
    }

    fn latest_revision(&self, article: i64) -> Result<Option<RevisionRow>> {
        self.with(|c| {
            Ok(c.query_opt(
                "SELECT n, seen_ms, title, content, hash FROM revisions WHERE article = $1
                 ORDER BY n DESC LIMIT 1",
                &[&article],
            )?
            .as_ref()
            .map(revision_of))
        })
    }

    fn events_of(&self, article: i64) -> Result<Vec<EventRow>> {
        self.with(|c| {
            c.query(
                "SELECT article, kind, at_ms, revision FROM events WHERE article = $1
                 ORDER BY at_ms, pk",
                &[&article],
            )?
            .iter()
            .map(event_of)
            .collect()
        })
    }

    fn events_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<EventRow>> {
        self.with(|c| {
            c.query(
                "SELECT article, kind, at_ms, revision FROM events
                 WHERE at_ms >= $1 AND at_ms < $2 ORDER BY at_ms DESC, pk DESC",
                &[&from_ms, &to_ms],
            )?
            .iter()
            .map(event_of)
            .collect()
        })
    }

    fn due_rechecks(
        &self,
        since_ms: i64,
        checked_before: Option<i64>,
        now_ms: i64,
    ) -> Result<Vec<CheckTarget>> {
        self.with(|c| {
            c.query(
                "SELECT pk, source, link, page_etag, page_last_modified, status, missing_since_ms
                 FROM articles WHERE first_seen_ms >= $1 AND link LIKE 'http%'
                 AND ($2::bigint IS NULL OR checked_ms IS NULL OR checked_ms < $2
                      OR checked_ms > $3)
                 ORDER BY COALESCE(checked_ms, 0), pk",
                &[&since_ms, &checked_before, &now_ms],
            )?
            .iter()
            .map(target_of)
            .collect()
        })
    }

    fn apply_journal(&mut self, entries: &[JournalEntry]) -> Result<usize> {
        self.in_tx(|tx| {
            let mut applied = 0;
            let mut changed_pks = Vec::new();
            for e in entries {
                let Some(row) = tx.query_opt(
                    "SELECT pk, status, missing_since_ms FROM articles WHERE path = $1",
                    &[&e.path],
                )?
                else {
                    continue;
                };
                let pk: i64 = row.get(0);
                let st = status(&row, 1)?;
                let missing: Option<i64> = row.get(2);
                let changed = match (e.kind, st) {
                    (JournalKind::Edited, _) => {
                        let n = e.revision.unwrap_or(0);
                        let moved = tx.execute(
                            "UPDATE revisions SET seen_ms = $3 WHERE article = $1 AND n = $2",
                            &[&pk, &n, &e.at],
                        )?;
                        if moved == 0 {
                            0
                        } else {
                            let ev = tx.execute(
                                "UPDATE events SET at_ms = $3 WHERE article = $1
                                 AND kind = 'edited' AND revision = $2",
                                &[&pk, &n, &e.at],
                            )?;
                            if ev == 0 {
                                super::articles::edited_event_in(tx, pk, e.at, n)?;
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
                            "UPDATE articles SET status = $2, status_ms = $3,
                             missing_since_ms = CASE WHEN $2 = 'live' THEN NULL
                                 ELSE missing_since_ms END WHERE pk = $1",
                            &[&pk, &to.as_str(), &e.at],
                        )?;
                        changed_pks.push(pk);
                        tx.execute(
                            "INSERT INTO events (article, kind, at_ms) VALUES ($1, $2, $3)",
                            &[&pk, &kind.as_str(), &e.at],
                        )?
                    }
                    (JournalKind::Missing, ArticleStatus::Live) if missing.is_none() => tx
                        .execute(
                            "UPDATE articles SET missing_since_ms = $2 WHERE pk = $1",
                            &[&pk, &e.at],
                        )?,
                    (JournalKind::Found, ArticleStatus::Live) if missing.is_some() => tx.execute(
                        "UPDATE articles SET missing_since_ms = NULL WHERE pk = $1",
                        &[&pk],
                    )?,
                    _ => 0,
                };
                applied += changed.min(1) as usize;
            }
            super::run::tail_in(tx, &changed_pks, &[], &[])?;
            Ok(applied)
        })
    }

    fn backfill_text_keys(&mut self, key: &dyn Fn(&str) -> Option<String>) -> Result<usize> {
        self.in_tx(|tx| {
            let rows = tx.query(
                "SELECT a.pk, r.content FROM articles a JOIN revisions r ON r.article = a.pk
                 AND r.n = (SELECT MAX(n) FROM revisions WHERE article = a.pk)
                 WHERE a.text_key IS NULL AND NOT a.verbatim",
                &[],
            )?;
            let mut n = 0;
            for r in rows {
                let pk: i64 = r.get(0);
                let content: String = r.get(1);
                if let Some(k) = key(&content) {
                    n += tx.execute(
                        "UPDATE articles SET text_key = $2 WHERE pk = $1",
                        &[&pk, &k],
                    )? as usize;
                }
            }
            Ok(n)
        })
    }

    fn scan_older_revisions(&self, f: &mut dyn FnMut(OlderRevision) -> Flow) -> Result<()> {
        let sql =
            format!("{OLDER} AND (r.article, r.n) > ($1, $2) ORDER BY r.article, r.n LIMIT $3");
        let mut after = (0i64, 0i64);
        loop {
            let rows = self.with(|c| c.query(&sql, &[&after.0, &after.1, &BATCH]))?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = (last.get(6), last.get(1));
            for r in &rows {
                if f(older_of(r)).is_break() {
                    return Ok(());
                }
            }
        }
    }

    fn older_revisions_of(&self, pks: &[i64]) -> Result<Vec<OlderRevision>> {
        let sql = format!("{OLDER} AND r.article = ANY($1) ORDER BY r.article, r.n");
        self.with(|c| Ok(c.query(&sql, &[&pks])?.iter().map(older_of).collect()))
    }

    fn pending_sightings(&self) -> Result<Vec<(String, i64)>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT path, missing_since_ms FROM articles
                 WHERE missing_since_ms IS NOT NULL AND status = 'live' ORDER BY pk",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
        })
    }
}

pub(super) fn target_of(r: &Row) -> std::result::Result<CheckTarget, postgres::Error> {
    Ok(CheckTarget {
        pk: r.try_get(0)?,
        source: r.try_get(1)?,
        link: r.try_get(2)?,
        etag: r.try_get(3)?,
        last_modified: r.try_get(4)?,
        status: status(r, 5)?,
        missing_since_ms: r.try_get(6)?,
    })
}
