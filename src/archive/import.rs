//! `import`: taking an existing mirror's checkout into the archive, as it is.

use std::path::{Path, PathBuf};

use super::{Archive, ArchiveError, FILES_INDEXED, ReconcileReport, io_err, reconcile};
use crate::config::Config;

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Files copied into the archive (none when importing the archive's own folder).
    pub copied: usize,
    /// Files left alone because the archive already holds other bytes at that path.
    pub conflicts: Vec<PathBuf>,
    /// Folders under `articles/` that no source maps (by `slug` or `import_from`).
    pub unmapped: Vec<String>,
    /// Entries not copied: symlinks, devices, FIFOs, sockets, files too large to be articles.
    pub skipped: Vec<(PathBuf, String)>,
    pub reconciled: ReconcileReport,
    /// Files written, for the flush before the database records them.
    written: Vec<PathBuf>,
}

/// Takes `from/articles/<folder>/…` and `from/lists/` into the archive: regular files are
/// copied byte for byte (never overwritten, never deleted; symlinks, devices, FIFOs and
/// oversized files are skipped and reported), made durable, then read into the database. Ids
/// and paths are kept, so the countdown continues below the smallest id.
pub fn import(
    config: &Config,
    archive: &mut Archive,
    from: &Path,
) -> Result<ImportReport, ArchiveError> {
    let mut report = ImportReport::default();
    let articles = from.join("articles");
    let entries = std::fs::read_dir(&articles).map_err(io_err(&articles))?;
    let same_place = same_dir(from, &archive.dir);
    let mut folders: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    folders.sort();
    for folder in folders {
        let Some(source) = config.sources.iter().find(|s| s.folder == folder) else {
            report.unmapped.push(folder);
            continue;
        };
        if same_place {
            continue;
        }
        copy_tree(
            &articles.join(&folder),
            &archive.dir.join("articles").join(&source.folder),
            &mut report,
        )?;
        let list = from.join("lists").join(format!("{}.md", source.name));
        if std::fs::symlink_metadata(&list).is_ok_and(|m| m.is_file()) {
            copy_file(
                &list,
                &archive.dir.join("lists").join(source.list_file()),
                &mut report,
            )?;
        }
    }
    crate::faults::point("import::copied");
    let copied = std::mem::take(&mut report.written);
    super::commit::flush(&archive.dir, &copied).map_err(io_err(&archive.dir))?;
    report.reconciled = reconcile::reconcile(&archive.dir, &mut archive.store, &config.sources)?;
    archive.store.set_meta(FILES_INDEXED, Some("1"))?;
    Ok(report)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn copy_tree(from: &Path, to: &Path, report: &mut ImportReport) -> Result<(), ArchiveError> {
    for entry in std::fs::read_dir(from).map_err(io_err(from))? {
        let entry = entry.map_err(io_err(from))?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io_err(from))?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, report)?;
        } else if let Some(why) = reconcile::not_an_article_file(&entry.path(), kind) {
            report.skipped.push((entry.path(), why));
        } else {
            copy_file(&entry.path(), &target, report)?;
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path, report: &mut ImportReport) -> Result<(), ArchiveError> {
    let bytes = std::fs::read(from).map_err(io_err(from))?;
    match std::fs::read(to) {
        Ok(existing) if existing == bytes => return Ok(()),
        Ok(_) => {
            report.conflicts.push(to.to_path_buf());
            return Ok(());
        }
        Err(_) => {}
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    crate::render::write_new(to, &bytes).map_err(io_err(to))?;
    report.copied += 1;
    report.written.push(to.to_path_buf());
    crate::faults::point("import::file_copied");
    Ok(())
}
