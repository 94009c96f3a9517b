//! Claims, the publisher's follow-up data and copying archives (SQLite). One process writes an
//! SQLite archive at a time (the archive's lock), so claims are plain updates inside an
//! immediate transaction, and politeness is the fetcher's own business: host slots are always
//! free and the publisher's lock always taken.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::{
    CheckTarget, Claim, Cluster, Dump, DumpArticle, DumpRecord, EnclosureRow, FeedRow, Flow,
    JournalEntry, JournalKind, Result, RevisionRow,
};

impl Cluster for SqliteStore {
    fn clock_ms(&self) -> Result<i64> {
        Ok(chrono::Utc::now().timestamp_millis())
    }

    fn source_version(&self, slug: &str) -> Result<i64> {
        self.conn
            .query_row("SELECT version FROM sources WHERE slug = ?1", [slug], |r| {
                r.get(0)
            })
            .optional()
            .map(|v| v.unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    fn claim_sources(
        &mut self,
        worker: &str,
        slugs: &[String],
        due_only: bool,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<Claim>> {
        let now = self.clock_ms()?;
        let err = self.errs();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        let mut free = Vec::new();
        {
            let mut add = tx
                .prepare_cached("INSERT OR IGNORE INTO sources (slug) VALUES (?1)")
                .map_err(&err)?;
            let mut get = tx
                .prepare_cached(
                    "SELECT version, lease_until_ms,
                     (SELECT MIN(COALESCE(next_at_ms, 0)) FROM feeds f WHERE f.source = s.slug)
                     FROM sources s WHERE slug = ?1",
                )
                .map_err(&err)?;
            for slug in slugs {
                add.execute([slug]).map_err(&err)?;
                let (version, lease, due): (i64, Option<i64>, Option<i64>) = get
                    .query_row([slug], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(&err)?;
                let due = due.unwrap_or(0);
                if lease.is_none_or(|l| l < now) && (!due_only || due <= now) {
                    free.push((due, slug.clone(), version));
                }
            }
        }
        free.sort();
        free.truncate(limit);
        {
            let mut st = tx
                .prepare_cached(
                    "UPDATE sources SET worker = ?2, lease_until_ms = ?3 WHERE slug = ?1",
                )
                .map_err(&err)?;
            for (_, slug, _) in &free {
                st.execute(params![slug, worker, now + lease_ms])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(free
            .into_iter()
            .map(|(_, slug, version)| Claim { slug, version })
            .collect())
    }

    fn renew_claims(&mut self, worker: &str, lease_ms: i64) -> Result<usize> {
        let now = self.clock_ms()?;
        self.conn
            .execute(
                "UPDATE sources SET lease_until_ms = ?2 WHERE worker = ?1 AND lease_until_ms >= ?3",
                params![worker, now + lease_ms, now],
            )
            .map_err(|e| self.err(e))
    }

    fn release_claims(&mut self, worker: &str, slugs: &[String]) -> Result<()> {
        let err = self.errs();
        let tx = self.conn.transaction().map_err(&err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "UPDATE sources SET worker = NULL, lease_until_ms = NULL
                     WHERE slug = ?1 AND worker = ?2",
                )
                .map_err(&err)?;
            for s in slugs {
                st.execute(params![s, worker]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    fn claim_rechecks(
        &mut self,
        worker: &str,
        since_ms: i64,
        checked_before: Option<i64>,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<CheckTarget>> {
        let now = self.clock_ms()?;
        let err = self.errs();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        let targets: Vec<CheckTarget> = {
            let mut st = tx
                .prepare_cached(
                    "SELECT pk, source, link, page_etag, page_last_modified, status,
                     missing_since_ms FROM articles
                     WHERE first_seen_ms >= ?1 AND link LIKE 'http%'
                     AND (?2 IS NULL OR checked_ms IS NULL OR checked_ms < ?2 OR checked_ms > ?3)
                     AND (check_lease_ms IS NULL OR check_lease_ms < ?3)
                     ORDER BY COALESCE(checked_ms, 0), pk LIMIT ?4",
                )
                .map_err(&err)?;
            st.query_map(params![since_ms, checked_before, now, limit as i64], |r| {
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
            .map_err(&err)?
        };
        {
            let mut st = tx
                .prepare_cached(
                    "UPDATE articles SET check_worker = ?2, check_lease_ms = ?3 WHERE pk = ?1",
                )
                .map_err(&err)?;
            for t in &targets {
                st.execute(params![t.pk, worker, now + lease_ms])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(targets)
    }

    fn try_host_slot(&mut self, _host: &str, _per_host: usize) -> Result<Option<i32>> {
        Ok(Some(0))
    }

    fn release_host_slot(&mut self, _host: &str, _slot: i32) -> Result<()> {
        Ok(())
    }

    fn reserve_host_start(&mut self, _host: &str, _delay_ms: i64) -> Result<i64> {
        Ok(0)
    }

    fn try_lock_publisher(&self) -> Result<bool> {
        Ok(true)
    }

    fn journal_since(&self, after: i64) -> Result<Vec<(i64, JournalEntry)>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT seq, at_ms, kind, path, revision FROM journal WHERE seq > ?1 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([after], |r| Ok((r.get(0)?, journal_of(r, 1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    fn journal_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<JournalEntry>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT at_ms, kind, path, revision FROM journal WHERE at_ms >= ?1 AND at_ms < ?2
                 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([from_ms, to_ms], |r| journal_of(r, 0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    fn assets_since(&self, after: i64, limit: usize) -> Result<Vec<(i64, String, Vec<u8>)>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT seq, name, bytes FROM assets WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![after, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    fn dump(&self, f: &mut dyn FnMut(Dump) -> Flow) -> Result<()> {
        let err = self.errs();
        let mut arts = self
            .conn
            .prepare(
                "SELECT pk, source, id, path, guid, link, canon, title, norm_title, published_ms,
                 first_seen_ms, verbatim, text_key, enclosure, feed_hash, status, status_ms,
                 checked_ms, missing_since_ms, page_etag, page_last_modified
                 FROM articles ORDER BY pk",
            )
            .map_err(&err)?;
        let mut revs = self
            .conn
            .prepare(
                "SELECT n, seen_ms, title, content, hash, from_page FROM revisions
                 WHERE article = ?1 ORDER BY n",
            )
            .map_err(&err)?;
        let mut evs = self
            .conn
            .prepare("SELECT kind, at_ms, revision FROM events WHERE article = ?1 ORDER BY pk")
            .map_err(&err)?;
        let mut encs = self
            .conn
            .prepare(
                "SELECT url, mime_type, length, title, description, kind FROM enclosures
                 WHERE article = ?1 ORDER BY n",
            )
            .map_err(&err)?;
        let mut rows = arts.query([]).map_err(&err)?;
        while let Some(r) = rows.next().map_err(&err)? {
            let pk: i64 = r.get(0).map_err(&err)?;
            let revisions = revs
                .query_map([pk], |r| {
                    Ok((
                        RevisionRow {
                            n: r.get(0)?,
                            seen_ms: r.get(1)?,
                            title: r.get(2)?,
                            content: r.get(3)?,
                            hash: r.get(4)?,
                        },
                        r.get(5)?,
                    ))
                })
                .and_then(Iterator::collect)
                .map_err(&err)?;
            let events = evs
                .query_map([pk], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .and_then(Iterator::collect)
                .map_err(&err)?;
            let enclosures = encs
                .query_map([pk], |r| {
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
                .map_err(&err)?;
            let a = (|| -> rusqlite::Result<DumpArticle> {
                Ok(DumpArticle {
                    record: DumpRecord {
                        source: r.get(1)?,
                        id: r.get(2)?,
                        path: r.get(3)?,
                        guid: r.get(4)?,
                        link: r.get(5)?,
                        canon: r.get(6)?,
                        title: r.get(7)?,
                        norm_title: r.get(8)?,
                        published_ms: r.get(9)?,
                        first_seen_ms: r.get(10)?,
                        verbatim: r.get(11)?,
                        text_key: r.get(12)?,
                        enclosure: r.get(13)?,
                        feed_hash: r.get(14)?,
                        enclosures,
                    },
                    revisions,
                    events,
                    status: r.get(15)?,
                    status_ms: r.get(16)?,
                    checked_ms: r.get(17)?,
                    missing_since_ms: r.get(18)?,
                    page_etag: r.get(19)?,
                    page_last_modified: r.get(20)?,
                })
            })()
            .map_err(&err)?;
            if f(Dump::Article(Box::new(a))).is_break() {
                return Ok(());
            }
        }
        let mut rest = Vec::new();
        for row in crate::store::Feeds::feed_rows(self)? {
            rest.push(Dump::Feed(row));
        }
        let mut st = self
            .conn
            .prepare("SELECT source, path, id, line FROM list_extras ORDER BY source, path")
            .map_err(&err)?;
        let extras: Vec<Dump> = st
            .query_map([], |r| {
                Ok(Dump::ListExtra(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(Iterator::collect)
            .map_err(&err)?;
        rest.extend(extras);
        let mut st = self
            .conn
            .prepare("SELECT key, value FROM meta ORDER BY key")
            .map_err(&err)?;
        let meta: Vec<Dump> = st
            .query_map([], |r| Ok(Dump::Meta(r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(&err)?;
        rest.extend(meta);
        rest.extend(
            self.journal_since(0)?
                .into_iter()
                .map(|(_, e)| Dump::Journal(e)),
        );
        for d in rest {
            if f(d).is_break() {
                return Ok(());
            }
        }
        let mut after = 0;
        loop {
            let batch = self.assets_since(after, 100)?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            for (_, name, bytes) in batch {
                if f(Dump::Asset(name, bytes)).is_break() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn load_dump(&mut self, batch: &[Dump]) -> Result<()> {
        let err = self.errs();
        let tx = self.conn.transaction().map_err(&err)?;
        for d in batch {
            match d {
                Dump::Article(a) => load_article_in(&tx, a).map_err(&err)?,
                Dump::Feed(FeedRow { url, source, state }) => {
                    super::feeds::save_feed_states_in(
                        &tx,
                        &[(url.clone(), source.clone(), state.clone())],
                    )
                    .map_err(&err)?;
                }
                Dump::ListExtra(source, path, id, line) => {
                    tx.execute(
                        "INSERT OR IGNORE INTO list_extras (source, path, id, line)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![source, path, id, line],
                    )
                    .map_err(&err)?;
                }
                Dump::Meta(k, v) => {
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        params![k, v],
                    )
                    .map_err(&err)?;
                }
                Dump::Journal(e) => {
                    super::run::journal_in(&tx, std::slice::from_ref(e)).map_err(&err)?
                }
                Dump::Asset(name, bytes) => {
                    super::run::assets_in(&tx, &[(name.clone(), bytes.clone())]).map_err(&err)?
                }
            }
        }
        tx.commit().map_err(&err)
    }
}

fn journal_of(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<JournalEntry> {
    let kind: String = r.get(at + 1)?;
    Ok(JournalEntry {
        at: r.get(at)?,
        kind: JournalKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                at + 1,
                rusqlite::types::Type::Text,
                format!("unknown journal kind {kind:?}").into(),
            )
        })?,
        path: r.get(at + 2)?,
        revision: r.get(at + 3)?,
    })
}

fn load_article_in(tx: &rusqlite::Transaction<'_>, a: &DumpArticle) -> rusqlite::Result<()> {
    let r = &a.record;
    tx.execute(
        "INSERT INTO articles (source, id, path, guid, link, canon, title, norm_title,
         published_ms, first_seen_ms, verbatim, text_key, enclosure, feed_hash, status, status_ms,
         checked_ms, missing_since_ms, page_etag, page_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
         ?19, ?20)",
        params![
            r.source,
            r.id,
            r.path,
            r.guid,
            r.link,
            r.canon,
            r.title,
            r.norm_title,
            r.published_ms,
            r.first_seen_ms,
            r.verbatim,
            r.text_key,
            r.enclosure,
            r.feed_hash,
            a.status.as_str(),
            a.status_ms,
            a.checked_ms,
            a.missing_since_ms,
            a.page_etag,
            a.page_last_modified
        ],
    )?;
    let pk = tx.last_insert_rowid();
    let mut rev = tx.prepare_cached(
        "INSERT INTO revisions (article, n, seen_ms, title, content, hash, from_page)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (v, from_page) in &a.revisions {
        rev.execute(params![
            pk, v.n, v.seen_ms, v.title, v.content, v.hash, from_page
        ])?;
    }
    let mut ev = tx.prepare_cached(
        "INSERT INTO events (article, kind, at_ms, revision) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (kind, at, n) in &a.events {
        ev.execute(params![pk, kind.as_str(), at, n])?;
    }
    super::articles::insert_enclosures_in(tx, pk, &r.enclosures)?;
    Ok(())
}
