//! What the command line prints: logs, progress, summaries, tables.

use std::io::IsTerminal;
use std::sync::Arc;

use unicode_width::UnicodeWidthStr;

use crate::archive::{self, FeedDone, SourceHealth, UpdateReport};

/// `1 source`, `2 sources`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `s` padded with spaces to `width` columns as a terminal shows them (a Chinese character
/// takes two).
pub fn pad(s: &str, width: usize) -> String {
    let w = s.width();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// The widest of `items` in terminal columns, at least `min`.
pub fn column(items: impl IntoIterator<Item = impl AsRef<str>>, min: usize) -> usize {
    items
        .into_iter()
        .map(|s| s.as_ref().width())
        .fold(min, usize::max)
}

/// What `recheck` prints: unreachable pages apart from those found missing.
pub fn recheck_line(r: &archive::RecheckReport) -> String {
    format!(
        "recheck: {} checked, {} newly missing, {} removed, {} restored, {} unreachable",
        count(r.checked, "page", "pages"),
        r.missing,
        r.removed,
        r.restored,
        r.unreachable
    )
}

pub fn init_logging(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEWSMIRROR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// A progress bar over feeds, shown only when stderr is a terminal.
pub struct Progress {
    bar: indicatif::ProgressBar,
}

pub fn progress(feeds: usize, quiet: bool) -> Option<Progress> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(feeds as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} fetching [{bar:30}] {pos}/{len} feeds {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(Progress { bar })
}

impl Progress {
    pub fn callback(&self) -> archive::ProgressFn {
        let bar = self.bar.clone();
        Arc::new(move |done: &FeedDone| {
            if let Some(e) = &done.error {
                bar.println(format!("failed: {} {}: {e}", done.source, done.feed));
            }
            bar.set_message(done.source.clone());
            bar.inc(1);
        })
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

pub fn report_reconcile(r: &archive::ReconcileReport, quiet: bool) {
    if !quiet && r.added > 0 {
        if r.adopted {
            eprintln!(
                "adopted {} article files this database did not write (read in, kept as they are)",
                r.added
            );
        } else {
            eprintln!("rebuilt the database from the files: {} articles", r.added);
        }
    }
    for (path, why) in &r.unreadable {
        eprintln!("warning: {}: {why}; left as it is", path.display());
    }
    for (path, why) in &r.skipped {
        eprintln!("warning: {}: {why}; skipped", path.display());
    }
}

pub fn print_update(report: &UpdateReport, json: bool, quiet: bool) -> anyhow::Result<()> {
    if json {
        say!("{}", serde_json::to_string_pretty(report)?);
    } else if !quiet {
        let w = column(report.sources.iter().map(|s| &s.slug), 12);
        for s in &report.sources {
            let mut line = format!("{} {:>4} new", pad(&s.slug, w), s.new);
            if s.not_modified > 0 {
                line.push_str(&format!(", {} not modified", s.not_modified));
            }
            if !s.failures.is_empty() {
                line.push_str(", FAILED");
            }
            say!("{line}");
        }
        say!(
            "update: {}, {}, {} failed",
            count(report.new_articles(), "new article", "new articles"),
            count(report.sources.len(), "source", "sources"),
            report
                .sources
                .iter()
                .filter(|s| !s.failures.is_empty())
                .count()
        );
    }
    for s in &report.sources {
        for f in &s.failures {
            eprintln!(
                "error: source {} ({}): feed {}: {}",
                s.slug, s.name, f.feed, f.error
            );
        }
    }
    Ok(())
}

pub fn print_status(health: &[SourceHealth], json: bool) -> anyhow::Result<()> {
    if json {
        say!("{}", serde_json::to_string_pretty(health)?);
        return Ok(());
    }
    // UTC, as `run` and `search` say it (the header names the zone).
    let t = |ms: Option<i64>| {
        ms.and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let w = column(health.iter().map(|h| &h.slug), 14);
    say!(
        "{} {:>8} {:<8} {:>5}  {:<16}  {:<16}  last error",
        pad("source", w),
        "articles",
        "state",
        "fails",
        "last success UTC",
        "next attempt UTC"
    );
    for h in health {
        say!(
            "{} {:>8} {:<8} {:>5}  {:<16}  {:<16}  {}",
            pad(&h.slug, w),
            h.articles,
            h.state,
            h.failures,
            t(h.last_success_ms),
            t(h.next_attempt_ms),
            h.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

pub fn print_publish(p: &archive::PublishReport, quiet: bool) {
    if !quiet {
        if let Some(c) = &p.commit {
            say!("publish: committed {}", &c[..c.len().min(12)]);
        }
        for r in &p.pushed {
            say!("publish: pushed to {r}");
        }
    }
    for remote in &p.undefined {
        eprintln!(
            "note: not pushed: this repository has no remote {remote:?} yet (git remote add {remote} URL; the next run pushes)"
        );
    }
    for (remote, why) in &p.failed {
        eprintln!("error: push to {remote} failed: {why}; the next run pushes it again");
    }
}

pub fn print_import(r: &archive::ImportReport, rendered: usize, quiet: bool) {
    if !quiet {
        say!(
            "import: {} copied, {} read, {} kept, {} rewritten",
            count(r.copied, "file", "files"),
            count(r.reconciled.added, "article", "articles"),
            count(r.reconciled.list_extras, "list entry", "list entries"),
            count(rendered, "index file", "index files"),
        );
    }
    for f in &r.unmapped {
        eprintln!(
            "warning: articles/{f}/: no source has slug or import_from = {f:?}; not imported"
        );
    }
    for p in &r.conflicts {
        eprintln!(
            "warning: {}: the archive holds other bytes there; left as it is",
            p.display()
        );
    }
    for (path, why) in &r.reconciled.unreadable {
        eprintln!("warning: {}: {why}; left as it is", path.display());
    }
    for (path, why) in r.skipped.iter().chain(&r.reconciled.skipped) {
        eprintln!("warning: {}: {why}; skipped", path.display());
    }
}

/// The diff between two revisions, on their titles and readable text.
fn revision_diff(
    old: &crate::store::RevisionRow,
    new: &crate::store::RevisionRow,
) -> Vec<crate::history::Change> {
    crate::history::diff_text(
        &format!("{}\n{}", old.title, crate::text::text_of_html(&old.content)),
        &format!("{}\n{}", new.title, crate::text::text_of_html(&new.content)),
    )
}

pub fn print_history(
    info: &crate::store::ArticleInfo,
    revisions: &[crate::store::RevisionRow],
    events: &[crate::store::EventRow],
    json: bool,
) -> anyhow::Result<()> {
    let t = archive::format_time;
    if json {
        let revs: Vec<serde_json::Value> = revisions
            .iter()
            .enumerate()
            .map(|(i, r)| {
                serde_json::json!({
                    "n": r.n,
                    "seen_ms": r.seen_ms,
                    "seen": t(r.seen_ms),
                    "title": r.title,
                    "content": r.content,
                    "hash": r.hash,
                    "diff": if i > 0 { Some(revision_diff(&revisions[i - 1], r)) } else { None },
                })
            })
            .collect();
        let evs: Vec<serde_json::Value> = events
            .iter()
            .map(|e| serde_json::json!({"kind": e.kind, "at_ms": e.at_ms, "at": t(e.at_ms), "revision": e.revision}))
            .collect();
        let v = serde_json::json!({
            "source": info.source,
            "id": info.id,
            "path": info.path,
            "link": info.link,
            "title": info.title,
            "status": info.status,
            "first_seen_ms": info.first_seen_ms,
            "revisions": revs,
            "events": evs,
        });
        say!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    say!("{}/{}  {}", info.source, info.id, info.title);
    say!("  {}  ({})", info.link, info.path);
    say!(
        "  first seen {}, status {}",
        t(info.first_seen_ms),
        info.status
    );
    for (i, r) in revisions.iter().enumerate() {
        say!("\nrevision {}  seen {}  {}", r.n, t(r.seen_ms), r.title);
        if i > 0 {
            let d = revision_diff(&revisions[i - 1], r);
            say!(
                "  {}",
                crate::history::short_diff(&d, ("[-", "-]", "{+", "+}"), 2000)
            );
        }
    }
    for e in events.iter().filter(|e| e.kind != "edited") {
        say!("\n{} {}", e.kind, t(e.at_ms));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_columns() {
        assert_eq!(count(1, "source", "sources"), "1 source");
        assert_eq!(count(0, "source", "sources"), "0 sources");
        assert_eq!(count(2, "index file", "index files"), "2 index files");
        // A Chinese character takes two columns.
        assert_eq!(pad("新闻", 6), "新闻  ");
        assert_eq!(pad("dw", 6), "dw    ");
        assert_eq!(column(["新闻来源", "dw"], 4), 8);
    }
}
