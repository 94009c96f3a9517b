//! Publishing with git to local bare repositories.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn bare(path: &Path) {
    let out = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
}

fn commits(repo: &Path) -> Vec<String> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(["log", "--format=%s", "main"])
        .output()
        .unwrap();
    if !out.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn feed(n: usize) -> String {
    let items: Vec<(String, String)> = (0..n)
        .map(|i| (format!("标题{i}"), format!("https://example.org/{i}")))
        .collect();
    let items: Vec<TestItem<'_>> = items
        .iter()
        .map(|(t, l)| TestItem {
            title: t,
            link: l,
            guid: None,
            date: Some("Wed, 19 Jun 2024 12:47:03 GMT"),
            content: "<p>x</p>",
        })
        .collect();
    rss(&items)
}

#[test]
fn commits_and_pushes_only_when_something_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let (r1, r2) = (tmp.path().join("r1.git"), tmp.path().join("r2.git"));
    bare(&r1);
    bare(&r2);
    std::fs::write(tmp.path().join("feed.xml"), feed(2)).unwrap();
    let publish = format!(
        "[publish]\ngit = true\nremotes = [\"{}\", \"file://{}\"]\nauthor = \"镜像 <mirror@example.org>\"",
        r1.display(),
        r2.display()
    );
    let cfg = write_config(tmp.path(), &publish, &[("s", "S", &["feed.xml"])]);
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(commits(&r1), ["update: 2 new (s 2)"]);
    assert_eq!(commits(&r2), ["update: 2 new (s 2)"]);
    let archive = tmp.path().join("archive");
    let files = git(&archive, &["ls-files"]);
    assert!(
        files.contains("articles/s/1048574.md")
            && files.contains("lists/S.md")
            && files.contains("README.md"),
        "{files}"
    );
    assert!(
        !files.contains(".newsmirror"),
        "internal state committed: {files}"
    );
    assert!(
        git(&archive, &["log", "-1", "--format=%an <%ae>"]).contains("镜像 <mirror@example.org>")
    );

    // Nothing new: no commit, no push, exit 0.
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("publish:"), "{out}");
    assert_eq!(commits(&r1).len(), 1);
    assert_eq!(git(&archive, &["rev-list", "--count", "HEAD"]).trim(), "1");
}

#[test]
fn a_failing_remote_does_not_stop_the_others_and_gets_its_commits_later() {
    let tmp = tempfile::tempdir().unwrap();
    let (good, later) = (tmp.path().join("good.git"), tmp.path().join("later.git"));
    bare(&good);
    std::fs::write(tmp.path().join("feed.xml"), feed(1)).unwrap();
    let publish = format!(
        "[publish]\ngit = true\nremotes = [\"{}\", \"{}\"]",
        later.display(),
        good.display()
    );
    let cfg = write_config(tmp.path(), &publish, &[("s", "S", &["feed.xml"])]);
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("push to") && err.contains("later.git"),
        "{err}"
    );
    assert_eq!(commits(&good), ["update: 1 new (s 1)"]);

    // The remote comes up; a run with nothing new pushes what is pending there, and only there.
    bare(&later);
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("pushed to") && out.contains("later.git") && !out.contains("good.git"),
        "{out}"
    );
    assert_eq!(commits(&later), ["update: 1 new (s 1)"]);
    assert_eq!(commits(&good).len(), 1);

    // New articles: one more commit, both pushed.
    std::fs::write(tmp.path().join("feed.xml"), feed(3)).unwrap();
    assert_eq!(update(&cfg).0, 0);
    assert_eq!(commits(&good)[0], "update: 2 new (s 2)");
    assert_eq!(commits(&later)[0], "update: 2 new (s 2)");
}
