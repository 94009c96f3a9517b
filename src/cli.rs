//! The command line: parses arguments, calls the library, prints, chooses the exit code.
//!
//! Exit codes: 0 every source succeeded; 1 some sources failed (the others were archived);
//! 2 a bad command line or config; 3 the archive is locked by another run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::archive::{self, Archive, UpdateReport};
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

#[derive(Subcommand)]
enum Command {
    /// Fetch every source's feeds and archive what is new.
    Update {
        /// The config file.
        #[arg(long, default_value = "newsmirror.toml")]
        config: PathBuf,
        /// Print the summary as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite the lists and README from the database.
    Render {
        #[arg(long, default_value = "newsmirror.toml")]
        config: PathBuf,
    },
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
    init_logging(cli.quiet, cli.verbose);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.downcast_ref::<Exit>().map_or(1, |x| x.0))
        }
    }
}

/// An error that carries its exit code.
#[derive(Debug, thiserror::Error)]
#[error("exit {0}")]
struct Exit(u8);

fn init_logging(quiet: bool, verbose: u8) {
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
        .with_target(false)
        .try_init();
}

fn load(config: &std::path::Path) -> anyhow::Result<Config> {
    Config::load(config).map_err(|e| anyhow::Error::new(e).context(Exit(2)))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Update { config, json } => {
            let config = load(&config)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            let mut archive = Archive::open(&config).with_context(|| {
                format!("cannot open the archive {}", config.archive_dir.display())
            })?;
            if let Some(r) = &archive.reconciled {
                report_reconcile(r, cli.quiet);
            }
            let report = runtime.block_on(archive::update(&config, &mut archive))?;
            print_update(&report, json, cli.quiet)?;
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Render { config } => {
            let config = load(&config)?;
            let archive = Archive::open(&config)?;
            let changed = archive.render_indexes(&config.sources)?;
            if !cli.quiet {
                println!("render: {changed} files rewritten");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn report_reconcile(r: &archive::ReconcileReport, quiet: bool) {
    if !quiet && r.added > 0 {
        eprintln!("rebuilt the database from the files: {} articles", r.added);
    }
    for (path, why) in &r.unreadable {
        eprintln!("warning: {}: {why}; left as it is", path.display());
    }
}

fn print_update(report: &UpdateReport, json: bool, quiet: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else if !quiet {
        for s in &report.sources {
            let mut line = format!("{:<12} {:>4} new", s.slug, s.new);
            if s.not_modified > 0 {
                line.push_str(&format!(", {} not modified", s.not_modified));
            }
            if !s.failures.is_empty() {
                line.push_str(", FAILED");
            }
            println!("{line}");
        }
        println!(
            "update: {} new articles, {} sources, {} failed",
            report.new_articles(),
            report.sources.len(),
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
