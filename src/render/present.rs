//! How an archived article is shown to readers (pages and feeds out): the archived HTML is
//! never changed; this makes what readers get from it.
//!
//! In order: the outlet's display rules hide elements by selector (before sanitizing, while
//! the outlet's classes are still there); embedded players become links; images get their
//! largest reasonable `srcset` candidate; [`crate::clean::sanitize`] (the one sanitizer);
//! then a pass over the sanitized tree that only removes or renames: trailers cut
//! (`cut_from_text`), links only to `http`, `https` and `mailto`, images with `alt`, lazy and
//! without the fixed boxes that keep a broken image's space, video and audio as players or as
//! links, headings that follow the page's, captions where HTML allows them, and no character
//! XML forbids.

mod deep;
mod images;
mod media;
mod structure;
mod text;

use dom_query::Document;
use lol_html::{RewriteStrSettings, element, rewrite_str};
use url::Url;

use crate::config::DisplayRules;
use deep::{MAX_DEPTH, depth, linear};
pub use images::raster_type;
use images::{best_candidate, image, local_assets};
use media::{embed_label, embed_target, is_media_file, media, playable_label};
use structure::{blocks_in_phrasing, captions, cut_trailers, headings};
pub use text::{is_traditional, lang_of, xml_chars};

/// Where an article's images are loaded from.
pub enum Images<'a> {
    /// As the content has them (the static site: local copies are already `assets/…`).
    AsIs,
    /// Through the reader's own image proxy: gives the proxied URL of an image URL.
    Proxy(&'a (dyn Fn(&Url) -> String + Sync)),
}

/// What showing an article needs besides its HTML.
pub struct Shown<'a> {
    /// The article's link: relative URLs resolve against it.
    pub link: &'a str,
    pub rules: &'a DisplayRules,
    pub images: Images<'a>,
    /// The archive's `assets/` folder: an image's local copy (`data-local`) is shown when it
    /// is there (a fresh clone may not have it: then the image's URL).
    pub assets: Option<&'a std::path::Path>,
}

/// A placeholder base for articles whose link is not a URL.
const NO_BASE: &str = "https://invalid.example/";

/// The article HTML readers are shown. `local` is the prefix that replaces the archive's
/// `../../assets/` paths (the page's own `assets/`).
pub fn article(content: &str, shown: &Shown<'_>, local_prefix: &str) -> String {
    let base = Url::parse(shown.link).unwrap_or_else(|_| Url::parse(NO_BASE).expect("valid"));
    // Bounded before the first parse (the streaming rewriters below build a stack too).
    let content = crate::nesting::bound(content);
    let html = players(&content, &base);
    let html = hide(&html, &shown.rules.hide_selectors);
    let html = local_copies(&html, shown.assets);
    let html = before_sanitizing(&html, &base);
    let html = local_assets(&html);
    let clean = crate::clean::sanitize(&html, &base);
    let html = after_sanitizing(&clean, shown, local_prefix);
    xml_chars(&html).into_owned()
}

/// The text of `content` as readers are shown it (hidden elements left out), for diffs.
pub fn shown_text(content: &str, rules: &DisplayRules) -> String {
    crate::text::text_of_html(&hide(
        &crate::nesting::bound(content),
        &rules.hide_selectors,
    ))
}

/// The language of an article's text when it is not the pages' own (see [`lang_of`]): its
/// title and its own words, quotations left out (a simplified article quoting a traditional
/// statement stays simplified).
pub fn article_lang(title: &str, content: &str, rules: &DisplayRules) -> Option<&'static str> {
    let mut hidden = rules.hide_selectors.clone();
    hidden.extend(["blockquote".to_string(), "q".to_string()]);
    let text: String = crate::text::text_of_html(&hide(&crate::nesting::bound(content), &hidden))
        .chars()
        .take(4000)
        .collect();
    lang_of(&format!("{title}\n{text}"))
}

/// Images whose local copy (`data-local="../../assets/NAME"`) is in `assets`: shown from the
/// copy; the others keep their URL.
fn local_copies(html: &str, assets: Option<&std::path::Path>) -> String {
    if !html.contains("data-local") {
        return html.to_string();
    }
    let settings = RewriteStrSettings::new().append_element_content_handler(element!(
        "img[data-local]",
        |el| {
            let local = el.get_attribute("data-local").unwrap_or_default();
            el.remove_attribute("data-local");
            let name = local.rsplit('/').next().unwrap_or_default();
            let named = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
                && local.ends_with(&format!("assets/{name}"));
            if named && assets.is_some_and(|a| a.join(name).is_file()) {
                el.set_attribute("src", &format!("../../assets/{name}"))?;
                el.remove_attribute("srcset");
            }
            Ok(())
        }
    ));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// Players that only a script fills (BBC's `data-playable`) become a link saying what they
/// hold, before the outlet's rules hide the empty player.
fn players(html: &str, base: &Url) -> String {
    if !html.contains("data-playable") {
        return html.to_string();
    }
    let settings = RewriteStrSettings::new().append_element_content_handler(element!(
        "[data-playable]",
        |el| {
            let json = el.get_attribute("data-playable").unwrap_or_default();
            if let Some((url, label)) = playable_label(&json, base) {
                el.replace(
                    &format!(
                        "<p class=\"media-link\"><a href=\"{}\">{}</a></p>",
                        attr_escape(url.as_str()),
                        text_escape(&label)
                    ),
                    lol_html::html_content::ContentType::Html,
                );
            }
            Ok(())
        }
    ));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// Removes the elements matching `selectors` (a selector lol_html cannot use is skipped: the
/// config checked them with the extractor's engine, whose syntax is wider).
fn hide(html: &str, selectors: &[String]) -> String {
    let usable: Vec<&String> = selectors
        .iter()
        .filter(|s| s.parse::<lol_html::Selector>().is_ok())
        .collect();
    if usable.is_empty() {
        return html.to_string();
    }
    let mut settings = RewriteStrSettings::new();
    for sel in usable {
        settings = settings.append_element_content_handler(element!(sel.as_str(), |el| {
            el.remove();
            Ok(())
        }));
    }
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// Before the sanitizer (which removes iframes with their content and keeps one `src`):
/// embedded players become a link saying what they are; images take their largest
/// reasonable `srcset` candidate.
fn before_sanitizing(html: &str, base: &Url) -> String {
    let settings = RewriteStrSettings::new()
        // WordPress embeds come with a blockquote that links the same post.
        .append_element_content_handler(element!("iframe.wp-embedded-content", |el| {
            el.remove();
            Ok(())
        }))
        .append_element_content_handler(element!("iframe, embed, object", |el| {
            if el.removed() {
                return Ok(());
            }
            let src = el
                .get_attribute("src")
                .or_else(|| el.get_attribute("data"))
                .unwrap_or_default();
            let Some(url) = base.join(src.trim()).ok().filter(is_web) else {
                el.remove();
                return Ok(());
            };
            // A media file embedded: the player the display pass makes of `video`/`audio`.
            if let Some(tag) = is_media_file(&url) {
                el.replace(
                    &format!("<{tag} src=\"{}\"></{tag}>", attr_escape(url.as_str())),
                    lol_html::html_content::ContentType::Html,
                );
                return Ok(());
            }
            let title = el.get_attribute("title").unwrap_or_default();
            let label = embed_label(&url, &title);
            let url = embed_target(&url);
            el.replace(
                &format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    attr_escape(url.as_str()),
                    text_escape(&label)
                ),
                lol_html::html_content::ContentType::Html,
            );
            Ok(())
        }))
        .append_element_content_handler(element!("img[srcset]", |el| {
            if let Some(best) = el.get_attribute("srcset").and_then(|s| best_candidate(&s)) {
                el.set_attribute("src", &best)?;
            }
            el.remove_attribute("srcset");
            el.remove_attribute("sizes");
            Ok(())
        }))
        // A link the sanitizer would drop for a host ending in stray spaces, repaired.
        .append_element_content_handler(element!("a[href*='%20']", |el| {
            let href = el.get_attribute("href").unwrap_or_default();
            if Url::parse(href.trim()).is_err()
                && let Some(u) = repaired(href.trim())
            {
                el.set_attribute("href", u.as_str())?;
            }
            Ok(())
        }))
        // A picture's sources are alternatives of its img: the img alone is shown.
        .append_element_content_handler(element!("picture source", |el| {
            el.remove();
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

pub(crate) fn is_web(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https")
}

/// A link readers may follow: `http`, `https` or `mailto`, written as a valid URL (the few
/// characters browsers accept but HTML checkers do not are percent-encoded too).
pub fn safe_href(href: &str) -> Option<String> {
    let href = href.trim();
    let u = Url::parse(href).or_else(|e| repaired(href).ok_or(e)).ok()?;
    let ok = match u.scheme() {
        "http" | "https" => u.host_str().is_some(),
        "mailto" => true,
        _ => false,
    };
    if !ok {
        return None;
    }
    let s = u.as_str();
    // After the host (whose `[…]` an IPv6 address needs).
    let tail_at = match u.scheme() {
        "mailto" => s.find(':').map_or(0, |i| i + 1),
        _ => s[s.find("://").map_or(0, |i| i + 3)..]
            .find(['/', '?', '#'])
            .map_or(s.len(), |i| i + s.find("://").map_or(0, |i| i + 3)),
    };
    let (head, tail) = s.split_at(tail_at);
    if !tail.contains(['|', '^', '`', '{', '}', '[', ']']) {
        return Some(s.to_string());
    }
    let mut out = head.to_string();
    for c in tail.chars() {
        match c {
            '|' | '^' | '`' | '{' | '}' | '[' | ']' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    Some(out)
}

/// A web link whose host ends in stray spaces (`http://www.nytimes.com%20/2020/…`, on every
/// NYT article's link to its English original), without them.
fn repaired(href: &str) -> Option<Url> {
    let (scheme, rest) = href.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    let mut trimmed = host;
    while let Some(t) = trimmed
        .strip_suffix("%20")
        .or_else(|| trimmed.strip_suffix(' '))
    {
        trimmed = t;
    }
    if trimmed.len() == host.len() || trimmed.is_empty() {
        return None;
    }
    Url::parse(&format!("{scheme}://{trimmed}{}", &rest[end..]))
        .ok()
        .filter(is_web)
}

pub(crate) use crate::text::escape_html as attr_escape;
use crate::text::escape_html as text_escape;

/// After the sanitizer: a pass over its tree that removes and renames only (or, for nesting
/// past [`MAX_DEPTH`], a streaming pass that does what safety needs: links and images).
fn after_sanitizing(html: &str, shown: &Shown<'_>, local_prefix: &str) -> String {
    if depth(html, MAX_DEPTH) > MAX_DEPTH {
        return linear(html, shown, local_prefix);
    }
    let doc = Document::fragment(html);
    let root = doc.html_root();
    cut_trailers(&root, &shown.rules.cut_from_text);
    for a in doc.select("a").nodes() {
        match a.attr("href").and_then(|h| safe_href(&h)) {
            Some(h) => a.set_attr("href", &h),
            // A link that goes nowhere is plain text (not a link that does nothing).
            None => match a.first_child() {
                Some(child) => child.unwrap_node(),
                None => a.remove_from_parent(),
            },
        }
    }
    for img in doc.select("img").nodes() {
        image(img, shown, local_prefix);
    }
    for m in doc.select("video, audio").nodes() {
        media(m, shown, local_prefix);
    }
    headings(&doc);
    captions(&doc);
    blocks_in_phrasing(&doc);
    // Content's own `time` elements carry no valid `datetime`.
    for t in doc.select("time").nodes() {
        t.rename("span");
    }
    root.inner_html().to_string()
}

#[cfg(test)]
mod tests;
