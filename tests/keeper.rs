//! A new keeper's first day: `init`, the first update and push, the workflow, completions, and
//! every papercut of issue 16 (each test says which).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::*;
use unicode_width::UnicodeWidthStr;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

/// Content long enough that `fulltext = "auto"` keeps it (no page fetch).
fn long_text(word: &str) -> String {
    format!(
        "<p>{}</p>",
        format!("{word}，这是一段足够长的正文。").repeat(20)
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = newsmirror(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn yaml(text: &str) -> yaml_rust2::Yaml {
    yaml_rust2::YamlLoader::load_from_str(text)
        .expect("the workflow is valid YAML")
        .remove(0)
}

/// The workflow neither compiles newsmirror on every run nor drops the state between runs.
fn check_workflow(text: &str) {
    let doc = yaml(text);
    let steps = doc["jobs"]["update"]["steps"]
        .as_vec()
        .expect("jobs.update.steps");
    let run_of = |s: &yaml_rust2::Yaml| s["run"].as_str().unwrap_or("").to_string();
    // Every step that could compile runs only when the binary of this version is not cached.
    let compiling: Vec<_> = steps
        .iter()
        .filter(|s| run_of(s).contains("cargo "))
        .collect();
    assert!(!compiling.is_empty(), "a fallback build is there");
    for s in &compiling {
        let cond = s["if"].as_str().unwrap_or("");
        assert!(
            cond.contains("cache-hit != 'true'"),
            "compiles on every run: {cond:?}"
        );
    }
    assert!(
        !text.contains("rust-toolchain"),
        "no toolchain set up every run"
    );
    let bin_cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache/restore@"))
        })
        .expect("the binary is restored from the cache");
    let key = bin_cache["with"]["key"].as_str().unwrap();
    assert!(
        key.contains("NEWSMIRROR_VERSION"),
        "keyed by version: {key}"
    );
    assert_eq!(
        doc["env"]["NEWSMIRROR_VERSION"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    // The state survives a fresh runner: restored before the update, saved after it (even
    // when a step failed).
    let uses = |s: &yaml_rust2::Yaml, what: &str| {
        s["uses"].as_str().is_some_and(|u| u.starts_with(what))
            && s["with"]["path"].as_str() == Some(".newsmirror/state.json")
    };
    let restore = steps
        .iter()
        .position(|s| uses(s, "actions/cache/restore@"))
        .expect("the state is restored");
    assert!(steps[restore]["with"]["restore-keys"].as_str().is_some());
    let save = steps
        .iter()
        .position(|s| uses(s, "actions/cache/save@"))
        .expect("the state is saved");
    assert_eq!(steps[save]["if"].as_str(), Some("always()"));
    let update = steps
        .iter()
        .position(|s| run_of(s).contains("newsmirror update"))
        .expect("an update step");
    assert!(restore < update && update < save, "restore, update, save");
    assert_eq!(
        doc["permissions"]["contents"].as_str(),
        Some("write"),
        "it may push"
    );
    assert!(
        doc["on"]["schedule"].as_vec().is_some(),
        "it runs on a schedule"
    );
}

#[test]
fn init_then_update_pushes_a_mirror_to_a_bare_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("news mirror");
    let (code, out, err) = run(&["init", m.to_str().unwrap(), "--outlets", "dw,bbc"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("remote add origin") && out.contains("push -u origin"),
        "{out}"
    );
    for f in [
        "newsmirror.toml",
        "README.md",
        ".gitignore",
        ".github/workflows/newsmirror.yml",
    ] {
        assert!(m.join(f).is_file(), "{f} written");
    }
    assert_eq!(git(&m, &["rev-list", "--count", "HEAD"]).trim(), "1");
    assert!(git(&m, &["status", "--porcelain"]).trim().is_empty());
    let ignore = std::fs::read_to_string(m.join(".gitignore")).unwrap();
    assert!(ignore.contains("/.newsmirror/"), "{ignore}");
    // The README explains the mirror and links nothing that is not there yet.
    let readme = std::fs::read_to_string(m.join("README.md")).unwrap();
    assert!(
        readme.contains("德国之声") && readme.contains("Markdown"),
        "{readme}"
    );
    assert!(
        !readme.contains("](lists/") && !readme.contains("](articles/"),
        "{readme}"
    );
    let workflow = std::fs::read_to_string(m.join(".github/workflows/newsmirror.yml")).unwrap();
    check_workflow(&workflow);
    // The same as the example in this repository (which `init` is built from).
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github-actions/newsmirror.yml"),
    )
    .unwrap();
    assert_eq!(workflow, example);

    // The catalogue's feeds, swapped for loopback ones.
    let server = Server::start();
    let mut config = std::fs::read_to_string(m.join("newsmirror.toml")).unwrap();
    for (slug, title) in [("dw", "德国之声的新闻"), ("bbc", "BBC 的新闻")] {
        let text = long_text(title);
        let feed = rss(&[TestItem {
            title,
            link: &format!("https://example.org/{slug}/1"),
            guid: None,
            date: Some(DATE),
            content: &text,
        }]);
        server.route(&format!("/{slug}"), Answer::ok("application/rss+xml", feed));
        let outlet = newsmirror::catalog::outlets()
            .into_iter()
            .find(|o| o.slug == slug)
            .unwrap();
        for f in &outlet.feeds {
            assert!(config.contains(f.as_str()));
            config = config.replace(f.as_str(), &server.url(&format!("/{slug}")));
        }
    }
    std::fs::write(m.join("newsmirror.toml"), config).unwrap();
    git(
        &m,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qam",
            "loopback feeds",
        ],
    );

    let remote = tmp.path().join("remote.git");
    assert!(
        Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&remote)
            .status()
            .unwrap()
            .success()
    );
    git(&m, &["remote", "add", "origin", remote.to_str().unwrap()]);
    git(&m, &["push", "-q", "-u", "origin", "HEAD"]);

    let cfg = m.join("newsmirror.toml");
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("publish: pushed to origin"), "{out}");
    let files = git(
        &remote,
        &[
            "-c",
            "core.quotepath=false",
            "ls-tree",
            "-r",
            "--name-only",
            "main",
        ],
    );
    assert!(
        files.contains("articles/dw/") && files.contains("articles/bbc/"),
        "{files}"
    );
    assert!(files.contains("lists/德国之声.md"), "{files}");
    assert!(!files.contains(".newsmirror"), "{files}");
    // Now the README links the lists, and every link it has points at a file.
    let readme = std::fs::read_to_string(m.join("README.md")).unwrap();
    assert!(readme.contains("](lists/"), "{readme}");
    assert!(git(&m, &["status", "--porcelain"]).trim().is_empty());
    // Nothing new: no commit, still exit 0.
    let before = git(&remote, &["rev-parse", "main"]);
    assert_eq!(update(&cfg).0, 0);
    assert_eq!(git(&remote, &["rev-parse", "main"]), before);

    // What the Actions run does: a fresh checkout (no database, no state), one update, a
    // push on top. The countdown goes on, nothing is archived twice.
    let runner = tmp.path().join("runner");
    assert!(
        Command::new("git")
            .args(["clone", "-q", "-b", "main"])
            .arg(&remote)
            .arg(&runner)
            .status()
            .unwrap()
            .success()
    );
    let text = long_text("又一条");
    server.route(
        "/dw",
        Answer::ok(
            "application/rss+xml",
            rss(&[
                TestItem {
                    title: "又一条新闻",
                    link: "https://example.org/dw/2",
                    guid: None,
                    date: Some(DATE),
                    content: &text,
                },
                TestItem {
                    title: "德国之声的新闻",
                    link: "https://example.org/dw/1",
                    guid: None,
                    date: Some(DATE),
                    content: &long_text("德国之声的新闻"),
                },
            ]),
        ),
    );
    let (code, out, err) = update(&runner.join("newsmirror.toml"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("update: 1 new article") && out.contains("pushed to origin"),
        "{out}{err}"
    );
    let files = git(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    let dw: Vec<&str> = files
        .lines()
        .filter(|l| l.starts_with("articles/dw/"))
        .collect();
    assert_eq!(dw.len(), 2, "{files}");
    assert!(dw.iter().any(|l| l.ends_with("/1048573.md")), "{files}");
}

#[test]
fn the_release_workflow_builds_what_mirrors_download() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let release = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    let doc = yaml(&release);
    let targets: Vec<&str> = doc["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|t| t["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"]
    );
    // Static, checked; packed under the names the mirrors' workflow asks for.
    assert!(release.contains("statically linked|static-pie linked"));
    assert!(release.contains("newsmirror-${{ matrix.target }}.tar.gz"));
    assert!(release.contains("sha256sum newsmirror-*.tar.gz > SHA256SUMS"));
    let mirror =
        std::fs::read_to_string(root.join("examples/github-actions/newsmirror.yml")).unwrap();
    assert!(mirror.contains("target=\"$(uname -m)-unknown-linux-musl\""));
    assert!(mirror.contains("/releases/download/v$NEWSMIRROR_VERSION"));
    assert!(mirror.contains("newsmirror-$target.tar.gz") && mirror.contains("sha256sum -c"));
}

#[test]
fn init_refuses_unknown_outlets_and_keeps_existing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("m");
    let (code, _, err) = run(&["init", m.to_str().unwrap(), "--outlets", "dw,nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("'nope'") && err.contains("dw") && err.contains("cdt"),
        "{err}"
    );
    assert!(!err.contains("exit 2"), "{err}");
    // An existing repository is adopted; files there are kept.
    std::fs::create_dir_all(&m).unwrap();
    git(&m, &["init", "-q"]);
    std::fs::write(m.join("README.md"), "mine\n").unwrap();
    let (code, out, err) = run(&["init", m.to_str().unwrap(), "--outlets", "voa"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("README.md is there already"), "{err}");
    assert_eq!(
        std::fs::read_to_string(m.join("README.md")).unwrap(),
        "mine\n"
    );
    let cfg = std::fs::read_to_string(m.join("newsmirror.toml")).unwrap();
    assert!(
        cfg.contains("slug = \"voa\"") && !cfg.contains("slug = \"dw\""),
        "{cfg}"
    );
    // Only what init wrote is committed; the keeper's own README stays untracked.
    let committed = git(&m, &["ls-files"]);
    assert!(
        !committed.contains("README.md") && committed.contains("newsmirror.toml"),
        "{committed}"
    );
    // A folder inside another repository (say, newsmirror's own checkout) gets its own.
    let inner = m.join("inner");
    let (code, out, err) = run(&["init", inner.to_str().unwrap(), "--outlets", "dw"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(inner.join(".git").is_dir());
    assert!(!git(&m, &["ls-files"]).contains("inner"));
}

#[test]
fn outlets_completions_and_manual() {
    let (code, out, _) = run(&["outlets"]);
    assert_eq!(code, 0);
    // Columns line up on a terminal, Chinese names included.
    let lines: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
    assert!(lines.len() >= 4 && out.contains("德国之声"), "{out}");
    let col = |l: &str| {
        let at = l.find("http").or_else(|| l.find("feed")).unwrap();
        l[..at].width()
    };
    assert!(lines.iter().all(|l| col(l) == col(lines[0])), "{out}");

    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("init") && out.contains("outlets") && out.contains("config"),
            "{shell}"
        );
    }
    // `init --outlets <TAB>` offers the catalogue's slugs, not file names.
    let (_, bash, _) = run(&["completions", "bash"]);
    assert!(
        bash.contains("dw bbc voa rfi nyt rfa cdt"),
        "outlets completed"
    );
    let (code, man, _) = run(&["manual"]);
    assert_eq!(code, 0);
    assert!(
        man.starts_with(".ie") || man.contains(".TH newsmirror"),
        "{}",
        &man[..200]
    );
    assert!(
        man.contains(".SS \"newsmirror init\"") && man.contains(".SH \"EXIT STATUS\"\n.nf\n"),
        "one page, every command in it, the exit codes as a list"
    );
    // No reference to pages that do not exist (newsmirror-init(1)), no empty headings.
    assert!(
        !man.contains("newsmirror\\-init") && !man.contains("SUBCOMMANDS"),
        "man"
    );
}

/// An archive of one source from a file feed, in `dir`.
fn archive_of(dir: &Path, items: &[(&str, &str, &str)], extra: &str) -> std::path::PathBuf {
    let feed: Vec<TestItem<'_>> = items
        .iter()
        .map(|(title, link, content)| TestItem {
            title,
            link,
            guid: None,
            date: Some(DATE),
            content,
        })
        .collect();
    std::fs::write(dir.join("feed.xml"), rss(&feed)).unwrap();
    write_config(dir, extra, &[("s", "S", &["feed.xml"])])
}

#[test]
fn search_takes_several_words_and_keeps_whole_titles() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = archive_of(
        tmp.path(),
        &[
            (
                "香港的民主在哪里？",
                "https://example.org/1",
                "<p>香港 民主 选举</p>",
            ),
            ("香港天气", "https://example.org/2", "<p>香港 今天 下雨</p>"),
        ],
        "",
    );
    assert_eq!(update(&cfg).0, 0);
    let c = cfg.to_str().unwrap();
    let (code, out, err) = run(&["search", "--config", c, "香港", "民主"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 found"), "all words must match: {out}");
    // The title whole, its closing ？ included.
    let title = out.lines().next().unwrap();
    // Not a terminal: the title exactly, no highlight marks.
    assert_eq!(title, "香港的民主在哪里？");
    let (_, out, _) = run(&["search", "--config", c, "香港"]);
    assert!(out.contains("2 found"), "{out}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let items: Vec<(String, String)> = (0..50)
        .map(|i| (format!("香港新闻{i}"), format!("https://example.org/{i}")))
        .collect();
    let items: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(t, l)| (t.as_str(), l.as_str(), "<p>香港</p>"))
        .collect();
    let cfg = archive_of(tmp.path(), &items, "");
    assert_eq!(update(&cfg).0, 0);
    let c = cfg.to_str().unwrap();
    for args in [
        vec!["search", "--config", c, "香港"],
        vec!["export", "--config", c],
        vec!["status", "--config", c],
        vec!["sources", "export", "--config", c],
        vec!["outlets"],
    ] {
        let (code, err) = closed_stdout(command(&args));
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn no_sources_is_a_config_error_without_the_exit_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "", &[]);
    for cmd in ["update", "run"] {
        let (code, _, err) = run(&[cmd, "--config", cfg.to_str().unwrap()]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains("no [[sources]]"), "{err}");
        assert!(!err.contains("exit 2"), "{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    // A missing config says how to start one.
    let (code, _, err) = run(&[
        "update",
        "--config",
        tmp.path().join("nope.toml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("newsmirror init") && !err.contains("exit 2"),
        "{err}"
    );
}

#[test]
fn every_overrides_the_stored_schedule_and_run_says_when_next() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = archive_of(
        tmp.path(),
        &[("一", "https://example.org/1", "<p>x</p>")],
        "",
    );
    // An update stores "next attempt in an hour" (the default interval).
    assert_eq!(update(&cfg).0, 0);
    let (_, status, _) = run(&["status", "--json", "--config", cfg.to_str().unwrap()]);
    assert!(status.contains("next_attempt_ms"), "{status}");
    // A new item; `run --every 1s` must fetch it within seconds, not in an hour.
    let items = [
        TestItem {
            title: "二",
            link: "https://example.org/2",
            guid: None,
            date: Some(DATE),
            content: "<p>y</p>",
        },
        TestItem {
            title: "一",
            link: "https://example.org/1",
            guid: None,
            date: Some(DATE),
            content: "<p>x</p>",
        },
    ];
    std::fs::write(tmp.path().join("feed.xml"), rss(&items)).unwrap();
    let child = command(&["run", "--every", "1s", "--config", cfg.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let arts = tmp.path().join("archive/articles/s");
    let t = Instant::now();
    let mut got = false;
    while t.elapsed() < Duration::from_secs(20) {
        if std::fs::read_dir(&arts).map(|d| d.count()).unwrap_or(0) >= 2 {
            got = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(got, "run --every 1s waited for the stored schedule: {err}");
    assert!(err.contains("next fetch: s "), "{err}");
    assert!(err.contains("1 source,"), "{err}");
}

#[test]
fn recheck_counts_unreachable_pages_apart() {
    let tmp = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l1 = format!("http://127.0.0.1:{port}/a/1");
    let l2 = format!("http://127.0.0.1:{port}/a/2");
    let cfg = archive_of(
        tmp.path(),
        &[("一", &l1, "<p>x</p>"), ("二", &l2, "<p>y</p>")],
        "[fetch]\nretries = 0\ntimeout = \"5s\"\n",
    );
    assert_eq!(update(&cfg).0, 0);
    let c = cfg.to_str().unwrap();
    let (code, out, err) = run(&["recheck", "--now", "--config", c]);
    assert_eq!(code, 1, "none could be checked: {out}{err}");
    assert!(
        out.contains("2 pages checked") && out.contains("2 unreachable"),
        "{out}"
    );
    assert!(
        err.contains("none of the 2 pages could be reached"),
        "{err}"
    );
    let (code, out, _) = run(&["recheck", "--now", "--json", "--config", c]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["checked"].as_u64(), v["unreachable"].as_u64()),
        (Some(2), Some(2))
    );
}

#[test]
fn very_verbose_update_shows_each_feed_and_article() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = archive_of(
        tmp.path(),
        &[("一", "https://example.org/1", "<p>x</p>")],
        "",
    );
    let (code, out, quiet_err) = run(&["update", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("1 new article, 1 source, 0 failed"),
        "grammar: {out}"
    );
    assert!(!quiet_err.contains("feed read"), "{quiet_err}");
    std::fs::write(
        tmp.path().join("feed.xml"),
        rss(&[TestItem {
            title: "二",
            link: "https://example.org/2",
            guid: None,
            date: Some(DATE),
            content: "<p>y</p>",
        }]),
    )
    .unwrap();
    let (code, _, err) = run(&["-vv", "update", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        err.contains("feed read") && err.contains("feed.xml"),
        "{err}"
    );
    assert!(
        err.contains("new article") && err.contains("articles/s/"),
        "{err}"
    );
}

#[test]
fn status_columns_line_up_with_chinese_slugs() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("feed.xml"), rss(&[])).unwrap();
    std::fs::write(tmp.path().join("feed2.xml"), rss(&[])).unwrap();
    let cfg = write_config(
        tmp.path(),
        "",
        &[
            ("新闻来源", "A", &["feed.xml"]),
            ("dw", "B", &["feed2.xml"]),
        ],
    );
    let (code, out, err) = run(&["status", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let widths: Vec<usize> = out
        .lines()
        .map(|l| {
            let at = l.find(" new").or_else(|| l.find(" state")).unwrap_or(0);
            l[..at].width()
        })
        .collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{out}");
}

#[test]
fn opml_import_refuses_local_feeds_and_round_trips_relative_paths() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("feed.xml"), rss(&[])).unwrap();
    let cfg = write_config(tmp.path(), "", &[("local", "本地", &["feed.xml"])]);
    let c = cfg.to_str().unwrap();
    let opml = tmp.path().join("in.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
<outline type="rss" xmlUrl="https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"/>
<outline text="passwd" type="rss" xmlUrl="file:///etc/passwd"/>
<outline text="rel" type="rss" xmlUrl="other.xml"/>
<outline text="js" type="rss" xmlUrl="javascript:alert(1)"/>
</body></opml>"#,
    )
    .unwrap();
    let (code, out, err) = run(&["sources", "import", opml.to_str().unwrap(), "--config", c]);
    assert_eq!(code, 1, "some refused: {out}{err}");
    for refused in ["file:///etc/passwd", "other.xml", "javascript:alert(1)"] {
        assert!(err.contains(&format!("refused: {refused}")), "{err}");
    }
    assert!(out.contains("1 source added"), "{out}");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        !text.contains("/etc/passwd") && !text.contains("other.xml"),
        "{text}"
    );
    // No title: named after the host, not the URL; its list file is a safe name.
    assert!(text.contains("name = \"feeds.bbci.co.uk\""), "{text}");
    assert!(text.contains("slug = \"bbci\""), "{text}");

    // Export writes the relative path as the config has it; importing it back adds nothing.
    let (code, exported, _) = run(&["sources", "export", "--config", c]);
    assert_eq!(code, 0);
    assert!(exported.contains("xmlUrl=\"feed.xml\""), "{exported}");
    assert!(!exported.contains("file://"), "{exported}");
    let back = tmp.path().join("back.opml");
    std::fs::write(&back, &exported).unwrap();
    let before = std::fs::read_to_string(&cfg).unwrap();
    let (code, out, err) = run(&[
        "sources",
        "import",
        back.to_str().unwrap(),
        "--allow-local",
        "--config",
        c,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("0 sources added") && out.contains("2 already there"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        before,
        "no -2 copies"
    );
    // With --allow-local a relative path is taken, as written.
    let (code, out, err) = run(&[
        "sources",
        "import",
        opml.to_str().unwrap(),
        "--allow-local",
        "--config",
        c,
    ]);
    assert_eq!(code, 1, "javascript: is refused still: {out}{err}");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        text.contains("feeds = [\"other.xml\"]") && text.contains("file:///etc/passwd"),
        "{text}"
    );
}

#[test]
fn list_files_are_safe_whatever_the_name() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("feed.xml"),
        rss(&[TestItem {
            title: "一",
            link: "https://example.org/1",
            guid: None,
            date: Some(DATE),
            content: "<p>x</p>",
        }]),
    )
    .unwrap();
    let cfg = write_config(tmp.path(), "", &[("s", "BBC: 中文?", &["feed.xml"])]);
    assert_eq!(update(&cfg).0, 0);
    let lists: Vec<String> = std::fs::read_dir(tmp.path().join("archive/lists"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(lists, ["BBC： 中文？.md"]);
    let readme = std::fs::read_to_string(tmp.path().join("archive/README.md")).unwrap();
    assert!(readme.contains("(lists/BBC：%20中文？.md)"), "{readme}");
}

#[test]
fn a_removed_source_keeps_its_articles_and_leaves_the_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let keep = rss(&[TestItem {
        title: "留下的香港新闻",
        link: "https://example.org/k",
        guid: None,
        date: Some(DATE),
        content: "<p>香港</p>",
    }]);
    let gone = rss(&[TestItem {
        title: "移除的香港新闻",
        link: "https://example.org/g",
        guid: None,
        date: Some(DATE),
        content: "<p>香港</p>",
    }]);
    std::fs::write(tmp.path().join("keep.xml"), keep).unwrap();
    std::fs::write(tmp.path().join("gone.xml"), gone).unwrap();
    let cfg = write_config(
        tmp.path(),
        "# my comment\n",
        &[
            ("keep", "留下", &["keep.xml"]),
            ("gone", "移除", &["gone.xml"]),
        ],
    );
    let c = cfg.to_str().unwrap();
    assert_eq!(update(&cfg).0, 0);
    // The search index exists before the removal.
    assert!(
        run(&["search", "--config", c, "香港"])
            .1
            .contains("2 found")
    );
    let arch = tmp.path().join("archive");
    assert!(arch.join("lists/移除.md").exists());

    let (code, out, err) = run(&["sources", "remove", "gone", "--config", c]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("stay in articles/gone/"), "{out}");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        !text.contains("gone") && text.contains("# my comment") && text.contains("keep"),
        "{text}"
    );
    assert!(!arch.join("lists/移除.md").exists(), "its list goes");
    assert_eq!(
        std::fs::read_dir(arch.join("articles/gone"))
            .unwrap()
            .count(),
        1,
        "articles kept"
    );
    let readme = std::fs::read_to_string(arch.join("README.md")).unwrap();
    assert!(
        !readme.contains("移除") && readme.contains("留下"),
        "{readme}"
    );
    // Readers no longer see it: search and the static site.
    let (_, out, _) = run(&["search", "--config", c, "香港"]);
    assert!(out.contains("1 found") && !out.contains("移除"), "{out}");
    let site = tmp.path().join("site");
    let (code, _, err) = run(&["site", "--config", c, site.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let home = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(home.contains("留下") && !home.contains("移除"), "{home}");
    assert!(!site.join("s/gone").exists());
    // An update afterwards leaves it alone.
    assert_eq!(update(&cfg).0, 0);
    assert!(!arch.join("lists/移除.md").exists());

    // --purge deletes the files and the records too.
    let (code, out, err) = run(&["sources", "remove", "keep", "--purge", "--config", c]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!arch.join("articles/keep").exists());
    let (code, _, err) = run(&["sources", "remove", "nope", "--config", c]);
    assert_eq!(code, 2, "{err}");
}
