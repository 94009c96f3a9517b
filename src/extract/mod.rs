//! Full text from an article page: the main content as HTML, by per-source CSS rules when
//! given, else by rs-trafilatura (chosen by measurement, see BENCHMARKS.md).
//!
//! Takes a page's HTML and URL and returns HTML; it never fetches, never sanitizes (`clean`
//! does), and never touches the archive.

mod fallback;

use url::Url;

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
    Ok(Extracted {
        title: r.metadata.title,
        html,
        text,
    })
}

/// When the extractor's result is mostly links, the page's densest block of text instead (if
/// it is a better article: more text outside links).
fn second_opinion(page: &str, html: String, text: String) -> (String, String) {
    let (chars, density) = fallback::link_density(&html);
    if density < 0.5 && chars as f64 * (1.0 - density) >= 80.0 {
        return (html, text);
    }
    let own = chars as f64 * (1.0 - density);
    match fallback::densest_block(page) {
        Some((h, t)) => {
            let (c, d) = fallback::link_density(&h);
            if d < 0.3 && c as f64 * (1.0 - d) > own {
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
