//! An extra check against the shared feed farm (`../shared/tools/feedfarm.py`), when it is
//! there: every fault it serves, beside good sites, in one run. Skips, saying so, without it.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const FAULTS: [&str; 21] = [
    "500",
    "404",
    "slow",
    "hang",
    "reset",
    "truncated",
    "huge",
    "gzip-bomb",
    "redirect-loop",
    "not-xml",
    "bad-xml",
    "empty",
    "gbk",
    "gbk-undeclared",
    "big5",
    "billion-laughs",
    "xxe",
    "xss",
    "evil-names",
    "dates",
    "dupes",
];

struct Farm(Child);
impl Drop for Farm {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn farm_script() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/feedfarm.py");
    p.exists().then_some(p)
}

#[test]
fn shared_feedfarm_faults() {
    let Some(script) = farm_script() else {
        eprintln!("SKIP shared_feedfarm_faults: ../shared/tools/feedfarm.py is not there");
        return;
    };
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIP shared_feedfarm_faults: no python3");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let farm_dir = tmp.path().join("farm");
    let generated = Command::new("python3")
        .arg(&script)
        .args([
            "gen",
            farm_dir.to_str().unwrap(),
            "--sites",
            "2",
            "--items",
            "20",
        ])
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let portfile = tmp.path().join("port");
    let _farm = Farm(
        Command::new("python3")
            .arg(&script)
            .args([
                "serve",
                farm_dir.to_str().unwrap(),
                "--portfile",
                portfile.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let t = Instant::now();
    while !portfile.exists() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let port = std::fs::read_to_string(&portfile)
        .unwrap()
        .trim()
        .to_string();
    let base = format!("http://127.0.0.1:{port}");
    let mut sources: Vec<(String, String)> = (0..2)
        .map(|i| (format!("site{i}"), format!("{base}/feeds/site{i}.xml")))
        .collect();
    for f in FAULTS {
        sources.push((format!("f-{f}"), format!("{base}/fault/{f}")));
    }
    let srcs: Vec<(&str, &str, Vec<&str>)> = sources
        .iter()
        .map(|(s, u)| (s.as_str(), s.as_str(), vec![u.as_str()]))
        .collect();
    let srcs: Vec<(&str, &str, &[&str])> = srcs
        .iter()
        .map(|(a, b, c)| (*a, *b, c.as_slice()))
        .collect();
    // Every fault is on the farm's one host: let them all run at once, as if on their own hosts.
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"6s\"\nconnect_timeout = \"2s\"\nper_host = 32\nconcurrency = 32",
        &srcs,
    );
    let started = Instant::now();
    let (code, out, err) = update(&cfg);
    let elapsed = started.elapsed();
    let rss = peak_child_rss_kb();
    eprintln!("{out}{err}elapsed {elapsed:?}, peak RSS {rss} KB");
    assert_eq!(code, 1);
    assert!(elapsed < Duration::from_secs(6 + 5), "{elapsed:?}");
    assert!(rss < 256 * 1024, "{rss} KB");
    let files = markdown_files(&tmp.path().join("archive/articles"));
    let count = |slug: &str| {
        files
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{slug}/")))
            .count()
    };
    assert_eq!(count("site0"), 20);
    assert_eq!(count("site1"), 20);
    for ok in ["gbk", "gbk-undeclared", "big5"] {
        assert_eq!(count(&format!("f-{ok}")), 20, "{ok}");
    }
    // Broken XML (end tags misspelt, the end cut off) is read as feedparser reads it: every
    // item (issue 13).
    assert_eq!(count("f-bad-xml"), 20, "bad-xml");
    assert!(!err.contains("source f-bad-xml "), "{err}");
    assert_eq!(count("f-dates"), 7);
    assert_eq!(count("f-dupes"), 1);
    assert_eq!(count("f-evil-names"), 10);
    for (k, t) in &files {
        assert!(!t.contains("root:x:0") && !t.contains("lollollol"), "{k}");
    }
    for failed in [
        "500",
        "404",
        "slow",
        "hang",
        "reset",
        "truncated",
        "huge",
        "gzip-bomb",
        "redirect-loop",
        "not-xml",
        "empty",
    ] {
        assert!(
            err.contains(&format!("source f-{failed} ")),
            "{failed} not reported:\n{err}"
        );
    }
}
