//! The SQLite engine: one file under `<archive>/.newsmirror/`, schema migrations by
//! `PRAGMA user_version`. No rusqlite type leaves this module.

mod articles;
mod cluster;
mod feeds;
mod history;
mod reader;
mod run;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::{ArticleStatus, Backend, DbError, DbErrorKind, Engine, EventKind, Result, StoreError};

/// An open SQLite database.
pub struct SqliteStore {
    conn: Connection,
    at: String,
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        use rusqlite::ErrorCode as C;
        let kind = match e.sqlite_error_code() {
            Some(C::NotADatabase | C::DatabaseCorrupt) => DbErrorKind::Corrupt,
            Some(C::DiskFull | C::SystemIoFailure) => DbErrorKind::Storage,
            Some(C::ConstraintViolation) => DbErrorKind::Conflict,
            _ => DbErrorKind::Other,
        };
        let message = match kind {
            DbErrorKind::Corrupt => format!("the database is damaged ({e})"),
            _ => e.to_string(),
        };
        DbError { message, kind }
    }
}

impl rusqlite::types::FromSql for ArticleStatus {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        ArticleStatus::parse(s).ok_or_else(|| rusqlite::types::FromSqlError::Other(s.into()))
    }
}

impl rusqlite::types::FromSql for EventKind {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        EventKind::parse(s).ok_or_else(|| rusqlite::types::FromSqlError::Other(s.into()))
    }
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
    r#"
-- 6: several writers and followers (issue 14). An identity key shared by two articles of a
-- source identifies only the first archived (the highest id: ids count down); the others keep
-- it NULL, so that guid and canonical link are unique per source; each
-- source's version moves with every commit that adds or changes its articles (a run's choices
-- hold only against the version it read); claims with leases; the change log that search
-- indexes and the publisher follow by their own cursors (one entry per article: its latest
-- change); journal and images, kept here when the database is the truth.
UPDATE articles SET guid = NULL WHERE guid IS NOT NULL AND EXISTS (SELECT 1 FROM articles b
    WHERE b.source = articles.source AND b.guid = articles.guid AND b.id > articles.id);
UPDATE articles SET canon = NULL WHERE canon IS NOT NULL AND EXISTS (SELECT 1 FROM articles b
    WHERE b.source = articles.source AND b.canon = articles.canon AND b.id > articles.id);
DROP INDEX articles_guid;
DROP INDEX articles_canon;
CREATE UNIQUE INDEX articles_guid ON articles (source, guid) WHERE guid IS NOT NULL;
CREATE UNIQUE INDEX articles_canon ON articles (source, canon) WHERE canon IS NOT NULL;
CREATE TABLE sources (
    slug TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    lease_until_ms INTEGER
) WITHOUT ROWID;
ALTER TABLE articles ADD COLUMN check_worker TEXT;
ALTER TABLE articles ADD COLUMN check_lease_ms INTEGER;
DROP TRIGGER IF EXISTS search_queue_revision;
DROP TRIGGER IF EXISTS search_queue_status;
DROP TABLE search_queue;
CREATE TABLE article_changes (article INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX article_changes_seq ON article_changes (seq);
INSERT INTO article_changes (article, seq) SELECT pk, pk FROM articles;
CREATE TRIGGER article_changes_status AFTER UPDATE OF status ON articles
    WHEN old.status IS NOT new.status BEGIN
    INSERT OR REPLACE INTO article_changes (article, seq)
        VALUES (new.pk, (SELECT COALESCE(MAX(seq), 0) + 1 FROM article_changes));
END;
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    revision INTEGER
);
CREATE INDEX journal_at ON journal (at_ms);
CREATE TABLE assets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    bytes BLOB NOT NULL
);
INSERT OR REPLACE INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(16))));
"#,
];

impl SqliteStore {
    /// Opens (creating when missing) the database at `path`. The second value is true when
    /// the database did not exist before, so the caller knows to rebuild it from the files.
    pub fn open(path: &Path) -> Result<(SqliteStore, bool)> {
        let at = path.display().to_string();
        let err = |source: rusqlite::Error| StoreError {
            at: at.clone(),
            source: source.into(),
        };
        let created = !path.exists();
        let conn = Connection::open(path).map_err(&err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16000;",
        )
        .map_err(&err)?;
        let mut store = SqliteStore {
            conn,
            at: at.clone(),
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
            at: self.at.clone(),
            source: source.into(),
        }
    }

    /// A closure turning engine errors into [`StoreError`]s, for use while a transaction
    /// borrows the connection.
    fn errs(&self) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
        let at = self.at.clone();
        move |source| StoreError {
            at: at.clone(),
            source: source.into(),
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let err = self.errs();
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(&err)?;
            tx.execute_batch(sql)
                .and_then(|_| tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)))
                .and_then(|_| tx.commit())
                .map_err(&err)?;
        }
        Ok(())
    }
}

impl Backend for SqliteStore {
    fn at(&self) -> &str {
        &self.at
    }

    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()> {
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

    fn integrity_check(&self) -> Result<Vec<String>> {
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
