//! Publishing the archive with git: one commit per update that changed files, pushed to every
//! remote.
//!
//! Owns the git command line. It takes a folder, a message and remote names or URLs; it never
//! reads the database or decides what changed in the archive (git status does).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set by a signal: running git commands are stopped and no new push starts.
static STOP: AtomicBool = AtomicBool::new(false);

/// Stops the git command running now (a push that hangs, say) and any that would follow in
/// this process: called on SIGTERM / SIGINT. The unpushed commit is pushed by the next run.
pub fn interrupt() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether [`interrupt`] was called.
pub fn interrupted() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// What went wrong with git.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot run git in {dir}: {source} (is git installed?)")]
    Spawn {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("git {what} in {dir} failed: {message}")]
    Git {
        what: String,
        dir: PathBuf,
        message: String,
    },
    #[error("git {what} in {dir} took longer than {timeout:?} and was stopped")]
    Timeout {
        what: String,
        dir: PathBuf,
        timeout: Duration,
    },
    #[error("git {what} in {dir} was stopped by a signal; it is tried again on the next run")]
    Interrupted { what: String, dir: PathBuf },
    #[error(
        "the branch {branch} of {remote} has commits that cannot be merged with this mirror's \
         ({message}); newsmirror never force-pushes: merge them by hand (git -C {dir} pull \
         {remote} {branch}), and the next run pushes"
    )]
    Diverged {
        remote: String,
        branch: String,
        dir: PathBuf,
        message: String,
    },
}

/// How long one push may take.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(120);

fn git(dir: &Path, args: &[&str], timeout: Duration) -> Result<String, PublishError> {
    let what = args.first().copied().unwrap_or("").to_string();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        // A remote that stops sending: HTTP transfers slower than 1 KB/s for 60 s end.
        .env("GIT_HTTP_LOW_SPEED_LIMIT", "1000")
        .env("GIT_HTTP_LOW_SPEED_TIME", "60")
        .env(
            "GIT_SSH_COMMAND",
            std::env::var("GIT_SSH_COMMAND").unwrap_or_else(|_| {
                "ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4".into()
            }),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| PublishError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })?;
    // Drain the pipes on threads so that a chatty git never blocks on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|source| PublishError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })? {
            break s;
        }
        if interrupted() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PublishError::Interrupted {
                what,
                dir: dir.to_path_buf(),
            });
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PublishError::Timeout {
                what,
                dir: dir.to_path_buf(),
                timeout,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        let message = stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("hint:"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(PublishError::Git {
            what,
            dir: dir.to_path_buf(),
            message: if message.is_empty() {
                format!("exit status {status}")
            } else {
                message
            },
        })
    }
}

const LOCAL: Duration = Duration::from_secs(120);

/// Makes `dir` a git work tree when it is not inside one, and makes sure git ignores the
/// internal state (and, unless `commit_assets`, downloaded images).
pub fn ensure_repository(dir: &Path, commit_assets: bool) -> Result<(), PublishError> {
    if git(dir, &["rev-parse", "--show-toplevel"], LOCAL).is_err() {
        git(dir, &["init", "-q", "-b", "main"], LOCAL)?;
    }
    let ignore = dir.join(".gitignore");
    let old = std::fs::read_to_string(&ignore).unwrap_or_default();
    let mut wanted = vec!["/.newsmirror/"];
    if !commit_assets {
        wanted.push("/assets/");
    }
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|w| !old.lines().any(|l| l.trim() == *w))
        .collect();
    if !missing.is_empty() {
        let mut text = old.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if old.is_empty() {
            text.push_str("# newsmirror: internal state and downloaded images stay out of git\n");
        }
        for m in missing {
            text.push_str(m);
            text.push('\n');
        }
        std::fs::write(&ignore, text).map_err(|source| PublishError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// Commits the changes to `paths` (relative to `dir`: the archive's managed paths), if there
/// are any, and nothing else: files beside them, tracked or not, are left alone. Returns the
/// new commit's id.
pub fn commit_paths(
    dir: &Path,
    paths: &[&str],
    author: &str,
    message: &str,
) -> Result<Option<String>, PublishError> {
    // A pathspec that matches nothing is an error to git: only paths that exist or are
    // tracked (deleted since) are named.
    let tracked = git(dir, &["ls-files", "-z", "--"], LOCAL)?;
    let named: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| {
            dir.join(p).exists()
                || tracked
                    .split('\0')
                    .any(|t| t == *p || t.starts_with(&format!("{p}/")))
        })
        .collect();
    if named.is_empty() {
        return Ok(None);
    }
    let mut add = vec!["add", "-A", "--"];
    add.extend(&named);
    git(dir, &add, LOCAL)?;
    let mut diff = vec!["diff", "--cached", "--name-only", "--"];
    diff.extend(&named);
    let staged = git(dir, &diff, LOCAL)?;
    if staged.trim().is_empty() {
        return Ok(None);
    }
    let (name, email) = split_author(author);
    let user = format!("user.name={name}");
    let mail = format!("user.email={email}");
    let mut commit = vec![
        "-c",
        &user,
        "-c",
        &mail,
        "commit",
        "-q",
        "--no-verify",
        "-m",
        message,
        "--",
    ];
    commit.extend(&named);
    git(dir, &commit, LOCAL)?;
    head(dir).map(Some)
}

/// The commit id of `HEAD`.
pub fn head(dir: &Path) -> Result<String, PublishError> {
    Ok(git(dir, &["rev-parse", "HEAD"], LOCAL)?.trim().to_string())
}

/// Pushes the current branch to `remote` (a remote's name or a URL), trying up to three
/// times with a growing pause. When the remote's branch has commits this one lacks (the
/// keeper pushed a config change, say), they are fetched and merged first: newsmirror's own
/// commits touch only the files it writes, so the merge is clean unless someone else wrote
/// those too ([`PublishError::Diverged`]). Never a force-push.
pub fn push(dir: &Path, remote: &str, author: &str) -> Result<(), PublishError> {
    let branch = git(dir, &["symbolic-ref", "--short", "HEAD"], LOCAL)?
        .trim()
        .to_string();
    let refspec = format!("HEAD:refs/heads/{branch}");
    let mut last = None;
    let mut merged = false;
    for attempt in 0..3u32 {
        if attempt > 0 && !merged {
            let pause = Instant::now() + Duration::from_secs(u64::from(attempt));
            while Instant::now() < pause && !interrupted() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if interrupted() {
            return Err(last.unwrap_or(PublishError::Interrupted {
                what: "push".into(),
                dir: dir.to_path_buf(),
            }));
        }
        match git(dir, &["push", "-q", "--", remote, &refspec], PUSH_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(PublishError::Git { message, .. }) if !merged && behind_remote(&message) => {
                merge_remote(dir, remote, &branch, author)?;
                merged = true;
            }
            Err(e) => {
                merged = false;
                last = Some(e);
            }
        }
    }
    Err(last.expect("at least one attempt"))
}

/// Whether git refused a push because the remote's branch has commits this one lacks.
fn behind_remote(message: &str) -> bool {
    message.contains("[rejected]")
        && (message.contains("fetch first") || message.contains("non-fast-forward"))
}

/// Fetches the remote's `branch` and merges it into the current branch; on a conflict (or
/// unrelated histories, or local edits in the way) the merge is undone.
fn merge_remote(dir: &Path, remote: &str, branch: &str, author: &str) -> Result<(), PublishError> {
    let diverged = |message: String| PublishError::Diverged {
        remote: remote.to_string(),
        branch: branch.to_string(),
        dir: dir.to_path_buf(),
        message,
    };
    let from = format!("refs/heads/{branch}");
    git(dir, &["fetch", "-q", "--", remote, &from], PUSH_TIMEOUT)?;
    let (name, email) = split_author(author);
    let user = format!("user.name={name}");
    let mail = format!("user.email={email}");
    let message = format!("publish: merge {branch} of {remote}");
    let merge = [
        "-c",
        &user,
        "-c",
        &mail,
        "merge",
        "-q",
        "--no-edit",
        "--no-verify",
        "-m",
        &message,
        "FETCH_HEAD",
    ];
    match git(dir, &merge, LOCAL) {
        Ok(_) => Ok(()),
        Err(PublishError::Git { message, .. }) => {
            let _ = git(dir, &["merge", "--abort"], LOCAL);
            Err(diverged(message))
        }
        Err(e) => Err(e),
    }
}

/// Whether `remote` is a plain name (`origin`) that the repository in `dir` does not define
/// yet: a mirror tried out before its remote was added has nothing to push to.
pub fn remote_undefined(dir: &Path, remote: &str) -> bool {
    let a_name = !remote.contains([':', '/', '\\']);
    a_name && git(dir, &["remote", "get-url", remote], LOCAL).is_err()
}

/// The branch `HEAD` is on in `dir` (also before its first commit), if it is on one.
pub fn current_branch(dir: &Path) -> Option<String> {
    git(dir, &["symbolic-ref", "--short", "HEAD"], LOCAL)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `Name <email>` → (`Name`, `email`).
fn split_author(author: &str) -> (&str, &str) {
    match author.split_once('<') {
        Some((name, rest)) => (name.trim(), rest.trim_end_matches('>').trim()),
        None => (author.trim(), "newsmirror@localhost"),
    }
}

/// The top folder of the git work tree `dir` is in, if it is in one.
pub fn toplevel(dir: &Path) -> Option<PathBuf> {
    git(dir, &["rev-parse", "--show-toplevel"], LOCAL)
        .ok()
        .map(|s| PathBuf::from(s.trim()))
}

/// A new repository in `dir` (branch `main`), even when `dir` is inside another work tree.
pub fn init_repository(dir: &Path) -> Result<(), PublishError> {
    git(dir, &["init", "-q", "-b", "main"], LOCAL).map(|_| ())
}
