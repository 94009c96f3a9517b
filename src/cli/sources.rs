//! `newsmirror sources import|export|remove`: the config's sources from and to OPML, and
//! taking a source out of the mirror.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::{Exit, open, output};
use crate::archive::{self, STATE_DIR};
use crate::config::Config;

pub fn import(
    config: &Config,
    file: &Path,
    allow_local: bool,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report = crate::config::opml::add_sources_from_opml(config, &text, file, allow_local)
        .map_err(|e| anyhow::Error::new(e).context(Exit(2)))?;
    if !quiet {
        for (slug, name, url) in &report.added {
            say!("added {slug} ({name}): {url}");
        }
    }
    for (url, why) in &report.refused {
        eprintln!("refused: {url}: {why}");
    }
    // A local feed is read relative to the config's folder, as in the config itself.
    let base = config.path.parent().unwrap_or(Path::new("/"));
    for (slug, _, feed) in &report.added {
        let path = match url::Url::parse(feed) {
            Ok(u) if u.scheme() == "file" => u.to_file_path().ok(),
            Ok(_) => None,
            Err(_) => Some(base.join(feed)),
        };
        if let Some(path) = path.filter(|p| !p.exists()) {
            eprintln!(
                "warning: source {slug}: the feed file {} does not exist (a path in an OPML file is read relative to the config's folder {}, as in the config)",
                path.display(),
                base.display()
            );
        }
    }
    if !quiet {
        let mut line = format!(
            "sources import: {} added to {}",
            output::count(report.added.len(), "source", "sources"),
            config.path.display()
        );
        if report.known > 0 {
            line.push_str(&format!(", {} already there", report.known));
        }
        if !report.refused.is_empty() {
            line.push_str(&format!(", {} refused", report.refused.len()));
        }
        say!("{line}");
    }
    Ok(if report.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn export(config: &Config) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(crate::config::opml::sources_to_opml(config).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Takes source `slug` out of the config. Its list goes (and it leaves the README and what
/// readers see); its articles stay in `articles/` and in git, or with `purge` are deleted
/// together with its records. The archive is changed first, the config last: a run stopped
/// in between leaves the source configured, and the next update writes its list again.
pub fn remove(config: &Config, slug: &str, purge: bool, quiet: bool) -> anyhow::Result<ExitCode> {
    let Some(source) = config.sources.iter().find(|s| s.slug == slug) else {
        let known: Vec<&str> = config.sources.iter().map(|s| s.slug.as_str()).collect();
        return Err(anyhow::anyhow!(
            "no source {slug:?} in {} (its sources: {})",
            config.path.display(),
            known.join(", ")
        )
        .context(Exit(2)));
    };
    let text = std::fs::read_to_string(&config.path)
        .with_context(|| format!("cannot read {}", config.path.display()))?;
    let new_text = crate::catalog::without_source(&text, slug).ok_or_else(|| {
        anyhow::anyhow!(
            "cannot find the [[sources]] table of {slug:?} in {}",
            config.path.display()
        )
        .context(Exit(2))
    })?;
    let new_config = Config::parse(&new_text, &config.path)
        .map_err(|e| anyhow::Error::new(e).context(Exit(2)))?;

    let (_lock, mut archive) = open(config, false, quiet)?;
    let list = archive.dir.join("lists").join(source.list_file());
    let had_list = remove_file(&list)?;
    for kind in crate::render::feeds::KINDS {
        remove_file(&archive.dir.join("feeds").join(format!("{slug}.{kind}")))?;
    }
    let articles = archive.store.count_of(slug)?;
    if purge {
        let folder = archive.source_dir(source);
        match std::fs::remove_dir_all(&folder) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot delete {}", folder.display())),
        }
        archive.store.delete_source(slug)?;
        archive
            .store
            .set_meta(&archive::list_style_key(slug), None)?;
        let state = archive.dir.join(STATE_DIR);
        if state
            .join(crate::search::INDEX_DIR)
            .join("meta.json")
            .exists()
        {
            let (index, _) = crate::search::SearchIndex::open(&state)?;
            index.remove_source(slug)?;
        }
    }
    crate::render::write_atomic(&config.path, new_text.as_bytes())
        .with_context(|| format!("cannot write {}", config.path.display()))?;
    archive.render_indexes(&new_config)?;
    // The config's edit goes in the same commit when the config is in the mirror's folder
    // (else every other checkout, GitHub Actions say, would bring the source back).
    let published = archive::publish_with(
        &new_config,
        &archive,
        &format!(
            "sources: remove {slug}{}",
            if purge { " and its articles" } else { "" }
        ),
        &[&config.path],
    )?;
    if !quiet {
        let mut line = format!(
            "sources remove: {slug} ({}) is out of {}",
            source.name,
            config.path.display()
        );
        if had_list {
            line.push_str(&format!("; lists/{} deleted", source.list_file()));
        }
        say!("{line}");
        if purge {
            say!(
                "sources remove: {} deleted from articles/{}/ and the database",
                output::count(articles as usize, "article", "articles"),
                source.folder
            );
        } else if articles > 0 {
            say!(
                "sources remove: its {} stay in articles/{}/ (and in git's history), unseen by readers; --purge deletes them",
                output::count(articles as usize, "article", "articles"),
                source.folder
            );
        }
    }
    output::print_publish(&published, quiet);
    Ok(if published.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Removes a file if it is there; says whether it was.
fn remove_file(path: &Path) -> anyhow::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot delete {}", path.display())),
    }
}
