//! A source as a whole: the newest articles of several sources, and forgetting a source
//! (`sources remove --purge`).

use super::{ArticleRow, Result, Store};

impl Store {
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

    /// Forgets every record of source `slug` (articles, revisions, events, feed states, list
    /// entries, its search queue), in one transaction. Returns how many articles it held.
    pub fn delete_source(&mut self, slug: &str) -> Result<usize> {
        let path = self.path.clone();
        let err = |source: rusqlite::Error| super::StoreError {
            path: path.clone(),
            source: source.into(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        let of_source = "(SELECT pk FROM articles WHERE source = ?1)";
        for sql in [
            format!("DELETE FROM events WHERE article IN {of_source}"),
            format!("DELETE FROM revisions WHERE article IN {of_source}"),
            format!("DELETE FROM search_queue WHERE article IN {of_source}"),
            format!("DELETE FROM enclosures WHERE article IN {of_source}"),
            "DELETE FROM list_extras WHERE source = ?1".to_string(),
            "DELETE FROM feeds WHERE source = ?1".to_string(),
        ] {
            tx.execute(&sql, [slug]).map_err(err)?;
        }
        let n = tx
            .execute("DELETE FROM articles WHERE source = ?1", [slug])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n)
    }
}
