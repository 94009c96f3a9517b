//! Identity evidence kept in committed files, so that a database rebuilt from the files (a
//! fresh runner, a crash between the files and the commit) decides identity exactly as the
//! database that archived the articles: what an article file cannot hold (the item's guid, the
//! hash of the feed item as last seen, whether the text came from the article's page, the
//! enclosure, whether the link was shared by other items) is a line of the history journal
//! (`changes/<yyyy>-<mm>.jsonl`) beside the events:
//!
//! ```text
//! {"at":1718801223000,"kind":"archived","path":"articles/dw/1048574.md","guid":"g1","feed":"9f…","page":true}
//! {"at":1718887623000,"kind":"seen","path":"articles/dw/1048574.md","feed":"3c…"}
//! ```
//!
//! `archived` is written with a new article, `seen` when the feed item of an archived article
//! changed (an edit, or a changed teaser of an article whose text came from its page). Read
//! back in file order, the last word on each field wins. The article file format is unchanged.

use std::collections::HashMap;

use crate::store::ArticleRecord;

/// What a journal line of evidence says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    /// A new article: every identity key it was archived with.
    Archived,
    /// The feed item of an archived article changed: its new hash (and where the newest text
    /// came from, when that changed).
    Seen,
}

/// One line of identity evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub at: i64,
    pub kind: EvidenceKind,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The guid is the article's link as its file writes it (the common case: a line
    /// shorter by the link's length).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guid_is_link: bool,
    /// The hash of the feed item (`text::content_hash` of its title and content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enclosure: Option<String>,
    /// The newest text came from the article's page (`None` in `seen`: unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<bool>,
    /// The link was carried by other articles too: it identifies none of them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_link: bool,
}

/// The identity keys of one article, from its evidence lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub guid: Option<String>,
    pub guid_is_link: bool,
    pub feed: Option<String>,
    pub enclosure: Option<String>,
    pub page: bool,
    pub shared_link: bool,
    /// When the article was archived (its `archived` line's time): its first sighting.
    pub archived_at: Option<i64>,
}

impl Evidence {
    /// The evidence of a new article.
    pub fn archived(rec: &ArticleRecord, at: i64) -> Evidence {
        let has_canon = url::Url::parse(&rec.link).is_ok();
        let guid_is_link = rec.guid.as_deref() == Some(rec.link.as_str());
        Evidence {
            at,
            kind: EvidenceKind::Archived,
            path: rec.path.clone(),
            guid: rec.guid.clone().filter(|_| !guid_is_link),
            guid_is_link,
            feed: rec.feed_hash.clone(),
            enclosure: rec.enclosure.clone(),
            page: rec.from_page.then_some(true),
            shared_link: has_canon && rec.canon.is_none(),
        }
    }

    /// The evidence of an archived article whose feed item changed.
    pub fn seen(path: &str, feed: &str, page: Option<bool>, at: i64) -> Evidence {
        Evidence {
            at,
            kind: EvidenceKind::Seen,
            path: path.to_string(),
            guid: None,
            guid_is_link: false,
            feed: Some(feed.to_string()),
            enclosure: None,
            page,
            shared_link: false,
        }
    }
}

/// The identity keys of every article with evidence, from journal lines in file order (lines
/// that are not evidence are skipped).
pub fn known_from_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> HashMap<String, Known> {
    let mut out: HashMap<String, Known> = HashMap::new();
    for line in lines {
        if !line.contains("\"kind\":\"archived\"") && !line.contains("\"kind\":\"seen\"") {
            continue;
        }
        let Ok(e) = serde_json::from_str::<Evidence>(line) else {
            continue;
        };
        let k = out.entry(e.path).or_default();
        match e.kind {
            EvidenceKind::Archived => {
                *k = Known {
                    guid: e.guid,
                    guid_is_link: e.guid_is_link,
                    feed: e.feed,
                    enclosure: e.enclosure,
                    page: e.page.unwrap_or(false),
                    shared_link: e.shared_link,
                    archived_at: Some(e.at),
                };
            }
            EvidenceKind::Seen => {
                if e.feed.is_some() {
                    k.feed = e.feed;
                }
                if let Some(p) = e.page {
                    k.page = p;
                }
            }
        }
    }
    out
}

/// Gives a record read from its file the identity keys its evidence holds.
pub fn apply(rec: &mut ArticleRecord, known: &Known) {
    rec.guid = if known.guid_is_link {
        Some(rec.link.clone())
    } else {
        known.guid.clone()
    };
    rec.feed_hash = known.feed.clone();
    rec.from_page = known.page;
    if known.enclosure.is_some() {
        rec.enclosure = known.enclosure.clone();
        if rec.text_key.is_none() {
            rec.text_key = super::select::enclosure_key(rec.enclosure.as_deref());
        }
    }
    if known.shared_link {
        rec.canon = None;
    }
    // The file only holds the publication date; the evidence holds when it was archived.
    if let Some(at) = known.archived_at.filter(|&at| at > 0) {
        rec.first_seen_ms = at;
    }
}

/// Gives the record of a damaged article file (not in any known layout: it only reserves its
/// id) what its evidence says of the item, so that the item is known by its guid and not
/// archived again under a new id. A guid that was the article's link is lost with the link.
pub fn apply_to_damaged(rec: &mut ArticleRecord, known: &Known) {
    if !known.guid_is_link {
        rec.guid = known.guid.clone();
    }
    rec.feed_hash = known.feed.clone();
    rec.from_page = known.page;
    if let Some(at) = known.archived_at.filter(|&at| at > 0) {
        rec.first_seen_ms = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_on_each_field_wins() {
        let lines = [
            r#"{"at":1,"kind":"archived","path":"a","guid":"g","feed":"f1","page":true,"shared_link":true}"#,
            r#"{"at":2,"kind":"edited","path":"a","revision":2}"#,
            r#"{"at":3,"kind":"seen","path":"a","feed":"f2"}"#,
            r#"not json"#,
            r#"{"at":4,"kind":"archived","path":"b"}"#,
        ];
        let k = known_from_lines(lines);
        assert_eq!(
            k["a"],
            Known {
                guid: Some("g".into()),
                guid_is_link: false,
                feed: Some("f2".into()),
                enclosure: None,
                page: true,
                shared_link: true,
                archived_at: Some(1),
            }
        );
        assert_eq!(
            k["b"],
            Known {
                archived_at: Some(4),
                ..Known::default()
            }
        );
    }

    #[test]
    fn lines_round_trip() {
        let e = Evidence::seen("articles/s/1.md", "abc", Some(false), 7);
        let line = serde_json::to_string(&e).unwrap();
        assert_eq!(
            line,
            r#"{"at":7,"kind":"seen","path":"articles/s/1.md","feed":"abc","page":false}"#
        );
        assert_eq!(serde_json::from_str::<Evidence>(&line).unwrap(), e);
    }
}
