use super::*;

fn show(html: &str, rules: &DisplayRules) -> String {
    let shown = Shown {
        link: "https://news.example/a/1.html",
        rules,
        images: Images::AsIs,
        assets: None,
    };
    article(html, &shown, "../../assets/")
}

fn plain(html: &str) -> String {
    show(html, &DisplayRules::default())
}

#[test]
fn only_web_and_mail_links_are_followed() {
    let out = plain(
        "<p><a href=\"javascript:alert(1)\">a</a><a href=\"mailto:x@example.org\">b</a>\
         <a href=\"https://e.example/a b|c\">c</a><a href=\"data:text/html,x\">d</a></p>",
    );
    assert!(!out.contains("javascript"), "{out}");
    assert!(!out.contains("data:"), "{out}");
    assert!(out.contains("href=\"mailto:x@example.org\""), "{out}");
    assert!(
        out.contains("href=\"https://e.example/a%20b%7Cc\""),
        "{out}"
    );
    // A link that goes nowhere is plain text, not a link that does nothing (F6).
    let doc = dom_query::Document::fragment(out.as_str());
    assert!(doc.select("a:not([href])").is_empty(), "{out}");
    assert!(
        out.starts_with("<p>a<a ") && out.contains("</a>d</p>"),
        "text stays: {out}"
    );
}

#[test]
fn a_host_ending_in_stray_spaces_is_repaired() {
    // Every NYT article's link to its English original (F6).
    let out = plain(
        "<p><a href=\"http://www.nytimes.com%20/2020/06/24/world/asia/x.html\">点击查看本文英文版。</a></p>",
    );
    assert!(
        out.contains("href=\"http://www.nytimes.com/2020/06/24/world/asia/x.html\""),
        "{out}"
    );
    assert_eq!(safe_href("http://%20/x"), None);
}

#[test]
fn outlet_rules_hide_helper_text_and_cut_trailers() {
    let rules = DisplayRules {
        hide_selectors: vec![
            ".off-screen".into(),
            ".player-with-placeholder__caption".into(),
        ],
        cut_from_text: vec!["get_post_time('Y')".into()],
    };
    let html = "<figure><img src=\"https://i.example/1.jpg\"><span class=\"off-screen\">图片版权</span>\
        <figcaption><span class=\"off-screen\">Image caption</span>说明</figcaption></figure>\
        <div class=\"player-with-placeholder__caption\">你的器材不支持播放多媒体材料</div>\
        <p>正文。</p><hr /><p><small>&copy; 作者 for 中国数字时代, get_post_time('Y'). |Permalink</small></p><p>Feed enhanced by Better Feed</p>";
    let out = show(html, &rules);
    for gone in [
        "图片版权",
        "Image caption",
        "你的器材",
        "get_post_time",
        "Better Feed",
        "<hr",
    ] {
        assert!(!out.contains(gone), "{gone} in {out}");
    }
    assert!(out.contains("正文。") && out.contains("说明"), "{out}");
}

#[test]
fn media_becomes_a_player_or_a_link_never_nothing() {
    let out =
        plain("<video src=\"https://tv.example/v/a.mp4\" controls style=\"width:100%\"></video>");
    assert!(
        out.contains("<video controls=\"\" preload=\"none\"><source src=\"https://tv.example/v/a.mp4\" type=\"video/mp4\">"),
        "{out}"
    );
    assert!(out.contains("视频文件"), "{out}");
    let out = plain(
        "<video poster=\"https://i.example/p.jpg\"><source src=\"https://tv.example/live.m3u8\"></video>",
    );
    assert!(!out.contains("<video"), "{out}");
    assert!(
        out.contains("视频：在原网页观看") && out.contains("src=\"https://i.example/p.jpg\""),
        "{out}"
    );
    let out =
        plain("<p><iframe src=\"https://www.youtube.com/embed/xyz\" title=\"访谈\"></iframe></p>");
    assert!(
        out.contains("href=\"https://www.youtube.com/watch?v=xyz\"") && out.contains("视频：访谈"),
        "{out}"
    );
    let out = plain("<iframe src=\"javascript:alert(1)\"></iframe><p>x</p>");
    assert!(!out.contains("javascript") && !out.contains("<a"), "{out}");
}

#[test]
fn images_have_alt_lazy_loading_and_no_fixed_box() {
    let out = plain("<img src=\"https://i.example/a.jpg\" width=\"1000\" height=\"600\">");
    assert!(out.contains("alt=\"\""), "{out}");
    assert!(out.contains("loading=\"lazy\""), "{out}");
    assert!(!out.contains("width=") && !out.contains("height="), "{out}");
    let out = plain("<img src=\"../../assets/ab.jpg\" width=\"100%\" alt=\"图\">");
    assert!(
        out.contains("src=\"../../assets/ab.jpg\"") && !out.contains("width"),
        "{out}"
    );
    let out = plain("<img src=\"../../assets/ab.jpg\" width=\"640\" height=\"480\" alt=\"图\">");
    assert!(
        out.contains("width=\"640\"") && out.contains("height=\"480\""),
        "{out}"
    );
    let out = plain(
        "<img src=\"https://i.example/t-289x300.jpg\" srcset=\"https://i.example/t-289x300.jpg 289w, https://i.example/l-768.jpg 768w, https://i.example/xl-2400.jpg 2400w\">",
    );
    assert!(
        out.contains("src=\"https://i.example/l-768.jpg\"") && !out.contains("srcset"),
        "{out}"
    );
}

#[test]
fn proxied_images_skip_third_party_proxies() {
    let rules = DisplayRules::default();
    let proxy = |u: &Url| format!("/img/x?u={u}");
    let shown = Shown {
        link: "https://news.example/a/1.html",
        rules: &rules,
        images: Images::Proxy(&proxy),
        assets: None,
    };
    let out = article(
        "<img src=\"https://images.weserv.nl/?url=ichef.bbci.co.uk/news/640/a.jpg\">",
        &shown,
        "/assets/",
    );
    assert!(
        out.contains("src=\"/img/x?u=https://ichef.bbci.co.uk/news/640/a.jpg\""),
        "{out}"
    );
}

#[test]
fn headings_follow_the_title_and_captions_sit_in_figures() {
    let out = plain("<h1>一</h1><p>x</p><h4>二</h4><h2>三</h2>");
    assert!(
        out.contains("<h2>一</h2>") && out.contains("<h3>二</h3>") && out.contains("<h3>三</h3>"),
        "{out}"
    );
    let out = plain(
        "<div><img src=\"https://i.example/a.jpg\" alt=\"a\"><figcaption>说明</figcaption></div><p><figcaption>孤</figcaption></p>",
    );
    assert!(out.contains("<figure><img"), "{out}");
    assert!(
        out.contains("<p class=\"caption\">孤</p>") || out.contains("class=\"caption\""),
        "{out}"
    );
}

#[test]
fn blocks_leave_phrasing_elements() {
    let out = plain("<p>x</p><span><div>a</div></span><b><p>b</p></b>");
    assert!(
        !out.contains("<span><div>") && !out.contains("<b><p>"),
        "{out}"
    );
    assert!(out.contains("<div class=\"bold\"><p>b</p></div>"), "{out}");
}

#[test]
fn characters_xml_forbids_are_dropped() {
    let out = plain("<p>a\u{b}b\u{c}c\u{1b}d\u{ffff}e\u{0}</p>");
    assert!(out.contains("abcde"), "{out:?}");
    assert_eq!(xml_chars("正常\u{1}").as_ref(), "正常");
}

#[test]
fn traditional_text_is_told_from_simplified() {
    assert!(is_traditional(
        "全國人大常委會迅速通過港區國安法，在同月，有超過三十年歷史"
    ));
    assert!(!is_traditional(
        "全国人大常委会迅速通过港区国安法，在同月，有超过三十年历史"
    ));
    assert!(!is_traditional(
        "美国总统在台北會見了记者，谈到香港的国安法和经济问题以及别的事情"
    ));
}

#[test]
fn deep_nesting_gets_the_streaming_pass_and_stays_inert() {
    let n = 3000;
    let html = format!(
        "{}<a href=\"javascript:alert(1)\">x</a><img src=\"https://i.example/a.jpg\" width=\"900\" height=\"900\">{}",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let out = plain(&html);
    assert!(!out.contains("javascript"), "{}", &out[out.len() - 300..]);
    assert!(
        !out.contains("<a>") && out.contains(">x<img"),
        "{}",
        &out[out.len() - 300..]
    );
    assert!(out.contains("loading=\"lazy\"") && !out.contains("width="));
    assert_eq!(
        depth("<div><p>a<br>b</p><img src=\"x\" alt=\"<div>\"></div>", 10),
        2
    );
    assert!(depth(&html, MAX_DEPTH) > MAX_DEPTH);
}
