//! The write phase of an update: new article files (several folders at once), and for each
//! edit the old file kept under `revisions/` and the article file rewritten.

use super::commit::{Commit, write_new, write_replace};
use super::select::{Edit, file_text};
use super::update::{FeedFailure, Plan, SourcePlan, SourceReport};
use super::{Archive, ArchiveError};
use crate::faults;
use crate::store::{JournalEntry, JournalKind};

/// Write: the new article files, then for each edit the old file kept under `revisions/`
/// and the article file rewritten. A source whose files cannot all be written keeps those
/// that were (whole: they are renamed into place) and is marked failed.
pub(super) fn write(
    archive: &Archive,
    plan: &mut Plan,
    commit: &mut Commit,
    now_ms: i64,
) -> Result<(), ArchiveError> {
    let dir = archive.dir.clone();
    let written = write_new_files(&dir, &plan.sources);
    for ((sp, sr), (n, err)) in plan
        .sources
        .iter_mut()
        .zip(&mut plan.report.sources)
        .zip(written)
    {
        commit.wrote(sp.new[..n].iter().map(|r| dir.join(&r.path)));
        if let Some(e) = err {
            sp.new.truncate(n);
            sr.new = n;
            fail_source(sp, sr, e);
        }
    }
    for (sp, sr) in plan.sources.iter_mut().zip(&mut plan.report.sources) {
        let mut done = Vec::new();
        for e in std::mem::take(&mut sp.edits) {
            if sp.failed.is_some() {
                break;
            }
            match write_edit(archive, &e, commit, now_ms) {
                Ok(()) => done.push(e),
                Err(why) => fail_source(sp, sr, why),
            }
        }
        sr.edited = done.len();
        sp.edits = done;
    }
    Ok(())
}

fn fail_source(sp: &mut SourcePlan, sr: &mut SourceReport, why: String) {
    tracing::error!("source {}: {why}", sp.slug);
    sr.failures.push(FeedFailure {
        feed: sp.slug.clone(),
        error: why.clone(),
    });
    sp.failed.get_or_insert(why);
}

/// The file of an older revision: `revisions/<path below articles/ without .md>/<n>.md`.
pub(crate) fn revision_path(article_path: &str, n: i64) -> String {
    let stem = article_path
        .strip_prefix("articles/")
        .unwrap_or(article_path);
    let stem = stem.strip_suffix(".md").unwrap_or(stem);
    format!("revisions/{stem}/{n}.md")
}

/// Keeps the article's file as it is under `revisions/` (revision `e.n - 1`), then rewrites
/// it with the new revision, and journals the edit.
fn write_edit(archive: &Archive, e: &Edit, commit: &mut Commit, now_ms: i64) -> Result<(), String> {
    let a = archive
        .store
        .article_by_pk(e.pk)
        .map_err(|x| x.to_string())?
        .ok_or_else(|| format!("article {} vanished from the database", e.pk))?;
    let path = archive.dir.join(&a.path);
    let old = std::fs::read(&path).map_err(|x| format!("{}: {x}", path.display()))?;
    let keep = archive.dir.join(revision_path(&a.path, e.n - 1));
    match write_new(&keep, &old) {
        Ok(()) => commit.wrote([keep.clone()]),
        // Kept by a run that died before its commit: the same bytes.
        Err(x) if x.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(x) => return Err(format!("cannot write {}: {x}", keep.display())),
    }
    faults::point("update::revision_file_written");
    let text = crate::mirror::article_text(
        a.published_ms,
        &e.title,
        &a.link,
        &crate::mirror::flatten_content(&e.content),
    );
    write_replace(&path, text.as_bytes())
        .map_err(|x| format!("cannot write {}: {x}", path.display()))?;
    commit.wrote([path]);
    commit.journal.push(JournalEntry {
        at: now_ms,
        kind: JournalKind::Edited,
        path: a.path,
        revision: Some(e.n),
    });
    Ok(())
}

/// Writes the new article files, several folders at once (creating a file is the slow part
/// on many file systems, and one folder's creations are serialised by it anyway). Returns,
/// per source, how many of its files (oldest first) were written, and the first error.
fn write_new_files(dir: &std::path::Path, sources: &[SourcePlan]) -> Vec<(usize, Option<String>)> {
    let threads = sources
        .iter()
        .filter(|s| !s.new.is_empty())
        .count()
        .clamp(1, 4);
    let mut out: Vec<(usize, Option<String>)> = vec![(0, None); sources.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    for (si, sp) in sources.iter().enumerate().skip(t).step_by(threads) {
                        let mut n = 0;
                        let mut err = None;
                        for rec in &sp.new {
                            let path = dir.join(&rec.path);
                            match write_new(&path, file_text(rec).as_bytes()) {
                                Ok(()) => n += 1,
                                Err(e) => {
                                    err = Some(format!("cannot write {}: {e}", path.display()));
                                    break;
                                }
                            }
                            faults::point("update::article_file_written");
                        }
                        done.push((si, n, err));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            for (si, n, err) in h.join().expect("a file-writing thread panicked") {
                out[si] = (n, err);
            }
        }
    });
    out
}
