//! One update run: fetch every feed, archive what is new, rewrite the indexes.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Semaphore;
use url::Url;

use super::{Archive, ArchiveError, canonical_link, comparable_title, io_err};
use crate::config::{Config, Source};
use crate::feed::{self, Item};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::mirror;
use crate::render;
use crate::store::{ArticleRecord, FeedState};

/// Articles with the same title within this window are the same article.
const TITLE_WINDOW_MS: i64 = 30 * 86_400_000;

/// The title of an item whose feed gave none.
const UNTITLED: &str = "(无标题)";

/// Titles longer than this (in characters) are cut, with an ellipsis.
const MAX_TITLE_CHARS: usize = 1000;

fn truncate_chars(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

/// What an update did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct UpdateReport {
    pub sources: Vec<SourceReport>,
    /// Index files (lists, README) rewritten.
    pub indexes_changed: usize,
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

/// The outcome of fetching and parsing one feed.
enum FeedResult {
    Items(Vec<Item>, Validators),
    NotModified,
    Failed(String),
}

/// Runs one update over every source of `config`.
pub async fn update(config: &Config, archive: &mut Archive) -> Result<UpdateReport, ArchiveError> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let started = std::time::Instant::now();
    let results = fetch_all(config, archive).await?;
    tracing::info!(elapsed = ?started.elapsed(), "fetched and parsed every feed");

    let mut report = UpdateReport::default();
    let mut pending: Vec<(ArticleRecord, String)> = Vec::new();
    for (si, source) in config.sources.iter().enumerate() {
        let mut sr = SourceReport {
            slug: source.slug.clone(),
            name: source.name.clone(),
            ..Default::default()
        };
        let mut items = Vec::new();
        for (fi, feed_url) in source.feeds.iter().enumerate() {
            let key = feed_url.as_str();
            let mut state = archive.store.feed_state(key)?;
            match &results[si][fi] {
                FeedResult::Items(found, validators) => {
                    items.extend(found.iter().cloned());
                    state.etag = validators.etag.clone();
                    state.last_modified = validators.last_modified.clone();
                    mark_ok(&mut state, now_ms);
                }
                FeedResult::NotModified => {
                    sr.not_modified += 1;
                    mark_ok(&mut state, now_ms);
                }
                FeedResult::Failed(why) => {
                    sr.failures.push(FeedFailure {
                        feed: key.to_string(),
                        error: why.clone(),
                    });
                    state.failures += 1;
                    state.last_error = Some(why.clone());
                }
            }
            archive.store.save_feed_state(key, &source.slug, &state)?;
        }
        let new = select_new(archive, source, &items, now_ms)?;
        sr.known = items.len() - new.len();
        sr.new = new.len();
        pending.extend(new);
        report.sources.push(sr);
    }

    tracing::info!(elapsed = ?started.elapsed(), new = pending.len(), "selected new articles");
    if !pending.is_empty() {
        // Journal the paths before the first file lands: should the run die before the
        // database records them, the next run removes them and writes them anew.
        let paths: Vec<&str> = pending.iter().map(|(r, _)| r.path.as_str()).collect();
        archive.store.begin_pending(&paths)?;
        write_files(&archive.dir, &pending)?;
        tracing::info!(elapsed = ?started.elapsed(), "wrote new article files");
        let records: Vec<ArticleRecord> = pending.into_iter().map(|(r, _)| r).collect();
        archive.store.insert_articles(&records)?;
        archive.store.clear_pending()?;
        tracing::info!(elapsed = ?started.elapsed(), "wrote and recorded new articles");
    }
    report.indexes_changed = archive.render_indexes(&config.sources)?;
    tracing::info!(elapsed = ?started.elapsed(), "rendered indexes");
    Ok(report)
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
                    for group in groups.iter().skip(t).step_by(threads) {
                        let first = dir.join(&group[0].0.path);
                        if let Some(folder) = first.parent() {
                            std::fs::create_dir_all(folder).map_err(io_err(folder))?;
                        }
                        for (rec, text) in group {
                            let path = dir.join(&rec.path);
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

fn mark_ok(state: &mut FeedState, now_ms: i64) {
    state.failures = 0;
    state.last_error = None;
    state.last_ok_ms = Some(now_ms);
}

/// Fetches and parses every feed, at most `concurrency` at once. Results are indexed
/// `[source][feed]` in config order.
async fn fetch_all(
    config: &Config,
    archive: &Archive,
) -> Result<Vec<Vec<FeedResult>>, ArchiveError> {
    let fetcher = Fetcher::new(&config.fetch).map_err(|e| ArchiveError::Io {
        path: config.path.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let limit = Arc::new(Semaphore::new(config.fetch.concurrency));
    let max_bytes = config.fetch.max_bytes;
    let mut tasks = tokio::task::JoinSet::new();
    for (si, source) in config.sources.iter().enumerate() {
        for (fi, url) in source.feeds.iter().enumerate() {
            let state = archive.store.feed_state(url.as_str())?;
            let validators = Validators {
                etag: state.etag,
                last_modified: state.last_modified,
            };
            let (fetcher, limit, url) = (fetcher.clone(), limit.clone(), url.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (
                    si,
                    fi,
                    fetch_one(&fetcher, &url, &validators, max_bytes).await,
                )
            });
        }
    }
    let mut results: Vec<Vec<Option<FeedResult>>> = config
        .sources
        .iter()
        .map(|s| s.feeds.iter().map(|_| None).collect())
        .collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((si, fi, r)) => results[si][fi] = Some(r),
            Err(e) => {
                return Err(ArchiveError::Io {
                    path: config.path.clone(),
                    source: std::io::Error::other(format!("a fetch task failed: {e}")),
                });
            }
        }
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

async fn fetch_one(fetcher: &Fetcher, url: &Url, validators: &Validators, max: u64) -> FeedResult {
    match fetcher.get(url, validators, max).await {
        Ok(Fetched::NotModified) => FeedResult::NotModified,
        Ok(Fetched::Body(body)) => {
            let parsed = tokio::task::block_in_place(|| {
                feed::parse(&body.bytes, body.content_type.as_deref(), &body.final_url)
            });
            match parsed {
                Ok(f) => FeedResult::Items(f.items, body.validators),
                Err(e) => FeedResult::Failed(e.to_string()),
            }
        }
        Err(e) => FeedResult::Failed(e.to_string()),
    }
}

/// The items of one source that are not archived yet, with ids and file texts, oldest first.
fn select_new(
    archive: &Archive,
    source: &Source,
    items: &[Item],
    now_ms: i64,
) -> Result<Vec<(ArticleRecord, String)>, ArchiveError> {
    let mut seen_guids = HashSet::new();
    let mut seen_canon = HashSet::new();
    let mut seen_titles: Vec<(String, i64)> = Vec::new();
    let mut fresh = Vec::new();
    for item in items {
        let cleaned = mirror::clean_line(&item.title);
        // An empty title matches nothing: two untitled items are not the same article.
        let norm_title = comparable_title(&cleaned);
        let title = if cleaned.is_empty() {
            UNTITLED.to_string()
        } else {
            truncate_chars(cleaned, MAX_TITLE_CHARS)
        };
        let link = match (&item.link, &item.raw_link) {
            (Some(u), _) => mirror::clean_line(u.as_str()),
            (None, Some(raw)) => mirror::clean_line(raw),
            (None, None) => String::new(),
        };
        let canon = item.link.as_ref().map(canonical_link);
        let guid = item
            .guid
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty());
        let published_ms = match item.published.map(|t| t.timestamp_millis()) {
            Some(ms) if ms > now_ms => now_ms,
            Some(ms) if ms >= 0 => ms,
            _ => now_ms,
        };
        let repeat_in_run = guid.is_some_and(|g| seen_guids.contains(g))
            || canon.as_ref().is_some_and(|c| seen_canon.contains(c))
            || (!norm_title.is_empty()
                && seen_titles.iter().any(|(t, ms)| {
                    *t == norm_title && (ms - published_ms).abs() <= TITLE_WINDOW_MS
                }));
        if let Some(g) = guid {
            seen_guids.insert(g.to_string());
        }
        if let Some(c) = &canon {
            seen_canon.insert(c.clone());
        }
        seen_titles.push((norm_title.clone(), published_ms));
        if repeat_in_run {
            continue;
        }
        let repeat = archive.store.find_repeat(
            &source.slug,
            guid,
            canon.as_deref(),
            &norm_title,
            published_ms,
            TITLE_WINDOW_MS,
        )?;
        if repeat.is_some() {
            continue;
        }
        fresh.push(ArticleRecord {
            source: source.slug.clone(),
            id: 0,
            path: String::new(),
            guid: guid.map(str::to_string),
            link,
            canon,
            title,
            norm_title,
            published_ms,
            first_seen_ms: now_ms,
            content: item.content.clone(),
        });
    }
    // Oldest first; the sort is stable, so ties keep feed order.
    fresh.sort_by_key(|r| r.published_ms);
    let mut next = archive
        .store
        .min_id(&source.slug)?
        .unwrap_or(mirror::FIRST_ID + 1)
        - 1;
    let mut out = Vec::with_capacity(fresh.len());
    for mut rec in fresh {
        rec.id = next;
        next -= 1;
        rec.path = format!(
            "articles/{}/{}",
            source.slug,
            mirror::article_file_name(rec.id)
        );
        let text = mirror::article_text(
            rec.published_ms,
            &rec.title,
            &rec.link,
            &mirror::flatten_content(&rec.content),
        );
        out.push((rec, text));
    }
    Ok(out)
}
