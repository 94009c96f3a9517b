//! The middle phases of an update: select (which items are new, which are edits, the ids new
//! ones get) and complete (full text and images).

use std::path::Path;
use std::sync::Arc;

use super::enrich::{Job, enrich_all, needs_work};
use super::fetching::FeedResult;
use super::select::{SelectError, select_new};
use super::update::{
    FeedFailure, Plan, SourcePlan, SourceReport, UpdateReport, mark_failed, mark_ok,
};
use super::{Archive, ArchiveError};
use crate::config::{Config, Source};
use crate::polite::Polite;
use crate::store::{FeedState, blocking};

/// Select: feed states, new articles and edits of every source.
pub(super) fn select(
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
            // Read before the items are compared with the archive: a commit made since then by
            // another writer shows as a newer version, and this source's commit is refused.
            version: archive.store.source_version(&source.slug)?,
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
pub(super) async fn complete(
    config: &Config,
    archive: &Archive,
    fetcher: Arc<Polite>,
    plan: &mut Plan,
    assets_dir: &Path,
) -> Result<(), ArchiveError> {
    let (slots, jobs) = blocking(|| jobs(config, archive, plan))?;
    if !jobs.is_empty() {
        let done = enrich_all(fetcher, assets_dir, jobs).await;

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
                    let degraded = d.from_page && blocking(|| degraded(archive, e.pk, &d.content))?;
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

/// Which item slot each job fills: (source index, Ok(new index) | Err(edit index)).
type Slots = Vec<(usize, Result<usize, usize>)>;

/// The completing jobs of a plan: new articles and edits whose content needs work.
fn jobs(
    config: &Config,
    archive: &Archive,
    plan: &Plan,
) -> Result<(Slots, Vec<Job>), ArchiveError> {
    let source_of = |slug: &str| config.sources.iter().find(|s| s.slug == slug);
    let mut slots: Slots = Vec::new();
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
    Ok((slots, jobs))
}
