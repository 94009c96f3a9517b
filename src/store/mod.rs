//! The database: SQLite under `<archive>/.newsmirror/`, the only module that speaks SQL.
//!
//! It is an index of the files and a keeper of what the files cannot hold (feed validators,
//! feed health, raw content as received). It must never be the only copy of an article: the
//! files are the truth, and the database can be rebuilt from them. Takes and returns plain
//! records; it knows nothing of HTTP, feeds or the file format.

mod articles;
mod enclosures;
mod export;
mod feeds;
mod history;
mod reader;
mod run;
mod sources;
mod states;
mod web;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

pub use articles::{ArticleRecord, Candidate, ListRow, OldRevision, RenderedArticle, SourceCount};
pub use enclosures::EnclosureRow;
pub use export::{ExportedArticle, ExportedRevision, FeedEntry};
pub use feeds::{FeedRow, FeedState, FeedStateRow, OperationalState, RecheckState};
pub use history::{
    ArticleInfo, CheckResult, CheckTarget, EventRow, JournalEntry, JournalKind, OlderRevision,
    RevisionRow,
};
pub use reader::{ArticleRow, SearchDoc, SourceOverview};
pub use run::{CheckUpdate, NewRevision, RunChanges};
pub use states::{ArticleStatus, EventKind};
pub use web::Neighbour;

/// What went wrong in the database.
#[derive(Debug, thiserror::Error)]
#[error("database {path}: {source}")]
pub struct StoreError {
    pub path: PathBuf,
    #[source]
    pub source: DbError,
}

/// The database engine's own error, in words; no engine type leaks out of `store`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    message: String,
    kind: DbErrorKind,
}

/// What kind of failure a database error is, as the driver needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// The file is not a database, or its contents are damaged: move it aside and rebuild.
    Corrupt,
    /// Out of space, or an input/output error of the disk.
    Storage,
    Other,
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        use rusqlite::ErrorCode as C;
        let kind = match e.sqlite_error_code() {
            Some(C::NotADatabase | C::DatabaseCorrupt) => DbErrorKind::Corrupt,
            Some(C::DiskFull | C::SystemIoFailure) => DbErrorKind::Storage,
            _ => DbErrorKind::Other,
        };
        let message = match kind {
            DbErrorKind::Corrupt => format!("the database is damaged ({e})"),
            _ => e.to_string(),
        };
        DbError { message, kind }
    }
}

impl StoreError {
    /// What kind of failure this is.
    pub fn kind(&self) -> DbErrorKind {
        self.source.kind
    }

    /// An error injected by a failpoint (tests only): `ENOSPC` or `EIO` on a commit.
    #[cfg_attr(not(feature = "failpoints"), allow(dead_code))]
    fn injected(path: &Path, what: &str) -> StoreError {
        StoreError {
            path: path.to_path_buf(),
            source: DbError {
                message: format!("disk I/O error: {what} (injected)"),
                kind: DbErrorKind::Storage,
            },
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// The schema, one entry per version; `PRAGMA user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE feeds (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_ok_ms INTEGER,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    last_attempt_ms INTEGER,
    next_at_ms INTEGER
);
CREATE TABLE articles (
    pk INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    id INTEGER NOT NULL,
    path TEXT NOT NULL,
    guid TEXT,
    link TEXT NOT NULL,
    canon TEXT,
    title TEXT NOT NULL,
    norm_title TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    UNIQUE (source, id)
);
CREATE UNIQUE INDEX articles_path ON articles (source, path);
CREATE INDEX articles_guid ON articles (source, guid) WHERE guid IS NOT NULL;
CREATE INDEX articles_canon ON articles (source, canon) WHERE canon IS NOT NULL;
CREATE INDEX articles_title ON articles (source, norm_title, published_ms);
CREATE TABLE revisions (
    article INTEGER NOT NULL REFERENCES articles (pk),
    n INTEGER NOT NULL,
    seen_ms INTEGER NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (article, n)
) WITHOUT ROWID;
CREATE TABLE pending_files (path TEXT PRIMARY KEY) WITHOUT ROWID;
"#,
    r#"
-- 1: the file is kept byte for byte as it was found (an imported layout newsmirror does not
-- write); rendering leaves it alone until a new revision arrives.
ALTER TABLE articles ADD COLUMN verbatim INTEGER NOT NULL DEFAULT 0;
-- Entries of list files whose article file is not in the archive (a partial checkout of an
-- older mirror): kept so that the list renders as it was.
CREATE TABLE list_extras (
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    id INTEGER,
    line TEXT NOT NULL,
    PRIMARY KEY (source, path)
) WITHOUT ROWID;
"#,
    r#"
-- Revisions: a hash of the normalized text, to tell an edit from noise.
ALTER TABLE revisions ADD COLUMN hash TEXT;
-- Rechecks of the article page: removals and restorations.
ALTER TABLE articles ADD COLUMN status TEXT NOT NULL DEFAULT 'live';
ALTER TABLE articles ADD COLUMN status_ms INTEGER;
ALTER TABLE articles ADD COLUMN checked_ms INTEGER;
ALTER TABLE articles ADD COLUMN missing_since_ms INTEGER;
ALTER TABLE articles ADD COLUMN page_etag TEXT;
ALTER TABLE articles ADD COLUMN page_last_modified TEXT;
CREATE INDEX articles_first_seen ON articles (first_seen_ms);
CREATE TABLE events (
    pk INTEGER PRIMARY KEY,
    article INTEGER NOT NULL REFERENCES articles (pk),
    kind TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    revision INTEGER
);
CREATE INDEX events_at ON events (at_ms);
CREATE INDEX events_article ON events (article);
"#,
    r#"
-- 3: readers. Lists newest first, paged, need publication order per source and overall.
CREATE INDEX articles_pub ON articles (source, published_ms, id);
CREATE INDEX articles_pub_all ON articles (published_ms, id);
-- Articles whose search document is stale: every new revision and every change of status
-- queues its article; the search index drains the queue after it has committed.
CREATE TABLE search_queue (article INTEGER PRIMARY KEY);
INSERT INTO search_queue (article) SELECT pk FROM articles;
CREATE TRIGGER search_queue_revision AFTER INSERT ON revisions BEGIN
    INSERT OR IGNORE INTO search_queue (article) VALUES (new.article);
END;
CREATE TRIGGER search_queue_status AFTER UPDATE OF status ON articles
    WHEN old.status IS NOT new.status BEGIN
    INSERT OR IGNORE INTO search_queue (article) VALUES (new.pk);
END;
"#,
    r#"
-- 4: identity keys and the commit protocol (issue 11). `guid` and `canon` hold a key only
-- while it is an identity (NULL for a guid or link found shared by distinct articles), so
-- that a backend can make them unique per source. `text_key` identifies items known by their
-- text alone; `feed_hash` is the feed item as last seen (an unchanged item costs nothing);
-- `from_page` marks full text taken from the article's page, never replaced by a teaser.
ALTER TABLE articles ADD COLUMN text_key TEXT;
ALTER TABLE articles ADD COLUMN enclosure TEXT;
ALTER TABLE articles ADD COLUMN feed_hash TEXT;
ALTER TABLE revisions ADD COLUMN from_page INTEGER NOT NULL DEFAULT 0;
CREATE INDEX articles_text ON articles (source, text_key) WHERE text_key IS NOT NULL;
DROP TABLE pending_files;
"#,
    r#"
-- 5: enclosures and media of articles (podcast audio, media:content, thumbnails), as their
-- feeds gave them, in feed order.
CREATE TABLE enclosures (
    article INTEGER NOT NULL REFERENCES articles (pk) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    url TEXT NOT NULL,
    mime_type TEXT,
    length INTEGER,
    title TEXT,
    description TEXT,
    kind TEXT NOT NULL,
    PRIMARY KEY (article, n)
) WITHOUT ROWID;
"#,
];

impl Store {
    /// Opens (creating when missing) the database at `path`. The second value is true when
    /// the database did not exist before, so the caller knows to rebuild it from the files.
    pub fn open(path: &Path) -> Result<(Store, bool)> {
        let err = |source: rusqlite::Error| StoreError {
            path: path.to_path_buf(),
            source: source.into(),
        };
        let created = !path.exists();
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16000;",
        )
        .map_err(err)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        store
            .conn
            .execute_batch(reader::READER_SCHEMA)
            .map_err(|e| store.err(e))?;
        Ok((store, created))
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.clone(),
            source: source.into(),
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(|e| StoreError {
                path: self.path.clone(),
                source: e.into(),
            })?;
            tx.execute_batch(sql)
                .and_then(|_| tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)))
                .and_then(|_| tx.commit())
                .map_err(|e| StoreError {
                    path: self.path.clone(),
                    source: e.into(),
                })?;
        }
        Ok(())
    }

    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Sets (or, with `None`, removes) a value in the `meta` table, committed at once.
    pub fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, v],
            ),
            None => self.conn.execute("DELETE FROM meta WHERE key = ?1", [key]),
        }
        .map(|_| ())
        .map_err(|e| self.err(e))
    }

    /// `PRAGMA integrity_check`: `Ok(())` or the problems SQLite found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| self.err(e))?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }
}
