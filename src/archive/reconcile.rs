//! Bringing the database in line with the files: the files are the truth.

use std::path::{Path, PathBuf};

use url::Url;

use super::{ArchiveError, comparable_title, io_err};
use crate::config::Source;
use crate::mirror;
use crate::store::{ArticleRecord, Store};

/// What a rebuild found.
#[derive(Debug, Default, Clone)]
pub struct ReconcileReport {
    /// Article files recorded that the database did not know.
    pub added: usize,
    /// Files that are not in the mirror format; left untouched, their ids still reserved.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Records every article file of the configured sources that the database does not know yet.
pub fn reconcile(
    dir: &Path,
    store: &mut Store,
    sources: &[Source],
) -> Result<ReconcileReport, ArchiveError> {
    let mut report = ReconcileReport::default();
    for source in sources {
        let folder = dir.join("articles").join(&source.slug);
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&folder)(e)),
        };
        let known = store.known_paths(&source.slug)?;
        let mut records = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(&folder))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                // A temporary file left by a run that died mid-write: never a finished article.
                if name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(entry.path());
                }
                continue;
            }
            let Some(id) = mirror::id_from_file_name(name) else {
                continue;
            };
            let rel = format!("articles/{}/{name}", source.slug);
            if known.contains(&rel) {
                continue;
            }
            let path = entry.path();
            let text = match std::fs::read(&path) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    report.unreadable.push((path, e.to_string()));
                    continue;
                }
            };
            let record = match mirror::parse_article(&text) {
                Some(p) => {
                    let ms = p.published_ms.unwrap_or(0);
                    let canon = Url::parse(&p.link).ok().map(|u| super::canonical_link(&u));
                    ArticleRecord {
                        source: source.slug.clone(),
                        id,
                        path: rel,
                        guid: None,
                        norm_title: comparable_title(&p.title),
                        title: p.title,
                        link: p.link,
                        canon,
                        published_ms: ms,
                        first_seen_ms: ms,
                        content: p.content,
                    }
                }
                None => {
                    report
                        .unreadable
                        .push((path, "not in the mirror format".to_string()));
                    ArticleRecord {
                        source: source.slug.clone(),
                        id,
                        path: rel,
                        guid: None,
                        link: String::new(),
                        canon: None,
                        title: String::new(),
                        norm_title: String::new(),
                        published_ms: 0,
                        first_seen_ms: 0,
                        content: text,
                    }
                }
            };
            records.push(record);
        }
        report.added += records.len();
        store.insert_articles(&records)?;
    }
    Ok(report)
}
