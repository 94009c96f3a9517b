//! Clean HTML: one allow-list sanitizer for every piece of HTML newsmirror renders itself,
//! URLs made absolute, lazy images made plain, and image URLs rewritten by mode.
//!
//! Takes HTML and a base URL, returns HTML. It never fetches: downloading images for
//! `images = "local"` is the driver's job; this module only rewrites with the result.

mod images;

use std::collections::HashSet;

use url::Url;

pub use images::{
    DEFAULT_PROXY, ImageMode, asset_name, image_urls, raster_extension, rewrite_images,
};

/// Sanitizes `html` (from a page at `base`) with the allow-list: no script, style, iframe,
/// object, embed, form, meta, base; no event handlers; links and images only `http`, `https`
/// and `mailto` (relative ones made absolute), and raster `data:image/*` in `img src`; each
/// `srcset` candidate checked the same way; links get `rel="noopener noreferrer"`; lazy
/// images get a plain `src`.
pub fn sanitize(html: &str, base: &Url) -> String {
    // Bounded before any tree is built (nesting, attributes, ignored end tags: the parser is
    // quadratic in each).
    let html = crate::nesting::bound(html);
    let html = unlazy_images(&html);
    let mut b = ammonia::Builder::default();
    let srcset_base = base.clone();
    b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer"))
        .add_tags([
            "figure",
            "figcaption",
            "picture",
            "source",
            "time",
            "mark",
            "section",
            "article",
            "video",
            "audio",
        ])
        .add_tag_attributes("img", ["width", "height", "loading"])
        .add_tag_attributes("source", ["srcset", "type", "media", "src"])
        .add_tag_attributes("video", ["src", "poster"])
        .add_tag_attributes("audio", ["src"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
        .url_schemes(["http", "https", "mailto", "data"].into_iter().collect())
        .attribute_filter(move |element, attribute, value| match attribute {
            "srcset" => safe_srcset(value, &srcset_base).map(Into::into),
            "href" | "src" | "cite" | "longdesc" | "poster" | "action" | "background" => {
                safe_url(element, attribute, value).then(|| value.into())
            }
            _ => Some(value.into()),
        });
    let tags: HashSet<&str> = [
        "script", "style", "iframe", "object", "embed", "form", "input", "button", "select",
        "textarea", "meta", "base", "link", "noscript", "svg", "math", "template",
    ]
    .into_iter()
    .collect();
    b.clean_content_tags(tags);
    b.clean(&html).to_string()
}

/// Raster images a `data:` URL may hold.
const RASTER_DATA: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Whether a URL attribute may stay: read as a browser reads it (the URL parser drops leading
/// control characters and inner tabs and line breaks: `\x01data:` is `data:`), it is relative,
/// or `http`, `https`, `mailto`, or a raster `data:image` in `img src`.
fn safe_url(element: &str, attribute: &str, value: &str) -> bool {
    match Url::parse(value) {
        Ok(u) => match u.scheme() {
            "http" | "https" | "mailto" => true,
            "data" => {
                element == "img"
                    && attribute == "src"
                    && RASTER_DATA
                        .iter()
                        .any(|t| u.path().to_ascii_lowercase().starts_with(t))
            }
            _ => false,
        },
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

/// A `srcset` with only its `http(s)` candidates, made absolute; `None` when none is left.
fn safe_srcset(value: &str, base: &Url) -> Option<String> {
    let kept: Vec<String> = value
        .split(',')
        .filter_map(|candidate| {
            let mut parts = candidate.split_whitespace();
            let url = base.join(parts.next()?).ok()?;
            if !matches!(url.scheme(), "http" | "https") {
                return None;
            }
            let descriptor: Vec<&str> = parts.collect();
            Some(if descriptor.is_empty() {
                url.to_string()
            } else {
                format!("{url} {}", descriptor.join(" "))
            })
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// Lazy-loading images (`data-src`, `data-original`, `data-lazy-src`, `srcset` alone) get a
/// plain `src`, rewritten in place by a streaming rewriter.
fn unlazy_images(html: &str) -> String {
    use lol_html::{RewriteStrSettings, element, rewrite_str};
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("img", |el| {
            let src = el.get_attribute("src").unwrap_or_default();
            let placeholder = src.trim().is_empty()
                || src.starts_with("data:image/gif")
                || src.contains("placeholder")
                || src.contains("blank.");
            if placeholder {
                let lazy = ["data-src", "data-original", "data-lazy-src", "data-url"]
                    .iter()
                    .find_map(|a| el.get_attribute(a).filter(|v| !v.trim().is_empty()))
                    .or_else(|| {
                        el.get_attribute("srcset")
                            .and_then(|s| largest_candidate(&s))
                    });
                if let Some(url) = lazy {
                    el.set_attribute("src", url.trim())?;
                }
            }
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// The widest candidate of a `srcset`.
fn largest_candidate(srcset: &str) -> Option<String> {
    srcset
        .split(',')
        .filter_map(|c| {
            let mut parts = c.split_whitespace();
            let url = parts.next()?;
            let w = parts
                .next()
                .and_then(|d| d.trim_end_matches(['w', 'x']).parse::<f64>().ok())
                .unwrap_or(1.0);
            Some((url.to_string(), w))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(u, _)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example/a/1.html").unwrap()
    }

    #[test]
    fn keeps_article_markup() {
        let html = "<h2>小标题</h2><p>正文<a href=\"/b\">链接</a></p><figure><img src=\"i.jpg\" alt=\"图\"><figcaption>说明</figcaption></figure><blockquote>引文</blockquote><ul><li>一</li></ul><table><tr><td>1</td></tr></table>";
        let out = sanitize(html, &base());
        for keep in [
            "<h2>小标题</h2>",
            "<figcaption>说明</figcaption>",
            "<blockquote>引文</blockquote>",
            "<li>一</li>",
            "<td>1</td>",
            "src=\"https://news.example/a/i.jpg\"",
            "href=\"https://news.example/b\"",
            "rel=\"noopener noreferrer\"",
        ] {
            assert!(out.contains(keep), "{keep} missing in {out}");
        }
    }

    #[test]
    fn lazy_images() {
        let out = sanitize(
            "<img src=\"data:image/gif;base64,R0lGOD\" data-src=\"/big.jpg\"><img srcset=\"s.jpg 300w, l.jpg 1200w\">",
            &base(),
        );
        assert!(
            out.contains("src=\"https://news.example/big.jpg\""),
            "{out}"
        );
        assert!(
            out.contains("src=\"https://news.example/a/l.jpg\""),
            "{out}"
        );
    }
}
