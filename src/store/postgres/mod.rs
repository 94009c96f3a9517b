//! The PostgreSQL engine: the database of a cluster (several workers, one publisher), where
//! it is the truth and the files are rendered from it.
//!
//! A synchronous client (the `postgres` crate over tokio-postgres, its own small runtime per
//! connection): every call blocks its thread, so async code makes them through
//! `store::blocking` or `spawn_blocking` (the client panics on a runtime's thread). Statements
//! are prepared once per connection. A lost connection (the server restarted) fails the call
//! in flight with `DbErrorKind::Unavailable`; the next call connects again. No postgres type
//! leaves this module.
//!
//! Text that lists are ordered by (paths, slugs, URLs) is compared byte for byte (`COLLATE
//! "C"`), whatever the database's locale: the lists come out as SQLite writes them.

mod articles;
mod cluster;
mod feeds;
mod history;
mod reader;
mod run;
mod schema;

use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::sync::{Mutex, MutexGuard};

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Statement};

use super::{ArticleStatus, Backend, DbError, DbErrorKind, Engine, EventKind, Result, StoreError};

/// An open PostgreSQL database (one connection).
pub struct PgStore {
    conn: Mutex<Conn>,
    at: String,
}

/// The connection and its prepared statements.
pub(super) struct Conn {
    /// Closed by [`close`] (see there), never by a plain drop.
    client: ManuallyDrop<Client>,
    url: String,
    stmts: HashMap<String, Statement>,
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`: addresses in messages
/// never show a password.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(a PostgreSQL address that is not a URL)".to_string(),
    }
}

/// Whether `url` is a PostgreSQL address newsmirror can use (`postgres://…`); why not.
pub fn check_url(url: &str) -> std::result::Result<(), String> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err("it does not start with postgres://".into());
    }
    url.parse::<postgres::Config>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn connect(url: &str) -> std::result::Result<Client, postgres::Error> {
    let mut config: postgres::Config = url.parse()?;
    // As libpq: a password kept out of the URL (and out of the config file).
    if config.get_password().is_none()
        && let Ok(p) = std::env::var("PGPASSWORD")
    {
        config.password(p);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.application_name("newsmirror");
    config.connect(NoTls)
}

/// Turns a driver error into the store's words and kind.
pub(super) fn db_error(e: &postgres::Error) -> DbError {
    let kind = match e.code().map(|c| c.code()) {
        // unique_violation, serialization_failure, deadlock_detected
        Some("23505" | "40001" | "40P01") => DbErrorKind::Conflict,
        // disk_full, insufficient_resources, out_of_memory, io_error
        Some("53100" | "53000" | "53200" | "58030") => DbErrorKind::Storage,
        // admin_shutdown, crash_shutdown, cannot_connect_now, connection_failure
        Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006") => DbErrorKind::Unavailable,
        Some(_) => DbErrorKind::Other,
        None => DbErrorKind::Unavailable,
    };
    let message = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut m = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                let t = s.to_string();
                if !m.contains(&t) {
                    m.push_str(": ");
                    m.push_str(&t);
                }
                src = s.source();
            }
            format!("cannot reach the server: {m}")
        }
    };
    DbError { message, kind }
}

impl PgStore {
    /// Connects to `url` and brings the schema up to date (one process at a time). The second
    /// value is true when the schema was just made.
    pub fn open(url: &str) -> Result<(PgStore, bool)> {
        let at = redacted(url);
        let err = |e: postgres::Error| StoreError {
            at: at.clone(),
            source: db_error(&e),
        };
        let mut client = connect(url).map_err(err)?;
        let created = schema::migrate(&mut client).map_err(|e| match e {
            schema::MigrateError::Db(e) => err(e),
            schema::MigrateError::NoSchema => StoreError::new(
                &at,
                DbErrorKind::Other,
                "no schema to create tables in: the connection's search_path names a schema \
                 that does not exist (create it, or leave search_path alone for `public`)",
            ),
        })?;
        Ok((
            PgStore {
                conn: Mutex::new(Conn {
                    client: ManuallyDrop::new(client),
                    url: url.to_string(),
                    stmts: HashMap::new(),
                }),
                at,
            },
            created,
        ))
    }

    fn err(&self, e: postgres::Error) -> StoreError {
        StoreError {
            at: self.at.clone(),
            source: db_error(&e),
        }
    }

    /// The connection, connected again first when it was lost.
    fn conn(&self) -> Result<MutexGuard<'_, Conn>> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if c.client.is_closed() {
            tracing::warn!("database {}: connection lost; connecting again", self.at);
            let client = connect(&c.url).map_err(|e| self.err(e))?;
            close(ManuallyDrop::into_inner(std::mem::replace(
                &mut c.client,
                ManuallyDrop::new(client),
            )));
            c.stmts.clear();
        }
        Ok(c)
    }

    /// Runs `f` with the connection; driver errors become store errors.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut c = self.conn()?;
        f(&mut c).map_err(|e| self.err(e))
    }

    /// Runs `f` inside a transaction (committed when it returns `Ok`).
    fn in_tx<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> std::result::Result<T, TxError>,
    ) -> Result<T> {
        let mut c = self.conn()?;
        let Conn { client, stmts, .. } = &mut *c;
        let run = || -> std::result::Result<T, TxError> {
            let tx = client.transaction()?;
            let mut tx = Tx { tx, stmts };
            let out = f(&mut tx)?;
            tx.tx.commit()?;
            Ok(out)
        };
        run().map_err(|e| match e {
            TxError::Db(e) => self.err(e),
            TxError::Store(kind, why) => StoreError::new(&self.at, kind, why),
        })
    }
}

/// A failure inside a transaction: the driver's, or the store's own (a version moved).
pub(super) enum TxError {
    Db(postgres::Error),
    Store(DbErrorKind, String),
}

impl From<postgres::Error> for TxError {
    fn from(e: postgres::Error) -> TxError {
        TxError::Db(e)
    }
}

/// A transaction with the connection's prepared statements.
pub(super) struct Tx<'a> {
    tx: postgres::Transaction<'a>,
    stmts: &'a mut HashMap<String, Statement>,
}

fn prepared(
    stmts: &mut HashMap<String, Statement>,
    client: &mut impl GenericClient,
    sql: &str,
) -> std::result::Result<Statement, postgres::Error> {
    if let Some(s) = stmts.get(sql) {
        return Ok(s.clone());
    }
    let s = client.prepare(sql)?;
    stmts.insert(sql.to_string(), s.clone());
    Ok(s)
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Conn {
    pub(super) fn query(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<Vec<Row>, postgres::Error> {
        let st = prepared(&mut self.stmts, &mut *self.client, sql)?;
        self.client.query(&st, p)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<Option<Row>, postgres::Error> {
        let st = prepared(&mut self.stmts, &mut *self.client, sql)?;
        self.client.query_opt(&st, p)
    }

    pub(super) fn query_one(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<Row, postgres::Error> {
        let st = prepared(&mut self.stmts, &mut *self.client, sql)?;
        self.client.query_one(&st, p)
    }

    pub(super) fn execute(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<u64, postgres::Error> {
        let st = prepared(&mut self.stmts, &mut *self.client, sql)?;
        self.client.execute(&st, p)
    }
}

impl Tx<'_> {
    pub(super) fn query(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<Vec<Row>, postgres::Error> {
        let st = prepared(self.stmts, &mut self.tx, sql)?;
        self.tx.query(&st, p)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<Option<Row>, postgres::Error> {
        let st = prepared(self.stmts, &mut self.tx, sql)?;
        self.tx.query_opt(&st, p)
    }

    pub(super) fn query_one(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<Row, postgres::Error> {
        let st = prepared(self.stmts, &mut self.tx, sql)?;
        self.tx.query_one(&st, p)
    }

    pub(super) fn execute(
        &mut self,
        sql: &str,
        p: Params<'_>,
    ) -> std::result::Result<u64, postgres::Error> {
        let st = prepared(self.stmts, &mut self.tx, sql)?;
        self.tx.execute(&st, p)
    }
}

/// An `ArticleStatus` column.
pub(super) fn status(r: &Row, i: usize) -> std::result::Result<ArticleStatus, postgres::Error> {
    let s: String = r.try_get(i)?;
    Ok(ArticleStatus::parse(&s).unwrap_or(ArticleStatus::Live))
}

/// An `EventKind` column.
pub(super) fn event_kind(r: &Row, i: usize) -> std::result::Result<EventKind, postgres::Error> {
    let s: String = r.try_get(i)?;
    Ok(EventKind::parse(&s).unwrap_or(EventKind::Edited))
}

/// The database's clock in milliseconds, as SQL.
pub(super) const NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

impl Backend for PgStore {
    fn at(&self) -> &str {
        &self.at
    }

    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.with(|c| {
            Ok(
                c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)),
            )
        })
    }

    fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.with(|c| {
            match value {
                Some(v) => c.execute(
                    "INSERT INTO meta (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&key, &v],
                ),
                None => c.execute("DELETE FROM meta WHERE key = $1", &[&key]),
            }
            .map(|_| ())
        })
    }

    fn integrity_check(&self) -> Result<Vec<String>> {
        // The server keeps its own files whole; what can be checked here is what the schema
        // cannot say: every article has a revision.
        self.with(|c| {
            let rows = c.query(
                "SELECT a.source, a.id FROM articles a
                 WHERE NOT EXISTS (SELECT 1 FROM revisions r WHERE r.article = a.pk)
                 ORDER BY a.source, a.id LIMIT 100",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| {
                    format!(
                        "article {}/{} has no revision",
                        r.get::<_, String>(0),
                        r.get::<_, i64>(1)
                    )
                })
                .collect())
        })
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        let c = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        // SAFETY: the client is taken once, here, and never used after.
        close(unsafe { ManuallyDrop::take(&mut c.client) });
    }
}

/// Closes a client. The client closes through its own small runtime, which panics on a
/// thread that drives a tokio runtime (a store dropped in async code): there it closes on a
/// thread of its own.
fn close(client: Client) {
    if tokio::runtime::Handle::try_current().is_err() {
        drop(client);
    } else {
        let _ = std::thread::spawn(move || drop(client)).join();
    }
}
