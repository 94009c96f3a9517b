//! Revisions, rechecks, events (edited, removed, restored) and the committed history journal:
//! records and the interface.

use super::{ArticleStatus, EventKind, Flow, Result};

/// An article as the history needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleInfo {
    pub pk: i64,
    pub source: String,
    pub id: i64,
    pub path: String,
    pub link: String,
    pub title: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub status: ArticleStatus,
    pub status_ms: Option<i64>,
}

/// One revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRow {
    pub n: i64,
    pub seen_ms: i64,
    pub title: String,
    pub content: String,
    pub hash: Option<String>,
}

/// One event of an article's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub article: i64,
    pub kind: EventKind,
    pub at_ms: i64,
    /// For `edited`: the revision it created.
    pub revision: Option<i64>,
}

/// An article due for a recheck of its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTarget {
    pub pk: i64,
    pub source: String,
    pub link: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub status: ArticleStatus,
    pub missing_since_ms: Option<i64>,
}

/// The outcome of one recheck, to record.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub pk: i64,
    pub checked_ms: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub missing_since_ms: Option<i64>,
    /// A change of status: (`Removed` | `Restored`, at).
    pub event: Option<(EventKind, i64)>,
    /// The page could not be reached (timeout, reset, 5xx…): nothing concluded.
    pub unreachable: bool,
}

/// An older revision (not an article's newest), for writing it out as a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OlderRevision {
    pub path: String,
    pub n: i64,
    pub published_ms: i64,
    pub link: String,
    pub title: String,
    pub content: String,
}

crate::named_states! {
    /// An entry of the committed history journal (`changes/<yyyy>-<mm>.jsonl`): the events,
    /// and the first sighting of a missing page (`missing`) or its end before confirmation
    /// (`found`).
    JournalKind {
        Edited = "edited",
        Removed = "removed",
        Restored = "restored",
        Missing = "missing",
        Found = "found",
    }
}

/// One line of the committed history journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalEntry {
    pub at: i64,
    pub kind: JournalKind,
    /// The article's path below the archive.
    pub path: String,
    /// For `edited`: the revision it created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
}

/// Revisions, events, rechecks.
pub trait History {
    /// An article by source and id.
    fn article(&self, source: &str, id: i64) -> Result<Option<ArticleInfo>>;
    /// An article by its primary key.
    fn article_by_pk(&self, pk: i64) -> Result<Option<ArticleInfo>>;
    /// Every revision of an article, oldest first.
    fn revisions(&self, article: i64) -> Result<Vec<RevisionRow>>;
    /// The newest revision of an article.
    fn latest_revision(&self, article: i64) -> Result<Option<RevisionRow>>;
    /// Every event of an article, oldest first.
    fn events_of(&self, article: i64) -> Result<Vec<EventRow>>;
    /// Every event in `[from_ms, to_ms)`, newest first.
    fn events_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<EventRow>>;

    /// Articles first seen after `since_ms` whose page was not checked since `checked_before`
    /// (every one of them when `checked_before` is `None`), oldest check first. A check
    /// recorded after `now_ms` (a clock that ran ahead) is due too.
    fn due_rechecks(
        &self,
        since_ms: i64,
        checked_before: Option<i64>,
        now_ms: i64,
    ) -> Result<Vec<CheckTarget>>;

    /// Replays journal entries into the database (rebuilding from the files). Idempotent: an
    /// entry that repeats what the database holds changes nothing. Returns how many entries
    /// changed something.
    fn apply_journal(&mut self, entries: &[JournalEntry]) -> Result<usize>;

    /// Fills in the text key of articles stored before text keys were kept (`key` computes it
    /// from the newest revision's content). Returns how many were filled.
    fn backfill_text_keys(&mut self, key: &dyn Fn(&str) -> Option<String>) -> Result<usize>;

    /// Every revision that is not its article's newest, by article then number.
    fn scan_older_revisions(&self, f: &mut dyn FnMut(OlderRevision) -> Flow) -> Result<()>;

    /// The older revisions (not the newest) of each of `pks`.
    fn older_revisions_of(&self, pks: &[i64]) -> Result<Vec<OlderRevision>>;

    /// Articles whose page was seen missing and is not confirmed removed: (path, since).
    fn pending_sightings(&self) -> Result<Vec<(String, i64)>>;
}
