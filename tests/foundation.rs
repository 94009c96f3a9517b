//! The foundation: feeds in, the mirror's files out, byte for byte; reruns, rebuilds, failures.

mod common;

use common::server::{Answer, Server};
use common::*;

#[test]
fn seed_feed_gives_the_seed_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("seed/feed.xml"),
        tmp.path().join("feed.xml"),
    )
    .unwrap();
    let cfg = write_config(tmp.path(), "", &[("dw", "德国之声", &["feed.xml"])]);
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_same_tree(
        &tmp.path().join("archive/articles"),
        &fixtures().join("seed/expected/articles"),
    );
    assert_same_tree(
        &tmp.path().join("archive/lists"),
        &fixtures().join("seed/expected/lists"),
    );
    // The seed file itself, as the outlet's mirror holds it.
    assert_eq!(
        std::fs::read(tmp.path().join("archive/articles/dw/1048574.md")).unwrap(),
        std::fs::read(fixtures().join("seed/article.md")).unwrap()
    );
}

#[test]
fn compat_feeds_give_the_reference_tree() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("compat/feeds"), &tmp.path().join("feeds"));
    std::fs::copy(
        fixtures().join("compat/sources.toml"),
        tmp.path().join("sources.toml"),
    )
    .unwrap();
    let (code, out, err) = update(&tmp.path().join("sources.toml"));
    assert_eq!(code, 0, "{out}{err}");
    let expected = fixtures().join("compat/expected");
    assert_same_tree(
        &tmp.path().join("archive/articles"),
        &expected.join("articles"),
    );
    assert_same_tree(&tmp.path().join("archive/lists"), &expected.join("lists"));
    let readme = std::fs::read_to_string(tmp.path().join("archive/README.md")).unwrap();
    for list in std::fs::read_dir(expected.join("lists")).unwrap() {
        let name = list.unwrap().file_name().into_string().unwrap();
        assert!(
            readme.contains(&format!("(lists/{name})")),
            "README links {name}"
        );
    }
}

#[test]
fn a_second_update_with_nothing_new_changes_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("compat/feeds"), &tmp.path().join("feeds"));
    std::fs::copy(
        fixtures().join("compat/sources.toml"),
        tmp.path().join("sources.toml"),
    )
    .unwrap();
    let cfg = tmp.path().join("sources.toml");
    assert_eq!(update(&cfg).0, 0);
    let archive = tmp.path().join("archive");
    let before = (tree(&archive), mtimes(&archive));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (code, out, _) = update(&cfg);
    assert_eq!(code, 0);
    assert!(out.contains("update: 0 new articles"), "{out}");
    assert_eq!(before.0, tree(&archive), "bytes changed");
    assert_eq!(before.1, mtimes(&archive), "files were rewritten");
}

const SEED_DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

#[test]
fn without_the_database_the_files_are_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("feed.xml");
    let first = [
        TestItem {
            title: "甲",
            link: "https://example.org/a/1",
            guid: Some("g1"),
            date: Some(SEED_DATE),
            content: "<p>一</p>",
        },
        TestItem {
            title: "乙",
            link: "https://example.org/a/2",
            guid: Some("g2"),
            date: Some("Wed, 19 Jun 2024 13:00:00 GMT"),
            content: "<p>二</p>",
        },
    ];
    std::fs::write(&feed, rss(&first)).unwrap();
    let cfg = write_config(tmp.path(), "", &[("x", "X", &["feed.xml"])]);
    assert_eq!(update(&cfg).0, 0);
    let arts = tmp.path().join("archive/articles/x");
    assert!(arts.join("1048574.md").exists() && arts.join("1048573.md").exists());

    // A fresh runner: the checkout without the database.
    std::fs::remove_dir_all(tmp.path().join("archive/.newsmirror")).unwrap();
    let second = [
        // Repeats of the archived two, by link (other guid, tracking parameters) and by title.
        TestItem {
            title: "甲",
            link: "https://example.org/a/1?utm_source=rss#top",
            guid: Some("other"),
            date: Some(SEED_DATE),
            content: "<p>一</p>",
        },
        TestItem {
            title: " 乙 ",
            link: "https://example.org/a/2-moved",
            guid: Some("g2-new"),
            date: Some("Wed, 19 Jun 2024 13:00:00 GMT"),
            content: "<p>二</p>",
        },
        TestItem {
            title: "丙",
            link: "https://example.org/a/3",
            guid: Some("g3"),
            date: Some("Thu, 20 Jun 2024 08:00:00 GMT"),
            content: "<p>三</p>",
        },
        TestItem {
            title: "丁",
            link: "https://example.org/a/4",
            guid: Some("g4"),
            date: Some("Thu, 20 Jun 2024 09:00:00 GMT"),
            content: "<p>四</p>",
        },
    ];
    std::fs::write(&feed, rss(&second)).unwrap();
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let names: Vec<String> = {
        let mut v: Vec<String> = std::fs::read_dir(&arts)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names,
        ["1048571.md", "1048572.md", "1048573.md", "1048574.md"]
    );
    let text = |id: &str| std::fs::read_to_string(arts.join(format!("{id}.md"))).unwrap();
    assert!(text("1048572").contains("[丙](https://example.org/a/3)"));
    assert!(text("1048571").contains("[丁](https://example.org/a/4)"));
    let list = std::fs::read_to_string(tmp.path().join("archive/lists/X.md")).unwrap();
    assert_eq!(list.matches("](/articles/x/").count(), 4, "{list}");
}

#[test]
fn one_broken_feed_does_not_stop_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("seed/feed.xml"),
        tmp.path().join("feed.xml"),
    )
    .unwrap();
    let server = Server::start();
    server.route("/broken.xml", Answer::status(500));
    server.route(
        "/html.xml",
        Answer::ok("text/html", "<!DOCTYPE html><html><body>no</body></html>"),
    );
    server.route(
        "/good.xml",
        Answer::ok(
            "application/rss+xml",
            rss(&[TestItem {
                title: "好",
                link: "https://example.org/good",
                guid: None,
                date: Some(SEED_DATE),
                content: "<p>好</p>",
            }]),
        ),
    );
    let (broken, html, good) = (
        server.url("/broken.xml"),
        server.url("/html.xml"),
        server.url("/good.xml"),
    );
    let cfg = write_config(
        tmp.path(),
        "",
        &[
            ("dw", "德国之声", &["feed.xml"]),
            ("down", "Down", &[broken.as_str()]),
            ("missing", "Missing", &["no-such-feed.xml"]),
            ("page", "Page", &[html.as_str()]),
            ("good", "Good", &[good.as_str()]),
        ],
    );
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("source down") && err.contains("HTTP 500"),
        "{err}"
    );
    assert!(
        err.contains("source missing") && err.contains("no-such-feed.xml"),
        "{err}"
    );
    assert!(
        err.contains("source page") && err.contains("not a feed"),
        "{err}"
    );
    assert!(
        !err.contains("source good") && !err.contains("source dw"),
        "{err}"
    );
    let archive = tmp.path().join("archive");
    assert!(archive.join("articles/dw/1048574.md").exists());
    assert!(archive.join("articles/good/1048574.md").exists());
    assert!(!archive.join("articles/down").exists());
}

#[test]
fn bad_configs_exit_2_and_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[archive]\ndir = \"a\"\n\n[[sources]]\nslug = \"x\"\nname = \"X\"\nfeedz = []\n",
            "line 7",
            "feedz",
        ),
        (
            "[archive]\ndir = \"a\"\n[[sources]]\nslug = \"x\"\nname = \"X\"\n[[sources]]\nslug = \"x\"\nname = \"Y\"\n",
            "line 7",
            "duplicate slug",
        ),
        (
            "[archive]\ndir = \"a\"\n[[sources]]\nslug = \"../etc\"\nname = \"X\"\n",
            "line 4",
            "../etc",
        ),
    ];
    for (text, line, word) in cases {
        let cfg = tmp.path().join("c.toml");
        std::fs::write(&cfg, text).unwrap();
        let (code, _, err) = update(&cfg);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(line) && err.contains(word), "{err}");
    }
    let out = newsmirror(&["update", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn undated_future_and_hostile_items_are_archived_safely() {
    let tmp = tempfile::tempdir().unwrap();
    let items = [
        TestItem {
            title: "无日期",
            link: "https://example.org/n",
            guid: Some("n"),
            date: None,
            content: "<p>n</p>",
        },
        TestItem {
            title: "未来",
            link: "https://example.org/f",
            guid: Some("f"),
            date: Some("Tue, 19 Jun 2999 12:00:00 GMT"),
            content: "<p>f</p>",
        },
        TestItem {
            title: "../../../../etc/passwd\n第二行\u{1}",
            link: "https://example.org/e?x=../../etc/passwd\n",
            guid: Some("../../guid"),
            date: Some(SEED_DATE),
            content: "<p>e</p>",
        },
    ];
    std::fs::write(tmp.path().join("feed.xml"), rss(&items)).unwrap();
    let cfg = write_config(tmp.path(), "", &[("x", "X", &["feed.xml"])]);
    let before = chrono::Utc::now().timestamp_millis();
    assert_eq!(update(&cfg).0, 0);
    let after = chrono::Utc::now().timestamp_millis();
    let arts = tmp.path().join("archive/articles/x");
    let mut names: Vec<String> = std::fs::read_dir(&arts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["1048572.md", "1048573.md", "1048574.md"]);
    let all: Vec<String> = names
        .iter()
        .map(|n| std::fs::read_to_string(arts.join(n)).unwrap())
        .collect();
    let hostile = all
        .iter()
        .find(|t| t.contains("etc/passwd 第二行"))
        .expect("hostile title archived, cleaned");
    assert!(
        hostile
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("[../../../../etc/passwd 第二行]("),
        "{hostile}"
    );
    for t in &all {
        let ms: i64 = t[4..t.find("-->").unwrap()].parse().unwrap();
        if t.contains("[无日期]") || t.contains("[未来]") {
            assert!(ms >= before - 1000 && ms <= after, "{t}");
        }
    }
    assert!(!tmp.path().join("etc").exists() && !tmp.path().join("archive/etc").exists());
}
