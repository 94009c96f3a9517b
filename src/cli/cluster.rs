//! The cluster's commands: `worker`, `publish`, `migrate`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

use super::Exit;
use crate::archive::worker::{WorkerOptions, work};
use crate::archive::{self, Archive, ArchiveLock, UpdateReport};
use crate::config::Config;
use crate::store::{DbErrorKind, blocking};

/// Refuses a config without `[store] url`.
fn need_cluster(config: &Config, command: &str) -> anyhow::Result<()> {
    if config.cluster() {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "`{command}` runs a cluster, whose archive lives in PostgreSQL: set [store] url = \
         \"postgres://user@host:5432/db\" in {} (`newsmirror migrate --to URL` copies this \
         archive there first); with SQLite, `update` and `run` do everything",
        config.path.display()
    )
    .context(Exit(2)))
}

/// A channel that turns true on SIGTERM or SIGINT.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        super::service::wait_for_signal().await;
        let _ = tx.send(true);
    });
    rx
}

pub fn worker(config: &Config, once: bool, quiet: bool) -> anyhow::Result<ExitCode> {
    need_cluster(config, "worker")?;
    let rt = super::runtime()?;
    let report = rt.block_on(async {
        let mut archive = blocking(|| Archive::open_cluster(config))
            .context("cannot open the archive's database")?;
        let opts = WorkerOptions {
            once,
            shutdown: Some(stop_on_signal()),
            on_batch: (!quiet).then(|| {
                Arc::new(|r: &UpdateReport| {
                    let _ = super::output::print_update(r, false, false);
                }) as Arc<dyn Fn(&UpdateReport) + Send + Sync>
            }),
        };
        anyhow::Ok(work(config, &mut archive, &opts).await?)
    })?;
    if !quiet {
        println!(
            "worker: {} sources in {} batches, {} new, {} edited, {} pages rechecked ({} removed)",
            report.sources,
            report.batches,
            report.new,
            report.edited,
            report.rechecked,
            report.removed
        );
    }
    Ok(if report.failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn publish(config: &Config, once: bool, quiet: bool) -> anyhow::Result<ExitCode> {
    need_cluster(config, "publish")?;
    let rt = super::runtime()?;
    let _lock = ArchiveLock::acquire(&config.archive_dir, false)?;
    let mut archive =
        Archive::open_cluster(config).context("cannot open the archive's database")?;
    if !lock_publisher(&archive)? {
        return Err(anyhow::anyhow!(
            "another publisher is rendering this archive (it holds the database's publisher \
             lock); one at a time"
        )
        .context(Exit(3)));
    }
    let stop = rt.block_on(async { stop_on_signal() });
    let mut failed = false;
    let mut waiting = 0u32;
    loop {
        match publish_once(config, &mut archive, quiet) {
            Ok(ok) => {
                failed |= !ok;
                waiting = 0;
            }
            Err(e) if !once && is_unavailable(&e) => {
                waiting += 1;
                eprintln!("publish: {e:#}; trying again");
            }
            Err(e) => return Err(e),
        }
        if once || *stop.borrow() {
            break;
        }
        let wait = if waiting > 0 {
            Duration::from_secs(1 << waiting.min(5))
        } else {
            config.store.publish_every
        };
        let mut stop = stop.clone();
        let stopped = rt.block_on(async {
            tokio::select! {
                _ = tokio::time::sleep(wait) => false,
                _ = stop.wait_for(|s| *s) => true,
            }
        });
        if stopped {
            break;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn is_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<crate::store::StoreError>()
            .is_some_and(|s| s.kind() == DbErrorKind::Unavailable)
    })
}

/// How long a starting publisher waits for the lock: a publisher that just died (a crash, a
/// restart by systemd) holds it until the server notices its connection closed.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Takes the database's publisher lock, waiting up to [`LOCK_GRACE`]; false if another
/// publisher still holds it.
fn lock_publisher(archive: &Archive) -> anyhow::Result<bool> {
    let deadline = std::time::Instant::now() + LOCK_GRACE;
    loop {
        if archive.store.try_lock_publisher()? {
            return Ok(true);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// One render and publication. False when a remote failed.
fn publish_once(config: &Config, archive: &mut Archive, quiet: bool) -> anyhow::Result<bool> {
    // Taken again each time: a connection that was lost (a restart of the server) lost it.
    if !archive.store.try_lock_publisher()? {
        return Err(anyhow::anyhow!(
            "another publisher took this archive over while the database was away"
        )
        .context(Exit(3)));
    }
    let rendered = archive::render_from_database(config, archive)?;
    let published = archive::publish(config, archive, &rendered.commit_message())?;
    if !quiet {
        let new: usize = rendered.new.values().sum();
        println!(
            "publish: {new} new, {} edited, {} revisions, {} images, {} indexes rewritten",
            rendered.rewritten, rendered.revisions, rendered.assets, rendered.indexes
        );
    }
    super::output::print_publish(&published, quiet);
    Ok(published.failed.is_empty())
}

pub fn migrate(config: &Config, to: &str, quiet: bool) -> anyhow::Result<ExitCode> {
    if config.cluster() {
        return Err(anyhow::anyhow!(
            "{} already keeps its archive in PostgreSQL ([store] url); migrate copies an SQLite \
             archive",
            config.path.display()
        )
        .context(Exit(2)));
    }
    crate::store::postgres::check_url(to)
        .map_err(|why| anyhow::anyhow!("--to {to:?}: {why}").context(Exit(2)))?;
    let (_lock, archive) = super::open(config, false, quiet)?;
    let report = archive::migrate::migrate(&archive, to).with_context(|| {
        format!(
            "cannot copy the archive into {}",
            crate::store::postgres::redacted(to)
        )
    })?;
    if !quiet {
        println!(
            "migrate: {} articles ({} revisions, {} events), {} feeds, {} list lines, {} journal \
             entries, {} images copied",
            report.articles,
            report.revisions,
            report.events,
            report.feeds,
            report.list_lines,
            report.journal,
            report.images
        );
        println!(
            "next: add to {}:\n[store]\nurl = \"{}\"",
            config.path.display(),
            crate::store::postgres::redacted(to)
        );
    }
    Ok(ExitCode::SUCCESS)
}
