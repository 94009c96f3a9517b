//! Record: what an update learned, as the database's transaction takes it. With SQLite, all
//! sources in one transaction after their files (`record_all`); with PostgreSQL, one
//! transaction per source, each checked against the source's version (`commit_each`): a
//! source another worker committed to since it was read is left for a later pass, whole.

use std::path::PathBuf;

use super::commit::Commit;
use super::evidence::Evidence;
use super::update::{Plan, SourcePlan, mark_failed};
use super::{Archive, ArchiveError, io_err};
use crate::config::Config;
use crate::faults;
use crate::store::{DbErrorKind, JournalEntry, JournalKind, NewRevision, RunChanges};

/// The folder of downloaded images, below the archive.
pub(crate) const ASSETS: &str = "assets";

/// What one source's items and feeds add to a transaction. Feed validators and health are
/// saved only when all its items were archived.
fn record_source(
    archive: &Archive,
    config: &Config,
    sp: &mut SourcePlan,
    now_ms: i64,
) -> Result<RunChanges, ArchiveError> {
    let mut ch = RunChanges::default();
    for (url, mut state) in std::mem::take(&mut sp.feeds) {
        if let Some(why) = &sp.failed {
            let source = config.sources.iter().find(|s| s.slug == sp.slug);
            let mut old = archive.store.feed_state(&url)?;
            if let Some(source) = source {
                mark_failed(&mut old, now_ms, source, why);
            }
            // No validators: the next fetch is unconditional and sees every item again.
            old.etag = None;
            old.last_modified = None;
            state = old;
        }
        ch.feeds.push((url, sp.slug.clone(), state));
    }
    ch.articles = sp.new.clone();
    ch.feed_hashes = std::mem::take(&mut sp.feed_hashes);
    ch.revision_hashes = std::mem::take(&mut sp.revision_hashes);
    for e in &sp.edits {
        ch.revisions.push(NewRevision {
            article: e.pk,
            n: e.n,
            title: e.title.clone(),
            norm_title: e.norm_title.clone(),
            content: e.content.clone(),
            hash: e.hash.clone(),
            seen_ms: now_ms,
            from_page: e.needs_page,
            text_key: crate::text::text_key(&e.content),
        });
        ch.feed_hashes.push((e.pk, e.feed_hash.clone()));
    }
    ch.expect.push((sp.slug.clone(), sp.version));
    Ok(ch)
}

/// The evidence of the known items a source's feeds carried again (the feed item's hash, and
/// for edits whether the text came from the page).
fn evidence_seen(
    archive: &Archive,
    sp: &SourcePlan,
    now_ms: i64,
) -> Result<Vec<Evidence>, ArchiveError> {
    let mut ev = Vec::new();
    for (pk, hash) in &sp.feed_hashes {
        if let Some(a) = archive.store.article_by_pk(*pk)? {
            ev.push(Evidence::seen(&a.path, hash, None, now_ms));
        }
    }
    for e in &sp.edits {
        if let Some(a) = archive.store.article_by_pk(e.pk)? {
            ev.push(Evidence::seen(
                &a.path,
                &e.feed_hash,
                Some(e.needs_page),
                now_ms,
            ));
        }
    }
    Ok(ev)
}

/// Record (files the truth): every source into the run's one commit, with the signatures of
/// the folders it wrote.
pub(super) fn record_all(
    archive: &Archive,
    config: &Config,
    plan: &mut Plan,
    commit: &mut Commit,
    now_ms: i64,
) -> Result<(), ArchiveError> {
    for sp in &mut plan.sources {
        // Identity evidence for a database rebuilt from the files (`archive::evidence`).
        // (New articles' evidence was written ahead of their files.)
        commit.evidence.extend(evidence_seen(archive, sp, now_ms)?);
        let ch = record_source(archive, config, sp, now_ms)?;
        commit.changes.merge(ch);
        if !sp.new.is_empty() || !sp.edits.is_empty() {
            use super::reconcile::{folder_signature, signature_key, signature_years};
            let folder = archive.dir.join("articles").join(&sp.folder);
            let key = signature_key(&sp.folder);
            let prefix = format!("articles/{}/", sp.folder);
            let mut years = signature_years(archive.store.meta(&key)?.as_deref());
            years.extend(sp.new.iter().filter_map(|r| {
                let rest = r.path.strip_prefix(&prefix)?;
                rest.split_once('/').map(|(y, _)| y.to_string())
            }));
            commit
                .changes
                .meta
                .push((key, folder_signature(&folder, years)));
        }
    }
    plan.report.edited = plan.sources.iter().map(|s| s.edits.len()).sum();
    Ok(())
}

/// Images downloaded by a pass whose database is the truth: a private folder (never the
/// archive's), read into the transactions of the articles that use them, then removed.
pub(crate) struct Staging {
    pub dir: PathBuf,
}

impl Staging {
    pub fn new() -> Result<Staging, ArchiveError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "newsmirror-images-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(Staging { dir })
    }

    /// The images under `assets/` that `texts` point at: (file name, bytes).
    fn used_by<'a>(&self, texts: impl Iterator<Item = &'a str> + Clone) -> Vec<(String, Vec<u8>)> {
        let Ok(entries) = std::fs::read_dir(self.dir.join(ASSETS)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let needle = format!("{}/{name}", ASSETS);
            if texts.clone().any(|t| t.contains(&needle))
                && let Ok(bytes) = std::fs::read(e.path())
            {
                out.push((name, bytes));
            }
        }
        out.sort();
        out
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Record and commit (the database the truth): each source in its own transaction, with its
/// journal entries and the images its articles use. A source whose version moved (another
/// worker committed to it) is left as it was: its feeds are fetched again, unconditionally.
pub(super) fn commit_each(
    archive: &mut Archive,
    config: &Config,
    plan: &mut Plan,
    now_ms: i64,
    staging: &Staging,
) -> Result<(), ArchiveError> {
    for (sp, sr) in plan.sources.iter_mut().zip(&mut plan.report.sources) {
        let mut ch = record_source(archive, config, sp, now_ms)?;
        for e in &sp.edits {
            if let Some(a) = archive.store.article_by_pk(e.pk)? {
                ch.journal.push(JournalEntry {
                    at: now_ms,
                    kind: JournalKind::Edited,
                    path: a.path,
                    revision: Some(e.n),
                });
            }
        }
        let texts = sp
            .new
            .iter()
            .map(|r| r.content.as_str())
            .chain(sp.edits.iter().map(|e| e.content.as_str()));
        ch.assets = staging.used_by(texts);
        faults::point("worker::before_commit");
        match archive.store.commit_run(&ch) {
            Ok(()) => {}
            Err(e) if e.kind() == DbErrorKind::Conflict => {
                tracing::warn!("source {}: {}; left for a later pass", sp.slug, e.source);
                sr.warnings.push(format!(
                    "not committed: another writer committed to source {} first ({}); its \
                     feeds will be fetched again",
                    sp.slug, e.source
                ));
                sr.new = 0;
                sr.edited = 0;
                sr.full_text = 0;
                sp.new.clear();
                sp.edits.clear();
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        faults::point("worker::committed");
    }
    plan.report.edited = plan.sources.iter().map(|s| s.edits.len()).sum();
    Ok(())
}
