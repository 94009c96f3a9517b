//! The fuzz targets' checks (`fuzz/checks.rs`) on the committed seed corpus (`fuzz/seeds/`)
//! and on every input that once crashed a target (`tests/fixtures/fuzz/<target>/`): CI runs
//! these, not the fuzzer (`bench/fuzz.sh` does).

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        root.join("fuzz/seeds").join(target),
        root.join("tests/fixtures/fuzz").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            out.push((
                e.path().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

fn replay(target: &str, check: fn(&[u8])) {
    for (name, data) in inputs(target) {
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "{target}: {name} fails");
    }
}

#[test]
fn feed() {
    replay("feed", checks::feed);
}

#[test]
fn sanitize() {
    replay("sanitize", checks::sanitize);
}

#[test]
fn extract() {
    replay("extract", checks::extract);
}

#[test]
fn article() {
    replay("article", checks::article);
}

#[test]
fn config() {
    replay("config", checks::config);
}

#[test]
fn search() {
    replay("search", checks::search);
}

#[test]
fn nesting() {
    replay("nesting", checks::nesting);
}
