//! The archive directory as a whole: its layout, its database, and the runs that change it.
//!
//! This is the pipeline's driver: `update` calls fetch → feed → store → render in that order
//! and keeps the invariants that span stages: files are written (atomically) before the
//! database records them, the database can always be rebuilt from the files, and nothing
//! taken from a feed becomes part of a path.

pub(crate) mod commit;
mod enrich;
pub(crate) mod evidence;
mod fetching;
mod health;
mod identity;
mod import;
mod lock;
pub mod migrate;
mod phases;
pub mod publisher;
mod publishing;
mod recheck;
mod reconcile;
mod record;
mod select;
mod site;
mod update;
pub mod worker;
mod writing;

use std::path::{Path, PathBuf};

/// The link and title rules, kept here for callers that knew them as `archive`'s.
pub use crate::text::{canonical_link, comparable_title};
pub use enrich::looks_like_summary;
pub use health::{FeedHealth, SourceHealth, format_day, format_time, health};
pub use identity::{Keys, Rule, decide};
pub use import::{ImportReport, import};
pub use lock::{ArchiveLock, LockError};
pub use publisher::{RenderReport, render_and_publish, render_from_database};
pub use publishing::{PublishReport, commit_message, publish, publish_with};
pub use recheck::{RecheckReport, recheck};
pub use reconcile::ReconcileReport;
pub use site::{SiteReport, build_site};
pub use update::{
    FeedDone, FeedFailure, MAX_BACKOFF_MS, ProgressFn, SourceReport, UpdateOptions, UpdateReport,
    backoff_ms, update,
};

use crate::config::{Config, Source};
use crate::faults;
use crate::render;
use crate::store::{DbErrorKind, EventKind, Store, StoreError};

/// The folder inside the archive for internal state; git ignores it.
pub const STATE_DIR: &str = ".newsmirror";

/// What went wrong with the archive itself (not with a source).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Meta key set once the database has read every article file.
pub(crate) const FILES_INDEXED: &str = "files_indexed";

/// Meta key set once every article has its text key.
const TEXT_KEYS: &str = "text_keys";

/// Loads `.newsmirror/state.json` into a database rebuilt from the files. A state ahead of the
/// files (the files that went with it were never published: a push that failed) keeps no
/// validators, so that the next fetch is unconditional and nothing those files held is
/// missed: a source whose files hold fewer articles than the state counted, and every source
/// when the newest journal line the state names is not in the files (an edit, an event or
/// an article that never reached them).
fn restore_state(archive: &mut Archive) -> Result<(), ArchiveError> {
    let Some(file) = commit::load_state(&archive.dir) else {
        return Ok(());
    };
    let state = file.state;
    let counts = archive.store.counts()?;
    let mut stale: Vec<String> = state
        .articles
        .iter()
        .filter(|(slug, n)| {
            counts
                .iter()
                .find(|c| &&c.source == slug)
                .map_or(0, |c| c.articles)
                < **n
        })
        .map(|(slug, _)| slug.clone())
        .collect();
    if !stale.is_empty() {
        tracing::warn!(
            "the state file counts more articles than the files hold for {}: their feeds will \
             be fetched without validators",
            stale.join(", ")
        );
    }
    if let Some(tip) = &file.journal_tip {
        if commit::read_journal_lines(&archive.dir).contains(tip) {
            archive
                .store
                .set_meta(commit::JOURNAL_TIP, Some(tip.as_str()))?;
        } else {
            tracing::warn!(
                "the state file is ahead of the files (the last run's archive was not \
                 published: a push that failed?): every feed will be fetched without validators"
            );
            stale = state.feeds.iter().map(|f| f.source.clone()).collect();
        }
    }
    archive.store.load_operational_state(&state, &stale)?;
    Ok(())
}

/// The month (UTC+8) that holds `at_ms`, as `yyyy-mm`, and its bounds in milliseconds.
pub(crate) fn month_bounds(at_ms: i64) -> (String, i64, i64) {
    use chrono::{Datelike, TimeZone};
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let t = tz.timestamp_millis_opt(at_ms).single().unwrap_or_default();
    let start = tz
        .with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let (ny, nm) = if t.month() == 12 {
        (t.year() + 1, 1)
    } else {
        (t.year(), t.month() + 1)
    };
    let end = tz
        .with_ymd_and_hms(ny, nm, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    (
        format!("{:04}-{:02}", t.year(), t.month()),
        start.timestamp_millis(),
        end.timestamp_millis(),
    )
}

/// The month (UTC+8) that holds `at_ms`, as `yyyy-mm`.
pub(crate) fn month_of(at_ms: i64) -> String {
    month_bounds(at_ms).0
}

/// The oldest time whose recheck state the state file keeps.
pub(crate) fn state_since(config: &Config, now_ms: i64) -> i64 {
    now_ms - (config.history.recheck_for + config.history.recheck_every).as_millis() as i64
}

/// Rewrites `changes/<yyyy>-<mm>.md` of the month (UTC+8) that holds `at_ms`, from the
/// database's events.
pub(crate) fn render_changes(archive: &Archive, at_ms: i64) -> Result<(), ArchiveError> {
    let (month, start, end) = month_bounds(at_ms);
    let events = archive.store.events_between(start, end)?;
    let mut entries = Vec::new();
    for ev in events {
        let Some(a) = archive.store.article_by_pk(ev.article)? else {
            continue;
        };
        let diff = match (ev.kind, ev.revision) {
            (EventKind::Edited, Some(n)) => {
                let revs = archive.store.revisions(ev.article)?;
                let new = revs.iter().find(|r| r.n == n);
                let old = revs.iter().filter(|r| r.n < n).max_by_key(|r| r.n);
                match (old, new) {
                    (Some(o), Some(w)) => Some(crate::history::short_diff(
                        &crate::history::diff_text(
                            &format!("{}\n{}", o.title, crate::text::text_of_html(&o.content)),
                            &format!("{}\n{}", w.title, crate::text::text_of_html(&w.content)),
                        ),
                        ("<del>", "</del>", "<ins>", "</ins>"),
                        300,
                    )),
                    _ => None,
                }
            }
            _ => None,
        };
        entries.push(render::ChangeEntry {
            kind: ev.kind.as_str().to_string(),
            at_ms: ev.at_ms,
            title: a.title,
            path: a.path,
            link: a.link,
            first_seen_ms: a.first_seen_ms,
            diff,
        });
    }
    // Newest first; events of one moment by path, so that a database rebuilt from the files
    // (whose events were inserted in another order) writes the same bytes.
    entries.sort_by(|a, b| (b.at_ms, &a.path, &a.kind).cmp(&(a.at_ms, &b.path, &b.kind)));
    let text = render::changes_text(&month, &entries, &format_time);
    let path = archive.dir.join("changes").join(format!("{month}.md"));
    commit::write_replace(&path, text.as_bytes()).map_err(io_err(&path))?;
    Ok(())
}

/// Rewrites the change log of every month that has events (after a rebuild from the files).
pub(crate) fn render_all_changes(archive: &Archive) -> Result<(), ArchiveError> {
    let mut months = std::collections::BTreeMap::new();
    for ev in archive.store.events_between(i64::MIN, i64::MAX)? {
        months.entry(month_of(ev.at_ms)).or_insert(ev.at_ms);
    }
    for at in months.into_values() {
        render_changes(archive, at)?;
    }
    Ok(())
}

/// Meta key of a source's list style, when it is not the usual one.
pub(crate) fn list_style_key(slug: &str) -> String {
    format!("list_style:{slug}")
}

/// Removes `.*.tmp` files that a run killed mid-write left in `dir` (and, with `deep`, in
/// its sub-folders).
pub(crate) fn remove_stale_temp_files(dir: &Path, deep: bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_file() && name.starts_with('.') && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        } else if deep && kind.is_dir() {
            remove_stale_temp_files(&e.path(), true);
        }
    }
}

/// Opens the database; a damaged one is moved aside (kept, for a look) and a new one made,
/// to be rebuilt from the files. Returns the store, whether it is new, and where a damaged
/// one went.
fn open_store(db: &Path) -> Result<(Store, bool, Option<PathBuf>), ArchiveError> {
    match Store::open(db) {
        Ok((store, created)) => Ok((store, created, None)),
        Err(e) if e.kind() == DbErrorKind::Corrupt => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = db.with_file_name(format!("newsmirror.sqlite.damaged-{stamp}"));
            std::fs::rename(db, &aside).map_err(io_err(db))?;
            for ext in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{ext}", db.display()));
                if side.exists() {
                    let _ = std::fs::rename(&side, format!("{}{ext}", aside.display()));
                }
            }
            tracing::warn!(
                "the database {} is damaged ({}); moved it aside to {} and rebuilding it from \
                 the files",
                db.display(),
                e.source,
                aside.display()
            );
            let (store, _) = Store::open(db)?;
            Ok((store, true, Some(aside)))
        }
        Err(e) => Err(e.into()),
    }
}

/// An open archive: its folder and its database.
pub struct Archive {
    pub dir: PathBuf,
    pub store: Store,
    /// What the opening rebuild found, when the database had to be rebuilt from the files
    /// (or files it did not write were adopted).
    pub reconciled: Option<ReconcileReport>,
    /// Where a damaged database was moved aside, when it was.
    pub damaged: Option<PathBuf>,
    /// The archive lives in PostgreSQL: the database is the truth, the files are rendered
    /// from it by the publisher (never read back, never adopted).
    pub cluster: bool,
}

impl Archive {
    /// Opens the archive of `config`, creating it when missing. When the database is new
    /// (a fresh clone, a deleted database) or a previous run was interrupted, it is brought in
    /// line with the files first.
    /// Opens the archive to read only (`status`, `history`, `export`): no recovery, no
    /// rebuild, so that it is safe while another run holds the lock and is writing.
    /// A database that was never built from the files (a fresh clone) is built first, when no
    /// other run holds the archive.
    pub fn open_to_read(config: &Config) -> Result<Archive, ArchiveError> {
        if config.cluster() {
            return Archive::open_cluster(config);
        }
        let state = config.archive_dir.join(STATE_DIR);
        std::fs::create_dir_all(&state).map_err(io_err(&state))?;
        let (store, _) = Store::open(&crate::config::sqlite_path(&config.archive_dir))?;
        if store.meta(FILES_INDEXED)?.is_none()
            && let Ok(_lock) = ArchiveLock::acquire(&config.archive_dir, false)
        {
            drop(store);
            return Archive::open(config);
        }
        Ok(Archive {
            dir: config.archive_dir.clone(),
            store,
            reconciled: None,
            damaged: None,
            cluster: false,
        })
    }

    /// Opens an archive that lives in PostgreSQL (`[store] url`): the database only; nothing
    /// is read from the files or written to them here (a worker may have no archive folder).
    pub fn open_cluster(config: &Config) -> Result<Archive, ArchiveError> {
        let (store, _) = crate::store::open(&config.store_location())?;
        Ok(Archive {
            dir: config.archive_dir.clone(),
            store,
            reconciled: None,
            damaged: None,
            cluster: true,
        })
    }

    /// Opens the archive to write (the caller holds the lock).
    pub fn open(config: &Config) -> Result<Archive, ArchiveError> {
        if config.cluster() {
            return Archive::open_cluster(config);
        }
        let dir = config.archive_dir.clone();
        let state = dir.join(STATE_DIR);
        std::fs::create_dir_all(&state).map_err(io_err(&state))?;
        let ignore = state.join(".gitignore");
        if !ignore.exists() {
            render::write_atomic(
                &ignore,
                b"# newsmirror's internal state: never committed\n*\n",
            )
            .map_err(io_err(&ignore))?;
        }
        let (store, created, damaged) = open_store(&crate::config::sqlite_path(&dir))?;
        let mut archive = Archive {
            dir,
            store,
            reconciled: None,
            damaged,
            cluster: false,
        };
        if created {
            faults::point("open::created");
        }
        // Temporary files of a run that died mid-write: never finished files.
        for d in ["lists", "changes", "revisions", "feeds", STATE_DIR] {
            remove_stale_temp_files(&archive.dir.join(d), d == "revisions");
        }
        remove_stale_temp_files(&archive.dir, false);
        // Rebuilt until done: the mark is set only once every file has been read, so a run
        // killed while rebuilding rebuilds again.
        if created || archive.store.meta(FILES_INDEXED)?.is_none() {
            if created {
                archive.store.bulk_load_begin()?;
            }
            let report = reconcile::reconcile(&archive.dir, &mut archive.store, &config.sources)?;
            restore_state(&mut archive)?;
            if created {
                archive.store.bulk_load_end()?;
            }
            archive.store.set_meta(FILES_INDEXED, Some("1"))?;
            if report.history > 0 {
                render_all_changes(&archive)?;
            }
            archive.reconciled = Some(report);
        } else {
            // Files this database did not write: adopted.
            let report = reconcile::adopt(&archive.dir, &mut archive.store, &config.sources)?;
            if report.added > 0 || !report.skipped.is_empty() {
                archive.reconciled = Some(report);
            }
            faults::point("open::adopted");
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        commit::history_to_files_once(&mut archive, state_since(config, now_ms))?;
        if archive.store.meta(TEXT_KEYS)?.is_none() {
            archive.store.backfill_text_keys(&crate::text::text_key)?;
            archive.store.set_meta(TEXT_KEYS, Some("1"))?;
        }
        Ok(archive)
    }

    /// Brings the search index up to date with the database, when there is an index: it is
    /// made by the first `serve`, `search` or `reindex`, so that archives nobody searches (a
    /// CI job on a fresh clone, say) never pay for it. Search is a convenience: a failure is
    /// logged, never fatal to archiving.
    pub fn sync_search(&mut self) -> usize {
        let state = self.dir.join(STATE_DIR);
        if !state
            .join(crate::search::INDEX_DIR)
            .join("meta.json")
            .exists()
        {
            return 0;
        }
        match crate::search::sync(&state, &self.store) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("search index not updated: {e}; `newsmirror reindex` rebuilds it");
                0
            }
        }
    }

    /// The folder of a source's articles.
    pub fn source_dir(&self, source: &Source) -> PathBuf {
        self.dir.join("articles").join(&source.folder)
    }

    /// Rewrites every article file newsmirror writes from the database (the newest revision
    /// of each; files kept as found, in other layouts, are left alone). Returns how many
    /// files changed.
    pub fn render_articles(&self) -> Result<usize, ArchiveError> {
        let mut changed = 0;
        let mut written = Vec::new();
        let dir = &self.dir;
        self.store
            .for_each_rendered_article::<ArchiveError>(&mut |a| {
                let text = crate::mirror::article_text(
                    a.published_ms,
                    &a.title,
                    &a.link,
                    &crate::mirror::flatten_content(&a.content),
                );
                let path = dir.join(&a.path);
                if commit::write_replace(&path, text.as_bytes()).map_err(io_err(&path))? {
                    changed += 1;
                    written.push(path);
                    faults::point("render::article_written");
                }
                Ok(())
            })?;
        commit::flush(dir, &written).map_err(io_err(dir))?;
        faults::point("render::articles_written");
        Ok(changed)
    }

    /// Rewrites `feeds/<slug>.{atom,rss,json}` of the sources in `only` (all when `None`, and
    /// any whose feed files are missing) and `feeds/all.atom`. Returns how many files changed.
    pub fn render_feeds(
        &self,
        config: &Config,
        only: Option<&[String]>,
    ) -> Result<usize, ArchiveError> {
        use render::feeds::{FEED_LEN, FeedMeta, KINDS, atom, feed_id, render as feed_text};
        if !config.feeds_out {
            return Ok(0);
        }
        let dir = self.dir.join("feeds");
        // Entries link to the mirror's pages when its public address is known.
        let pages = config
            .web
            .base_url
            .as_ref()
            .map(render::links::Links::files_at);
        let mut changed = 0;
        let mut write = |name: String, text: String| -> Result<(), ArchiveError> {
            let path = dir.join(name);
            if commit::write_replace(&path, text.as_bytes()).map_err(io_err(&path))? {
                changed += 1;
            }
            Ok(())
        };
        let mut any = false;
        for s in &config.sources {
            let missing = !dir.join(format!("{}.atom", s.slug)).exists();
            if !(missing || only.is_none_or(|o| o.contains(&s.slug))) {
                continue;
            }
            let entries = self.store.newest_entries(Some(&s.slug), FEED_LEN)?;
            if entries.is_empty() {
                continue;
            }
            any = true;
            let id = feed_id(Some(&s.slug));
            let link = s.site_link();
            let meta = FeedMeta {
                id: &id,
                title: &s.name,
                slug: Some(&s.slug),
                link: &link,
                pages: pages.as_ref(),
                sources: &config.sources,
                images: None,
                assets: None,
            };
            for kind in KINDS {
                let text = feed_text(kind, &meta, &entries).unwrap_or_default();
                write(format!("{}.{kind}", s.slug), text)?;
            }
        }
        if any || !dir.join("all.atom").exists() {
            let entries = self.store.newest_entries(None, FEED_LEN)?;
            if !entries.is_empty() {
                let id = feed_id(None);
                let meta = FeedMeta {
                    id: &id,
                    title: "新闻镜像 · News mirror",
                    slug: None,
                    link: "https://invalid.example/",
                    pages: pages.as_ref(),
                    sources: &config.sources,
                    images: None,
                    assets: None,
                };
                write("all.atom".into(), atom(&meta, &entries))?;
            }
        }
        Ok(changed)
    }

    /// Rewrites every list and the README from the database, touching only files whose bytes
    /// change. Returns how many files changed.
    pub fn render_indexes(&self, config: &Config) -> Result<usize, ArchiveError> {
        let sources = &config.sources;
        let by_id = config.layout == crate::config::Layout::Yearly;
        let mut changed = 0;
        for s in sources {
            let style: crate::mirror::ListStyle = self
                .store
                .meta(&list_style_key(&s.slug))?
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            let rows =
                self.store
                    .list_rows(&s.slug, style.limit, by_id, config.history.annotate)?;
            if rows.is_empty() {
                continue;
            }
            let path = self.dir.join("lists").join(s.list_file());
            let text = render::list_text(&s.name, &rows, config.history.annotate) + &style.suffix;
            if commit::write_replace(&path, text.as_bytes()).map_err(io_err(&path))? {
                changed += 1;
            }
            changed += self.forget_old_list(s, sources)?;
        }
        let health = health::health(&self.store, sources)?;
        let rows: Vec<render::ReadmeSource<'_>> = health
            .iter()
            .map(|h| render::ReadmeSource {
                slug: &h.slug,
                name: &h.name,
                articles: h.articles,
                failing: h.state == FeedHealth::Failing,
                last_success_day: h.last_success_ms.map(format_day),
                last_error: h.last_error.as_deref(),
            })
            .collect();
        let path = self.dir.join("README.md");
        if commit::write_replace(&path, render::readme_text(&rows).as_bytes())
            .map_err(io_err(&path))?
        {
            changed += 1;
        }
        Ok(changed)
    }

    /// A renamed source's list under its old name goes (its entries are in the new list);
    /// a file another source now uses stays. Returns how many files were deleted.
    fn forget_old_list(
        &self,
        s: &crate::config::Source,
        sources: &[crate::config::Source],
    ) -> Result<usize, ArchiveError> {
        let key = format!("list_file:{}", s.slug);
        let file = s.list_file();
        let old = self.store.meta(&key)?;
        if old.as_deref() == Some(file.as_str()) {
            return Ok(0);
        }
        let mut deleted = 0;
        if let Some(old) = old.filter(|o| {
            !o.contains(['/', '\\'])
                && o.ends_with(".md")
                && sources.iter().all(|x| x.list_file() != *o)
        }) {
            let path = self.dir.join("lists").join(&old);
            match std::fs::remove_file(&path) {
                Ok(()) => deleted = 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        self.store.set_meta(&key, Some(&file))?;
        Ok(deleted)
    }
}
