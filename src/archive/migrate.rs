//! `newsmirror migrate --to postgres://…`: copies an archive kept in SQLite (articles with
//! every revision, events, enclosures, recheck state, feed state, list lines kept from imported
//! lists, list styles and what each remote was pushed, the history journal of `changes/`, the
//! images under `assets/`) into an empty PostgreSQL database, which then holds the truth: the
//! next `update` with `[store] url` set continues each source's countdown where it was, and
//! archives nothing twice.

use super::{Archive, ArchiveError, io_err};
use crate::store::{DATABASE_ID, DbErrorKind, Dump, Location, StoreError};

/// What a migration copied.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct MigrateReport {
    pub articles: usize,
    pub revisions: usize,
    pub events: usize,
    pub feeds: usize,
    pub list_lines: usize,
    pub journal: usize,
    pub images: usize,
}

/// `meta` keys that describe one SQLite file and its folder, not the archive: not copied.
fn local_meta(key: &str) -> bool {
    key == DATABASE_ID
        || key == super::FILES_INDEXED
        || key == "history_in_files"
        || key.starts_with("folder_signature:")
}

/// Pieces loaded per transaction.
const BATCH: usize = 200;

/// Copies `archive` (SQLite, opened and brought in line with its files) into the empty
/// PostgreSQL database at `to`.
pub fn migrate(archive: &Archive, to: &str) -> Result<MigrateReport, ArchiveError> {
    let location = Location::Postgres(to.to_string());
    let (mut pg, _) = crate::store::open(&location)?;
    let held: i64 = pg.counts()?.iter().map(|c| c.articles).sum();
    if held > 0 {
        return Err(StoreError::new(
            pg.at(),
            DbErrorKind::Other,
            format!(
                "it already holds {held} articles; migrate copies an archive into an empty \
                 database (a new database, or a new schema in the URL's search_path)"
            ),
        )
        .into());
    }
    let mut report = MigrateReport::default();
    let mut batch: Vec<Dump> = Vec::new();
    let mut failed: Option<StoreError> = None;
    let mut push = |d: Dump, batch: &mut Vec<Dump>, report: &mut MigrateReport| -> bool {
        match &d {
            Dump::Article(a) => {
                report.articles += 1;
                report.revisions += a.revisions.len();
                report.events += a.events.len();
            }
            Dump::Feed(_) => report.feeds += 1,
            Dump::ListExtra(..) => report.list_lines += 1,
            Dump::Meta(k, _) if local_meta(k) => return true,
            Dump::Meta(..) => {}
            Dump::Journal(_) => report.journal += 1,
            Dump::Asset(..) => report.images += 1,
        }
        batch.push(d);
        if batch.len() >= BATCH {
            if let Err(e) = pg.load_dump(batch) {
                failed = Some(e);
                return false;
            }
            batch.clear();
        }
        true
    };
    archive.store.dump(&mut |d| {
        if push(d, &mut batch, &mut report) {
            crate::store::Flow::Continue(())
        } else {
            crate::store::Flow::Break(())
        }
    })?;
    // With SQLite the journal and the images are files.
    for e in super::commit::read_journal(&archive.dir) {
        if !push(Dump::Journal(e), &mut batch, &mut report) {
            break;
        }
    }
    let assets = archive.dir.join(super::record::ASSETS);
    if let Ok(entries) = std::fs::read_dir(&assets) {
        let mut names: Vec<_> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        for name in names {
            let path = assets.join(&name);
            let bytes = std::fs::read(&path).map_err(io_err(&path))?;
            if !push(Dump::Asset(name, bytes), &mut batch, &mut report) {
                break;
            }
        }
    }
    if let Some(e) = failed.take() {
        return Err(e.into());
    }
    if !batch.is_empty() {
        pg.load_dump(&batch)?;
    }
    // Every source's count, checked.
    let want = archive.store.counts()?;
    let have = pg.counts()?;
    for c in &want {
        let got = have
            .iter()
            .find(|h| h.source == c.source)
            .map_or(0, |h| h.articles);
        if got != c.articles {
            return Err(StoreError::new(
                pg.at(),
                DbErrorKind::Other,
                format!(
                    "source {}: {} articles copied of {}",
                    c.source, got, c.articles
                ),
            )
            .into());
        }
    }
    Ok(report)
}
