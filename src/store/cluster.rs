//! Several writers on one database (PostgreSQL: workers on many machines, one publisher):
//! claims with leases, politeness held in total, the publisher's lock, what the publisher
//! renders from (journal, images), and copying a whole archive from one engine to another.
//!
//! Times that several machines compare (leases, due times, politeness) are the database's
//! clock ([`Cluster::clock_ms`]), never a worker's: clock skew between workers changes nothing.

use super::{ArticleRecord, CheckTarget, EventKind, FeedRow, Flow, JournalEntry, Result};
use super::{ArticleStatus, RevisionRow};

/// A source claimed by a worker, with the version its decisions are made against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub slug: String,
    pub version: i64,
}

/// An article with everything the database knows of it, for copying an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpArticle {
    /// The article (its `content`, `hash` and `from_page` are the newest revision's; `older`
    /// and `seen_ms` are not used: `revisions` holds them all).
    pub record: DumpRecord,
    /// Every revision, oldest first (with `from_page`).
    pub revisions: Vec<(RevisionRow, bool)>,
    pub events: Vec<(EventKind, i64, Option<i64>)>,
    pub status: ArticleStatus,
    pub status_ms: Option<i64>,
    pub checked_ms: Option<i64>,
    pub missing_since_ms: Option<i64>,
    pub page_etag: Option<String>,
    pub page_last_modified: Option<String>,
}

/// The identity and file of an article, as copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRecord {
    pub source: String,
    pub id: i64,
    pub path: String,
    pub guid: Option<String>,
    pub link: String,
    pub canon: Option<String>,
    pub title: String,
    pub norm_title: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    pub verbatim: bool,
    pub text_key: Option<String>,
    pub enclosure: Option<String>,
    pub feed_hash: Option<String>,
    pub enclosures: Vec<super::EnclosureRow>,
}

impl DumpRecord {
    /// The record of a new article with this identity (no content: revisions come apart).
    pub fn to_record(&self) -> ArticleRecord {
        ArticleRecord {
            source: self.source.clone(),
            id: self.id,
            path: self.path.clone(),
            guid: self.guid.clone(),
            link: self.link.clone(),
            canon: self.canon.clone(),
            title: self.title.clone(),
            norm_title: self.norm_title.clone(),
            published_ms: self.published_ms,
            first_seen_ms: self.first_seen_ms,
            content: String::new(),
            verbatim: self.verbatim,
            hash: None,
            text_key: self.text_key.clone(),
            enclosure: self.enclosure.clone(),
            feed_hash: self.feed_hash.clone(),
            from_page: false,
            older: Vec::new(),
            seen_ms: None,
            enclosures: self.enclosures.clone(),
        }
    }
}

/// One piece of an archive, as copied from one database to another (`newsmirror migrate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dump {
    Article(Box<DumpArticle>),
    Feed(FeedRow),
    /// A list line kept for an absent article: (source, path, id, line).
    ListExtra(String, String, Option<i64>, String),
    Meta(String, String),
    Journal(JournalEntry),
    /// An image under `assets/`: (file name, bytes).
    Asset(String, Vec<u8>),
}

/// Several writers.
pub trait Cluster {
    /// The database's clock, in milliseconds since the epoch.
    fn clock_ms(&self) -> Result<i64>;

    /// The version of a source: it moves with every commit that adds or changes its articles
    /// (0 before the first).
    fn source_version(&self, slug: &str) -> Result<i64>;

    /// Claims up to `limit` of `slugs` for `worker` for `lease_ms` (by the database's clock):
    /// sources nobody holds (or whose lease ran out), and with `due_only` only those whose
    /// feeds are due (never fetched, or their next time passed). Sources held by others are
    /// skipped, not waited for (`FOR UPDATE SKIP LOCKED`). Oldest due first.
    fn claim_sources(
        &mut self,
        worker: &str,
        slugs: &[String],
        due_only: bool,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<Claim>>;

    /// Extends the leases `worker` holds (it is still working on them). Returns how many it
    /// still held.
    fn renew_claims(&mut self, worker: &str, lease_ms: i64) -> Result<usize>;

    /// Gives claims back (done, or given up).
    fn release_claims(&mut self, worker: &str, slugs: &[String]) -> Result<()>;

    /// Claims up to `limit` articles due for a recheck (as [`super::History::due_rechecks`]),
    /// for `lease_ms`; a recorded check (`RunChanges::checks`) ends the claim.
    fn claim_rechecks(
        &mut self,
        worker: &str,
        since_ms: i64,
        checked_before: Option<i64>,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<CheckTarget>>;

    /// Takes one of the `per_host` request slots of `host` (held by this connection until
    /// released or until the connection ends: a dead worker's slots free themselves).
    /// `None`: all are taken.
    fn try_host_slot(&mut self, host: &str, per_host: usize) -> Result<Option<i32>>;
    /// Gives a slot back.
    fn release_host_slot(&mut self, host: &str, slot: i32) -> Result<()>;
    /// Reserves the next start time of a request to `host`, at least `delay_ms` after the one
    /// reserved before; returns how long to wait for it (ms, by the database's clock).
    fn reserve_host_start(&mut self, host: &str, delay_ms: i64) -> Result<i64>;

    /// Takes the publisher's lock (held by this connection until it ends): one publisher at a
    /// time. False when another holds it.
    fn try_lock_publisher(&self) -> Result<bool>;

    /// Journal entries recorded after `after` (their sequence numbers), in order.
    fn journal_since(&self, after: i64) -> Result<Vec<(i64, JournalEntry)>>;
    /// Every journal entry with a time in `[from_ms, to_ms)`, in the order recorded.
    fn journal_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<JournalEntry>>;
    /// Up to `limit` images recorded after `after`: (sequence number, file name, bytes).
    fn assets_since(&self, after: i64, limit: usize) -> Result<Vec<(i64, String, Vec<u8>)>>;

    /// Everything the database holds, piece by piece (articles with all their history, feeds,
    /// list lines, meta, journal, images).
    fn dump(&self, f: &mut dyn FnMut(Dump) -> Flow) -> Result<()>;
    /// Loads pieces of a dump in one transaction (articles get new primary keys, and enter
    /// the change log).
    fn load_dump(&mut self, batch: &[Dump]) -> Result<()>;
}
