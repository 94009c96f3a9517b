//! `newsmirror run`: the long-running service.

use std::time::Duration;

use tokio::sync::watch;

use crate::archive::{self, Archive, UpdateOptions};
use crate::config::Config;

/// The longest the service sleeps before it looks again at what is due.
const MAX_NAP: Duration = Duration::from_secs(60);

/// Fetches each source when it is due, until SIGTERM or SIGINT; then finishes what it is
/// writing and returns.
pub async fn run(config: &Config, archive: &mut Archive, quiet: bool) -> anyhow::Result<()> {
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        // A push that hangs stops too; its commit is pushed by the next run.
        crate::publish::interrupt();
        let _ = stop_tx.send(true);
    });
    if !quiet {
        eprintln!(
            "newsmirror run: {} sources; SIGTERM or Ctrl-C stops",
            config.sources.len()
        );
    }
    loop {
        if *stop.borrow() {
            break;
        }
        let now = chrono::Utc::now().timestamp_millis();
        let health = archive::health(&archive.store, &config.sources)?;
        let due: Vec<String> = health
            .iter()
            .filter(|h| h.next_attempt_ms.is_none_or(|t| t <= now))
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
            let published = archive::publish(config, archive, &archive::commit_message(&report))?;
            super::output::print_update(&report, false, quiet)?;
            super::output::print_publish(&published, quiet);
            if *stop.borrow() {
                break;
            }
        }
        // Pages of recent articles, on their own schedule (recheck_every).
        let rechecked = archive::recheck(config, archive, false).await?;
        if rechecked.removed + rechecked.restored > 0 {
            let msg = format!(
                "recheck: {} removed, {} restored",
                rechecked.removed, rechecked.restored
            );
            let published = archive::publish(config, archive, &msg)?;
            super::output::print_publish(&published, quiet);
        }
        let health = archive::health(&archive.store, &config.sources)?;
        let now = chrono::Utc::now().timestamp_millis();
        let next = health
            .iter()
            .filter_map(|h| h.next_attempt_ms)
            .min()
            .unwrap_or(now);
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

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
