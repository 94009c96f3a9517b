//! Nothing lost: the commit protocol against a process that dies at every step boundary
//! (failpoints, abort), a disk that fills or fails, a database that is damaged, files that
//! another keeper committed, ids that run out, a clock that ran ahead.
//!
//! The failpoint tests need `cargo test --features failpoints` (the README's test command);
//! without it they print a SKIP line.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::server::{Answer, Server};
use common::*;
use newsmirror::faults::POINTS;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

fn items(n: usize, edited: bool, server: &Server) -> String {
    let owned: Vec<(String, String, String)> = (0..n)
        .map(|i| {
            let text = if edited && i == 1 {
                format!("<p>第{i}篇的正文，已经改过了。</p>")
            } else {
                format!("<p>第{i}篇的正文。</p>")
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

fn run(args: &[&str], failpoint: Option<&str>) -> Output {
    let mut c = command(args);
    if let Some(p) = failpoint {
        c.env("FAILPOINTS", p);
    }
    c.output().unwrap()
}

fn aborted(out: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal() == Some(libc::SIGABRT)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A small archive (one source, a loopback feed honouring conditional requests, pages for
/// rechecks) ready for a scenario.
struct Scene {
    _tmp: tempfile::TempDir,
    server: Server,
    cfg: PathBuf,
    archive: PathBuf,
}

impl Scene {
    fn new(extra: &str) -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start();
        for i in 0..6 {
            server.route(&format!("/a/{i}"), Answer::ok("text/html", "<p>正文</p>"));
        }
        server.route("/feed", rss_answer(items(3, false, &server), "v1"));
        let feed = server.url("/feed");
        let cfg = write_config(
            tmp.path(),
            &format!("[history]\nconfirm_after = \"0s\"\n{extra}"),
            &[("s", "S", &[feed.as_str()])],
        );
        let archive = tmp.path().join("archive");
        Scene {
            _tmp: tmp,
            server,
            cfg,
            archive,
        }
    }

    fn c(&self) -> &str {
        self.cfg.to_str().unwrap()
    }

    fn update(&self, failpoint: Option<&str>) -> Output {
        run(&["update", "--config", self.c()], failpoint)
    }

    /// The second version of the feed: two more items and one edited.
    fn next_version(&self) {
        self.server
            .route("/feed", rss_answer(items(5, true, &self.server), "v2"));
    }

    /// Every item once, every file whole, the database in line with the files, and the edit
    /// recorded once with its older revision kept under `revisions/`.
    fn check(&self, label: &str) {
        check_files(&self.archive, "s", 5, label);
        let out = run(
            &["history", "--json", "--config", self.c(), "s/1048573"],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{label}: {}", text(&out));
        let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let revs = h["revisions"].as_array().unwrap();
        assert_eq!(revs.len(), 2, "{label}: {h}");
        assert!(
            self.archive.join("revisions/s/1048573/1.md").exists(),
            "{label}: the older revision is kept as a file"
        );
        let events = h["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{label}: {h}");
    }
}

/// `n` article files of `slug`, each once and whole, ids contiguous from the first, and the
/// database knows exactly them.
fn check_files(archive: &Path, slug: &str, n: usize, label: &str) {
    let dir = archive.join("articles").join(slug);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "{label}: temporary files left: {names:?}"
    );
    let want: Vec<String> = (0..n)
        .map(|i| format!("{}.md", 1048574 - n as i64 + 1 + i as i64))
        .collect();
    assert_eq!(names, want, "{label}");
    let mut titles = std::collections::HashSet::new();
    for name in &names {
        let t = std::fs::read_to_string(dir.join(name)).unwrap();
        let p = newsmirror::mirror::parse_article(&t)
            .unwrap_or_else(|| panic!("{label}: {name} is not whole"));
        assert!(t.ends_with("</p>\n"), "{label}: {name} is not whole");
        assert!(titles.insert(p.title.clone()), "{label}: {} twice", p.title);
    }
    let (store, _) =
        newsmirror::store::Store::open(&archive.join(".newsmirror/newsmirror.sqlite")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
    let known = store.known_paths(slug).unwrap();
    assert_eq!(known.len(), n, "{label}: database and files disagree");
}

/// The sweep: for every failpoint of `update` (and of opening, with and without a database),
/// the run aborts there; the next run completes; nothing is lost or doubled.
#[test]
fn update_killed_at_every_failpoint_loses_and_duplicates_nothing() {
    if !has_failpoints() {
        println!("SKIP: built without the failpoints feature (cargo test --features failpoints)");
        return;
    }
    let update_points: Vec<&str> = POINTS
        .iter()
        .copied()
        .filter(|p| {
            p.starts_with("update::") || p.starts_with("commit::") || p.starts_with("open::")
        })
        .collect();
    let mut reached = std::collections::BTreeSet::new();
    for fresh in [false, true] {
        for point in &update_points {
            let label = format!(
                "{point} (database {})",
                if fresh { "deleted" } else { "kept" }
            );
            let s = Scene::new("");
            assert_eq!(s.update(None).status.code(), Some(0), "{label}");
            s.next_version();
            if fresh {
                delete_database(&s.archive);
            }
            let out = s.update(Some(&format!("{point}=return")));
            if aborted(&out) {
                reached.insert(*point);
            } else {
                assert_eq!(out.status.code(), Some(0), "{label}: {}", text(&out));
            }
            let out = s.update(None);
            assert_eq!(out.status.code(), Some(0), "{label}: {}", text(&out));
            s.check(&label);
            // Nothing left to do: the feed answers 304, no file changes.
            let before = mtimes(&s.archive);
            let hits = s.server.not_modified();
            let out = s.update(None);
            assert!(
                text(&out).contains("update: 0 new"),
                "{label}: {}",
                text(&out)
            );
            assert_eq!(
                s.server.not_modified(),
                hits + 1,
                "{label}: conditional request"
            );
            assert_eq!(before, mtimes(&s.archive), "{label}");
            // And a rebuild from the files holds the same.
            delete_database(&s.archive);
            assert_eq!(s.update(None).status.code(), Some(0), "{label}");
            s.check(&format!("{label}, rebuilt"));
        }
    }
    let missed: Vec<&&str> = update_points
        .iter()
        .filter(|p| !reached.contains(*p))
        .collect();
    assert!(missed.is_empty(), "failpoints never reached: {missed:?}");
    eprintln!("update: {} failpoints swept", reached.len());
}

/// The other writing commands, each killed at its failpoints, then run again.
#[test]
fn other_commands_killed_at_every_failpoint_recover() {
    if !has_failpoints() {
        println!("SKIP: built without the failpoints feature (cargo test --features failpoints)");
        return;
    }
    let mut reached = std::collections::BTreeSet::new();
    // recheck: a page gone, confirmed on the second check; restored on the third.
    for point in POINTS.iter().filter(|p| p.starts_with("recheck::")) {
        for round in 0..3 {
            let s = Scene::new("");
            assert_eq!(s.update(None).status.code(), Some(0));
            s.server.route("/a/0", Answer::status(404));
            let recheck = |fp: Option<&str>| run(&["recheck", "--now", "--config", s.c()], fp);
            for r in 0..3 {
                if r == 2 {
                    s.server
                        .route("/a/0", Answer::ok("text/html", "<p>正文</p>"));
                }
                if r == round {
                    let out = recheck(Some(&format!("{point}=return")));
                    if aborted(&out) {
                        reached.insert(*point);
                    }
                }
                assert_eq!(recheck(None).status.code(), Some(0));
            }
            let out = run(&["history", "--json", "--config", s.c(), "s/1048574"], None);
            let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let kinds: Vec<&str> = h["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap())
                .collect();
            assert_eq!(kinds, ["removed", "restored"], "{point} round {round}: {h}");
            delete_database(&s.archive);
            assert_eq!(s.update(None).status.code(), Some(0));
            let out = run(&["history", "--json", "--config", s.c(), "s/1048574"], None);
            let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(h["events"].as_array().unwrap().len(), 2, "rebuilt: {h}");
        }
    }
    // render: rewrites every file from the database.
    for point in POINTS.iter().filter(|p| p.starts_with("render::")) {
        let s = Scene::new("");
        assert_eq!(s.update(None).status.code(), Some(0));
        let before = tree(&s.archive);
        std::fs::remove_file(s.archive.join("articles/s/1048574.md")).unwrap();
        std::fs::remove_file(s.archive.join("articles/s/1048573.md")).unwrap();
        if aborted(&run(
            &["render", "--config", s.c()],
            Some(&format!("{point}=return")),
        )) {
            reached.insert(*point);
        }
        assert_eq!(
            run(&["render", "--config", s.c()], None).status.code(),
            Some(0)
        );
        assert_eq!(tree(&s.archive), before, "{point}");
    }
    // import: a mirror's checkout copied in.
    for point in POINTS.iter().filter(|p| p.starts_with("import::")) {
        let s = Scene::new("");
        assert_eq!(s.update(None).status.code(), Some(0));
        let other = s._tmp.path().join("other");
        copy_dir(&s.archive.join("articles"), &other.join("articles"));
        let fresh = Scene::new("");
        let c = fresh.c();
        let out = run(
            &["import", "--config", c, other.to_str().unwrap()],
            Some(&format!("{point}=return")),
        );
        if aborted(&out) {
            reached.insert(*point);
        }
        let out = run(&["import", "--config", c, other.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{point}: {}", text(&out));
        check_files(&fresh.archive, "s", 3, point);
    }
    // publish: killed after the git commit, before the push.
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok()
    {
        let point = "publish::committed";
        let s = Scene::new("[publish]\ngit = true\nauthor = \"t <t@example.org>\"");
        let out = s.update(Some(&format!("{point}=return")));
        if aborted(&out) {
            reached.insert(point);
        }
        s.next_version();
        let out = s.update(None);
        assert_eq!(out.status.code(), Some(0), "{point}: {}", text(&out));
        check_files(&s.archive, "s", 5, point);
    } else {
        println!("SKIP: git not installed: publish::committed not swept");
        reached.insert("publish::committed");
    }
    // site and reindex.
    {
        let s = Scene::new("");
        assert_eq!(s.update(None).status.code(), Some(0));
        let out_dir = s._tmp.path().join("site");
        let o = out_dir.to_str().unwrap();
        if aborted(&run(
            &["site", "--config", s.c(), o],
            Some("site::page_written=return"),
        )) {
            reached.insert("site::page_written");
        }
        assert_eq!(
            run(&["site", "--config", s.c(), o], None).status.code(),
            Some(0)
        );
        assert!(out_dir.join("index.html").exists());
        if aborted(&run(
            &["reindex", "--config", s.c()],
            Some("reindex::indexed=return"),
        )) {
            reached.insert("reindex::indexed");
        }
        let out = run(&["reindex", "--config", s.c()], None);
        assert!(text(&out).contains("3 articles indexed"), "{}", text(&out));
    }
    let missed: Vec<&&str> = POINTS
        .iter()
        .filter(|p| {
            !(p.starts_with("update::") || p.starts_with("commit::") || p.starts_with("open::"))
        })
        .filter(|p| !reached.contains(*p))
        .collect();
    assert!(missed.is_empty(), "failpoints never reached: {missed:?}");
}

/// ENOSPC and EIO on file writes, on the flush and on the database commit: the run fails
/// (exit 1, saying why), records nothing it did not finish, and the next run archives all.
#[test]
fn injected_enospc_and_eio_lose_nothing() {
    if !has_failpoints() {
        println!("SKIP: built without the failpoints feature (cargo test --features failpoints)");
        return;
    }
    for (fp, says) in [
        ("io::write_file=return(ENOSPC)", "No space left on device"),
        (
            "io::write_file=2*off->return(ENOSPC)",
            "No space left on device",
        ),
        ("io::write_file=return(EIO)", "Input/output error"),
        ("io::flush=return(EIO)", "Input/output error"),
        ("io::db_commit=return(ENOSPC)", "disk I/O error"),
    ] {
        let s = Scene::new("");
        assert_eq!(s.update(None).status.code(), Some(0));
        s.next_version();
        let out = s.update(Some(fp));
        assert_eq!(out.status.code(), Some(1), "{fp}: {}", text(&out));
        assert!(text(&out).contains(says), "{fp}: {}", text(&out));
        let out = s.update(None);
        assert_eq!(out.status.code(), Some(0), "{fp}: {}", text(&out));
        s.check(fp);
    }
}

/// A real file system that fills up mid-run (a 400 KB tmpfs), then gets space back. Needs
/// root (mount); skips, saying so, elsewhere.
#[test]
fn a_full_tmpfs_mid_run_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=400k", "tmpfs"])
        .arg(&mnt)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        println!("SKIP: cannot mount a tmpfs here (needs root): the full-disk test did not run");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).output();
        }
    }
    let _guard = Unmount(mnt.clone());
    let server = Server::start();
    let body = "<p>长文。</p>".repeat(800);
    let owned: Vec<(String, String)> = (0..100)
        .map(|i| (format!("标题{i}"), server.url(&format!("/a/{i}"))))
        .collect();
    let its: Vec<TestItem<'_>> = owned
        .iter()
        .map(|(t, l)| TestItem {
            title: t,
            link: l,
            guid: Some(l),
            date: Some(DATE),
            content: &body,
        })
        .collect();
    server.route("/feed", rss_answer(rss(&its), "v1"));
    let feed = server.url("/feed");
    let cfg = write_config(&mnt, "", &[("s", "S", &[feed.as_str()])]);
    let c = cfg.to_str().unwrap();
    let out = run(&["update", "--config", c], None);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a full disk is a failure: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("No space left on device") || text(&out).contains("full"),
        "{}",
        text(&out)
    );
    let remount = std::process::Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&mnt)
        .output()
        .unwrap();
    assert!(remount.status.success());
    let out = run(&["update", "--config", c], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    check_files(
        &mnt.join("archive"),
        "s",
        100,
        "after the disk got space back",
    );
}

/// A valid article file another keeper's run committed (`git pull`) is adopted: never
/// deleted, never overwritten, its item not archived again, the countdown goes on below it.
#[test]
fn a_pulled_file_is_adopted_never_deleted_or_overwritten() {
    let s = Scene::new("");
    assert_eq!(s.update(None).status.code(), Some(0));
    // Another keeper archived item 3 as 1048571.
    let pulled = newsmirror::mirror::article_text(
        1718801223000,
        "标题3",
        &s.server.url("/a/3"),
        "<p>第3篇的正文。</p>",
    );
    let path = s.archive.join("articles/s/1048571.md");
    std::fs::write(&path, &pulled).unwrap();
    s.next_version();
    for round in 0..2 {
        let out = s.update(None);
        assert_eq!(out.status.code(), Some(0), "round {round}: {}", text(&out));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), pulled);
    }
    check_files(&s.archive, "s", 5, "pulled");
    let new = std::fs::read_to_string(s.archive.join("articles/s/1048570.md")).unwrap();
    assert!(new.contains("[标题4]("), "{new}");
}

/// A damaged database is moved aside (kept, named) and rebuilt from the files.
#[test]
fn a_damaged_database_is_moved_aside_and_rebuilt() {
    let s = Scene::new("");
    assert_eq!(s.update(None).status.code(), Some(0));
    delete_database(&s.archive);
    let db = s.archive.join(".newsmirror/newsmirror.sqlite");
    std::fs::write(&db, vec![b'x'; 8192]).unwrap();
    s.next_version();
    let out = s.update(None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("damaged"), "{}", text(&out));
    let aside: Vec<String> = std::fs::read_dir(s.archive.join(".newsmirror"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("newsmirror.sqlite.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "kept for a look");
    assert!(text(&out).contains(&aside[0]), "named: {}", text(&out));
    check_files(&s.archive, "s", 5, "rebuilt");
}

/// Ids never go below 1: the source stops with an error naming the remedy; nothing else
/// fails.
#[test]
fn ids_never_go_below_one() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let mirror = tmp.path().join("archive/articles/s");
    std::fs::create_dir_all(&mirror).unwrap();
    for id in [3, 2] {
        std::fs::write(
            mirror.join(format!("{id}.md")),
            newsmirror::mirror::article_text(
                1718801223000,
                &format!("旧{id}"),
                &format!("https://old.example/{id}"),
                "<p>旧</p>",
            ),
        )
        .unwrap();
    }
    server.route("/feed", rss_answer(items(5, false, &server), "v1"));
    server.route("/other", rss_answer(big_feed("o", 2), "o1"));
    let (feed, other) = (server.url("/feed"), server.url("/other"));
    let cfg = write_config(
        tmp.path(),
        "",
        &[("s", "S", &[feed.as_str()]), ("o", "O", &[other.as_str()])],
    );
    let out = run(&["update", "--config", cfg.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("yearly"), "{}", text(&out));
    let names: Vec<String> = std::fs::read_dir(&mirror)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "nothing written below id 2: {names:?}");
    assert_eq!(
        std::fs::read_dir(tmp.path().join("archive/articles/o"))
            .unwrap()
            .count(),
        2,
        "the other source is archived"
    );
}

/// A next attempt (or a recheck) recorded while the clock ran a year ahead is due now.
#[test]
fn a_clock_that_ran_ahead_does_not_stop_the_mirror() {
    let s = Scene::new("");
    assert_eq!(s.update(None).status.code(), Some(0));
    let year = 365 * 86_400_000i64;
    {
        let conn =
            rusqlite::Connection::open(s.archive.join(".newsmirror/newsmirror.sqlite")).unwrap();
        conn.execute(
            "UPDATE feeds SET next_at_ms = next_at_ms + ?1, last_attempt_ms = last_attempt_ms + ?1",
            [year],
        )
        .unwrap();
        conn.execute(
            "UPDATE articles SET checked_ms = ?1",
            [chrono::Utc::now().timestamp_millis() + year],
        )
        .unwrap();
    }
    let out = run(&["status", "--json", "--config", s.c()], None);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let next = h[0]["next_attempt_ms"].as_i64().unwrap();
    assert!(
        next <= chrono::Utc::now().timestamp_millis() + 60_000,
        "due now, not in a year: {h}"
    );
    let out = run(&["recheck", "--config", s.c()], None);
    assert!(text(&out).contains("3 pages checked"), "{}", text(&out));
}

/// Two sources may not share a feed URL: a config error naming both.
#[test]
fn two_sources_may_not_share_a_feed() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        "",
        &[
            ("a", "A", &["https://example.org/feed.xml"]),
            ("b", "B", &["https://example.org/feed.xml"]),
        ],
    );
    let out = run(&["status", "--config", cfg.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("\"a\"") && t.contains("\"b\"") && t.contains("https://example.org/feed.xml"),
        "{t}"
    );
}

/// Rebuilding and importing read regular files only: a symlink (to a file outside the
/// archive) and a FIFO named like articles are skipped and reported, never followed or opened
/// (a FIFO would block the run forever).
#[test]
fn only_regular_files_are_read() {
    let s = Scene::new("");
    assert_eq!(s.update(None).status.code(), Some(0));
    let secret = s._tmp.path().join("secret.md");
    std::fs::write(
        &secret,
        newsmirror::mirror::article_text(1, "机密", "https://x.example/", "<p>机密</p>"),
    )
    .unwrap();
    let dir = s.archive.join("articles/s");
    std::os::unix::fs::symlink(&secret, dir.join("1048000.md")).unwrap();
    let fifo = std::ffi::CString::new(dir.join("1048001.md").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    delete_database(&s.archive);
    let mut child = command(&["update", "--config", s.c()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the run hung on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let t = text(&out);
    assert!(
        t.contains("1048000.md") && t.contains("symbolic link"),
        "{t}"
    );
    assert!(
        t.contains("1048001.md") && t.contains("not a regular file"),
        "{t}"
    );
    let export = run(&["export", "--config", s.c()], None);
    assert!(!String::from_utf8_lossy(&export.stdout).contains("机密"));
}
