//! `run` as a service, `status`, and the health table of the archive's README.

mod common;

use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

fn one_item_feed(tag: &str) -> String {
    let link = format!("https://example.org/{tag}");
    let title = format!("标题{tag}");
    rss(&[TestItem {
        title: &title,
        link: &link,
        guid: None,
        date: Some(DATE),
        content: "<p>x</p>",
    }])
}

/// Kills the child when the test ends, passed or not.
struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn run_fetches_when_due_and_stops_cleanly_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("feed.xml");
    std::fs::write(&feed, one_item_feed("1")).unwrap();
    let cfg = write_config(tmp.path(), "", &[("s", "S", &["feed.xml"])]);
    let mut child = KillOnDrop(
        command(&["run", "--every", "1s", "--config", cfg.to_str().unwrap()])
            .spawn()
            .unwrap(),
    );
    let arts = tmp.path().join("archive/articles/s");
    let wait_for = |n: usize| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if std::fs::read_dir(&arts).map(|d| d.count()).unwrap_or(0) >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    };
    assert!(wait_for(1), "the first round archived nothing");
    // A new item appears; the next round (1 s later) archives it.
    let items = [
        TestItem {
            title: "标题2",
            link: "https://example.org/2",
            guid: None,
            date: Some(DATE),
            content: "<p>y</p>",
        },
        TestItem {
            title: "标题1",
            link: "https://example.org/1",
            guid: None,
            date: Some(DATE),
            content: "<p>x</p>",
        },
    ];
    std::fs::write(&feed, rss(&items)).unwrap();
    assert!(wait_for(2), "the second round did not come");
    // While it runs, the archive is locked.
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 3, "{err}");
    // SIGTERM: finish, exit 0, promptly.
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.0.id() as i32, libc::SIGTERM) };
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "run did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert_eq!(update(&cfg).0, 0, "the lock is released");
}

#[test]
fn status_and_readme_show_a_dead_source() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route(
        "/ok",
        Answer::ok("application/rss+xml", one_item_feed("ok")),
    );
    server.route("/dead", Answer::status(503));
    let (ok, dead) = (server.url("/ok"), server.url("/dead"));
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"3s\"\nretries = 0",
        &[
            ("ok", "好", &[ok.as_str()]),
            ("dead", "坏", &[dead.as_str()]),
        ],
    );
    assert_eq!(update(&cfg).0, 1);
    assert_eq!(update(&cfg).0, 1);

    let out = newsmirror(&["status", "--json", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by = |slug: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|s| s["slug"] == slug)
            .unwrap()
            .clone()
    };
    assert_eq!(by("ok")["state"], "ok");
    assert_eq!(by("ok")["articles"], 1);
    assert!(by("ok")["last_success_ms"].is_i64());
    assert_eq!(by("dead")["state"], "failing");
    assert_eq!(
        by("dead")["failures"],
        2,
        "consecutive failures are counted"
    );
    assert!(
        by("dead")["last_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 503")
    );
    assert!(by("dead")["last_success_ms"].is_null());
    // Backoff: the next attempt is later than the last one, and grows.
    let next = by("dead")["next_attempt_ms"].as_i64().unwrap();
    let last = by("dead")["last_attempt_ms"].as_i64().unwrap();
    assert!(
        next - last >= 10 * 60_000 - 1000,
        "second failure waits ~10 min, got {} ms",
        next - last
    );

    let table = newsmirror(&["status", "--config", cfg.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("failing") && table.contains("HTTP 503"),
        "{table}"
    );

    let readme = std::fs::read_to_string(tmp.path().join("archive/README.md")).unwrap();
    // A source without articles is named without links (it has no list, no folder).
    let dead_row = readme
        .lines()
        .find(|l| l.contains("[坏]") || l.starts_with("| 坏 |"))
        .unwrap();
    assert!(
        dead_row.contains("故障") && dead_row.contains("HTTP 503") && dead_row.contains("| — |"),
        "{dead_row}"
    );
    let ok_row = readme.lines().find(|l| l.contains("[好]")).unwrap();
    assert!(
        ok_row.contains("正常") && ok_row.contains("| 1 |"),
        "{ok_row}"
    );

    // It comes back: healthy again, failures reset.
    server.route(
        "/dead",
        Answer::ok("application/rss+xml", one_item_feed("back")),
    );
    assert_eq!(update(&cfg).0, 0);
    let readme = std::fs::read_to_string(tmp.path().join("archive/README.md")).unwrap();
    assert!(
        readme
            .lines()
            .find(|l| l.contains("[坏]") || l.starts_with("| 坏 |"))
            .unwrap()
            .contains("正常")
    );
}

#[test]
fn json_summary() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("feed.xml"), one_item_feed("j")).unwrap();
    let cfg = write_config(tmp.path(), "", &[("j", "J", &["feed.xml"])]);
    let out = newsmirror(&["update", "--json", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sources"][0]["slug"], "j");
    assert_eq!(v["sources"][0]["new"], 1);
    let quiet = newsmirror(&["-q", "update", "--config", cfg.to_str().unwrap()]);
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());
}
