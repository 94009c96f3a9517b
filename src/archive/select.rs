//! Which feed items are new, which are edits of archived articles, and the ids new ones get.
//! Identity is decided by `identity::decide` (the decision table), against the items seen
//! earlier in the same run and against the archived articles that share a key.

use std::collections::{HashMap, HashSet};

use super::identity::{Keys, decide, needs_text};
use crate::config::{FullText, Layout, Source};
use crate::feed::Item;
use crate::mirror;
use crate::store::{ArticleRecord, Candidate, EnclosureRow, Store, StoreError};
use crate::text::{
    canonical_link, comparable_title, content_hash, hash_and_text_key, normalized_text,
};

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

/// An archived article that came back with another title or content.
#[derive(Debug, Clone)]
pub(super) struct Edit {
    pub pk: i64,
    /// The number the new revision gets.
    pub n: i64,
    /// The newest revision's hash, to tell whether completing the edit changed anything.
    pub old_hash: String,
    pub title: String,
    pub norm_title: String,
    pub content: String,
    pub hash: String,
    /// The hash of the feed item (recorded once the edit is done).
    pub feed_hash: String,
    /// The article holds full text from its page: only page text may replace it.
    pub needs_page: bool,
}

/// What a source's feed items mean for the archive.
#[derive(Debug, Default)]
pub(super) struct Selection {
    /// New articles, oldest first, ids and paths assigned.
    pub new: Vec<ArticleRecord>,
    /// Articles whose new revision is to be recorded.
    pub edits: Vec<Edit>,
    /// Items that were already archived as they are.
    pub known: usize,
    /// (article, hash of the feed item) for items seen unchanged in text.
    pub feed_hashes: Vec<(i64, String)>,
    /// Revisions whose missing hash was computed: (article, n, hash).
    pub revision_hashes: Vec<(i64, i64, String)>,
    /// Items skipped because they hold nothing (`holds_nothing`).
    pub empty: usize,
    /// Items skipped because the document ended inside them.
    pub cut_off: usize,
}

/// Why a source's items could not be selected.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "source {slug}: the countdown of ids has reached 1 ({n} new articles do not fit); ids \
         never go below 1. Give the source a new slug (a new folder whose countdown starts \
         again at {first}), with `layout = \"yearly\"` in [archive] to keep its folders small"
    )]
    IdsExhausted { slug: String, n: usize, first: i64 },
}

/// An item's identity keys and texts, owned.
#[derive(Clone)]
struct ItemKeys {
    guid: Option<String>,
    canon: Option<String>,
    title: String,
    text: String,
    text_key: Option<String>,
    enclosure: Option<String>,
    published: Option<i64>,
    canon_shared: bool,
    /// The text is a few characters only (`identity::trivial_text`).
    trivial_text: bool,
}

impl ItemKeys {
    fn keys(&self) -> Keys<'_> {
        Keys {
            guid: self.guid.as_deref(),
            canon: self.canon.as_deref(),
            title: &self.title,
            text: &self.text,
            text_key: self.text_key.as_deref(),
            enclosure: self.enclosure.as_deref(),
            published: self.published,
            canon_shared: self.canon_shared,
            trivial_text: self.trivial_text,
        }
    }
}

/// The items of this run so far, indexed by each key.
#[derive(Default)]
struct RunIndex {
    /// The keys of each item seen, with its index among the feed items.
    items: Vec<(ItemKeys, usize)>,
    by: HashMap<(u8, String), Vec<usize>>,
}

impl RunIndex {
    fn candidates(&self, k: &ItemKeys) -> Vec<usize> {
        let mut out: Vec<usize> = [
            k.guid.as_ref().map(|g| (0, g.clone())),
            k.canon.as_ref().map(|c| (1, c.clone())),
            (!k.title.is_empty()).then(|| (2, k.title.clone())),
            k.text_key.as_ref().map(|t| (3, t.clone())),
        ]
        .into_iter()
        .flatten()
        .filter_map(|key| self.by.get(&key))
        .flatten()
        .copied()
        .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn shares(&self, kind: u8, key: &Option<String>) -> bool {
        key.as_ref()
            .is_some_and(|k| self.by.contains_key(&(kind, k.clone())))
    }

    fn push(&mut self, k: ItemKeys, item: usize) {
        let i = self.items.len();
        for key in [
            k.guid.as_ref().map(|g| (0, g.clone())),
            k.canon.as_ref().map(|c| (1, c.clone())),
            (!k.title.is_empty()).then(|| (2, k.title.clone())),
            k.text_key.as_ref().map(|t| (3, t.clone())),
        ]
        .into_iter()
        .flatten()
        {
            self.by.entry(key).or_default().push(i);
        }
        self.items.push((k, item));
    }
}

/// Enclosures as the store keeps them.
pub(super) fn enclosure_rows(enclosures: &[crate::feed::Enclosure]) -> Vec<EnclosureRow> {
    enclosures
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

fn candidate_keys(c: &Candidate, text: &str, published: Option<i64>) -> ItemKeys {
    ItemKeys {
        guid: c.guid.clone(),
        canon: c.canon.clone(),
        title: c.norm_title.clone(),
        text: text.to_string(),
        text_key: c.text_key.clone(),
        enclosure: c.enclosure.clone(),
        published,
        canon_shared: false,
        trivial_text: false,
    }
}

/// The key an item without text is found by when it has an enclosure (a podcast item known
/// by its audio file only): kept where the text key is, in a namespace of its own (text keys
/// are 16 hexadecimal digits).
pub(super) fn enclosure_key(enclosure: Option<&str>) -> Option<String> {
    enclosure.map(|e| format!("e{:015x}", crate::text::fnv1a(e.as_bytes()) >> 4))
}

/// Whether an item holds nothing to archive or to know it by: no title, link, guid, text or
/// enclosure (`<item></item>`). Such items are skipped: archived, they would come back as new
/// on every run.
fn holds_nothing(item: &Item) -> bool {
    item.title.trim().is_empty()
        && item.link.is_none()
        && item.raw_link.as_deref().is_none_or(|l| l.trim().is_empty())
        && item.guid.as_deref().is_none_or(|g| g.trim().is_empty())
        && item.enclosures.is_empty()
        && crate::text::text_key(&item.content).is_none()
}

pub(super) fn select_new(
    store: &Store,
    source: &Source,
    layout: Layout,
    items: &[Item],
    now_ms: i64,
) -> Result<Selection, SelectError> {
    let mut selection = Selection::default();
    let mut edited = HashSet::new();
    let mut seen_pk = HashSet::new();
    let min_id = store.min_id(&source.slug)?;
    let has_articles = min_id.is_some();
    let mut run = RunIndex::default();
    let mut fresh = Vec::new();
    // Links that several items of the feed carry (a podcast's home page).
    let mut link_count: HashMap<String, usize> = HashMap::new();
    for item in items {
        if let Some(l) = &item.link {
            *link_count.entry(canonical_link(l)).or_default() += 1;
        }
    }
    for (at, item) in items.iter().enumerate() {
        // An item that holds nothing (feedparser still counts it) is archived once, as one
        // untitled article: nothing tells two of them apart, and skipping it would lose it.
        let empty = holds_nothing(item);
        selection.empty += usize::from(empty);
        // A truncated download: the item's last field may be torn. It is archived whole when
        // the feed is read whole (its validators are not kept: see `update::select`).
        if item.cut_off {
            selection.cut_off += 1;
            continue;
        }
        let cleaned = mirror::clean_line(&item.title);
        // Its key is the title the file shows, so a database rebuilt from the file finds it.
        let norm_title = comparable_title(if empty { UNTITLED } else { &cleaned });
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
        let mut keys = ItemKeys {
            guid: item
                .guid
                .as_deref()
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string),
            canon: item.link.as_ref().map(canonical_link),
            title: norm_title.clone(),
            // Read only when a verdict depends on it.
            text: String::new(),
            text_key: None,
            enclosure: item.enclosure_url(),
            published: item.published.map(|t| t.timestamp_millis()),
            canon_shared: false,
            trivial_text: crate::archive::identity::trivial_text(&item.content),
        };
        let (hash, item_text_key) = hash_and_text_key(&title, &item.content);
        let item_text_key = item_text_key.or_else(|| enclosure_key(keys.enclosure.as_deref()));
        // Enclosures the content does not point at are appended as links (left out of hashes
        // and text keys: `text::ENCLOSURE_BLOCK`).
        let content = crate::feed::enclosures::with_block(&item.content, &item.enclosures);
        keys.text_key = item_text_key;
        keys.canon_shared = keys
            .canon
            .as_ref()
            .is_some_and(|c| link_count.get(c).copied().unwrap_or(0) > 1);
        let published_ms = match item.published.map(|t| t.timestamp_millis()) {
            Some(ms) if ms > now_ms => now_ms,
            Some(ms) if ms >= 0 => ms,
            _ => now_ms,
        };
        // A repeat within the run (the same story listed twice, in one feed or two).
        let mut repeat_in_run = false;
        // Empty items of one document are each an entry of their own (feedparser counts each).
        let in_run = if empty {
            Vec::new()
        } else {
            run.candidates(&keys)
        };
        for i in in_run {
            let (other, other_at) = &run.items[i];
            let mut verdict = decide(&keys.keys(), &other.keys());
            if needs_text(&keys.keys(), &other.keys(), verdict) {
                if keys.text.is_empty() {
                    keys.text = normalized_text(&item.content);
                }
                let other_text = normalized_text(&items[*other_at].content);
                let other = ItemKeys {
                    text: other_text,
                    ..other.clone()
                };
                verdict = decide(&keys.keys(), &other.keys());
            }
            if verdict.same() {
                repeat_in_run = true;
                break;
            }
        }
        if repeat_in_run {
            selection.known += 1;
            continue;
        }
        // A source with nothing archived yet has nothing to repeat.
        let candidates = if has_articles {
            store.candidates(
                &source.slug,
                keys.guid.as_deref(),
                keys.canon.as_deref(),
                &norm_title,
                keys.text_key.as_deref(),
            )?
        } else {
            Vec::new()
        };
        // A link two archived articles carry identifies neither.
        if let Some(canon) = &keys.canon
            && candidates
                .iter()
                .filter(|c| c.canon.as_ref() == Some(canon))
                .count()
                > 1
        {
            keys.canon_shared = true;
        }
        // Texts are read only when a verdict depends on them.
        let mut same = None;
        for c in &candidates {
            let known = candidate_keys(c, "", None);
            let mut verdict = decide(&keys.keys(), &known.keys());
            if needs_text(&keys.keys(), &known.keys(), verdict)
                && let Some(latest) = store.latest_revision(c.pk)?
            {
                if keys.text.is_empty() {
                    keys.text = normalized_text(&item.content);
                }
                let text = normalized_text(&latest.content);
                let published = store.article_by_pk(c.pk)?.map(|a| a.published_ms);
                verdict = decide(&keys.keys(), &candidate_keys(c, &text, published).keys());
            }
            if verdict.same() {
                same = Some(c);
                break;
            }
        }
        // Keys another article holds are not identities of this one (NULL in the database,
        // so that the identity columns stay unique per source).
        let shared = |kind: u8, key: &Option<String>, of: fn(&Candidate) -> &Option<String>| {
            run.shares(kind, key) || candidates.iter().any(|c| key.is_some() && of(c) == key)
        };
        let guid_key = (!shared(0, &keys.guid, |c| &c.guid))
            .then(|| keys.guid.clone())
            .flatten();
        let canon_key = (!shared(1, &keys.canon, |c| &c.canon))
            .then(|| keys.canon.clone())
            .flatten();
        let text_key = keys.text_key.clone();
        let enclosure = keys.enclosure.clone();
        run.push(keys, at);
        if let Some(c) = same {
            if !seen_pk.insert(c.pk) || c.feed_hash.as_deref() == Some(hash.as_str()) {
                selection.known += 1;
                continue;
            }
            let latest = store.latest_revision(c.pk)?;
            let (latest_title, latest_content) =
                latest.map(|r| (r.title, r.content)).unwrap_or_default();
            let old_hash = match &c.hash {
                Some(h) => h.clone(),
                None => {
                    let h = content_hash(&latest_title, &latest_content);
                    selection
                        .revision_hashes
                        .push((c.pk, c.revision, h.clone()));
                    h
                }
            };
            if old_hash == hash || !edited.insert(c.pk) {
                selection.known += 1;
                selection.feed_hashes.push((c.pk, hash));
                continue;
            }
            // Full text is replaced only by full text: an article taken from its page, or one
            // whose text reads as whole where the feed now gives a teaser.
            let teaser_for_full = source.fulltext != FullText::Feed
                && super::looks_like_summary(&item.content)
                && !super::looks_like_summary(&latest_content);
            selection.edits.push(Edit {
                pk: c.pk,
                n: c.revision + 1,
                old_hash,
                title,
                norm_title,
                content,
                feed_hash: hash.clone(),
                hash,
                needs_page: c.from_page || teaser_for_full,
            });
            continue;
        }
        fresh.push(ArticleRecord {
            source: source.slug.clone(),
            id: 0,
            path: String::new(),
            guid: guid_key,
            link,
            canon: canon_key,
            title,
            norm_title,
            published_ms,
            first_seen_ms: now_ms,
            content,
            verbatim: false,
            feed_hash: Some(hash.clone()),
            hash: Some(hash),
            text_key,
            enclosure,
            from_page: false,
            older: Vec::new(),
            seen_ms: None,
            enclosures: enclosure_rows(&item.enclosures),
        });
    }
    // Oldest first; the sort is stable, so ties keep feed order.
    fresh.sort_by_key(|r| r.published_ms);
    let first = min_id.unwrap_or(mirror::FIRST_ID + 1) - 1;
    if first - (fresh.len() as i64) < 0 {
        return Err(SelectError::IdsExhausted {
            slug: source.slug.clone(),
            n: fresh.len(),
            first: mirror::FIRST_ID,
        });
    }
    for (i, mut rec) in fresh.into_iter().enumerate() {
        rec.id = first - i as i64;
        rec.path = mirror::article_path(&source.folder, rec.id, rec.published_ms, layout);
        selection.new.push(rec);
    }
    Ok(selection)
}

/// The text of an article file.
pub(super) fn file_text(rec: &ArticleRecord) -> String {
    mirror::article_text(
        rec.published_ms,
        &rec.title,
        &rec.link,
        &mirror::flatten_content(&rec.content),
    )
}
