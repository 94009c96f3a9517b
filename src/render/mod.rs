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

/// Creates `path` holding `bytes`: written under a temporary name beside it, then renamed into
/// place without replacing anything (fails with `AlreadyExists` when a file is there). A
/// partial file never exists under the final name, and a file someone else put there is
/// never overwritten.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    let linked = rename_noreplace(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that
/// a reader (or a crash) never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Writes `.<name>.<pid>.tmp` beside `path` (folders created as needed). The I/O failpoint
/// `io::write_file` (tests) fails it with `ENOSPC` or `EIO`.
fn write_temp(path: &Path, bytes: &[u8]) -> std::io::Result<std::path::PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        crate::faults::io("io::write_file")?;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.flush()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c =
        |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(from)?, c(to)?);
    // SAFETY: two valid NUL-terminated paths; AT_FDCWD resolves them as given.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        // A file system without RENAME_NOREPLACE: a hard link never replaces either.
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP) => std::fs::hard_link(from, to),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::hard_link(from, to)
}
