//! A cluster on PostgreSQL: several workers, one publisher. Each test works in a schema of its
//! own on `NEWSMIRROR_TEST_POSTGRES` (CI starts a throwaway server); without it they print
//! "SKIP" and pass.

#[path = "../common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::*;
use support::*;

#[test]
fn compat_feeds_through_two_workers_and_a_publisher_give_the_reference_tree() {
    let Some(pg) = pg::schema("compat_two_workers") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("compat/feeds"), &tmp.path().join("feeds"));
    let cfg = tmp.path().join("sources.toml");
    compat_config(&cfg);
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text = text.replacen(
        "[archive]",
        &format!("[store]\nurl = \"{}\"\nclaim = 1\n\n[archive]", pg.url),
        1,
    );
    std::fs::write(&cfg, text).unwrap();
    let workers: Vec<Child> = (0..2)
        .map(|_| spawn(&["worker", "--once", "--config", s(&cfg)]))
        .collect();
    let mut batches = Vec::new();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        ok(&out, "worker");
        batches.push(text_of_batches(&out));
    }
    eprintln!("sources per worker: {batches:?}");
    let sources = std::fs::read_to_string(&cfg)
        .unwrap()
        .matches("[[sources]]")
        .count();
    assert_eq!(sources, 16);
    assert_eq!(
        batches.iter().sum::<usize>(),
        sources,
        "every source once in all"
    );
    let archive = tmp.path().join("archive");
    assert!(
        !archive.join("articles").exists(),
        "workers write no mirror files"
    );
    let out = run(&["publish", "--once", "--config", s(&cfg)]);
    ok(&out, "publish");
    let expected = fixtures().join("compat/expected");
    assert_same_tree(&archive.join("articles"), &expected.join("articles"));
    assert_same_tree(&archive.join("lists"), &expected.join("lists"));
    // Published again with nothing new: no file rewritten.
    let before = (tree(&archive), mtimes(&archive));
    std::thread::sleep(Duration::from_millis(1100));
    ok(
        &run(&["publish", "--once", "--config", s(&cfg)]),
        "publish again",
    );
    same(&before.0, &tree(&archive), "published again");
    assert_eq!(before.1, mtimes(&archive), "files were rewritten");
    // A fresh checkout (another publisher machine, no cursor) renders the same tree. (The
    // same folder: the feeds' file paths are relative to the config, and name the feeds.)
    let cfg2 = tmp.path().join("elsewhere.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg2,
        text.replacen("dir = \"archive\"", "dir = \"elsewhere\"", 1),
    )
    .unwrap();
    ok(
        &run(&["publish", "--once", "--config", s(&cfg2)]),
        "publish elsewhere",
    );
    same(
        &tree(&archive),
        &tree(&tmp.path().join("elsewhere")),
        "elsewhere",
    );
}

#[test]
fn workers_killed_at_random_moments_lose_and_duplicate_nothing() {
    let Some(pg) = pg::schema("random_kills") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.set_delay(Duration::from_millis(30));
    let slugs: Vec<String> = (0..9).map(|i| format!("s{i}")).collect();
    let urls: Vec<String> = slugs
        .iter()
        .map(|s| server.url(&format!("/{s}.xml")))
        .collect();
    let sources: Vec<(&str, &str, Vec<&str>)> = slugs
        .iter()
        .zip(&urls)
        .map(|(s, u)| (s.as_str(), s.as_str(), vec![u.as_str()]))
        .collect();
    let sources: Vec<(&str, &str, &[&str])> = sources
        .iter()
        .map(|(a, b, c)| (*a, *b, c.as_slice()))
        .collect();
    // No removal rechecks: this test is about items, and the pages (example.org) are out of
    // reach here, so rechecking them would only wait on host slots for minutes.
    let cfg = config(
        tmp.path(),
        &pg,
        "lease = \"1s\"\nclaim = 2",
        "[history]\nrecheck_for = \"0s\"",
        &sources,
    );
    every(&cfg, "1s");
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n.max(1)
    };
    let mut kills = 0;
    let step = 40;
    for round in 1..=6 {
        serve_feeds(&server, &slugs, round * step);
        let mut workers: Vec<(Child, Duration)> = (0..3)
            .map(|_| {
                let at = Duration::from_millis(50 + rnd(1500));
                (spawn(&["worker", "--config", s(&cfg)]), at)
            })
            .collect();
        let started = Instant::now();
        workers.sort_by_key(|(_, at)| *at);
        for (mut w, at) in workers {
            if let Some(left) = at.checked_sub(started.elapsed()) {
                std::thread::sleep(left);
            }
            if w.try_wait().unwrap().is_none() {
                w.kill().unwrap();
                kills += 1;
            }
            w.wait().unwrap();
        }
    }
    assert!(kills >= 12, "only {kills} workers were killed mid-way");
    // The leases of the dead run out; a final pass archives what is left.
    std::thread::sleep(Duration::from_millis(1200));
    ok(
        &run(&["worker", "--once", "--config", s(&cfg)]),
        "final pass",
    );
    ok(&run(&["publish", "--once", "--config", s(&cfg)]), "publish");
    let n = 6 * step;
    let expect: Vec<(String, usize)> = slugs.iter().map(|s| (s.clone(), n)).collect();
    check_published(&tmp.path().join("archive"), &pg, &expect);
}

#[test]
fn a_dead_workers_claims_return_after_the_lease() {
    let Some(pg) = pg::schema("lease") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route("/a.xml", Answer::Hang);
    let url = server.url("/a.xml");
    let cfg = config(
        tmp.path(),
        &pg,
        "lease = \"3s\"",
        "[fetch]\ntimeout = \"60s\"",
        &[("a", "A", &[url.as_str()])],
    );
    let mut w = spawn(&["worker", "--config", s(&cfg)]);
    // Holding the claim, hanging on the feed.
    let mut c = pg.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // (No table until the worker made the schema.)
        let held: i64 = c
            .query_one("SELECT COUNT(*) FROM sources WHERE worker IS NOT NULL", &[])
            .map_or(0, |r| r.get(0));
        if held == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never claimed the source"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    w.kill().unwrap();
    w.wait().unwrap();
    let killed_at = Instant::now();
    server.route("/a.xml", rss_answer(big_feed("a", 5), "a5"));
    // Within the lease: another worker leaves the source alone.
    let out = run(&["worker", "--once", "--config", s(&cfg)]);
    ok(&out, "worker within the lease");
    assert!(
        killed_at.elapsed() < Duration::from_secs(3),
        "too slow to check within the lease"
    );
    assert!(text(&out).contains("worker: 0 sources"), "{}", text(&out));
    // After it: taken.
    std::thread::sleep(
        Duration::from_secs(3).saturating_sub(killed_at.elapsed()) + Duration::from_millis(300),
    );
    let out = run(&["worker", "--once", "--config", s(&cfg)]);
    ok(&out, "worker after the lease");
    assert!(text(&out).contains("worker: 1 sources"), "{}", text(&out));
    ok(&run(&["publish", "--once", "--config", s(&cfg)]), "publish");
    check_published(&tmp.path().join("archive"), &pg, &[("a".into(), 5)]);
}

#[test]
fn per_host_holds_in_total_across_three_workers() {
    let Some(pg) = pg::schema("per_host") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.set_delay(Duration::from_millis(200));
    let slugs: Vec<String> = (0..12).map(|i| format!("h{i}")).collect();
    serve_feeds(&server, &slugs, 3);
    let urls: Vec<String> = slugs
        .iter()
        .map(|s| server.url(&format!("/{s}.xml")))
        .collect();
    let sources: Vec<(&str, &str, Vec<&str>)> = slugs
        .iter()
        .zip(&urls)
        .map(|(s, u)| (s.as_str(), s.as_str(), vec![u.as_str()]))
        .collect();
    let sources: Vec<(&str, &str, &[&str])> = sources
        .iter()
        .map(|(a, b, c)| (*a, *b, c.as_slice()))
        .collect();
    let cfg = config(
        tmp.path(),
        &pg,
        "claim = 2",
        "[fetch]\nper_host = 2\nconcurrency = 8",
        &sources,
    );
    let workers: Vec<Child> = (0..3)
        .map(|_| spawn(&["worker", "--once", "--config", s(&cfg)]))
        .collect();
    let mut per = Vec::new();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        ok(&out, "worker");
        per.push(text_of_batches(&out));
    }
    eprintln!(
        "sources per worker {per:?}, most in flight {}",
        server.max_in_flight()
    );
    assert_eq!(per.iter().sum::<usize>(), 12);
    assert!(
        per.iter().filter(|n| **n > 0).count() >= 2,
        "the workers shared the work: {per:?}"
    );
    assert_eq!(
        server.max_in_flight(),
        2,
        "per_host = 2 in total, and reached"
    );
}

#[test]
fn migrate_then_update_continues_the_countdown() {
    let Some(pg) = pg::schema("migrate") else {
        return;
    };
    let server = Server::start();
    let feed = |n: usize, edited: bool| {
        let mut body = big_feed("m", n);
        if edited {
            body = body.replace("m 第1篇的正文。", "m 第1篇的正文，改过了。");
        }
        server.route("/m.xml", Answer::ok("application/rss+xml", body));
    };
    let url = server.url("/m.xml");
    // An archive on SQLite, with an edit (a revision, a journal entry).
    let tmp = tempfile::tempdir().unwrap();
    let control = tempfile::tempdir().unwrap();
    let sqlite_cfg = write_config(tmp.path(), "", &[("m", "M", &[url.as_str()])]);
    let control_cfg = write_config(control.path(), "", &[("m", "M", &[url.as_str()])]);
    feed(5, false);
    ok(&run(&["update", "--config", s(&sqlite_cfg)]), "update");
    ok(&run(&["update", "--config", s(&control_cfg)]), "control");
    feed(5, true);
    ok(
        &run(&["update", "--config", s(&sqlite_cfg)]),
        "update edited",
    );
    ok(
        &run(&["update", "--config", s(&control_cfg)]),
        "control edited",
    );
    // Identity evidence the SQLite archive wrote in its journal (`archive::evidence`).
    let evidence = |archive: &std::path::Path| -> Vec<String> {
        let mut lines = Vec::new();
        for e in std::fs::read_dir(archive.join("changes")).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "jsonl") {
                let text = std::fs::read_to_string(&path).unwrap();
                lines.extend(
                    text.lines()
                        .filter(|l| {
                            l.contains("\"kind\":\"archived\"") || l.contains("\"kind\":\"seen\"")
                        })
                        .map(str::to_string),
                );
            }
        }
        lines
    };
    let before = evidence(&tmp.path().join("archive"));
    assert!(before.len() >= 5, "evidence of 5 articles: {before:?}");
    let out = run(&["migrate", "--to", &pg.url, "--config", s(&sqlite_cfg)]);
    ok(&out, "migrate");
    assert!(
        text(&out).contains("5 articles (6 revisions"),
        "{}",
        text(&out)
    );
    // Into a database that holds articles: refused.
    let again = run(&["migrate", "--to", &pg.url, "--config", s(&control_cfg)]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(
        text(&again).contains("already holds 5 articles"),
        "{}",
        text(&again)
    );
    // The same archive on PostgreSQL: new items continue the countdown, nothing repeats.
    let pg_cfg = write_config(
        tmp.path(),
        &format!("[store]\nurl = \"{}\"", pg.url),
        &[("m", "M", &[url.as_str()])],
    );
    feed(8, true);
    let out = run(&["update", "--config", s(&pg_cfg)]);
    ok(&out, "update on PostgreSQL");
    assert!(text(&out).contains("update: 3 new"), "{}", text(&out));
    ok(
        &run(&["update", "--config", s(&control_cfg)]),
        "control grows",
    );
    let archive = tmp.path().join("archive");
    check_published(&archive, &pg, &[("m".into(), 8)]);
    let ctl = control.path().join("archive");
    for sub in ["articles", "lists", "revisions"] {
        assert_same_tree(&archive.join(sub), &ctl.join(sub));
    }
    // The publisher rewrote the month's journal from the database: the evidence stayed.
    let after = evidence(&archive);
    for line in &before {
        assert!(
            after.contains(line),
            "evidence lost: {line}\nnow: {after:?}"
        );
    }
    assert_eq!(
        std::fs::read_dir(archive.join("changes")).unwrap().count(),
        std::fs::read_dir(ctl.join("changes")).unwrap().count()
    );
    let out = run(&["update", "--config", s(&pg_cfg)]);
    ok(&out, "again");
    assert!(text(&out).contains("update: 0 new"), "{}", text(&out));
    // History and status read the database.
    let out = run(&["history", "m/1048571", "--config", s(&pg_cfg)]);
    ok(&out, "history");
    assert!(text(&out).contains("改过了"), "{}", text(&out));
}

#[test]
fn one_publisher_at_a_time() {
    let Some(pg) = pg::schema("publishers") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("f.xml");
    std::fs::write(&feed, big_feed("p", 3)).unwrap();
    let f = s(&feed).to_string();
    let cfg = config(
        tmp.path(),
        &pg,
        "publish_every = \"1s\"",
        "",
        &[("p", "P", &[f.as_str()])],
    );
    let cfg2 = config(other.path(), &pg, "", "", &[("p", "P", &[f.as_str()])]);
    ok(&run(&["worker", "--once", "--config", s(&cfg)]), "worker");
    let mut first = spawn(&["publish", "--config", s(&cfg)]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !tmp.path().join("archive/lists/P.md").exists() {
        assert!(
            Instant::now() < deadline,
            "the first publisher never published"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = run(&["publish", "--once", "--config", s(&cfg2)]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("another publisher"), "{}", text(&out));
    assert!(!other.path().join("archive/lists").exists());
    // `update` on the same database leaves publishing to the publisher.
    let out = run(&["update", "--config", s(&cfg2)]);
    ok(&out, "update beside a publisher");
    assert!(!other.path().join("archive/lists").exists());
    // The first one dies: its lock goes with its connection.
    first.kill().unwrap();
    first.wait().unwrap();
    ok(
        &run(&["publish", "--once", "--config", s(&cfg2)]),
        "the second publisher",
    );
    assert_same_tree(
        &other.path().join("archive/articles"),
        &tmp.path().join("archive/articles"),
    );
}

#[test]
fn killed_at_every_cluster_step_then_run_to_completion() {
    if !has_failpoints() {
        println!("SKIP: built without the failpoints feature (cargo test --features failpoints)");
        return;
    }
    let Some(pg) = pg::schema("cluster_points") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let slugs = vec!["k".to_string()];
    let url = server.url("/k.xml");
    let cfg = config(
        tmp.path(),
        &pg,
        "lease = \"1s\"",
        "",
        &[("k", "K", &[url.as_str()])],
    );
    every(&cfg, "1s");
    let worker_points = [
        "update::fetched",
        "update::selected",
        "update::completed",
        "worker::before_commit",
        "worker::committed",
    ];
    let mut n = 0;
    for point in worker_points {
        n += 4;
        serve_feeds(&server, &slugs, n);
        // Due again (interval 1s) since the last pass.
        std::thread::sleep(Duration::from_millis(1100));
        let mut c = command(&["worker", "--once", "--config", s(&cfg)]);
        c.env("FAILPOINTS", format!("{point}=return"));
        let out = c.output().unwrap();
        assert_eq!(
            out.status.code(),
            None,
            "{point}: not killed: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(1100));
        ok(&run(&["worker", "--once", "--config", s(&cfg)]), point);
        ok(&run(&["publish", "--once", "--config", s(&cfg)]), point);
        check_published(&tmp.path().join("archive"), &pg, &[("k".into(), n)]);
    }
    let publish_points: Vec<&str> = newsmirror::faults::CLUSTER_POINTS
        .iter()
        .copied()
        .filter(|p| p.starts_with("publish::"))
        .collect();
    assert_eq!(publish_points.len(), 3);
    for point in publish_points {
        n += 4;
        serve_feeds(&server, &slugs, n);
        std::thread::sleep(Duration::from_millis(1100));
        ok(&run(&["worker", "--once", "--config", s(&cfg)]), point);
        let mut c = command(&["publish", "--once", "--config", s(&cfg)]);
        c.env("FAILPOINTS", format!("{point}=return"));
        let out = c.output().unwrap();
        assert_eq!(
            out.status.code(),
            None,
            "{point}: not killed: {}",
            text(&out)
        );
        ok(&run(&["publish", "--once", "--config", s(&cfg)]), point);
        check_published(&tmp.path().join("archive"), &pg, &[("k".into(), n)]);
    }
    // What a killed publisher left equals a fresh render.
    let fresh = tempfile::tempdir().unwrap();
    let cfg2 = config(fresh.path(), &pg, "", "", &[("k", "K", &[url.as_str()])]);
    ok(&run(&["publish", "--once", "--config", s(&cfg2)]), "fresh");
    assert_eq!(
        tree(&tmp.path().join("archive")),
        tree(&fresh.path().join("archive"))
    );
}

#[test]
fn every_reader_index_follows_the_database_by_its_own_cursor() {
    let Some(pg) = pg::schema("search_cursor") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("f.xml");
    fn item<'a>(t: &'a str, l: &'a str, c: &'a str) -> TestItem<'a> {
        TestItem {
            title: t,
            link: l,
            guid: Some(l),
            date: Some("Wed, 19 Jun 2024 12:47:03 GMT"),
            content: c,
        }
    }
    std::fs::write(
        &feed,
        rss(&[item(
            "选举结果公布",
            "https://x.example/1",
            "<p>选举委员会公布了结果。</p>",
        )]),
    )
    .unwrap();
    let f = s(&feed).to_string();
    // Two reader machines: two archive folders (two indexes) on one database.
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let cfg_a = config(a.path(), &pg, "", "", &[("x", "X", &[f.as_str()])]);
    let cfg_b = config(b.path(), &pg, "", "", &[("x", "X", &[f.as_str()])]);
    ok(&run(&["worker", "--once", "--config", s(&cfg_a)]), "worker");
    let found = |cfg: &Path, word: &str| -> usize {
        let out = run(&["search", "--json", "--config", s(cfg), word]);
        ok(&out, "search");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["total"].as_u64().unwrap() as usize
    };
    assert_eq!(found(&cfg_a, "选举"), 1);
    std::fs::write(
        &feed,
        rss(&[
            item(
                "选举结果公布",
                "https://x.example/1",
                "<p>选举委员会公布了结果。</p>",
            ),
            item("台风登陆", "https://x.example/2", "<p>台风今晨登陆。</p>"),
        ]),
    )
    .unwrap();
    ok(&run(&["update", "--config", s(&cfg_a)]), "update");
    // Each index catches up by itself, whichever ran first; neither takes the other's changes.
    assert_eq!(found(&cfg_a, "台风"), 1);
    assert_eq!(found(&cfg_b, "台风"), 1);
    assert_eq!(found(&cfg_b, "选举"), 1);
    assert_eq!(found(&cfg_a, "选举"), 1);
}
