//! The reader under the black-box findings of the attack on issue 15 (F1–F13 of
//! /work/coord/attack-reader.md): each test failed before its fix. Spawns the binary on temp
//! dirs against a loopback server; nothing leaves the machine.

mod common;

use std::path::Path;
use std::time::Duration;

use common::server::{Answer, Server};
use common::web::{get, get_with, serve};
use common::*;

/// A tiny valid PNG (1×1).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

fn item<'a>(
    title: &'a str,
    link: &'a str,
    date: Option<&'a str>,
    content: &'a str,
) -> TestItem<'a> {
    TestItem {
        title,
        link,
        guid: Some(link),
        date,
        content,
    }
}

/// The id of the article titled `title` in the list file of source `name`.
fn id_of(dir: &Path, name: &str, title: &str) -> i64 {
    let text = std::fs::read_to_string(dir.join(format!("archive/lists/{name}.md"))).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(title))
        .unwrap_or_else(|| panic!("{title} not in {text}"));
    let at = line.find(".md)").unwrap();
    let start = line[..at].rfind('/').unwrap() + 1;
    line[start..at].parse().unwrap()
}

fn site(cfg: &Path, out: &Path) -> (String, String) {
    let o = newsmirror(&[
        "site",
        "--config",
        cfg.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// F1 (Last-Modified moves with a new, back-dated article), F2 (distinct `updated`, also for
/// dateless items), F3 (served feeds' images through the proxy), F4 (the outlet's own site).
#[test]
fn feeds_change_with_each_new_article_name_their_outlet_and_proxy_images() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route("/img/ok.png", Answer::ok("image/png", PNG));
    let body1 = format!(
        "<p>第一篇文章的内容。</p><img src=\"{}\">",
        server.url("/img/ok.png")
    );
    let mut items = vec![
        item(
            "第一篇",
            "https://outlet.example/a/1",
            Some("Thu, 20 Jun 2024 08:00:00 GMT"),
            &body1,
        ),
        item(
            "無日期之一",
            "https://outlet.example/a/2",
            None,
            "<p>沒有日期的報導之一。</p>",
        ),
        item(
            "無日期之二",
            "https://outlet.example/a/3",
            None,
            "<p>沒有日期的報導之二。</p>",
        ),
    ];
    server.route("/news", Answer::ok("application/rss+xml", rss(&items)));
    let feed = server.url("/news");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0\n[web]\nbase_url = \"https://mirror.example/news/\"",
        &[("news", "新闻台", &[feed.as_str()])],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let s = serve(&cfg);
    let atom = get(&s, "/feeds/news.atom");
    assert_eq!(atom.status, 200);
    let b = &atom.body;
    // F2: every entry its own `updated` (the dateless two were archived in the same run).
    let updated: Vec<&str> = b
        .split("<entry>")
        .skip(1)
        .map(|e| {
            let at = e.find("<updated>").unwrap() + "<updated>".len();
            &e[at..at + e[at..].find('<').unwrap()]
        })
        .collect();
    assert_eq!(updated.len(), 3, "{b}");
    let mut distinct = updated.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{updated:?}");
    let json: serde_json::Value = serde_json::from_str(&get(&s, "/feeds/news.json").body).unwrap();
    let modified: std::collections::BTreeSet<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["date_modified"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(modified.len(), 3, "{json}");
    // F4: the outlet is its articles' site, not the feed's host (nor invalid.example).
    assert!(b.contains("<uri>https://outlet.example/</uri>"), "{b}");
    assert!(!b.contains("invalid.example"), "{b}");
    assert_eq!(json["authors"][0]["url"], "https://outlet.example/");
    // F3: images through this server's proxy, as full URLs under its public address.
    assert!(
        b.contains("img src=&quot;https://mirror.example/news/img/"),
        "{b}"
    );
    assert!(!b.contains("src=&quot;http://127.0.0.1"), "{b}");
    let rss_out = get(&s, "/feeds/news.rss").body;
    assert!(
        rss_out.contains("https://mirror.example/news/img/"),
        "{rss_out}"
    );

    // F1: an article archived now that says it was published years ago changes the feed.
    let lm = atom.header("last-modified").to_string();
    assert!(lm.ends_with(" GMT"), "{lm}");
    std::thread::sleep(Duration::from_millis(1100));
    items.push(item(
        "新增的舊聞",
        "https://outlet.example/a/4",
        Some("Mon, 20 Jul 2020 08:00:00 GMT"),
        "<p>這是第四篇新增的繁體報導。</p>",
    ));
    server.route("/news", Answer::ok("application/rss+xml", rss(&items)));
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let again = get_with(&s, "/feeds/news.atom", &[("If-Modified-Since", &lm)]);
    assert_eq!(
        again.status, 200,
        "a client that asks by date misses the new article"
    );
    assert!(again.body.contains("新增的舊聞"));
    assert_ne!(again.header("last-modified"), lm);
    let feed_updated = |b: &str| {
        let at = b.find("<updated>").unwrap() + 9;
        b[at..at + 19].to_string()
    };
    assert_ne!(
        feed_updated(&again.body),
        feed_updated(b),
        "feed-level updated"
    );
}

/// F11 (images on private addresses left out of the static site), F12 (a removed source's
/// pages, feeds and search entries go), F4 (a warning when `site` has no base_url).
#[test]
fn the_static_site_forgets_a_removed_source_and_leaves_private_images_out() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let news = [item(
        "本地图片",
        "https://outlet.example/n/1",
        Some("Thu, 20 Jun 2024 08:00:00 GMT"),
        "<p>图片在内网。</p><img src=\"http://127.0.0.1:9/secret.png\"><img src=\"http://10.1.2.3/lan.png\"><img src=\"http://localhost/x.png\"><img src=\"https://cdn.example/public.jpg\">",
    )];
    let gone = [item(
        "將被移除的來源文章",
        "https://gone.example/g/1",
        Some("Thu, 20 Jun 2024 09:00:00 GMT"),
        "<p>這個來源之後會被移除，讀者不應再看見。</p>",
    )];
    server.route("/news", Answer::ok("application/rss+xml", rss(&news)));
    server.route("/gone", Answer::ok("application/rss+xml", rss(&gone)));
    let (n, g) = (server.url("/news"), server.url("/gone"));
    let fetch = "[fetch]\ntimeout = \"2s\"\nretries = 0";
    let cfg = write_config(
        tmp.path(),
        fetch,
        &[
            ("news", "新闻台", &[n.as_str()]),
            ("gone", "将移除", &[g.as_str()]),
        ],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let out_dir = tmp.path().join("out");
    let (_, stderr) = site(&cfg, &out_dir);
    assert!(stderr.contains("base_url"), "no warning: {stderr}");
    let gid = id_of(tmp.path(), "将移除", "將被移除");
    assert!(out_dir.join(format!("s/gone/{gid}.html")).is_file());
    assert!(out_dir.join("feeds/gone.atom").is_file());
    let nid = id_of(tmp.path(), "新闻台", "本地图片");
    let page = std::fs::read_to_string(out_dir.join(format!("s/news/{nid}.html"))).unwrap();
    for private in ["127.0.0.1:9", "10.1.2.3", "localhost/x.png"] {
        assert!(!page.contains(private), "{private} in {page}");
    }
    assert!(page.contains("https://cdn.example/public.jpg"), "{page}");

    // The source is removed from the config: the next build takes its files away.
    let cfg = write_config(tmp.path(), fetch, &[("news", "新闻台", &[n.as_str()])]);
    let (stdout, _) = site(&cfg, &out_dir);
    assert!(stdout.contains("removed"), "{stdout}");
    assert!(!out_dir.join("s/gone").exists(), "its pages stay");
    for kind in ["atom", "rss", "json"] {
        assert!(!out_dir.join(format!("feeds/gone.{kind}")).exists());
    }
    assert!(out_dir.join(format!("s/news/{nid}.html")).is_file());
    for f in files_under(&out_dir.join("search")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(
            !text.contains("將被移除") && !text.contains("\"gone\""),
            "{} still names the removed source",
            f.display()
        );
    }
    let all = std::fs::read_to_string(out_dir.join("feeds/all.atom")).unwrap();
    assert!(!all.contains("將被移除"), "{all}");
    // A third build changes nothing and removes nothing more.
    let (stdout, _) = site(&cfg, &out_dir);
    assert!(stdout.contains(" 0 removed"), "{stdout}");
}

/// The data-playable player of BBC pages (abridged from the compat fixture).
const BBC_PLAYER: &str = r#"<p>正文第一段。</p><div class="media-with-caption"><div class="player-with-placeholder"><img class="media-placeholder" src="https://ichef.example/p07g1zpb.jpg"><div class="player-with-placeholder__caption">你的器材不支持播放多媒体材料</div><div class="media-player-wrapper"><div class="js-media-player-unprocessed media-player" data-playable='{"settings":{"externalEmbedUrl":"https:\/\/www.bbc.com\/zhongwen\/simp\/uk-53470961\/embed","playlistObject":{"title":"\u65b0\u7586\u7ef4\u543e\u5c14\u4eba","items":[{"kind":"programme"}]}}}'></div></div></div><figcaption class="media-with-caption__caption">新疆维吾尔人</figcaption></div><p>正文第二段。</p>"#;

const MEDIA: &str = r#"<p>媒体测试。</p><video poster="https://cdn.example/poster.jpg"><source src="https://cdn.example/v.webm" type="video/webm"><source src="https://cdn.example/v.mp4" type="video/mp4"></video><embed src="https://cdn.example/clip.mp4"><iframe src="https://www.youtube.com/embed/abc123" title="示威现场"></iframe><iframe src="https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2Fx%2Fvideos%2F1%2F"></iframe>"#;

/// F5 (BBC's players say there was a video), F6 (dead links are text; a host ending in `%20`
/// is repaired), F7 (the revision badge leads to the history), F9 (every source of a video,
/// embedded files as players, embeds linking to the video's page), F10 (zh-Hant, Japanese,
/// English told apart, the same on lists and articles), F13 (italics visible with CJK fonts).
#[test]
fn article_pages_keep_media_links_and_languages() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let d = |h: u32| format!("Tue, 21 Jul 2020 {h:02}:00:00 GMT");
    let dates: Vec<String> = (0..9).map(d).collect();
    let feed = |edited: bool| {
        let nyt = if edited {
            "<p>纽约时报文章，已修订。</p><p><a href=\"http://www.nytimes.com%20/2020/06/24/world/x.html\">点击查看本文英文版。</a><a href=\"javascript:void(0)\">死链接</a></p>"
        } else {
            "<p>纽约时报文章。</p><p><a href=\"http://www.nytimes.com%20/2020/06/24/world/x.html\">点击查看本文英文版。</a><a href=\"javascript:void(0)\">死链接</a></p>"
        };
        rss(&[
            item(
                "BBC视频",
                "https://bbc.example/1",
                Some(&dates[0]),
                BBC_PLAYER,
            ),
            item("纽约时报", "https://nyt.example/2", Some(&dates[1]), nyt),
            item("媒体测试", "https://m.example/3", Some(&dates[2]), MEDIA),
            item(
                "港聞速遞",
                "https://h.example/4",
                Some(&dates[3]),
                "<p>今日上午，一名男子在中環被捕。警方表示，事件仍在調查中，暫時未有人受傷。</p>",
            ),
            item(
                "学者评论台湾局势",
                "https://h.example/5",
                Some(&dates[4]),
                "<p>这是一篇简体文章。</p><blockquote><p>「我們認為，兩岸關係的發展需要雙方共同努力，這是歷史給我們的責任，也是對人民的承諾。無論遇到什麼困難，我們都會堅持對話。」</p></blockquote><p>他说完后离开。</p>",
            ),
            item(
                "東京都知事選挙",
                "https://h.example/6",
                Some(&dates[5]),
                "<p>東京都知事選挙は7月5日に投開票が行われ、現職の小池百合子氏が再選されました。投票率は前回を下回りました。</p>",
            ),
            item(
                "English body 標題繁體",
                "https://h.example/7",
                Some(&dates[6]),
                "<p>The government announced new measures on Monday. Officials said the rules would take effect next week.</p>",
            ),
        ])
    };
    server.route("/news", Answer::ok("application/rss+xml", feed(false)));
    let url = server.url("/news");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0",
        &[("news", "新闻台", &[url.as_str()])],
    );
    // BBC's rules as examples/outlets.toml ships them (they hide the empty player).
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "hide_selectors = [\".off-screen\", \".player-with-placeholder__caption\", \".media-player\"]\n";
    std::fs::write(&cfg, text).unwrap();
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    std::thread::sleep(Duration::from_millis(1100));
    server.route("/news", Answer::ok("application/rss+xml", feed(true)));
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let id = |t: &str| id_of(tmp.path(), "新闻台", t);
    let s = serve(&cfg);
    let page = |t: &str| {
        let p = get(&s, &format!("/s/news/{}", id(t)));
        assert_eq!(p.status, 200);
        p.body
    };

    // F5
    let bbc = page("BBC视频");
    assert!(
        bbc.contains("href=\"https://www.bbc.com/zhongwen/simp/uk-53470961/embed\"")
            && bbc.contains("视频：新疆维吾尔人"),
        "{bbc}"
    );
    // F6
    let nyt = page("纽约时报");
    assert!(
        nyt.contains("href=\"http://www.nytimes.com/2020/06/24/world/x.html\""),
        "{nyt}"
    );
    let doc = dom_query::Document::from(nyt.as_str());
    assert!(doc.select(".content a:not([href])").is_empty(), "{nyt}");
    assert!(nyt.contains("死链接"));
    // F7
    let n = id("纽约时报");
    let v1 = get(&s, &format!("/s/news/{n}-v1"));
    assert_eq!(v1.status, 200);
    assert!(
        v1.body.contains(&format!(
            "class=\"badge edited\" href=\"/s/news/{n}#history\""
        )),
        "{}",
        v1.body
    );
    let v2 = get(&s, &format!("/s/news/{n}-v2"));
    assert_eq!(v2.status, 200, "the newest version's number");
    assert!(v2.body.contains("id=\"history\""));
    // F9
    let media = page("媒体测试");
    let doc = dom_query::Document::from(media.as_str());
    let sources: Vec<String> = doc
        .select("video source")
        .nodes()
        .iter()
        .filter_map(|n| n.attr("src").map(|s| s.to_string()))
        .collect();
    assert!(
        sources.contains(&"https://cdn.example/v.webm".to_string())
            && sources.contains(&"https://cdn.example/v.mp4".to_string()),
        "{media}"
    );
    assert!(
        media.contains("<a href=\"https://cdn.example/v.mp4\">视频文件</a>"),
        "{media}"
    );
    assert!(
        doc.select("video source[src=\"https://cdn.example/clip.mp4\"]")
            .length()
            == 1
            || doc
                .select("video[src=\"https://cdn.example/clip.mp4\"]")
                .length()
                == 1,
        "embedded file not a player: {media}"
    );
    assert!(
        media.contains("href=\"https://www.youtube.com/watch?v=abc123\"")
            && media.contains("视频：示威现场"),
        "{media}"
    );
    assert!(
        media.contains("href=\"https://www.facebook.com/x/videos/1/\""),
        "{media}"
    );
    // F10: lists and articles agree on titles; the text's own language on the content.
    let list = get(&s, "/s/news/").body;
    let tagged = |html: &str, text: &str, lang: &str| {
        let at = html
            .find(text)
            .unwrap_or_else(|| panic!("{text} not in {html}"));
        let open = html[..at].rfind('<').unwrap();
        html[open..at].contains(&format!("lang=\"{lang}\""))
    };
    assert!(tagged(&list, "港聞速遞", "zh-Hant"), "{list}");
    assert!(!tagged(&list, "English body", "zh-Hant"), "{list}");
    assert!(!tagged(&list, "学者评论台湾局势", "zh-Hant"), "{list}");
    let hk = page("港聞速遞");
    assert!(hk.contains("<h1 lang=\"zh-Hant\">港聞速遞</h1>"), "{hk}");
    assert!(
        hk.contains("<div class=\"content\" lang=\"zh-Hant\">"),
        "{hk}"
    );
    let ja = page("東京都知事選挙");
    assert!(ja.contains("<div class=\"content\" lang=\"ja\">"), "{ja}");
    for t in ["学者评论台湾局势", "English body"] {
        let p = page(t);
        assert!(
            !p.contains("<div class=\"content\" lang=\"zh-Hant\">"),
            "{t}: {p}"
        );
    }
    // F13: `i` and `cite` get a face of their own (Kai, or a serif with a real italic).
    let css = get(&s, "/static/style.css").body;
    let rule = css
        .lines()
        .find(|l| l.starts_with(".content i,"))
        .unwrap_or_else(|| panic!("{css}"));
    assert!(
        rule.contains("cite") && rule.contains("KaiTi") && rule.contains("serif"),
        "{rule}"
    );
}

/// F8: the static search ranks a title match above articles that only mention the word in
/// their text (as `serve`'s search does), and shows each result's lead with the words marked.
#[test]
fn the_static_search_ranks_title_matches_first_and_shows_a_lead() {
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        println!("SKIP: the static search's script needs node to run in a test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let many = "<p>台湾的经济、台湾的选举、台湾的外交与台湾的未来，都是台湾人关心的台湾问题。</p>"
        .repeat(3);
    let dates: Vec<String> = (0..5)
        .map(|h| format!("Tue, 21 Jul 2020 {h:02}:00:00 GMT"))
        .collect();
    let mut items = vec![item(
        "臺灣選舉後的兩岸關係：學者這樣說",
        "https://h.example/0",
        Some(&dates[0]),
        "<p>選舉結束後，學者們討論了兩岸關係的走向。</p>",
    )];
    let titles: Vec<String> = (1..5).map(|i| format!("经济观察第{i}期")).collect();
    let links: Vec<String> = (1..5).map(|i| format!("https://h.example/{i}")).collect();
    for i in 0..4 {
        items.push(item(&titles[i], &links[i], Some(&dates[i + 1]), &many));
    }
    server.route("/news", Answer::ok("application/rss+xml", rss(&items)));
    let url = server.url("/news");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0",
        &[("news", "新闻台", &[url.as_str()])],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let out = tmp.path().join("out");
    site(&cfg, &out);
    let harness = format!(
        r#"
const fs = require('fs');
const {{ Searcher }} = require({js:?});
const s = new Searcher((p) => Promise.resolve(JSON.parse(fs.readFileSync({dir:?} + p, 'utf8'))));
(async () => {{
  const r = await s.search(process.argv[1], '');
  console.log(JSON.stringify({{ titles: r.hits.map((h) => h.title), leads: r.hits.map((h) => h.lead) }}));
}})();
"#,
        js = out.join("static/search.js").to_str().unwrap(),
        dir = format!("{}/", out.join("search").display()),
    );
    for q in ["臺灣", "台湾"] {
        let o = std::process::Command::new("node")
            .args(["-e", &harness, q])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            r["titles"][0], "臺灣選舉後的兩岸關係：學者這樣說",
            "{q}: {r}"
        );
        assert_eq!(r["titles"].as_array().unwrap().len(), 5, "{r}");
        assert_eq!(
            r["leads"][0], "選舉結束後，學者們討論了兩岸關係的走向。",
            "{r}"
        );
    }
    // The page marks the words in the lead too, and tags a traditional title.
    let js = std::fs::read_to_string(out.join("static/search.js")).unwrap();
    assert!(js.contains("p.className = 'snippet'") && js.contains("a.lang = 'zh-Hant'"));
}

/// F14: `images = "local"` keeps the image's URL in the committed file (the copy lives in the
/// git-ignored `assets/`); readers get the copy where it is, the URL where it is not (a fresh
/// clone).
#[test]
fn local_images_keep_their_url_in_the_committed_file() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route("/ok.png", Answer::ok("image/png", PNG));
    let img = server.url("/ok.png");
    let content = format!("<p>本地图片测试。</p><img src=\"{img}\" alt=\"红色\"><p>结束。</p>");
    let feed = rss(&[item(
        "本地图片",
        "https://outlet.example/l/1",
        Some("Mon, 20 Jul 2020 08:00:00 GMT"),
        &content,
    )]);
    server.route("/feed", Answer::ok("application/rss+xml", feed));
    let url = server.url("/feed");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0\n[publish]\ngit = true\nremotes = []",
        &[("img", "图片", &[url.as_str()])],
    );
    let text = std::fs::read_to_string(&cfg).unwrap() + "images = \"local\"\n";
    std::fs::write(&cfg, text).unwrap();
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let archive = tmp.path().join("archive");
    let id = id_of(tmp.path(), "图片", "本地图片");
    let committed = git(&archive, &["show", &format!("HEAD:articles/img/{id}.md")]);
    assert!(
        committed.contains(&format!("src=\"{img}\"")),
        "URL lost: {committed}"
    );
    assert!(
        committed.contains("data-local=\"../../assets/"),
        "{committed}"
    );
    assert!(!git(&archive, &["ls-files"]).contains("assets/"));
    // The archive's own site shows the copy.
    let out_dir = tmp.path().join("out");
    site(&cfg, &out_dir);
    let page = std::fs::read_to_string(out_dir.join(format!("s/img/{id}.html"))).unwrap();
    let at = page
        .find("src=\"../../assets/")
        .unwrap_or_else(|| panic!("{page}"));
    let name = &page[at + 18..at + 18 + page[at + 18..].find('"').unwrap()];
    assert!(out_dir.join("assets").join(name).is_file(), "{name}");
    // A fresh clone has no copy: serve shows the image by its URL (through its proxy).
    git(
        tmp.path(),
        &["clone", "-q", archive.to_str().unwrap(), "clone"],
    );
    let clone_cfg = tmp.path().join("clone.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("dir = \"archive\"", "dir = \"clone\"");
    std::fs::write(&clone_cfg, text).unwrap();
    let s = serve(&clone_cfg);
    let p = get(&s, &format!("/s/img/{id}")).body;
    assert!(!p.contains("/assets/"), "{p}");
    assert!(p.contains("<img src=\"/img/"), "{p}");
}
