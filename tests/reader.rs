//! The reader: `serve` over HTTP (every route, headers, hostile content), search (Chinese words,
//! traditional/simplified, filters, hostile queries), and the static `site`.

mod common;

use std::path::Path;

use common::server::{Answer, Server};
use common::web::{Page, enc, get, serve};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";
const DATE2: &str = "Thu, 20 Jun 2024 08:00:00 GMT";

/// An archive of two sources on a loopback server: `news` (Chinese articles, one in
/// traditional characters, one edited, one removed) and `xss` (the farm's hostile items).
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    cfg: std::path::PathBuf,
    server: Server,
}

fn items(server: &Server, edited: bool) -> String {
    let l1 = server.url("/a/1");
    let l2 = server.url("/a/2");
    let l3 = server.url("/a/3");
    let l4 = server.url("/a/4");
    let body1 = if edited {
        "<p>俄罗斯总统普京周二凌晨抵达平壤，双方签署防卫互助协定。</p><img src=\"https://img.example/p.jpg\">"
    } else {
        "<p>俄罗斯总统普京周三凌晨抵达平壤，双方签署防卫互助协定。</p><img src=\"https://img.example/p.jpg\">"
    };
    let list = [
        TestItem {
            title: "普京会金正恩 朝俄签订协定",
            link: &l1,
            guid: Some(&l1),
            date: Some(DATE),
            content: body1,
        },
        TestItem {
            title: "台灣總統大選結果揭曉",
            link: &l2,
            guid: Some(&l2),
            date: Some(DATE),
            content: "<p>台灣選民週六投票，選出新一任總統與立法委員。</p>",
        },
        TestItem {
            title: "大陆学者谈台湾问题",
            link: &l3,
            guid: Some(&l3),
            date: Some(DATE2),
            content: "<p>北京的学者认为台湾问题的解决需要时间。</p>",
        },
        TestItem {
            title: "经济新闻：央行下调利率",
            link: &l4,
            guid: Some(&l4),
            date: Some(DATE2),
            content: "<p>中国人民银行宣布下调贷款市场报价利率，以支持经济复苏。</p>",
        },
    ];
    rss(&list)
}

fn xss_feed(server: &Server) -> String {
    let links: Vec<String> = (0..FARM_XSS.len())
        .map(|i| server.url(&format!("/x/{i}")))
        .collect();
    let titles: Vec<String> = (0..FARM_XSS.len())
        .map(|i| format!("恶意条目 {i} <script>alert('t{i}')</script>"))
        .collect();
    let list: Vec<TestItem<'_>> = FARM_XSS
        .iter()
        .enumerate()
        .map(|(i, c)| TestItem {
            title: &titles[i],
            link: &links[i],
            guid: Some(&links[i]),
            date: Some(DATE),
            content: c,
        })
        .collect();
    rss(&list)
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route(
        "/news",
        Answer::ok("application/rss+xml", items(&server, false)),
    );
    server.route("/xss", Answer::ok("application/rss+xml", xss_feed(&server)));
    for i in 1..=4 {
        server.route(&format!("/a/{i}"), Answer::ok("text/html", "<p>page</p>"));
    }
    let (news, xss) = (server.url("/news"), server.url("/xss"));
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0\n[history]\nconfirm_after = \"0s\"",
        &[
            ("news", "新闻台", &[news.as_str()]),
            ("xss", "恶意源", &[xss.as_str()]),
        ],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    // An edit, then a removal (the page is gone on two rechecks).
    server.route(
        "/news",
        Answer::ok("application/rss+xml", items(&server, true)),
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    server.route("/a/4", Answer::status(404));
    for _ in 0..2 {
        let out = newsmirror(&["recheck", "--now", "--config", cfg.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Fixture {
        dir: tmp.path().to_path_buf(),
        _tmp: tmp,
        cfg,
        server,
    }
}

/// The id of the article titled `title` (from the source's list file).
fn id_of(f: &Fixture, list: &str, title: &str) -> i64 {
    let text = std::fs::read_to_string(f.dir.join(format!("archive/lists/{list}.md"))).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(title))
        .unwrap_or_else(|| panic!("{title} not in {text}"));
    let at = line.find(".md)").unwrap();
    let start = line[..at].rfind('/').unwrap() + 1;
    line[start..at].parse().unwrap()
}

fn assert_secure(p: &Page, what: &str) {
    let csp = p.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{what}: CSP {csp:?}"
    );
    assert!(
        !csp.contains("script-src"),
        "{what}: no script source at all: {csp}"
    );
    assert_eq!(p.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(p.header("referrer-policy"), "no-referrer", "{what}");
}

/// Nothing in `html` can run: no script, handler, javascript: URL, frame, object, base, meta
/// refresh, form to elsewhere, or style element.
fn assert_inert(html: &str, what: &str) {
    // Static pages carry their policy in one `<meta http-equiv="Content-Security-Policy">`:
    // the only `http-equiv` allowed, and it must forbid script.
    let mut lower = html.to_ascii_lowercase();
    let csp_meta = "<meta http-equiv=\"content-security-policy\" content=\"";
    if let Some(at) = lower.find(csp_meta) {
        let end = lower[at..].find('>').map_or(lower.len(), |e| at + e + 1);
        let policy = &lower[at + csp_meta.len()..end];
        assert!(
            policy.starts_with("default-src &#39;none&#39;") && !policy.contains("unsafe"),
            "{what}: policy {policy}"
        );
        lower.replace_range(at..end, "");
    }
    for bad in [
        "<script",
        "javascript:",
        "<iframe",
        "<object",
        "<embed",
        "<base",
        "http-equiv",
        "<style",
        "<svg",
        "<math",
        "evil.example/\"><input",
        "data:text/html",
        "data:image/svg",
    ] {
        assert!(!lower.contains(bad), "{what}: {bad:?} left in\n{html}");
    }
    // Event handler attributes: ` on…=` inside a tag.
    let mut in_tag = false;
    let b = lower.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b' ' | b'\n' | b'\t' | b'/' if in_tag => {
                let rest = &lower[i + 1..];
                if let Some(tail) = rest.strip_prefix("on") {
                    let name: String = tail
                        .chars()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .collect();
                    let after = &tail[name.len()..];
                    assert!(
                        name.is_empty() || !after.trim_start().starts_with('='),
                        "{what}: event handler on{name} in\n{html}"
                    );
                }
            }
            _ => {}
        }
    }
}

#[test]
fn every_route_answers_with_the_right_content_and_headers() {
    let f = fixture();
    let s = serve(&f.cfg);

    let home = get(&s, "/");
    assert_eq!(home.status, 200);
    assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
    assert_secure(&home, "home");
    for want in [
        "新闻台",
        "恶意源",
        "台灣總統大選結果揭曉",
        "/s/news/",
        "/feeds/all.atom",
    ] {
        assert!(
            home.body.contains(want),
            "home lacks {want}:\n{}",
            home.body
        );
    }
    assert!(home.body.contains("lang=\"zh-CN\"") && home.body.contains("搜索"));

    let list = get(&s, "/s/news/");
    assert_eq!(list.status, 200);
    assert_secure(&list, "list");
    // Newest publication first.
    let (a, b) = (
        list.body.find("经济新闻").unwrap(),
        list.body.find("普京会金正恩").unwrap(),
    );
    assert!(a < b, "newest first:\n{}", list.body);
    assert!(list.body.contains("已被删除") && list.body.contains("有修订"));
    assert_eq!(
        get(&s, "/s/news").status,
        308,
        "no trailing slash: redirect"
    );
    assert_eq!(get(&s, "/s/news/?page=2").status, 404, "past the last page");
    assert_eq!(
        get(&s, "/s/news/?page=abc").status,
        200,
        "a bad page number is page 1"
    );
    assert_eq!(get(&s, "/s/nosuch/").status, 404);

    let id = id_of(&f, "新闻台", "普京会金正恩");
    let art = get(&s, &format!("/s/news/{id}"));
    assert_eq!(art.status, 200);
    assert_secure(&art, "article");
    let link = f.server.url("/a/1");
    for want in [
        "<h1>普京会金正恩 朝俄签订协定</h1>",
        "新闻台",
        // In the readers' zone (Asia/Shanghai by default), machine-readable too.
        "发布 <time datetime=\"2024-06-19T20:47:03+08:00\">2024-06-19 20:47</time>",
        "周二凌晨",
        "修订记录",
        "<del>三</del><ins>二</ins>",
        // Images through the server's own proxy (signed).
        "?u=https%3A%2F%2Fimg.example%2Fp.jpg",
        &format!("href=\"{link}\""),
    ] {
        assert!(
            art.body.contains(want),
            "article lacks {want}:\n{}",
            art.body
        );
    }
    let removed = id_of(&f, "新闻台", "经济新闻");
    let gone = get(&s, &format!("/s/news/{removed}"));
    assert!(gone.body.contains("原文已被删除"), "{}", gone.body);
    assert_eq!(get(&s, "/s/news/999").status, 404);
    assert_eq!(get(&s, "/s/news/abc").status, 404);

    let found = get(&s, &format!("/search?q={}", enc("普京")));
    assert_eq!(found.status, 200);
    assert_secure(&found, "search");
    assert!(found.body.contains("<mark>普京</mark>"), "{}", found.body);
    assert!(found.body.contains(&format!("href=\"/s/news/{id}\"")));

    for (path, ct, root) in [
        ("/feeds/news.atom", "application/atom+xml", "<feed"),
        ("/feeds/news.rss", "application/rss+xml", "<rss"),
        ("/feeds/news.json", "application/feed+json", "\"version\""),
        ("/feeds/all.atom", "application/atom+xml", "<feed"),
    ] {
        let p = get(&s, path);
        assert_eq!(p.status, 200, "{path}");
        assert!(p.header("content-type").starts_with(ct), "{path}");
        assert!(p.body.contains(root), "{path}");
        let parsed = feed_rs::parser::parse(p.body.as_bytes())
            .unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        assert!(
            parsed.entries.iter().any(|e| e
                .title
                .as_ref()
                .is_some_and(|t| t.content.contains("普京"))
                || path.contains("all")),
            "{path}"
        );
        assert!(!parsed.entries.is_empty(), "{path}");
        if path.ends_with(".atom") {
            assert!(
                p.body.contains("<id>") && p.body.contains("<updated>"),
                "{path}"
            );
        }
        if path.ends_with(".rss") {
            let channel = &p.body[p.body.find("<channel>").unwrap()..];
            let head = &channel[..channel.find("<item>").unwrap()];
            for el in ["<title>", "<link>", "<description>"] {
                assert!(head.contains(el), "RSS channel needs {el}: {head}");
            }
            assert!(
                p.body.contains("<guid") && p.body.contains("<pubDate>"),
                "{path}"
            );
        }
        if path.ends_with(".json") {
            let j: serde_json::Value = serde_json::from_str(&p.body).unwrap();
            assert_eq!(j["version"], "https://jsonfeed.org/version/1.1");
            assert!(j["title"].is_string() && j["items"].is_array());
        }
    }
    assert_eq!(get(&s, "/feeds/nosuch.atom").status, 404);
    assert_eq!(get(&s, "/feeds/all.rss").status, 404);

    let health = get(&s, "/healthz");
    assert_eq!(health.status, 200);
    assert!(health.body.starts_with("ok 20 articles"), "{}", health.body);
    let css = get(&s, "/static/style.css");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    let missing = get(&s, "/nowhere");
    assert_eq!(missing.status, 404);
    assert_secure(&missing, "404");
    assert_eq!(get(&s, "/assets/..%2f..%2fnewsmirror.toml").status, 404);
    assert_eq!(get(&s, "/assets/abc.jpg").status, 404);
}

#[test]
fn hostile_articles_are_served_inert() {
    let f = fixture();
    let s = serve(&f.cfg);
    let list = get(&s, "/s/xss/");
    assert_inert(&list.body, "xss list");
    for i in 0..FARM_XSS.len() {
        // Titles are text: the escaped <script> in the feed's title is markup, not words
        // (issue 13), so the title is "恶意条目 {i}".
        let title = format!("恶意条目 {i}");
        let id = id_of(&f, "恶意源", &format!("[{title}]"));
        let page = get(&s, &format!("/s/xss/{id}"));
        assert_eq!(page.status, 200);
        assert_inert(&page.body, &format!("xss item {i}"));
        let h1 = &page.body[page.body.find("<h1>").unwrap()..];
        let h1 = &h1[..h1.find("</h1>").unwrap()];
        assert!(h1.contains(&title), "the title is shown: {h1}");
    }
    // The text around the payloads survives.
    let id = id_of(&f, "恶意源", "[恶意条目 0]");
    assert!(get(&s, &format!("/s/xss/{id}")).body.contains("正文"));
    for path in ["/feeds/xss.atom", "/feeds/xss.rss", "/feeds/xss.json"] {
        let body = get(&s, path).body;
        // Feeds carry the HTML escaped; unescape once to see what a reader would render.
        let once = body
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("\\u003c", "<")
            .replace("\\u003e", ">")
            .replace("\\\"", "\"");
        let content_only: String = once
            .split("恶意条目")
            .skip(1)
            .map(|part| part.split_once("</title>").map_or(part, |(_, c)| c))
            .collect();
        assert!(
            !content_only.to_ascii_lowercase().contains("onerror="),
            "{path}"
        );
        assert!(
            !content_only.to_ascii_lowercase().contains("javascript:"),
            "{path}"
        );
    }
    let found = get(&s, &format!("/search?q={}", enc("正文")));
    assert_inert(&found.body, "search results");
}

fn search_json(cfg: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["search", "--json", "--config", cfg.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = newsmirror(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn titles(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_understands_chinese() {
    let f = fixture();
    // A word inside longer text (no spaces in Chinese).
    let v = search_json(&f.cfg, &["防卫"]);
    assert_eq!(titles(&v), ["普京会金正恩 朝俄签订协定"]);
    let v = search_json(&f.cfg, &["报价利率"]);
    assert_eq!(titles(&v), ["经济新闻：央行下调利率"]);
    // Traditional and simplified, both ways.
    for q in ["台湾", "台灣", "臺灣"] {
        let mut t = titles(&search_json(&f.cfg, &[q]));
        t.sort();
        assert_eq!(
            t,
            ["台灣總統大選結果揭曉", "大陆学者谈台湾问题"],
            "query {q}"
        );
    }
    let v = search_json(&f.cfg, &["总统选民"]);
    assert_eq!(
        titles(&v),
        ["台灣總統大選結果揭曉"],
        "simplified finds traditional"
    );
    // The snippet highlights the words as written (in snippet_html; snippet is plain text).
    let v = search_json(&f.cfg, &["总统"]);
    assert!(
        v["hits"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>總統</mark>"),
        "{v}"
    );
    assert!(
        !v["hits"][0]["snippet"].as_str().unwrap().contains('【'),
        "{v}"
    );
    // A source filter.
    let v = search_json(&f.cfg, &["--source", "xss", "正文"]);
    assert_eq!(v["total"], 1);
    let v = search_json(&f.cfg, &["--source", "news", "正文"]);
    assert_eq!(v["total"], 0);
    // No match; only punctuation; hostile characters.
    assert_eq!(search_json(&f.cfg, &["火星殖民地"])["total"], 0);
    assert_eq!(search_json(&f.cfg, &["！？。，"])["total"], 0);
    for q in [
        "\"<script>alert(1)</script>",
        "title:* OR 1=1 --",
        "((((((",
        "a\u{202e}b\u{1}",
        "台湾 AND NOT -普京 ~2 ^3 [a TO z] {x}",
    ] {
        search_json(&f.cfg, &[q]);
    }
    let v = search_json(&f.cfg, &["台湾 AND NOT -普京 ~2"]);
    assert!(v["total"].as_u64().is_some());

    // Over HTTP: the same, with hostile input echoed escaped.
    let s = serve(&f.cfg);
    let p = get(&s, &format!("/search?q={}&source=news", enc("臺灣")));
    assert_eq!(p.status, 200);
    assert!(p.body.contains("找到 2 篇"), "{}", p.body);
    let p = get(
        &s,
        &format!("/search?q={}", enc("<script>alert(1)</script>\"'")),
    );
    assert_eq!(p.status, 200);
    assert_inert(&p.body, "hostile query");
    assert!(p.body.contains("&#60;script&#62;") || p.body.contains("&lt;script&gt;"));
    let p = get(&s, &format!("/search?q={}", enc("火星殖民地")));
    assert!(p.body.contains("没有找到匹配的文章"), "{}", p.body);
    let p = get(&s, "/search?q=%FF%FE&page=-1&source=%00");
    assert!(p.status == 200 || p.status == 400, "{}", p.status);
}

#[test]
fn an_update_indexes_new_articles_incrementally() {
    let f = fixture();
    assert_eq!(search_json(&f.cfg, &["火锅"])["total"], 0);
    let l5 = f.server.url("/a/5");
    let feed = rss(&[TestItem {
        title: "重庆火锅节开幕",
        link: &l5,
        guid: Some(&l5),
        date: Some(DATE2),
        content: "<p>第十届重庆火锅美食文化节今天开幕。</p>",
    }]);
    f.server
        .route("/news", Answer::ok("application/rss+xml", feed));
    let (code, out, err) = update(&f.cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(titles(&search_json(&f.cfg, &["火锅"])), ["重庆火锅节开幕"]);
    // Rebuilt from scratch: the same answers.
    let out = newsmirror(&["reindex", "--config", f.cfg.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("21 articles"));
    assert_eq!(titles(&search_json(&f.cfg, &["火锅"])), ["重庆火锅节开幕"]);
    // A lost index is rebuilt on the next use.
    std::fs::remove_dir_all(f.dir.join("archive/.newsmirror/search")).unwrap();
    assert_eq!(titles(&search_json(&f.cfg, &["火锅"])), ["重庆火锅节开幕"]);
}

/// Every relative link of every page in `out` leads to a file.
fn check_links(out: &Path) -> usize {
    let mut checked = 0;
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "html") {
                continue;
            }
            let html = std::fs::read_to_string(&p).unwrap();
            for part in html.split("href=\"").skip(1) {
                let href = &part[..part.find('"').unwrap()];
                if href.starts_with("http") || href.starts_with('#') {
                    continue;
                }
                assert!(
                    !href.starts_with('/'),
                    "{}: absolute link {href}",
                    p.display()
                );
                let file = href.split('#').next().unwrap();
                let target = p.parent().unwrap().join(file);
                assert!(target.is_file(), "{}: broken link {href}", p.display());
                if let Some(fragment) = href.split_once('#').map(|(_, f)| f) {
                    let there = std::fs::read_to_string(&target).unwrap();
                    assert!(
                        there.contains(&format!("id=\"{fragment}\"")),
                        "{}: {href} leads nowhere",
                        p.display()
                    );
                }
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn the_static_site_links_relatively_and_rebuilds_only_what_changed() {
    let f = fixture();
    let out = f.dir.join("site");
    let run = || {
        let o = newsmirror(&[
            "site",
            "--config",
            f.cfg.to_str().unwrap(),
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let first = run();
    assert!(first.contains("files written"), "{first}");
    assert!(check_links(&out) > 40);
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("href=\"s/news/index.html\""), "{index}");
    assert!(
        !index.contains("action=\"/search\""),
        "no server, no search form"
    );
    let id = id_of(&f, "新闻台", "普京会金正恩");
    let art = std::fs::read_to_string(out.join(format!("s/news/{id}.html"))).unwrap();
    assert!(art.contains("<del>三</del><ins>二</ins>") && art.contains("../../static/style.css"));
    for i in 0..FARM_XSS.len() {
        let id = id_of(&f, "恶意源", &format!("[恶意条目 {i}]"));
        let page = std::fs::read_to_string(out.join(format!("s/xss/{id}.html"))).unwrap();
        assert_inert(&page, "static xss page");
    }
    for feed in ["news.atom", "news.rss", "news.json", "all.atom"] {
        let bytes = std::fs::read(out.join("feeds").join(feed)).unwrap();
        feed_rs::parser::parse(bytes.as_slice()).unwrap();
    }

    // A rerun with nothing new writes nothing.
    let before = mtimes(&out);
    let second = run();
    assert!(second.contains("site: 0 files written"), "{second}");
    assert_eq!(before, mtimes(&out));

    // One new article: its page, its list, the home page and the feeds change; nothing else.
    let l5 = f.server.url("/a/5");
    let feed = rss(&[TestItem {
        title: "重庆火锅节开幕",
        link: &l5,
        guid: Some(&l5),
        date: Some(DATE2),
        content: "<p>火锅。</p>",
    }]);
    f.server
        .route("/news", Answer::ok("application/rss+xml", feed));
    assert_eq!(update(&f.cfg).0, 0);
    let third = run();
    let after = mtimes(&out);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, v)| {
            before.get(*k) != Some(*v) && *k != ".newsmirror-site" && *k != ".newsmirror-files"
        })
        .map(|(k, _)| k)
        .collect();
    assert!(
        third.contains(&format!("site: {} files written", changed.len())),
        "{third}"
    );
    let id5 = id_of(&f, "新闻台", "重庆火锅节开幕");
    let mut want = vec![
        "feeds/all.atom".to_string(),
        "feeds/news.atom".into(),
        "feeds/news.json".into(),
        "feeds/news.rss".into(),
        "index.html".into(),
        format!("s/news/{id5}.html"),
        "s/news/index.html".into(),
        // The search index: its document list, and the shards of the new article's words.
        "search/meta.json".into(),
        "search/sources.json".into(),
    ];
    // The block of documents the new one (the last archived) joined.
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("search/meta.json")).unwrap())
            .unwrap();
    let last = (meta["docs"].as_u64().unwrap() - 1) / meta["block"].as_u64().unwrap();
    want.push(format!("search/d/{last}.json"));
    // Its neighbours in the list now link to it.
    let page5 = std::fs::read_to_string(out.join(format!("s/news/{id5}.html"))).unwrap();
    for rel in ["rel=\"prev\" href=\"", "rel=\"next\" href=\""] {
        if let Some(at) = page5.find(rel) {
            let href = &page5[at + rel.len()..];
            let href = &href[..href.find('"').unwrap()];
            want.push(format!(
                "s/news/{}",
                href.trim_start_matches("../../s/news/")
            ));
        }
    }
    assert!(want.len() > 10, "the new article has a neighbour: {page5}");
    want.sort();
    let mut changed: Vec<String> = changed.into_iter().cloned().collect();
    changed.sort();
    // The fold table grows when the new article brings characters the others lacked.
    let (shards, changed): (Vec<String>, Vec<String>) = changed
        .into_iter()
        .filter(|c| c != "search/fold.json")
        .partition(|c| c.starts_with("search/t/"));
    assert_eq!(changed, want);
    // 火锅 is a word of the new article: its shard (火, U+706B) changed; not every shard did.
    assert!(
        shards.contains(&"search/t/706b.json".to_string()),
        "{shards:?}"
    );
    let all_shards = std::fs::read_dir(out.join("search/t")).unwrap().count();
    assert!(
        shards.len() < all_shards,
        "{} of {all_shards}",
        shards.len()
    );
    check_links(&out);
}
