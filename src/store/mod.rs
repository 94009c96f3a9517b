//! The database, the only module that speaks SQL: one storage interface ([`Backend`], made of
//! one trait per concept) and two engines behind it, SQLite under `<archive>/.newsmirror/`
//! (`store::sqlite`, the default) and PostgreSQL (`store::postgres`, chosen by
//! `[store] url = "postgres://…"`). [`open`] is the one place a store is opened.
//!
//! With SQLite the database is an index of the files and a keeper of what the files cannot hold
//! (feed validators, feed health, raw content as received): the files are the truth and the
//! database can be rebuilt from them. With PostgreSQL (several workers, one publisher) the
//! database is the truth and the files are rendered from it.
//!
//! Takes and returns plain records; it knows nothing of HTTP, feeds or the file format. Both
//! engines enforce the same rules in their schema: one article per (source, id), per (source,
//! guid) and per (source, canonical link) where those keys are identities; a run's writes go
//! through one transaction ([`Runs::commit_run`]) that fails with [`DbErrorKind::Conflict`] when
//! another writer committed to one of its sources since it read them.
//!
//! Store calls block (the PostgreSQL client waits on the network): async code calls them through
//! `tokio::task::block_in_place` or `spawn_blocking`, never on the runtime's threads. Test builds
//! check this on every call ([`Store`]'s `Deref`).

mod articles;
mod cluster;
mod feeds;
mod history;
pub mod pool;
pub mod postgres;
mod reader;
mod run;
pub mod sqlite;
mod states;

use std::ops::{ControlFlow, Deref, DerefMut};
use std::path::{Path, PathBuf};

pub use articles::{
    ArticleRecord, Articles, Candidate, EnclosureRow, ListRow, OldRevision, RenderedArticle,
    SourceCount,
};
pub use cluster::{Claim, Cluster, Dump, DumpArticle, DumpRecord};
pub use feeds::{FeedRow, FeedState, FeedStateRow, Feeds, OperationalState, RecheckState};
pub use history::{
    ArticleInfo, CheckResult, CheckTarget, EventRow, History, JournalEntry, JournalKind,
    OlderRevision, RevisionRow,
};
pub use reader::{
    ArticleRow, Change, ExportedArticle, ExportedRevision, FeedEntry, Neighbour, Reader, SearchDoc,
    SourceOverview,
};
pub use run::{CheckUpdate, NewRevision, RunChanges, Runs};
pub use states::{ArticleStatus, EventKind};

/// The `meta` key of the database's identity (never copied to another database).
pub const DATABASE_ID: &str = "database_id";

/// What a scanning callback says: go on, or stop.
pub type Flow = ControlFlow<()>;

/// What went wrong in the database.
#[derive(Debug, thiserror::Error)]
#[error("database {at}: {source}")]
pub struct StoreError {
    /// Which database: a file, or a PostgreSQL address (without its password).
    pub at: String,
    #[source]
    pub source: DbError,
}

/// The engine's own error, in words; no engine type leaks out of `store`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    pub(crate) message: String,
    pub(crate) kind: DbErrorKind,
}

/// What kind of failure a database error is, as the driver needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// The file is not a database, or its contents are damaged: move it aside and rebuild.
    Corrupt,
    /// Out of space, or an input/output error of the disk.
    Storage,
    /// Another writer got there first (a source committed since it was read, a key taken):
    /// nothing was written; the work is done again later.
    Conflict,
    /// The server cannot be reached, or the connection was lost: try again later.
    Unavailable,
    Other,
}

impl StoreError {
    /// What kind of failure this is.
    pub fn kind(&self) -> DbErrorKind {
        self.source.kind
    }

    pub(crate) fn new(at: &str, kind: DbErrorKind, message: impl Into<String>) -> StoreError {
        StoreError {
            at: at.to_string(),
            source: DbError {
                message: message.into(),
                kind,
            },
        }
    }

    /// An error injected by a failpoint (tests only): `ENOSPC` or `EIO` on a commit.
    #[cfg_attr(not(feature = "failpoints"), allow(dead_code))]
    pub(crate) fn injected(at: &str, what: &str) -> StoreError {
        StoreError::new(
            at,
            DbErrorKind::Storage,
            format!("disk I/O error: {what} (injected)"),
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file (the archive's `.newsmirror/newsmirror.sqlite`).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl Location {
    /// Whether the database is the truth (PostgreSQL: the files are rendered from it) rather
    /// than an index of the files (SQLite).
    pub fn is_cluster(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(&postgres::redacted(url)),
        }
    }
}

/// The storage interface, one trait per concept; both engines implement every one.
pub trait Backend: Articles + History + Feeds + Reader + Runs + Cluster + Send {
    /// Which database this is, for messages.
    fn at(&self) -> &str;
    /// The engine.
    fn engine(&self) -> Engine;
    /// A value from the `meta` table.
    fn meta(&self, key: &str) -> Result<Option<String>>;
    /// Sets (or, with `None`, removes) a value in the `meta` table, committed at once.
    fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()>;
    /// The engine's own consistency check: the problems it found (none: empty).
    fn integrity_check(&self) -> Result<Vec<String>>;
}

/// The engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// An open database: one of the engines behind the one interface.
pub struct Store {
    inner: Box<dyn Backend>,
}

/// Opens (creating the schema when missing) the database at `location`. The second value is
/// true when it held nothing before (a new SQLite file, an empty PostgreSQL schema), so that
/// the caller knows to rebuild it from the files (SQLite) or that nothing is archived yet.
pub fn open(location: &Location) -> Result<(Store, bool)> {
    let (inner, created): (Box<dyn Backend>, bool) = match location {
        Location::Sqlite(path) => {
            let (s, created) = sqlite::SqliteStore::open(path)?;
            (Box::new(s), created)
        }
        Location::Postgres(url) => {
            off_the_runtime();
            let (s, created) = postgres::PgStore::open(url)?;
            (Box::new(s), created)
        }
    };
    Ok((Store { inner }, created))
}

impl Store {
    /// Opens the SQLite database at `path` (see [`open`]).
    pub fn open(path: &Path) -> Result<(Store, bool)> {
        open(&Location::Sqlite(path.to_path_buf()))
    }

    /// Calls `f` with every article newsmirror renders itself (not kept verbatim), with the
    /// title and content of its newest revision; stops at `f`'s first error.
    pub fn for_each_rendered_article<E: From<StoreError>>(
        &self,
        f: &mut dyn FnMut(RenderedArticle) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        scan(|g| self.scan_rendered_articles(g), f)
    }

    /// Calls `f` with every revision that is not its article's newest.
    pub fn for_each_older_revision<E: From<StoreError>>(
        &self,
        f: &mut dyn FnMut(OlderRevision) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        scan(|g| self.scan_older_revisions(g), f)
    }

    /// Calls `f` with every article's search document, one at a time.
    pub fn for_each_search_doc<E: From<StoreError>>(
        &self,
        f: &mut dyn FnMut(SearchDoc) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        scan(|g| self.scan_search_docs(g), f)
    }

    /// Calls `f` with every article first seen at or after `since_ms`, in archive order
    /// (source, then id), with every revision, one at a time.
    pub fn for_each_export<E: From<StoreError>>(
        &self,
        since_ms: i64,
        f: &mut dyn FnMut(ExportedArticle) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        scan(|g| self.scan_export(since_ms, g), f)
    }

    /// This database's identity, made when its schema was: followers of its change log
    /// (search indexes) keep it beside their cursor, and start again from nothing when they
    /// find another (the database was rebuilt, or moved to another engine).
    pub fn database_id(&self) -> Result<String> {
        Ok(self.meta(DATABASE_ID)?.unwrap_or_default())
    }

    /// The newest `limit` articles among `sources` (newest publication first): what readers
    /// see when the archive also holds sources the config no longer lists.
    pub fn newest_rows_of(&self, sources: &[&str], limit: usize) -> Result<Vec<ArticleRow>> {
        let mut rows = Vec::new();
        for s in sources {
            rows.extend(self.newest_rows(Some(s), 0, limit)?);
        }
        rows.sort_by_key(|r| std::cmp::Reverse((r.published_ms, r.id)));
        rows.truncate(limit);
        Ok(rows)
    }
}

/// Runs a backend's scan with a callback that may fail with the caller's error.
fn scan<T, E: From<StoreError>>(
    run: impl FnOnce(&mut dyn FnMut(T) -> Flow) -> Result<()>,
    f: &mut dyn FnMut(T) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut failed = None;
    run(&mut |x| match f(x) {
        Ok(()) => Flow::Continue(()),
        Err(e) => {
            failed = Some(e);
            Flow::Break(())
        }
    })?;
    failed.map_or(Ok(()), Err)
}

impl Deref for Store {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        off_the_runtime();
        &*self.inner
    }
}

impl DerefMut for Store {
    fn deref_mut(&mut self) -> &mut Self::Target {
        off_the_runtime();
        &mut *self.inner
    }
}

/// Test builds: panics when a store call is made on a thread that drives async tasks (it would
/// stall every task of that thread while the database answers). Store calls belong in
/// `block_in_place` or `spawn_blocking`. A thread's own current-thread runtime refuses to
/// `block_on` exactly there (the PostgreSQL client would panic the same way in any build).
#[inline]
pub(crate) fn off_the_runtime() {
    #[cfg(any(test, feature = "failpoints"))]
    {
        thread_local! {
            static PROBE: Option<tokio::runtime::Runtime> =
                tokio::runtime::Builder::new_current_thread().build().ok();
        }
        PROBE.with(|rt| {
            if let Some(rt) = rt {
                rt.block_on(async {});
            }
        });
    }
}

/// Runs blocking work (store calls, file writes) from async code without stalling the
/// runtime: on a multi-thread runtime's worker the thread is handed over first
/// (`block_in_place`); elsewhere (no runtime, a blocking thread) it just runs.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
