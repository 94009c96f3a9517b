//! Titles and links in the Markdown files (issue 12 point 3, issue 11's last point): any title
//! and link round-trips through the article file, and no title forms a link, an image or HTML
//! of its own in `lists/*.md` or an article's header line, as a Markdown renderer (CommonMark,
//! as git hosts render) reads them. Ordinary titles keep their bytes (the compat and seed
//! fixtures check that byte for byte).

mod common;

use newsmirror::mirror::{
    article_text, clean_line, file_link, list_entry, list_entry_link, parse_article,
};
use proptest::prelude::*;
use pulldown_cmark::{Event, Parser, Tag};

/// Links, images and HTML a renderer finds in `md`.
fn rendered(md: &str) -> (Vec<String>, usize, usize) {
    let (mut links, mut images, mut html) = (Vec::new(), 0, 0);
    for e in Parser::new(md) {
        match e {
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::Html(_) | Event::InlineHtml(_) => html += 1,
            _ => {}
        }
    }
    (links, images, html)
}

/// The text a renderer shows for `md`.
fn shown(md: &str) -> String {
    Parser::new(md)
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.to_string()),
            _ => None,
        })
        .collect()
}

const HOSTILE_TITLES: &[&str] = &[
    "正常标题](https://evil.example/phish) [点这里",
    "[视频](更新)美国大选结果",
    "![](https://evil.example/pixel.png)",
    "标题 <a href=\"https://evil.example/\">点这里</a>",
    "<https://evil.example/>",
    "a] [b](https://evil.example/",
    "结尾的反斜杠\\",
    "\\](https://evil.example/)",
    "未闭合的[括号",
    "多余的]括号",
    "[a][b] 引用",
    // Found by the property test: a code span hides the closing bracket.
    "`[`]",
    "代码`](https://evil.example/)`",
];

#[test]
fn hostile_titles_form_no_links_in_lists_or_headers() {
    for title in HOSTILE_TITLES {
        let entry = list_entry(1_718_801_223_000, title, "articles/s/1048574.md");
        let (links, images, html) = rendered(&entry);
        assert_eq!(links, vec!["/articles/s/1048574.md"], "{title}: {entry}");
        assert_eq!((images, html), (0, 0), "{title}: {entry}");
        assert_eq!(list_entry_link(&entry), Some("articles/s/1048574.md"));
        assert!(
            shown(&entry).contains(title.trim()),
            "{title} shown as {}",
            shown(&entry)
        );

        let text = article_text(1, title, "https://news.example/a/1.html", "<p>正文</p>");
        let header = text.lines().nth(1).unwrap();
        let (links, images, html) = rendered(header);
        assert_eq!(links, vec!["https://news.example/a/1.html"], "{header}");
        assert_eq!((images, html), (0, 0), "{header}");
        assert_eq!(shown(header), *title, "{header}");
        let back = parse_article(&text).unwrap();
        assert_eq!(back.title, *title);
    }
}

#[test]
fn hostile_links_stay_one_link() {
    for link in [
        "https://ok.example/a) [点这里](https://evil.example/",
        "https://ok.example/a b",
        "https://ok.example/(unbalanced",
        "https://ok.example/<x>",
        "https://ok.example/a\\)",
    ] {
        let text = article_text(1, "标题", link, "<p>x</p>");
        let header = text.lines().nth(1).unwrap();
        let (links, images, html) = rendered(header);
        assert_eq!(links.len(), 1, "{header}: {links:?}");
        assert_eq!((images, html), (0, 0), "{header}");
        assert_eq!(parse_article(&text).unwrap().link, link, "{header}");
    }
}

#[test]
fn ordinary_titles_and_links_keep_their_bytes() {
    let text = article_text(
        1_718_801_223_000,
        "普京会金正恩 [视频] (更新)",
        "https://a.example/b(c)?x=1&y=2",
        "<p>x</p>",
    );
    assert_eq!(
        text,
        "<!--1718801223000-->\n[普京会金正恩 [视频] (更新)](https://a.example/b(c)?x=1&y=2)\n------\n\n<p>x</p>\n"
    );
}

fn any_text() -> impl Strategy<Value = String> {
    // Markdown's and the header's own characters, often; anything else too.
    let pieces = prop_oneof![
        4 => Just("[".to_string()),
        4 => Just("]".to_string()),
        4 => Just("(".to_string()),
        4 => Just(")".to_string()),
        3 => Just("](".to_string()),
        3 => Just("\\".to_string()),
        2 => Just("<".to_string()),
        2 => Just(">".to_string()),
        2 => Just("!".to_string()),
        2 => Just("`".to_string()),
        1 => Just("&#93;".to_string()),
        1 => Just("https://evil.example/".to_string()),
        2 => Just(" ".to_string()),
        1 => Just("\n------\n".to_string()),
        1 => Just("<!--1-->".to_string()),
        4 => "[a-z视频更新]{1,4}",
        2 => any::<String>(),
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_title_and_link_round_trip_through_the_article_file(
        title in any_text(),
        link in any_text(),
        ms in any::<i64>(),
    ) {
        // As the archive stores them: one line, trimmed.
        let (title, link) = (clean_line(&title), clean_line(&link));
        let text = article_text(ms, &title, &link, "<p>正文</p>");
        let back = parse_article(&text).expect("a written article parses");
        prop_assert_eq!(back.title, title);
        // Links in a scheme other than http(s) and mailto are left out of the file.
        prop_assert_eq!(back.link, file_link(&link));
        prop_assert_eq!(back.published_ms, Some(ms));
        prop_assert_eq!(back.content, "<p>正文</p>");
    }

    #[test]
    fn no_title_forms_a_link_in_a_list(title in any_text()) {
        let title = clean_line(&title);
        let entry = list_entry(0, &title, "articles/s/1048574.md");
        let (links, images, html) = rendered(&entry);
        prop_assert_eq!(links, vec!["/articles/s/1048574.md".to_string()], "{}", entry);
        prop_assert_eq!((images, html), (0, 0), "{}", entry);
    }
}

/// Attack finding (feeds F10): an item whose link is `javascript:…` (or `data:`, `vbscript:`)
/// was committed as `[title](javascript:…)` in the article file, a live link on any host that
/// renders Markdown without its own filter. The file now carries `[title]()`; web links keep
/// their bytes.
#[test]
fn article_files_carry_no_script_links() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = [
        "javascript:alert(document.domain)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(2)",
        " vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
    ];
    let items: Vec<common::TestItem<'_>> = hostile
        .iter()
        .enumerate()
        .map(|(i, link)| common::TestItem {
            title: [
                "危险链接一",
                "危险链接二",
                "危险链接三",
                "危险链接四",
                "危险链接五",
                "危险链接六",
            ][i],
            link,
            guid: Some(["g1", "g2", "g3", "g4", "g5", "g6"][i]),
            date: Some("Tue, 01 Dec 2026 10:00:00 GMT"),
            content: "<p>正文内容</p>",
        })
        .chain([common::TestItem {
            title: "正常链接",
            link: "https://news.example/a/1.html?x=1&y=(2)",
            guid: Some("g7"),
            date: Some("Tue, 01 Dec 2026 10:00:00 GMT"),
            content: "<p>正文内容</p>",
        }])
        .collect();
    std::fs::write(dir.path().join("feed.xml"), common::rss(&items)).unwrap();
    let config = common::write_config(dir.path(), "", &[("s", "S", &["feed.xml"])]);
    let (code, _, err) = common::update(&config);
    assert_eq!(code, 0, "{err}");
    let files = common::markdown_files(&dir.path().join("archive/articles"));
    assert_eq!(files.len(), 7, "{files:?}");
    for (path, text) in &files {
        let header = text.lines().nth(1).unwrap();
        let (links, _, html) = rendered(header);
        assert_eq!(html, 0, "{path}: {header}");
        if header.contains("正常链接") {
            assert_eq!(
                header, "[正常链接](https://news.example/a/1.html?x=1&y=(2))",
                "{path}"
            );
        } else {
            assert!(header.ends_with("]()"), "{path}: {header}");
            assert!(links.iter().all(|l| l.is_empty()), "{path}: {links:?}");
            let lower = text.to_ascii_lowercase();
            assert!(
                !lower.contains("script:") && !lower.contains("data:") && !lower.contains("file:"),
                "{path}: {text}"
            );
        }
    }
    // Unit view: the same rule without the pipeline.
    for link in hostile {
        let text = article_text(1, "标题", link, "<p>x</p>");
        assert_eq!(text.lines().nth(1), Some("[标题]()"), "{link:?}");
    }
    for link in [
        "mailto:tips@news.example",
        "/relative/path",
        "https://a.example/b",
    ] {
        let text = article_text(1, "标题", link, "<p>x</p>");
        assert_eq!(
            text.lines().nth(1),
            Some(format!("[标题]({link})").as_str())
        );
    }
}
