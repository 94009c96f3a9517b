//! What readers see: sources at a glance, articles newest first in pages, neighbours, feeds
//! out, export, and the change log the search index and the publisher follow.

use super::{ArticleStatus, Flow, Result};

/// A source at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOverview {
    pub source: String,
    pub articles: i64,
    /// The last successful fetch of its feeds (else the newest article's date; 0 when none).
    pub last_seen_ms: i64,
}

/// An article in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRow {
    pub source: String,
    pub id: i64,
    pub title: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub status: ArticleStatus,
    /// How many revisions the archive holds.
    pub revisions: i64,
    /// How many events (edited, removed, restored) it has had.
    pub events: i64,
}

/// An article as the search index holds it: its newest revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDoc {
    pub pk: i64,
    pub source: String,
    pub id: i64,
    pub title: String,
    /// The newest revision's content, raw HTML.
    pub content: String,
    pub published_ms: i64,
    pub status: ArticleStatus,
}

/// An article beside another in a source's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub id: i64,
    pub title: String,
}

/// An article with every revision, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedArticle {
    pub source: String,
    pub id: i64,
    pub path: String,
    pub title: String,
    pub link: String,
    pub guid: Option<String>,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub revisions: Vec<ExportedRevision>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedRevision {
    pub n: i64,
    pub seen_ms: i64,
    pub title: String,
    pub content: String,
}

/// An article as feeds show it: its newest revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub source: String,
    pub id: i64,
    pub title: String,
    pub link: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub content: String,
    /// The number of the newest revision (1: never edited) and when it was seen.
    pub revision: i64,
    pub revised_ms: i64,
    /// Enclosures and media, in feed order.
    pub enclosures: Vec<super::EnclosureRow>,
}

/// An entry of the change log: the article's newest change (a new article, a new revision, a
/// change of status) has this sequence number. The log keeps one entry per article (its latest),
/// and numbers grow in commit order, so a follower that remembers the last number it applied
/// (its cursor) misses nothing and may run anywhere: several search indexes, the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub article: i64,
}

/// Reading for readers.
pub trait Reader {
    /// Before loading every article at once (the database rebuilt from the files): the
    /// readers' indexes are dropped, to be made again in one pass each by
    /// [`Reader::bulk_load_end`].
    fn bulk_load_begin(&self) -> Result<()>;
    /// After a bulk load: the readers' indexes back, every article in the change log.
    fn bulk_load_end(&self) -> Result<()>;

    /// Every source that holds articles, with its count and its last successful fetch.
    fn overview(&self) -> Result<Vec<SourceOverview>>;
    /// Articles of `source` (all sources when `None`), newest publication first (then highest
    /// id), skipping `offset`.
    fn newest_rows(
        &self,
        source: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ArticleRow>>;
    /// How many articles `source` holds.
    fn count_of(&self, source: &str) -> Result<i64>;
    /// The newest `limit` articles (by publication, then lowest id) of a source, or of all.
    fn newest_entries(&self, source: Option<&str>, limit: usize) -> Result<Vec<FeedEntry>>;
    /// The articles just before (newer) and just after (older) the one published at
    /// `published_ms` with `id`, in the list order of `source`.
    fn neighbours(
        &self,
        source: &str,
        published_ms: i64,
        id: i64,
    ) -> Result<(Option<Neighbour>, Option<Neighbour>)>;
    /// A number that changes whenever another connection commits: caches of what was read
    /// are stale then.
    fn data_version(&self) -> Result<i64>;

    /// The newest entry of the change log (0 when empty).
    fn last_change(&self) -> Result<i64>;
    /// Up to `limit` entries of the change log after `after`, in order.
    fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>>;
    /// The search documents of `pks` (those that still exist).
    fn search_docs(&self, pks: &[i64]) -> Result<Vec<SearchDoc>>;
    /// Every article's search document.
    fn scan_search_docs(&self, f: &mut dyn FnMut(SearchDoc) -> Flow) -> Result<()>;
    /// Every article first seen at or after `since_ms`, by source then id, with every
    /// revision.
    fn scan_export(&self, since_ms: i64, f: &mut dyn FnMut(ExportedArticle) -> Flow) -> Result<()>;
}
