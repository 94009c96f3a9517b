//! Identity through the binary, row by row of the decision table (ARCHITECTURE.md,
//! "Identity"), on loopback feeds; real feeds archived without new duplicates; and edits that
//! never degrade an article (a teaser never replaces full text; a failed job keeps content).

mod common;

use std::path::Path;

use common::server::{Answer, Server};
use common::*;

/// One RSS item, raw XML (guid, link, title, description, enclosure each optional).
struct It<'a> {
    guid: Option<&'a str>,
    link: Option<&'a str>,
    title: Option<&'a str>,
    date: &'a str,
    text: &'a str,
    enclosure: Option<&'a str>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn feed(items: &[It<'_>]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link><description>d</description>\n",
    );
    for it in items {
        out.push_str("<item>");
        if let Some(t) = it.title {
            out.push_str(&format!("<title>{}</title>", esc(t)));
        }
        if let Some(l) = it.link {
            out.push_str(&format!("<link>{}</link>", esc(l)));
        }
        if let Some(g) = it.guid {
            out.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", esc(g)));
        }
        if let Some(e) = it.enclosure {
            out.push_str(&format!(
                "<enclosure url=\"{}\" length=\"1000\" type=\"audio/mpeg\"/>",
                esc(e)
            ));
        }
        out.push_str(&format!(
            "<pubDate>{}</pubDate><description>{}</description></item>\n",
            it.date,
            esc(it.text)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

fn day(d: usize) -> String {
    chrono::DateTime::from_timestamp(1_718_000_000 + d as i64 * 86_400, 0)
        .unwrap()
        .to_rfc2822()
}

/// Distinct news texts, long enough to be compared.
fn story(i: usize) -> String {
    let topics = [
        "市政府宣布新的交通管制措施，地铁将延长运营时间",
        "台风预计明晚登陆沿海地区，气象部门发布橙色预警",
        "央行宣布下调存款准备金率，释放长期资金约一万亿元",
        "国家队在亚洲杯决赛中点球取胜，时隔二十年再夺冠军",
        "科学家在南极冰层下发现新的微生物群落，研究仍在继续",
        "多地高温突破历史纪录，电网负荷创下新高，部分地区限电",
        "新的个人所得税法草案公开征求意见，起征点拟提高",
        "考古队在古城遗址发掘出大量青铜器，年代可追溯至商代",
    ];
    format!("<p>{}。第{i}期。</p>", topics[i % topics.len()])
}

/// Runs `update` on `body`, served on loopback (three times: again, and on a database rebuilt
/// from the files) and returns the number of article files after the first and the last.
fn archive_feed(dir: &Path, body: &str) -> (usize, usize) {
    let server = Server::start();
    server.route("/feed", Answer::ok("application/rss+xml", body.to_string()));
    let url = server.url("/feed");
    let cfg = write_config(dir, "", &[("s", "S", &[url.as_str()])]);
    let count = || {
        std::fs::read_dir(dir.join("archive/articles/s"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let first = count();
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("update: 0 new"), "a rerun adds nothing: {out}");
    delete_database(&dir.join("archive"));
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    (first, count())
}

/// Whether no edit was logged: no change log, and no `edited` line in the journal (which
/// holds the identity evidence of every article too).
fn no_edits(archive: &Path) -> bool {
    std::fs::read_dir(archive.join("changes"))
        .map(|d| {
            d.map(|e| e.unwrap().path()).all(|p| {
                p.extension().is_some_and(|x| x == "jsonl")
                    && !std::fs::read_to_string(&p)
                        .unwrap()
                        .contains("\"kind\":\"edited\"")
            })
        })
        .unwrap_or(true)
}

#[test]
fn daily_bulletins_with_one_title_are_distinct_articles() {
    let tmp = tempfile::tempdir().unwrap();
    let (links, dates, texts): (Vec<String>, Vec<String>, Vec<String>) = (0..7)
        .map(|d| (format!("https://x.example/brief/{d}"), day(d), story(d)))
        .fold((vec![], vec![], vec![]), |mut acc, (l, d, t)| {
            acc.0.push(l);
            acc.1.push(d);
            acc.2.push(t);
            acc
        });
    let items: Vec<It<'_>> = (0..7)
        .map(|d| It {
            guid: Some(&links[d]),
            link: Some(&links[d]),
            title: Some("每日新闻简报"),
            date: &dates[d],
            text: &texts[d],
            enclosure: None,
        })
        .collect();
    assert_eq!(archive_feed(tmp.path(), &feed(&items)), (7, 7));
}

#[test]
fn a_constant_guid_is_not_an_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let links: Vec<String> = (0..5).map(|i| format!("https://x.example/a/{i}")).collect();
    let texts: Vec<String> = (0..5).map(story).collect();
    let titles: Vec<String> = (0..5).map(|i| format!("标题{i}")).collect();
    let date = day(0);
    let items: Vec<It<'_>> = (0..5)
        .map(|i| It {
            guid: Some("https://x.example/feed"),
            link: Some(&links[i]),
            title: Some(&titles[i]),
            date: &date,
            text: &texts[i],
            enclosure: None,
        })
        .collect();
    assert_eq!(archive_feed(tmp.path(), &feed(&items)), (5, 5));
    // Nothing was logged as an edit.
    assert!(no_edits(&tmp.path().join("archive")));
}

#[test]
fn a_podcast_with_one_link_keeps_every_episode() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 40;
    let guids: Vec<String> = (0..n).map(|i| format!("episode-{i}")).collect();
    let encl: Vec<String> = (0..n)
        .map(|i| format!("https://cdn.example/ep{i}.mp3"))
        .collect();
    let titles: Vec<String> = (0..n).map(|i| format!("第{i}集")).collect();
    let dates: Vec<String> = (0..n).map(day).collect();
    let texts: Vec<String> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                "<p>欢迎收听本节目。</p>".to_string()
            } else {
                story(i)
            }
        })
        .collect();
    let items: Vec<It<'_>> = (0..n)
        .map(|i| It {
            guid: Some(&guids[i]),
            link: Some("https://podcast.example/"),
            title: Some(&titles[i]),
            date: &dates[i],
            text: &texts[i],
            enclosure: Some(&encl[i]),
        })
        .collect();
    assert_eq!(archive_feed(tmp.path(), &feed(&items)), (n, n));
}

#[test]
fn items_with_only_a_description_are_known_by_their_text() {
    let tmp = tempfile::tempdir().unwrap();
    let texts: Vec<String> = (0..3).map(story).collect();
    let date = day(0);
    let items: Vec<It<'_>> = texts
        .iter()
        .map(|t| It {
            guid: None,
            link: None,
            title: None,
            date: &date,
            text: t,
            enclosure: None,
        })
        .collect();
    assert_eq!(archive_feed(tmp.path(), &feed(&items)), (3, 3));
}

/// True repeats stay single: the same story under a new guid (same link and text), and the
/// same title and text under a new URL slug.
#[test]
fn true_repeats_stay_single() {
    let tmp = tempfile::tempdir().unwrap();
    let text = story(0);
    let date = day(0);
    let first = [It {
        guid: Some("guid-1"),
        link: Some("https://x.example/news/slug-1"),
        title: Some("交通管制"),
        date: &date,
        text: &text,
        enclosure: None,
    }];
    let server = Server::start();
    server.route("/feed", Answer::ok("application/rss+xml", feed(&first)));
    let url = server.url("/feed");
    let cfg = write_config(tmp.path(), "", &[("s", "S", &[url.as_str()])]);
    assert_eq!(update(&cfg).0, 0);
    for (label, guid, link) in [
        ("new guid", "guid-2", "https://x.example/news/slug-1"),
        ("new slug", "guid-3", "https://x.example/news/slug-2"),
    ] {
        let again = [It {
            guid: Some(guid),
            link: Some(link),
            ..first[0]
        }];
        server.route("/feed", Answer::ok("application/rss+xml", feed(&again)));
        let (code, out, err) = update(&cfg);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("update: 0 new"), "{label}: {out}");
        assert_eq!(
            std::fs::read_dir(tmp.path().join("archive/articles/s"))
                .unwrap()
                .count(),
            1,
            "{label}"
        );
    }
    assert!(no_edits(&tmp.path().join("archive")), "no edit");
}

/// The real feeds of Chinese outlets (`../shared/fixtures/feeds/exposir-rss`): one article per
/// distinct article (BBC lists 36 of its articles twice, ids ending `#0`/`#1`; the New York
/// Times lists one article twice, under its old and its new URL slug, same title and text),
/// and none added on a rebuilt database.
#[test]
fn real_feeds_are_not_newly_duplicated() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/feeds/exposir-rss/feeds");
    if !dir.exists() {
        println!("SKIP: {} not found (needs ../shared)", dir.display());
        return;
    }
    for (name, distinct) in [
        ("bbc-zh-home.json", 67),
        ("dw.json", 101),
        ("nyt-world.json", 132),
        ("zaobao.json", 196),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let body = std::fs::read_to_string(dir.join(name)).unwrap();
        let got = archive_feed(tmp.path(), &body);
        assert_eq!(got, (distinct, distinct), "{name}");
    }
}

/// An article archived from its page keeps its full text when the page fails and the feed's
/// teaser changes; the page is tried again on a later run; a job that panics keeps content.
#[test]
fn a_teaser_never_replaces_full_text() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let page_text = "普京周三凌晨抵达平壤，对朝鲜进行为期两天的国事访问。".repeat(20);
    let page = format!(
        "<html><head><title>普京访朝</title></head><body><article><h1>普京访朝</h1><p>{page_text}</p><p>{page_text}</p></article></body></html>"
    );
    server.route("/a/1", Answer::ok("text/html; charset=utf-8", page.clone()));
    let link = server.url("/a/1");
    let teaser = |t: &str| {
        rss(&[TestItem {
            title: "普京访朝",
            link: &link,
            guid: Some(&link),
            date: Some("Wed, 19 Jun 2024 12:47:03 GMT"),
            content: t,
        }])
    };
    server.route(
        "/feed",
        Answer::ok("application/rss+xml", teaser("<p>普京抵达平壤…</p>")),
    );
    let feed = server.url("/feed");
    std::fs::write(
        tmp.path().join("newsmirror.toml"),
        format!(
            "[archive]\ndir = \"archive\"\n[fetch]\nretries = 0\ntimeout = \"3s\"\n[[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"auto\"\nfeeds = [\"{feed}\"]\n"
        ),
    )
    .unwrap();
    let cfg = tmp.path().join("newsmirror.toml");
    assert_eq!(update(&cfg).0, 0);
    let file = tmp.path().join("archive/articles/s/1048574.md");
    let full = std::fs::read_to_string(&file).unwrap();
    assert!(full.contains("国事访问") && full.len() > 1000, "{full}");

    // The page fails, the teaser changes: nothing changes, and the page is tried again.
    for fail in [Answer::status(404), Answer::status(503), Answer::Hang] {
        server.route("/a/1", fail);
        server.route(
            "/feed",
            Answer::ok(
                "application/rss+xml",
                teaser("<p>普京抵达平壤（更新）…</p>"),
            ),
        );
        let hits = server.hits("/a/1");
        let (code, out, err) = update(&cfg);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), full);
        assert!(server.hits("/a/1") > hits, "the page is tried again");
    }
    // The page is back, unchanged: no new revision, and the next run fetches nothing.
    server.route("/a/1", Answer::ok("text/html; charset=utf-8", page.clone()));
    assert_eq!(update(&cfg).0, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), full);
    let hits = server.hits("/a/1");
    assert_eq!(update(&cfg).0, 0);
    assert_eq!(
        server.hits("/a/1"),
        hits,
        "an unchanged teaser costs no page request"
    );
    let out = newsmirror(&[
        "history",
        "--json",
        "--config",
        cfg.to_str().unwrap(),
        "s/1048574",
    ]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(h["revisions"].as_array().unwrap().len(), 1, "{h}");

    // A completing job that panics keeps the content the article had.
    if has_failpoints() {
        server.route(
            "/feed",
            Answer::ok(
                "application/rss+xml",
                teaser("<p>普京抵达平壤（再次更新）…</p>"),
            ),
        );
        let out = command(&["update", "--config", cfg.to_str().unwrap()])
            .env("FAILPOINTS", "enrich::job=panic")
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "no crash: {out:?}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), full);
        // A new article whose job panics keeps the feed's content.
        let link2 = server.url("/a/2");
        let two = rss(&[TestItem {
            title: "新文章",
            link: &link2,
            guid: Some(&link2),
            date: Some("Wed, 19 Jun 2024 13:47:03 GMT"),
            content: "<p>只有摘要的新文章…</p>",
        }]);
        server.route("/feed", Answer::ok("application/rss+xml", two));
        let out = command(&["update", "--config", cfg.to_str().unwrap()])
            .env("FAILPOINTS", "enrich::job=panic")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let new =
            std::fs::read_to_string(tmp.path().join("archive/articles/s/1048573.md")).unwrap();
        assert!(new.contains("只有摘要的新文章"), "{new}");
    } else {
        println!("SKIP: built without the failpoints feature: the panic case did not run");
    }
}
