//! Full text from an article page: the main content as HTML, by per-source CSS rules when
//! given, else by rs-trafilatura (chosen by measurement, see BENCHMARKS.md).
//!
//! Takes a page's HTML and URL and returns HTML; it never fetches, never sanitizes (`clean`
//! does), and never touches the archive.

mod budget;
mod fallback;

use url::Url;

pub use budget::{Budget, extract_within};

pub use fallback::densest_block;

/// Why no content could be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("no main content found on the page")]
    Empty,
    #[error("the CSS selector {selector:?} is not valid: {why}")]
    Selector { selector: String, why: String },
    #[error("the selector {0:?} matched nothing on the page")]
    NoMatch(String),
    #[error("extraction failed: {0}")]
    Failed(String),
    #[error("the page is {} KB, more than the extraction budget of {} KB", .size / 1024, .limit / 1024)]
    TooLarge { size: usize, limit: usize },
    #[error("extraction took longer than its budget of {0:?} and was abandoned")]
    TooSlow(std::time::Duration),
    #[error("the extractor crashed on this page ({0})")]
    Crashed(String),
}

/// Per-source extraction rules; they win over the general extractor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Rules {
    /// CSS selector of the article body.
    pub content_selector: Option<String>,
    /// CSS selectors of parts to drop (share bars, related articles…).
    pub remove_selectors: Vec<String>,
}

/// What was extracted.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The page's headline, when found.
    pub title: Option<String>,
    /// The main content, HTML (not yet sanitized).
    pub html: String,
    /// The main content as plain text.
    pub text: String,
}

/// Extracts the main content of `html`, a page at `url`.
pub fn extract(html: &str, url: &Url, rules: &Rules) -> Result<Extracted, ExtractError> {
    // Bounded nesting first: every step below builds trees from this page.
    let capped = crate::nesting::bound(html);
    let html: &str = &capped;
    let pruned;
    let html = if rules.remove_selectors.is_empty() {
        html
    } else {
        pruned = remove(html, &rules.remove_selectors)?;
        pruned.as_str()
    };
    if let Some(sel) = &rules.content_selector {
        return by_selector(html, sel);
    }
    let page = html;
    let options = rs_trafilatura::Options {
        url: Some(url.to_string()),
        include_images: true,
        include_links: true,
        include_tables: true,
        include_formatting: true,
        ..Default::default()
    };
    let r = rs_trafilatura::extract_with_options(html, &options)
        .map_err(|e| ExtractError::Failed(e.to_string()))?;
    if r.content_text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    let html = r
        .content_html
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| text_to_html(&r.content_text));
    let (html, content_text) = second_opinion(page, html, r.content_text);
    let html = with_figures(html, &r.images, url);
    let (html, text) = cut_trailing_boilerplate(html, content_text);
    let (html, text) = cut_footer(html, text);
    let (html, text) = drop_menus(html, text);
    Ok(Extracted {
        title: r.metadata.title,
        html,
        text,
    })
}

/// When the extractor's result is mostly links or very short, the page's densest block of
/// text instead, if that is clearly more of an article (three times the text outside links,
/// and few links itself).
fn second_opinion(page: &str, html: String, text: String) -> (String, String) {
    let (chars, density) = fallback::link_density(&html);
    let own = chars as f64 * (1.0 - density);
    if density < 0.5 && own >= 200.0 {
        return (html, text);
    }
    match fallback::densest_block(page) {
        Some((h, t)) => {
            let (c, d) = fallback::link_density(&h);
            if d < 0.3 && c as f64 * (1.0 - d) > 3.0 * own {
                (h, t)
            } else {
                (html, text)
            }
        }
        None => (html, text),
    }
}

fn check_selector(sel: &str) -> Result<(), ExtractError> {
    dom_query::Matcher::new(sel)
        .map(|_| ())
        .map_err(|e| ExtractError::Selector {
            selector: sel.to_string(),
            why: format!("{e:?}"),
        })
}

/// The page without the parts the selectors match.
fn remove(html: &str, selectors: &[String]) -> Result<String, ExtractError> {
    let doc = dom_query::Document::from(html);
    for sel in selectors {
        check_selector(sel)?;
        doc.select(sel).remove();
    }
    Ok(doc.html().to_string())
}

fn by_selector(html: &str, sel: &str) -> Result<Extracted, ExtractError> {
    check_selector(sel)?;
    let doc = dom_query::Document::from(html);
    let found = doc.select(sel);
    if !found.exists() {
        return Err(ExtractError::NoMatch(sel.to_string()));
    }
    let mut out = String::new();
    let mut text = String::new();
    for node in found.nodes() {
        out.push_str(&node.html());
        text.push_str(&node.text());
        text.push('\n');
    }
    let title = doc
        .select("h1")
        .nodes()
        .first()
        .map(|n| n.text().trim().to_string());
    Ok(Extracted {
        title,
        html: out,
        text,
    })
}

/// Headings that open the related-links, recommendations and comments blocks news sites put
/// after the article; when one stands alone in the later part of the content, it and what
/// follows are boilerplate.
const TRAILERS: &[&str] = &[
    "推荐阅读",
    "相关阅读",
    "相关新闻",
    "相关文章",
    "热门评论",
    "热评文章",
    "栏目精粹",
    "精彩视频推荐",
    "精彩推荐",
    "猜你喜欢",
    "热门推荐",
    "为您推荐",
    "大家都在看",
    "更多精彩",
    "网友评论",
    "相關新聞",
    "推薦閱讀",
    "熱門推薦",
    "延伸閱讀",
    "Related Articles",
    "Related articles",
    "Related Stories",
    "Read more",
    "More from",
    "Recommended",
    "You may also like",
    "Most popular",
    "Most Popular",
];

/// Cuts the content at the first trailer heading found past the first third of the text.
fn cut_trailing_boilerplate(html: String, text: String) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let total: usize = lines.iter().map(|l| l.chars().count()).sum();
    let mut seen = 0;
    let mut cut = None;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if seen * 3 > total && TRAILERS.contains(&t) {
            cut = Some((i, t.to_string()));
            break;
        }
        seen += l.chars().count();
    }
    let Some((i, marker)) = cut else {
        return (html, text);
    };
    let text = lines[..i].join("\n");
    // The same cut in the HTML: at the element whose whole text is the marker.
    let html = match html.find(&format!(">{marker}<")) {
        Some(pos) => {
            let start = html[..pos].rfind('<').unwrap_or(pos);
            let doc = dom_query::Document::from(&html[..start]);
            doc.select("body").inner_html().to_string()
        }
        None => html,
    };
    (html, text)
}

/// What a site footer says: licence numbers, copyright lines, contact blocks.
const FOOTER: &[&str] = &[
    "ICP备",
    "ICP证",
    "版权所有",
    "版權所有",
    "Copyright ©",
    "Copyright©",
    "copyright ©",
    "All Rights Reserved",
    "All rights reserved",
    "违法和不良信息举报",
    "举报邮箱",
    "技术支持：",
    "主办单位：",
    "备案/许可证",
];

/// Cuts a site footer the extractor let through: from the first footer line in the last
/// 40 % of the text, when every line from there on is short (a footer, not a paragraph).
fn cut_footer(html: String, text: String) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let total: usize = lines.iter().map(|l| l.chars().count()).sum();
    let mut seen = 0;
    let mut cut = None;
    for (i, l) in lines.iter().enumerate() {
        if seen * 10 >= total * 6
            && let Some(m) = FOOTER.iter().find(|m| l.contains(*m))
            && lines[i..].iter().all(|l| l.trim().chars().count() < 120)
        {
            cut = Some((i, *m));
            break;
        }
        seen += l.chars().count();
    }
    let Some((i, marker)) = cut else {
        return (html, text);
    };
    // Back up over the short lines just before it that belong to the same block.
    let mut start = i;
    while start > 0 {
        let prev = lines[start - 1].trim();
        if prev.is_empty()
            || (prev.chars().count() < 40 && (prev.contains('：') || prev.contains(':')))
        {
            start -= 1;
        } else {
            break;
        }
    }
    let text = lines[..start].join("\n");
    let html = match html.rfind(marker) {
        Some(pos) if pos * 10 >= html.len() * 5 => {
            let first_line = lines[start].trim();
            let from = if first_line.is_empty() {
                None
            } else {
                html[..pos].rfind(first_line)
            };
            let at = from.unwrap_or(pos);
            let tag = html[..at].rfind('<').unwrap_or(at);
            dom_query::Document::from(&html[..tag])
                .select("body")
                .inner_html()
                .to_string()
        }
        _ => html,
    };
    (html, text)
}

/// A menu as text: this many short lines in a row.
const MENU_RUN: usize = 6;
/// A menu item's most characters.
const MENU_ITEM: usize = 6;

/// Drops navigation and category menus the extractor let through: runs of at least
/// [`MENU_RUN`] consecutive lines of at most [`MENU_ITEM`] characters (期货 外汇 债券 …; a
/// paragraph is never that short, several in a row). In the HTML, the elements whose whole
/// text is one of those items go.
fn drop_menus(html: String, text: String) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let short = |l: &str| {
        let n = l.trim().chars().count();
        (1..=MENU_ITEM).contains(&n)
    };
    let mut drop = vec![false; lines.len()];
    let mut i = 0;
    let mut any = false;
    while i < lines.len() {
        if !short(lines[i]) {
            i += 1;
            continue;
        }
        // A run of short lines, blank lines in between allowed.
        let mut j = i;
        let mut count = 0;
        while j < lines.len() && (short(lines[j]) || lines[j].trim().is_empty()) {
            count += usize::from(short(lines[j]));
            j += 1;
        }
        if count >= MENU_RUN {
            drop[i..j].iter_mut().for_each(|d| *d = true);
            any = true;
        }
        i = j.max(i + 1);
    }
    if !any {
        return (html, text);
    }
    let items: std::collections::HashSet<&str> = lines
        .iter()
        .zip(&drop)
        .filter(|(l, d)| **d && !l.trim().is_empty())
        .map(|(l, _)| l.trim())
        .collect();
    let text = lines
        .iter()
        .zip(&drop)
        .filter(|(_, d)| !**d)
        .map(|(l, _)| *l)
        .collect::<Vec<_>>()
        .join("\n");
    let doc = dom_query::Document::from(html.as_str());
    for node in doc
        .select("li, a, span, p, div, td, dd, dt, h3, h4, h5, h6, b, strong, em, font")
        .nodes()
    {
        if items.contains(node.text().trim()) {
            node.remove_from_parent();
        }
    }
    doc.select("ul:empty, ol:empty").remove();
    let html = doc.select("body").inner_html().to_string();
    (html, text)
}

/// Puts the images the extractor found back as figures: where its caption stands in the
/// text, else the lead image at the top. (rs-trafilatura reports images beside the HTML.)
fn with_figures(mut html: String, images: &[rs_trafilatura::ImageData], base: &Url) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut lead = None;
    for (i, img) in images.iter().take(30).enumerate() {
        let Ok(src) = base.join(&img.src) else {
            continue;
        };
        if html.contains(src.as_str()) || html.contains(&img.src) {
            continue;
        }
        let alt = img.alt.as_deref().unwrap_or("");
        let caption = img
            .caption
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let figure = format!(
            "<figure><img src=\"{}\" alt=\"{}\">{}</figure>",
            esc(src.as_str()),
            esc(alt),
            caption
                .map(|c| format!("<figcaption>{}</figcaption>", esc(c)))
                .unwrap_or_default()
        );
        match caption.map(esc) {
            Some(c) if html.contains(&c) => html = html.replacen(&c, &figure, 1),
            _ if img.is_hero || (i == 0 && lead.is_none()) => lead = Some(figure),
            _ => {}
        }
    }
    match lead {
        Some(f) => f + &html,
        None => html,
    }
}

/// Plain text as paragraphs.
fn text_to_html(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            format!(
                "<p>{}</p>",
                l.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_runs_go_and_paragraphs_stay() {
        let items = ["期货", "外汇", "债券", "基金", "黄金", "保险"];
        let menu: String = items
            .iter()
            .map(|i| format!("<li><a href=\"/{i}\">{i}</a></li>"))
            .collect();
        let para = "央行宣布下调贷款市场报价利率，以支持经济复苏。";
        let html = format!("<ul>{menu}</ul><p>{para}</p><p>短句。</p>");
        let text = format!("{}\n{para}\n短句。", items.join("\n"));
        let (h, t) = drop_menus(html, text);
        assert_eq!(t, format!("{para}\n短句。"));
        assert!(
            !h.contains("期货") && h.contains(para) && h.contains("短句"),
            "{h}"
        );
        // Five short lines are not a menu.
        let text = items[..5].join("\n");
        let (_, t) = drop_menus(String::new(), text.clone());
        assert_eq!(t, text);
    }

    #[test]
    fn a_link_list_gives_way_to_the_densest_block() {
        let links: String = (0..8)
            .map(|k| format!("<li><a href=\"/x/{k}\">另一条相关的新闻标题{k}</a></li>"))
            .collect();
        let body = "根据运营商内部人士透露，三大运营商关于手机的促销手段原本有三大类：金融分期购买、预存话费购机直降以及购机赠礼品为主。".repeat(3);
        let page = format!(
            "<html><body><div class=\"list\"><ul>{links}</ul></div><div class=\"summary\">{body}</div></body></html>"
        );
        let (h, t) = second_opinion(&page, format!("<ul>{links}</ul>"), "x".into());
        assert!(t.contains("运营商内部人士") && !h.contains("<a "), "{h}");
        // A real article stays as it is.
        let article = format!("<p>{body}</p>");
        let (h, _) = second_opinion(&page, article.clone(), "t".into());
        assert_eq!(h, article);
    }
}
