//! Full text from article pages, clean HTML, images that load: against loopback servers.

mod common;

use std::path::Path;

use common::server::{Answer, Server};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

/// An article page as outlets serve them: navigation, ads, the article with a figure,
/// related links, comments, scripts.
fn page(title: &str, paras: &[&str], img: &str) -> String {
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    let nav: String = (0..12)
        .map(|k| format!("<li><a href=\"/c/{k}\">栏目{k}</a></li>"))
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>{title} | 站点</title>\
<script>window.dataLayer=[];function track(){{}}</script><style>.ad{{display:block}}</style></head>\
<body><header><div class=\"logo\">站点</div><nav><ul>{nav}</ul></nav></header><div class=\"ad\">广告 advertisement</div>\
<main><article><h1>{title}</h1><div class=\"meta\">2024-06-19</div>\
<figure><img src=\"{img}\" alt=\"普京抵达平壤\"><figcaption>图片说明文字</figcaption></figure>\
<div class=\"share\">分享到微博 分享到微信</div><div class=\"post-content\">\n{body}</div></article>\
<aside><h3>相关新闻</h3><ul><li><a href=\"/x/1\">另一条相关的新闻标题</a></li><li><a href=\"/x/2\">又一条相关的新闻标题</a></li></ul></aside>\
<section class=\"comments\"><div class=\"comment\"><b>读者0</b><p>这是一条读者评论。</p></div></section></main>\
<footer><p>© 站点 版权所有</p><ul>{nav}</ul></footer><script>track()</script></body></html>"
    )
}

const PARAS: [&str; 4] = [
    "俄罗斯总统普京周三凌晨抵达平壤，对朝鲜进行为期两天的访问，这是他二十四年来首次访问朝鲜。",
    "据俄罗斯媒体报道，普京与金正恩当日进行了约两个小时的闭门会谈，大大超过原本计划的一小时会谈时间。",
    "美联社报道称，该协议旨在扩大两国的经济和军事合作，并巩固共同对抗华盛顿的阵线。",
    "协议的一个重要组成部分是朝俄防卫互助协定，在任何一方受到第三方攻击的情况下相互提供支援。",
];

fn summary_feed(link: &str) -> String {
    rss(&[TestItem {
        title: "普京会金正恩",
        link,
        guid: None,
        date: Some(DATE),
        content: "俄罗斯总统普京周三凌晨抵达平壤。",
    }])
}

fn config(dir: &Path, source_extra: &str, feed: &str) -> std::path::PathBuf {
    let text = format!(
        "[archive]\ndir = \"archive\"\n\n[[sources]]\nslug = \"s\"\nname = \"S\"\nfeeds = [\"{feed}\"]\n{source_extra}\n"
    );
    let p = dir.join("newsmirror.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn article(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("archive/articles/s/1048574.md")).unwrap()
}

#[test]
fn a_summary_only_source_is_archived_with_its_full_text() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let link = server.url("/news/2024/a-1.html");
    let img = server.url("/img/p0.png");
    server.route(
        "/feed",
        Answer::ok("application/rss+xml", summary_feed(&link)),
    );
    server.route(
        "/news/2024/a-1.html",
        Answer::ok(
            "text/html; charset=utf-8",
            page("普京会金正恩", &PARAS, &img),
        ),
    );
    let cfg = config(tmp.path(), "", &server.url("/feed"));
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let text = article(tmp.path());
    for p in PARAS {
        assert!(text.contains(p), "paragraph missing: {p}\n{text}");
    }
    for junk in [
        "栏目3",
        "广告",
        "相关新闻",
        "读者评论",
        "版权所有",
        "track()",
        "<script",
        "dataLayer",
    ] {
        assert!(!text.contains(junk), "{junk} kept:\n{text}");
    }
    // The figure's image goes through the proxy (the default), its caption stays.
    let port = server.port;
    assert!(
        text.contains(&format!(
            "https://images.weserv.nl/?url=127.0.0.1:{port}/img/p0.png"
        )),
        "{text}"
    );
    assert_eq!(server.hits("/news/2024/a-1.html"), 1);
    // The mirror format holds: one header, content on one line.
    assert_eq!(text.lines().count(), 5, "{text}");
}

#[test]
fn per_source_rules_win_and_fulltext_feed_never_fetches() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let link = server.url("/a/1");
    server.route(
        "/feed",
        Answer::ok("application/rss+xml", summary_feed(&link)),
    );
    server.route(
        "/a/1",
        Answer::ok("text/html", page("标题", &PARAS, "/img/p0.png")),
    );
    let cfg = config(
        tmp.path(),
        "fulltext = \"page\"\ncontent_selector = \"article\"\nremove_selectors = [\"figure\", \".share\", \"h1\", \".meta\"]\nimages = \"original\"",
        &server.url("/feed"),
    );
    assert_eq!(update(&cfg).0, 0);
    let text = article(tmp.path());
    assert!(text.contains(PARAS[0]) && text.contains(PARAS[3]), "{text}");
    assert!(
        !text.contains("分享到微博")
            && !text.contains("图片说明文字")
            && !text.contains("2024-06-19</div>"),
        "{text}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "fulltext = \"feed\"", &server.url("/feed"));
    let before = server.hits("/a/1");
    assert_eq!(update(&cfg).0, 0);
    assert_eq!(
        server.hits("/a/1"),
        before,
        "fulltext = feed fetched the page"
    );
    assert!(article(tmp.path()).ends_with("\n\n俄罗斯总统普京周三凌晨抵达平壤。\n"));

    // A bad selector is a config error naming the line.
    let bad = config(
        tmp.path(),
        "content_selector = \"div[\"",
        &server.url("/feed"),
    );
    let (code, _, err) = update(&bad);
    assert_eq!(code, 2);
    assert!(
        err.contains("content_selector") && err.contains("line 8"),
        "{err}"
    );
}

#[test]
fn a_page_that_cannot_be_fetched_keeps_the_feed_content() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let link = server.url("/gone");
    server.route(
        "/feed",
        Answer::ok("application/rss+xml", summary_feed(&link)),
    );
    let cfg = config(tmp.path(), "", &server.url("/feed"));
    let (code, _, err) = update(&cfg);
    assert_eq!(
        code, 0,
        "a failed page is a warning, not a failed source: {err}"
    );
    assert!(err.contains("full text of") && err.contains("404"), "{err}");
    assert!(article(tmp.path()).contains("俄罗斯总统普京周三凌晨抵达平壤。"));
}

#[test]
fn local_images_are_downloaded_once_capped_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let png = {
        // A valid 1×1 PNG.
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&[
            0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77,
            0x53, 0xde,
        ]);
        v
    };
    server.route(
        "/img/a.png",
        Answer::Fixed(
            200,
            vec![("Content-Type".into(), "image/png".into())],
            png.clone(),
        ),
    );
    server.route(
        "/img/same-as-a.png",
        Answer::Fixed(
            200,
            vec![("Content-Type".into(), "image/png".into())],
            png.clone(),
        ),
    );
    server.route(
        "/img/big.jpg",
        Answer::Fixed(
            200,
            vec![("Content-Type".into(), "image/jpeg".into())],
            vec![0xff; 300_000],
        ),
    );
    server.route(
        "/img/page.png",
        Answer::ok("text/html", "<html>not an image</html>"),
    );
    let imgs = [
        "/img/a.png",
        "/img/same-as-a.png",
        "/img/big.jpg",
        "/img/404.png",
        "/img/page.png",
    ];
    let content: String = imgs
        .iter()
        .map(|i| format!("<p><img src=\"{}\"></p>", server.url(i)))
        .collect::<String>()
        + &format!("<p>{}</p>", PARAS.concat());
    let items = [TestItem {
        title: "图片",
        link: &server.url("/a/1"),
        guid: None,
        date: Some(DATE),
        content: &content,
    }];
    server.route("/feed", Answer::ok("application/rss+xml", rss(&items)));
    let cfg = config(
        tmp.path(),
        "fulltext = \"feed\"\nimages = \"local\"",
        &server.url("/feed"),
    );
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg).unwrap() + "\n[images]\nmax_bytes = 100000\n",
    )
    .unwrap();
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let assets: Vec<_> = std::fs::read_dir(tmp.path().join("archive/assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        assets.len(),
        1,
        "one copy of the repeated image: {assets:?}"
    );
    assert_eq!(std::fs::read(&assets[0]).unwrap(), png);
    let name = assets[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.ends_with(".png"));
    let text = article(tmp.path());
    assert_eq!(
        text.matches(&format!("data-local=\"../../assets/{name}\""))
            .count(),
        2,
        "{text}"
    );
    // Too large, missing, not an image: the original URL stays, and it is reported.
    for kept in ["/img/big.jpg", "/img/404.png", "/img/page.png"] {
        assert!(text.contains(&server.url(kept)), "{kept}: {text}");
    }
    assert!(
        err.contains("big.jpg") && err.contains("404.png") && err.contains("not an image"),
        "{err}"
    );
    // The relative path works from the article's folder.
    let resolved = tmp
        .path()
        .join("archive/articles/s")
        .join(format!("../../assets/{name}"));
    assert!(resolved.exists());
}

fn token_f1_parts(pred: &str, truth: &str) -> (f64, f64) {
    let count = |s: &str| {
        newsmirror::history::tokens(s)
            .into_iter()
            .filter(|t| t.chars().any(char::is_alphanumeric))
            .count() as f64
    };
    let f1 = token_f1(pred, truth);
    // precision = f1 * (|p| + |t|) / (2 |p|) for bag overlap; recover both from the overlap.
    let (np, nt) = (count(pred), count(truth));
    let inter = f1 * (np + nt) / 2.0;
    (inter / np.max(1.0), inter / nt.max(1.0))
}

/// Token F1 between two texts: CJK characters one token each, other words as runs.
fn token_f1(pred: &str, truth: &str) -> f64 {
    fn toks(s: &str) -> std::collections::HashMap<String, usize> {
        let mut m = std::collections::HashMap::new();
        for t in newsmirror::history::tokens(s) {
            if t.chars().any(char::is_alphanumeric) {
                *m.entry(t.to_string()).or_insert(0) += 1;
            }
        }
        m
    }
    let (p, t) = (toks(pred), toks(truth));
    let inter: usize = p
        .iter()
        .map(|(k, v)| (*v).min(*t.get(k).unwrap_or(&0)))
        .sum();
    let (np, nt): (usize, usize) = (p.values().sum(), t.values().sum());
    if inter == 0 {
        return 0.0;
    }
    let (pr, rc) = (inter as f64 / np as f64, inter as f64 / nt as f64);
    2.0 * pr * rc / (pr + rc)
}

#[test]
fn chinese_readability_pages() {
    let url = url::Url::parse("https://news.example/a.html").unwrap();
    let mut results = Vec::new();
    for name in ["qq", "gmw", "youth", "pixnet"] {
        let dir = fixtures().join("pages/readability").join(name);
        let src = std::fs::read(dir.join("source.html")).unwrap();
        let html = newsmirror::fetch::charset::decode(&src, None).text;
        let got = newsmirror::extract::extract(&html, &url, &Default::default()).unwrap();
        let expected = newsmirror::history::text_of_html(
            &std::fs::read_to_string(dir.join("expected.html")).unwrap(),
        );
        let f1 = token_f1(&got.text, &expected);
        eprintln!(
            "{name}: token F1 {f1:.3} (precision {:.3}, recall {:.3})",
            token_f1_parts(&got.text, &expected).0,
            token_f1_parts(&got.text, &expected).1
        );
        results.push((name, f1));
    }
    for (name, f1) in results {
        assert!(f1 >= 0.9, "{name}: F1 {f1:.3}");
    }
}

#[test]
fn extract_command_tries_rules_on_a_page_or_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route(
        "/a/1",
        Answer::ok(
            "text/html; charset=utf-8",
            page("标题", &PARAS, "/img/p0.png"),
        ),
    );
    let cfg = config(
        tmp.path(),
        "content_selector = \".post-content\"",
        &server.url("/feed"),
    );
    let c = cfg.to_str().unwrap();
    let out = newsmirror(&[
        "extract",
        "--config",
        c,
        "--source",
        "s",
        "--text",
        &server.url("/a/1"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(PARAS[0]) && !text.contains("图片说明文字") && !text.contains("栏目3"),
        "{text}"
    );
    // A saved file, the general extractor, cleaned HTML.
    let file = tmp.path().join("page.html");
    std::fs::write(&file, page("标题", &PARAS, "https://img.example/p.png")).unwrap();
    let out = newsmirror(&["extract", "--config", c, file.to_str().unwrap()]);
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(
        html.contains("<p>") && html.contains(PARAS[3]) && !html.contains("<script"),
        "{html}"
    );
    // An unknown source is a usage error.
    let out = newsmirror(&[
        "extract",
        "--config",
        c,
        "--source",
        "nope",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn extract_writes_one_file_per_input_and_reads_gzip() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.html");
    std::fs::write(&a, page("标题甲", &PARAS, "https://img.example/p.png")).unwrap();
    let b = tmp.path().join("b.html.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(page("标题乙", &PARAS[1..], "https://img.example/q.png").as_bytes())
        .unwrap();
    std::fs::write(&b, gz.finish().unwrap()).unwrap();
    let out_dir = tmp.path().join("out");
    // No config needed without --source.
    let out = command(&[
        "extract",
        "--format",
        "text",
        "--out",
        out_dir.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ])
    .current_dir(tmp.path())
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ta = std::fs::read_to_string(out_dir.join("a.txt")).unwrap();
    let tb = std::fs::read_to_string(out_dir.join("b.txt")).unwrap();
    // Paragraphs separated by blank lines, no headline, no navigation or comments.
    // (The figure's caption comes before them: figures are content.)
    assert!(ta.ends_with(&format!("{}\n", PARAS.join("\n\n"))), "{ta}");
    assert!(!ta.contains("标题甲") && !ta.contains("\n\n\n"), "{ta}");
    assert!(tb.contains(PARAS[1]) && !tb.contains("标题乙"), "{tb}");
    for t in [&ta, &tb] {
        assert!(!t.contains("栏目") && !t.contains("读者评论") && !t.contains("相关新闻"));
    }
    // HTML, one input to stdout.
    let out = command(&["extract", "--format", "html", a.to_str().unwrap()])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(html.contains(&format!("<p>{}</p>", PARAS[3])), "{html}");
    // Several inputs without --out: a usage error; a missing file: exit 1, named.
    let out = command(&["extract", a.to_str().unwrap(), b.to_str().unwrap()])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let missing = tmp.path().join("missing.html");
    let out = command(&[
        "extract",
        "--out",
        out_dir.to_str().unwrap(),
        missing.to_str().unwrap(),
        a.to_str().unwrap(),
    ])
    .current_dir(tmp.path())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.html"));
    assert!(
        out_dir.join("a.html").exists(),
        "the other input was still extracted"
    );
}
