//! Feeds out: every source's newest articles as Atom, RSS and JSON Feed beside the mirror
//! files, full content sanitized, parseable, with the formats' required elements.

mod common;

use common::*;

#[test]
fn feeds_out_parse_and_carry_the_articles() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &fixtures().join("compat/feeds"),
        &tmp.path().join("feeds-in"),
    );
    let text = std::fs::read_to_string(fixtures().join("compat/sources.toml")).unwrap();
    let text = text
        .replace("\"feeds/", "\"feeds-in/")
        .replace("\nfeeds = [", "\nfulltext = \"feed\"\nfeeds = [")
        .replace("dir = \"archive\"", "dir = \"archive\"\nfeeds = true");
    let cfg = tmp.path().join("sources.toml");
    std::fs::write(&cfg, text).unwrap();
    assert_eq!(update(&cfg).0, 0);
    let out = tmp.path().join("archive/feeds");
    let url = url::Url::parse("https://example.org/").unwrap();
    for ext in ["atom", "rss", "json"] {
        let bytes = std::fs::read(out.join(format!("bbc.{ext}"))).unwrap();
        let feed = newsmirror::feed::parse(&bytes, None, &url)
            .unwrap_or_else(|e| panic!("bbc.{ext}: {e}"));
        assert_eq!(feed.title.as_deref(), Some("BBC"), "{ext}");
        assert_eq!(feed.items.len(), 15, "{ext}");
        let first = &feed.items[0];
        assert_eq!(
            first.title, "英国指责中国“严重”侵犯新疆维族人权 中国称指控不实",
            "{ext}"
        );
        assert_eq!(
            first.link.as_ref().unwrap().as_str(),
            "http://www.bbc.com/zhongwen/simp/uk-53470961"
        );
        assert!(
            first
                .guid
                .as_deref()
                .unwrap()
                .starts_with("urn:newsmirror:bbc:"),
            "{ext}"
        );
        assert!(first.published.is_some(), "{ext}");
        assert!(
            first.content.contains("<p>") && !first.content.contains("<script"),
            "{ext}"
        );
    }
    // Required elements.
    let atom = std::fs::read_to_string(out.join("bbc.atom")).unwrap();
    for el in [
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"",
        "<id>urn:newsmirror:bbc</id>",
        "<title>BBC</title>",
        "<updated>",
        "<entry>",
        "<content type=\"html\">",
    ] {
        assert!(atom.contains(el), "atom lacks {el}");
    }
    let rss = std::fs::read_to_string(out.join("bbc.rss")).unwrap();
    for el in [
        "<rss version=\"2.0\"",
        "<channel>",
        "<title>BBC</title>",
        "<link>",
        "<description>",
        "<item>",
        "<guid isPermaLink=\"false\">",
        "<pubDate>",
    ] {
        assert!(rss.contains(el), "rss lacks {el}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("bbc.json")).unwrap()).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert!(json["items"][0]["id"].is_string() && json["items"][0]["content_html"].is_string());
    // The feed of all sources: the newest 50.
    let all =
        newsmirror::feed::parse(&std::fs::read(out.join("all.atom")).unwrap(), None, &url).unwrap();
    assert_eq!(all.items.len(), 50);
    // A rerun with nothing new leaves them as they are.
    let before = mtimes(&out);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(update(&cfg).0, 0);
    assert_eq!(before, mtimes(&out));
}

#[test]
fn feeds_out_are_well_formed_xml() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("seed/feed.xml"),
        tmp.path().join("feed.xml"),
    )
    .unwrap();
    let cfg = write_config(tmp.path(), "", &[("dw", "德国之声", &["feed.xml"])]);
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("dir = \"archive\"", "dir = \"archive\"\nfeeds = true");
    std::fs::write(&cfg, text).unwrap();
    assert_eq!(update(&cfg).0, 0);
    for name in ["dw.atom", "dw.rss", "all.atom"] {
        let text = std::fs::read_to_string(tmp.path().join("archive/feeds").join(name)).unwrap();
        assert!(text.starts_with("<?xml"), "{name}");
        assert_eq!(
            text.matches("<?xml").count(),
            1,
            "{name}: one XML declaration, at the start"
        );
    }
}
