//! Which feed items are new, and the files they become.

use std::collections::HashSet;

use super::{Archive, ArchiveError, canonical_link, comparable_title};
use crate::config::{Layout, Source};
use crate::feed::Item;
use crate::history::content_hash;
use crate::mirror;
use crate::store::{ArticleEnclosures, ArticleRecord, EnclosureRow};

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

/// The items of one source that are not archived yet, with ids and file texts, oldest first.
/// An archived article that came back with another title or content.
#[derive(Debug, Clone)]
pub(super) struct Edit {
    pub pk: i64,
    pub title: String,
    pub norm_title: String,
    pub content: String,
    pub hash: String,
}

/// What a source's feed items mean for the archive.
#[derive(Debug, Default)]
pub(super) struct Selection {
    /// New articles with their file texts, oldest first, ids assigned.
    pub new: Vec<(ArticleRecord, String)>,
    /// Articles whose new revision is to be recorded.
    pub edits: Vec<Edit>,
    /// Items that were already archived as they are.
    pub known: usize,
    /// The enclosures of the new articles that have any.
    pub enclosures: Vec<ArticleEnclosures>,
}

/// An item's enclosures as the store keeps them.
fn enclosure_rows(item: &Item) -> Vec<EnclosureRow> {
    item.enclosures
        .iter()
        .map(|e| EnclosureRow {
            url: e.url.clone(),
            mime_type: e.mime_type.clone(),
            length: e.length.and_then(|n| i64::try_from(n).ok()),
            title: e.title.clone(),
            description: e.description.clone(),
            kind: e.kind.as_str().to_string(),
        })
        .collect()
}

pub(super) fn select_new(
    archive: &Archive,
    source: &Source,
    layout: Layout,
    items: &[Item],
    now_ms: i64,
) -> Result<Selection, ArchiveError> {
    let mut selection = Selection::default();
    let mut edited = HashSet::new();
    let min_id = archive.store.min_id(&source.slug)?;
    let has_articles = min_id.is_some();
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
            selection.known += 1;
            continue;
        }
        // A source with nothing archived yet has nothing to repeat.
        let repeat = if !has_articles {
            None
        } else {
            archive.store.find_repeat(
                &source.slug,
                guid,
                canon.as_deref(),
                &norm_title,
                published_ms,
                TITLE_WINDOW_MS,
            )?
        };
        let hash = content_hash(&title, &item.content);
        // Enclosures the content does not point at are appended as links (the hash stays
        // that of the feed's text, so a rotating enclosure URL is no edit).
        let content = crate::feed::enclosures::with_block(&item.content, &item.enclosures);
        if let Some(r) = repeat {
            // The same article (by guid or link) with another text is an edit; a title match
            // alone is only a repeat.
            if r.same_identity && edited.insert(r.pk) && is_edit(archive, r.pk, &hash)? {
                selection.edits.push(Edit {
                    pk: r.pk,
                    title,
                    norm_title,
                    content,
                    hash,
                });
            } else {
                selection.known += 1;
            }
            continue;
        }
        fresh.push((
            ArticleRecord {
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
                content,
                verbatim: false,
                hash: Some(hash),
            },
            enclosure_rows(item),
        ));
    }
    // Oldest first; the sort is stable, so ties keep feed order.
    fresh.sort_by_key(|(r, _)| r.published_ms);
    let mut next = min_id.unwrap_or(mirror::FIRST_ID + 1) - 1;
    let mut out = Vec::with_capacity(fresh.len());
    for (mut rec, enclosures) in fresh {
        rec.id = next;
        next -= 1;
        rec.path = mirror::article_path(&source.folder, rec.id, rec.published_ms, layout);
        if !enclosures.is_empty() {
            selection.enclosures.push(ArticleEnclosures {
                source: rec.source.clone(),
                path: rec.path.clone(),
                enclosures,
            });
        }
        let text = mirror::article_text(
            rec.published_ms,
            &rec.title,
            &rec.link,
            &mirror::flatten_content(&rec.content),
        );
        out.push((rec, text));
    }
    selection.new = out;
    Ok(selection)
}

/// Whether `hash` differs from the newest revision's (whose hash is filled in when it was
/// stored without one).
fn is_edit(archive: &Archive, pk: i64, hash: &str) -> Result<bool, ArchiveError> {
    let Some(latest) = archive.store.latest_revision(pk)? else {
        return Ok(false);
    };
    let old = match latest.hash {
        Some(h) => h,
        None => {
            let h = content_hash(&latest.title, &latest.content);
            archive.store.set_revision_hash(pk, latest.n, &h)?;
            h
        }
    };
    Ok(old != hash)
}
