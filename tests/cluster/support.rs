//! What the cluster tests share: running the binary, configs on a test schema, feeds on a
//! loopback server, and checking what was published.

use std::path::{Path, PathBuf};
use std::process::{Child, Output};

use crate::common::pg::PgSchema;
use crate::common::server::Server;
use crate::common::*;

pub fn run(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

pub fn spawn(args: &[&str]) -> Child {
    command(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn ok(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(0), "{what}: {}", text(out));
}

/// A config in `dir` on the test schema, with `extra` settings (`[store]` keys first).
pub fn config(
    dir: &Path,
    pg: &PgSchema,
    store: &str,
    extra: &str,
    sources: &[(&str, &str, &[&str])],
) -> PathBuf {
    write_config(
        dir,
        &format!("[store]\nurl = \"{}\"\n{store}\n{extra}", pg.url),
        sources,
    )
}

/// Makes every source of the config at `cfg` due again `every` after it was fetched.
pub fn every(cfg: &Path, every: &str) {
    let text = std::fs::read_to_string(cfg).unwrap();
    std::fs::write(
        cfg,
        text.replace(
            "fulltext = \"feed\"",
            &format!("fulltext = \"feed\"\ninterval = \"{every}\""),
        ),
    )
    .unwrap();
}

/// Two trees alike; else which files differ, and their first differing line.
pub fn same(
    a: &std::collections::BTreeMap<String, Vec<u8>>,
    b: &std::collections::BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let diff: Vec<String> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let la = a
                .get(k)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default();
            let lb = b
                .get(k)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default();
            let line = la
                .lines()
                .zip(lb.lines())
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("{x:?} vs {y:?}"))
                .unwrap_or_else(|| format!("{} vs {} bytes", la.len(), lb.len()));
            format!("{k}: {line}")
        })
        .collect();
    assert!(diff.is_empty(), "{what}: {diff:#?}");
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every source's feed: `n` items on the loopback server, with an ETag.
pub fn serve_feeds(server: &Server, slugs: &[String], n: usize) {
    for slug in slugs {
        server.route(
            &format!("/{slug}.xml"),
            rss_answer(big_feed(slug, n), &format!("{slug}-{n}")),
        );
    }
}

/// Checks the published files: every item once, ids contiguous from the first; and the
/// database: one article per item, ids unique.
pub fn check_published(archive: &Path, pg: &PgSchema, sources: &[(String, usize)]) {
    for (slug, n) in sources {
        crate::common::check_article_files(archive, slug, *n, false);
    }
    let mut c = pg.client();
    for (slug, n) in sources {
        let row = c
            .query_one(
                "SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT norm_title) FROM articles
                 WHERE source = $1",
                &[slug],
            )
            .unwrap();
        let (all, ids, titles): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(
            (all, ids, titles),
            (*n as i64, *n as i64, *n as i64),
            "{slug} in the database"
        );
    }
}

/// The number of sources a worker's summary line says it processed.
pub fn text_of_batches(out: &Output) -> usize {
    let t = String::from_utf8_lossy(&out.stdout);
    t.lines()
        .find_map(|l| l.strip_prefix("worker: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary: {t}"))
}
