//! Writing the archive's outputs: article files, list files, the archive's README.
//!
//! Owns the text of every output and the atomic, write-only-when-changed file writing. It
//! takes plain records (from the store) and never fetches, parses feeds or runs SQL.

mod changes;
pub mod enclosures;
pub mod export;
pub mod feeds;
pub mod links;
pub mod pages;
pub mod present;
mod readme;
pub mod search_index;

use std::io::Write;
use std::path::Path;

pub use changes::{ChangeEntry, changes_text};
pub use readme::{ReadmeSource, readme_text};

use crate::mirror;
use crate::store::ListRow;

/// The text of a list file for a source, from its first rows in list order. With
/// `annotate`, edited and removed articles are marked ` (已修改)` / ` (已删除)`.
pub fn list_text(name: &str, rows: &[ListRow], annotate: bool) -> String {
    let lines: Vec<String> = rows
        .iter()
        .map(|r| match &r.line {
            Some(line) => line.clone(),
            None => {
                let mut line = mirror::list_entry(r.published_ms, &r.title, &r.path);
                if annotate && r.removed {
                    line.push_str(" (已删除)");
                } else if annotate && r.edited {
                    line.push_str(" (已修改)");
                }
                line
            }
        })
        .collect();
    mirror::list_text(name, &lines)
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, then a rename), unless the
/// file already holds exactly these bytes. Returns whether the file changed.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    match std::fs::read(path) {
        Ok(old) if old == bytes => return Ok(false),
        _ => {}
    }
    write_atomic(path, bytes)?;
    Ok(true)
}

/// Creates a new file at `path` holding `bytes`; fails if the file exists. Cheaper than
/// [`write_atomic`] (no rename); the caller makes it crash-safe by journaling the path first.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that
/// a reader (or a crash) never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
