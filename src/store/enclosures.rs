//! Enclosures and media of articles (podcast audio, video, pictures), as their feeds gave
//! them: kept beside the articles, listed for export and for the reader's article page.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

/// One enclosure of an article, in feed order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnclosureRow {
    /// Absolute URL.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Bytes, as the feed said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `enclosure` (RSS enclosure, Atom `rel="enclosure"`, JSON Feed attachment), `media`
    /// (`media:content`) or `thumbnail` (`media:thumbnail`, `itunes:image`, JSON Feed image).
    pub kind: String,
}

/// Records an article's enclosures (inside the transaction that inserts the article).
pub(super) fn insert_in(
    tx: &rusqlite::Transaction<'_>,
    article: i64,
    rows: &[EnclosureRow],
) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut ins = tx.prepare_cached(
        "INSERT OR REPLACE INTO enclosures (article, n, url, mime_type, length, title, description, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (n, e) in rows.iter().enumerate() {
        ins.execute(params![
            article,
            n as i64,
            e.url,
            e.mime_type,
            e.length,
            e.title,
            e.description,
            e.kind
        ])?;
    }
    Ok(())
}

impl Store {
    /// The enclosures of an article, in feed order.
    pub fn enclosures(&self, article_pk: i64) -> Result<Vec<EnclosureRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT url, mime_type, length, title, description, kind FROM enclosures
                 WHERE article = ?1 ORDER BY n",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([article_pk], |r| {
            Ok(EnclosureRow {
                url: r.get(0)?,
                mime_type: r.get(1)?,
                length: r.get(2)?,
                title: r.get(3)?,
                description: r.get(4)?,
                kind: r.get(5)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// The enclosures of the article at `path` of `source`.
    pub fn enclosures_at(&self, source: &str, path: &str) -> Result<Vec<EnclosureRow>> {
        let pk: Option<i64> = self
            .conn
            .query_row(
                "SELECT pk FROM articles WHERE source = ?1 AND path = ?2",
                params![source, path],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match pk {
            Some(pk) => self.enclosures(pk),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ArticleRecord;

    #[test]
    fn stored_with_their_article_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let row = |url: &str, kind: &str| EnclosureRow {
            url: url.into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(5),
            title: None,
            description: Some("d".into()),
            kind: kind.into(),
        };
        let enclosures = vec![
            row("https://x.example/b.mp3", "enclosure"),
            row("https://x.example/a.jpg", "thumbnail"),
        ];
        store
            .insert_articles(&[ArticleRecord {
                source: "s".into(),
                id: 1,
                path: "articles/s/1.md".into(),
                guid: None,
                link: "https://x.example/1".into(),
                canon: None,
                title: "t".into(),
                norm_title: "t".into(),
                published_ms: 0,
                first_seen_ms: 0,
                content: String::new(),
                verbatim: false,
                hash: None,
                text_key: None,
                enclosure: None,
                feed_hash: None,
                from_page: false,
                older: Vec::new(),
                seen_ms: None,
                enclosures: enclosures.clone(),
            }])
            .unwrap();
        assert_eq!(
            store.enclosures_at("s", "articles/s/1.md").unwrap(),
            enclosures
        );
        assert!(
            store
                .enclosures_at("s", "articles/s/none.md")
                .unwrap()
                .is_empty()
        );
    }
}
