//! Feeds in, as a black-box attacker found them wrong (/work/coord/attack-feeds.md, F3–F12):
//! each case is served by a loopback server and archived by the binary, and the article files
//! and `export` are checked. The parser's own rules are tested beside it (src/feed/**,
//! src/fetch/charset.rs); these show that the archive gets them.

mod common;

use std::path::{Path, PathBuf};

use common::server::{Answer, Server};
use common::*;

const ZH: &str = "德国之声：朱镕基谈“改革”与台湾";

/// Serves `body` at `/f` with `content_type`, archives it once, and returns the folder, the
/// config and the exit code (stderr in the panic message when asked for success).
fn archive_once(
    server: &Server,
    content_type: &str,
    body: Vec<u8>,
) -> (tempfile::TempDir, PathBuf) {
    server.route("/f", Answer::ok(content_type, body));
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "", &[("s", "S", &[&server.url("/f")])]);
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    (tmp, cfg)
}

/// `export` as JSON lines.
fn export(cfg: &Path) -> Vec<serde_json::Value> {
    let out = newsmirror(&[
        "export",
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn titles(cfg: &Path) -> Vec<String> {
    let mut t: Vec<String> = export(cfg)
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[test]
fn capitalised_element_names_are_read_once() {
    // F5: `<Title>`, `<Link>`, `<PubDate>` were `(无标题)` articles archived again every run;
    // `<RSS>`/`<Item>` were rejected.
    let server = Server::start();
    let body = "<?xml version=\"1.0\"?>\n<RSS version=\"2.0\"><Channel><Title>caps</Title>\n<Item><Title>Capital Title</Title><Link>http://h.example/c1</Link><Description>Capital description</Description><PubDate>Wed, 19 Jun 2024 12:47:03 GMT</PubDate><GUID>http://h.example/c1</GUID></Item>\n<item><TITLE>UPPER TITLE</TITLE><LINK>http://h.example/c2</LINK><DESCRIPTION>UPPER description</DESCRIPTION><pubdate>Wed, 19 Jun 2024 12:47:03 GMT</pubdate></item>\n</Channel></RSS>\n";
    let (tmp, cfg) = archive_once(&server, "application/rss+xml", body.into());
    let arts = export(&cfg);
    assert_eq!(arts.len(), 2);
    for a in &arts {
        assert!(
            a["published"]
                .as_str()
                .unwrap()
                .starts_with("2024-06-19T12:47:03"),
            "{a}"
        );
        assert!(
            a["link"]
                .as_str()
                .unwrap()
                .starts_with("http://h.example/c"),
            "{a}"
        );
    }
    assert_eq!(titles(&cfg), ["Capital Title", "UPPER TITLE"]);
    let before = tree(&tmp.path().join("archive/articles"));
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(&tmp.path().join("archive/articles")), before, "{out}");
}

#[test]
fn one_cut_character_costs_one_character() {
    // F3: a summary cut inside a character turned the whole UTF-8 feed into windows-1252.
    let server = Server::start();
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>C</title>\n",
    );
    for i in 0..5 {
        body.push_str(&format!("<item><title>{ZH} {i}</title><link>http://c.example/m{i}</link><description>摘要正文第{i}条</description></item>\n"));
    }
    let mut bytes = body.into_bytes();
    bytes.extend_from_slice(
        "<item><title>被截断的摘要</title><link>http://c.example/cut</link><description>"
            .as_bytes(),
    );
    let cut = "这是一段被按字节截断的摘".as_bytes();
    bytes.extend_from_slice(&cut[..cut.len() - 1]);
    bytes.extend_from_slice(b"...</description></item>\n</channel></rss>\n");
    let (_tmp, cfg) = archive_once(&server, "application/rss+xml; charset=utf-8", bytes);
    let t = titles(&cfg);
    assert_eq!(t.len(), 6);
    assert!(
        t.contains(&format!("{ZH} 0")) && t.contains(&"被截断的摘要".to_string()),
        "{t:?}"
    );
    let cut_item = export(&cfg)
        .into_iter()
        .find(|a| a["title"] == "被截断的摘要")
        .unwrap();
    assert_eq!(cut_item["content"], "这是一段被按字节截断的\u{FFFD}...");
}

#[test]
fn lying_declarations_lose_to_plain_double_byte_text() {
    // F11: GBK declared iso-8859-1 or big5, Big5 declared gbk.
    const TW: &str = "德國之聲：朱鎔基談「改革」與臺灣";
    let server = Server::start();
    for (text, decl, enc) in [
        (ZH, "iso-8859-1", encoding_rs::GBK),
        (ZH, "big5", encoding_rs::GBK),
        (TW, "gbk", encoding_rs::BIG5),
    ] {
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"{decl}\"?>\n<rss version=\"2.0\"><channel><title>C</title><item><title>{text}</title><link>http://c.example/1</link><description>{text} 正文</description></item></channel></rss>\n"
        );
        let (_tmp, cfg) = archive_once(&server, "application/xml", enc.encode(&doc).0.into_owned());
        assert_eq!(titles(&cfg), [text], "{decl}");
    }
}

#[test]
fn a_lone_surrogate_escape_costs_one_character() {
    // F4: `"\ud83d"` rejected the whole JSON Feed.
    let server = Server::start();
    let mut items: Vec<String> = (0..5)
        .map(|i| format!("{{\"id\":\"{i}\",\"url\":\"http://j.example/s{i}\",\"title\":\"正常标题 {i}\",\"content_html\":\"<p>正文 {i}</p>\"}}"))
        .collect();
    items.push(r#"{"id":"cut","url":"http://j.example/cut","title":"新闻标题\ud83d","content_html":"<p>摘要</p>"}"#.into());
    let body = format!(
        "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"J\",\"items\":[{}]}}",
        items.join(",")
    );
    let (_tmp, cfg) = archive_once(&server, "application/feed+json", body.into_bytes());
    let t = titles(&cfg);
    assert_eq!(t.len(), 6, "{t:?}");
    assert!(t.contains(&"新闻标题\u{FFFD}".to_string()), "{t:?}");
}

#[test]
fn lesser_content_and_title_misses() {
    // F10: media:description inside media:content, an unfinished CDATA, a NUL, an empty
    // <title> before dc:title, itunes:title; F7: relative URLs under xml:base; F8 dates.
    let server = Server::start();
    let body = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel><title>x</title>\n\
<item><title>media</title><link>http://x.example/1</link><media:content url=\"http://x.example/v.mp4\"><media:description>desc inside media content</media:description></media:content></item>\n\
<item><title>nul</title><link>http://x.example/2</link><description>body\u{0}with\u{8}nul</description><pubDate>Wed, 19 Jun 2024 24:00:00 GMT</pubDate></item>\n\
<item><title></title><dc:title>dc after empty title</dc:title><link>http://x.example/3</link><description>d</description><pubDate>06/19/2024 12:47:03</pubDate></item>\n\
<item><itunes:title>Episode 1</itunes:title><link>http://x.example/4</link><description>e</description><pubDate>2024-06-19T12:47:03+08:00[Asia/Shanghai]</pubDate></item>\n\
<item xml:base=\"http://b.example/dir/\"><title>based</title><link>http://x.example/5</link><description>&lt;img src=\"p.png\"&gt;</description></item>\n\
<item><title>cdata</title><link>http://x.example/6</link><description><![CDATA[<p>never closed</p></description></item>\n\
<item><title>after cdata</title><link>http://x.example/7</link><description>kept</description></item>\n\
</channel></rss>\n";
    let (tmp, cfg) = archive_once(&server, "application/rss+xml", body.into());
    let arts = export(&cfg);
    let by = |t: &str| {
        arts.iter()
            .find(|a| a["title"] == t)
            .unwrap_or_else(|| panic!("{t} in {arts:?}"))
            .clone()
    };
    assert!(
        by("media")["content"]
            .as_str()
            .unwrap()
            .starts_with("desc inside media content")
    );
    assert_eq!(by("nul")["content"], "bodywithnul");
    assert_eq!(by("nul")["published"], "2024-06-20T00:00:00.000Z");
    assert_eq!(
        by("dc after empty title")["published"],
        "2024-06-19T12:47:03.000Z"
    );
    assert_eq!(by("Episode 1")["published"], "2024-06-19T04:47:03.000Z");
    assert_eq!(
        by("based")["content"],
        "<img src=\"http://b.example/dir/p.png\">"
    );
    assert_eq!(by("cdata")["content"], "<p>never closed</p>");
    assert_eq!(by("after cdata")["content"], "kept");
    for (name, text) in markdown_files(&tmp.path().join("archive/articles")) {
        assert!(!text.contains(['\u{0}', '\u{8}']), "{name}: {text:?}");
    }
}

#[test]
fn a_fresh_runner_gets_every_enclosure_back_exactly() {
    // F12: after a rebuild from the files, enclosures the content already linked were gone,
    // and the others had lost their exact length and kind.
    let server = Server::start();
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>M</title><link>http://m.example/</link>
<item><title>ENC m01 multiple</title><link>http://m.example/m01</link><description>two enclosures</description><enclosure url="http://m.example/a.mp3" type="audio/mpeg" length="1234"/><enclosure url="http://m.example/b.m4a" type="audio/mp4" length="2000"/></item>
<item><title>ENC m09 already in content</title><link>http://m.example/m09</link><description>&lt;p&gt;Listen: &lt;a href="http://m.example/in.mp3"&gt;here&lt;/a&gt;&lt;/p&gt;</description><enclosure url="http://m.example/in.mp3" type="audio/mpeg" length="5"/></item>
<item><title>ENC m10 image in content</title><link>http://m.example/m10</link><description>&lt;img src="http://m.example/pic.jpg"&gt;</description><media:content url="http://m.example/pic.jpg" medium="image" type="image/jpeg"/></item>
</channel></rss>"#;
    let (tmp, cfg) = archive_once(&server, "application/rss+xml", body.into());
    let enclosures = |cfg: &Path| {
        let mut e: Vec<(String, serde_json::Value)> = export(cfg)
            .into_iter()
            .map(|a| {
                (
                    a["title"].as_str().unwrap().to_string(),
                    a["enclosures"].clone(),
                )
            })
            .collect();
        e.sort_by(|a, b| a.0.cmp(&b.0));
        e
    };
    let before = enclosures(&cfg);
    assert!(before.iter().all(|(_, e)| e.is_array()), "{before:?}");
    assert_eq!(before[0].1[0]["length"], 1234);
    let files = tree(&tmp.path().join("archive/articles"));
    delete_database(&tmp.path().join("archive"));
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(&tmp.path().join("archive/articles")), files);
    assert!(!tmp.path().join("archive/revisions").exists());
    assert_eq!(enclosures(&cfg), before);
}

#[test]
fn an_empty_timezone_is_a_config_error() {
    // F8 (config): `timezone = ""` names the source and the line.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[archive]\ndir = \"a\"\n\n[[sources]]\nslug = \"x\"\nname = \"X\"\ntimezone = \"\"\nfeeds = []\n",
    )
    .unwrap();
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 7") && err.contains("\"x\""), "{err}");
}
