//! The command line's grammar: every command, argument and option, with the help text
//! `--help`, the completions and the manual page are made from.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::extract;

/// The exit codes, as `--help` and the manual page's EXIT STATUS give them.
macro_rules! exit_codes {
    () => {
        "  0  success (every source fetched)
  1  something failed, the rest was done: some sources or remotes failed (the
     others were archived and pushed), recheck reached none of the pages, or
     sources import refused some feeds
  2  bad command line or config
  3  the archive is locked by another run (see --wait)
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM"
    };
}
pub(super) const EXIT_CODES: &str = exit_codes!();

/// Printed under the top-level `--help` (the manual page has its own sections).
const AFTER_HELP: &str = concat!(
    "Every command reads the config file given by --config (default: ./newsmirror.toml).\n\nExit codes:\n",
    exit_codes!(),
    "\n\nStart a mirror:  newsmirror init DIR --outlets dw,bbc   (newsmirror outlets lists them)"
);

/// The catalogue's slugs, as the values `init --outlets` takes (and completions offer).
fn outlet_slugs() -> clap::builder::PossibleValuesParser {
    // Made once per process, when the command line is parsed: the names live as long.
    let slugs: &'static [String] = crate::catalog::outlets()
        .into_iter()
        .map(|o| o.slug)
        .collect::<Vec<_>>()
        .leak();
    clap::builder::PossibleValuesParser::new(
        slugs
            .iter()
            .map(|s| clap::builder::PossibleValue::new(s.as_str())),
    )
}

#[derive(Parser)]
#[command(
    name = "newsmirror",
    version,
    about = "Keeps git mirrors of news outlets",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Less output: only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More output: -v shows each step, -vv each feed, item and request.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The config file [default: ./newsmirror.toml].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start a mirror: a git repository with a config, a README, .gitignore and a GitHub
    /// Actions workflow.
    Init {
        /// The folder of the new mirror (created when missing; an existing git repository is
        /// adopted, and files already there are kept).
        dir: PathBuf,
        /// The outlets to mirror, by slug, comma-separated (see `newsmirror outlets`).
        #[arg(
            long,
            value_delimiter = ',',
            value_name = "SLUG,...",
            default_value = "dw,bbc",
            value_parser = outlet_slugs()
        )]
        outlets: Vec<String>,
        /// Do not make the first commit.
        #[arg(long)]
        no_commit: bool,
    },
    /// List the outlets `init` knows, with their feeds.
    Outlets {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fetch every source's feeds and archive what is new.
    Update {
        /// Print the summary as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// When another run holds the archive, wait for it instead of exiting 3.
        #[arg(long)]
        wait: bool,
    },
    /// Run as a service: fetch each source when it is due, until SIGTERM or SIGINT.
    Run {
        /// Fetch every source this often, overriding the sources' `interval` and the
        /// schedule earlier runs stored (e.g. 30m, 1h).
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        every: Option<std::time::Duration>,
        /// When another run holds the archive, wait for it instead of exiting 3.
        #[arg(long)]
        wait: bool,
    },
    /// Cluster (`[store] url = "postgres://…"`): claim due sources and rechecks from the
    /// database, fetch and archive them into it; writes no mirror files (see `publish`).
    Worker {
        /// Process every due source and recheck once, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Cluster: render the mirror's files from the database (articles, revisions, lists,
    /// README, changes/, feeds), commit and push; one publisher at a time.
    Publish {
        /// Render and publish once, then exit (else every `[store] publish_every`).
        #[arg(long)]
        once: bool,
    },
    /// Copy this archive (SQLite) into an empty PostgreSQL database, to run it as a cluster.
    Migrate {
        /// The PostgreSQL database: postgres://user@host:port/db (password: $PGPASSWORD).
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Show each source's health: failures, last success, last error, next attempt.
    Status {
        /// Print the table as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite every output from the database: article files, lists, README.
    Render,
    /// Take an existing mirror's checkout (DIR/articles/<folder>/, DIR/lists/) into the archive.
    Import {
        /// The mirror's checkout (may be the archive itself).
        dir: PathBuf,
    },
    /// Write every article, one JSON object per line, to stdout.
    Export {
        /// Output format (only jsonl).
        #[arg(long, default_value = "jsonl")]
        format: ExportFormat,
        /// Only articles first seen on or after this date (YYYY-MM-DD, UTC, or RFC 3339).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
    },
    /// Re-request the pages of recent articles: removals and restorations.
    Recheck {
        /// Check every recent article now, whenever it was last checked.
        #[arg(long)]
        now: bool,
        /// Print the counts as JSON (checked, missing, removed, restored, unreachable).
        #[arg(long)]
        json: bool,
    },
    /// Every revision of an article with word-level diffs, and its removal events.
    History {
        /// The article: <slug>/<id>, e.g. dw/1048574.
        article: String,
        /// Print the revisions and events as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the article newsmirror extracts from a page (URL or saved file): to try a
    /// source's `content_selector` / `remove_selectors` before an update uses them.
    Extract {
        /// Use this source's rules and fetch settings (needs the config).
        #[arg(long)]
        source: Option<String>,
        /// `text`: the body as plain text; `html`: the cleaned article HTML.
        #[arg(long, value_enum, default_value = "html")]
        format: extract::Format,
        /// Same as `--format text`.
        #[arg(long, hide = true)]
        text: bool,
        /// Write `DIR/<input stem>.txt|.html` per input instead of printing.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// http(s) URLs or saved HTML files (`.html.gz` is read through gzip).
        #[arg(required = true, value_name = "URL|FILE")]
        inputs: Vec<String>,
    },
    /// Manage the config's sources: import, export, remove.
    Sources {
        #[command(subcommand)]
        action: SourcesAction,
    },
    /// Serve the archive to readers: pages, feeds and search (read-only).
    Serve {
        /// Where to listen; loopback unless told otherwise (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// Search the archive (Chinese words; traditional and simplified alike).
    Search {
        /// Only this source (its slug).
        #[arg(long, value_name = "SLUG")]
        source: Option<String>,
        /// Which page of 20 results (from 1).
        #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        page: u32,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
        /// The words to find; every word must be found (in the title or the text).
        #[arg(required = true, value_name = "WORDS")]
        query: Vec<String>,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Write the archive as a static site (pages, feeds, images) into OUT.
    Site {
        /// The folder to write the site into (created when missing).
        out: PathBuf,
    },
    /// Print a shell completion script: `newsmirror completions bash > /etc/bash_completion.d/newsmirror`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `newsmirror manual > newsmirror.1; man ./newsmirror.1`.
    Manual,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object a line.
    Jsonl,
}

#[derive(Subcommand)]
pub enum SourcesAction {
    /// Add the feeds of an OPML file as sources (slug derived, name from the outline title).
    /// Only http(s) feeds unless --allow-local.
    Import {
        /// The OPML file.
        file: PathBuf,
        /// Also take file:// URLs and paths (relative to the config's folder).
        #[arg(long)]
        allow_local: bool,
    },
    /// Write the sources as OPML to stdout (paths below the config's folder stay relative).
    Export,
    /// Remove a source from the config. Its articles stay in the archive (and in git) unless
    /// --purge; its list goes, and readers no longer see it.
    Remove {
        /// The source's slug.
        slug: String,
        /// Also delete its article files and its records in the database.
        #[arg(long)]
        purge: bool,
    },
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    match crate::config::parse_duration(s) {
        Some(d) if d.is_zero() => Err("must be more than 0".into()),
        Some(d) => Ok(d),
        None => Err(format!("{s:?} is not a duration (e.g. 30m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every argument and option of every command says what it is.
    #[test]
    fn every_argument_is_described() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && !path.trim().eq("newsmirror") {
                missing.push(format!("{path}: no about"));
            }
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if matches!(id, "help" | "version") || a.is_hide_set() {
                    continue;
                }
                if a.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &path, missing);
                }
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "", &mut missing);
        assert!(missing.is_empty(), "undescribed: {missing:?}");
    }

    #[test]
    fn top_level_help_shows_config_and_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("--config <FILE>"), "{help}");
        assert!(
            help.contains("Exit codes:") && help.contains("3  the archive is locked"),
            "{help}"
        );
    }

    #[test]
    fn zero_every_is_refused() {
        assert!(Cli::try_parse_from(["newsmirror", "run", "--every", "0s"]).is_err());
        assert!(Cli::try_parse_from(["newsmirror", "run", "--every", "5s"]).is_ok());
        // --config before or after the command.
        for args in [
            ["newsmirror", "--config", "x.toml", "status"],
            ["newsmirror", "status", "--config", "x.toml"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
        }
    }
}
