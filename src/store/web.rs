//! What the reader's pages need besides lists: an article's neighbours in its source's list,
//! and whether the database changed since a cache was filled.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

/// An article beside another in a source's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub id: i64,
    pub title: String,
}

impl Store {
    /// The articles just before (newer) and just after (older) the one published at
    /// `published_ms` with `id`, in the list order of `source` (newest publication first,
    /// then highest id): the order of [`Store::newest_rows`].
    pub fn neighbours(
        &self,
        source: &str,
        published_ms: i64,
        id: i64,
    ) -> Result<(Option<Neighbour>, Option<Neighbour>)> {
        let one = |sql: &str| -> Result<Option<Neighbour>> {
            self.conn
                .prepare_cached(sql)
                .and_then(|mut st| {
                    st.query_row(params![source, published_ms, id], |r| {
                        Ok(Neighbour {
                            id: r.get(0)?,
                            title: r.get(1)?,
                        })
                    })
                    .optional()
                })
                .map_err(|e| self.err(e))
        };
        let newer = one("SELECT id, title FROM articles WHERE source = ?1
             AND (published_ms > ?2 OR (published_ms = ?2 AND id > ?3))
             ORDER BY published_ms, id LIMIT 1")?;
        let older = one("SELECT id, title FROM articles WHERE source = ?1
             AND (published_ms < ?2 OR (published_ms = ?2 AND id < ?3))
             ORDER BY published_ms DESC, id DESC LIMIT 1")?;
        Ok((newer, older))
    }

    /// A number that changes whenever another connection (another process: `update`,
    /// `recheck`) commits to the database: caches of what was read are stale then.
    pub fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
