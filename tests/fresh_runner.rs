//! The GitHub Actions flow: every run starts from the git checkout, with no database (only
//! `.newsmirror/state.json`, which the workflow's cache restores). Every revision, event and
//! pending removal sighting survives in committed files; `changes/` only grows; feed
//! validators and the recheck schedule survive in the state file.

mod common;

use std::path::Path;

use common::server::{Answer, Server};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

fn feed(server: &Server, edited: bool) -> String {
    let owned: Vec<(String, String, String)> = (0..3)
        .map(|i| {
            let text = if edited && i == 0 {
                "<p>俄罗斯总统普京周二凌晨抵达平壤，对朝鲜进行为期两天的访问。</p>".to_string()
            } else if i == 0 {
                "<p>俄罗斯总统普京周三凌晨抵达平壤，对朝鲜进行为期两天的访问。</p>".to_string()
            } else {
                format!("<p>第{i}篇的正文，内容足够长，可以比较。</p>")
            };
            (format!("标题{i}"), server.url(&format!("/a/{i}")), text)
        })
        .collect();
    let its: Vec<TestItem<'_>> = owned
        .iter()
        .map(|(t, l, c)| TestItem {
            title: t,
            link: l,
            guid: Some(l),
            date: Some(DATE),
            content: c,
        })
        .collect();
    rss(&its)
}

fn history(cfg: &Path, article: &str) -> serde_json::Value {
    history_json(cfg, article)
}

fn changes_bytes(archive: &Path) -> usize {
    std::fs::read_dir(archive.join("changes"))
        .map(|d| {
            d.map(|e| std::fs::metadata(e.unwrap().path()).unwrap().len() as usize)
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_fresh_runner_keeps_every_revision_event_and_sighting() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    for i in 0..3 {
        server.route(&format!("/a/{i}"), Answer::ok("text/html", "<p>正文</p>"));
    }
    server.route("/feed", rss_answer(feed(&server, false), "v1"));
    let url = server.url("/feed");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\nretries = 0\n[history]\nconfirm_after = \"0s\"\nannotate = true",
        &[("s", "S", &[url.as_str()])],
    );
    let archive = tmp.path().join("archive");
    let c = cfg.to_str().unwrap();
    let step = |args: &[&str]| {
        // A fresh runner: the checkout and the cached state file, no database.
        delete_database(&archive);
        let out = newsmirror(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut sizes = Vec::new();
    step(&["update", "--config", c]);
    // An edit.
    server.route("/feed", rss_answer(feed(&server, true), "v2"));
    step(&["update", "--config", c]);
    sizes.push(changes_bytes(&archive));
    // A removal: seen missing by one fresh runner, confirmed by the next.
    server.route("/a/1", Answer::status(404));
    step(&["recheck", "--now", "--config", c]);
    sizes.push(changes_bytes(&archive));
    step(&["recheck", "--now", "--config", c]);
    sizes.push(changes_bytes(&archive));
    delete_database(&archive);
    assert_eq!(history(&cfg, "s/1048573")["status"], "removed");
    // A restoration.
    server.route("/a/1", Answer::ok("text/html", "<p>正文</p>"));
    step(&["recheck", "--now", "--config", c]);
    sizes.push(changes_bytes(&archive));
    // Nothing new: no page requested, the feed asked conditionally.
    let pages: usize = (0..3).map(|i| server.hits(&format!("/a/{i}"))).sum();
    let not_modified = server.not_modified();
    step(&["update", "--config", c]);
    step(&["update", "--config", c]);
    sizes.push(changes_bytes(&archive));
    assert_eq!(
        (0..3)
            .map(|i| server.hits(&format!("/a/{i}")))
            .sum::<usize>(),
        pages,
        "no page re-fetched"
    );
    assert_eq!(
        server.not_modified(),
        not_modified + 2,
        "conditional feed requests"
    );
    assert!(
        sizes.windows(2).all(|w| w[0] <= w[1]) && sizes[0] > 0,
        "changes/ only grows: {sizes:?}"
    );

    delete_database(&archive);
    let h = history(&cfg, "s/1048574");
    let revs = h["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 2, "every revision: {h}");
    assert!(revs[0]["content"].as_str().unwrap().contains("周三"));
    assert!(revs[1]["content"].as_str().unwrap().contains("周二"));
    let kinds = |h: &serde_json::Value| -> Vec<String> {
        h["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(&h), ["edited"]);
    let h = history(&cfg, "s/1048573");
    assert_eq!(kinds(&h), ["removed", "restored"], "{h}");
    assert_eq!(h["status"], "live");
    let log = std::fs::read_dir(archive.join("changes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
    assert!(
        log.contains("已修改") && log.contains("已删除") && log.contains("已恢复"),
        "{log}"
    );
    // With annotate = true, the edited article is listed once.
    let list = std::fs::read_to_string(archive.join("lists/S.md")).unwrap();
    assert_eq!(list.matches("/articles/s/1048574.md").count(), 1, "{list}");
    assert!(list.contains("(/articles/s/1048574.md) (已修改)"), "{list}");
}

/// A state file ahead of the files (the files that went with it were never pushed): its
/// validators are not used, so the feed's items are archived again.
#[test]
fn a_state_file_ahead_of_the_files_does_not_hide_items() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route("/feed", rss_answer(feed(&server, false), "v1"));
    let url = server.url("/feed");
    let cfg = write_config(tmp.path(), "", &[("s", "S", &[url.as_str()])]);
    let archive = tmp.path().join("archive");
    assert_eq!(update(&cfg).0, 0);
    // The push of this run failed: the next runner's checkout lacks its files.
    std::fs::remove_file(archive.join("articles/s/1048572.md")).unwrap();
    delete_database(&archive);
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 new"), "{out}{err}");
    assert_eq!(
        std::fs::read_dir(archive.join("articles/s"))
            .unwrap()
            .count(),
        3
    );
}

/// An archive made before history was kept in files (its revisions and events only in the
/// database) gets them written out by its first run, so that fresh clones keep them.
#[test]
fn history_held_only_by_an_older_database_is_written_out() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    for i in 0..3 {
        server.route(&format!("/a/{i}"), Answer::ok("text/html", "<p>正文</p>"));
    }
    server.route("/feed", rss_answer(feed(&server, false), "v1"));
    let url = server.url("/feed");
    let cfg = write_config(
        tmp.path(),
        "[history]\nconfirm_after = \"0s\"",
        &[("s", "S", &[url.as_str()])],
    );
    let archive = tmp.path().join("archive");
    let c = cfg.to_str().unwrap();
    assert_eq!(update(&cfg).0, 0);
    server.route("/feed", rss_answer(feed(&server, true), "v2"));
    assert_eq!(update(&cfg).0, 0);
    server.route("/a/1", Answer::status(404));
    for _ in 0..2 {
        assert_eq!(
            newsmirror(&["recheck", "--now", "--config", c])
                .status
                .code(),
            Some(0)
        );
    }
    // As an earlier version left it: no revisions/, no journal.
    std::fs::remove_dir_all(archive.join("revisions")).unwrap();
    for e in std::fs::read_dir(archive.join("changes")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "jsonl") {
            std::fs::remove_file(p).unwrap();
        }
    }
    {
        let conn =
            rusqlite::Connection::open(archive.join(".newsmirror/newsmirror.sqlite")).unwrap();
        conn.execute("DELETE FROM meta WHERE key = 'history_in_files'", [])
            .unwrap();
    }
    assert_eq!(update(&cfg).0, 0);
    assert!(archive.join("revisions/s/1048574/1.md").exists());
    delete_database(&archive);
    let h = history(&cfg, "s/1048574");
    assert_eq!(h["revisions"].as_array().unwrap().len(), 2, "{h}");
    let h = history(&cfg, "s/1048573");
    assert_eq!(h["status"], "removed", "{h}");
}

/// V7: a database rebuilt from the files takes each article's first sighting from its
/// `archived` evidence (not the publication date), and writes `changes/*.md` byte for byte
/// as the database that archived the articles did (events of one moment in a stable order):
/// a fresh runner with nothing new makes no commit.
#[test]
fn a_rebuilt_database_renders_the_same_change_log_and_commits_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let feed_of = |edited: bool| {
        let owned: Vec<(String, String, String)> = (0..6)
            .map(|i| {
                let word = if edited { "修改后" } else { "原来" };
                (
                    format!("标题{i}"),
                    server.url(&format!("/a/{i}")),
                    format!("<p>2026-05-28T20:27:17.000Z 第{i}篇的正文，</p><p><b>{word}</b>的内容足够长，<a href=\"/x\">可以</a>比较一下。</p>\n<ul><li>一</li><li>二</li></ul>"),
                )
            })
            .collect();
        let its: Vec<TestItem<'_>> = owned
            .iter()
            .map(|(t, l, c)| TestItem {
                title: t,
                link: l,
                guid: Some(l),
                date: Some(DATE),
                content: c,
            })
            .collect();
        rss(&its)
    };
    server.route("/feed", rss_answer(feed_of(false), "v1"));
    let url = server.url("/feed");
    let persistent = tmp.path().join("p");
    std::fs::create_dir_all(&persistent).unwrap();
    let cfg = write_config(
        &persistent,
        "[fetch]\nretries = 0\n[publish]\ngit = true",
        &[("s", "S", &[url.as_str()])],
    );
    let run = |cfg: &Path, args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--config", cfg.to_str().unwrap()]);
        let out = newsmirror(&a);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    run(&cfg, &["update"]);
    // Six edits in one run: six events of one moment.
    server.route("/feed", rss_answer(feed_of(true), "v2"));
    run(&cfg, &["update"]);
    let archive = persistent.join("archive");
    let logs = |archive: &Path| -> Vec<(String, String)> {
        let mut v: Vec<_> = std::fs::read_dir(archive.join("changes"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = logs(&archive);
    assert!(
        !before.is_empty() && before[0].1.matches("已修改").count() == 6,
        "{before:?}"
    );
    assert!(
        !before[0].1.contains("2024-06-19"),
        "first seen is the run's time, not the publication date"
    );

    // A fresh runner: a clone of the files, no database, no state.
    let fresh = tmp.path().join("f");
    std::fs::create_dir_all(&fresh).unwrap();
    let fresh_archive = fresh.join("archive");
    let out = std::process::Command::new("git")
        .arg("clone")
        .arg("-q")
        .arg(&archive)
        .arg(&fresh_archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!fresh_archive.join(".newsmirror/newsmirror.sqlite").exists());
    let fresh_cfg = write_config(
        &fresh,
        "[fetch]\nretries = 0\n[publish]\ngit = true",
        &[("s", "S", &[url.as_str()])],
    );
    let commits = git(&fresh_archive, &["rev-list", "--count", "HEAD"]);
    run(&fresh_cfg, &["render"]);
    assert_eq!(logs(&fresh_archive), before, "changes/*.md rendered again");
    let export: serde_json::Value =
        serde_json::from_slice(&run(&fresh_cfg, &["export"]).stdout).unwrap_or_default();
    let text = export.to_string();
    assert!(!text.contains("\"first_seen\":\"2024-06-19"), "{text}");
    // Nothing new: nothing to commit.
    delete_database(&fresh_archive);
    run(&fresh_cfg, &["update"]);
    assert_eq!(logs(&fresh_archive), before);
    assert_eq!(
        git(&fresh_archive, &["rev-list", "--count", "HEAD"]),
        commits,
        "{}",
        git(&fresh_archive, &["log", "--stat", "-3"])
    );
    assert_eq!(git(&fresh_archive, &["status", "--porcelain"]), "");
}
