//! The command line: parses arguments, calls the library, prints, chooses the exit code.
//!
//! Exit codes: 0 every source succeeded; 1 some sources failed (the others were archived);
//! 2 a bad command line or config; 3 the archive is locked by another run.

mod output;
mod service;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::archive::{self, Archive, ArchiveLock, LockError, UpdateOptions};
use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "newsmirror",
    version,
    about = "Keeps git mirrors of news outlets"
)]
struct Cli {
    /// Less output: only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ConfigArg {
    /// The config file.
    #[arg(long, default_value = "newsmirror.toml")]
    config: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch every source's feeds and archive what is new.
    Update {
        #[command(flatten)]
        config: ConfigArg,
        /// Print the summary as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// When another run holds the archive, wait for it instead of exiting 3.
        #[arg(long)]
        wait: bool,
    },
    /// Run as a service: fetch each source when it is due, until SIGTERM or SIGINT.
    Run {
        #[command(flatten)]
        config: ConfigArg,
        /// Fetch every source this often, overriding the sources' `interval`.
        #[arg(long, value_parser = parse_duration)]
        every: Option<std::time::Duration>,
        /// When another run holds the archive, wait for it instead of exiting 3.
        #[arg(long)]
        wait: bool,
    },
    /// Show each source's health: failures, last success, last error, next attempt.
    Status {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        json: bool,
    },
    /// Rewrite the lists and README from the database.
    Render {
        #[command(flatten)]
        config: ConfigArg,
    },
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration (e.g. 30m)"))
}

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
        Err(e) => {
            eprintln!("error: {e:#}");
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

/// An error that carries its exit code.
#[derive(Debug, thiserror::Error)]
#[error("exit {0}")]
struct Exit(u8);

fn load(config: &Path) -> anyhow::Result<Config> {
    Config::load(config).map_err(|e| anyhow::Error::new(e).context(Exit(2)))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
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
    match cli.command {
        Command::Update { config, json, wait } => {
            let config = load(&config.config)?;
            let (_lock, mut archive) = open(&config, wait, cli.quiet)?;
            let feeds: usize = config.sources.iter().map(|s| s.feeds.len()).sum();
            let bar = output::progress(feeds, cli.quiet || json);
            let opts = UpdateOptions {
                progress: bar.as_ref().map(|b| b.callback()),
                ..Default::default()
            };
            let report = runtime()?.block_on(archive::update(&config, &mut archive, &opts))?;
            if let Some(b) = bar {
                b.finish();
            }
            output::print_update(&report, json, cli.quiet)?;
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Run {
            config,
            every,
            wait,
        } => {
            let mut config = load(&config.config)?;
            if let Some(every) = every {
                for s in &mut config.sources {
                    s.interval = every;
                }
            }
            let (_lock, mut archive) = open(&config, wait, cli.quiet)?;
            runtime()?.block_on(service::run(&config, &mut archive, cli.quiet))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { config, json } => {
            let config = load(&config.config)?;
            // Reading needs no lock; the database is opened read-write but only read.
            let archive = Archive::open(&config)?;
            let health = archive::health(&archive.store, &config.sources)?;
            output::print_status(&health, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Render { config } => {
            let config = load(&config.config)?;
            let (_lock, archive) = open(&config, false, cli.quiet)?;
            let changed = archive.render_indexes(&config.sources)?;
            if !cli.quiet {
                println!("render: {changed} files rewritten");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
