//! Search latency: every query of QUERIES_FILE (one per line) against the index of the archive
//! of CONFIG, ROUNDS times, after one warm-up round; prints p50, p99 and the mean (ms), the
//! way `serve` runs them (one search with snippets, first page of 20).
//!
//!   cargo bench --bench search -- CONFIG QUERIES_FILE [ROUNDS]
//!
//! `bench/reader.sh` runs it beside ripgrep over the same `articles/` tree.

use std::time::Instant;

use newsmirror::search::{SearchIndex, SearchQuery};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(config), Some(queries)) = (args.first(), args.get(1)) else {
        eprintln!("usage: search CONFIG QUERIES_FILE [ROUNDS]");
        return;
    };
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let config = newsmirror::config::Config::load(std::path::Path::new(config)).expect("config");
    let state = config.archive_dir.join(newsmirror::archive::STATE_DIR);
    let (index, created) = SearchIndex::open(&state).expect("index");
    assert!(!created, "no index yet: run `newsmirror reindex` first");
    let queries: Vec<String> = std::fs::read_to_string(queries)
        .expect("queries")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let _ = newsmirror::search::jieba();
    let mut times = Vec::new();
    let mut found = 0usize;
    for round in 0..=rounds {
        for q in &queries {
            let query = SearchQuery {
                text: q.clone(),
                source: None,
                page: 1,
                per_page: 20,
            };
            let t = Instant::now();
            let hits = index.search(&query).expect("search");
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if round > 0 {
                times.push(ms);
                found += hits.total;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "search: {} queries x {rounds} rounds over {} articles: p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, max {:.2} ms ({} hits per round)",
        queries.len(),
        index.len(),
        at(0.50),
        at(0.99),
        mean,
        times.last().copied().unwrap_or(0.0),
        found / rounds.max(1)
    );
}
