//! A keeper's second day: what a black-box attacker found after issue 16 (findings K1–K14 of
//! the keeper attack), each a test that failed on the build it was found in.
//! Run one against another build with `NEWSMIRROR_TEST_BIN=/path/to/newsmirror`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = command(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn item<'a>(title: &'a str, link: &'a str) -> TestItem<'a> {
    TestItem {
        title,
        link,
        guid: None,
        date: Some(DATE),
        content: "<p>正文</p>",
    }
}

/// `args` with stdout a pipe nobody reads (`cmd | true`): (exit code, stderr).
fn closed_stdout(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut child = command(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// K1: a reader that went away does not turn a failure into success, nor hide its message.
#[test]
fn a_closed_stdout_keeps_the_failure_and_its_message() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("good.xml"),
        rss(&[item("一", "https://example.org/1")]),
    )
    .unwrap();
    let cfg = write_config(
        d,
        "",
        &[
            ("good", "Good", &["good.xml"]),
            ("bad", "Bad", &["missing.xml"]),
        ],
    );
    let c = cfg.to_str().unwrap();
    let (code, err) = closed_stdout(d, &["update", "--config", c]);
    assert_eq!(code, 1, "a failed source stays a failure: {err}");
    assert!(err.contains("error: source bad (Bad)"), "{err}");
    // Nothing failed: a closed stdout is still a quiet success.
    let cfg = write_config(d, "", &[("good", "Good", &["good.xml"])]);
    let (code, err) = closed_stdout(d, &["update", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");

    // recheck: no page reachable is exit 1, piped or not.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let link = format!("http://127.0.0.1:{port}/a/1");
    std::fs::write(d.join("good.xml"), rss(&[item("二", &link)])).unwrap();
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg).unwrap() + "[fetch]\nretries = 0\n",
    )
    .unwrap();
    assert_eq!(update(&cfg).0, 0);
    let (code, err) = closed_stdout(d, &["recheck", "--now", "--config", c]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("could be reached"), "{err}");
}

/// A mirror repository `dir` whose config (dir = ".") mirrors `feed.xml` beside it, committed,
/// with `origin` a bare repository it was pushed to. Returns the bare repository.
fn mirror_with_remote(root: &Path, dir: &Path) -> PathBuf {
    let bare = root.join("remote.git");
    git(
        root,
        &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
    );
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(
        dir.join("newsmirror.toml"),
        "[archive]\ndir = \".\"\n[publish]\ngit = true\nremotes = [\"origin\"]\n\n\
         [[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"feed\"\nfeeds = [\"feed.xml\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("feed.xml"),
        rss(&[item("一", "https://example.org/1")]),
    )
    .unwrap();
    std::fs::write(dir.join(".gitignore"), "/feed.xml\n").unwrap();
    commit_all(dir, "keeper: start");
    git(dir, &["remote", "add", "origin", bare.to_str().unwrap()]);
    git(dir, &["push", "-q", "-u", "origin", "main"]);
    bare
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=k",
            "-c",
            "user.email=k@x",
            "commit",
            "-qm",
            msg,
        ],
    );
}

/// K2: the keeper pushes a config change from elsewhere; the next update merges it (no
/// force-push) and keeps publishing. A remote commit touching the mirror's own files is
/// a clear error, and the work tree is left as it was.
#[test]
fn publishing_merges_the_keepers_pushed_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let m = root.join("mirror");
    let bare = mirror_with_remote(root, &m);
    let (code, _, err) = run_in(&m, &["update"]);
    assert_eq!(code, 0, "{err}");

    // The keeper, on a laptop: a config change, pushed.
    let laptop = root.join("laptop");
    git(
        root,
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            laptop.to_str().unwrap(),
        ],
    );
    let cfg = laptop.join("newsmirror.toml");
    let edited = std::fs::read_to_string(&cfg).unwrap() + "interval = \"2h\"\n";
    std::fs::write(&cfg, &edited).unwrap();
    commit_all(&laptop, "keeper: every two hours");
    git(&laptop, &["push", "-q"]);

    // The server's next update has a new article to publish.
    std::fs::write(
        m.join("feed.xml"),
        rss(&[
            item("二", "https://example.org/2"),
            item("一", "https://example.org/1"),
        ]),
    )
    .unwrap();
    let (code, out, err) = run_in(&m, &["update"]);
    assert_eq!(
        code, 0,
        "the keeper's commit is merged, then pushed: {out}{err}"
    );
    assert!(out.contains("pushed to origin"), "{out}");
    let log = git(&bare, &["log", "--format=%s", "main"]);
    assert!(
        log.contains("keeper: every two hours") && log.contains("update: 1 new"),
        "{log}"
    );
    assert_eq!(
        std::fs::read_to_string(m.join("newsmirror.toml")).unwrap(),
        edited
    );
    // The laptop fast-forwards to what the server pushed (nothing was rewritten).
    git(&laptop, &["pull", "-q", "--ff-only"]);

    // Someone else rewrote a file the mirror writes: refused in words, nothing left half-done.
    std::fs::write(laptop.join("README.md"), "# hand-written\n").unwrap();
    commit_all(&laptop, "keeper: my own README");
    git(&laptop, &["push", "-q"]);
    std::fs::write(
        m.join("feed.xml"),
        rss(&[
            item("三", "https://example.org/3"),
            item("二", "https://example.org/2"),
            item("一", "https://example.org/1"),
        ]),
    )
    .unwrap();
    let (code, _, err) = run_in(&m, &["update"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot be merged") && err.contains("never force-pushes"),
        "{err}"
    );
    assert!(!m.join(".git/MERGE_HEAD").exists(), "the merge is undone");
    let status = git(&m, &["status", "--porcelain", "--untracked-files=no"]);
    assert!(status.trim().is_empty(), "{status}");
}

/// K9: trying a mirror before its remote exists publishes locally, says so, exits 0.
#[test]
fn no_remote_yet_is_a_note_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("m");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("newsmirror.toml"),
        "[archive]\ndir = \".\"\n[publish]\ngit = true\nremotes = [\"origin\"]\n\n\
         [[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"feed\"\nfeeds = [\"feed.xml\"]\n",
    )
    .unwrap();
    std::fs::write(
        m.join("feed.xml"),
        rss(&[item("一", "https://example.org/1")]),
    )
    .unwrap();
    let (code, out, err) = run_in(&m, &["update"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("publish: committed"), "{out}");
    assert!(
        err.contains("no remote \"origin\" yet") && !err.contains("error"),
        "{err}"
    );
    assert!(!err.contains("/."), "no `folder/.` in messages: {err}");
}

/// A feed on a loopback server whose article pages never answer.
fn hanging_pages(dir: &Path) -> (Server, PathBuf) {
    let server = Server::start();
    let links: Vec<String> = (0..6).map(|i| server.url(&format!("/page/{i}"))).collect();
    let items: Vec<TestItem<'_>> = links.iter().map(|l| item("页", l)).collect();
    server.route("/feed", rss_answer(rss(&items), "v1"));
    for i in 0..6 {
        server.route(&format!("/page/{i}"), Answer::Hang);
    }
    let cfg = write_config(
        dir,
        "[fetch]\ntimeout = \"100s\"\nretries = 0\n",
        &[("h", "Hang", &[server.url("/feed").as_str()])],
    );
    (server, cfg)
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// Waits for `child` to end, at most `limit`; (exit code, how long it took, stderr).
fn ends_within(child: Child, limit: Duration) -> (Option<i32>, Duration, String) {
    let t = Instant::now();
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(limit);
        // SAFETY: our own child, if still there.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
    let out = child.wait_with_output().unwrap();
    drop(watchdog);
    (
        out.status.code(),
        t.elapsed(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// K3: `run` does not let a recheck of hanging pages hold back due feeds, and stops at once.
#[test]
fn run_fetches_feeds_while_pages_hang_and_stops_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, cfg) = hanging_pages(tmp.path());
    assert_eq!(update(&cfg).0, 0);
    assert_eq!(server.hits("/feed"), 1);
    let child = command(&["run", "--every", "2s", "--config", cfg.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while server.hits("/feed") < 2 && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let fetched_again = server.hits("/feed") >= 2;
    std::thread::sleep(Duration::from_secs(1));
    signal(&child, libc::SIGTERM);
    let (code, took, err) = ends_within(child, Duration::from_secs(30));
    assert!(fetched_again, "the feed waited for the page recheck: {err}");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        took < Duration::from_secs(5),
        "SIGTERM took {took:?}: {err}"
    );
    assert!(err.contains("page recheck put off"), "{err}");
}

/// K4: Ctrl-C stops `recheck` while pages hang; nothing is concluded about them.
#[test]
fn ctrl_c_stops_recheck() {
    let tmp = tempfile::tempdir().unwrap();
    let (_server, cfg) = hanging_pages(tmp.path());
    assert_eq!(update(&cfg).0, 0);
    let c = cfg.to_str().unwrap();
    let child = command(&["recheck", "--now", "--config", c])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    signal(&child, libc::SIGINT);
    let (code, took, err) = ends_within(child, Duration::from_secs(30));
    assert!(took < Duration::from_secs(5), "Ctrl-C took {took:?}: {err}");
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("stopped by a signal"), "{err}");
    // The archive is usable: the next command runs (the lock was let go).
    let (code, _, err) = run_in(tmp.path(), &["status", "--config", c]);
    assert_eq!(code, 0, "{err}");
}
