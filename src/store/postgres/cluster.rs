//! Claims, politeness across workers, the publisher's lock, and copying archives
//! (PostgreSQL). Every time here is the server's clock.
//!
//! Claims are rows updated under `FOR UPDATE SKIP LOCKED` (a worker never waits for another's
//! row) with a lease: a worker that dies holds its sources until the lease runs out. Host slots
//! and the publisher's lock are session advisory locks: they end with the connection, so a dead
//! worker's or publisher's are freed at once. Lock keys include the schema, so that archives
//! in several schemas of one database do not share them.

use postgres::Row;

use super::articles::{BATCH, insert_enclosures_in};
use super::history::target_of;
use super::reader::clamp;
use super::{NOW_MS, PgStore, Tx, event_kind, status};
use crate::store::{
    CheckTarget, Claim, Cluster, Dump, DumpArticle, DumpRecord, FeedRow, Feeds, Flow, JournalEntry,
    JournalKind, Result, RevisionRow,
};

fn journal_of(r: &Row, at: usize) -> JournalEntry {
    let kind: String = r.get(at + 1);
    JournalEntry {
        at: r.get(at),
        kind: JournalKind::parse(&kind).unwrap_or(JournalKind::Edited),
        path: r.get(at + 2),
        revision: r.get(at + 3),
    }
}

impl Cluster for PgStore {
    fn clock_ms(&self) -> Result<i64> {
        let sql = format!("SELECT {NOW_MS}");
        self.with(|c| Ok(c.query_one(&sql, &[])?.get(0)))
    }

    fn source_version(&self, slug: &str) -> Result<i64> {
        self.with(|c| {
            Ok(
                c.query_opt("SELECT version FROM sources WHERE slug = $1", &[&slug])?
                    .map_or(0, |r| r.get(0)),
            )
        })
    }

    fn claim_sources(
        &mut self,
        worker: &str,
        slugs: &[String],
        due_only: bool,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<Claim>> {
        let limit = clamp(limit);
        let sql = format!(
            "WITH now AS (SELECT {NOW_MS} AS ms),
             c AS (
                SELECT s.slug FROM sources s, now
                WHERE s.slug = ANY($1) AND (s.lease_until_ms IS NULL OR s.lease_until_ms < now.ms)
                AND (NOT $2 OR COALESCE((SELECT MIN(COALESCE(f.next_at_ms, 0)) FROM feeds f
                     WHERE f.source = s.slug), 0) <= now.ms)
                ORDER BY COALESCE((SELECT MIN(COALESCE(f.next_at_ms, 0)) FROM feeds f
                     WHERE f.source = s.slug), 0), s.slug
                LIMIT $3 FOR UPDATE OF s SKIP LOCKED)
             UPDATE sources SET worker = $4, lease_until_ms = (SELECT ms FROM now) + $5
             FROM c WHERE sources.slug = c.slug RETURNING sources.slug, sources.version"
        );
        self.with(|c| {
            c.execute(
                "INSERT INTO sources (slug) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                &[&slugs],
            )?;
            let mut claims: Vec<Claim> = c
                .query(&sql, &[&slugs, &due_only, &limit, &worker, &lease_ms])?
                .iter()
                .map(|r| Claim {
                    slug: r.get(0),
                    version: r.get(1),
                })
                .collect();
            claims.sort_by(|a, b| a.slug.cmp(&b.slug));
            Ok(claims)
        })
    }

    fn renew_claims(&mut self, worker: &str, lease_ms: i64) -> Result<usize> {
        let sql = format!(
            "UPDATE sources SET lease_until_ms = {NOW_MS} + $2
             WHERE worker = $1 AND lease_until_ms >= {NOW_MS}"
        );
        self.with(|c| Ok(c.execute(&sql, &[&worker, &lease_ms])? as usize))
    }

    fn release_claims(&mut self, worker: &str, slugs: &[String]) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE sources SET worker = NULL, lease_until_ms = NULL
                 WHERE slug = ANY($1) AND worker = $2",
                &[&slugs, &worker],
            )
            .map(|_| ())
        })
    }

    fn claim_rechecks(
        &mut self,
        worker: &str,
        since_ms: i64,
        checked_before: Option<i64>,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<CheckTarget>> {
        let limit = clamp(limit);
        let sql = format!(
            "WITH now AS (SELECT {NOW_MS} AS ms),
             c AS (
                SELECT a.pk FROM articles a, now
                WHERE a.first_seen_ms >= $1 AND a.link LIKE 'http%'
                AND ($2::bigint IS NULL OR a.checked_ms IS NULL OR a.checked_ms < $2
                     OR a.checked_ms > now.ms)
                AND (a.check_lease_ms IS NULL OR a.check_lease_ms < now.ms)
                ORDER BY COALESCE(a.checked_ms, 0), a.pk
                LIMIT $3 FOR UPDATE OF a SKIP LOCKED)
             UPDATE articles SET check_worker = $4, check_lease_ms = (SELECT ms FROM now) + $5
             FROM c WHERE articles.pk = c.pk
             RETURNING articles.pk, articles.source, articles.link, articles.page_etag,
                 articles.page_last_modified, articles.status, articles.missing_since_ms,
                 articles.checked_ms"
        );
        self.with(|c| {
            let rows = c.query(
                &sql,
                &[&since_ms, &checked_before, &limit, &worker, &lease_ms],
            )?;
            let mut out: Vec<(i64, CheckTarget)> = rows
                .iter()
                .map(|r| Ok((r.get::<_, Option<i64>>(7).unwrap_or(0), target_of(r)?)))
                .collect::<std::result::Result<_, postgres::Error>>()?;
            out.sort_by_key(|(checked, t)| (*checked, t.pk));
            Ok(out.into_iter().map(|(_, t)| t).collect())
        })
    }

    fn try_host_slot(&mut self, host: &str, per_host: usize) -> Result<Option<i32>> {
        let n = per_host.clamp(1, 1 << 20) as i32;
        self.with(|c| {
            // Session locks are re-entrant: a slot this connection already holds (another
            // request of the same process) is skipped, not taken twice.
            Ok(c.query_opt(
                "WITH k AS (SELECT hashtext(current_schema() || ':host:' || $1) AS key)
                 SELECT s FROM k, generate_series(0, $2 - 1) s
                 WHERE CASE WHEN EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'
                        AND l.pid = pg_backend_pid() AND l.classid = k.key::oid
                        AND l.objid = s::oid AND l.objsubid = 2)
                   THEN false ELSE pg_try_advisory_lock(k.key, s) END
                 LIMIT 1",
                &[&host, &n],
            )?
            .map(|r| r.get(0)))
        })
    }

    fn release_host_slot(&mut self, host: &str, slot: i32) -> Result<()> {
        self.with(|c| {
            c.execute(
                "SELECT pg_advisory_unlock(hashtext(current_schema() || ':host:' || $1), $2)",
                &[&host, &slot],
            )
            .map(|_| ())
        })
    }

    fn reserve_host_start(&mut self, host: &str, delay_ms: i64) -> Result<i64> {
        let sql = format!(
            "WITH now AS (SELECT {NOW_MS} AS ms)
             INSERT INTO hosts (host, next_ms) SELECT $1, ms + $2 FROM now
             ON CONFLICT (host) DO UPDATE
                SET next_ms = GREATEST(hosts.next_ms, (SELECT ms FROM now)) + $2
             RETURNING next_ms - $2 - (SELECT ms FROM now)"
        );
        self.with(|c| {
            let wait: i64 = c.query_one(&sql, &[&host, &delay_ms])?.get(0);
            Ok(wait.max(0))
        })
    }

    fn try_lock_publisher(&self) -> Result<bool> {
        self.with(|c| {
            Ok(c.query_one(
                "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':publisher', 0))",
                &[],
            )?
            .get(0))
        })
    }

    fn journal_since(&self, after: i64) -> Result<Vec<(i64, JournalEntry)>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT seq, at_ms, kind, path, revision FROM journal WHERE seq > $1 ORDER BY seq",
                &[&after],
            )?
            .iter()
            .map(|r| (r.get(0), journal_of(r, 1)))
            .collect())
        })
    }

    fn journal_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<JournalEntry>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT at_ms, kind, path, revision FROM journal WHERE at_ms >= $1 AND at_ms < $2
                 ORDER BY seq",
                &[&from_ms, &to_ms],
            )?
            .iter()
            .map(|r| journal_of(r, 0))
            .collect())
        })
    }

    fn assets_since(&self, after: i64, limit: usize) -> Result<Vec<(i64, String, Vec<u8>)>> {
        let limit = clamp(limit);
        self.with(|c| {
            Ok(c.query(
                "SELECT seq, name, bytes FROM assets WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &limit],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
        })
    }

    fn dump(&self, f: &mut dyn FnMut(Dump) -> Flow) -> Result<()> {
        let mut after = 0i64;
        loop {
            let batch = self.with(|c| dump_articles(c, after))?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            for (_, a) in batch {
                if f(Dump::Article(Box::new(a))).is_break() {
                    return Ok(());
                }
            }
        }
        let mut rest: Vec<Dump> = self.feed_rows()?.into_iter().map(Dump::Feed).collect();
        rest.extend(self.with(|c| {
            let mut v: Vec<Dump> = c
                .query(
                    "SELECT source, path, id, line FROM list_extras ORDER BY source, path",
                    &[],
                )?
                .iter()
                .map(|r| Dump::ListExtra(r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect();
            v.extend(
                c.query("SELECT key, value FROM meta ORDER BY key", &[])?
                    .iter()
                    .map(|r| Dump::Meta(r.get(0), r.get(1))),
            );
            Ok(v)
        })?);
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
        self.in_tx(|tx| {
            let mut changed = Vec::new();
            let mut journal = Vec::new();
            let mut assets = Vec::new();
            for d in batch {
                match d {
                    Dump::Article(a) => changed.push(load_article_in(tx, a)?),
                    Dump::Feed(FeedRow { url, source, state }) => {
                        super::feeds::save_feed_states_in(
                            tx,
                            &[(url.clone(), source.clone(), state.clone())],
                        )?;
                    }
                    Dump::ListExtra(source, path, id, line) => {
                        tx.execute(
                            "INSERT INTO list_extras (source, path, id, line)
                             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            &[source, path, id, line],
                        )?;
                    }
                    Dump::Meta(k, v) => {
                        tx.execute(
                            "INSERT INTO meta (key, value) VALUES ($1, $2)
                             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            &[k, v],
                        )?;
                    }
                    Dump::Journal(e) => journal.push(e.clone()),
                    Dump::Asset(name, bytes) => assets.push((name.clone(), bytes.clone())),
                }
            }
            super::run::tail_in(tx, &changed, &journal, &assets)?;
            Ok(())
        })
    }
}

/// A batch of articles after primary key `after`, with everything they have.
fn dump_articles(
    c: &mut super::Conn,
    after: i64,
) -> std::result::Result<Vec<(i64, DumpArticle)>, postgres::Error> {
    let arts = c.query(
        "SELECT pk, source, id, path, guid, link, canon, title, norm_title, published_ms,
         first_seen_ms, verbatim, text_key, enclosure, feed_hash, status, status_ms,
         checked_ms, missing_since_ms, page_etag, page_last_modified
         FROM articles WHERE pk > $1 ORDER BY pk LIMIT $2",
        &[&after, &BATCH],
    )?;
    let pks: Vec<i64> = arts.iter().map(|r| r.get(0)).collect();
    let mut revs: std::collections::HashMap<i64, Vec<(RevisionRow, bool)>> = Default::default();
    for r in c.query(
        "SELECT article, n, seen_ms, title, content, hash, from_page FROM revisions
         WHERE article = ANY($1) ORDER BY article, n",
        &[&pks],
    )? {
        revs.entry(r.get(0)).or_default().push((
            RevisionRow {
                n: r.get(1),
                seen_ms: r.get(2),
                title: r.get(3),
                content: r.get(4),
                hash: r.get(5),
            },
            r.get(6),
        ));
    }
    let mut evs: std::collections::HashMap<i64, Vec<_>> = Default::default();
    for r in c.query(
        "SELECT article, kind, at_ms, revision FROM events WHERE article = ANY($1)
         ORDER BY article, pk",
        &[&pks],
    )? {
        evs.entry(r.get(0))
            .or_default()
            .push((event_kind(&r, 1)?, r.get(2), r.get(3)));
    }
    let mut encs = super::articles::enclosures_of(c, &pks)?;
    arts.iter()
        .map(|r| {
            let pk: i64 = r.get(0);
            Ok((
                pk,
                DumpArticle {
                    record: DumpRecord {
                        source: r.get(1),
                        id: r.get(2),
                        path: r.get(3),
                        guid: r.get(4),
                        link: r.get(5),
                        canon: r.get(6),
                        title: r.get(7),
                        norm_title: r.get(8),
                        published_ms: r.get(9),
                        first_seen_ms: r.get(10),
                        verbatim: r.get(11),
                        text_key: r.get(12),
                        enclosure: r.get(13),
                        feed_hash: r.get(14),
                        enclosures: encs.remove(&pk).unwrap_or_default(),
                    },
                    revisions: revs.remove(&pk).unwrap_or_default(),
                    events: evs.remove(&pk).unwrap_or_default(),
                    status: status(r, 15)?,
                    status_ms: r.get(16),
                    checked_ms: r.get(17),
                    missing_since_ms: r.get(18),
                    page_etag: r.get(19),
                    page_last_modified: r.get(20),
                },
            ))
        })
        .collect()
}

/// Inserts a copied article with all it had. Returns its new primary key.
fn load_article_in(tx: &mut Tx<'_>, a: &DumpArticle) -> std::result::Result<i64, postgres::Error> {
    let r = &a.record;
    let pk: i64 = tx
        .query_one(
            "INSERT INTO articles (source, id, path, guid, link, canon, title, norm_title,
             published_ms, first_seen_ms, verbatim, text_key, enclosure, feed_hash, status,
             status_ms, checked_ms, missing_since_ms, page_etag, page_last_modified)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20) RETURNING pk",
            &[
                &r.source,
                &r.id,
                &r.path,
                &r.guid,
                &r.link,
                &r.canon,
                &r.title,
                &r.norm_title,
                &r.published_ms,
                &r.first_seen_ms,
                &r.verbatim,
                &r.text_key,
                &r.enclosure,
                &r.feed_hash,
                &a.status.as_str(),
                &a.status_ms,
                &a.checked_ms,
                &a.missing_since_ms,
                &a.page_etag,
                &a.page_last_modified,
            ],
        )?
        .get(0);
    for (v, from_page) in &a.revisions {
        super::articles::insert_revision_in(
            tx, pk, v.n, v.seen_ms, &v.title, &v.content, &v.hash, *from_page,
        )?;
    }
    for (kind, at, n) in &a.events {
        tx.execute(
            "INSERT INTO events (article, kind, at_ms, revision) VALUES ($1, $2, $3, $4)",
            &[&pk, &kind.as_str(), at, n],
        )?;
    }
    insert_enclosures_in(tx, pk, &r.enclosures)?;
    Ok(pk)
}
