//! The fetch phase of an update: every feed at once, within the configured limits, parsed.

use std::sync::Arc;

use url::Url;

use super::update::{FeedDone, UpdateOptions};
use super::{Archive, ArchiveError};
use crate::config::{Config, Source};
use crate::feed::{self, Item};
use crate::fetch::{Fetched, Kind, Validators};
use crate::polite::Polite;

/// The outcome of fetching and parsing one feed.
pub(super) enum FeedResult {
    /// The items, the validators, and whether the document was cut off (`Feed::truncated`).
    Items(Vec<Item>, Validators, bool),
    NotModified,
    Failed(String),
}

/// The validators the database holds for each feed of `sources`, `[source][feed]`.
pub(super) fn validators(
    archive: &Archive,
    sources: &[&Source],
) -> Result<Vec<Vec<Validators>>, ArchiveError> {
    let mut out = Vec::with_capacity(sources.len());
    for source in sources {
        let mut v = Vec::with_capacity(source.feeds.len());
        for url in &source.feeds {
            let state = archive.store.feed_state(url.as_str())?;
            v.push(Validators {
                etag: state.etag,
                last_modified: state.last_modified,
            });
        }
        out.push(v);
    }
    Ok(out)
}

/// Fetches and parses the feeds of `sources` (with their `validators`), within the
/// configured limits. Results are indexed `[source][feed]` in the order given.
pub(super) async fn fetch_all(
    config: &Config,
    validators: Vec<Vec<Validators>>,
    sources: &[&Source],
    opts: &UpdateOptions,
    fetcher: Arc<Polite>,
) -> Result<Vec<Vec<FeedResult>>, ArchiveError> {
    let mut tasks = tokio::task::JoinSet::new();
    for ((si, source), validators) in sources.iter().enumerate().zip(validators) {
        for ((fi, url), validators) in source.feeds.iter().enumerate().zip(validators) {
            let fetcher = fetcher.clone();
            let url = url.clone();
            let settings = source.fetch.clone();
            let read = feed::Options {
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
    fetcher: &Polite,
    url: &Url,
    validators: &Validators,
    settings: &crate::config::FetchSettings,
    read: feed::Options,
) -> FeedResult {
    match fetcher.get(url, validators, settings, Kind::Feed).await {
        Ok(Fetched::NotModified) => FeedResult::NotModified,
        Ok(Fetched::Body(body)) => {
            let parsed = tokio::task::spawn_blocking(move || {
                feed::parse_with(
                    &body.bytes,
                    body.content_type.as_deref(),
                    &body.final_url,
                    read,
                )
                .map(|f| (f, body.validators, body.complete))
            })
            .await;
            match parsed {
                Ok(Ok((mut f, validators, complete))) => {
                    if f.truncated && complete {
                        // The server sent all it meant to: the document itself is broken at
                        // its end, and every fetch will read it so. Its items are read as they
                        // stand (as feedparser does); skipping the last would lose it for good.
                        tracing::warn!(
                            feed = %url,
                            "the feed's document ends before its last element closes, \
                             though the server sent it whole; its items are read as they stand"
                        );
                        f.truncated = false;
                        for item in &mut f.items {
                            item.cut_off = false;
                        }
                    }
                    FeedResult::Items(f.items, validators, f.truncated)
                }
                Ok(Err(e)) => FeedResult::Failed(e.to_string()),
                Err(e) => FeedResult::Failed(format!("the parser failed: {e}")),
            }
        }
        Err(e) => FeedResult::Failed(e.to_string()),
    }
}
