//! Helpers shared by the integration tests: running the binary, temp archives, comparing
//! trees, and a small loopback HTTP server.
#![allow(dead_code)]

pub mod pg;
pub mod proxy;
pub mod server;
pub mod web;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// The fixtures copied into the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs `newsmirror ARGS...` and returns its output.
pub fn newsmirror(args: &[&str]) -> Output {
    command(args).output().expect("the newsmirror binary runs")
}

/// The binary under test: this build's, or `NEWSMIRROR_TEST_BIN` (to show that a test fails
/// on an older build).
pub fn binary() -> PathBuf {
    std::env::var_os("NEWSMIRROR_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_newsmirror")))
}

/// `newsmirror ARGS...`, ready to spawn, in a hermetic environment (no proxy variables, no
/// failpoints).
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(binary());
    c.args(args)
        .env_remove("NEWSMIRROR_LOG")
        .env_remove("FAILPOINTS");
    for v in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
    ] {
        c.env_remove(v);
    }
    c
}

/// `git -C DIR ARGS...`, which must succeed; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `update --config CONFIG`, returning (exit code, stdout, stderr).
pub fn update(config: &Path) -> (i32, String, String) {
    let out = newsmirror(&["update", "--config", config.to_str().unwrap()]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies a folder recursively (fixtures are read-only in CI: the copies are made writable).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let mut perm = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&target, perm).unwrap();
        }
    }
}

/// Every file below `dir` (relative path → bytes), skipping `.newsmirror/`.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut |rel, path| {
        out.insert(rel, std::fs::read(path).unwrap());
    });
    out
}

/// Every file below `dir` with its modification time, skipping `.newsmirror/`.
pub fn mtimes(dir: &Path) -> BTreeMap<String, SystemTime> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut |rel, path| {
        out.insert(rel, std::fs::metadata(path).unwrap().modified().unwrap());
    });
    out
}

fn walk(root: &Path, dir: &Path, f: &mut dyn FnMut(String, &Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_name() == ".newsmirror" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            walk(root, &path, f);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            f(rel, &path);
        }
    }
}

/// Asserts that `actual` holds exactly the files of `expected`, byte for byte.
pub fn assert_same_tree(actual: &Path, expected: &Path) {
    let a = tree(actual);
    let e = tree(expected);
    let missing: Vec<_> = e.keys().filter(|k| !a.contains_key(*k)).collect();
    let extra: Vec<_> = a.keys().filter(|k| !e.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "missing files under {}: {missing:?}",
        actual.display()
    );
    assert!(
        extra.is_empty(),
        "unexpected files under {}: {extra:?}",
        actual.display()
    );
    for (k, bytes) in &e {
        if &a[k] != bytes {
            panic!(
                "{k} differs\n--- expected\n{}\n--- actual\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&a[k])
            );
        }
    }
}

/// Writes a config with one `[[sources]]` per (slug, name, feeds). Sources take the feed's
/// content as it is (`fulltext = "feed"`): tests never reach for pages on the network.
pub fn write_config(dir: &Path, extra: &str, sources: &[(&str, &str, &[&str])]) -> PathBuf {
    let mut text = format!("[archive]\ndir = \"archive\"\n{extra}\n");
    for (slug, name, feeds) in sources {
        let feeds: Vec<String> = feeds.iter().map(|f| format!("{f:?}")).collect();
        text.push_str(&format!(
            "[[sources]]\nslug = \"{slug}\"\nname = \"{name}\"\nfulltext = \"feed\"\nfeeds = [{}]\n\n",
            feeds.join(", ")
        ));
    }
    let path = dir.join("newsmirror.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// An RSS 2.0 item.
pub struct TestItem<'a> {
    pub title: &'a str,
    pub link: &'a str,
    pub guid: Option<&'a str>,
    pub date: Option<&'a str>,
    pub content: &'a str,
}

/// An RSS 2.0 feed of `items` (XML-escaped as needed).
pub fn rss(items: &[TestItem<'_>]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link><description>d</description>\n",
    );
    for it in items {
        out.push_str(&format!(
            "<item><title>{}</title><link>{}</link>",
            esc(it.title),
            esc(it.link)
        ));
        if let Some(g) = it.guid {
            out.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", esc(g)));
        }
        if let Some(d) = it.date {
            out.push_str(&format!("<pubDate>{d}</pubDate>"));
        }
        out.push_str(&format!(
            "<description>{}</description></item>\n",
            esc(it.content)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

/// The largest resident set (KB) of any child this test process has waited for.
pub fn peak_child_rss_kb() -> i64 {
    // SAFETY: getrusage writes into the struct it is given.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u.ru_maxrss
    }
}

/// Every `.md` file below `dir`, with its text.
pub fn markdown_files(dir: &Path) -> Vec<(String, String)> {
    tree(dir)
        .into_iter()
        .filter(|(k, _)| k.ends_with(".md"))
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

/// A feed of `n` distinct items (newest first), titled `{tag}-{i}`.
pub fn big_feed(tag: &str, n: usize) -> String {
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

/// An RSS answer with an `ETag`: the server answers 304 to a request that sends it back.
pub fn rss_answer(body: String, etag: &str) -> server::Answer {
    server::Answer::Fixed(
        200,
        vec![
            ("Content-Type".into(), "application/rss+xml".into()),
            ("ETag".into(), format!("\"{etag}\"")),
        ],
        body.into_bytes(),
    )
}

/// [`rss_answer`] without a length: the body ends when the connection closes.
pub fn rss_answer_unframed(body: String, etag: &str) -> server::Answer {
    match rss_answer(body, etag) {
        server::Answer::Fixed(code, mut headers, body) => {
            headers.push((server::UNFRAMED.into(), "1".into()));
            server::Answer::Fixed(code, headers, body)
        }
        other => other,
    }
}

/// Whether the failpoints feature is in this build (`cargo test --features failpoints`).
pub fn has_failpoints() -> bool {
    cfg!(feature = "failpoints")
}

/// Removes the database (and its WAL files), as a fresh runner starts without one.
pub fn delete_database(archive: &Path) {
    for f in [
        "newsmirror.sqlite",
        "newsmirror.sqlite-wal",
        "newsmirror.sqlite-shm",
    ] {
        let _ = std::fs::remove_file(archive.join(".newsmirror").join(f));
    }
}

/// `newsmirror history --json` of `article` with the config at `cfg`; exit 0 asserted.
pub fn history_json(cfg: &Path, article: &str) -> serde_json::Value {
    let out = newsmirror(&[
        "history",
        "--json",
        "--config",
        cfg.to_str().unwrap(),
        article,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The article files of `slug`: `n` of them, no temporary file, each well-formed (and ending
/// its last paragraph when `whole_paragraphs`), titles distinct, ids contiguous from the first.
pub fn check_article_files(archive: &Path, slug: &str, n: usize, whole_paragraphs: bool) {
    let dir = archive.join("articles").join(slug);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "temporary files left: {names:?}"
    );
    assert_eq!(
        names.len(),
        n,
        "{slug}: {} files for {n} items",
        names.len()
    );
    let mut titles = HashSet::new();
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let parsed = newsmirror::mirror::parse_article(&text)
            .unwrap_or_else(|| panic!("{name} is not well-formed"));
        if whole_paragraphs {
            assert!(text.ends_with("</p>\n"), "{slug}/{name} is incomplete");
        }
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
        1048574 - n as i64 + 1,
        "ids are contiguous"
    );
}

/// Checks an archive after crashes: every item once, every file whole, database sound and in
/// line with the files.
pub fn check_archive(archive: &Path, sources: &[(&str, usize)]) {
    for (slug, n) in sources {
        check_article_files(archive, slug, *n, true);
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

/// The compat fixture's `sources.toml`, with `fulltext = "feed"` for every source: its feeds
/// carry the archived full text, and tests never fetch the outlets' pages (no network).
pub fn compat_config(to: &Path) {
    let text = std::fs::read_to_string(fixtures().join("compat/sources.toml")).unwrap();
    let text = text.replace("\nfeeds = [", "\nfulltext = \"feed\"\nfeeds = [");
    std::fs::write(to, text).unwrap();
}

/// The feed farm's `xss` fault payloads (`../shared/tools/feedfarm.py`).
pub const FARM_XSS: [&str; 16] = [
    "<p>正文<script>alert(1)</script></p>",
    "<img src=x onerror=\"alert(2)\"><p>图片</p>",
    "<a href=\"javascript:alert(3)\">链接</a>",
    "<a href=\"JaVaScRiPt&#58;alert(4)\">编码链接</a>",
    "<iframe src=\"https://evil.example/\"></iframe><p>框架</p>",
    "<svg><script>alert(5)</script></svg><p>矢量</p>",
    "<div style=\"background:url(javascript:alert(6))\">样式</div>",
    "<form action=\"https://evil.example/\"><input name=\"p\"></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(7)>",
    "<p onclick=\"alert(8)\" onmouseover=\"alert(9)\">事件</p>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxMCk8L3NjcmlwdD4=\"></object>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    "<base href=\"https://evil.example/\"><p>base</p>",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMTEpPjwvc3ZnPg==\">",
    "<style>body{display:none}</style><p>隐藏</p>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(12)>\"></noscript>",
];

/// Runs `cmd` with its stdout a pipe nobody reads (`cmd | true`, `cmd | head -1` once head
/// has gone): (exit code, stderr).
pub fn closed_stdout(mut cmd: Command) -> (i32, String) {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the newsmirror binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
