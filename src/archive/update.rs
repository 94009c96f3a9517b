//! One update run: fetch the feeds, archive what is new, rewrite the indexes.

use std::sync::Arc;

use tokio::sync::watch;
use url::Url;

use super::enrich::{Job, enrich_all, needs_work};
use super::select::{Edit, select_new};
use super::{Archive, ArchiveError, io_err};
use crate::config::{Config, Source};
use crate::feed::{self, Item};
use crate::fetch::{Fetched, Fetcher, Kind, Validators};
use crate::render;
use crate::store::{ArticleRecord, FeedState};

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

/// The outcome of fetching and parsing one feed.
enum FeedResult {
    Items(Vec<Item>, Validators),
    NotModified,
    Failed(String),
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

    let mut report = UpdateReport::default();
    let mut pending: Vec<(ArticleRecord, String)> = Vec::new();
    let mut states = Vec::new();
    let mut edits = Vec::new();
    let mut enclosures = Vec::new();
    for (source, results) in sources.iter().zip(results) {
        let mut sr = SourceReport {
            slug: source.slug.clone(),
            name: source.name.clone(),
            ..Default::default()
        };
        let mut items = Vec::new();
        for (feed_url, result) in source.feeds.iter().zip(results) {
            let key = feed_url.as_str();
            let mut state = archive.store.feed_state(key)?;
            state.last_attempt_ms = Some(now_ms);
            match &result {
                FeedResult::Items(found, _) => {
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
                FeedResult::Items(found, validators) => {
                    items.extend(found);
                    state.etag = validators.etag;
                    state.last_modified = validators.last_modified;
                    mark_ok(&mut state, now_ms, source);
                }
                FeedResult::NotModified => {
                    sr.not_modified += 1;
                    mark_ok(&mut state, now_ms, source);
                }
                FeedResult::Failed(why) => {
                    state.failures += 1;
                    state.last_error = Some(why.clone());
                    state.next_at_ms = Some(
                        now_ms + backoff_ms(state.failures, source.interval.as_millis() as i64),
                    );
                    sr.failures.push(FeedFailure {
                        feed: key.to_string(),
                        error: why,
                    });
                }
            }
            states.push((key.to_string(), source.slug.clone(), state));
        }
        let selection = select_new(archive, source, config.layout, &items, now_ms)?;
        tracing::debug!(
            source = %source.slug,
            items = items.len(),
            known = selection.known,
            new = selection.new.len(),
            edited = selection.edits.len(),
            "selected"
        );
        for (r, _) in &selection.new {
            tracing::debug!(source = %source.slug, path = %r.path, title = %r.title, "new article");
        }
        sr.known = selection.known;
        sr.new = selection.new.len();
        sr.edited = selection.edits.len();
        pending.extend(selection.new);
        edits.extend(selection.edits);
        enclosures.extend(selection.enclosures);
        report.sources.push(sr);
    }

    archive.store.save_feed_states(&states)?;
    tracing::info!(elapsed = ?started.elapsed(), new = pending.len(), "selected new articles");
    complete(
        config,
        archive,
        fetcher,
        &mut pending,
        &mut edits,
        &mut report,
    )
    .await?;
    tracing::info!(elapsed = ?started.elapsed(), "completed full texts and images");
    if !pending.is_empty() {
        // Journal the paths before the first file lands: should the run die before the
        // database records them, the next run removes them and writes them anew.
        let paths: Vec<&str> = pending.iter().map(|(r, _)| r.path.as_str()).collect();
        archive.store.begin_pending(&paths)?;
        write_files(&archive.dir, &pending)?;
        tracing::info!(elapsed = ?started.elapsed(), "wrote new article files");
        let records: Vec<ArticleRecord> = pending.into_iter().map(|(r, _)| r).collect();
        archive.store.insert_articles(&records)?;
        archive.store.insert_enclosures(&enclosures)?;
        archive.store.clear_pending()?;
        tracing::info!(elapsed = ?started.elapsed(), "recorded new articles");
    }
    report.edited = apply_edits(archive, &edits, now_ms)?;
    if report.edited > 0 {
        super::render_changes(archive, now_ms)?;
    }
    if config.layout == crate::config::Layout::Flat && report.new_articles() > 0 {
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
    }
    report.indexes_changed = archive.render_indexes(config)?;
    let changed: Vec<String> = report
        .sources
        .iter()
        .filter(|s| s.new + s.edited > 0)
        .map(|s| s.slug.clone())
        .collect();
    report.indexes_changed += archive.render_feeds(config, Some(&changed))?;
    let indexed = archive.sync_search();
    tracing::info!(indexed, "search index");
    tracing::info!(elapsed = ?started.elapsed(), "rendered indexes");
    Ok(report)
}

/// Full text and images for the new articles and edits, then their file texts.
async fn complete(
    config: &Config,
    archive: &Archive,
    fetcher: Arc<Fetcher>,
    pending: &mut [(ArticleRecord, String)],
    edits: &mut [Edit],
    report: &mut UpdateReport,
) -> Result<(), ArchiveError> {
    let source_of = |slug: &str| config.sources.iter().find(|s| s.slug == slug);
    // (index into pending, or into edits past pending's length; the job)
    let mut jobs = Vec::new();
    let mut slots = Vec::new();
    for (i, (rec, _)) in pending.iter().enumerate() {
        if let Some(source) = source_of(&rec.source)
            && needs_work(source, &rec.content)
        {
            slots.push(i);
            jobs.push(Job {
                source: source.clone(),
                link: rec.link.clone(),
                content: rec.content.clone(),
                path: rec.path.clone(),
            });
        }
    }
    let n_new = pending.len();
    for (i, e) in edits.iter().enumerate() {
        if let Some(a) = archive.store.article_by_pk(e.pk)?
            && let Some(source) = source_of(&a.source)
            && needs_work(source, &e.content)
        {
            slots.push(n_new + i);
            jobs.push(Job {
                source: source.clone(),
                link: a.link,
                content: e.content.clone(),
                path: a.path,
            });
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }
    let done = enrich_all(fetcher, &archive.dir, jobs).await;
    for (i, d) in slots.into_iter().zip(done) {
        for w in &d.warnings {
            tracing::warn!("{w}");
        }
        let slug = if i < n_new {
            let (rec, text) = &mut pending[i];
            rec.content = crate::feed::enclosures::carry_block(&rec.content, d.content);
            *text = crate::mirror::article_text(
                rec.published_ms,
                &rec.title,
                &rec.link,
                &crate::mirror::flatten_content(&rec.content),
            );
            rec.source.clone()
        } else {
            let e = &mut edits[i - n_new];
            e.content = crate::feed::enclosures::carry_block(&e.content, d.content);
            String::new()
        };
        if let Some(sr) = report.sources.iter_mut().find(|s| s.slug == slug) {
            sr.full_text += usize::from(d.from_page);
            sr.warnings.extend(d.warnings);
        }
    }
    Ok(())
}

/// Records each edit as a new revision and rewrites the article's file with it (file first:
/// a crash in between is repaired by the next run, which sees the edit again).
fn apply_edits(archive: &mut Archive, edits: &[Edit], now_ms: i64) -> Result<usize, ArchiveError> {
    let mut n = 0;
    for e in edits {
        let Some(a) = archive.store.article_by_pk(e.pk)? else {
            continue;
        };
        // The same text as the newest revision (a summary that changed while the page did
        // not, or a revision rebuilt from the file): only its hash is brought up to date.
        if let Some(latest) = archive.store.latest_revision(e.pk)?
            && latest.title == e.title
            && crate::mirror::flatten_content(&latest.content)
                == crate::mirror::flatten_content(&e.content)
        {
            archive.store.set_revision_hash(e.pk, latest.n, &e.hash)?;
            continue;
        }
        n += 1;
        let text = crate::mirror::article_text(
            a.published_ms,
            &e.title,
            &a.link,
            &crate::mirror::flatten_content(&e.content),
        );
        let path = archive.dir.join(&a.path);
        render::write_if_changed(&path, text.as_bytes()).map_err(io_err(&path))?;
        archive
            .store
            .add_revision(e.pk, &e.title, &e.norm_title, &e.content, &e.hash, now_ms)?;
    }
    Ok(n)
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

/// Writes new article files, several folders at once: creating a file is the slow part on
/// many file systems, and one folder's creations are serialised by the file system anyway.
fn write_files(
    dir: &std::path::Path,
    pending: &[(ArticleRecord, String)],
) -> Result<(), ArchiveError> {
    let mut by_folder: std::collections::BTreeMap<&str, Vec<&(ArticleRecord, String)>> =
        Default::default();
    for p in pending {
        by_folder.entry(p.0.source.as_str()).or_default().push(p);
    }
    let groups: Vec<_> = by_folder.into_values().collect();
    let threads = groups.len().clamp(1, 4);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let groups = &groups;
                scope.spawn(move || -> Result<(), ArchiveError> {
                    let mut made = std::collections::HashSet::new();
                    for group in groups.iter().skip(t).step_by(threads) {
                        for (rec, text) in group {
                            let path = dir.join(&rec.path);
                            if let Some(folder) = path.parent()
                                && made.insert(folder.to_path_buf())
                            {
                                std::fs::create_dir_all(folder).map_err(io_err(folder))?;
                            }
                            render::write_new(&path, text.as_bytes()).map_err(io_err(&path))?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("a file-writing thread panicked"))
    })
}

/// Fetches and parses the feeds of `sources`, within the configured limits. Results are
/// indexed `[source][feed]` in the order given.
async fn fetch_all(
    config: &Config,
    archive: &Archive,
    sources: &[&Source],
    opts: &UpdateOptions,
    fetcher: Arc<Fetcher>,
) -> Result<Vec<Vec<FeedResult>>, ArchiveError> {
    let mut tasks = tokio::task::JoinSet::new();
    for (si, source) in sources.iter().enumerate() {
        for (fi, url) in source.feeds.iter().enumerate() {
            let state = archive.store.feed_state(url.as_str())?;
            let validators = Validators {
                etag: state.etag,
                last_modified: state.last_modified,
            };
            let fetcher = fetcher.clone();
            let url = url.clone();
            let settings = source.fetch.clone();
            let read = crate::feed::Options {
                timezone: source.timezone,
            };
            let slug = source.slug.clone();
            let progress = opts.progress.clone();
            tasks.spawn(async move {
                let result = fetch_one(&fetcher, &url, &validators, &settings, read).await;
                if let Some(p) = progress {
                    p(&FeedDone {
                        source: slug,
                        feed: url.to_string(),
                        error: match &result {
                            FeedResult::Failed(e) => Some(e.clone()),
                            _ => None,
                        },
                    });
                }
                (si, fi, result)
            });
        }
    }
    let mut results: Vec<Vec<Option<FeedResult>>> = sources
        .iter()
        .map(|s| s.feeds.iter().map(|_| None).collect())
        .collect();
    while let Some(joined) = tasks.join_next().await {
        let (si, fi, r) = joined.map_err(|e| ArchiveError::Io {
            path: config.path.clone(),
            source: std::io::Error::other(format!("a fetch task failed: {e}")),
        })?;
        results[si][fi] = Some(r);
    }
    Ok(results
        .into_iter()
        .map(|v| {
            v.into_iter()
                .map(|r| r.expect("every feed has a result"))
                .collect()
        })
        .collect())
}

async fn fetch_one(
    fetcher: &Fetcher,
    url: &Url,
    validators: &Validators,
    settings: &crate::config::FetchSettings,
    opts: feed::Options,
) -> FeedResult {
    match fetcher.get(url, validators, settings, Kind::Feed).await {
        Ok(Fetched::NotModified) => FeedResult::NotModified,
        Ok(Fetched::Body(body)) => {
            let parsed = tokio::task::spawn_blocking(move || {
                feed::parse_with(
                    &body.bytes,
                    body.content_type.as_deref(),
                    &body.final_url,
                    opts,
                )
                .map(|f| (f, body.validators))
            })
            .await;
            match parsed {
                Ok(Ok((f, validators))) => FeedResult::Items(f.items, validators),
                Ok(Err(e)) => FeedResult::Failed(e.to_string()),
                Err(e) => FeedResult::Failed(format!("the parser failed: {e}")),
            }
        }
        Err(e) => FeedResult::Failed(e.to_string()),
    }
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
