//! The reader serving people well (issue 15) and under abuse (issue 12): times in the readers'
//! zone, previous/next, traditional-Chinese pages, feeds that point home, `ETag`/304, gzip,
//! the image proxy, the static site's policy and links, its search, and `serve`'s limits.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::web::{enc, get, get_with, serve};
use common::*;

const D1: &str = "Wed, 19 Jun 2024 20:30:00 GMT"; // already the 20th in Shanghai
const D2: &str = "Thu, 20 Jun 2024 08:00:00 GMT";
const D3: &str = "Fri, 21 Jun 2024 08:00:00 GMT";

/// A tiny valid PNG (1×1).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cfg: PathBuf,
    server: Server,
}

impl Fixture {
    fn id(&self, title: &str) -> i64 {
        let text = std::fs::read_to_string(self.dir.join("archive/lists/新闻台.md")).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains(title))
            .unwrap_or_else(|| panic!("{title} not in {text}"));
        let at = line.find(".md)").unwrap();
        let start = line[..at].rfind('/').unwrap() + 1;
        line[start..at].parse().unwrap()
    }

    /// Rewrites the config's `[web]` table.
    fn web(&self, web: &str) {
        let text = std::fs::read_to_string(&self.cfg).unwrap();
        let text = match text.find("[web]") {
            Some(at) => {
                let end = text[at..].find("\n[[").map_or(text.len(), |e| at + e + 1);
                format!("{}{}{}", &text[..at], web, &text[end..])
            }
            None => text.replacen("[[sources]]", &format!("{web}\n[[sources]]"), 1),
        };
        std::fs::write(&self.cfg, text).unwrap();
    }
}

fn news(server: &Server, edited: bool) -> String {
    let l = |i: u32| server.url(&format!("/a/{i}"));
    let (l1, l2, l3) = (l(1), l(2), l(3));
    let img = |p: &str| server.url(p);
    let body1 = format!(
        "<p>普京周二抵达平壤{}。</p><img src=\"{}\" width=\"1000\" height=\"600\"><img src=\"{}\"><img src=\"{}\">",
        if edited { "，签署协定" } else { "" },
        img("/img/ok.png"),
        img("/img/evil.svg"),
        img("/img/big.png"),
    );
    let items = [
        TestItem {
            title: "普京会金正恩 朝俄签订协定",
            link: &l1,
            guid: Some(&l1),
            date: Some(D1),
            content: &body1,
        },
        TestItem {
            title: "台灣總統大選結果揭曉",
            link: &l2,
            guid: Some(&l2),
            date: Some(D2),
            content: "<p>台灣選民週六投票，選出新一任總統與立法委員，結果於晚間揭曉。</p>",
        },
        TestItem {
            title: "脚本链接",
            link: "javascript:alert(document.domain)",
            guid: Some("urn:x:js"),
            date: Some(D3),
            content: "<p>这个条目的链接是脚本。</p>",
        },
        TestItem {
            title: "大陆学者谈经济",
            link: &l3,
            guid: Some(&l3),
            date: Some("Sat, 22 Jun 2024 08:00:00 GMT"),
            content: "<p>北京的学者认为经济复苏需要时间。</p>",
        },
    ];
    rss(&items)
}

/// A JSON Feed whose content holds characters XML forbids (JSON may carry them).
fn controls(server: &Server) -> String {
    let link = server.url("/c/1");
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "控制字符",
        "items": [{
            "id": link, "url": link,
            "title": "控制\u{b}字符\u{1b}标题",
            "content_html": "<p>垂直\u{b}制表\u{c}换页\u{1b}转义\u{ffff}非字符</p>",
            "date_published": "2024-06-19T12:00:00Z"
        }]
    })
    .to_string()
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    server.route(
        "/news",
        Answer::ok("application/rss+xml", news(&server, false)),
    );
    server.route(
        "/controls",
        Answer::ok("application/feed+json", controls(&server)),
    );
    server.route("/img/ok.png", Answer::ok("image/png", PNG));
    server.route(
        "/img/evil.svg",
        Answer::ok(
            "image/png",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        ),
    );
    let mut big = PNG.to_vec();
    big.resize(200_000, 0);
    server.route("/img/big.png", Answer::ok("image/png", big));
    let (n, c) = (server.url("/news"), server.url("/controls"));
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0\n[images]\nmax_bytes = 100000",
        &[
            ("news", "新闻台", &[n.as_str()]),
            ("ctl", "控制台", &[c.as_str()]),
        ],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    Fixture {
        dir: tmp.path().to_path_buf(),
        _tmp: tmp,
        cfg,
        server,
    }
}

fn href_of<'a>(html: &'a str, rel: &str) -> Option<&'a str> {
    let key = format!("rel=\"{rel}\" href=\"");
    let at = html.find(&key)? + key.len();
    Some(&html[at..at + html[at..].find('"')?])
}

#[test]
fn articles_show_the_readers_day_their_neighbours_and_their_script() {
    let f = fixture();
    let s = serve(&f.cfg);
    let (a1, a2, a4) = (
        f.id("普京会金正恩"),
        f.id("台灣總統大選"),
        f.id("大陆学者谈经济"),
    );
    let p1 = get(&s, &format!("/s/news/{a1}"));
    assert_eq!(p1.status, 200);
    // 20:30 UTC on the 19th is the 20th in Shanghai (the day the git lists show).
    assert!(
        p1.body
            .contains("<time datetime=\"2024-06-20T04:30:00+08:00\">2024-06-20 04:30</time>"),
        "{}",
        p1.body
    );
    assert!(p1.body.contains("<article>"), "{}", p1.body);
    // The oldest article: a newer neighbour (rel=prev), none older, and the way back.
    assert_eq!(href_of(&p1.body, "prev"), Some(&*format!("/s/news/{a2}")));
    assert_eq!(href_of(&p1.body, "next"), None);
    assert!(p1.body.contains("返回新闻台列表"));
    let p2 = get(&s, &format!("/s/news/{a2}"));
    // Traditional characters: the article says so (the page's own text stays zh-CN).
    assert!(
        p2.body.contains("<div class=\"content\" lang=\"zh-Hant\">")
            && p2.body.contains("<h1 lang=\"zh-Hant\">"),
        "{}",
        p2.body
    );
    assert!(p2.body.contains("<html lang=\"zh-CN\">"));
    assert_eq!(href_of(&p2.body, "next"), Some(&*format!("/s/news/{a1}")));
    let prev = href_of(&p2.body, "prev").unwrap().to_string();
    let p3 = get(&s, &prev);
    assert!(p3.body.contains("脚本链接"));
    // An item linking to script: its address is shown, never followed.
    assert!(
        !p3.body.to_ascii_lowercase().contains("href=\"javascript"),
        "{}",
        p3.body
    );
    assert!(p3.body.contains("javascript:alert(document.domain)"));
    assert_eq!(href_of(&p3.body, "prev"), Some(&*format!("/s/news/{a4}")));
    // Both navigation bars (top and bottom) carry the links.
    assert_eq!(p2.body.matches("rel=\"next\"").count(), 2);
    // Lists show the same zone; a traditional title is marked as such.
    let list = get(&s, "/s/news/");
    assert!(list.body.contains("datetime=\"2024-06-20T04:30:00+08:00\""));
    assert!(
        list.body
            .contains("lang=\"zh-Hant\">台灣總統大選結果揭曉</a>"),
        "{}",
        list.body
    );
    drop(s);

    // Another zone, by name.
    f.web("[web]\ntimezone = \"America/New_York\"\n");
    let s = serve(&f.cfg);
    let p1 = get(&s, &format!("/s/news/{a1}"));
    assert!(
        p1.body
            .contains("<time datetime=\"2024-06-19T16:30:00-04:00\">2024-06-19 16:30</time>"),
        "{}",
        p1.body
    );
    drop(s);
    f.web("[web]\ntimezone = \"Mars/Olympus\"\n");
    let out = newsmirror(&[
        "serve",
        "--config",
        f.cfg.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("web.timezone") && err.contains("IANA"),
        "{err}"
    );
}

#[test]
fn feeds_point_home_validate_and_answer_304_and_gzip() {
    let f = fixture();
    f.web("[web]\nbase_url = \"https://mirror.example/news\"\n");
    let s = serve(&f.cfg);
    let a2 = f.id("台灣總統大選");
    let atom = get(&s, "/feeds/news.atom");
    assert_eq!(atom.status, 200);
    let b = &atom.body;
    for want in [
        "<link href=\"https://mirror.example/news/feeds/news.atom\" rel=\"self\"",
        &format!("<link href=\"https://mirror.example/news/s/news/{a2}.html\" rel=\"alternate\""),
        &format!("<link href=\"{}\" rel=\"related\"", f.server.url("/a/2")),
        "<author><name>新闻台</name>",
    ] {
        assert!(b.contains(want), "atom lacks {want}:\n{b}");
    }
    // Each entry its own `updated`.
    let updated: Vec<&str> = b.split("<updated>").skip(2).map(|x| &x[..20]).collect();
    let mut distinct = updated.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), updated.len(), "{updated:?}");
    let rss = get(&s, "/feeds/news.rss").body;
    assert!(rss.contains("<dc:creator>新闻台</dc:creator>"), "{rss}");
    assert!(rss.contains("rel=\"self\""), "{rss}");
    let json: serde_json::Value = serde_json::from_str(&get(&s, "/feeds/news.json").body).unwrap();
    assert_eq!(
        json["feed_url"],
        "https://mirror.example/news/feeds/news.json"
    );
    assert_eq!(json["language"], "zh-CN");
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "台灣總統大選結果揭曉")
        .unwrap();
    assert_eq!(item["external_url"], f.server.url("/a/2"));
    assert_eq!(item["language"], "zh-Hant");
    let all = get(&s, "/feeds/all.atom").body;
    assert!(
        all.contains("<name>控制台</name>") && all.contains("<name>新闻台</name>"),
        "{all}"
    );
    // No character XML forbids, whatever the content held.
    for path in ["/feeds/ctl.atom", "/feeds/ctl.rss", "/feeds/all.atom"] {
        let p = get(&s, path);
        assert!(p.body.contains("标题</title>"), "{path}: {}", p.body);
        assert!(
            p.body.contains("垂直制表换页转义非字符"),
            "{path}: {}",
            p.body
        );
        for bad in ["\u{b}", "\u{c}", "\u{1b}", "\u{ffff}"] {
            assert!(!p.body.contains(bad), "{path} holds {bad:?}");
        }
    }

    // Validators: 304 for a client that has the feed.
    let etag = atom.header("etag").to_string();
    let lm = atom.header("last-modified").to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert!(lm.ends_with(" GMT"), "{lm}");
    let again = get_with(&s, "/feeds/news.atom", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
    assert_eq!(
        get_with(&s, "/feeds/news.atom", &[("If-Modified-Since", &lm)]).status,
        304
    );
    assert_eq!(
        get_with(&s, "/feeds/news.atom", &[("If-None-Match", "W/\"x\"")]).status,
        200
    );
    let page = get(&s, "/");
    assert_eq!(
        get_with(&s, "/", &[("If-None-Match", page.header("etag"))]).status,
        304
    );

    // Compressed when the client accepts it: gzip decodes to the same bytes.
    let gz = get_with(&s, "/feeds/news.atom", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert!(
        gz.bytes.len() * 2 < atom.bytes.len(),
        "{} vs {}",
        gz.bytes.len(),
        atom.bytes.len()
    );
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, atom.bytes);
    let br = get_with(&s, &format!("/s/news/{a2}"), &[("Accept-Encoding", "br")]);
    assert_eq!(br.header("content-encoding"), "br");
    assert!(get(&s, "/").header("content-encoding").is_empty());
}

#[test]
fn pages_are_kept_until_the_archive_changes() {
    let f = fixture();
    let s = serve(&f.cfg);
    let a1 = f.id("普京会金正恩");
    let before = get(&s, &format!("/s/news/{a1}"));
    assert!(!before.body.contains("签署协定"));
    assert!(!before.body.contains("修订记录"));
    f.server.route(
        "/news",
        Answer::ok("application/rss+xml", news(&f.server, true)),
    );
    let (code, out, err) = update(&f.cfg);
    assert_eq!(code, 0, "{out}{err}");
    let after = get(&s, &format!("/s/news/{a1}"));
    assert!(after.body.contains("签署协定"), "{}", after.body);
    assert!(after.body.contains("有修订 · 共 2 版"));
    assert_ne!(before.header("etag"), after.header("etag"));
    // The earlier version, in full, on its own page, with the diff.
    let v1 = get(&s, &format!("/s/news/{a1}-v1"));
    assert_eq!(v1.status, 200);
    assert!(
        v1.body.contains("这是较早的第 1 版") && v1.body.contains("普京周二抵达平壤。"),
        "{}",
        v1.body
    );
    // The current version's number shows the article itself.
    let v2 = get(&s, &format!("/s/news/{a1}-v2"));
    assert_eq!(v2.status, 200);
    assert!(v2.body.contains("id=\"history\""), "{}", v2.body);
    assert_eq!(get(&s, &format!("/s/news/{a1}-v3")).status, 404);
    assert_eq!(get(&s, &format!("/s/news/{a1}-v9")).status, 404);
}

/// The `/img/…` addresses of a page, in order.
fn proxied(html: &str) -> Vec<String> {
    html.split("src=\"")
        .skip(1)
        .map(|x| x[..x.find('"').unwrap()].replace("&amp;", "&"))
        .filter(|x| x.starts_with("/img/"))
        .collect()
}

#[test]
fn the_image_proxy_passes_only_signed_raster_images_within_limits() {
    let f = fixture();
    let s = serve(&f.cfg);
    let page = get(&s, &format!("/s/news/{}", f.id("普京会金正恩"))).body;
    let imgs = proxied(&page);
    assert_eq!(imgs.len(), 3, "{page}");
    // No fixed box for an image that may never arrive; lazy; an alt.
    assert!(!page.contains("width=\"1000\""), "{page}");
    assert!(page.contains("loading=\"lazy\"") && page.contains("alt=\"\""));
    let ok = get(&s, &imgs[0]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.header("content-type"), "image/png");
    assert!(ok.header("cache-control").contains("max-age"));
    assert_eq!(ok.bytes, PNG);
    assert_eq!(f.server.hits("/img/ok.png"), 1);
    // SVG sent as PNG: refused by its bytes.
    assert_eq!(get(&s, &imgs[1]).status, 415);
    // Larger than [images] max_bytes.
    assert_eq!(get(&s, &imgs[2]).status, 502);
    // Not an open proxy: a changed signature, or another URL under a real signature.
    let (path, query) = imgs[0].split_once('?').unwrap();
    let mut bad = path.to_string();
    bad.replace_range(bad.len() - 4.., "0000");
    assert_eq!(get(&s, &format!("{bad}?{query}")).status, 403);
    let other = enc(&f.server.url("/news"));
    assert_eq!(get(&s, &format!("{path}?u={other}")).status, 403);
    assert_eq!(get(&s, path).status, 403);
    assert_eq!(
        f.server.hits("/news"),
        1,
        "only the update fetched the feed"
    );
    // The key is kept under .newsmirror/: the same links after a restart.
    drop(s);
    let key = f.dir.join("archive/.newsmirror/image-proxy.key");
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    let s = serve(&f.cfg);
    let again = proxied(&get(&s, &format!("/s/news/{}", f.id("普京会金正恩"))).body);
    assert_eq!(again, imgs);
    drop(s);
    // Off: the images' own addresses, and no proxy route; an image on a private address
    // (this loopback server) is left out, as on the static site: every reader's browser
    // would request it from its own machine.
    f.web("[web]\nimage_proxy = false\n");
    let s = serve(&f.cfg);
    let page = get(&s, &format!("/s/news/{}", f.id("普京会金正恩"))).body;
    assert!(proxied(&page).is_empty());
    assert!(
        !page.contains(&f.server.url("/img/ok.png")) && page.contains("普京周二抵达平壤"),
        "{page}"
    );
    assert_eq!(get(&s, &imgs[0]).status, 404);
}

#[test]
fn serve_drops_idle_and_slow_connections_and_caps_them() {
    let f = fixture();
    f.server
        .route("/img/slow.png", Answer::ok("image/png", PNG));
    f.web("[web]\nheader_timeout = \"1s\"\nrequest_timeout = \"1s\"\nmax_connections = 3\n");
    let s = serve(&f.cfg);
    // Five connections that never finish their headers: three are served (and dropped after
    // the header timeout), two wait in the backlog, then get the same treatment.
    let started = Instant::now();
    let mut socks: Vec<TcpStream> = (0..5)
        .map(|i| {
            let mut t = TcpStream::connect(&s.addr).unwrap();
            if i % 2 == 0 {
                t.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
            }
            t.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
            t
        })
        .collect();
    let mut closed: Vec<f64> = socks
        .iter_mut()
        .map(|t| {
            let mut buf = [0u8; 512];
            // EOF, or a 408 then EOF.
            while let Ok(n) = t.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
            started.elapsed().as_secs_f64()
        })
        .collect();
    closed.sort_by(f64::total_cmp);
    assert!(
        closed[4] < 8.0,
        "an idle connection stayed open: {closed:?}"
    );
    assert!(closed[2] < 3.0, "{closed:?}");
    assert!(
        closed[3] > 1.7,
        "more than 3 connections were served at once: {closed:?}"
    );
    // The server still answers.
    assert_eq!(get(&s, "/healthz").status, 200);
    // A request that takes too long (a slow image host) gets 408 in time.
    f.server.set_delay(Duration::from_secs(5));
    let page = get(&s, &format!("/s/news/{}", f.id("普京会金正恩")));
    f.server.set_delay(Duration::ZERO);
    let img = proxied(&page.body)[0].clone();
    f.server.set_delay(Duration::from_secs(5));
    let t = Instant::now();
    let slow = get(&s, &img);
    assert_eq!(slow.status, 408);
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    f.server.set_delay(Duration::ZERO);
}

fn site(f: &Fixture, out: &Path) -> String {
    let o = newsmirror(&[
        "site",
        "--config",
        f.cfg.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn static_pages_carry_their_policy_and_link_only_to_the_web() {
    let f = fixture();
    f.web("[web]\nbase_url = \"https://mirror.example/\"\n");
    let out = f.dir.join("site");
    site(&f, &out);
    let pages = html_files(&out);
    assert!(pages.len() >= 10, "{pages:?}");
    for p in &pages {
        let html = std::fs::read_to_string(p).unwrap();
        let head = &html[..html.find("</head>").unwrap()];
        assert!(
            head.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;;"
            ),
            "{} has no policy",
            p.display()
        );
        let scripts = html.matches("<script").count();
        let is_search = p.ends_with("search.html");
        assert_eq!(scripts, usize::from(is_search), "{}", p.display());
        assert!(
            !html.to_ascii_lowercase().contains("href=\"javascript"),
            "{}",
            p.display()
        );
    }
    // The one script is allowed by its hash, and only it.
    let search = std::fs::read_to_string(out.join("search.html")).unwrap();
    let js = std::fs::read(out.join("static/search.js")).unwrap();
    let hash = format!("sha256-{}", sha256_base64(&js));
    assert!(
        search.contains(&format!("script-src &#39;{hash}&#39;")),
        "{search}"
    );
    assert!(search.contains(&format!("integrity=\"{hash}\"")));
    // The 404 page a host serves at any depth links with full addresses.
    let lost = std::fs::read_to_string(out.join("404.html")).unwrap();
    assert!(
        lost.contains("href=\"https://mirror.example/index.html\""),
        "{lost}"
    );
    // Feeds written by `site` point at its pages.
    let atom = std::fs::read_to_string(out.join("feeds/news.atom")).unwrap();
    let a2 = f.id("台灣總統大選");
    assert!(
        atom.contains(&format!("https://mirror.example/s/news/{a2}.html")),
        "{atom}"
    );
    let js_item = std::fs::read_to_string(out.join("feeds/news.rss")).unwrap();
    assert!(!js_item.contains("<link>javascript"), "{js_item}");
}

/// SHA-256 in base64, for Subresource Integrity.
fn sha256_base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = String::new();
    for c in d.as_ref().chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn the_static_search_finds_traditional_text_with_a_simplified_query() {
    let f = fixture();
    let out = f.dir.join("site");
    site(&f, &out);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("search/meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["docs"], 5);
    let shards = std::fs::read_dir(out.join("search/t")).unwrap().count();
    assert!(shards > 20, "{shards}");
    // The page's own script, run by node on the built files.
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        println!("SKIP: the static search's script needs node to run in a test");
        return;
    }
    let harness = format!(
        r#"
const fs = require('fs');
const {{ Searcher }} = require({js:?});
const s = new Searcher((p) => Promise.resolve(JSON.parse(fs.readFileSync({dir:?} + p, 'utf8'))));
(async () => {{
  const r = await s.search(process.argv[1], process.argv[2] || '');
  console.log(JSON.stringify({{ total: r.total, titles: r.hits.map((h) => h.title), words: r.words, loaded: s.loaded }}));
}})();
"#,
        js = out.join("static/search.js").to_str().unwrap(),
        dir = format!("{}/", out.join("search").display()),
    );
    let run = |q: &str, source: &str| -> serde_json::Value {
        let o = std::process::Command::new("node")
            .args(["-e", &harness, q, source])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    // Simplified query, traditional article.
    let r = run("台湾总统大选", "");
    assert_eq!(
        r["titles"],
        serde_json::json!(["台灣總統大選結果揭曉"]),
        "{r}"
    );
    assert_eq!(r["words"], serde_json::json!(["台湾", "总统大选"]), "{r}");
    // Only what the query needs: the metadata, its words' shards, one block of documents.
    let loaded: Vec<String> = serde_json::from_value(r["loaded"].clone()).unwrap();
    assert!(loaded.contains(&"t/53f0.json".to_string()), "{loaded:?}");
    assert!(
        loaded.len() <= 12 && loaded.len() * 2 < shards,
        "{loaded:?}"
    );
    assert!(loaded.contains(&"d/0.json".to_string()));
    // Traditional query, traditional article; a word nobody wrote finds nothing.
    assert_eq!(run("臺灣", "")["total"], 1);
    assert_eq!(
        run("平壤", "")["titles"],
        serde_json::json!(["普京会金正恩 朝俄签订协定"])
    );
    assert_eq!(run("平壤", "ctl")["total"], 0);
    assert_eq!(run("火星殖民", "")["total"], 0);
}

#[test]
fn the_image_proxy_obeys_the_address_rules_of_fetching() {
    let tmp = tempfile::tempdir().unwrap();
    let feeds = Server::start();
    // Another local service: not the feed's origin, not allowed.
    let inside = Server::start();
    inside.route("/secret.png", Answer::ok("image/png", PNG));
    let link = feeds.url("/a/1");
    let content = format!(
        "<p>内网图片。</p><img src=\"{}\"><img src=\"http://169.254.169.254/latest/meta-data.png\">",
        inside.url("/secret.png")
    );
    let item = TestItem {
        title: "内网图片",
        link: &link,
        guid: Some(&link),
        date: Some(D1),
        content: &content,
    };
    feeds.route("/news", Answer::ok("application/rss+xml", rss(&[item])));
    let url = feeds.url("/news");
    let cfg = write_config(
        tmp.path(),
        "[fetch]\ntimeout = \"2s\"\nretries = 0",
        &[("news", "新闻台", &[url.as_str()])],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    let s = serve(&cfg);
    let list = get(&s, "/s/news/").body;
    let at = list.find("href=\"/s/news/").unwrap() + "href=\"".len();
    let href = &list[at..at + list[at..].find('"').unwrap()];
    let imgs = proxied(&get(&s, href).body);
    assert_eq!(imgs.len(), 2);
    for i in &imgs {
        let p = get(&s, i);
        assert_eq!(p.status, 403, "{i}: {}", p.body);
    }
    assert_eq!(
        inside.hits("/secret.png"),
        0,
        "the proxy reached a private address"
    );
    drop(s);
    // The keeper may allow it.
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "retries = 0",
        &format!(
            "retries = 0\nallow_private = [\"127.0.0.1:{}\"]",
            inside.port
        ),
    );
    std::fs::write(&cfg, text).unwrap();
    let s = serve(&cfg);
    assert_eq!(get(&s, &imgs[0]).status, 200);
    assert_eq!(inside.hits("/secret.png"), 1);
    assert_eq!(get(&s, &imgs[1]).status, 403);
}
