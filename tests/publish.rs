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

/// The GitHub Actions flow: each run starts from a fresh clone of the mirror, with no
/// database, and must continue it without repeats.
#[test]
fn a_fresh_clone_with_no_database_continues_the_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin.git");
    bare(&origin);
    let feed_path = tmp.path().join("feed.xml");
    let config = |dir: &Path| {
        let text = format!(
            "[archive]\ndir = \".\"\n[publish]\ngit = true\nremotes = [\"origin\"]\n[[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"feed\"\nfeeds = [\"{}\"]\n",
            feed_path.display()
        );
        std::fs::write(dir.join("newsmirror.toml"), text).unwrap();
    };
    for (round, n) in [(1, 2), (2, 4), (3, 4)] {
        std::fs::write(&feed_path, feed(n)).unwrap();
        let runner = tmp.path().join(format!("runner{round}"));
        let out = Command::new("git")
            .args(["clone", "-q"])
            .arg(&origin)
            .arg(&runner)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        config(&runner);
        // The config is part of the mirror repository, as in a real one.
        let (code, out, err) = update(&runner.join("newsmirror.toml"));
        assert_eq!(code, 0, "round {round}: {out}{err}");
    }
    let subjects = commits(&origin);
    assert_eq!(
        subjects,
        ["update: 2 new (s 2)", "update: 2 new (s 2)"],
        "the third run found nothing new"
    );
    let check = tmp.path().join("check");
    Command::new("git")
        .args(["clone", "-q"])
        .arg(&origin)
        .arg(&check)
        .output()
        .unwrap();
    let mut names: Vec<String> = std::fs::read_dir(check.join("articles/s"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["1048571.md", "1048572.md", "1048573.md", "1048574.md"]
    );
}
