//! `recheck`: re-request the pages of recent articles, record removals and restorations, and
//! update the change log and lists.

use std::collections::HashMap;
use std::sync::Arc;

use super::commit::Commit;
use super::{Archive, ArchiveError, render_changes};
use crate::config::Config;
use crate::faults;
use crate::fetch::Fetcher;
use crate::history::recheck::check_all;
use crate::store::{ArticleStatus, CheckUpdate, EventKind, JournalEntry, JournalKind};

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

/// Rechecks the due articles: first seen within `recheck_for`, not checked for
/// `recheck_every` (every one of them with `all`).
pub async fn recheck(
    config: &Config,
    archive: &mut Archive,
    all: bool,
) -> Result<RecheckReport, ArchiveError> {
    let h = &config.history;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let since = now_ms - h.recheck_for.as_millis() as i64;
    let before = (!all).then(|| now_ms - h.recheck_every.as_millis() as i64);
    let targets = archive.store.due_rechecks(since, before, now_ms)?;
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
    let fetcher = Arc::new(Fetcher::new(config.concurrency, config.per_host));
    let before_check: HashMap<i64, (String, Option<i64>)> = targets
        .iter()
        .map(|t| (t.pk, (String::new(), t.missing_since_ms)))
        .collect();
    let results = check_all(
        fetcher,
        targets,
        &settings,
        &config.fetch,
        now_ms,
        h.confirm_after,
    )
    .await;
    // A check that ended without a result (a panicked task) counts as unreachable too.
    report.unreachable =
        results.iter().filter(|r| r.unreachable).count() + report.checked - results.len();
    faults::point("recheck::checked");
    // Each removal, restoration and first sighting of a missing page goes to the committed
    // journal too, so that a fresh clone rebuilds it.
    let mut commit = Commit::new(&archive.dir);
    for r in &results {
        let was_missing = before_check.get(&r.pk).and_then(|b| b.1);
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
            _ if r.missing_since_ms.is_none() && was_missing.is_some() => Some(JournalKind::Found),
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
    commit.finish(archive, super::state_since(config, now_ms))?;
    if report.removed + report.restored > 0 {
        render_changes(archive, now_ms)?;
        archive.render_indexes(config)?;
        faults::point("recheck::rendered");
    }
    archive.sync_search();
    let _ = ArticleStatus::Live;
    Ok(report)
}
