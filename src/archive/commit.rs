//! The commit protocol, one mechanism for every command that writes:
//!
//! 1. every file is written to a temporary name beside its final one and renamed into place
//!    (a partial file never exists under a final name; a new file never replaces one that is
//!    there: a file we did not write is adopted, not overwritten);
//! 2. the committed history journal (`changes/<yyyy>-<mm>.jsonl`) is rewritten the same way;
//! 3. the files and their folders are made durable (one `syncfs(2)` of the archive's file
//!    system on Linux, else `fsync` of each file and folder);
//! 4. then, in one database transaction, what the run learned ([`RunChanges`]);
//! 5. then the operational state file (`.newsmirror/state.json`), when it changed.
//!
//! A run that dies before 4 leaves the database as it was: the next run fetches without the
//! validators it never recorded, finds the files it renamed into place (the folder changed)
//! and adopts them. A run that dies after 4 is complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::evidence::Evidence;
use super::{Archive, ArchiveError, STATE_DIR, io_err};
use crate::faults;
use crate::store::{JournalEntry, OperationalState, RunChanges};

/// The operational state file, below `.newsmirror/`.
pub const STATE_FILE: &str = "state.json";

/// One run's pending commit: files written so far, journal entries, database changes.
pub(crate) struct Commit {
    dir: PathBuf,
    /// Files written (for the `fsync` flush), below the archive or absolute.
    written: Vec<PathBuf>,
    pub changes: RunChanges,
    pub journal: Vec<JournalEntry>,
    /// Identity evidence, journal lines too (`archive::evidence`).
    pub evidence: Vec<Evidence>,
    /// The newest journal line written ahead of the files (`write_ahead`).
    tip: Option<String>,
}

impl Commit {
    pub fn new(dir: &Path) -> Commit {
        Commit {
            dir: dir.to_path_buf(),
            written: Vec::new(),
            changes: RunChanges::default(),
            journal: Vec::new(),
            evidence: Vec::new(),
            tip: None,
        }
    }

    /// Writes evidence to the journal now, ahead of the files it describes: a run that dies
    /// after writing them leaves files whose adoption finds their evidence. A line naming a
    /// file never written is harmless: the next article at that path has a later line.
    pub fn write_ahead(&mut self, evidence: &[Evidence]) -> Result<(), ArchiveError> {
        let lines: Vec<(i64, String)> = evidence
            .iter()
            .map(|e| {
                (
                    e.at,
                    serde_json::to_string(e).expect("plain data serializes"),
                )
            })
            .collect();
        if let Some((_, tip)) = lines.last() {
            self.tip = Some(tip.clone());
            let written = append_journal(&self.dir, &lines)?;
            self.written.extend(written);
        }
        Ok(())
    }

    /// Notes files written by [`write_new`] / [`write_replace`] elsewhere (threads).
    pub fn wrote(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        self.written.extend(paths);
    }

    /// Steps 2–5 of the protocol. `state_since_ms`: the recheck window kept in the state file.
    pub fn finish(
        mut self,
        archive: &mut Archive,
        state_since_ms: i64,
    ) -> Result<(), ArchiveError> {
        if archive.cluster {
            // The database is the truth: the journal goes into the one transaction, and the
            // publisher writes it out with the rest.
            let mut changes = self.changes;
            changes.journal.extend(self.journal);
            archive.store.commit_run(&changes)?;
            faults::point("commit::committed");
            return Ok(());
        }
        let mut written = self.written;
        let mut lines: Vec<(i64, String)> = self
            .journal
            .iter()
            .map(|e| {
                (
                    e.at,
                    serde_json::to_string(e).expect("plain data serializes"),
                )
            })
            .collect();
        lines.extend(self.evidence.iter().map(|e| {
            (
                e.at,
                serde_json::to_string(e).expect("plain data serializes"),
            )
        }));
        if !lines.is_empty() {
            written.extend(append_journal(&self.dir, &lines)?);
            faults::point("commit::journal_written");
        }
        // The newest line this database wrote: a state file that names a line the files lack
        // is ahead of them (`restore_state`).
        if let Some(tip) = lines.pop().map(|(_, l)| l).or(self.tip) {
            self.changes.meta.push((JOURNAL_TIP.to_string(), Some(tip)));
        }
        if !written.is_empty() {
            flush(&self.dir, &written).map_err(io_err(&self.dir))?;
            faults::point("commit::flushed");
        }
        archive.store.commit_run(&self.changes)?;
        faults::point("commit::committed");
        save_state(archive, state_since_ms)?;
        faults::point("commit::state_written");
        Ok(())
    }
}

pub use crate::render::{write_if_changed as write_replace, write_new};

/// How files are made durable before the commit that names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// One `syncfs(2)` of the archive's file system (Linux; the default there).
    Syncfs,
    /// `fsync` of every file written and of every folder they are in.
    Fsync,
    /// Nothing (benchmarks only: measures what durability costs).
    None,
}

impl Flush {
    /// The default, or `NEWSMIRROR_FLUSH=syncfs|fsync|none` (for benchmarks).
    pub fn chosen() -> Flush {
        match std::env::var("NEWSMIRROR_FLUSH").as_deref() {
            Ok("fsync") => Flush::Fsync,
            Ok("none") => Flush::None,
            Ok("syncfs") => Flush::Syncfs,
            _ if cfg!(target_os = "linux") => Flush::Syncfs,
            _ => Flush::Fsync,
        }
    }
}

/// Makes `written` (files below `dir`) and their folders durable.
pub fn flush(dir: &Path, written: &[PathBuf]) -> std::io::Result<()> {
    faults::io("io::flush")?;
    match Flush::chosen() {
        Flush::None => Ok(()),
        #[cfg(target_os = "linux")]
        Flush::Syncfs => {
            use std::os::fd::AsRawFd;
            let d = std::fs::File::open(dir)?;
            // SAFETY: a valid open descriptor.
            if unsafe { libc::syncfs(d.as_raw_fd()) } == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        }
        _ => {
            let mut dirs = std::collections::BTreeSet::new();
            for p in written {
                std::fs::File::open(p)?.sync_all()?;
                if let Some(parent) = p.parent() {
                    dirs.insert(parent.to_path_buf());
                }
            }
            for d in dirs {
                std::fs::File::open(&d)?.sync_all()?;
            }
            Ok(())
        }
    }
}

/// The journal file of the month (UTC+8) that holds `at_ms`, below the archive.
pub fn journal_path(at_ms: i64) -> String {
    format!("changes/{}.jsonl", super::month_of(at_ms))
}

/// Meta key: the newest journal line this database wrote (kept in the state file).
pub(crate) const JOURNAL_TIP: &str = "journal_tip";

/// Appends lines (each with its time) to their months' journal files (each rewritten whole,
/// atomically). Returns the files written.
fn append_journal(dir: &Path, lines: &[(i64, String)]) -> Result<Vec<PathBuf>, ArchiveError> {
    let mut by_file: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (at, line) in lines {
        by_file.entry(journal_path(*at)).or_default().push(line);
    }
    let mut out = Vec::new();
    for (rel, entries) in by_file {
        let path = dir.join(&rel);
        let mut text = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_err(&path)(e)),
        };
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        for line in entries {
            text.extend(line.bytes());
            text.push(b'\n');
        }
        write_replace(&path, &text).map_err(io_err(&path))?;
        out.push(path);
    }
    Ok(out)
}

/// Every journal entry under `changes/`, oldest file first, in file order. Lines that do
/// not parse (evidence lines, and lines of later versions) are skipped.
pub fn read_journal(dir: &Path) -> Vec<JournalEntry> {
    read_journal_lines(dir)
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Every line of the journal files under `changes/`, oldest file first, in file order.
pub fn read_journal_lines(dir: &Path) -> Vec<String> {
    let folder = dir.join("changes");
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let bytes = match std::fs::read(&f) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("{}: not read ({e}); its history is skipped", f.display());
                continue;
            }
        };
        out.extend(journal_file_lines(&f, &bytes));
    }
    out
}

/// The lines of one journal file: a byte-order mark (a Windows editor's) is dropped, and a
/// line that is not UTF-8 (torn inside a character, saved as Latin-1) is skipped with a
/// warning; every other line is kept.
fn journal_file_lines(f: &Path, bytes: &[u8]) -> Vec<String> {
    let bytes = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes);
    let mut out = Vec::new();
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match std::str::from_utf8(line) {
            Ok(text) => out.push(text.to_string()),
            Err(_) => tracing::warn!(
                "{} line {}: not UTF-8 text (a torn or re-encoded line); that line is skipped",
                f.display(),
                n + 1
            ),
        }
    }
    if out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// The state file: the operational state, and the newest journal line written with it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct StateFile {
    #[serde(flatten)]
    pub state: OperationalState,
    /// The newest line of `changes/*.jsonl` the database had written when the state was saved:
    /// when the files lack it, the run that wrote it was never published (a push that failed),
    /// and the state's validators would hide what that run archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_tip: Option<String>,
}

/// Writes `.newsmirror/state.json` from the database, when its bytes change.
fn save_state(archive: &Archive, since_ms: i64) -> Result<(), ArchiveError> {
    let state = StateFile {
        state: archive.store.operational_state(since_ms)?,
        journal_tip: archive.store.meta(JOURNAL_TIP)?,
    };
    let mut text = serde_json::to_string(&state).expect("plain data serializes");
    text.push('\n');
    let path = archive.dir.join(STATE_DIR).join(STATE_FILE);
    write_replace(&path, text.as_bytes()).map_err(io_err(&path))?;
    Ok(())
}

/// Reads `.newsmirror/state.json`, if there is a readable one.
pub fn load_state(dir: &Path) -> Option<StateFile> {
    let path = dir.join(STATE_DIR).join(STATE_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str(&text) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(
                "{}: not read ({e}); feeds will be fetched anew",
                path.display()
            );
            None
        }
    }
}

/// Meta key set once the history the database held before it was kept in files (revisions,
/// events and sightings of an archive made by an earlier version) has been written out.
const HISTORY_IN_FILES: &str = "history_in_files";

/// Writes out, once, what only the database held of an archive's history: older revisions
/// under `revisions/`, and events and pending removal sightings in the journal. Through the
/// commit protocol, so that a fresh clone of the mirror keeps them.
pub(crate) fn history_to_files_once(
    archive: &mut Archive,
    state_since_ms: i64,
) -> Result<(), ArchiveError> {
    use crate::store::{EventKind, JournalKind};
    if archive.store.meta(HISTORY_IN_FILES)?.is_some() {
        return Ok(());
    }
    let dir = archive.dir.clone();
    let mut commit = Commit::new(&dir);
    let mut written = Vec::new();
    archive
        .store
        .for_each_older_revision::<ArchiveError>(&mut |r| {
            let path = dir.join(super::update::revision_path(&r.path, r.n));
            let text = crate::mirror::article_text(
                r.published_ms,
                &r.title,
                &r.link,
                &crate::mirror::flatten_content(&r.content),
            );
            match write_new(&path, text.as_bytes()) {
                Ok(()) => written.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
            Ok(())
        })?;
    commit.wrote(written);
    let known: std::collections::HashSet<(String, JournalKind, i64)> = read_journal(&dir)
        .into_iter()
        .map(|e| (e.path, e.kind, e.at))
        .collect();
    for ev in archive.store.events_between(i64::MIN, i64::MAX)? {
        let Some(a) = archive.store.article_by_pk(ev.article)? else {
            continue;
        };
        let kind = match ev.kind {
            EventKind::Edited => JournalKind::Edited,
            EventKind::Removed => JournalKind::Removed,
            EventKind::Restored => JournalKind::Restored,
        };
        if !known.contains(&(a.path.clone(), kind, ev.at_ms)) {
            commit.journal.push(JournalEntry {
                at: ev.at_ms,
                kind,
                path: a.path,
                revision: ev.revision,
            });
        }
    }
    for (path, since) in archive.store.pending_sightings()? {
        if !known.contains(&(path.clone(), JournalKind::Missing, since)) {
            commit.journal.push(JournalEntry {
                at: since,
                kind: JournalKind::Missing,
                path,
                revision: None,
            });
        }
    }
    commit.journal.sort_by_key(|e| e.at);
    commit
        .changes
        .meta
        .push((HISTORY_IN_FILES.to_string(), Some("1".to_string())));
    commit.finish(archive, state_since_ms)
}
