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

use dom_query::{Document, NodeRef};
use lol_html::{RewriteStrSettings, element, rewrite_str};
use url::Url;

use crate::config::DisplayRules;

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
}

/// A placeholder base for articles whose link is not a URL.
const NO_BASE: &str = "https://invalid.example/";

/// Widest `srcset` candidate kept: wider ones cost phones much and show nothing more.
const MAX_WIDTH: f64 = 1600.0;

/// The article HTML readers are shown. `local` is the prefix that replaces the archive's
/// `../../assets/` paths (the page's own `assets/`).
pub fn article(content: &str, shown: &Shown<'_>, local_prefix: &str) -> String {
    let base = Url::parse(shown.link).unwrap_or_else(|_| Url::parse(NO_BASE).expect("valid"));
    // Bounded before the first parse (the streaming rewriters below build a stack too).
    let content = crate::nesting::bound(content);
    let html = hide(&content, &shown.rules.hide_selectors);
    let html = before_sanitizing(&html, &base);
    let html = local_assets(&html);
    let clean = crate::clean::sanitize(&html, &base);
    let html = after_sanitizing(&clean, shown, local_prefix);
    xml_chars(&html).into_owned()
}

/// The text of `content` as readers are shown it (hidden elements left out), for diffs.
pub fn shown_text(content: &str, rules: &DisplayRules) -> String {
    crate::history::text_of_html(&hide(
        &crate::nesting::bound(content),
        &rules.hide_selectors,
    ))
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
            let title = el.get_attribute("title").unwrap_or_default();
            let label = embed_label(&url, &title);
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
        // A picture's sources are alternatives of its img: the img alone is shown.
        .append_element_content_handler(element!("picture source", |el| {
            el.remove();
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// What an embedded player is called on its link: a video's "视频：…", else "嵌入内容：…".
fn embed_label(url: &Url, title: &str) -> String {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches("www.");
    let s = url.as_str().to_ascii_lowercase();
    let video = [
        "youtube.",
        "youtu.be",
        "vimeo.",
        "bilibili.",
        "video",
        "player",
        "/embed",
    ]
    .iter()
    .any(|k| s.contains(k));
    let what = if video && !s.contains("wp-embed") && !title.contains('《') {
        "视频"
    } else {
        "嵌入内容"
    };
    let title = title.trim();
    if title.is_empty() {
        format!("{what}：{host}")
    } else {
        format!("{what}：{title}")
    }
}

/// The largest candidate of a `srcset` no wider than [`MAX_WIDTH`] (else the narrowest).
fn best_candidate(srcset: &str) -> Option<String> {
    let mut cands: Vec<(String, f64)> = srcset
        .split(',')
        .filter_map(|c| {
            let mut parts = c.split_whitespace();
            let url = parts.next()?.to_string();
            let size = match parts.next() {
                Some(d) if d.ends_with('w') => d.trim_end_matches('w').parse().ok()?,
                Some(d) if d.ends_with('x') => d.trim_end_matches('x').parse::<f64>().ok()? * 800.0,
                _ => 800.0,
            };
            Some((url, size))
        })
        .collect();
    cands.sort_by(|a, b| a.1.total_cmp(&b.1));
    cands
        .iter()
        .rev()
        .find(|(_, w)| *w <= MAX_WIDTH)
        .or_else(|| cands.first())
        .map(|(u, _)| u.clone())
}

/// The placeholder the sanitizer keeps for the archive's local images (`../../assets/x`).
const LOCAL: &str = "https://newsmirror.invalid/assets/";

/// `src="../../assets/x"` (however many `../`) → [`LOCAL`]`x`, which the sanitizer keeps.
fn local_assets(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(at) = rest.find("assets/") {
        let head = &rest[..at];
        let ups = head.len() - head.trim_end_matches("../").len();
        let quoted = head[..head.len() - ups].ends_with(['"', '\'']);
        if ups > 0 && quoted {
            out.push_str(&head[..head.len() - ups]);
            out.push_str(LOCAL);
        } else {
            out.push_str(head);
            out.push_str("assets/");
        }
        rest = &rest[at + "assets/".len()..];
    }
    out.push_str(rest);
    out
}

fn is_web(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https")
}

/// A link readers may follow: `http`, `https` or `mailto`, written as a valid URL (the few
/// characters browsers accept but HTML checkers do not are percent-encoded too).
pub fn safe_href(href: &str) -> Option<String> {
    let u = Url::parse(href.trim()).ok()?;
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

use crate::text::escape_html as attr_escape;
use crate::text::escape_html as text_escape;

/// Nesting deeper than this is not parsed into a tree again (parsing it takes time
/// quadratic in the depth): such a page gets the linear pass only.
const MAX_DEPTH: usize = 256;

/// Elements without an end tag.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// How deep the elements of serialized HTML nest (end tags are explicit, attribute values
/// double-quoted, `<` in text escaped: the sanitizer's output), stopping past `limit`.
fn depth(html: &str, limit: usize) -> usize {
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
            // A link that goes nowhere is text: without `href`, `rel` is not allowed either.
            None => a.remove_attrs(&["href", "rel", "target"]),
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

/// The streaming pass for pathological nesting: links only to the web, images through
/// [`image_url`] with an `alt` and lazy loading, media with controls.
fn linear(html: &str, shown: &Shown<'_>, local_prefix: &str) -> String {
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("a", |el| {
            match el.get_attribute("href").and_then(|h| safe_href(&h)) {
                Some(h) => el.set_attribute("href", &h)?,
                None => {
                    for a in ["href", "rel", "target"] {
                        el.remove_attribute(a);
                    }
                }
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

/// The block holding a trailer's first text, and all after it (and the rules before it).
fn cut_trailers(root: &NodeRef<'_>, markers: &[String]) {
    if markers.is_empty() {
        return;
    }
    let top: Vec<NodeRef<'_>> = root.children();
    let Some(at) = top.iter().position(|n| {
        let t = n.text();
        markers.iter().any(|m| t.contains(m.as_str()))
    }) else {
        return;
    };
    let mut from = at;
    while from > 0 {
        let prev = &top[from - 1];
        let blank = prev.is_text() && prev.text().trim().is_empty();
        if blank || prev.has_name("hr") {
            from -= 1;
        } else {
            break;
        }
    }
    for n in &top[from..] {
        n.remove_from_parent();
    }
}

/// The URL an image is loaded from, as the page writes it.
fn image_url(src: &str, shown: &Shown<'_>, local_prefix: &str) -> Option<String> {
    if let Some(name) = src.strip_prefix(LOCAL) {
        return Some(format!("{local_prefix}{name}"));
    }
    if src.starts_with("data:image/") {
        return Some(src.to_string());
    }
    let url = Url::parse(src).ok().filter(is_web)?;
    Some(match &shown.images {
        Images::AsIs => url.to_string(),
        Images::Proxy(proxy) => proxy(&unwrap_proxy(&url)),
    })
}

/// Image proxies the mirrors use (`images.weserv.nl/?url=host/path`): the image's own URL,
/// so that the reader's proxy asks the outlet, not a third party.
fn unwrap_proxy(url: &Url) -> Url {
    if url.host_str() == Some("images.weserv.nl")
        && let Some((_, v)) = url.query_pairs().find(|(k, _)| k == "url")
    {
        let v = v.trim();
        let full = if v.contains("://") {
            v.to_string()
        } else {
            format!("https://{}", v.trim_start_matches("//"))
        };
        if let Some(u) = Url::parse(&full).ok().filter(is_web) {
            return u;
        }
    }
    url.clone()
}

/// An image: a URL readers can load (else it goes), an `alt`, lazy loading, and no fixed box
/// unless it is a local copy (which always loads): a remote image that never arrives must
/// not keep its space.
fn image(img: &NodeRef<'_>, shown: &Shown<'_>, local_prefix: &str) {
    let src = img.attr("src").unwrap_or_default();
    let Some(url) = image_url(&src, shown, local_prefix) else {
        img.remove_from_parent();
        return;
    };
    let local = src.starts_with(LOCAL);
    img.set_attr("src", &url);
    if !img.has_attr("alt") {
        img.set_attr("alt", "");
    }
    let dims = ["width", "height"].iter().all(|a| {
        img.attr(a)
            .is_some_and(|v| v.parse::<u32>().is_ok_and(|n| n > 0))
    });
    if !(local && dims) {
        img.remove_attr("width");
        img.remove_attr("height");
    }
    img.set_attr("loading", "lazy");
    img.set_attr("decoding", "async");
}

/// Containers whose file browsers play themselves.
const PLAYABLE: [&str; 8] = [
    ".mp4", ".m4v", ".webm", ".ogv", ".mp3", ".m4a", ".ogg", ".oga",
];

fn playable(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    PLAYABLE.iter().any(|e| path.ends_with(e))
}

/// Video and audio: a player when the source is a file browsers play, else a link (with the
/// poster image) saying what it is — never nothing.
fn media(m: &NodeRef<'_>, shown: &Shown<'_>, local_prefix: &str) {
    let video = m.has_name("video");
    let sources: Vec<String> = m
        .attr("src")
        .into_iter()
        .map(|s| s.to_string())
        .chain(
            m.element_children()
                .iter()
                .filter(|c| c.has_name("source"))
                .filter_map(|c| c.attr("src").map(|s| s.to_string())),
        )
        .collect();
    let urls: Vec<Url> = sources
        .iter()
        .filter_map(|s| Url::parse(s).ok().filter(is_web))
        .collect();
    let poster = m
        .attr("poster")
        .and_then(|p| image_url(&p, shown, local_prefix));
    let what = if video { "视频" } else { "音频" };
    if let Some(file) = urls.iter().find(|u| playable(u)) {
        let file = attr_escape(file.as_str());
        let poster_attr = poster
            .as_ref()
            .map(|p| format!(" poster=\"{}\"", attr_escape(p)))
            .unwrap_or_default();
        let tag = if video { "video" } else { "audio" };
        m.replace_with_html(format!(
            "<figure class=\"media\"><{tag} controls preload=\"none\" src=\"{file}\"{poster_attr}></{tag}>\
             <figcaption><a href=\"{file}\">{what}文件</a></figcaption></figure>"
        ));
        return;
    }
    let target = urls
        .first()
        .map(|u| u.to_string())
        .or_else(|| safe_href(shown.link));
    let img = poster
        .map(|p| {
            format!(
                "<img src=\"{}\" alt=\"\" loading=\"lazy\">",
                attr_escape(&p)
            )
        })
        .unwrap_or_default();
    let label = format!("{what}：在原网页观看");
    let html = match target {
        Some(t) => format!(
            "<figure class=\"media\"><a href=\"{}\">{img}<span>{label}</span></a></figure>",
            attr_escape(&t)
        ),
        None => format!("<figure class=\"media\">{img}<figcaption>{label}</figcaption></figure>"),
    };
    m.replace_with_html(html);
}

/// The content's headings continue the page's (its title is the only `h1`): levels in the
/// order they appear, never more than one deeper than the one before.
fn headings(doc: &Document) {
    let hs = doc.select("h1, h2, h3, h4, h5, h6").nodes().to_vec();
    if hs.is_empty() {
        return;
    }
    let level = |n: &NodeRef<'_>| -> u8 {
        n.node_name()
            .and_then(|name| name.as_ref().strip_prefix('h').and_then(|d| d.parse().ok()))
            .unwrap_or(2)
    };
    let mut levels: Vec<u8> = hs.iter().map(level).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut prev = 1u8;
    for h in &hs {
        let rank = levels.iter().position(|&l| l == level(h)).unwrap_or(0) as u8 + 2;
        let out = rank.min(prev + 1).min(6);
        h.rename(&format!("h{out}"));
        prev = out;
    }
}

/// `figcaption` only as the first or last child of a `figure`: a `div` holding one at its
/// edge becomes the figure; any other is a caption paragraph.
fn captions(doc: &Document) {
    for c in doc.select("figcaption").nodes() {
        let Some(parent) = c.parent() else { continue };
        let kids = parent.element_children();
        let edge =
            kids.first().is_some_and(|k| k.id == c.id) || kids.last().is_some_and(|k| k.id == c.id);
        let many = kids.iter().filter(|k| k.has_name("figcaption")).count() > 1;
        if edge && !many && parent.has_name("div") {
            parent.rename("figure");
        }
        if !(edge && !many && parent.has_name("figure")) {
            c.rename("p");
            c.set_attr("class", "caption");
        }
    }
}

/// Elements that hold only phrasing content.
const PHRASING: [&str; 18] = [
    "span", "b", "strong", "i", "em", "u", "s", "small", "big", "font", "sub", "sup", "mark",
    "cite", "q", "abbr", "code", "label",
];

/// A block (a paragraph, a list…) inside a phrasing element (`<span><div>`, `<b><p>`), which
/// browsers show but HTML does not allow: the phrasing element becomes a `div` (bold and
/// italic kept by a class).
fn blocks_in_phrasing(doc: &Document) {
    let blocks = doc
        .select("div, p, ul, ol, dl, table, blockquote, figure, pre, hr, h2, h3, h4, h5, h6, section, article, address")
        .nodes()
        .to_vec();
    for b in blocks {
        let mut up = b.parent();
        let mut steps = 0;
        while let Some(a) = up {
            steps += 1;
            if steps > 64 || !a.is_element() || a.has_name("html") {
                break;
            }
            let name = a.node_name().map(|n| n.to_string()).unwrap_or_default();
            if PHRASING.contains(&name.as_str()) {
                let class = match name.as_str() {
                    "b" | "strong" => Some("bold"),
                    "i" | "em" | "cite" => Some("italic"),
                    _ => None,
                };
                a.rename("div");
                if let Some(c) = class {
                    a.set_attr("class", c);
                }
            }
            up = a.parent();
        }
    }
}

/// Whether XML allows `c` (XML 1.0 `Char`).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` without the characters XML forbids (control characters, U+FFFE, U+FFFF): HTML
/// checkers reject them too.
pub fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().all(xml_char) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.chars().filter(|&c| xml_char(c)).collect())
    }
}

/// The MIME type of a raster image, by its bytes (`clean::raster_extension`: JPEG, PNG, GIF,
/// WebP, AVIF, BMP); `None` for anything else (SVG, HTML, …): nothing that can hold script is
/// shown as an image from the reader's own origin.
pub fn raster_type(b: &[u8]) -> Option<&'static str> {
    Some(match crate::clean::raster_extension(b)? {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        _ => "image/bmp",
    })
}

/// Whether a text is written in traditional characters: enough of its Chinese characters
/// differ from their simplified forms.
pub fn is_traditional(text: &str) -> bool {
    let mut han = 0usize;
    let mut trad = 0usize;
    let mut buf = [0u8; 4];
    for c in text
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
    {
        han += 1;
        let mut s = c.encode_utf8(&mut buf).to_string();
        fast2s::replace(&mut s);
        if !s.starts_with(c) {
            trad += 1;
        }
        if han >= 2000 {
            break;
        }
    }
    // Simplified text quoting a traditional name stays simplified; about one character in
    // four differs in running traditional text.
    trad >= 3 && trad * 100 >= han * 6
}

#[cfg(test)]
mod tests;
