//! Feeds in: real feeds that a strict reader rejects or reads wrong (copied into
//! tests/fixtures/feeds-in/, see PROVENANCE.md), read as the most tolerant reader reads them and
//! right where it is wrong; the source's time zone, lying charsets, enclosures kept; hostile
//! documents that must neither panic nor hang.

mod common;

use common::server::{Answer, Server};
use common::*;
use newsmirror::feed::{self, EnclosureKind, Format, Options};
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("feeds-in").join(name)).unwrap()
}

fn read(name: &str) -> feed::Feed {
    read_with(name, None, Options::default())
}

fn read_with(name: &str, content_type: Option<&str>, opts: Options) -> feed::Feed {
    let url = Url::parse("http://127.0.0.1:8097/feeds/f.xml").unwrap();
    feed::parse_with(&fixture(name), content_type, &url, opts)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

#[test]
fn versions_and_namespaces_a_strict_reader_rejects() {
    // RSS without a version attribute problem: "no root element" before; Portuguese dates.
    let f = read("uolNoticias.rss");
    assert_eq!(f.items.len(), 15);
    assert!(
        f.items
            .iter()
            .all(|i| i.link.is_some() && i.published.is_some())
    );
    assert_eq!(
        f.items[0].published.unwrap().timestamp(),
        ts("2018-09-24T19:42:40-03:00")
    );
    // Atom 0.3: silently empty before.
    let f = read("atom03-amp01.xml");
    assert_eq!(f.format, Format::Atom03);
    assert_eq!(f.items.len(), 1);
    assert_eq!(f.items[0].title, "&");
    // RSS 2.0 in the Userland namespace.
    let f = read("rss2.0NSwithModules.xml");
    assert_eq!(f.items.len(), 1);
    assert!(f.items[0].published.is_some());
    // RSS 1.0 item without <link>: kept, with rdf:about as its guid.
    let f = read("rdf_item_rdf_about.xml");
    assert_eq!(f.items.len(), 1);
    assert_eq!(f.items[0].link, None);
    assert!(f.items[0].guid.is_some());
    // CDF, JSON Feed 1.0.
    assert_eq!(
        read("cdf_item_abstract.xml").items[0].content,
        "Example description"
    );
    let f = read("version_json_10.json");
    assert!(!f.items.is_empty());
    assert!(matches!(f.format, Format::Json(_)));
}

#[test]
fn malformed_documents_are_recovered() {
    for name in ["rss_incomplete_cdata.xml", "hex_entity_x_uppercase.xml"] {
        assert_eq!(read(name).items.len(), 1, "{name}");
    }
    // An Atom summary of type application/octet-stream is base64, not a reason to drop the feed.
    let f = read("entry_summary_base64.xml");
    assert_eq!(f.items.len(), 1);
    assert!(
        f.items[0].content.contains("Example <b>Atom</b>"),
        "{}",
        f.items[0].content
    );
}

#[test]
fn content_and_dates_where_they_hide() {
    // YouTube: content only in media:group/media:description; thumbnail and video kept.
    let f = read("atom_mediarss_youtube_1.xml");
    let e = &f.items[0];
    assert!(e.content.contains("Navigating with Quantum Entanglement") || !e.content.is_empty());
    assert!(
        e.enclosures
            .iter()
            .any(|x| x.kind == EnclosureKind::Thumbnail)
    );
    // "Sat, Dec 16 2023 02:02:33 PM": month before day, 12-hour clock.
    let f = read("rss_2.0_nbcny.xml");
    assert_eq!(
        f.items[0].published.unwrap().timestamp(),
        ts("2023-12-16T14:02:33Z")
    );
    // Italian weekday ("mer,"), which feedparser cannot read.
    let f = read("rss_2.0_ilmessaggero.xml");
    assert_eq!(
        f.items[0].published.unwrap().timestamp(),
        ts("2022-11-16T00:38:15+01:00")
    );
}

#[test]
fn charsets_lying_undeclared_and_utf16_without_bom() {
    // GBK declared gbk, served as UTF-8: the header loses.
    let f = read_with(
        "dw-gbk.xml",
        Some("application/rss+xml; charset=utf-8"),
        Options::default(),
    );
    assert_eq!(f.title.as_deref(), Some("德国之声"));
    assert_eq!(f.items.len(), 3);
    assert!(
        f.items[0].title.contains("墙外文摘"),
        "{}",
        f.items[0].title
    );
    assert!(f.items.iter().all(|i| !i.content.contains('\u{FFFD}')));
    // GB2312 declared nowhere: detected.
    let f = read("gb2312-undeclared.xml");
    assert!(!f.items[0].title.contains('\u{FFFD}'));
    assert!(
        f.items[0]
            .title
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    );
    // UTF-16BE without a BOM (quick-xml panicked on it before).
    let f = read("utf-16be-autodetect.xml");
    assert_eq!(f.format, Format::Rss(None));
    assert_eq!(f.items.len(), 0);
}

fn file_ms(text: &str) -> i64 {
    text.strip_prefix("<!--")
        .and_then(|t| t.split("-->").next())
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_source_time_zone_decides_zoneless_dates_and_cst() {
    let tmp = tempfile::tempdir().unwrap();
    for d in ["sh", "plain"] {
        std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        std::fs::write(tmp.path().join(d).join("f.xml"), fixture("dates-cst.xml")).unwrap();
    }
    let cfg = tmp.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[archive]\ndir = \"archive\"\n\n[[sources]]\nslug = \"sh\"\nname = \"SH\"\nfulltext = \"feed\"\ntimezone = \"Asia/Shanghai\"\nfeeds = [\"sh/f.xml\"]\n\n[[sources]]\nslug = \"plain\"\nname = \"Plain\"\nfulltext = \"feed\"\nfeeds = [\"plain/f.xml\"]\n",
    )
    .unwrap();
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    let t8 = ts("2024-06-19T04:47:03Z") * 1000;
    let t0 = ts("2024-06-19T12:47:03Z") * 1000;
    let us_central = ts("2024-06-19T18:47:03Z") * 1000;
    for (slug, want) in [
        ("sh", [t8, t8, t8, t0, t8]),
        ("plain", [t0, t0, us_central, t0, t8]),
    ] {
        let mut got: Vec<(String, i64)> =
            markdown_files(&tmp.path().join("archive/articles").join(slug))
                .into_iter()
                .map(|(_, text)| {
                    let title = text.lines().nth(1).unwrap().to_string();
                    (title, file_ms(&text))
                })
                .collect();
        got.sort();
        let titles = ["无时区", "中文日期", "CST", "GMT", "GMT+8"];
        let mut expect: Vec<(String, i64)> = titles
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("[{t}](https://example.org/a/{})", i + 1), want[i]))
            .collect();
        expect.sort();
        assert_eq!(got, expect, "{slug}");
    }
}

#[test]
fn a_bad_timezone_exits_2_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[archive]\ndir = \"a\"\n\n[[sources]]\nslug = \"x\"\nname = \"X\"\ntimezone = \"Asia/Beijing\"\nfeeds = []\n",
    )
    .unwrap();
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 7") && err.contains("Asia/Beijing") && err.contains("IANA"),
        "{err}"
    );
}

#[test]
fn gbk_served_as_utf8_over_http_is_archived_right() {
    let server = Server::start();
    server.route(
        "/dw.xml",
        Answer::ok("application/rss+xml; charset=utf-8", fixture("dw-gbk.xml")),
    );
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "", &[("dw", "DW", &[&server.url("/dw.xml")])]);
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    let files = markdown_files(&tmp.path().join("archive/articles/dw"));
    assert_eq!(files.len(), 3);
    for (_, text) in &files {
        assert!(!text.contains('\u{FFFD}'), "{text}");
    }
    assert!(files.iter().any(|(_, t)| t.contains("墙外文摘")));
}

#[test]
fn enclosures_are_kept_in_the_database_export_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("narro.rss"), fixture("narro.rss")).unwrap();
    let cfg = write_config(tmp.path(), "", &[("pod", "Pod", &["narro.rss"])]);
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    let mp3 = "https://s3.amazonaws.com/nareta-articles/audio/54d046c293f79c0300000003/7e2d2b00-a945-441a-f49b-063786a319a4.mp3";
    let files = markdown_files(&tmp.path().join("archive/articles/pod"));
    assert_eq!(files.len(), 1);
    let text = &files[0].1;
    assert!(
        text.contains(&format!("<a href=\"{mp3}\">")) && text.contains("(audio/mpeg, 74 B)"),
        "{text}"
    );
    assert!(
        text.contains("<img src=\"http://example.com/someImage.jpg\">"),
        "{text}"
    );
    let out = newsmirror(&[
        "export",
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert!(out.status.success());
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    let enc = line["enclosures"].as_array().unwrap();
    assert_eq!(enc.len(), 2);
    // Feed order: the episode picture comes first in this feed.
    assert_eq!(enc[0]["kind"], "thumbnail");
    assert_eq!(enc[0]["url"], "http://example.com/someImage.jpg");
    assert_eq!(enc[1]["url"], mp3);
    assert_eq!(enc[1]["mime_type"], "audio/mpeg");
    assert_eq!(enc[1]["length"], 74);
    assert_eq!(enc[1]["kind"], "enclosure");
    // A second run finds the item known: nothing new, the file unchanged.
    let before = tree(&tmp.path().join("archive/articles"));
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(&tmp.path().join("archive/articles")), before);
    // A fresh runner (the database deleted, the files kept): the enclosure block is not taken
    // for an edit, no revision appears, and the enclosures are read back from the file.
    std::fs::remove_dir_all(tmp.path().join("archive/.newsmirror")).unwrap();
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(&tmp.path().join("archive/articles")), before);
    assert!(!tmp.path().join("archive/revisions").exists());
    let out = newsmirror(&[
        "export",
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    // One revision: the export lists revisions only when there are several.
    assert!(
        line["revisions"].as_array().is_none_or(|r| r.len() <= 1),
        "{line}"
    );
    let urls: Vec<&str> = line["enclosures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    assert!(urls.contains(&mp3), "{urls:?}");
    // Readers get a player on the article page, and feeds out carry the enclosure.
    let out_dir = tmp.path().join("site");
    let out = newsmirror(&[
        "site",
        "--config",
        cfg.to_str().unwrap(),
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let pages = markdown_like_files(&out_dir.join("s/pod"), ".html");
    let page = pages
        .iter()
        .find(|(name, _)| !name.starts_with("index") && !name.starts_with("page-"))
        .map(|(_, t)| t.clone())
        .expect("an article page");
    assert!(
        page.contains("<audio") && page.contains(mp3),
        "a player for the episode: {page}"
    );
    let rss = std::fs::read_to_string(out_dir.join("feeds/pod.rss")).unwrap();
    assert!(
        rss.contains(&format!(
            "<enclosure url=\"{mp3}\" length=\"74\" type=\"audio/mpeg\""
        )),
        "{rss}"
    );
    let atom = std::fs::read_to_string(out_dir.join("feeds/pod.atom")).unwrap();
    assert!(atom.contains("rel=\"enclosure\""), "{atom}");
    let json = std::fs::read_to_string(out_dir.join("feeds/pod.json")).unwrap();
    assert!(json.contains("\"attachments\""), "{json}");
}

/// Files of `dir` whose names end with `ext`: (name, text).
fn markdown_like_files(dir: &std::path::Path, ext: &str) -> Vec<(String, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(ext)
                .then(|| (name, std::fs::read_to_string(e.path()).unwrap()))
        })
        .collect()
}

#[test]
fn hostile_documents_neither_panic_nor_hang() {
    let url = Url::parse("http://x.example/f.xml").unwrap();
    let deep = format!(
        "<rss><channel><item>{}</item></channel></rss>",
        "<a>".repeat(50_000)
    );
    let many = format!(
        "<rss><channel>{}</channel></rss>",
        "<item><title>t</title><link>http://x.example/a</link></item>".repeat(25_000)
    );
    let huge = format!(
        "<rss><channel><item><title>t</title><description>{}</description></item></channel></rss>",
        "&lt;p&gt;长文".repeat(250_000)
    );
    let bomb = format!(
        "<!DOCTYPE r [<!ENTITY a \"{}\">]><rss><channel><item><title>{}</title></item></channel></rss>",
        "x".repeat(1000),
        "&a;".repeat(100_000)
    );
    let docs: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        many.into_bytes(),
        huge.into_bytes(),
        bomb.into_bytes(),
        b"<rss><channel><item><title>\x00\x01\x02\x1b</title></item>".to_vec(),
        b"<<<<>>>>&&&&;;;;<![CDATA[<!--<?".to_vec(),
        b"<rss <item <title".to_vec(),
        b"\xfe\xff\x00<\x00r\x00s".to_vec(),
        b"\x00\x00\xfe\xff\x00\x00\x00<".to_vec(),
        b"{\"items\":[{\"id\":{},\"url\":[1],\"title\":null,\"date_published\":99999999999999}]}".to_vec(),
        b"{\"items\": [".repeat(1000),
        (0..=255u8).cycle().take(100_000).collect(),
        "<rss><channel><item><pubDate>Wed, 99 Jun 99999 99:99:99 +9999</pubDate><link>http://[::1</link></item></channel></rss>"
            .as_bytes()
            .to_vec(),
    ];
    for doc in &docs {
        let _ = feed::parse(doc, Some("text/xml; charset=utf-16"), &url);
        let _ = feed::parse(doc, None, &url);
    }
    // The entity bomb stays small: declared entities are not expanded.
    let f = feed::parse(
        b"<!DOCTYPE r [<!ENTITY a \"xxxxxxxxxx\">]><rss><channel><item><title>&a;&a;</title></item></channel></rss>",
        None,
        &url,
    )
    .unwrap();
    assert_eq!(f.items[0].title, "&a;&a;");
}
