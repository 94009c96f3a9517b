//! One update run, in named phases that hand plain values on: fetch → select → complete →
//! write → commit → render. The commit protocol (`archive::commit`) orders them so that a run
//! that dies anywhere leaves the next run able to archive everything.

use std::sync::Arc;

use tokio::sync::watch;

use super::commit::Commit;
use super::evidence::Evidence;
use super::fetching::{fetch_all, validators};
use super::phases::{complete, select};
use super::record::{Staging, commit_each, record_all};
use super::select::Edit;
pub(crate) use super::writing::revision_path;
use super::writing::write;
use super::{Archive, ArchiveError};
use crate::config::{Config, Source};
use crate::faults;
use crate::fetch::Fetcher;
use crate::polite::Polite;
use crate::store::{ArticleRecord, FeedState, blocking};

/// Past this many files in one folder, git hosts' web views slow down or give up.
const FOLDER_WARN: i64 = 3000;

/// The longest a failing feed waits before it is tried again.
pub const MAX_BACKOFF_MS: i64 = 6 * 3_600_000;
/// The first wait after a failure; it doubles with each further failure.
const FIRST_BACKOFF_MS: i64 = 5 * 60_000;

/// What an update did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct UpdateReport {
    pub sources: Vec<SourceReport>,
    /// Index files (lists, README) rewritten.
    pub indexes_changed: usize,
    /// The run was stopped by a signal before it archived anything.
    pub interrupted: bool,
    /// Articles whose new revision was recorded (edits).
    pub edited: usize,
    /// Articles found removed.
    pub removed: usize,
}

impl UpdateReport {
    /// Whether every source succeeded.
    pub fn ok(&self) -> bool {
        self.sources.iter().all(|s| s.failures.is_empty())
    }

    pub fn new_articles(&self) -> usize {
        self.sources.iter().map(|s| s.new).sum()
    }
}

/// What an update did for one source.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SourceReport {
    pub slug: String,
    pub name: String,
    /// Articles archived in this run.
    pub new: usize,
    /// Feed items that were already archived (or repeated within the run).
    pub known: usize,
    /// Archived articles that came back edited (a new revision recorded).
    pub edited: usize,
    /// New articles whose text came from their page (full text).
    pub full_text: usize,
    /// Things that went wrong without failing the source (a page that could not be
    /// extracted, an image that could not be downloaded).
    pub warnings: Vec<String>,
    /// Feeds that answered 304 Not Modified.
    pub not_modified: usize,
    pub failures: Vec<FeedFailure>,
}

/// A feed that could not be fetched or read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedFailure {
    pub feed: String,
    pub error: String,
}

/// One feed done, for progress display.
#[derive(Debug, Clone)]
pub struct FeedDone {
    pub source: String,
    pub feed: String,
    pub error: Option<String>,
}

/// Called as each feed finishes.
pub type ProgressFn = Arc<dyn Fn(&FeedDone) + Send + Sync>;

/// How to run an update.
#[derive(Default, Clone)]
pub struct UpdateOptions {
    /// Only these sources (by slug); all when `None`.
    pub only: Option<Vec<String>>,
    /// Called as each feed finishes.
    pub progress: Option<ProgressFn>,
    /// Becomes true when the run should stop: fetching is abandoned, nothing half-written.
    pub shutdown: Option<watch::Receiver<bool>>,
}

/// Runs one update over the sources of `config` (all, or those in `opts.only`). With
/// PostgreSQL, the sources are claimed first (those a worker holds are left to it) and nothing
/// is written to the files: the publisher renders them.
pub async fn update(
    config: &Config,
    archive: &mut Archive,
    opts: &UpdateOptions,
) -> Result<UpdateReport, ArchiveError> {
    let sources: Vec<&Source> = config
        .sources
        .iter()
        .filter(|s| opts.only.as_ref().is_none_or(|o| o.contains(&s.slug)))
        .collect();
    let fetcher = Arc::new(Fetcher::new(config.concurrency, config.per_host));
    if archive.cluster {
        return super::worker::update_claimed(config, archive, &sources, opts, fetcher).await;
    }
    pass(
        config,
        archive,
        &sources,
        opts,
        Arc::new(Polite::alone(fetcher)),
    )
    .await
}

/// One pass over `sources`, in named phases that hand plain values on: fetch → select →
/// complete → (files: write → commit → render) or (database the truth: commit each source).
pub(crate) async fn pass(
    config: &Config,
    archive: &mut Archive,
    sources: &[&Source],
    opts: &UpdateOptions,
    fetcher: Arc<Polite>,
) -> Result<UpdateReport, ArchiveError> {
    let started = std::time::Instant::now();
    // The database's clock: one clock for every worker.
    let (now_ms, validators) = blocking(|| -> Result<_, ArchiveError> {
        Ok((archive.store.clock_ms()?, validators(archive, sources)?))
    })?;
    let fetched = fetch_all(config, validators, sources, opts, fetcher.clone());
    let results = match opts.shutdown.clone() {
        None => fetched.await?,
        Some(mut stop) => tokio::select! {
            r = fetched => r?,
            _ = stop.wait_for(|s| *s) => {
                return Ok(UpdateReport { interrupted: true, ..Default::default() });
            }
        },
    };
    tracing::info!(elapsed = ?started.elapsed(), "fetched and parsed feeds");
    faults::point("update::fetched");

    let mut plan = blocking(|| select(config, archive, sources, results, now_ms))?;
    tracing::info!(elapsed = ?started.elapsed(), "selected new articles");
    faults::point("update::selected");

    // Images downloaded for the database (it is the truth) wait in a folder of their own.
    let staging = archive.cluster.then(Staging::new).transpose()?;
    let assets_dir = staging
        .as_ref()
        .map_or(archive.dir.clone(), |s| s.dir.clone());
    complete(config, archive, fetcher, &mut plan, &assets_dir).await?;
    tracing::info!(elapsed = ?started.elapsed(), "completed full texts and images");
    faults::point("update::completed");

    if let Some(staging) = staging {
        blocking(|| commit_each(archive, config, &mut plan, now_ms, &staging))?;
        tracing::info!(elapsed = ?started.elapsed(), "committed");
        return Ok(plan.report);
    }
    blocking(|| -> Result<(), ArchiveError> {
        let mut commit = Commit::new(&archive.dir);
        let ahead: Vec<Evidence> = plan
            .sources
            .iter()
            .flat_map(|sp| sp.new.iter().map(|r| Evidence::archived(r, now_ms)))
            .collect();
        commit.write_ahead(&ahead)?;
        faults::point("update::evidence_written");
        write(archive, &mut plan, &mut commit, now_ms)?;
        tracing::info!(elapsed = ?started.elapsed(), "wrote article files");
        faults::point("update::files_written");
        record_all(archive, config, &mut plan, &mut commit, now_ms)?;
        commit.finish(archive, super::state_since(config, now_ms))?;
        tracing::info!(elapsed = ?started.elapsed(), "committed");
        render(config, archive, &plan.report, now_ms)?;
        tracing::info!(elapsed = ?started.elapsed(), "rendered indexes");
        Ok(())
    })?;
    Ok(plan.report)
}

/// What a run is to do for one source.
pub(super) struct SourcePlan {
    pub slug: String,
    pub folder: String,
    /// The state of each feed after this fetch (saved only if the source's items commit).
    pub feeds: Vec<(String, FeedState)>,
    pub new: Vec<ArticleRecord>,
    pub edits: Vec<Edit>,
    pub feed_hashes: Vec<(i64, String)>,
    pub revision_hashes: Vec<(i64, i64, String)>,
    /// Why the source's items could not all be archived (then no validator is saved).
    pub failed: Option<String>,
    /// The source's version its items were selected against (read before them).
    pub version: i64,
}

/// The plan of a run, and its report as it is filled in.
pub(super) struct Plan {
    pub sources: Vec<SourcePlan>,
    pub report: UpdateReport,
}

/// Render: lists, README, the month's change log, feeds out, the search index.
fn render(
    config: &Config,
    archive: &mut Archive,
    report: &UpdateReport,
    now_ms: i64,
) -> Result<(), ArchiveError> {
    if report.edited > 0 {
        super::render_changes(archive, now_ms)?;
    }
    if config.layout == crate::config::Layout::Flat && report.new_articles() > 0 {
        warn_big_folders(archive, report)?;
    }
    let mut changed = archive.render_indexes(config)?;
    faults::point("update::indexes_rendered");
    let touched: Vec<String> = report
        .sources
        .iter()
        .filter(|s| s.new + s.edited > 0)
        .map(|s| s.slug.clone())
        .collect();
    changed += archive.render_feeds(config, Some(&touched))?;
    let _ = changed;
    let indexed = archive.sync_search();
    tracing::info!(indexed, "search index");
    Ok(())
}

fn warn_big_folders(archive: &Archive, report: &UpdateReport) -> Result<(), ArchiveError> {
    let counts = archive.store.counts()?;
    for s in report.sources.iter().filter(|s| s.new > 0) {
        let n = counts
            .iter()
            .find(|c| c.source == s.slug)
            .map_or(0, |c| c.articles);
        if n > FOLDER_WARN && n - (s.new as i64) <= FOLDER_WARN {
            tracing::warn!(
                "source {} now holds {n} files in one folder; git hosts slow down past about \
                 {FOLDER_WARN} files a folder (layout = \"yearly\" keeps new archives small)",
                s.slug
            );
        }
    }
    Ok(())
}

/// The wait after `failures` consecutive failures: 5 min (or the source's interval, when
/// shorter), doubling, at most 6 h. A failing source is never given up.
pub fn backoff_ms(failures: i64, interval_ms: i64) -> i64 {
    let doublings = (failures.max(1) - 1).min(16) as u32;
    (FIRST_BACKOFF_MS.min(interval_ms.max(1000)) << doublings).min(MAX_BACKOFF_MS)
}

pub(super) fn mark_ok(state: &mut FeedState, now_ms: i64, source: &Source) {
    state.failures = 0;
    state.last_error = None;
    state.last_ok_ms = Some(now_ms);
    state.next_at_ms = Some(now_ms + source.interval.as_millis() as i64);
}

pub(super) fn mark_failed(state: &mut FeedState, now_ms: i64, source: &Source, why: &str) {
    state.failures += 1;
    state.last_error = Some(why.to_string());
    state.next_at_ms =
        Some(now_ms + backoff_ms(state.failures, source.interval.as_millis() as i64));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let hour = 3_600_000;
        assert_eq!(backoff_ms(1, hour), 5 * 60_000);
        assert_eq!(backoff_ms(2, hour), 10 * 60_000);
        assert_eq!(backoff_ms(7, hour), 320 * 60_000);
        assert_eq!(backoff_ms(8, hour), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(1000, hour), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(1, 2000), 2000);
    }
}
