//! `[store]`: where the database is (SQLite beside the archive, or a PostgreSQL server shared
//! by workers), and how a cluster's workers and publisher pace themselves.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// `[store]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    url: Option<Spanned<String>>,
    lease: Option<Spanned<String>>,
    claim: Option<Spanned<usize>>,
    publish_every: Option<Spanned<String>>,
    pool: Option<Spanned<u32>>,
}

/// `[store]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// `postgres://user@host:port/db`: the archive lives in PostgreSQL (the database is the
    /// truth; workers fetch, a publisher renders the files). `None`: SQLite under the
    /// archive's `.newsmirror/` (the files are the truth).
    pub url: Option<String>,
    /// How long a worker holds the sources (and rechecks) it claimed without renewing them:
    /// a worker that dies gives them back after this.
    pub lease: Duration,
    /// How many sources a worker claims at once.
    pub claim: usize,
    /// How often `publish` (without `--once`) looks for what the workers committed.
    pub publish_every: Duration,
    /// The reader's (`serve`) database connections at most.
    pub pool: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            url: None,
            lease: Duration::from_secs(300),
            claim: 8,
            publish_every: Duration::from_secs(60),
            pool: 16,
        }
    }
}

impl StoreSettings {
    /// Where the database of the archive at `archive_dir` is.
    pub fn location(&self, archive_dir: &std::path::Path) -> crate::store::Location {
        match &self.url {
            Some(url) => crate::store::Location::Postgres(url.clone()),
            None => crate::store::Location::Sqlite(sqlite_path(archive_dir)),
        }
    }
}

/// The SQLite database of the archive at `archive_dir`.
pub fn sqlite_path(archive_dir: &std::path::Path) -> PathBuf {
    archive_dir
        .join(crate::archive::STATE_DIR)
        .join("newsmirror.sqlite")
}

/// Reads a duration setting by its name.
type DurationOf<'a> =
    dyn Fn(&str, &Option<Spanned<String>>) -> Result<Option<Duration>, String> + 'a;

/// Validates `[store]`; `line` gives a span's line.
pub(super) fn parse(
    raw: &RawStore,
    duration: &DurationOf<'_>,
    line: &dyn Fn(std::ops::Range<usize>) -> usize,
) -> Result<StoreSettings, String> {
    let mut s = StoreSettings::default();
    if let Some(u) = &raw.url {
        let v = u.get_ref().trim();
        crate::store::postgres::check_url(v).map_err(|why| {
            format!(
                "line {}: store.url is not a PostgreSQL address ({why}); write \
                 \"postgres://user@host:5432/database\", or leave [store] out to keep the \
                 archive in SQLite",
                line(u.span())
            )
        })?;
        s.url = Some(v.to_string());
    }
    if let Some(d) = duration("store.lease", &raw.lease)? {
        if d < Duration::from_secs(1) {
            return Err(format!(
                "line {}: store.lease must be at least 1s",
                raw.lease.as_ref().map_or(0, |l| line(l.span()))
            ));
        }
        s.lease = d;
    }
    if let Some(d) = duration("store.publish_every", &raw.publish_every)? {
        s.publish_every = d.max(Duration::from_millis(100));
    }
    if let Some(c) = &raw.claim {
        if *c.get_ref() == 0 {
            return Err(format!(
                "line {}: store.claim must be at least 1",
                line(c.span())
            ));
        }
        s.claim = *c.get_ref();
    }
    if let Some(p) = &raw.pool {
        if *p.get_ref() == 0 {
            return Err(format!(
                "line {}: store.pool must be at least 1",
                line(p.span())
            ));
        }
        s.pool = *p.get_ref();
    }
    Ok(s)
}
