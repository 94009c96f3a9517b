//! Bringing the database in line with the files: the files are the truth.
//!
//! Reads every article file of the configured sources that the database does not know, in
//! every layout found in real mirrors (`<id>.md`, `<id>_<title>.md`, the 2020 China Digital
//! Times layout with a `日期：` line, titles over several lines, the yearly layout's year
//! folders), and the entries of list files whose articles are absent.

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
    /// List entries kept for articles whose files are absent.
    pub list_extras: usize,
    /// Files that are not in any known layout; left untouched, their ids still reserved.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Records every article file of the configured sources that the database does not know yet,
/// and the list entries of absent articles.
pub fn reconcile(
    dir: &Path,
    store: &mut Store,
    sources: &[Source],
) -> Result<ReconcileReport, ArchiveError> {
    let mut report = ReconcileReport::default();
    for source in sources {
        let folder = dir.join("articles").join(&source.folder);
        let known = store.known_paths(&source.slug)?;
        let mut records = Vec::new();
        let mut files = Vec::new();
        collect_files(&folder, &format!("articles/{}", source.folder), &mut files)?;
        for (path, rel, id) in files {
            if known.contains(&rel) {
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    report.unreadable.push((path, e.to_string()));
                    continue;
                }
            };
            let (record, readable) = record_of(source, id, rel, &bytes);
            if !readable {
                report
                    .unreadable
                    .push((path, "not in any known article layout".to_string()));
            }
            records.push(record);
        }
        report.added += records.len();
        store.insert_articles(&records)?;
        report.list_extras += keep_list_extras(dir, store, source)?;
    }
    Ok(report)
}

/// Article files below `folder` (and its year folders): (path, path below the archive, id).
fn collect_files(
    folder: &Path,
    rel: &str,
    out: &mut Vec<(PathBuf, String, i64)>,
) -> Result<(), ArchiveError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(folder)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err(folder))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            // A temporary file left by a run that died mid-write: never a finished article.
            if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
            continue;
        }
        let is_dir = entry.file_type().map_err(io_err(folder))?.is_dir();
        if is_dir && name.len() == 4 && name.chars().all(|c| c.is_ascii_digit()) {
            collect_files(&entry.path(), &format!("{rel}/{name}"), out)?;
        } else if !is_dir && let Some(id) = mirror::id_from_file_name(name) {
            out.push((entry.path(), format!("{rel}/{name}"), id));
        }
    }
    Ok(())
}

/// The record of an article file, and whether it is in a known layout (when not, the record
/// only reserves the id).
fn record_of(source: &Source, id: i64, rel: String, bytes: &[u8]) -> (ArticleRecord, bool) {
    let text = String::from_utf8_lossy(bytes);
    let Some(p) = mirror::parse_article(&text) else {
        let title = rel
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".md"))
            .and_then(|n| n.split_once('_'))
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        let rec = ArticleRecord {
            source: source.slug.clone(),
            id,
            path: rel,
            guid: None,
            link: String::new(),
            canon: None,
            norm_title: comparable_title(&title),
            title,
            published_ms: 0,
            first_seen_ms: 0,
            content: text.into_owned(),
            verbatim: true,
            hash: None,
        };
        return (rec, false);
    };
    let ms = p.published_ms.unwrap_or(0);
    // Files that newsmirror would write exactly so may be rewritten from the database; any
    // other layout is kept byte for byte.
    let verbatim = p.published_ms.is_none()
        || mirror::article_text(ms, &p.title, &p.link, &mirror::flatten_content(&p.content))
            .as_bytes()
            != bytes;
    let canon = Url::parse(&p.link).ok().map(|u| super::canonical_link(&u));
    let rec = ArticleRecord {
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
        verbatim,
        hash: None,
    };
    (rec, true)
}

/// Keeps the entries of `lists/<name>.md` that point at article files that are absent.
fn keep_list_extras(dir: &Path, store: &mut Store, source: &Source) -> Result<usize, ArchiveError> {
    let path = dir.join("lists").join(source.list_file());
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(0);
    };
    if let Some(style) = mirror::list_style(&source.name, &text)
        && style != mirror::ListStyle::default()
    {
        let json = serde_json::to_string(&style).expect("plain data serializes");
        store.set_meta(&super::list_style_key(&source.slug), Some(&json))?;
    }
    let prefix = format!("articles/{}/", source.folder);
    let extras: Vec<(String, String)> = mirror::list_entries(&text)
        .into_iter()
        .filter_map(|line| {
            let target = mirror::decode_list_path(mirror::list_entry_link(line)?);
            (target.starts_with(&prefix) && !dir.join(&target).exists())
                .then(|| (target, line.to_string()))
        })
        .collect();
    Ok(store.insert_list_extras(&source.slug, &extras)?)
}
