//! Extraction benchmark harness: runs newsmirror's extractor over the pages of the public
//! article-extraction benchmark and writes one `<id>.json` ({"articleBody": …}) per page, for
//! `../shared/tools/extract_score.py`. Prints pages per second (extraction only, files read
//! and decompressed beforehand).
//!
//!   cargo bench --bench extraction -- PAGES_DIR OUT_DIR [ROUNDS]
//!   NEWSMIRROR_EXTRACTOR=densest cargo bench …   (the densest-block fallback alone)
//!
//! PAGES_DIR holds `<id>.html.gz` (or `.html`); `bench/extraction.sh` runs it.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(pages), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: extraction PAGES_DIR OUT_DIR [ROUNDS]");
        return;
    };
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    // `NEWSMIRROR_EXTRACTOR=densest`: the densest-block fallback alone (an approach measured).
    let densest = std::env::var("NEWSMIRROR_EXTRACTOR").is_ok_and(|v| v == "densest");
    let mut docs = Vec::new();
    for e in std::fs::read_dir(pages).expect("pages dir") {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let id = name.split('.').next().unwrap().to_string();
        let bytes = std::fs::read(&p).unwrap();
        let bytes = if name.ends_with(".gz") {
            let mut s = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut s)
                .unwrap();
            s
        } else {
            bytes
        };
        let html = newsmirror::fetch::charset::decode(&bytes, None).text;
        docs.push((id, html));
    }
    docs.sort();
    std::fs::create_dir_all(out).unwrap();
    let url = url::Url::parse("https://example.com/article").unwrap();
    let rules = newsmirror::extract::Rules::default();
    let mut best = f64::MAX;
    for round in 0..rounds {
        let t = Instant::now();
        for (id, html) in &docs {
            let text = if densest {
                newsmirror::extract::densest_block(html)
                    .map(|(_, t)| t)
                    .unwrap_or_default()
            } else {
                newsmirror::extract::extract(html, &url, &rules)
                    .map(|e| e.text)
                    .unwrap_or_default()
            };
            if round == 0 {
                let json = serde_json::json!({ "articleBody": text });
                std::fs::write(Path::new(out).join(format!("{id}.json")), json.to_string())
                    .unwrap();
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "newsmirror extract: {} pages, best of {rounds} rounds {best:.3}s, {:.1} pages/s",
        docs.len(),
        docs.len() as f64 / best
    );
}
