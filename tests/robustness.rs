//! A mirror that runs unattended: crash safety, one writer, conditional requests, proxies.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::*;

/// A feed of `n` distinct items (newest first), titled `{tag}-{i}`.
fn big_feed(tag: &str, n: usize) -> String {
    let items: Vec<(String, String, String, String)> = (0..n)
        .map(|i| {
            let ms = 1_718_801_223_000i64 - i as i64 * 60_000;
            let date = chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc2822();
            (
                format!("{tag}-{i} 标题"),
                format!("https://example.org/{tag}/{i}"),
                date,
                format!("<p>{tag} 第{i}篇的正文。</p>\n  <p>第二段。</p>"),
            )
        })
        .collect();
    let items: Vec<TestItem<'_>> = items
        .iter()
        .map(|(t, l, d, c)| TestItem {
            title: t,
            link: l,
            guid: Some(l),
            date: Some(d),
            content: c,
        })
        .collect();
    rss(&items)
}

/// Checks an archive after crashes: every item once, every file whole, database sound and in
/// line with the files.
fn check_archive(archive: &Path, sources: &[(&str, usize)]) {
    for (slug, n) in sources {
        let dir = archive.join("articles").join(slug);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with('.')),
            "temporary files left: {names:?}"
        );
        assert_eq!(
            names.len(),
            *n,
            "{slug}: {} files for {n} items",
            names.len()
        );
        let mut titles = HashSet::new();
        for name in &names {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            let parsed = newsmirror::mirror::parse_article(&text)
                .unwrap_or_else(|| panic!("{name} is not well-formed"));
            assert!(text.ends_with("</p>\n"), "{slug}/{name} is incomplete");
            assert!(
                titles.insert(parsed.title.clone()),
                "{slug}: duplicate {}",
                parsed.title
            );
        }
        let ids: Vec<i64> = names
            .iter()
            .map(|n| newsmirror::mirror::id_from_file_name(n).unwrap())
            .collect();
        assert_eq!(*ids.iter().max().unwrap(), 1048574);
        assert_eq!(
            *ids.iter().min().unwrap(),
            1048574 - *n as i64 + 1,
            "ids are contiguous"
        );
    }
    let (store, created) =
        newsmirror::store::Store::open(&archive.join(".newsmirror/newsmirror.sqlite")).unwrap();
    assert!(!created);
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
    for (slug, n) in sources {
        let known = store.known_paths(slug).unwrap();
        assert_eq!(known.len(), *n, "{slug}: database and files disagree");
        for p in &known {
            assert!(archive.join(p).exists(), "{p} recorded but missing");
        }
    }
}

#[test]
fn killed_at_twenty_random_moments_loses_and_duplicates_nothing() {
    // Each round the feeds grow by STEP items per source, so every run has work to do when
    // it is killed; killed runs leave theirs to the next.
    const STEP: usize = 150;
    const ROUNDS: usize = 20;
    let tmp = tempfile::tempdir().unwrap();
    let slugs = ["a", "b", "c"];
    let write_feeds = |dir: &Path, n: usize| {
        for slug in slugs {
            std::fs::write(dir.join(format!("{slug}.xml")), big_feed(slug, n)).unwrap();
        }
    };
    let cfg = write_config(
        tmp.path(),
        "",
        &[
            ("a", "A", &["a.xml"]),
            ("b", "B", &["b.xml"]),
            ("c", "C", &["c.xml"]),
        ],
    );
    let cfg_s = cfg.to_str().unwrap();

    // How long a run with one round's work takes here, to spread the kills over it.
    let probe = tempfile::tempdir().unwrap();
    write_feeds(probe.path(), STEP);
    std::fs::copy(&cfg, probe.path().join("newsmirror.toml")).unwrap();
    let t = Instant::now();
    assert_eq!(update(&probe.path().join("newsmirror.toml")).0, 0);
    let full = t.elapsed().as_millis().max(50) as u64;

    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kills = 0;
    let mut mid_write = 0;
    let mut window = full + full / 4;
    for round in 1..=ROUNDS {
        write_feeds(tmp.path(), round * STEP);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = Duration::from_millis(seed % window.max(1));
        let mut child = command(&["-q", "update", "--config", cfg_s])
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let killed = child.try_wait().unwrap().is_none();
        if killed {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        // Killed while writing files: paths journaled, not yet recorded.
        let db = tmp.path().join("archive/.newsmirror/newsmirror.sqlite");
        let writing = db.exists()
            && !newsmirror::store::Store::open(&db)
                .unwrap()
                .0
                .orphaned_pending()
                .unwrap()
                .is_empty();
        mid_write += usize::from(writing);
        // Steer the window so that kills land across whole runs, writing included: runs grow
        // as the feeds grow.
        window = match (killed, writing) {
            (false, _) => window * 4 / 5,
            (true, false) => window * 13 / 10,
            (true, true) => window,
        };
    }
    eprintln!(
        "{kills} of {ROUNDS} runs killed mid-way, {mid_write} while writing files; a round's run takes {full} ms"
    );
    assert!(
        kills >= ROUNDS / 2,
        "only {kills} of {ROUNDS} runs were killed mid-way"
    );
    assert!(
        mid_write >= 3,
        "only {mid_write} kills landed while files were being written"
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let n = ROUNDS * STEP;
    check_archive(&tmp.path().join("archive"), &[("a", n), ("b", n), ("c", n)]);
    let list = std::fs::read_to_string(tmp.path().join("archive/lists/A.md")).unwrap();
    assert_eq!(list.matches("](/articles/a/").count(), 300);
}

#[test]
fn two_updates_at_once_one_waits_or_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let feed = big_feed("s", 3);
    // A feed that takes about 1.5 s to arrive keeps the first run holding the archive.
    server.route(
        "/slow",
        Answer::Drip(
            feed.clone().into_bytes(),
            Duration::from_micros(1_500_000 / feed.len() as u64),
        ),
    );
    let url = server.url("/slow");
    let cfg = write_config(tmp.path(), "", &[("s", "S", &[url.as_str()])]);
    let cfg_s = cfg.to_str().unwrap();

    let first = command(&["-q", "update", "--config", cfg_s])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let second = newsmirror(&["-q", "update", "--config", cfg_s]);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "the second run did not give up at once"
    );
    assert_eq!(second.status.code(), Some(3));
    let msg = String::from_utf8_lossy(&second.stderr);
    assert!(
        msg.contains("another newsmirror run") && msg.contains("--wait"),
        "{msg}"
    );

    let waiter = command(&["-q", "update", "--wait", "--config", cfg_s])
        .spawn()
        .unwrap();
    assert_eq!(first.wait_with_output().unwrap().status.code(), Some(0));
    assert_eq!(waiter.wait_with_output().unwrap().status.code(), Some(0));
    check_archive(&tmp.path().join("archive"), &[("s", 3)]);
}

#[test]
fn unchanged_feeds_cost_a_304_and_no_write() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let body = big_feed("e", 5);
    server.route(
        "/etag",
        Answer::Fixed(
            200,
            vec![
                ("ETag".into(), "\"v1\"".into()),
                ("Content-Type".into(), "application/rss+xml".into()),
            ],
            body.clone().into_bytes(),
        ),
    );
    server.route(
        "/lm",
        Answer::Fixed(
            200,
            vec![(
                "Last-Modified".into(),
                "Wed, 19 Jun 2024 12:47:03 GMT".into(),
            )],
            big_feed("l", 2).into_bytes(),
        ),
    );
    let (etag, lm) = (server.url("/etag"), server.url("/lm"));
    let cfg = write_config(
        tmp.path(),
        "",
        &[("e", "E", &[etag.as_str()]), ("l", "L", &[lm.as_str()])],
    );
    assert_eq!(update(&cfg).0, 0);
    let archive = tmp.path().join("archive");
    let before = (tree(&archive), mtimes(&archive));
    std::thread::sleep(Duration::from_millis(1100));
    let (code, out, _) = update(&cfg);
    assert_eq!(code, 0);
    assert!(out.contains("1 not modified"), "{out}");
    assert_eq!(server.not_modified(), 1);
    let second = &server.requests_to("/etag")[1];
    assert!(
        second
            .iter()
            .any(|(k, v)| k == "if-none-match" && v == "\"v1\""),
        "{second:?}"
    );
    let second = &server.requests_to("/lm")[1];
    assert!(
        second
            .iter()
            .any(|(k, v)| k == "if-modified-since" && v.contains("19 Jun 2024")),
        "{second:?}"
    );
    assert_eq!(before, (tree(&archive), mtimes(&archive)));
}

#[test]
fn fetches_go_through_socks5_and_http_proxies() {
    let server = Server::start();
    server.route("/feed", Answer::ok("application/rss+xml", big_feed("p", 2)));
    let url = server.url("/feed");
    let target = format!("127.0.0.1:{}", server.port);

    let socks = common::proxy::socks5();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        &format!(
            "[fetch]\nproxy = \"socks5h://reader:secret@127.0.0.1:{}\"",
            socks.port
        ),
        &[("p", "P", &[url.as_str()])],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        socks.seen().contains(&"login reader:secret".to_string()),
        "{:?}",
        socks.seen()
    );
    assert!(socks.seen().contains(&target), "{:?}", socks.seen());
    assert_eq!(
        markdown_files(&tmp.path().join("archive/articles")).len(),
        2
    );

    // Per source: one source through an HTTP proxy, the other direct.
    let http = common::proxy::http();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("local.xml"), big_feed("d", 1)).unwrap();
    let text = format!(
        "[archive]\ndir = \"archive\"\n[[sources]]\nslug = \"p\"\nname = \"P\"\nfeeds = [\"{url}\"]\nproxy = \"http://127.0.0.1:{}\"\n[[sources]]\nslug = \"d\"\nname = \"D\"\nfeeds = [\"local.xml\"]\n",
        http.port
    );
    std::fs::write(tmp.path().join("newsmirror.toml"), text).unwrap();
    let (code, out, err) = update(&tmp.path().join("newsmirror.toml"));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(http.seen(), vec![target]);
    assert_eq!(
        markdown_files(&tmp.path().join("archive/articles")).len(),
        3
    );

    // A dead proxy is a failure of that source, in words.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        "[fetch]\nproxy = \"socks5h://127.0.0.1:1\"\ntimeout = \"3s\"",
        &[("p", "P", &[url.as_str()])],
    );
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 1);
    assert!(err.contains("source p"), "{err}");
}
