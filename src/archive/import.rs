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
    pub reconciled: ReconcileReport,
}

/// Takes `from/articles/<folder>/…` and `from/lists/` into the archive: files are copied
/// byte for byte (never overwritten, never deleted), then read into the database. Ids and
/// paths are kept, so the countdown continues below the smallest id.
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
        if list.exists() {
            copy_file(
                &list,
                &archive.dir.join("lists").join(source.list_file()),
                &mut report,
            )?;
        }
    }
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
        if entry.file_type().map_err(io_err(from))?.is_dir() {
            copy_tree(&entry.path(), &target, report)?;
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
    crate::render::write_atomic(to, &bytes).map_err(io_err(to))?;
    report.copied += 1;
    Ok(())
}
