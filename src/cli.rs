//! The command line: parses arguments, calls the library, prints, chooses the exit code.
//!
//! Exit codes: 0 every source succeeded; 1 some sources failed (the others were archived);
//! 2 a bad command line or config; 3 the archive is locked by another run.

/// `println!` for the command line's output: a reader that went away (`| head`, `| grep -q`)
/// is not an error and does not stop the command, whose exit code and stderr stay what the
/// work made them (a `println!` to a closed pipe would panic).
macro_rules! say {
    () => {
        $crate::cli::say_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::say_line(format_args!($($arg)*))
    };
}

mod args;
mod cluster;
mod docs;
mod extract;
mod init;
mod output;
mod reader;
mod service;
mod sources;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

pub use args::Cli;
use args::{Command, ExportFormat, SourcesAction};

use crate::archive::{self, Archive, ArchiveLock, LockError, UpdateOptions};
use crate::config::Config;

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    output::init_logging(cli.quiet, cli.verbose);
    match run(cli) {
        Ok(code) => code,
        // Whoever read the output stopped reading (`| head`): not an error.
        Err(e) if is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            let code = if e
                .downcast_ref::<LockError>()
                .is_some_and(|l| matches!(l, LockError::Busy { .. }))
            {
                3
            } else {
                e.downcast_ref::<Exit>().map_or(1, |x| x.0)
            };
            ExitCode::from(code)
        }
    }
}

/// Whether the error is a write to a pipe whose reader has gone.
fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes one line to stdout; a failed write (the reader went away) is ignored.
pub(crate) fn say_line(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{args}").and_then(|()| out.flush());
}

/// The error's chain as one line: the exit-code marker left out, and a cause left out when the
/// message before it already ends with it (many errors print their source themselves).
fn message(e: &anyhow::Error) -> String {
    // The marker is a context: the chain shows it as its text, not as an `Exit`.
    let marker = e.downcast_ref::<Exit>().map(ToString::to_string);
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if cause.downcast_ref::<Exit>().is_some() || Some(&text) == marker.as_ref() {
            continue;
        }
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// An error that carries its exit code.
#[derive(Debug, thiserror::Error)]
#[error("exit {0}")]
pub(crate) struct Exit(pub(crate) u8);

/// The config file `--config` names, or `./newsmirror.toml`.
fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .unwrap_or_else(|| PathBuf::from("newsmirror.toml"))
}

fn load(config: &Path) -> anyhow::Result<Config> {
    Config::load(config).map_err(|e| {
        let missing = matches!(&e, crate::config::ConfigError::Read { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound);
        let e = if missing {
            anyhow::anyhow!(
                "{e} (`newsmirror init DIR` starts a mirror; --config FILE names another config)"
            )
        } else {
            anyhow::Error::new(e)
        };
        e.context(Exit(2))
    })
}

/// Loads a config that must have sources to fetch.
fn load_with_sources(config: &Path) -> anyhow::Result<Config> {
    let c = load(config)?;
    if c.sources.is_empty() {
        return Err(anyhow::anyhow!(
            "config file {} has no [[sources]]: nothing to mirror (`newsmirror outlets` lists known outlets; `newsmirror sources import FILE.opml` adds feeds)",
            c.path.display()
        )
        .context(Exit(2)));
    }
    Ok(c)
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Locks and opens the archive of `config`.
fn open(config: &Config, wait: bool, quiet: bool) -> anyhow::Result<(ArchiveLock, Archive)> {
    let lock = ArchiveLock::acquire(&config.archive_dir, wait)?;
    let archive = Archive::open(config)
        .with_context(|| format!("cannot open the archive {}", config.archive_dir.display()))?;
    if let Some(r) = &archive.reconciled {
        output::report_reconcile(r, quiet);
    }
    Ok((lock, archive))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let path = config_path(&cli);
    let quiet = cli.quiet;
    match cli.command {
        Command::Init { .. } if cli.config.is_some() => Err(anyhow::anyhow!(
            "init writes DIR/newsmirror.toml: --config does not apply (the mirror's later commands take --config DIR/newsmirror.toml)"
        )
        .context(Exit(2))),
        Command::Init {
            dir,
            outlets,
            no_commit,
        } => init::init(&dir, &outlets, !no_commit, quiet),
        Command::Outlets { json } => init::outlets(json),
        Command::Completions { shell } => docs::completions(shell),
        Command::Manual => docs::manual(),
        Command::Update { json, wait } => {
            let config = load_with_sources(&path)?;
            let (_lock, mut archive) = open(&config, wait, quiet)?;
            let feeds: usize = config.sources.iter().map(|s| s.feeds.len()).sum();
            let bar = output::progress(feeds, quiet || json);
            let opts = UpdateOptions {
                progress: bar.as_ref().map(|b| b.callback()),
                ..Default::default()
            };
            let report = runtime()?.block_on(archive::update(&config, &mut archive, &opts))?;
            if let Some(b) = bar {
                b.finish();
            }
            let published =
                archive::render_and_publish(&config, &archive, &archive::commit_message(&report))?;
            let code = if report.ok() && published.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
            // The archive is written: a reader that went away changes nothing about that.
            let printed = output::print_update(&report, json, quiet);
            output::print_publish(&published, quiet || json);
            match printed {
                Err(e) if !is_closed_pipe(&e) => Err(e),
                _ => Ok(code),
            }
        }
        Command::Run { every, wait } => {
            let mut config = load_with_sources(&path)?;
            if let Some(every) = every {
                for s in &mut config.sources {
                    s.interval = every;
                }
            }
            let (_lock, mut archive) = open(&config, wait, quiet)?;
            let rt = runtime()?;
            let done = rt.block_on(service::run(config, &mut archive, every, quiet));
            // Requests abandoned at a stop end with the runtime, without waiting for them.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            done?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker { once } => {
            let config = load_with_sources(&path)?;
            cluster::worker(&config, once, quiet)
        }
        Command::Publish { once } => {
            let config = load(&path)?;
            cluster::publish(&config, once, quiet)
        }
        Command::Migrate { to } => {
            let config = load(&path)?;
            cluster::migrate(&config, &to, quiet)
        }
        Command::Status { json } => {
            let config = load(&path)?;
            // Reading needs no lock, and does no recovery: another run may be writing.
            let archive = Archive::open_to_read(&config)?;
            let health = archive::health(&archive.store, &config.sources)?;
            output::print_status(&health, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Render => {
            let config = load(&path)?;
            let (_lock, archive) = open(&config, false, quiet)?;
            let changed = archive.render_articles()?
                + archive.render_indexes(&config)?
                + archive.render_feeds(&config, None)?;
            if !quiet {
                say!(
                    "render: {}",
                    output::count(changed, "file", "files") + " rewritten"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { dir } => {
            let config = load(&path)?;
            let (_lock, mut archive) = open(&config, false, true)?;
            let opened = archive.reconciled.take().unwrap_or_default();
            let mut report = archive::import(&config, &mut archive, &dir)
                .with_context(|| format!("cannot import {}", dir.display()))?;
            // Importing the archive's own folder: opening it already read the files.
            report.reconciled.added += opened.added;
            report.reconciled.list_extras += opened.list_extras;
            report.reconciled.unreadable.extend(opened.unreadable);
            report.reconciled.skipped.extend(opened.skipped);
            let rendered = archive.render_indexes(&config)?;
            output::print_import(&report, rendered, quiet);
            Ok(
                if report.reconciled.unreadable.is_empty()
                    && report.unmapped.is_empty()
                    && report.skipped.is_empty()
                    && report.reconciled.skipped.is_empty()
                {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                },
            )
        }
        Command::Export {
            format: ExportFormat::Jsonl,
            since,
        } => {
            let config = load(&path)?;
            let since_ms = match since {
                None => i64::MIN,
                Some(s) => parse_since(&s).map_err(|e| anyhow::anyhow!(e).context(Exit(2)))?,
            };
            let archive = Archive::open_to_read(&config)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let store = &archive.store;
            store.for_each_export::<anyhow::Error>(since_ms, &mut |a| {
                let enclosures = store.enclosures_at(&a.source, &a.path)?;
                writeln!(
                    out,
                    "{}",
                    crate::render::export::jsonl_line(&a, &enclosures)
                )?;
                Ok(())
            })?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Recheck { now, json } => {
            let config = load(&path)?;
            let (_lock, mut archive) = open(&config, false, quiet)?;
            // Ctrl-C or SIGTERM abandons the pages still awaited: nothing is written until
            // every page has answered, and the pages stay due.
            let rt = runtime()?;
            let report = rt.block_on(async {
                tokio::select! {
                    r = archive::recheck(&config, &mut archive, now) => Ok(r),
                    code = service::wait_for_signal() => Err(code),
                }
            });
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            let report = match report {
                Ok(r) => r?,
                Err(code) => {
                    eprintln!(
                        "recheck: stopped by a signal before every page answered; nothing was written"
                    );
                    return Ok(ExitCode::from(code));
                }
            };
            let msg = format!(
                "recheck: {} removed, {} restored",
                report.removed, report.restored
            );
            let published = archive::render_and_publish(&config, &archive, &msg)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&report)?);
            } else if !quiet {
                say!("{}", output::recheck_line(&report));
            }
            output::print_publish(&published, quiet || json);
            let none_reached = report.checked > 0 && report.unreachable == report.checked;
            if none_reached {
                eprintln!(
                    "error: recheck: none of the {} pages could be reached (network down, or every outlet refusing?); nothing was concluded",
                    report.checked
                );
            }
            Ok(if published.failed.is_empty() && !none_reached {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::History { article, json } => {
            let config = load(&path)?;
            let archive = Archive::open_to_read(&config)?;
            let (slug, id) = article
                .split_once('/')
                .and_then(|(s, i)| Some((s, i.trim_end_matches(".md").parse::<i64>().ok()?)))
                .ok_or_else(|| {
                    anyhow::anyhow!("{article:?} is not <slug>/<id>, e.g. dw/1048574")
                        .context(Exit(2))
                })?;
            let Some(info) = archive.store.article(slug, id)? else {
                anyhow::bail!("no article {slug}/{id} in the archive");
            };
            let revisions = archive.store.revisions(info.pk)?;
            let events = archive.store.events_of(info.pk)?;
            output::print_history(&info, &revisions, &events, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract {
            source,
            format,
            text,
            out,
            inputs,
        } => {
            let config = if cli.config.is_some() || path.exists() {
                Some(load(&path)?)
            } else {
                None
            };
            let format = if text { extract::Format::Text } else { format };
            extract::run(
                config.as_ref(),
                source.as_deref(),
                format,
                out.as_deref(),
                &inputs,
            )
        }
        Command::Sources { action } => {
            let config = load(&path)?;
            match action {
                SourcesAction::Import { file, allow_local } => {
                    sources::import(&config, &file, allow_local, quiet)
                }
                SourcesAction::Export => sources::export(&config),
                SourcesAction::Remove { slug, purge } => {
                    sources::remove(&config, &slug, purge, quiet)
                }
            }
        }
        Command::Serve { addr } => {
            let config = load(&path)?;
            reader::serve(&config, addr, quiet)
        }
        Command::Search {
            source,
            page,
            json,
            query,
        } => {
            let config = load(&path)?;
            reader::search(&config, &query.join(" "), source, page, json)
        }
        Command::Reindex => {
            let config = load(&path)?;
            let (_lock, mut archive) = open(&config, false, quiet)?;
            reader::reindex(&config, &mut archive, quiet)
        }
        Command::Site { out } => {
            let config = load(&path)?;
            reader::site(&config, &out, quiet)
        }
    }
}

/// `YYYY-MM-DD` (UTC midnight) or RFC 3339 → milliseconds.
fn parse_since(s: &str) -> Result<i64, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_millis()
        })
        .map_err(|_| format!("--since {s:?} is not a date (YYYY-MM-DD or RFC 3339)"))
}
