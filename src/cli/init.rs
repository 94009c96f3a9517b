//! `newsmirror init DIR` and `newsmirror outlets`: a new mirror from the built-in catalogue.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::{Exit, output};
use crate::catalog;
use crate::config::Config;

/// The GitHub Actions workflow of a mirror: the example, with this build's version and
/// repository.
const WORKFLOW: &str = include_str!("../../examples/github-actions/newsmirror.yml");
/// The repository and version the example names.
const EXAMPLE_REPO: &str = "https://github.com/newsmirror/newsmirror";
const EXAMPLE_VERSION: &str = "NEWSMIRROR_VERSION: \"0.1.0\"";
const EXAMPLE_BRANCH: &str = "branches: [main]";

/// The workflow for a mirror whose repository publishes `branch` (an adopted repository may
/// be on `master`): a push of the config to that branch starts a run.
fn workflow_text(branch: &str) -> String {
    let plain = !branch.is_empty()
        && branch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    let quoted = if plain {
        branch.to_string()
    } else {
        serde_json::to_string(branch).unwrap_or_else(|_| "main".into())
    };
    WORKFLOW
        .replace(EXAMPLE_BRANCH, &format!("branches: [{quoted}]"))
        .replace(EXAMPLE_REPO, env!("CARGO_PKG_REPOSITORY"))
        .replace(
            EXAMPLE_VERSION,
            &format!("NEWSMIRROR_VERSION: \"{}\"", env!("CARGO_PKG_VERSION")),
        )
}

/// The files `init` writes, relative to the mirror's folder.
const CONFIG: &str = "newsmirror.toml";
const README: &str = "README.md";
const IGNORE: &str = ".gitignore";
const WORKFLOW_PATH: &str = ".github/workflows/newsmirror.yml";

pub fn outlets(json: bool) -> anyhow::Result<ExitCode> {
    let all = catalog::outlets();
    if json {
        say!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    let ws = output::column(all.iter().map(|o| &o.slug), 4);
    let wn = output::column(all.iter().map(|o| &o.name), 4);
    say!(
        "{} {} {:<9} {:<5} feed",
        output::pad("slug", ws),
        output::pad("name", wn),
        "full text",
        "rules"
    );
    for o in &all {
        say!(
            "{} {} {:<9} {:<5} {}",
            output::pad(&o.slug, ws),
            output::pad(&o.name, wn),
            o.fulltext,
            if o.rules { "yes" } else { "-" },
            o.feeds.join(" ")
        );
    }
    say!("\nnewsmirror init DIR --outlets {}", {
        let slugs: Vec<&str> = all.iter().take(3).map(|o| o.slug.as_str()).collect();
        slugs.join(",")
    });
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to `dir/rel` unless a file is there; says which.
fn write_new(dir: &Path, rel: &str, text: &str, wrote: &mut Vec<String>) -> anyhow::Result<()> {
    let path = dir.join(rel);
    if path.exists() {
        eprintln!("init: {rel} is there already; kept as it is");
        return Ok(());
    }
    crate::render::write_atomic(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    wrote.push(rel.to_string());
    Ok(())
}

pub fn init(dir: &Path, outlets: &[String], commit: bool, quiet: bool) -> anyhow::Result<ExitCode> {
    let config_text =
        catalog::config_text(outlets).map_err(|e| anyhow::Error::new(e).context(Exit(2)))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir: PathBuf = dir
        .canonicalize()
        .with_context(|| format!("cannot open {}", dir.display()))?;
    let adopted = crate::publish::toplevel(&dir)
        .and_then(|t| t.canonicalize().ok())
        .is_some_and(|t| t == dir);
    if !adopted {
        crate::publish::init_repository(&dir)?;
    }
    let mut wrote = Vec::new();
    write_new(&dir, CONFIG, &config_text, &mut wrote)?;
    // The config that is there now, whoever wrote it.
    let config =
        Config::load(&dir.join(CONFIG)).map_err(|e| anyhow::Error::new(e).context(Exit(2)))?;
    let rows: Vec<crate::render::ReadmeSource<'_>> = config
        .sources
        .iter()
        .map(|s| crate::render::ReadmeSource {
            slug: &s.slug,
            name: &s.name,
            articles: 0,
            failing: false,
            last_success_day: None,
            last_error: None,
        })
        .collect();
    if config.archive_dir == dir || config.archive_dir == dir.join(".") {
        write_new(&dir, README, &crate::render::readme_text(&rows), &mut wrote)?;
    }
    let branch = crate::publish::current_branch(&dir).unwrap_or_else(|| "main".into());
    write_new(&dir, WORKFLOW_PATH, &workflow_text(&branch), &mut wrote)?;
    let had_ignore = dir.join(IGNORE).exists();
    crate::publish::ensure_repository(&dir, config.publish.images)?;
    if !had_ignore {
        wrote.push(IGNORE.to_string());
    }
    let names: Vec<String> = config
        .sources
        .iter()
        .map(|s| format!("{} ({})", s.slug, s.name))
        .collect();
    let mut committed = None;
    if commit {
        // Only what init wrote (and .gitignore): files that were there are the keeper's.
        let mut paths: Vec<&str> = wrote.iter().map(String::as_str).collect();
        if had_ignore {
            paths.push(IGNORE);
        }
        let slugs: Vec<&str> = config.sources.iter().map(|s| s.slug.as_str()).collect();
        committed = crate::publish::commit_paths(
            &dir,
            &paths,
            &config.publish.author,
            &format!("newsmirror init: {}", slugs.join(", ")),
        )?;
    }
    if !quiet {
        say!(
            "init: a mirror of {} in {}",
            names.join(", "),
            dir.display()
        );
        if !wrote.is_empty() {
            say!("init: wrote {}", wrote.join(", "));
        }
        if let Some(c) = &committed {
            say!("init: committed {}", &c[..c.len().min(12)]);
        }
        let d = shell_word(&dir);
        let mut step = 0;
        let mut next = |text: String| {
            step += 1;
            format!("  {step}. {text}\n")
        };
        let mut steps = String::new();
        if committed.is_none() && !wrote.is_empty() {
            steps += &next(format!(
                "Commit the files (not done: --no-commit, or nothing new to commit):\n       git -C {d} add -A && git -C {d} commit -m \"newsmirror mirror\""
            ));
        }
        steps += &next(format!(
            "Make an empty repository on your git host (GitHub: no README, no licence), then\n       git -C {d} remote add origin git@github.com:YOU/REPOSITORY.git"
        ));
        steps += &next(format!("git -C {d} push -u origin HEAD"));
        steps += &next(format!(
            "Decide where Actions gets newsmirror: .github/workflows/newsmirror.yml downloads\n       v{} from NEWSMIRROR_REPO = {} . Set it to a repository you\n       trust, and pin NEWSMIRROR_SHA256 (the SHA-256 of newsmirror-x86_64-unknown-linux-musl.tar.gz\n       of that release, checked once by you): a pinned binary that differs is never run.",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_REPOSITORY")
        ));
        say!(
            "\nNext:\n{steps}\nThen GitHub Actions updates the mirror every hour (the push starts a first run;\nActions tab → newsmirror → Run workflow starts one any time). To fetch here first\n(committed here; pushed once origin exists):\n  newsmirror update --config {d}/{CONFIG}"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A path as one shell word (quoted when it needs to be).
fn shell_word(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_alphanumeric() || "/._-+,:@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_is_the_example_with_this_build() {
        // The example names what Cargo.toml says, so a release changes both together.
        assert!(WORKFLOW.contains(EXAMPLE_REPO) && WORKFLOW.contains(EXAMPLE_VERSION));
        assert_eq!(EXAMPLE_REPO, env!("CARGO_PKG_REPOSITORY"));
        assert_eq!(
            EXAMPLE_VERSION,
            format!("NEWSMIRROR_VERSION: \"{}\"", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(workflow_text("main"), WORKFLOW);
        assert!(workflow_text("master").contains("branches: [master]"));
        assert!(workflow_text("a: b").contains("branches: [\"a: b\"]"));
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word(Path::new("/tmp/m")), "/tmp/m");
        assert_eq!(shell_word(Path::new("/tmp/my m")), "'/tmp/my m'");
    }
}
