//! Articles and their identity keys, list entries, counts: records and the interface.

use std::collections::HashSet;

use super::{Flow, Result};

/// One archived article, as the database records it.
#[derive(Debug, Clone)]
pub struct ArticleRecord {
    pub source: String,
    pub id: i64,
    /// Path below the archive, e.g. `articles/dw/1048574.md`.
    pub path: String,
    pub guid: Option<String>,
    /// The link as written in the file.
    pub link: String,
    /// The link without fragment and tracking parameters, for finding repeats.
    pub canon: Option<String>,
    /// The title as written in the file.
    pub title: String,
    /// The title as compared for repeats.
    pub norm_title: String,
    pub published_ms: i64,
    pub first_seen_ms: i64,
    /// The content as received (or as read from the file when rebuilt).
    pub content: String,
    /// The file is kept as it was found (a layout newsmirror does not write).
    pub verbatim: bool,
    /// The hash of the normalized title and content (`text::content_hash`).
    pub hash: Option<String>,
    /// The key of the normalized text (`text::text_key`), for items known by their text only.
    pub text_key: Option<String>,
    /// The enclosure's URL (podcasts), when the item had one.
    pub enclosure: Option<String>,
    /// The hash of the feed item as last seen (`None` when rebuilt from the files).
    pub feed_hash: Option<String>,
    /// The content came from the article's page (full text).
    pub from_page: bool,
    /// Older revisions (rebuilt from `revisions/`), oldest first; the record's own content is
    /// the newest.
    pub older: Vec<OldRevision>,
    /// When the newest revision was seen, if not at `first_seen_ms`.
    pub seen_ms: Option<i64>,
    /// Enclosures and media, in feed order (recorded in the same transaction).
    pub enclosures: Vec<EnclosureRow>,
}

/// An older revision of an article, read back from its file under `revisions/`.
#[derive(Debug, Clone)]
pub struct OldRevision {
    pub seen_ms: i64,
    pub title: String,
    pub content: String,
    pub hash: Option<String>,
}

/// An archived article that might be the same as a feed item (same guid, canonical link,
/// title or text), with what the identity rules compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub pk: i64,
    pub guid: Option<String>,
    pub canon: Option<String>,
    pub norm_title: String,
    pub text_key: Option<String>,
    pub enclosure: Option<String>,
    pub feed_hash: Option<String>,
    /// The newest revision: its number, hash and origin (its text: `latest_revision`).
    pub revision: i64,
    pub hash: Option<String>,
    pub from_page: bool,
}

/// What an article file is rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedArticle {
    pub path: String,
    pub published_ms: i64,
    pub title: String,
    pub link: String,
    pub content: String,
}

/// A list entry: an article, or a line kept from an imported list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub path: String,
    pub title: String,
    pub published_ms: i64,
    /// The entry's line as an imported list had it, for an article whose file is absent.
    pub line: Option<String>,
    /// The article has more than one revision.
    pub edited: bool,
    /// The article was found removed.
    pub removed: bool,
}

/// Articles per source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCount {
    pub source: String,
    pub articles: i64,
}

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

/// Articles, identity keys and lists.
pub trait Articles {
    /// The smallest id of a source, if it has any article (or list entry kept from an
    /// imported list: those articles existed, and their ids are taken).
    fn min_id(&self, source: &str) -> Result<Option<i64>>;

    /// The archived articles of `source` that share an identity key with an item: its guid,
    /// canonical link, text key, or (the newest 20) its comparable title. Each branch is
    /// answered from an index.
    fn candidates(
        &self,
        source: &str,
        guid: Option<&str>,
        canon: Option<&str>,
        norm_title: &str,
        text_key: Option<&str>,
    ) -> Result<Vec<Candidate>>;

    /// Records articles (with their revisions and enclosures) in one transaction: rebuilding
    /// from the files.
    fn insert_articles(&mut self, rows: &[ArticleRecord]) -> Result<()>;

    /// The paths of a source's articles known to the database.
    fn known_paths(&self, source: &str) -> Result<HashSet<String>>;

    /// The first `limit` entries of a source's list: articles and kept list lines, in byte
    /// order of their paths (the order of file names in a directory listing), or by id
    /// (newest first) when `by_id`. `with_marks`: fill `edited` and `removed`.
    fn list_rows(
        &self,
        source: &str,
        limit: usize,
        by_id: bool,
        with_marks: bool,
    ) -> Result<Vec<ListRow>>;

    /// Keeps list lines `(path, line)` for paths whose files are absent; returns how many
    /// were new.
    fn insert_list_extras(&mut self, source: &str, extras: &[(String, String)]) -> Result<usize>;

    /// Every article newsmirror renders itself (not kept verbatim), with its newest revision.
    fn scan_rendered_articles(&self, f: &mut dyn FnMut(RenderedArticle) -> Flow) -> Result<()>;

    /// The rendered article of each of `pks` that newsmirror renders itself.
    fn rendered_articles(&self, pks: &[i64]) -> Result<Vec<RenderedArticle>>;

    /// Article counts of every source that has articles.
    fn counts(&self) -> Result<Vec<SourceCount>>;

    /// The enclosures of the article at `path` of `source`, in feed order.
    fn enclosures_at(&self, source: &str, path: &str) -> Result<Vec<EnclosureRow>>;
    /// The enclosures of article `pk` (its primary key), in feed order.
    fn enclosures(&self, pk: i64) -> Result<Vec<EnclosureRow>>;

    /// Forgets every record of source `slug` (articles, revisions, events, enclosures, feed
    /// states, list entries), in one transaction. Returns how many articles it held.
    fn delete_source(&mut self, slug: &str) -> Result<usize>;
}
