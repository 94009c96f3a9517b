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
    let (code, err) = closed_stdout(command(&["update", "--config", c]));
    assert_eq!(code, 1, "a failed source stays a failure: {err}");
    assert!(err.contains("error: source bad (Bad)"), "{err}");
    // Nothing failed: a closed stdout is still a quiet success.
    let cfg = write_config(d, "", &[("good", "Good", &["good.xml"])]);
    let (code, err) = closed_stdout(command(&["update", "--config", cfg.to_str().unwrap()]));
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
    let (code, err) = closed_stdout(command(&["recheck", "--now", "--config", c]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("could be reached"), "{err}");
}

/// A mirror folder (dir = ".", git, `remotes`) of source `s` named `name`, on `feed.xml`.
fn local_mirror(m: &Path, name: &str, remotes: &str) {
    std::fs::create_dir_all(m).unwrap();
    std::fs::write(
        m.join("newsmirror.toml"),
        format!(
            "[archive]\ndir = \".\"\n[publish]\ngit = true\nremotes = [{remotes}]\n\n\
             [[sources]]\nslug = \"s\"\nname = \"{name}\"\nfulltext = \"feed\"\n\
             feeds = [\"feed.xml\"]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        m.join("feed.xml"),
        rss(&[item("一", "https://example.org/1")]),
    )
    .unwrap();
}

/// A mirror repository `dir` whose config (dir = ".") mirrors `feed.xml` beside it, committed,
/// with `origin` a bare repository it was pushed to. Returns the bare repository.
fn mirror_with_remote(root: &Path, dir: &Path) -> PathBuf {
    let bare = root.join("remote.git");
    git(
        root,
        &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
    );
    git(root, &["init", "-q", "-b", "main", dir.to_str().unwrap()]);
    local_mirror(dir, "S", "\"origin\"");
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
    local_mirror(&m, "S", "\"origin\"");
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

/// K5: `sources remove` commits the config it edited with the lists and README.
#[test]
fn sources_remove_commits_its_config_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("m");
    local_mirror(&m, "S", "");
    std::fs::write(m.join("t.xml"), rss(&[item("二", "https://example.org/2")])).unwrap();
    let cfg = m.join("newsmirror.toml");
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "\n[[sources]]\nslug = \"t\"\nname = \"T\"\nfulltext = \"feed\"\nfeeds = [\"t.xml\"]\n";
    std::fs::write(&cfg, text).unwrap();
    std::fs::write(m.join(".gitignore"), "/*.xml\n").unwrap();
    let (code, _, err) = run_in(&m, &["update"]);
    assert_eq!(code, 0, "{err}");
    commit_all(&m, "keeper: config");
    let (code, out, err) = run_in(&m, &["sources", "remove", "t"]);
    assert_eq!(code, 0, "{out}{err}");
    let files = git(&m, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        files.contains("newsmirror.toml") && files.contains("lists/T.md"),
        "{files}"
    );
    let status = git(&m, &["status", "--porcelain"]);
    assert!(status.trim().is_empty(), "{status}");
}

/// K6: an OPML outline the config would refuse is refused alone, named by its feed; names
/// with dots inside are fine.
#[test]
fn one_bad_outline_does_not_refuse_the_whole_opml() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cfg = write_config(d, "", &[]);
    std::fs::write(
        d.join("in.opml"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline text="BBC" type="rss" xmlUrl="https://feeds.example.org/bbc.xml"/>
  <outline text="dots..." type="rss" xmlUrl="https://feeds.example.org/dots.xml"/>
  <outline text="法广...新闻" type="rss" xmlUrl="https://feeds.example.org/rfi.xml"/>
  <outline text="typo" type="rss" xmlUrl="https//feeds.example.org/typo.xml"/>
  <outline text="local" type="rss" xmlUrl="nothere.xml"/>
</body></opml>"#,
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    let (code, out, err) = run_in(
        d,
        &[
            "sources",
            "import",
            "--allow-local",
            "--config",
            c,
            "in.opml",
        ],
    );
    assert_eq!(code, 1, "one refused: {out}{err}");
    assert!(out.contains("4 sources added"), "{out}");
    assert!(
        err.contains("nothere.xml does not exist"),
        "a local feed that is not there: {err}"
    );
    assert!(err.contains("https//feeds.example.org/typo.xml"), "{err}");
    assert!(
        !err.contains("line "),
        "no line of a config never written: {err}"
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        text.contains("法广...新闻") && text.contains("dots..."),
        "{text}"
    );
    // A hand-written name with dots inside is a valid config too.
    let (code, _, err) = run_in(d, &["status", "--config", c]);
    assert_eq!(code, 0, "{err}");
}

/// K7: renaming a source replaces its list; the old one goes.
#[test]
fn a_renamed_source_leaves_no_old_list() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("m");
    local_mirror(&m, "法广…", "");
    assert_eq!(run_in(&m, &["-q", "update"]).0, 0);
    assert!(m.join("lists/法广….md").is_file());
    let cfg = m.join("newsmirror.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("name = \"法广…\"", "name = \"法广新闻\"");
    std::fs::write(&cfg, text).unwrap();
    let (code, _, err) = run_in(&m, &["-q", "update"]);
    assert_eq!(code, 0, "{err}");
    let lists: Vec<String> = std::fs::read_dir(m.join("lists"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(lists, vec!["法广新闻.md".to_string()]);
    let tracked = git(&m, &["ls-files", "lists"]);
    assert!(
        !tracked.contains('…'),
        "the old list is gone from git too: {tracked}"
    );
}

/// K8: the public README says what kind of error a source has, never a local file's first
/// bytes or the server's paths.
#[test]
fn the_public_readme_leaks_no_file_contents_or_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("secret.txt"), "root:x:0:0:secret-marker\n").unwrap();
    let cfg = write_config(
        d,
        "",
        &[("a", "A", &["secret.txt"]), ("b", "B", &["missing.xml"])],
    );
    let (code, _, _) = update(&cfg);
    assert_eq!(code, 1);
    let readme = std::fs::read_to_string(d.join("archive/README.md")).unwrap();
    assert!(
        !readme.contains("secret-marker") && !readme.contains("root:x"),
        "{readme}"
    );
    assert!(!readme.contains(d.to_str().unwrap()), "{readme}");
    assert!(
        readme.contains("not a feed") && readme.contains("cannot be read"),
        "{readme}"
    );
    // The keeper still sees the details.
    let (_, status, _) = run_in(d, &["status", "--config", cfg.to_str().unwrap()]);
    assert!(status.contains("missing.xml"), "{status}");
}

/// K10, K11, K12: an adopted `master` repository gets a workflow for `master`; `--no-commit`
/// says to commit; `init` names where Actions gets newsmirror and the pin; `--config` with
/// init is refused rather than ignored.
#[test]
fn init_follows_the_adopted_branch_and_says_what_is_left() {
    let tmp = tempfile::tempdir().unwrap();
    let ex = tmp.path().join("ex");
    std::fs::create_dir(&ex).unwrap();
    git(&ex, &["init", "-q", "-b", "master"]);
    std::fs::write(ex.join("notes.md"), "# my stuff\n").unwrap();
    commit_all(&ex, "first");
    let (code, out, err) = run_in(tmp.path(), &["init", "ex", "--outlets", "rfi"]);
    assert_eq!(code, 0, "{err}");
    let wf = std::fs::read_to_string(ex.join(".github/workflows/newsmirror.yml")).unwrap();
    assert!(wf.contains("branches: [master]"), "{wf}");
    assert!(
        out.contains("NEWSMIRROR_REPO") && out.contains("NEWSMIRROR_SHA256"),
        "{out}"
    );
    assert!(wf.contains("NEWSMIRROR_SHA256: \"\""), "{wf}");

    let (code, out, _) = run_in(
        tmp.path(),
        &["init", "nc", "--outlets", "rfi", "--no-commit"],
    );
    assert_eq!(code, 0);
    let commit_step = out.find("git -C ").and_then(|_| out.find(" commit -m"));
    let push_step = out.find("push -u origin");
    assert!(
        commit_step.is_some() && push_step.is_some() && commit_step < push_step,
        "commit before push: {out}"
    );

    let (code, _, err) = run_in(
        tmp.path(),
        &["--config", "other.toml", "init", "x", "--outlets", "rfi"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!tmp.path().join("x").exists());
}

/// K13: through a pipe, `search` prints titles as they are and each snippet on one line;
/// `--page 0` is refused; the footer says which page of how many.
#[test]
fn search_output_is_plain_through_a_pipe() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let links: Vec<String> = (0..25)
        .map(|i| format!("https://example.org/{i}"))
        .collect();
    let texts: Vec<(String, String)> = (0..25)
        .map(|i| {
            (
                format!("香港新闻 {i}"),
                format!("<p>异闻观止 第{i}段</p>\n<p>订阅\nNYT简报 香港 {i}</p>"),
            )
        })
        .collect();
    let mut items: Vec<TestItem<'_>> = links
        .iter()
        .zip(&texts)
        .map(|(l, (t, b))| TestItem {
            title: t,
            link: l,
            guid: None,
            date: Some(DATE),
            content: b,
        })
        .collect();
    items[0].title = "【异闻观止】汕尾陆丰一男子被拘留";
    std::fs::write(d.join("feed.xml"), rss(&items)).unwrap();
    let cfg = write_config(d, "", &[("s", "S", &["feed.xml"])]);
    assert_eq!(update(&cfg).0, 0);
    let c = cfg.to_str().unwrap();
    let (code, out, err) = run_in(d, &["search", "--config", c, "异闻观止"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().any(|l| l == "【异闻观止】汕尾陆丰一男子被拘留"),
        "the title as it is: {out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no terminal codes in a pipe: {out:?}"
    );
    // Each result is four lines: title, where, snippet, blank.
    let (_, out, _) = run_in(d, &["search", "--config", c, "香港"]);
    let results: Vec<&str> = out.split("\n\n").collect();
    for r in &results[..results.len() - 1] {
        assert_eq!(r.lines().count(), 3, "one-line snippet: {r:?}");
    }
    assert!(
        out.trim_end()
            .ends_with("25 found; page 1 of 2 (--page 2 for more)"),
        "{out}"
    );
    let (code, _, err) = run_in(d, &["search", "--config", c, "--page", "0", "香港"]);
    assert_eq!(code, 2, "{err}");
}

/// K2 (end): a running `run` takes a changed config on its next pass, without a restart.
#[test]
fn run_reads_a_changed_config() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("a.xml"), rss(&[item("一", "https://example.org/1")])).unwrap();
    std::fs::write(d.join("b.xml"), rss(&[item("二", "https://example.org/2")])).unwrap();
    let cfg = write_config(d, "", &[("a", "A", &["a.xml"])]);
    let child = command(&["run", "--every", "1s", "--config", cfg.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let wait_for = |p: &Path| {
        let t = Instant::now();
        while !p.exists() && t.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(100));
        }
        p.exists()
    };
    let first = wait_for(&d.join("archive/articles/a"));
    write_config(d, "", &[("a", "A", &["a.xml"]), ("b", "B", &["b.xml"])]);
    let second = wait_for(&d.join("archive/articles/b"));
    signal(&child, libc::SIGTERM);
    let (code, _, err) = ends_within(child, Duration::from_secs(30));
    assert!(first && second, "the new source was never fetched: {err}");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("read again: 2 sources"), "{err}");
}
