//! Pathological nesting: how deep sanitized HTML nests, and the streaming pass that does what
//! safety needs when it is too deep to parse into a tree again.

use lol_html::{RewriteStrSettings, element, rewrite_str};

use super::images::image_url;
use super::{Shown, safe_href};

/// Nesting deeper than this is not parsed into a tree again (parsing it takes time
/// quadratic in the depth): such a page gets the linear pass only.
pub(super) const MAX_DEPTH: usize = 256;

/// Elements without an end tag.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// How deep the elements of serialized HTML nest (end tags are explicit, attribute values
/// double-quoted, `<` in text escaped: the sanitizer's output), stopping past `limit`.
pub(super) fn depth(html: &str, limit: usize) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let close = b.get(i + 1) == Some(&b'/');
        let start = i + 1 + usize::from(close);
        let mut j = start;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let name = &html[start..j];
        while j < b.len() && b[j] != b'>' {
            if b[j] == b'"' {
                j += 1;
                while j < b.len() && b[j] != b'"' {
                    j += 1;
                }
            }
            j += 1;
        }
        if close {
            depth = depth.saturating_sub(1);
        } else if !name.is_empty() && !VOID.contains(&name.to_ascii_lowercase().as_str()) {
            depth += 1;
            max = max.max(depth);
            if max > limit {
                return max;
            }
        }
        i = j + 1;
    }
    max
}

/// The streaming pass for pathological nesting: links only to the web, images through
/// [`image_url`] with an `alt` and lazy loading, media with controls.
pub(super) fn linear(html: &str, shown: &Shown<'_>, local_prefix: &str) -> String {
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("a", |el| {
            match el.get_attribute("href").and_then(|h| safe_href(&h)) {
                Some(h) => el.set_attribute("href", &h)?,
                None => el.remove_and_keep_content(),
            }
            Ok(())
        }))
        .append_element_content_handler(element!("img", |el| {
            let src = el.get_attribute("src").unwrap_or_default();
            match image_url(&src, shown, local_prefix) {
                Some(u) => {
                    el.set_attribute("src", &u)?;
                    if !el.has_attribute("alt") {
                        el.set_attribute("alt", "")?;
                    }
                    el.remove_attribute("width");
                    el.remove_attribute("height");
                    el.set_attribute("loading", "lazy")?;
                }
                None => el.remove(),
            }
            Ok(())
        }))
        .append_element_content_handler(element!("video, audio", |el| {
            el.set_attribute("controls", "")?;
            el.set_attribute("preload", "none")?;
            if let Some(p) = el.get_attribute("poster") {
                match image_url(&p, shown, local_prefix) {
                    Some(u) => el.set_attribute("poster", &u)?,
                    None => el.remove_attribute("poster"),
                }
            }
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_default()
}
