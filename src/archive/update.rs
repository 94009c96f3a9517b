//! One update run, in named phases that hand plain values on: fetch → select → complete →
//! write → commit → render. The commit protocol (`archive::commit`) orders them so that a run
//! that dies anywhere leaves the next run able to archive everything.

use std::sync::Arc;

use tokio::sync::watch;

use super::commit::Commit;
use super::enrich::{Job, enrich_all, needs_work};
use super::evidence::Evidence;
use super::fetching::{FeedResult, fetch_all};
use super::select::{Edit, SelectError, select_new};
pub(crate) use super::writing::revision_path;
use super::writing::write;
use super::{Archive, ArchiveError};
use crate::config::{Config, Source};
use crate::faults;

use crate::fetch::Fetcher;
use crate::store::{ArticleRecord, FeedState, NewRevision};

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

/// Runs one update over the sources of `config` (all, or those in `opts.only`).
pub async fn update(
    config: &Config,
    archive: &mut Archive,
    opts: &UpdateOptions,
) -> Result<UpdateReport, ArchiveError> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let started = std::time::Instant::now();
    let sources: Vec<&Source> = config
        .sources
        .iter()
        .filter(|s| opts.only.as_ref().is_none_or(|o| o.contains(&s.slug)))
        .collect();
    let fetcher = Arc::new(Fetcher::new(config.concurrency, config.per_host));
    let fetched = fetch_all(config, archive, &sources, opts, fetcher.clone());
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

    let mut plan = select(config, archive, &sources, results, now_ms)?;
    tracing::info!(elapsed = ?started.elapsed(), "selected new articles");
    faults::point("update::selected");

    complete(config, archive, fetcher, &mut plan).await?;
    tracing::info!(elapsed = ?started.elapsed(), "completed full texts and images");
    faults::point("update::completed");

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

    record(archive, config, &mut plan, &mut commit, now_ms)?;
    commit.finish(archive, super::state_since(config, now_ms))?;
    tracing::info!(elapsed = ?started.elapsed(), "committed");

    render(config, archive, &plan.report, now_ms)?;
    tracing::info!(elapsed = ?started.elapsed(), "rendered indexes");
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
}

/// The plan of a run, and its report as it is filled in.
pub(super) struct Plan {
    pub sources: Vec<SourcePlan>,
    pub report: UpdateReport,
}

/// Select: feed states, new articles and edits of every source.
fn select(
    config: &Config,
    archive: &Archive,
    sources: &[&Source],
    results: Vec<Vec<FeedResult>>,
    now_ms: i64,
) -> Result<Plan, ArchiveError> {
    let mut plan = Plan {
        sources: Vec::new(),
        report: UpdateReport::default(),
    };
    for (source, results) in sources.iter().zip(results) {
        let mut sr = SourceReport {
            slug: source.slug.clone(),
            name: source.name.clone(),
            ..Default::default()
        };
        let mut sp = SourcePlan {
            slug: source.slug.clone(),
            folder: source.folder.clone(),
            feeds: Vec::new(),
            new: Vec::new(),
            edits: Vec::new(),
            feed_hashes: Vec::new(),
            revision_hashes: Vec::new(),
            failed: None,
        };
        let mut items = Vec::new();
        let mut truncated = 0;
        for (feed_url, result) in source.feeds.iter().zip(results) {
            let key = feed_url.as_str();
            let mut state = archive.store.feed_state(key)?;
            state.last_attempt_ms = Some(now_ms);
            match &result {
                FeedResult::Items(found, _, _) => {
                    tracing::debug!(source = %source.slug, feed = %key, items = found.len(), "feed read")
                }
                FeedResult::NotModified => {
                    tracing::debug!(source = %source.slug, feed = %key, "feed not modified (304)")
                }
                FeedResult::Failed(why) => {
                    tracing::debug!(source = %source.slug, feed = %key, error = %why, "feed failed")
                }
            }
            match result {
                FeedResult::Items(found, validators, cut) => {
                    items.extend(found);
                    truncated += usize::from(cut);
                    state.etag = validators.etag;
                    state.last_modified = validators.last_modified;
                    mark_ok(&mut state, now_ms, source);
                }
                FeedResult::NotModified => {
                    sr.not_modified += 1;
                    mark_ok(&mut state, now_ms, source);
                }
                FeedResult::Failed(why) => {
                    mark_failed(&mut state, now_ms, source, &why);
                    sr.failures.push(FeedFailure {
                        feed: key.to_string(),
                        error: why,
                    });
                }
            }
            sp.feeds.push((key.to_string(), state));
        }
        match select_new(&archive.store, source, config.layout, &items, now_ms) {
            Ok(selection) => {
                tracing::debug!(
                    source = %source.slug,
                    items = items.len(),
                    known = selection.known,
                    new = selection.new.len(),
                    edited = selection.edits.len(),
                    "selected"
                );
                for r in &selection.new {
                    tracing::debug!(source = %source.slug, path = %r.path, title = %r.title, "new article");
                }
                sr.known = selection.known;
                if selection.empty > 0 {
                    let why = format!(
                        "{} feed item(s) hold no title, link, guid, text or enclosure: kept \
                         as one untitled article",
                        selection.empty
                    );
                    tracing::warn!("source {}: {why}", source.slug);
                    sr.warnings.push(why);
                }
                if selection.cut_off > 0 {
                    let why = format!(
                        "a feed ended inside an item (a truncated download?): {} item(s) left \
                         for a later run, which reads the feed without validators",
                        selection.cut_off
                    );
                    tracing::warn!("source {}: {why}", source.slug);
                    sr.warnings.push(why);
                    forget_validators(&mut sp.feeds);
                } else if truncated > 0 {
                    let why = format!(
                        "{truncated} feed(s) ended before the end of the document (a truncated \
                         download?): the items after the cut are read by a later run, which \
                         reads the feed without validators"
                    );
                    tracing::warn!("source {}: {why}", source.slug);
                    sr.warnings.push(why);
                    forget_validators(&mut sp.feeds);
                }
                sr.new = selection.new.len();
                sr.edited = selection.edits.len();
                sp.new = selection.new;
                sp.edits = selection.edits;
                sp.feed_hashes = selection.feed_hashes;
                sp.revision_hashes = selection.revision_hashes;
            }
            Err(SelectError::Store(e)) => return Err(e.into()),
            Err(e @ SelectError::IdsExhausted { .. }) => {
                let why = e.to_string();
                tracing::error!("{why}");
                sp.failed = Some(why.clone());
                sr.failures.push(FeedFailure {
                    feed: source.slug.clone(),
                    error: why,
                });
            }
        }
        plan.sources.push(sp);
        plan.report.sources.push(sr);
    }
    Ok(plan)
}

/// Complete: full text and images for the new articles and edits. An edit that needed page
/// text and did not get it is dropped (retried on a later run); one whose completed text is
/// the article's newest is no edit.
async fn complete(
    config: &Config,
    archive: &Archive,
    fetcher: Arc<Fetcher>,
    plan: &mut Plan,
) -> Result<(), ArchiveError> {
    let source_of = |slug: &str| config.sources.iter().find(|s| s.slug == slug);
    // (source index, Ok(new index) | Err(edit index))
    let mut slots: Vec<(usize, Result<usize, usize>)> = Vec::new();
    let mut jobs = Vec::new();
    for (si, sp) in plan.sources.iter().enumerate() {
        let Some(source) = source_of(&sp.slug) else {
            continue;
        };
        for (i, rec) in sp.new.iter().enumerate() {
            if needs_work(source, &rec.content) {
                slots.push((si, Ok(i)));
                jobs.push(Job {
                    source: source.clone(),
                    link: rec.link.clone(),
                    content: rec.content.clone(),
                    path: rec.path.clone(),
                    force_page: false,
                });
            }
        }
        for (i, e) in sp.edits.iter().enumerate() {
            if (e.needs_page || needs_work(source, &e.content))
                && let Some(a) = archive.store.article_by_pk(e.pk)?
            {
                slots.push((si, Err(i)));
                jobs.push(Job {
                    source: source.clone(),
                    link: a.link,
                    content: e.content.clone(),
                    path: a.path,
                    force_page: e.needs_page,
                });
            }
        }
    }
    if !jobs.is_empty() {
        let done = enrich_all(fetcher, &archive.dir, jobs).await;
        for ((si, slot), d) in slots.into_iter().zip(done) {
            for w in &d.warnings {
                tracing::warn!("{w}");
            }
            let sp = &mut plan.sources[si];
            let sr = &mut plan.report.sources[si];
            sr.full_text += usize::from(d.from_page && slot.is_ok());
            sr.warnings.extend(d.warnings);
            match slot {
                Ok(i) => {
                    let rec = &mut sp.new[i];
                    rec.content = crate::feed::enclosures::carry_block(&rec.content, d.content);
                    rec.from_page = d.from_page;
                    rec.hash = Some(crate::text::content_hash(&rec.title, &rec.content));
                }
                Err(i) => {
                    let e = &mut sp.edits[i];
                    let degraded = d.from_page && degraded(archive, e.pk, &d.content)?;
                    if degraded {
                        let why = format!(
                            "{}: the page's text is much shorter than the archived full text \
                             (an error or paywall page?); kept the archived text, the page is \
                             tried again on a later run",
                            e.title
                        );
                        tracing::warn!("{why}");
                        sr.warnings.push(why);
                    }
                    if degraded || (e.needs_page && !d.from_page) {
                        e.hash.clear(); // dropped below: the page will be tried again
                        // ... by the next run: it must see the item again, not a 304.
                        forget_validators(&mut sp.feeds);
                    } else {
                        e.content = crate::feed::enclosures::carry_block(&e.content, d.content);
                        e.needs_page = d.from_page;
                        e.hash = crate::text::content_hash(&e.title, &e.content);
                    }
                }
            }
        }
    }
    // Edits whose text did not change after all record only the feed item's hash.
    for (sp, sr) in plan.sources.iter_mut().zip(&mut plan.report.sources) {
        let mut kept = Vec::new();
        for e in sp.edits.drain(..) {
            if e.hash.is_empty() {
                sr.edited -= 1;
            } else if e.hash == e.old_hash {
                sr.edited -= 1;
                sr.known += 1;
                sp.feed_hashes.push((e.pk, e.feed_hash));
            } else {
                kept.push(e);
            }
        }
        sp.edits = kept;
    }
    Ok(())
}

/// Keeps no validators for a source's feeds: the next run fetches them in full and sees
/// every item again (one was left for it: torn, or its page not fetched).
fn forget_validators(feeds: &mut [(String, FeedState)]) {
    for (_, state) in feeds {
        state.etag = None;
        state.last_modified = None;
    }
}

/// Whether page text `content` would degrade article `pk`: its readable text is under
/// `DEGRADED_SHARE` of the archived newest revision's.
fn degraded(archive: &Archive, pk: i64, content: &str) -> Result<bool, ArchiveError> {
    use super::enrich::{DEGRADED_SHARE, text_chars};
    let Some(latest) = archive.store.latest_revision(pk)? else {
        return Ok(false);
    };
    let old = text_chars(&latest.content);
    Ok((text_chars(content) as f64) < DEGRADED_SHARE * old as f64)
}

/// Record: what the run learned, for the one database transaction. Feed validators and
/// health are saved only for sources whose items were all archived.
fn record(
    archive: &Archive,
    config: &Config,
    plan: &mut Plan,
    commit: &mut Commit,
    now_ms: i64,
) -> Result<(), ArchiveError> {
    let ch = &mut commit.changes;
    for sp in &mut plan.sources {
        for (url, mut state) in std::mem::take(&mut sp.feeds) {
            if let Some(why) = &sp.failed {
                let source = config.sources.iter().find(|s| s.slug == sp.slug);
                let mut old = archive.store.feed_state(&url)?;
                if let Some(source) = source {
                    mark_failed(&mut old, now_ms, source, why);
                }
                // No validators: the next fetch is unconditional and sees every item again.
                old.etag = None;
                old.last_modified = None;
                state = old;
            }
            ch.feeds.push((url, sp.slug.clone(), state));
        }
        ch.articles.append(&mut sp.new.clone());
        // Identity evidence for a database rebuilt from the files (`archive::evidence`).
        // (New articles' evidence was written ahead of their files.)
        let ev = &mut commit.evidence;
        for (pk, hash) in &sp.feed_hashes {
            if let Some(a) = archive.store.article_by_pk(*pk)? {
                ev.push(Evidence::seen(&a.path, hash, None, now_ms));
            }
        }
        for e in &sp.edits {
            if let Some(a) = archive.store.article_by_pk(e.pk)? {
                ev.push(Evidence::seen(
                    &a.path,
                    &e.feed_hash,
                    Some(e.needs_page),
                    now_ms,
                ));
            }
        }
        ch.feed_hashes.append(&mut sp.feed_hashes);
        ch.revision_hashes.append(&mut sp.revision_hashes);
        for e in &sp.edits {
            ch.revisions.push(NewRevision {
                article: e.pk,
                n: e.n,
                title: e.title.clone(),
                norm_title: e.norm_title.clone(),
                content: e.content.clone(),
                hash: e.hash.clone(),
                seen_ms: now_ms,
                from_page: e.needs_page,
                text_key: crate::text::text_key(&e.content),
            });
            ch.feed_hashes.push((e.pk, e.feed_hash.clone()));
        }
        if !sp.new.is_empty() || !sp.edits.is_empty() {
            use super::reconcile::{folder_signature, signature_key, signature_years};
            let folder = archive.dir.join("articles").join(&sp.folder);
            let key = signature_key(&sp.folder);
            let prefix = format!("articles/{}/", sp.folder);
            let mut years = signature_years(archive.store.meta(&key)?.as_deref());
            years.extend(sp.new.iter().filter_map(|r| {
                let rest = r.path.strip_prefix(&prefix)?;
                rest.split_once('/').map(|(y, _)| y.to_string())
            }));
            ch.meta.push((key, folder_signature(&folder, years)));
        }
    }
    plan.report.edited = plan.sources.iter().map(|s| s.edits.len()).sum();
    Ok(())
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

fn mark_ok(state: &mut FeedState, now_ms: i64, source: &Source) {
    state.failures = 0;
    state.last_error = None;
    state.last_ok_ms = Some(now_ms);
    state.next_at_ms = Some(now_ms + source.interval.as_millis() as i64);
}

fn mark_failed(state: &mut FeedState, now_ms: i64, source: &Source, why: &str) {
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
