//! Bringing the database in line with the files: the files are the truth.
//!
//! Reads every article file of the configured sources that the database does not know, in
//! every layout found in real mirrors (`<id>.md`, `<id>_<title>.md`, the 2020 China Digital
//! Times layout with a `日期：` line, titles over several lines, the yearly layout's year
//! folders), and the entries of list files whose articles are absent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::evidence::{Known, apply, apply_to_damaged, known_from_lines};
use super::{ArchiveError, io_err};
use crate::config::Source;
use crate::mirror;
use crate::store::{ArticleRecord, OldRevision, Store};
use crate::text::{canonical_link, comparable_title, text_key};

/// Files larger than this are not articles (the largest real article files are well under
/// 1 MB): they are reported and left alone.
pub const MAX_ARTICLE_BYTES: u64 = 16 * 1024 * 1024;

/// What a rebuild found.
#[derive(Debug, Default, Clone)]
pub struct ReconcileReport {
    /// Article files recorded that the database did not know.
    pub added: usize,
    /// List entries kept for articles whose files are absent.
    pub list_extras: usize,
    /// Files that are not in any known layout; left untouched, their ids still reserved.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Entries that are not regular files (symlinks, devices, FIFOs, sockets) or are too
    /// large: skipped, never read.
    pub skipped: Vec<(PathBuf, String)>,
    /// Journal entries (events, removal sightings) replayed from `changes/`.
    pub history: usize,
    /// The files were adopted into a database that was there (not a rebuild).
    pub adopted: bool,
}

/// The `meta` key of a source folder's signature.
pub(crate) fn signature_key(folder: &str) -> String {
    format!("folder_signature:{folder}")
}

/// The modification times of a source folder and of the given year folders in it: when it
/// differs from the one recorded, files came or went that this database did not write (a
/// `git pull`, or a run that died before its commit). A new year folder changes the source
/// folder's time, a new file the time of its folder: no folder listing is needed.
pub(crate) fn folder_signature(
    folder: &Path,
    years: impl IntoIterator<Item = String>,
) -> Option<String> {
    use std::time::UNIX_EPOCH;
    let stamp = |p: &Path| -> Option<u128> {
        let m = std::fs::symlink_metadata(p).ok()?;
        Some(
            m.modified()
                .ok()?
                .duration_since(UNIX_EPOCH)
                .ok()?
                .as_nanos(),
        )
    };
    let mut sig = format!("{}", stamp(folder)?);
    let years: std::collections::BTreeSet<String> = years.into_iter().collect();
    for y in years {
        if let Some(t) = stamp(&folder.join(&y)) {
            sig.push_str(&format!(" {y}:{t}"));
        }
    }
    Some(sig)
}

/// The year folders a signature names.
pub(crate) fn signature_years(sig: Option<&str>) -> Vec<String> {
    sig.map(|s| {
        s.split(' ')
            .skip(1)
            .filter_map(|p| p.split_once(':').map(|(y, _)| y.to_string()))
            .collect()
    })
    .unwrap_or_default()
}

/// The year folders of a source folder (a listing: only when rebuilding or adopting).
fn year_folders(folder: &Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.len() == 4 && n.chars().all(|c| c.is_ascii_digit()))
                .collect()
        })
        .unwrap_or_default()
}

/// Adopts the article files of sources whose folder changed since this database last wrote
/// it: files it does not know are read in (never deleted, never overwritten).
pub fn adopt(
    dir: &Path,
    store: &mut Store,
    sources: &[Source],
) -> Result<ReconcileReport, ArchiveError> {
    let mut report = ReconcileReport {
        adopted: true,
        ..Default::default()
    };
    let mut known = None;
    for source in sources {
        let folder = dir.join("articles").join(&source.folder);
        let key = signature_key(&source.folder);
        let old = store.meta(&key)?;
        let sig = folder_signature(&folder, signature_years(old.as_deref()));
        if sig.is_none() || old == sig {
            continue;
        }
        let known = known.get_or_insert_with(|| {
            let lines = super::commit::read_journal_lines(dir);
            known_from_lines(lines.iter().map(String::as_str))
        });
        reconcile_source(dir, store, source, known, &mut report)?;
    }
    Ok(report)
}

/// Records every article file of the configured sources that the database does not know yet,
/// and the list entries of absent articles.
pub fn reconcile(
    dir: &Path,
    store: &mut Store,
    sources: &[Source],
) -> Result<ReconcileReport, ArchiveError> {
    let mut report = ReconcileReport::default();
    let lines = super::commit::read_journal_lines(dir);
    let known = known_from_lines(lines.iter().map(String::as_str));
    for source in sources {
        reconcile_source(dir, store, source, &known, &mut report)?;
    }
    crate::faults::point("open::articles_read");
    let journal: Vec<_> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    report.history = store.apply_journal(&journal)?;
    crate::faults::point("open::history_read");
    Ok(report)
}

/// Records the article files of one source the database does not know (with their older
/// revisions), and its list entries of absent articles.
fn reconcile_source(
    dir: &Path,
    store: &mut Store,
    source: &Source,
    evidence: &HashMap<String, Known>,
    report: &mut ReconcileReport,
) -> Result<(), ArchiveError> {
    {
        let folder = dir.join("articles").join(&source.folder);
        let key = signature_key(&source.folder);
        let known = store.known_paths(&source.slug)?;
        let mut records = Vec::new();
        let mut files = Vec::new();
        collect_files(
            &folder,
            &format!("articles/{}", source.folder),
            &mut files,
            &mut report.skipped,
        )?;
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
            let (mut record, readable) = record_of(source, id, rel, &bytes);
            record.older = older_revisions(dir, &record.path, &bytes);
            match evidence.get(&record.path) {
                Some(k) if readable => apply(&mut record, k),
                Some(k) => apply_to_damaged(&mut record, k),
                None => {}
            }
            if !readable {
                let why = match &record.guid {
                    Some(g) => format!(
                        "damaged: not in any known article layout (changes/ says it holds the \
                         item with guid {g:?}, which is not archived again; restore the file \
                         from git)"
                    ),
                    None => {
                        "damaged: not in any known article layout (restore it from git)".to_string()
                    }
                };
                report.unreadable.push((path, why));
            }
            records.push(record);
        }
        report.added += records.len();
        first_keeps_keys(store, &source.slug, &mut records, !known.is_empty())?;
        store.insert_articles(&records)?;
        report.list_extras += keep_list_extras(dir, store, source)?;
        let sig = folder_signature(&folder, year_folders(&folder));
        store.set_meta(&key, sig.as_deref())?;
    }
    Ok(())
}

/// A guid or canonical link several articles of a source carry identifies only the first
/// archived (the highest id: ids count down); the others keep none, as when they were archived
/// (`select`), so that the keys stay unique per source. `in_database`: also look among the
/// articles the database holds (adopting files; a rebuild reads every file at once).
fn first_keeps_keys(
    store: &Store,
    source: &str,
    records: &mut [ArticleRecord],
    in_database: bool,
) -> Result<(), ArchiveError> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(records[i].id));
    let mut seen = std::collections::HashSet::new();
    for i in order {
        let r = &mut records[i];
        for (kind, key) in [(0u8, &mut r.guid), (1u8, &mut r.canon)] {
            let Some(k) = key.clone() else { continue };
            let mut taken = !seen.insert((kind, k.clone()));
            if !taken && in_database {
                let (g, c) = if kind == 0 {
                    (Some(k.as_str()), None)
                } else {
                    (None, Some(k.as_str()))
                };
                taken = store.candidates(source, g, c, "", None)?.iter().any(|x| {
                    (if kind == 0 { &x.guid } else { &x.canon }).as_deref() == Some(k.as_str())
                });
            }
            if taken {
                *key = None;
            }
        }
    }
    Ok(())
}

/// The older revisions of an article kept under `revisions/`, oldest first. A newest kept
/// file with the article's own bytes (a run that died between keeping it and rewriting the
/// article) is not a revision of its own.
fn older_revisions(dir: &Path, article: &str, current: &[u8]) -> Vec<OldRevision> {
    let kept = dir.join(super::update::revision_path(article, 0));
    let Some(folder) = kept.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<(i64, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let n = e.file_name().to_str()?.strip_suffix(".md")?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    files.sort();
    let mut out: Vec<(Vec<u8>, OldRevision)> = Vec::new();
    for (_, p) in files {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let rev = match mirror::parse_article(&text) {
            Some(a) => OldRevision {
                seen_ms: a.published_ms.unwrap_or(0),
                title: a.title,
                content: a.content,
                hash: None,
            },
            None => OldRevision {
                seen_ms: 0,
                title: String::new(),
                content: text,
                hash: None,
            },
        };
        out.push((bytes, rev));
    }
    if out.last().is_some_and(|(b, _)| b == current) {
        out.pop();
    }
    out.into_iter().map(|(_, r)| r).collect()
}

/// Article files below `folder` (and its year folders): (path, path below the archive, id).
fn collect_files(
    folder: &Path,
    rel: &str,
    out: &mut Vec<(PathBuf, String, i64)>,
    skipped: &mut Vec<(PathBuf, String)>,
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
        // The entry itself, never what a symlink points at.
        let kind = entry.file_type().map_err(io_err(folder))?;
        let is_dir = kind.is_dir();
        if is_dir && name.len() == 4 && name.chars().all(|c| c.is_ascii_digit()) {
            collect_files(&entry.path(), &format!("{rel}/{name}"), out, skipped)?;
        } else if !is_dir && let Some(id) = mirror::id_from_file_name(name) {
            if let Some(why) = not_an_article_file(&entry.path(), kind) {
                skipped.push((entry.path(), why));
                continue;
            }
            out.push((entry.path(), format!("{rel}/{name}"), id));
        }
    }
    Ok(())
}

/// Why the entry at `path` is not read as an article (`None`: a regular file of a sane size).
pub(crate) fn not_an_article_file(path: &Path, kind: std::fs::FileType) -> Option<String> {
    if kind.is_symlink() {
        return Some("a symbolic link: not followed".into());
    }
    if !kind.is_file() {
        return Some("not a regular file (a device, FIFO or socket)".into());
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.len() > MAX_ARTICLE_BYTES => Some(format!(
            "{} bytes: larger than any article ({MAX_ARTICLE_BYTES} bytes at most)",
            m.len()
        )),
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    }
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
            text_key: None,
            enclosure: None,
            feed_hash: None,
            from_page: false,
            older: Vec::new(),
            seen_ms: None,
            enclosures: Vec::new(),
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
    let canon = Url::parse(&p.link).ok().map(|u| canonical_link(&u));
    // Enclosures named by the block the archive appended (see `feed::enclosures`).
    let enclosures = crate::feed::enclosures::from_block(&p.content);
    let enclosure = enclosures
        .iter()
        .find(|e| e.kind != crate::feed::EnclosureKind::Thumbnail)
        .map(|e| e.url.clone());
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
        text_key: text_key(&p.content)
            .or_else(|| super::select::enclosure_key(enclosure.as_deref())),
        content: p.content,
        verbatim,
        hash: None,
        enclosure,
        feed_hash: None,
        from_page: false,
        older: Vec::new(),
        seen_ms: None,
        enclosures: super::select::enclosure_rows(&enclosures),
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
            // The marks `annotate = true` appends are not part of the link.
            let bare = line
                .strip_suffix(" (已修改)")
                .or_else(|| line.strip_suffix(" (已删除)"))
                .unwrap_or(line);
            let target = mirror::decode_list_path(mirror::list_entry_link(bare)?);
            (target.starts_with(&prefix) && !dir.join(&target).exists())
                .then(|| (target, line.to_string()))
        })
        .collect();
    Ok(store.insert_list_extras(&source.slug, &extras)?)
}
