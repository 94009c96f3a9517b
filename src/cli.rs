//! The command line: parses arguments, calls the library, prints, chooses the exit code.
//!
//! Exit codes: 0 every source succeeded; 1 some sources failed (the others were archived);
//! 2 a bad command line or config; 3 the archive is locked by another run.

mod extract;
mod output;
mod reader;
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
    /// Rewrite every output from the database: article files, lists, README.
    Render {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Take an existing mirror's checkout (DIR/articles/<folder>/, DIR/lists/) into the archive.
    Import {
        #[command(flatten)]
        config: ConfigArg,
        /// The mirror's checkout (may be the archive itself).
        dir: PathBuf,
    },
    /// Write every article, one JSON object per line, to stdout.
    Export {
        #[command(flatten)]
        config: ConfigArg,
        /// Output format (only jsonl).
        #[arg(long, default_value = "jsonl")]
        format: ExportFormat,
        /// Only articles first seen on or after this date (YYYY-MM-DD, UTC, or RFC 3339).
        #[arg(long)]
        since: Option<String>,
    },
    /// Re-request the pages of recent articles: removals and restorations.
    Recheck {
        #[command(flatten)]
        config: ConfigArg,
        /// Check every recent article now, whenever it was last checked.
        #[arg(long)]
        now: bool,
        #[arg(long)]
        json: bool,
    },
    /// Every revision of an article with word-level diffs, and its removal events.
    History {
        #[command(flatten)]
        config: ConfigArg,
        /// The article: <slug>/<id>.
        article: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the article newsmirror extracts from a page (URL or saved file): to try a
    /// source's `content_selector` / `remove_selectors` before an update uses them.
    Extract {
        /// The config whose source rules `--source` names (optional otherwise).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Use this source's rules and fetch settings.
        #[arg(long)]
        source: Option<String>,
        /// `text`: the body as plain text; `html`: the cleaned article HTML.
        #[arg(long, value_enum, default_value = "html")]
        format: extract::Format,
        /// Same as `--format text`.
        #[arg(long, hide = true)]
        text: bool,
        /// Write `DIR/<input stem>.txt|.html` per input instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
        /// http(s) URLs or saved HTML files (`.html.gz` is read through gzip).
        #[arg(required = true)]
        inputs: Vec<String>,
    },
    /// Manage the config's sources.
    Sources {
        #[command(subcommand)]
        action: SourcesAction,
    },
    /// Serves the archive to readers: pages, feeds and search (read-only).
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Where to listen; loopback unless told otherwise (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// Searches the archive (Chinese words; traditional and simplified alike).
    Search {
        #[command(flatten)]
        config: ConfigArg,
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: usize,
        #[arg(long)]
        json: bool,
        query: String,
    },
    /// Rebuilds the search index from the database.
    Reindex {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Writes the archive as a static site (pages, feeds, images) into OUT.
    Site {
        #[command(flatten)]
        config: ConfigArg,
        out: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Jsonl,
}

#[derive(Subcommand)]
enum SourcesAction {
    /// Add the feeds of an OPML file as sources (slug derived, name from the outline title).
    Import {
        #[command(flatten)]
        config: ConfigArg,
        /// The OPML file.
        file: PathBuf,
    },
    /// Write the sources as OPML to stdout.
    Export {
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

/// An error that carries its exit code.
/// The error's chain as one line: the exit-code marker left out, and a cause left out when the
/// message before it already ends with it (many errors print their source themselves).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        if cause.downcast_ref::<Exit>().is_some() {
            continue;
        }
        let text = cause.to_string();
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

#[derive(Debug, thiserror::Error)]
#[error("exit {0}")]
pub(crate) struct Exit(pub(crate) u8);

fn load(config: &Path) -> anyhow::Result<Config> {
    Config::load(config).map_err(|e| anyhow::Error::new(e).context(Exit(2)))
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
            let published = archive::publish(&config, &archive, &archive::commit_message(&report))?;
            output::print_update(&report, json, cli.quiet)?;
            output::print_publish(&published, cli.quiet || json);
            Ok(if report.ok() && published.failed.is_empty() {
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
            // Reading needs no lock, and does no recovery: another run may be writing.
            let archive = Archive::open_to_read(&config)?;
            let health = archive::health(&archive.store, &config.sources)?;
            output::print_status(&health, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Render { config } => {
            let config = load(&config.config)?;
            let (_lock, archive) = open(&config, false, cli.quiet)?;
            let changed = archive.render_articles()?
                + archive.render_indexes(&config)?
                + archive.render_feeds(&config, None)?;
            if !cli.quiet {
                println!("render: {changed} files rewritten");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { config, dir } => {
            let config = load(&config.config)?;
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
            output::print_import(&report, rendered, cli.quiet);
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
            config,
            format: ExportFormat::Jsonl,
            since,
        } => {
            let config = load(&config.config)?;
            let since_ms = match since {
                None => i64::MIN,
                Some(s) => parse_since(&s).map_err(|e| anyhow::anyhow!(e).context(Exit(2)))?,
            };
            let archive = Archive::open_to_read(&config)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            archive
                .store
                .for_each_export::<anyhow::Error>(since_ms, &mut |a| {
                    use std::io::Write;
                    writeln!(out, "{}", crate::render::export::jsonl_line(&a))?;
                    Ok(())
                })?;
            use std::io::Write;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Recheck { config, now, json } => {
            let config = load(&config.config)?;
            let (_lock, mut archive) = open(&config, false, cli.quiet)?;
            let report = runtime()?.block_on(archive::recheck(&config, &mut archive, now))?;
            let msg = format!(
                "recheck: {} removed, {} restored",
                report.removed, report.restored
            );
            let published = archive::publish(&config, &archive, &msg)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if !cli.quiet {
                println!(
                    "recheck: {} pages checked, {} newly missing, {} removed, {} restored",
                    report.checked, report.missing, report.removed, report.restored
                );
            }
            output::print_publish(&published, cli.quiet || json);
            Ok(if published.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::History {
            config,
            article,
            json,
        } => {
            let config = load(&config.config)?;
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
            config,
            source,
            format,
            text,
            out,
            inputs,
        } => {
            let explicit = config.is_some();
            let path = config.unwrap_or_else(|| PathBuf::from("newsmirror.toml"));
            let config = if explicit || path.exists() {
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
        Command::Sources {
            action: SourcesAction::Import { config, file },
        } => {
            let config = load(&config.config)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let added = crate::config::opml::add_sources_from_opml(&config, &text, &file)
                .map_err(|e| anyhow::Error::new(e).context(Exit(2)))?;
            if !cli.quiet {
                for (slug, name, url) in &added {
                    println!("added {slug} ({name}): {url}");
                }
                println!(
                    "sources import: {} added to {}",
                    added.len(),
                    config.path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { config, addr } => {
            let config = load(&config.config)?;
            reader::serve(&config, addr, cli.quiet)
        }
        Command::Search {
            config,
            source,
            page,
            json,
            query,
        } => {
            let config = load(&config.config)?;
            reader::search(&config, &query, source, page, json)
        }
        Command::Reindex { config } => {
            let config = load(&config.config)?;
            let (_lock, mut archive) = open(&config, false, cli.quiet)?;
            reader::reindex(&config, &mut archive, cli.quiet)
        }
        Command::Site { config, out } => {
            let config = load(&config.config)?;
            reader::site(&config, &out, cli.quiet)
        }
        Command::Sources {
            action: SourcesAction::Export { config },
        } => {
            let config = load(&config.config)?;
            print!("{}", crate::config::opml::sources_to_opml(&config));
            Ok(ExitCode::SUCCESS)
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
