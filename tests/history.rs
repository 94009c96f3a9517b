//! Edits and removals: every version kept, disappearances noticed, against a loopback server
//! that changes its feed and pages between runs.

mod common;

use std::path::Path;
use std::time::Duration;

use common::server::{Answer, Server};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

fn feed_of(items: &[(&str, &str, &str)]) -> String {
    let items: Vec<TestItem<'_>> = items
        .iter()
        .map(|(t, l, c)| TestItem {
            title: t,
            link: l,
            guid: Some(l),
            date: Some(DATE),
            content: c,
        })
        .collect();
    rss(&items)
}

fn history(cfg: &Path, article: &str) -> serde_json::Value {
    history_json(cfg, article)
}

fn month_log(archive: &Path) -> String {
    let dir = archive.join("changes");
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    all
}

#[test]
fn an_edit_is_a_new_revision_and_noise_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let link = server.url("/a/1");
    let v1 = feed_of(&[(
        "普京会金正恩",
        &link,
        "<p>俄罗斯总统普京周三凌晨抵达平壤，对朝鲜进行为期两天的访问。</p>\n<p>第二段没有变。</p>",
    )]);
    server.route("/feed", Answer::ok("application/rss+xml", v1.clone()));
    let feed = server.url("/feed");
    let cfg = write_config(
        tmp.path(),
        "[history]\nannotate = true",
        &[("s", "S", &[feed.as_str()])],
    );
    assert_eq!(update(&cfg).0, 0);
    let file = tmp.path().join("archive/articles/s/1048574.md");
    let before = std::fs::read_to_string(&file).unwrap();

    // The outlet revises the title and one character of the first paragraph.
    let v2 = feed_of(&[(
        "普京会金正恩（更新）",
        &link,
        "<p>俄罗斯总统普京周二凌晨抵达平壤，对朝鲜进行为期两天的访问。</p>\n<p>第二段没有变。</p>",
    )]);
    server.route("/feed", Answer::ok("application/rss+xml", v2));
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    assert!(
        after.contains("[普京会金正恩（更新）](") && after.contains("周二凌晨"),
        "{after}"
    );
    assert!(
        !tmp.path().join("archive/articles/s/1048573.md").exists(),
        "an edit is not a new article"
    );

    let h = history(&cfg, "s/1048574");
    let revs = h["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 2);
    assert!(
        revs[0]["content"].as_str().unwrap().contains("周三"),
        "the first version is kept"
    );
    // The diff marks the changed characters, not the whole paragraph.
    let diff = revs[1]["diff"].as_array().unwrap();
    let removed: Vec<&str> = diff
        .iter()
        .filter(|c| c["op"] == "removed")
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    let added: Vec<&str> = diff
        .iter()
        .filter(|c| c["op"] == "added")
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(removed, ["三"]);
    assert_eq!(added, ["（更新）", "二"]);
    let text = newsmirror(&["history", "--config", cfg.to_str().unwrap(), "s/1048574"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("[-三-]{+二+}"), "{text}");

    let log = month_log(&tmp.path().join("archive"));
    assert!(
        log.contains("已修改")
            && log.contains("[普京会金正恩（更新）](/articles/s/1048574.md)")
            && log.contains(&link),
        "{log}"
    );
    assert!(log.contains("<del>三</del><ins>二</ins>"), "{log}");
    let list = std::fs::read_to_string(tmp.path().join("archive/lists/S.md")).unwrap();
    assert!(list.contains("(/articles/s/1048574.md) (已修改)"), "{list}");

    // Only white space and tracking parameters differ: no new revision, no file change.
    let noise = feed_of(&[(
        " 普京会金正恩（更新） ",
        &format!("{link}?utm_source=rss&utm_medium=feed"),
        "  <p>俄罗斯总统普京周二凌晨抵达平壤，对朝鲜进行为期两天的访问。</p>   <p>第二段没有变。</p>\n\n",
    )]);
    server.route("/feed", Answer::ok("application/rss+xml", noise));
    let (code, out, _) = update(&cfg);
    assert_eq!(code, 0);
    assert!(out.contains("update: 0 new articles"), "{out}");
    assert_eq!(
        history(&cfg, "s/1048574")["revisions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), after);
}

#[test]
fn removals_are_confirmed_temporary_errors_never_count_and_restorations_are_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let urls: Vec<String> = (1..=5).map(|i| server.url(&format!("/a/{i}"))).collect();
    let titles = ["留下", "删除", "五百", "超时", "回首页"];
    let items: Vec<(&str, &str, &str)> = titles
        .iter()
        .zip(&urls)
        .map(|(t, u)| (*t, u.as_str(), "<p>正文</p>"))
        .collect();
    server.route("/feed", Answer::ok("application/rss+xml", feed_of(&items)));
    for i in 1..=5 {
        server.route(&format!("/a/{i}"), Answer::ok("text/html", "<p>正文</p>"));
    }
    let feed = server.url("/feed");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0\n[history]\nconfirm_after = \"0s\"\nannotate = true",
        &[("s", "S", &[feed.as_str()])],
    );
    assert_eq!(update(&cfg).0, 0);
    let id_of = |title: &str| -> String {
        let files = markdown_files(&tmp.path().join("archive/articles/s"));
        let (name, _) = files
            .iter()
            .find(|(_, t)| t.contains(&format!("[{title}](")))
            .unwrap();
        format!("s/{}", name.trim_end_matches(".md"))
    };
    let status = |title: &str| {
        history(&cfg, &id_of(title))["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let recheck = || {
        let out = newsmirror(&["recheck", "--now", "--config", cfg.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    server.route("/a/2", Answer::status(404));
    server.route("/a/3", Answer::status(500));
    server.route("/a/4", Answer::Hang);
    server.route(
        "/a/5",
        Answer::Fixed(302, vec![("Location".into(), "/".into())], vec![]),
    );
    server.route("/", Answer::ok("text/html", "<h1>首页</h1>"));
    let out = recheck();
    assert!(
        out.contains("5 pages checked, 2 newly missing, 0 removed"),
        "{out}"
    );
    for t in titles {
        assert_eq!(status(t), "live", "{t} after one failure");
    }
    let out = recheck();
    assert!(out.contains("2 removed"), "{out}");
    assert_eq!(status("删除"), "removed");
    assert_eq!(status("回首页"), "removed");
    for t in ["留下", "五百", "超时"] {
        assert_eq!(status(t), "live", "{t}");
    }
    recheck();
    assert_eq!(status("五百"), "live", "a 500 is never a removal");
    assert_eq!(status("超时"), "live", "a timeout is never a removal");
    let log = month_log(&tmp.path().join("archive"));
    assert!(
        log.contains("已删除") && log.contains("[删除](/articles/s/") && log.contains(&urls[1]),
        "{log}"
    );
    assert!(
        log.contains("首次收录 First seen") && log.contains("发现删除 Found removed"),
        "{log}"
    );
    let list = std::fs::read_to_string(tmp.path().join("archive/lists/S.md")).unwrap();
    assert!(
        list.lines()
            .any(|l| l.contains("[删除]") && l.ends_with(" (已删除)")),
        "{list}"
    );
    // Nothing is deleted from the archive.
    assert_eq!(
        markdown_files(&tmp.path().join("archive/articles")).len(),
        5
    );

    // It comes back.
    server.route("/a/2", Answer::ok("text/html", "<p>正文</p>"));
    let out = recheck();
    assert!(out.contains("1 restored"), "{out}");
    assert_eq!(status("删除"), "live");
    let events: Vec<String> = history(&cfg, &id_of("删除"))["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["removed", "restored"]);
    assert!(month_log(&tmp.path().join("archive")).contains("已恢复"));
}

#[test]
fn recheck_respects_per_host_and_recheck_every() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let urls: Vec<(String, String)> = (0..60)
        .map(|i| (format!("文章{i}"), server.url(&format!("/p/{i}"))))
        .collect();
    let items: Vec<(&str, &str, &str)> = urls
        .iter()
        .map(|(t, u)| (t.as_str(), u.as_str(), "<p>x</p>"))
        .collect();
    server.route("/feed", Answer::ok("application/rss+xml", feed_of(&items)));
    for i in 0..60 {
        server.route(&format!("/p/{i}"), Answer::ok("text/html", "<p>x</p>"));
    }
    let feed = server.url("/feed");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\nper_host = 2\nconcurrency = 16",
        &[("s", "S", &[feed.as_str()])],
    );
    assert_eq!(update(&cfg).0, 0);
    server.set_delay(Duration::from_millis(20));
    let out = newsmirror(&["recheck", "--config", cfg.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("60 pages checked"));
    assert!(
        server.max_in_flight() <= 2,
        "{} requests at once to one host",
        server.max_in_flight()
    );
    assert_eq!(server.max_in_flight(), 2);
    // Checked just now: not due again before recheck_every.
    let out = newsmirror(&["recheck", "--config", cfg.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 pages checked"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
