//! `export --format jsonl`: one JSON object per article per line, for researchers.

use serde::Serialize;

use crate::store::{EnclosureRow, ExportedArticle};

#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    id: i64,
    path: &'a str,
    title: &'a str,
    link: &'a str,
    guid: Option<&'a str>,
    /// RFC 3339, UTC.
    published: String,
    first_seen: String,
    /// The newest revision's content, as received.
    content: &'a str,
    /// Every revision, oldest first; present when there is more than one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    revisions: Vec<Revision<'a>>,
    /// Enclosures and media, in feed order; present when there are any.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    enclosures: &'a [EnclosureRow],
}

#[derive(Serialize)]
struct Revision<'a> {
    n: i64,
    seen: String,
    title: &'a str,
    content: &'a str,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One JSON line (without its newline).
pub fn jsonl_line(a: &ExportedArticle, enclosures: &[EnclosureRow]) -> String {
    let newest = a.revisions.last();
    let line = Line {
        source: &a.source,
        id: a.id,
        path: &a.path,
        title: newest.map_or(a.title.as_str(), |r| r.title.as_str()),
        link: &a.link,
        guid: a.guid.as_deref(),
        published: rfc3339(a.published_ms),
        first_seen: rfc3339(a.first_seen_ms),
        content: newest.map_or("", |r| r.content.as_str()),
        revisions: if a.revisions.len() > 1 {
            a.revisions
                .iter()
                .map(|r| Revision {
                    n: r.n,
                    seen: rfc3339(r.seen_ms),
                    title: &r.title,
                    content: &r.content,
                })
                .collect()
        } else {
            Vec::new()
        },
        enclosures,
    };
    serde_json::to_string(&line).expect("plain data serializes")
}
