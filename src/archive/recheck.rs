//! `recheck`: re-request the pages of recent articles, record removals and restorations, and
//! update the change log and lists.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Archive, ArchiveError, render_changes};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::history::recheck::check_all;

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
    let targets = archive.store.due_rechecks(since, before)?;
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
    let newly_missing: Vec<bool> = targets
        .iter()
        .map(|t| t.missing_since_ms.is_none())
        .collect();
    let missing_before: HashMap<i64, bool> = targets
        .iter()
        .zip(newly_missing)
        .map(|(t, m)| (t.pk, m))
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
    for r in &results {
        match r.event {
            Some(("removed", _)) => report.removed += 1,
            Some(("restored", _)) => report.restored += 1,
            _ if r.missing_since_ms == Some(now_ms) && missing_before.get(&r.pk) == Some(&true) => {
                report.missing += 1
            }
            _ => {}
        }
    }
    archive.store.save_checks(&results)?;
    if report.removed + report.restored > 0 {
        render_changes(archive, now_ms)?;
        archive.render_indexes(config)?;
    }
    archive.sync_search();
    Ok(report)
}
