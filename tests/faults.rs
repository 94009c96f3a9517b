//! Every misbehaving endpoint of the feed farm, served by loopback servers of our own, beside
//! good sources in one run.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";

fn good_feed(tag: &str) -> String {
    let titles = ["普京会金正恩", "朝俄签订防卫互助协定", "德国之声中文网报道"];
    let items: Vec<_> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                format!("{t}{tag}"),
                format!("https://example.org/{tag}/{i}"),
                format!("<p>{t}正文</p>"),
            )
        })
        .collect();
    let items: Vec<TestItem<'_>> = items
        .iter()
        .map(|(t, l, c)| TestItem {
            title: t,
            link: l,
            guid: None,
            date: Some(DATE),
            content: c,
        })
        .collect();
    rss(&items)
}

/// An RSS document from raw item XML, as the farm's special faults write them.
fn raw_rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>f</title><link>https://example.org/</link><description>fault</description>{items}</channel></rss>\n"
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn item(title: &str, link: &str, guid: &str, date: Option<&str>, content: &str) -> String {
    let date = date
        .map(|d| format!("<pubDate>{}</pubDate>", esc(d)))
        .unwrap_or_default();
    format!(
        "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{}</guid>{date}<description>{}</description></item>",
        esc(title),
        esc(link),
        esc(guid),
        esc(content)
    )
}

const EVIL_TITLES: [&str; 10] = [
    "../../../../etc/passwd",
    "..\\..\\windows\\system32",
    "a/b/c",
    "\u{1}控制字符",
    "",
    "",
    "   ",
    "CON",
    ".git",
    "标题]( javascript:alert(1) )",
];

fn gzip_bomb(inflated: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![b' '; 1 << 20];
    for _ in 0..inflated / block.len() {
        enc.write_all(&block).unwrap();
    }
    enc.finish().unwrap()
}

struct Fault {
    slug: &'static str,
    server: Server,
}

fn fault(slug: &'static str, answer: Answer) -> Fault {
    let server = Server::start();
    server.route("/feed", answer);
    Fault { slug, server }
}

#[test]
fn every_fault_beside_good_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let good = good_feed("good");
    let feed_answer = |body: &str| Answer::ok("application/rss+xml", body.as_bytes().to_vec());
    let gbk_text = good_feed("gbk").replace("encoding=\"UTF-8\"", "encoding=\"GBK\"");
    let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_text);
    let gbk2_text = good_feed("gbk2").replace(" encoding=\"UTF-8\"", "");
    let (gbk_undeclared, _, _) = encoding_rs::GBK.encode(&gbk2_text);
    let big5_text = good_feed("big5")
        .replace(" encoding=\"UTF-8\"", "")
        .replace("德国之声中文网报道", "臺灣新聞報導");
    let (big5, _, _) = encoding_rs::BIG5.encode(&big5_text);
    let laughs = {
        let mut ents = String::from("<!ENTITY lol \"lol\">");
        for k in 1..10 {
            let prev = if k > 1 {
                format!("lol{}", k - 1)
            } else {
                "lol".into()
            };
            ents.push_str(&format!(
                "<!ENTITY lol{k} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        format!(
            "<?xml version=\"1.0\"?><!DOCTYPE rss [{ents}]><rss version=\"2.0\"><channel><title>x</title><item><title>&lol9;</title><link>https://example.org/x</link></item></channel></rss>"
        )
    };
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><rss version=\"2.0\"><channel><title>x</title><item><title>&xxe;</title><link>https://example.org/xxe</link><description>&xxe;</description></item></channel></rss>";
    let xss: String = FARM_XSS
        .iter()
        .enumerate()
        .map(|(k, p)| {
            item(
                &format!("XSS {k} <script>alert('t{k}')</script>"),
                &format!("https://example.org/xss/{k}.html"),
                &format!("xss-{k}"),
                Some(DATE),
                p,
            )
        })
        .collect();
    let evil: String = EVIL_TITLES
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let t = if k == 4 {
                "长".repeat(5000)
            } else {
                t.to_string()
            };
            item(
                &t,
                &format!("https://example.org/evil/{k}.html?x=../../etc/passwd"),
                &format!("../../guid/{k}"),
                Some(DATE),
                &format!("<p>正文{k}</p>"),
            )
        })
        .collect();
    let dates: String = [
        None,
        Some("Tue, 19 Jun 2999 12:00:00 GMT"),
        Some("Thu, 01 Jan 1960 00:00:00 GMT"),
        Some("昨天"),
        Some("2024-06-19"),
        Some("2024-06-19T12:42:32.017Z"),
        Some("Wed, 32 Jun 2024 25:61:00 XYZ"),
    ]
    .iter()
    .enumerate()
    .map(|(k, d)| {
        item(
            &format!("日期{k}"),
            &format!("https://example.org/dates/{k}.html"),
            &format!("dates-{k}"),
            *d,
            &format!("<p>日期测试{k}</p>"),
        )
    })
    .collect();
    let dupes = [
        item(
            "同一篇文章",
            "https://example.org/dupe/1.html",
            "dupe-1",
            Some(DATE),
            "<p>重复</p>",
        ),
        item(
            "同一篇文章",
            "https://example.org/dupe/1.html?utm_source=rss&utm_medium=feed",
            "dupe-1b",
            Some(DATE),
            "<p>重复</p>",
        ),
        item(
            "同一篇文章 ",
            "https://example.org/dupe/1.html#top",
            "dupe-1",
            Some(DATE),
            "<p>重复</p>",
        ),
    ]
    .concat();

    let faults = vec![
        fault("f500", Answer::status(500)),
        fault("f404", Answer::status(404)),
        fault(
            "slow",
            Answer::Drip(good.as_bytes()[..400].to_vec(), Duration::from_secs(2)),
        ),
        fault("hang", Answer::Hang),
        fault("reset", Answer::Reset(good.as_bytes().to_vec(), 200)),
        fault("truncated", Answer::Truncated(good.as_bytes().to_vec())),
        fault(
            "huge",
            Answer::Endless(
                b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>".to_vec(),
                format!("<item><title>{}</title></item>\n", "大".repeat(1000)).into_bytes(),
            ),
        ),
        fault(
            "gzip-bomb",
            Answer::Fixed(
                200,
                vec![
                    ("Content-Type".into(), "application/rss+xml".into()),
                    ("Content-Encoding".into(), "gzip".into()),
                ],
                gzip_bomb(256 << 20),
            ),
        ),
        fault(
            "redirect-loop",
            Answer::Fixed(302, vec![("Location".into(), "/feed".into())], vec![]),
        ),
        fault(
            "not-xml",
            Answer::ok(
                "text/html; charset=utf-8",
                "<html><body>这不是 feed</body></html>",
            ),
        ),
        fault(
            "bad-xml",
            feed_answer(&good.replacen("</item>", "</itm>", 2)[..good.len() - 40]),
        ),
        fault("empty", Answer::ok("application/rss+xml", "")),
        fault("gbk", Answer::ok("application/rss+xml", gbk.to_vec())),
        fault(
            "gbk-undeclared",
            Answer::ok("application/rss+xml", gbk_undeclared.to_vec()),
        ),
        fault(
            "big5",
            Answer::ok("application/rss+xml; charset=big5", big5.to_vec()),
        ),
        fault("billion-laughs", feed_answer(&laughs)),
        fault("xxe", feed_answer(xxe)),
        fault("xss", feed_answer(&raw_rss(&xss))),
        fault("evil-names", feed_answer(&raw_rss(&evil))),
        fault("dates", feed_answer(&raw_rss(&dates))),
        fault("dupes", feed_answer(&raw_rss(&dupes))),
    ];
    let good_server = Server::start();
    good_server.route("/feed", feed_answer(&good));
    std::fs::write(tmp.path().join("local.xml"), good_feed("local")).unwrap();

    let urls: Vec<(String, String)> = faults
        .iter()
        .map(|f| (f.slug.to_string(), f.server.url("/feed")))
        .collect();
    let good_url = good_server.url("/feed");
    let mut sources: Vec<(&str, &str, Vec<&str>)> = vec![
        ("good-http", "好 HTTP", vec![good_url.as_str()]),
        ("good-file", "好 文件", vec!["local.xml"]),
    ];
    for (slug, url) in &urls {
        sources.push((slug.as_str(), slug.as_str(), vec![url.as_str()]));
    }
    let sources: Vec<(&str, &str, &[&str])> = sources
        .iter()
        .map(|(a, b, c)| (*a, *b, c.as_slice()))
        .collect();
    let timeout = 5;
    let cfg = write_config(
        tmp.path(),
        &format!("[fetch]\ntimeout = \"{timeout}s\"\nconnect_timeout = \"2s\""),
        &sources,
    );

    let started = Instant::now();
    let (code, out, err) = update(&cfg);
    let elapsed = started.elapsed();
    let rss_kb = peak_child_rss_kb();
    eprintln!("{out}\n{err}\nelapsed {elapsed:?}, peak RSS {rss_kb} KB");

    assert_eq!(code, 1, "some sources failed: exit 1");
    assert!(
        elapsed < Duration::from_secs(timeout + 4),
        "the run took {elapsed:?}"
    );
    assert!(rss_kb < 256 * 1024, "peak RSS {rss_kb} KB");

    // Each failed source is named with its cause, in words.
    let cause = |slug: &str, words: &[&str]| {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("source {slug} ")))
            .unwrap_or_else(|| panic!("no error line for {slug}:\n{err}"));
        assert!(words.iter().any(|w| line.contains(w)), "{slug}: {line}");
    };
    cause("f500", &["HTTP 500"]);
    cause("f404", &["HTTP 404"]);
    cause("slow", &["timed out"]);
    cause("hang", &["timed out"]);
    cause("reset", &["connection", "reset", "closed"]);
    cause(
        "truncated",
        &["connection", "closed", "incomplete", "message"],
    );
    cause("huge", &["larger than the limit"]);
    cause("gzip-bomb", &["larger than the limit"]);
    cause("redirect-loop", &["too many redirects"]);
    cause("not-xml", &["not a feed"]);
    cause("empty", &["empty"]);
    for ok in [
        "good-http",
        "good-file",
        // Malformed but recoverable (end tags misspelt, the end cut off): read as feedparser
        // reads it (issue 13).
        "bad-xml",
        "gbk",
        "gbk-undeclared",
        "big5",
        "xss",
        "evil-names",
        "dates",
        "dupes",
    ] {
        assert!(
            !err.contains(&format!("source {ok} ")),
            "{ok} should succeed:\n{err}"
        );
    }

    let archive = tmp.path().join("archive");
    let files = markdown_files(&archive.join("articles"));
    let count = |slug: &str| {
        files
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{slug}/")))
            .count()
    };
    assert_eq!(count("good-http"), 3);
    assert_eq!(count("good-file"), 3);
    // Its end cut off inside the third item, always, with a `Content-Length` (the server
    // sends it whole): every item is archived as it stands, the third too, or it would be lost
    // for good. (A body cut by a closing connection is another case: tests/nothing_lost.rs.)
    assert_eq!(count("bad-xml"), 3);
    // Charsets: correct titles and text.
    let text_of = |slug: &str| {
        files
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{slug}/")))
            .map(|(_, t)| t.as_str())
            .collect::<String>()
    };
    assert!(
        text_of("gbk").contains("[普京会金正恩gbk](")
            && text_of("gbk").contains("<p>朝俄签订防卫互助协定正文</p>")
    );
    assert!(text_of("gbk-undeclared").contains("[德国之声中文网报道gbk2]("));
    assert!(
        text_of("big5").contains("[臺灣新聞報導big5](")
            && text_of("big5").contains("<p>臺灣新聞報導正文</p>")
    );
    // No entity was expanded, nothing of /etc/passwd anywhere.
    for (k, t) in &files {
        assert!(!t.contains("lollollol"), "{k}: expanded entity");
        assert!(!t.contains("root:x:0"), "{k}: external entity");
    }
    // Evil names: ordinary numbered files inside the source's folder; every one archived.
    let evil_names: Vec<&str> = files
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("evil-names/"))
        .collect();
    assert_eq!(evil_names.len(), EVIL_TITLES.len(), "{evil_names:?}");
    assert!(evil_names.iter().all(|n| n.len() == 10
        && n[..7].chars().all(|c| c.is_ascii_digit())
        && n.ends_with(".md")));
    let top: Vec<String> = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        top.iter().all(|n| [
            "articles",
            "lists",
            "feeds",
            "changes",
            "README.md",
            ".newsmirror"
        ]
        .contains(&n.as_str())),
        "{top:?}"
    );
    assert!(!tmp.path().join("etc").exists());
    // Every undated or oddly dated item archived; the three dupes are one article.
    assert_eq!(count("dates"), 7);
    assert_eq!(count("dupes"), 1);
    assert_eq!(count("xss"), FARM_XSS.len());
    // A second run over the same faults gives no new article and no corruption.
    let (code, out, _) = update(&cfg);
    assert_eq!(code, 1);
    assert!(out.contains("update: 0 new articles"), "{out}");
}
