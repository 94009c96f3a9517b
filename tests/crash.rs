//! Crash safety: `update` killed with SIGKILL at random moments of large runs, then run to
//! completion, loses and duplicates nothing. The feeds are served by a loopback server that
//! honours conditional requests (a killed run must not leave validators that hide its items).
//! In its own test binary, so that other tests do not compete with it for the machine while it
//! aims its kills.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::server::Server;
use common::*;

#[test]
fn killed_at_twenty_random_moments_loses_and_duplicates_nothing() {
    // Each round the feeds grow by STEP items per source, so every run has work to do when
    // it is killed; killed runs leave theirs to the next.
    const STEP: usize = 80;
    const ROUNDS: usize = 20;
    let tmp = tempfile::tempdir().unwrap();
    let slugs = ["a", "b", "c"];
    let server = Server::start();
    let write_feeds = |n: usize| {
        for slug in slugs {
            server.route(
                &format!("/{slug}.xml"),
                rss_answer(big_feed(slug, n), &format!("{slug}-{n}")),
            );
        }
    };
    let urls: Vec<String> = slugs
        .iter()
        .map(|s| server.url(&format!("/{s}.xml")))
        .collect();
    let write_cfg = |dir: &Path| {
        write_config(
            dir,
            "",
            &[
                ("a", "A", &[urls[0].as_str()]),
                ("b", "B", &[urls[1].as_str()]),
                ("c", "C", &[urls[2].as_str()]),
            ],
        )
    };
    let cfg = write_cfg(tmp.path());
    let cfg_s = cfg.to_str().unwrap();

    // How long a run with one round's work takes here, to spread the kills over it.
    let probe = tempfile::tempdir().unwrap();
    write_feeds(STEP);
    let t = Instant::now();
    assert_eq!(update(&write_cfg(probe.path())).0, 0);
    let full = t.elapsed().as_millis().max(50) as u64;

    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kills = 0;
    let mut mid_write = 0;
    let mut window = full + full / 4;
    let mut round = 0;
    // At least ROUNDS kills; more (up to 2×) until some landed while files were being written,
    // which a loaded machine can make rarer.
    while round < ROUNDS || (mid_write < 3 && round < 2 * ROUNDS) {
        round += 1;
        write_feeds(round * STEP);
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
        // Killed while writing files: files on disk the database does not record yet.
        let db = tmp.path().join("archive/.newsmirror/newsmirror.sqlite");
        let writing = db.exists() && {
            let store = newsmirror::store::Store::open(&db).unwrap().0;
            slugs.iter().any(|s| {
                let on_disk = std::fs::read_dir(tmp.path().join("archive/articles").join(s))
                    .map(|d| d.count())
                    .unwrap_or(0);
                on_disk != store.known_paths(s).unwrap().len()
            })
        };
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
        "{kills} of {round} runs killed mid-way, {mid_write} while writing files; a round's run takes {full} ms"
    );
    assert!(
        kills >= round / 2,
        "only {kills} of {round} runs were killed mid-way"
    );
    // Where a random kill lands depends on the machine's load; the kills at every step
    // boundary, writing included, are made deterministically by tests/durability.rs.
    if mid_write == 0 {
        eprintln!("note: no kill landed while files were being written this time");
    }
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let n = round * STEP;
    check_archive(&tmp.path().join("archive"), &[("a", n), ("b", n), ("c", n)]);
    let list = std::fs::read_to_string(tmp.path().join("archive/lists/A.md")).unwrap();
    assert_eq!(list.matches("](/articles/a/").count(), 300);
}
