//! The publisher (`newsmirror publish`): with PostgreSQL the database is the truth and the
//! mirror's files are rendered from it, by one process at a time (the database's advisory
//! lock, held by its connection: a publisher that dies frees it).
//!
//! It follows the database's change log with cursors of its own, kept beside the files it
//! wrote (`.newsmirror/publisher.json`): article files of the articles that changed (their
//! older revisions under `revisions/`), the months of the journal that grew
//! (`changes/<yyyy>-<mm>.jsonl` and `.md`), new images under `assets/`; then every list, the
//! README and the feeds out; then the files are flushed and the cursors saved; then git. A
//! publisher killed anywhere renders the same files again next time (each write leaves a file
//! whole, and unchanged bytes are not rewritten); a checkout without the cursor file (another
//! machine, a fresh clone) is rendered whole.

use std::collections::BTreeMap;

use super::commit::{flush, write_new, write_replace};
use super::publishing::PublishReport;
use super::record::ASSETS;
use super::{Archive, ArchiveError, STATE_DIR, io_err};
use crate::config::Config;
use crate::faults;

/// The publisher's cursors, below `.newsmirror/`.
pub const CURSOR_FILE: &str = "publisher.json";

/// Where the files of this folder stand in the database's change log.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Cursor {
    /// The database the files were rendered from (`Store::database_id`).
    database: String,
    articles: i64,
    journal: i64,
    assets: i64,
}

/// What a render from the database did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RenderReport {
    /// New article files, per source folder.
    pub new: BTreeMap<String, usize>,
    /// Article files rewritten (edits).
    pub rewritten: usize,
    /// Older revisions written under `revisions/`.
    pub revisions: usize,
    /// Months of the journal rewritten.
    pub months: usize,
    /// Images written under `assets/`.
    pub assets: usize,
    /// Lists, README and feeds out rewritten.
    pub indexes: usize,
}

impl RenderReport {
    /// `publish: 12 new (dw 5, bbc 7), 2 edited`.
    pub fn commit_message(&self) -> String {
        let total: usize = self.new.values().sum();
        let mut msg = if total == 0 {
            "publish: no new articles".to_string()
        } else {
            let per: Vec<String> = self.new.iter().map(|(s, n)| format!("{s} {n}")).collect();
            format!("publish: {total} new ({})", per.join(", "))
        };
        if self.rewritten > 0 {
            msg.push_str(&format!(", {} edited", self.rewritten));
        }
        msg
    }
}

fn load_cursor(archive: &Archive) -> Option<Cursor> {
    let text = std::fs::read_to_string(archive.dir.join(STATE_DIR).join(CURSOR_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Renders the files of the mirror from the database, from where this folder's cursors
/// stand. The caller holds the publisher's lock.
pub fn render_from_database(
    config: &Config,
    archive: &Archive,
) -> Result<RenderReport, ArchiveError> {
    let dir = archive.dir.clone();
    let state = dir.join(STATE_DIR);
    std::fs::create_dir_all(&state).map_err(io_err(&state))?;
    let ignore = state.join(".gitignore");
    if !ignore.exists() {
        crate::render::write_atomic(
            &ignore,
            b"# newsmirror's internal state: never committed\n*\n",
        )
        .map_err(io_err(&ignore))?;
    }
    // Temporary files of a publisher that died mid-write: never finished files.
    for d in ["articles", "lists", "changes", "revisions", "feeds", ASSETS] {
        super::remove_stale_temp_files(&dir.join(d), true);
    }
    super::remove_stale_temp_files(&dir, false);
    let database = archive.store.database_id()?;
    let mut cursor = load_cursor(archive)
        .filter(|c| c.database == database)
        .unwrap_or(Cursor {
            database,
            ..Default::default()
        });
    let mut report = RenderReport::default();
    let mut written = Vec::new();
    // Articles that changed, and their older revisions.
    loop {
        let changes = archive.store.changes_since(cursor.articles, 500)?;
        let Some(last) = changes.last() else { break };
        let pks: Vec<i64> = changes.iter().map(|c| c.article).collect();
        for a in archive.store.rendered_articles(&pks)? {
            let path = dir.join(&a.path);
            let existed = path.exists();
            let text = crate::mirror::article_text(
                a.published_ms,
                &a.title,
                &a.link,
                &crate::mirror::flatten_content(&a.content),
            );
            if write_replace(&path, text.as_bytes()).map_err(io_err(&path))? {
                written.push(path);
                if existed {
                    report.rewritten += 1;
                } else {
                    let folder = a.path.split('/').nth(1).unwrap_or("").to_string();
                    *report.new.entry(folder).or_default() += 1;
                }
                faults::point("publish::article_written");
            }
        }
        for r in archive.store.older_revisions_of(&pks)? {
            let path = dir.join(super::update::revision_path(&r.path, r.n));
            let text = crate::mirror::article_text(
                r.published_ms,
                &r.title,
                &r.link,
                &crate::mirror::flatten_content(&r.content),
            );
            match write_new(&path, text.as_bytes()) {
                Ok(()) => {
                    report.revisions += 1;
                    written.push(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        cursor.articles = last.seq;
    }
    // The months of the journal that grew: rewritten whole, in the order recorded.
    let grown = archive.store.journal_since(cursor.journal)?;
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    for (_, e) in &grown {
        months.entry(super::month_of(e.at)).or_insert(e.at);
    }
    for at in months.values() {
        let (month, start, end) = super::month_bounds(*at);
        let mut text = String::new();
        for e in archive.store.journal_between(start, end)? {
            text.push_str(&serde_json::to_string(&e).expect("plain data serializes"));
            text.push('\n');
        }
        let path = dir.join("changes").join(format!("{month}.jsonl"));
        keep_evidence(&path, &mut text);
        if write_replace(&path, text.as_bytes()).map_err(io_err(&path))? {
            written.push(path);
        }
        super::render_changes(archive, *at)?;
        report.months += 1;
    }
    if let Some((seq, _)) = grown.last() {
        cursor.journal = *seq;
    }
    // New images.
    loop {
        let batch = archive.store.assets_since(cursor.assets, 50)?;
        let Some(last) = batch.last() else { break };
        cursor.assets = last.0;
        for (_, name, bytes) in batch {
            if name.contains(['/', '\\']) || name.starts_with('.') {
                continue; // never a path: names are content addresses
            }
            let path = dir.join(ASSETS).join(&name);
            match write_new(&path, &bytes) {
                Ok(()) => {
                    report.assets += 1;
                    written.push(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
    }
    faults::point("publish::articles_rendered");
    flush(&dir, &written).map_err(io_err(&dir))?;
    report.indexes = archive.render_indexes(config)? + archive.render_feeds(config, None)?;
    faults::point("publish::rendered");
    let path = state.join(CURSOR_FILE);
    let text = serde_json::to_string(&cursor).expect("plain data serializes") + "\n";
    write_replace(&path, text.as_bytes()).map_err(io_err(&path))?;
    Ok(report)
}

/// Keeps the identity evidence lines a month's journal file holds (`archive::evidence`,
/// written while the archive was on SQLite, before `migrate`) when the publisher rewrites the
/// file from the database's journal: the database knows those keys itself, but a database
/// rebuilt from the files needs them. They follow the events, in their order.
fn keep_evidence(path: &std::path::Path, text: &mut String) {
    let Ok(old) = std::fs::read(path) else {
        return;
    };
    for line in old
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
    {
        let line = line.trim_start_matches('\u{FEFF}').trim_end_matches('\r');
        if serde_json::from_str::<super::evidence::Evidence>(line).is_ok() {
            text.push_str(line);
            text.push('\n');
        }
    }
}

/// After a run: with PostgreSQL, renders the files from the database first (when this process
/// can take the publisher's lock: else another publisher will), then commits and pushes.
pub fn render_and_publish(
    config: &Config,
    archive: &Archive,
    message: &str,
) -> Result<PublishReport, ArchiveError> {
    if archive.cluster {
        if !archive.store.try_lock_publisher()? {
            tracing::warn!(
                "another publisher holds the archive's database; it will render and publish \
                 what this run archived"
            );
            return Ok(PublishReport::default());
        }
        render_from_database(config, archive)?;
    }
    super::publish(config, archive, message)
}
