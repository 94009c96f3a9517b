//! The 62 Chinese news pages of GeneralNewsExtractor (GPL-3.0: read from `../shared` as test
//! input only, never copied into the project). Skips, saying so, when they are not there.
//!
//! The assertions come from a look at the pages: each has an article body of several hundred
//! characters, and a footer with an ICP licence number or a copyright line, and navigation
//! bars of short links; the body must be found and the footer and navigation must not be.

use std::path::PathBuf;

fn pages() -> Option<Vec<PathBuf>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/pages/general-news-extractor");
    if !root.exists() {
        return None;
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).ok()?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
    }
    out.sort();
    Some(out)
}

#[test]
fn chinese_news_pages_body_found_footer_not() {
    let Some(pages) = pages() else {
        eprintln!(
            "SKIP chinese_news_pages_body_found_footer_not: ../shared/fixtures/pages/general-news-extractor is not there"
        );
        return;
    };
    assert_eq!(pages.len(), 62);
    let url = url::Url::parse("https://news.example/a.html").unwrap();
    let mut failures = Vec::new();
    for p in &pages {
        let bytes = std::fs::read(p).unwrap();
        let html = newsmirror::fetch::charset::decode(&bytes, None).text;
        let text = match newsmirror::extract::extract(&html, &url, &Default::default()) {
            Ok(e) => e.text,
            Err(e) => {
                failures.push(format!("{}: {e}", p.display()));
                continue;
            }
        };
        let body: usize = text.chars().filter(|c| !c.is_whitespace()).count();
        let footer = [
            "ICP备",
            "ICP证",
            "版权所有",
            "Copyright ©",
            "Copyright©",
            "All Rights Reserved",
            "违法和不良信息举报",
        ]
        .iter()
        .find(|m| text.contains(*m));
        // A navigation bar comes out as a run of very short lines (menu items).
        let mut run = 0;
        let mut menu = false;
        for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            run = if l.chars().count() <= 6 { run + 1 } else { 0 };
            menu |= run >= 6;
        }
        if body < 150 {
            failures.push(format!("{}: body of {body} characters", p.display()));
        } else if let Some(m) = footer {
            failures.push(format!("{}: footer text {m:?} kept", p.display()));
        } else if menu {
            failures.push(format!("{}: a navigation menu kept", p.display()));
        }
    }
    eprintln!(
        "{} of {} pages: body found, footer left out",
        pages.len() - failures.len(),
        pages.len()
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    // On every page: the body found, no footer, no navigation menu.
    assert!(failures.is_empty(), "{failures:?}");
}
