//! Full text and images for new articles and edits: fetch the article page when the source
//! wants it (or, with `fulltext = "auto"`, when the feed gave only a summary), extract, clean,
//! and rewrite or download images.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use url::Url;

use crate::clean::{self, ImageMode};
use crate::config::{FullText, Source};
use crate::extract;
use crate::fetch::{Fetched, Kind, Validators, charset};
use crate::polite::Polite;

/// Below this many characters of text, a feed's content is a summary.
const SUMMARY_CHARS: usize = 200;

/// Whether a feed's content reads like a summary: missing, short, or cut off with an
/// ellipsis or a "read more" link.
pub fn looks_like_summary(content: &str) -> bool {
    let text = crate::text::text_of_html(content);
    let n = text.chars().count();
    if n < SUMMARY_CHARS {
        return true;
    }
    let tail: String = text
        .chars()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    n < 1500
        && [
            "…",
            "...",
            "[…]",
            "[...]",
            "阅读全文",
            "閱讀全文",
            "继续阅读",
            "Read more",
            "read more",
            "(more…)",
        ]
        .iter()
        .any(|m| tail.trim_end().ends_with(m))
}

/// The number of characters of readable text in HTML.
pub(super) fn text_chars(html: &str) -> usize {
    crate::text::normalized_text(html).chars().count()
}

/// A page text shorter than this share of the archived full text does not replace it: the
/// page is an error page ("page not found" answered with 200), a paywall or a stub, not a new
/// version of the article (`update::complete` keeps the article and tries again later).
pub(super) const DEGRADED_SHARE: f64 = 0.4;

/// Whether content from `source`'s feed needs any work: its page fetched, or its images
/// rewritten. Most items of full-content feeds need none and never become jobs.
pub fn needs_work(source: &Source, content: &str) -> bool {
    source.images.feed_content
        || match source.fulltext {
            FullText::Feed => false,
            FullText::Page => true,
            FullText::Auto => looks_like_summary(content),
        }
}

/// One piece of content to complete.
pub(super) struct Job {
    pub source: Source,
    pub link: String,
    pub content: String,
    /// The article file's path below the archive (for relative image paths).
    pub path: String,
    /// Fetch the page whatever the source's `fulltext` says (an edit of an article whose text
    /// came from its page: only page text may replace it).
    pub force_page: bool,
}

/// What completing one piece of content did.
pub(super) struct Done {
    pub content: String,
    pub from_page: bool,
    pub warnings: Vec<String>,
}

/// Completes every job, within the fetcher's limits; results in the jobs' order. A job that
/// fails (a panic in an extractor, say) keeps the content it was given.
pub(super) async fn enrich_all(fetcher: Arc<Polite>, dir: &Path, jobs: Vec<Job>) -> Vec<Done> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut out: Vec<Option<Done>> = Vec::with_capacity(jobs.len());
    let mut kept: Vec<(String, String)> = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.into_iter().enumerate() {
        let fetcher = fetcher.clone();
        let dir = dir.to_path_buf();
        out.push(None);
        kept.push((job.content.clone(), job.link.clone()));
        tasks.spawn(async move { (i, enrich(&fetcher, &dir, job).await) });
    }
    while let Some(r) = tasks.join_next().await {
        if let Ok((i, done)) = r {
            out[i] = Some(done);
        }
    }
    out.into_iter()
        .zip(kept)
        .map(|(d, (content, link))| {
            d.unwrap_or_else(|| Done {
                content,
                from_page: false,
                warnings: vec![format!(
                    "completing {link} failed; kept the content the article had"
                )],
            })
        })
        .collect()
}

async fn enrich(fetcher: &Polite, dir: &Path, job: Job) -> Done {
    let mut done = Done {
        content: job.content.clone(),
        from_page: false,
        warnings: Vec::new(),
    };
    let link = Url::parse(&job.link)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    crate::faults::point("enrich::job");
    let wants_page = job.force_page
        || match job.source.fulltext {
            FullText::Feed => false,
            FullText::Page => true,
            FullText::Auto => looks_like_summary(&job.content),
        };
    if let (true, Some(url)) = (wants_page, &link) {
        match page_content(fetcher, &job.source, url).await {
            Ok(html) if text_chars(&html) < text_chars(&job.content) => {
                done.warnings.push(format!(
                    "full text of {url}: the page's text ({} characters) is shorter than the \
                     feed's ({}): an error or paywall page? kept the feed's content",
                    text_chars(&html),
                    text_chars(&job.content)
                ));
            }
            Ok(html) => {
                done.content = html;
                done.from_page = true;
            }
            Err(why) => done.warnings.push(format!(
                "full text of {url}: {why}; kept the feed's content"
            )),
        }
    }
    if done.from_page || job.source.images.feed_content {
        let images = &job.source.images;
        let local = if images.mode == ImageMode::Local {
            download_images(
                fetcher,
                &job.source,
                dir,
                &job.path,
                &done.content,
                &mut done.warnings,
            )
            .await
        } else {
            HashMap::new()
        };
        done.content = clean::rewrite_images(&done.content, &images.mode, &images.proxy, &local);
    }
    done
}

/// The article page's main content, extracted and sanitized.
async fn page_content(fetcher: &Polite, source: &Source, url: &Url) -> Result<String, String> {
    let body = match fetcher
        .get(url, &Validators::default(), &source.fetch, Kind::Page)
        .await
        .map_err(|e| e.to_string())?
    {
        Fetched::Body(b) => b,
        Fetched::NotModified => {
            return Err("the server answered 304 to an unconditional request".into());
        }
    };
    if crate::history::recheck::is_front_page(url, &body.final_url) {
        // How outlets most often remove a story: the same judgement as `recheck`'s.
        return Err(format!(
            "the page redirects to the site's front page ({}): the article removed?",
            body.final_url
        ));
    }
    let rules = source.rules.clone();
    // Within the page's budget (size, time, its own thread): a hostile page fails alone.
    tokio::task::spawn_blocking(move || {
        let page = charset::decode(&body.bytes, body.content_type.as_deref());
        if let Some(title) = not_found_title(&page.text) {
            return Err(format!("the page says it is not found (\"{title}\")"));
        }
        extract::extract_within(
            page.text,
            body.final_url,
            rules,
            extract::Budget::default(),
            |got, url| clean::sanitize(&got.html, url),
        )
        .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| format!("the extractor failed: {e}"))?
}

/// What error pages answered with 200 (a "soft 404") say in their `<title>`.
const NOT_FOUND_TITLES: &[&str] = &[
    "page not found",
    "404 not found",
    "error 404",
    "404 error",
    "页面不存在",
    "页面未找到",
    "找不到页面",
    "找不到该页面",
    "页面已删除",
    "已被删除",
    "頁面不存在",
    "找不到網頁",
];

/// The page's `<title>`, when it says the page was not found.
fn not_found_title(html: &str) -> Option<String> {
    let head: String = html.chars().take(20_000).collect::<String>().to_lowercase();
    let start = head.find("<title")?;
    let open = start + head[start..].find('>')? + 1;
    let close = open + head[open..].find("</title")?;
    let title = head[open..close].trim();
    NOT_FOUND_TITLES
        .iter()
        .any(|m| title.contains(m))
        .then(|| title.chars().take(80).collect())
}

/// Downloads the images of `html` into `assets/` (content-addressed, once each) and returns
/// URL → path relative to the article file. A failed image keeps its URL and is reported.
async fn download_images(
    fetcher: &Polite,
    source: &Source,
    dir: &Path,
    article_path: &str,
    html: &str,
    warnings: &mut Vec<String>,
) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let depth = article_path.matches('/').count();
    let up = "../".repeat(depth);
    let mut settings = source.fetch.clone();
    settings.page_max_bytes = source.images.max_bytes;
    for src in clean::image_urls(html)
        .into_iter()
        .take(source.images.max_per_article)
    {
        let Ok(url) = Url::parse(&src) else { continue };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let body = match fetcher
            .get(&url, &Validators::default(), &settings, Kind::Image)
            .await
        {
            Ok(Fetched::Body(b)) => b,
            Ok(Fetched::NotModified) => continue,
            Err(e) => {
                warnings.push(format!("image {src}: {e}; kept its URL"));
                continue;
            }
        };
        // Named by the SHA-256 of the bytes; kept only when the bytes are a raster image
        // (an SVG can carry script that would run from the site's origin).
        let Some(name) = clean::asset_name(&body.bytes) else {
            let ct = body.content_type.as_deref().unwrap_or("no type");
            warnings.push(format!(
                "image {src}: not an image to keep (not a raster image by its bytes; sent as {ct}); kept its URL"
            ));
            continue;
        };
        let path = dir.join("assets").join(&name);
        if !path.exists() {
            let written = std::fs::create_dir_all(dir.join("assets"))
                .and_then(|_| crate::render::write_atomic(&path, &body.bytes));
            if let Err(e) = written {
                warnings.push(format!(
                    "image {src}: cannot write {}: {e}; kept its URL",
                    path.display()
                ));
                continue;
            }
        }
        map.insert(src, format!("{up}assets/{name}"));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        assert!(looks_like_summary(""));
        assert!(looks_like_summary(
            "<p>俄罗斯总统普京周三凌晨抵达平壤。</p>"
        ));
        let long = format!("<p>{}</p>", "正文".repeat(400));
        assert!(!looks_like_summary(&long));
        let cut = format!("<p>{}……</p>", "正文".repeat(200));
        assert!(looks_like_summary(&cut));
    }
}
