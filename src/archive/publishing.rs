//! After an update: commit what changed and push it to every remote, remembering per remote
//! what it has, so that a remote that failed gets the pending commits on the next run.

use super::{Archive, ArchiveError, UpdateReport};
use crate::config::Config;
use crate::publish;

/// What publishing did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PublishReport {
    /// The commit made, if files changed.
    pub commit: Option<String>,
    /// Remotes pushed in this run.
    pub pushed: Vec<String>,
    /// Remotes that failed, with the reason.
    pub failed: Vec<(String, String)>,
    /// Remote names the repository does not define yet (`origin` before `git remote add`):
    /// not pushed, and not a failure.
    pub undefined: Vec<String>,
}

/// The paths publishing commits: the archive's own ([`crate::mirror::MANAGED_PATHS`]), and
/// downloaded images when they are published.
pub fn managed_paths(config: &Config) -> Vec<&'static str> {
    let mut paths = crate::mirror::MANAGED_PATHS.to_vec();
    if config.publish.images {
        paths.push(crate::mirror::ASSETS);
    }
    paths
}

/// The commit message of an update: `update: 12 new (dw 5, bbc 7)`.
pub fn commit_message(report: &UpdateReport) -> String {
    let per: Vec<String> = report
        .sources
        .iter()
        .filter(|s| s.new > 0)
        .map(|s| format!("{} {}", s.slug, s.new))
        .collect();
    let mut msg = if per.is_empty() {
        "update: no new articles".to_string()
    } else {
        format!("update: {} new ({})", report.new_articles(), per.join(", "))
    };
    if report.edited > 0 {
        msg.push_str(&format!(", {} edited", report.edited));
    }
    if report.removed > 0 {
        msg.push_str(&format!(", {} removed", report.removed));
    }
    msg
}

/// Commits the archive if anything changed, then pushes every remote that lacks `HEAD`.
/// Nothing changed and nothing pending: no commit, no push.
pub fn publish(
    config: &Config,
    archive: &Archive,
    message: &str,
) -> Result<PublishReport, ArchiveError> {
    publish_with(config, archive, message, &[])
}

/// [`publish`], committing `also` (files inside the archive's folder, such as the config a
/// command edited) in the same commit.
pub fn publish_with(
    config: &Config,
    archive: &Archive,
    message: &str,
    also: &[&std::path::Path],
) -> Result<PublishReport, ArchiveError> {
    let mut report = PublishReport::default();
    if !config.publish.git {
        return Ok(report);
    }
    publish::ensure_repository(&archive.dir, config.publish.images)?;
    let extra: Vec<String> = also
        .iter()
        .filter_map(|p| p.strip_prefix(&archive.dir).ok())
        .filter_map(|p| p.to_str().map(str::to_string))
        .collect();
    let mut paths = managed_paths(config);
    paths.extend(extra.iter().map(String::as_str));
    report.commit = publish::commit_paths(&archive.dir, &paths, &config.publish.author, message)?;
    crate::faults::point("publish::committed");
    let Ok(head) = publish::head(&archive.dir) else {
        return Ok(report); // no commit at all yet: nothing to push
    };
    for remote in &config.publish.remotes {
        if publish::interrupted() {
            break; // a signal: the next run pushes
        }
        if publish::remote_undefined(&archive.dir, remote) {
            report.undefined.push(remote.clone());
            continue;
        }
        let key = format!("pushed:{remote}");
        if archive.store.meta(&key)?.as_deref() == Some(head.as_str()) {
            continue;
        }
        match publish::push(&archive.dir, remote, &config.publish.author) {
            Ok(()) => {
                archive.store.set_meta(&key, Some(&head))?;
                report.pushed.push(remote.clone());
            }
            Err(e) => report.failed.push((remote.clone(), e.to_string())),
        }
    }
    Ok(report)
}
