//! `newsmirror run`: the long-running service.

use std::time::Duration;

use tokio::sync::watch;

use crate::archive::{self, Archive, UpdateOptions};
use crate::config::Config;
use crate::store::blocking;

/// The longest the service sleeps before it looks again at what is due.
const MAX_NAP: Duration = Duration::from_secs(60);

/// When a source is next due: with `every`, its last attempt plus `every` (or the backoff
/// after failures), whatever an earlier run stored; else the time stored by the last update.
/// `None`: never tried, due now.
fn next_due(h: &archive::SourceHealth, every: Option<Duration>) -> Option<i64> {
    match every {
        None => h.next_attempt_ms,
        Some(every) => {
            let every_ms = every.as_millis() as i64;
            let wait = if h.failures > 0 {
                archive::backoff_ms(h.failures, every_ms)
            } else {
                every_ms
            };
            h.last_attempt_ms.map(|t| t + wait)
        }
    }
}

/// A short span of time: `45s`, `12m`, `3h05m`.
fn short(ms: i64) -> String {
    let s = (ms.max(0) + 999) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

/// `next fetch: dw in 5s, bbc in 59m` (the soonest first, at most eight named).
fn schedule_line(due: &[(String, Option<i64>)], now: i64) -> String {
    let mut due: Vec<(&str, i64)> = due
        .iter()
        .map(|(s, t)| (s.as_str(), t.unwrap_or(now)))
        .collect();
    due.sort_by_key(|&(s, t)| (t, s));
    let shown: Vec<String> = due
        .iter()
        .take(8)
        .map(|&(s, t)| match t - now {
            ..1000 => format!("{s} now"),
            wait => format!("{s} in {}", short(wait)),
        })
        .collect();
    let mut line = format!("newsmirror run: next fetch: {}", shown.join(", "));
    if due.len() > 8 {
        line.push_str(&format!(", and {} more", due.len() - 8));
    }
    if let Some((_, t)) = due.first() {
        let at = chrono::DateTime::from_timestamp_millis(*t).unwrap_or_default();
        line.push_str(&format!(" (at {})", at.format("%Y-%m-%d %H:%M UTC")));
    }
    line
}

/// Fetches each source when it is due, until SIGTERM or SIGINT; then finishes what it is
/// writing and returns. `every` overrides every source's interval and stored schedule.
pub async fn run(
    config: Config,
    archive: &mut Archive,
    every: Option<Duration>,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut config = config;
    let mut watched = Watched::of(&config.path);
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        let _ = wait_for_signal().await;
        // A push that hangs stops too; its commit is pushed by the next run.
        crate::publish::interrupt();
        let _ = stop_tx.send(true);
    });
    if !quiet {
        eprintln!(
            "newsmirror run: {}{}; SIGTERM or Ctrl-C stops",
            super::output::count(config.sources.len(), "source", "sources"),
            every.map_or(String::new(), |e| format!(
                ", each every {}",
                short(e.as_millis() as i64)
            ))
        );
    }
    let mut last_line = String::new();
    loop {
        if *stop.borrow() {
            break;
        }
        // A config changed since (by the keeper, or by a merge of their pushed commit).
        if let Some(new) = watched.reload(&config, every, quiet) {
            config = new;
        }
        let config = &config;
        let now = chrono::Utc::now().timestamp_millis();
        let health = blocking(|| archive::health(&archive.store, &config.sources))?;
        let due: Vec<String> = health
            .iter()
            .filter(|h| next_due(h, every).is_none_or(|t| t <= now))
            .map(|h| h.slug.clone())
            .collect();
        if !due.is_empty() {
            let opts = UpdateOptions {
                only: Some(due),
                shutdown: Some(stop.clone()),
                ..Default::default()
            };
            let report = archive::update(config, archive, &opts).await?;
            if report.interrupted {
                break;
            }
            let published = blocking(|| {
                archive::render_and_publish(config, archive, &archive::commit_message(&report))
            })?;
            super::output::print_update(&report, false, quiet)?;
            super::output::print_publish(&published, quiet);
            if *stop.borrow() {
                break;
            }
        }
        // Pages of recent articles, on their own schedule (recheck_every), while no feed is
        // due: a recheck of pages that hang must not hold back the feeds, nor a stop.
        // Dropping the recheck while it waits for pages writes nothing (it writes only once
        // every page has answered); the pages stay due.
        let budget = recheck_budget(archive, config, every)?;
        let mut stop_rx = stop.clone();
        let rechecked = tokio::select! {
            r = archive::recheck(config, archive, false) => Some(r?),
            _ = stop_rx.wait_for(|s| *s) => break,
            _ = tokio::time::sleep(budget) => None,
        };
        match &rechecked {
            None if !quiet => eprintln!(
                "newsmirror run: page recheck put off after {}: feeds are due (the pages stay due)",
                short(budget.as_millis() as i64)
            ),
            None => {}
            Some(r) if r.checked > 0 && !quiet => {
                eprintln!("newsmirror run: {}", super::output::recheck_line(r))
            }
            Some(_) => {}
        }
        if let Some(r) = rechecked.filter(|r| r.removed + r.restored > 0) {
            let msg = format!("recheck: {} removed, {} restored", r.removed, r.restored);
            let published = blocking(|| archive::render_and_publish(config, archive, &msg))?;
            super::output::print_publish(&published, quiet);
        }
        let health = blocking(|| archive::health(&archive.store, &config.sources))?;
        let now = chrono::Utc::now().timestamp_millis();
        let schedule: Vec<(String, Option<i64>)> = health
            .iter()
            .map(|h| (h.slug.clone(), next_due(h, every)))
            .collect();
        let next = schedule
            .iter()
            .map(|(_, t)| t.unwrap_or(now))
            .min()
            .unwrap_or(now + MAX_NAP.as_millis() as i64);
        // Said whenever the plan changes (not on every idle wake-up).
        let plan: Vec<String> = schedule
            .iter()
            .map(|(s, t)| format!("{s}@{}", t.unwrap_or(0) / 1000))
            .collect();
        let plan = plan.join(",");
        if plan != last_line {
            if !quiet {
                eprintln!("{}", schedule_line(&schedule, now));
            }
            last_line = plan;
        }
        let nap = Duration::from_millis((next - now).max(0) as u64)
            .clamp(Duration::from_millis(200), MAX_NAP);
        let mut stop = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    if !quiet {
        eprintln!("newsmirror run: stopped");
    }
    Ok(())
}

/// The config file as `run` last read it, to notice a change.
struct Watched {
    path: std::path::PathBuf,
    stamp: Option<(std::time::SystemTime, u64)>,
}

impl Watched {
    fn stamp(path: &std::path::Path) -> Option<(std::time::SystemTime, u64)> {
        let m = std::fs::metadata(path).ok()?;
        Some((m.modified().ok()?, m.len()))
    }

    fn of(path: &std::path::Path) -> Watched {
        Watched {
            path: path.to_path_buf(),
            stamp: Watched::stamp(path),
        }
    }

    /// The config read again when its file changed and it is valid (with `every` applied);
    /// an invalid one is reported once and the running config kept. The archive's folder
    /// cannot change under a running service.
    fn reload(&mut self, running: &Config, every: Option<Duration>, quiet: bool) -> Option<Config> {
        let stamp = Watched::stamp(&self.path);
        if stamp == self.stamp {
            return None;
        }
        self.stamp = stamp;
        let mut new = match Config::load(&self.path) {
            Ok(c) if c.archive_dir != running.archive_dir => {
                eprintln!(
                    "newsmirror run: {} now names another archive folder; restart to use it (the running config stays)",
                    self.path.display()
                );
                return None;
            }
            Ok(c) if c.sources.is_empty() => {
                eprintln!(
                    "newsmirror run: {} has no [[sources]] now; the running config stays",
                    self.path.display()
                );
                return None;
            }
            Ok(c) => c,
            Err(e) => {
                eprintln!("newsmirror run: {e}; the running config stays");
                return None;
            }
        };
        if let Some(every) = every {
            for s in &mut new.sources {
                s.interval = every;
            }
        }
        if !quiet {
            eprintln!(
                "newsmirror run: {} read again: {}",
                self.path.display(),
                super::output::count(new.sources.len(), "source", "sources")
            );
        }
        Some(new)
    }
}

/// How long a page recheck may hold the loop: until the next feed is due, but at least
/// [`MIN_RECHECK`] (so that a recheck of slow pages can finish between frequent fetches).
fn recheck_budget(
    archive: &Archive,
    config: &Config,
    every: Option<Duration>,
) -> anyhow::Result<Duration> {
    let now = chrono::Utc::now().timestamp_millis();
    let health = blocking(|| archive::health(&archive.store, &config.sources))?;
    let next = health
        .iter()
        .map(|h| next_due(h, every).unwrap_or(now))
        .min()
        .unwrap_or(now);
    Ok(Duration::from_millis((next - now).max(0) as u64).max(MIN_RECHECK))
}

/// The least time a page recheck gets when feeds are due.
const MIN_RECHECK: Duration = Duration::from_secs(5);

/// Waits for SIGTERM or SIGINT (Ctrl-C); the exit code a shell gives a process it ended
/// (128 + the signal's number).
pub(super) async fn wait_for_signal() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        tokio::select! {
            _ = term.recv() => 143,
            _ = int.recv() => 130,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(last: Option<i64>, stored: Option<i64>, failures: i64) -> archive::SourceHealth {
        archive::SourceHealth {
            slug: "dw".into(),
            name: "DW".into(),
            articles: 0,
            state: archive::FeedHealth::Ok,
            failures,
            last_success_ms: None,
            last_error: None,
            last_attempt_ms: last,
            next_attempt_ms: stored,
        }
    }

    #[test]
    fn every_overrides_the_stored_schedule() {
        // An update an hour ago stored "next in an hour"; --every 5s makes it due 5 s after.
        let h = health(Some(1_000_000), Some(1_000_000 + 3_600_000), 0);
        assert_eq!(next_due(&h, None), Some(4_600_000));
        assert_eq!(next_due(&h, Some(Duration::from_secs(5))), Some(1_005_000));
        // Failing: the backoff, bounded by --every.
        let f = health(Some(1_000_000), Some(9_999_999), 2);
        assert_eq!(next_due(&f, Some(Duration::from_secs(5))), Some(1_010_000));
        // Never tried: due now.
        assert_eq!(
            next_due(&health(None, None, 0), Some(Duration::from_secs(5))),
            None
        );
    }

    #[test]
    fn schedule_line_names_sources_soonest_first() {
        let line = schedule_line(
            &[("bbc".into(), Some(3_600_000)), ("dw".into(), Some(5_000))],
            0,
        );
        assert!(
            line.starts_with("newsmirror run: next fetch: dw in 5s, bbc in 1h00m"),
            "{line}"
        );
    }
}
