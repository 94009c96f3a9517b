//! One archive, one writer: an exclusive lock on `.newsmirror/lock`.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::STATE_DIR;

/// Held while a run may write the archive; released when dropped (or when the process dies:
/// the operating system drops the lock with the file descriptor).
pub struct ArchiveLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another newsmirror run is writing the archive {dir} (it holds {lock}); \
         try again when it is done, or pass --wait to queue behind it"
    )]
    Busy { dir: PathBuf, lock: PathBuf },
    #[error("cannot lock the archive with {lock}: {source}")]
    Io {
        lock: PathBuf,
        source: std::io::Error,
    },
}

impl ArchiveLock {
    /// Takes the archive's lock; with `wait`, blocks until the other run is done.
    pub fn acquire(archive_dir: &Path, wait: bool) -> Result<ArchiveLock, LockError> {
        let state = archive_dir.join(STATE_DIR);
        let lock = state.join("lock");
        let io = |source| LockError::Io {
            lock: lock.clone(),
            source,
        };
        std::fs::create_dir_all(&state).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(io)?;
        if wait {
            file.lock().map_err(io)?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(LockError::Busy {
                        dir: archive_dir.to_path_buf(),
                        lock,
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        Ok(ArchiveLock { _file: file })
    }
}
