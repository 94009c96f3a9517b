//! `recheck`: re-request the pages of recent articles, record removals and restorations, and
//! update the change log and lists. With PostgreSQL the articles are claimed in batches (as
//! workers claim them) and nothing is written to the files: the publisher renders them.

use std::collections::HashMap;
use std::sync::Arc;

use super::commit::Commit;
use super::{Archive, ArchiveError, render_changes};
use crate::config::Config;
use crate::faults;
use crate::fetch::Fetcher;
use crate::history::recheck::check_all;
use crate::polite::Polite;
use crate::store::{CheckTarget, CheckUpdate, EventKind, JournalEntry, JournalKind, blocking};

/// What a recheck did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RecheckReport {
    pub checked: usize,
    /// Pages found gone for the first time (not yet confirmed).
    pub missing: usize,
    pub removed: usize,
    pub restored: usize,
    /// Pages that could not be reached (timeout, reset, 5xx…): nothing concluded for them.
    pub unreachable: usize,
}

impl RecheckReport {
    fn add(&mut self, o: &RecheckReport) {
        self.checked += o.checked;
        self.missing += o.missing;
        self.removed += o.removed;
        self.restored += o.restored;
        self.unreachable += o.unreachable;
    }
}

/// How many pages a worker claims for rechecking at once.
pub(crate) const RECHECK_BATCH: usize = 200;

/// The window of articles rechecked: first seen since, and checked before (`None`: all).
fn window(config: &Config, now_ms: i64, all: bool) -> (i64, Option<i64>) {
    let h = &config.history;
    (
        now_ms - h.recheck_for.as_millis() as i64,
        (!all).then(|| now_ms - h.recheck_every.as_millis() as i64),
    )
}

/// Rechecks the due articles: first seen within `recheck_for`, not checked for
/// `recheck_every` (every one of them with `all`).
pub async fn recheck(
    config: &Config,
    archive: &mut Archive,
    all: bool,
) -> Result<RecheckReport, ArchiveError> {
    let fetcher = Arc::new(Fetcher::new(config.concurrency, config.per_host));
    if archive.cluster {
        let polite = Arc::new(blocking(|| {
            Polite::shared(fetcher, &config.store_location(), config.per_host)
        })?);
        let me = super::worker::worker_name();
        // With `all`: every article not checked since this recheck began.
        let started = blocking(|| archive.store.clock_ms())?;
        let mut report = RecheckReport::default();
        loop {
            let r = claimed_pass(config, archive, &polite, &me, all.then_some(started)).await?;
            report.add(&r);
            if r.checked == 0 {
                return Ok(report);
            }
        }
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (since, before) = window(config, now_ms, all);
    let targets = blocking(|| archive.store.due_rechecks(since, before, now_ms))?;
    let polite = Arc::new(Polite::alone(fetcher));
    let report = check_and_record(config, archive, &polite, targets, now_ms).await?;
    blocking(|| -> Result<(), ArchiveError> {
        if report.removed + report.restored > 0 {
            render_changes(archive, now_ms)?;
            archive.render_indexes(config)?;
            faults::point("recheck::rendered");
        }
        archive.sync_search();
        Ok(())
    })?;
    Ok(report)
}

/// One batch of due rechecks claimed from the database (PostgreSQL), checked and committed.
/// `all_before`: every article not checked since then, rather than the due ones.
pub(crate) async fn claimed_pass(
    config: &Config,
    archive: &mut Archive,
    polite: &Arc<Polite>,
    me: &str,
    all_before: Option<i64>,
) -> Result<RecheckReport, ArchiveError> {
    let lease = config.store.lease.as_millis() as i64;
    let (now_ms, targets) = blocking(|| -> Result<_, ArchiveError> {
        let now_ms = archive.store.clock_ms()?;
        let (since, mut before) = window(config, now_ms, false);
        if all_before.is_some() {
            before = all_before;
        }
        let t = archive
            .store
            .claim_rechecks(me, since, before, RECHECK_BATCH, lease)?;
        Ok((now_ms, t))
    })?;
    check_and_record(config, archive, polite, targets, now_ms).await
}

/// Checks `targets` and commits what was found (with SQLite: the journal in files first).
async fn check_and_record(
    config: &Config,
    archive: &mut Archive,
    polite: &Arc<Polite>,
    targets: Vec<CheckTarget>,
    now_ms: i64,
) -> Result<RecheckReport, ArchiveError> {
    let mut report = RecheckReport {
        checked: targets.len(),
        ..Default::default()
    };
    if targets.is_empty() {
        return Ok(report);
    }
    let settings: HashMap<String, _> = config
        .sources
        .iter()
        .map(|s| (s.slug.clone(), s.fetch.clone()))
        .collect();
    let before_check: HashMap<i64, Option<i64>> =
        targets.iter().map(|t| (t.pk, t.missing_since_ms)).collect();
    let results = check_all(
        polite.clone(),
        targets,
        &settings,
        &config.fetch,
        now_ms,
        config.history.confirm_after,
    )
    .await;
    // A check that ended without a result (a panicked task) counts as unreachable too.
    report.unreachable =
        results.iter().filter(|r| r.unreachable).count() + report.checked - results.len();
    faults::point("recheck::checked");
    blocking(|| -> Result<(), ArchiveError> {
        // Each removal, restoration and first sighting of a missing page goes to the committed
        // journal too, so that a fresh clone (or the publisher) rebuilds it.
        let mut commit = Commit::new(&archive.dir);
        for r in &results {
            let was_missing = before_check.get(&r.pk).copied().flatten();
            let kind = match r.event {
                Some((EventKind::Removed, _)) => {
                    report.removed += 1;
                    Some(JournalKind::Removed)
                }
                Some((EventKind::Restored, _)) => {
                    report.restored += 1;
                    Some(JournalKind::Restored)
                }
                _ if r.missing_since_ms.is_some() && was_missing.is_none() => {
                    report.missing += 1;
                    Some(JournalKind::Missing)
                }
                _ if r.missing_since_ms.is_none() && was_missing.is_some() => {
                    Some(JournalKind::Found)
                }
                _ => None,
            };
            if let Some(kind) = kind
                && let Some(a) = archive.store.article_by_pk(r.pk)?
            {
                commit.journal.push(JournalEntry {
                    at: now_ms,
                    kind,
                    path: a.path,
                    revision: None,
                });
            }
            commit.changes.checks.push(CheckUpdate {
                article: r.pk,
                checked_ms: r.checked_ms,
                etag: r.etag.clone(),
                last_modified: r.last_modified.clone(),
                missing_since_ms: r.missing_since_ms,
                event: r.event,
            });
        }
        commit.finish(archive, super::state_since(config, now_ms))
    })?;
    Ok(report)
}
