//! What one run learned, committed in one transaction: the store's side of the commit
//! protocol (`archive::commit`). With SQLite the driver makes the files durable first; with
//! PostgreSQL the transaction is all there is (the publisher renders the files from it).

use super::{ArticleRecord, EventKind, FeedState, JournalEntry, Result};

/// A new revision of an archived article.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub article: i64,
    /// Its number: one more than the newest recorded.
    pub n: i64,
    pub title: String,
    pub norm_title: String,
    pub content: String,
    pub hash: String,
    pub seen_ms: i64,
    /// The content came from the article's page (full text), not from the feed.
    pub from_page: bool,
    /// The identity keys that go with the new text.
    pub text_key: Option<String>,
}

/// The outcome of one recheck of a page.
#[derive(Debug, Clone)]
pub struct CheckUpdate {
    pub article: i64,
    pub checked_ms: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub missing_since_ms: Option<i64>,
    /// A change of status (`Removed` or `Restored`) at a time.
    pub event: Option<(EventKind, i64)>,
}

/// Everything one run learned, as plain data.
#[derive(Debug, Clone, Default)]
pub struct RunChanges {
    /// New articles (ids chosen by the run: see `expect`).
    pub articles: Vec<ArticleRecord>,
    /// New revisions.
    pub revisions: Vec<NewRevision>,
    /// The hash of the feed item last seen for an article (so an unchanged item costs nothing).
    pub feed_hashes: Vec<(i64, String)>,
    /// Hashes of revisions stored without one: (article, n, hash).
    pub revision_hashes: Vec<(i64, i64, String)>,
    pub checks: Vec<CheckUpdate>,
    /// Feed state (url, source, state): only for feeds whose items were all committed.
    pub feeds: Vec<(String, String, FeedState)>,
    /// `meta` keys set (or removed, with `None`).
    pub meta: Vec<(String, Option<String>)>,
    /// History journal entries (kept in the database when it is the truth; with SQLite the
    /// journal is a file, and this stays empty).
    pub journal: Vec<JournalEntry>,
    /// Images downloaded for the articles (`images = "local"`): (file name under `assets/`,
    /// bytes), kept in the database when it is the truth.
    pub assets: Vec<(String, Vec<u8>)>,
    /// The version of each source the run's decisions were made against (`Cluster::
    /// source_version`). The commit fails with `DbErrorKind::Conflict`, writing nothing, when
    /// another writer committed to one of them since: ids and identity verdicts chosen by the
    /// run hold only against what it read.
    pub expect: Vec<(String, i64)>,
}

impl RunChanges {
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
            && self.revisions.is_empty()
            && self.feed_hashes.is_empty()
            && self.revision_hashes.is_empty()
            && self.checks.is_empty()
            && self.feeds.is_empty()
            && self.meta.is_empty()
            && self.journal.is_empty()
            && self.assets.is_empty()
    }

    /// Adds `other`'s changes to these (one transaction for several sources).
    pub fn merge(&mut self, other: RunChanges) {
        self.articles.extend(other.articles);
        self.revisions.extend(other.revisions);
        self.feed_hashes.extend(other.feed_hashes);
        self.revision_hashes.extend(other.revision_hashes);
        self.checks.extend(other.checks);
        self.feeds.extend(other.feeds);
        self.meta.extend(other.meta);
        self.journal.extend(other.journal);
        self.assets.extend(other.assets);
        self.expect.extend(other.expect);
    }

    /// The sources whose articles this commit adds or changes (their versions move).
    pub fn touched_sources(&self) -> Vec<String> {
        let mut v: Vec<String> = self.articles.iter().map(|a| a.source.clone()).collect();
        v.extend(self.expect.iter().map(|(s, _)| s.clone()));
        v.sort();
        v.dedup();
        v
    }
}

/// Committing runs.
pub trait Runs {
    /// Records what a run learned, all of it or nothing. Checks `changes.expect` first (each
    /// source's row locked until the end), then writes, bumps the versions of the sources it
    /// touched and appends to the change log (in commit order). A key taken by another
    /// article (same id, guid or canonical link in the source) fails with
    /// `DbErrorKind::Conflict`, writing nothing.
    fn commit_run(&mut self, changes: &RunChanges) -> Result<()>;
}
