//! Shared text rules, a leaf every stage may use: canonical links, comparable titles, the
//! readable text of HTML, and the normalized-content hash that tells an edit from noise.
//!
//! Pure functions of their input; depends on nothing in the crate but `mirror`'s trimming.

use url::Url;

/// Query parameters that only track the reader and never change the article.
fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid"
                | "gclid"
                | "gclsrc"
                | "dclid"
                | "msclkid"
                | "yclid"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "_ga"
                | "_gl"
                | "ref_src"
                | "at_medium"
                | "at_campaign"
                | "at_custom1"
                | "at_custom2"
                | "at_custom3"
                | "at_custom4"
                | "xtor"
                | "ocid"
                | "cmpid"
                | "rss"
                | "rssfeed"
        )
}

/// The link compared for repeats: no fragment, no tracking parameters; scheme and host are
/// already lower case in a parsed URL.
pub fn canonical_link(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    u.to_string()
}

/// The title compared for repeats: trimmed, inner white space folded to one space.
pub fn comparable_title(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The hash of an article's title and content, normalized so that white space and tracking
/// parameters in links do not count as an edit. Stable across versions (FNV-1a, 64 bits).
pub fn content_hash(title: &str, content: &str) -> String {
    let norm = format!("{}\u{0}{}", normalize(title), normalize(content));
    format!("{:016x}", fnv1a(norm.as_bytes()))
}

/// FNV-1a, 64 bits: a stable hash (the same in every version and on every machine).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The start of the paragraph of enclosure links the archive appends to an article whose
/// content does not point at its enclosures (`feed::enclosures::block`). It is not text the
/// outlet wrote: hashes, text keys and texts compared for identity leave it out, so a rotating
/// enclosure URL is no edit and a file rebuilt from disk hashes as its feed item did.
pub const ENCLOSURE_BLOCK: &str = "<p class=\"enclosures\">";

/// `content` without the enclosure block at its end, if it has one.
pub fn without_enclosure_block(content: &str) -> &str {
    match content.rfind(ENCLOSURE_BLOCK) {
        Some(at) if content[at..].trim_end().ends_with("</p>") => &content[..at],
        _ => content,
    }
}

/// Lines trimmed and joined (as the mirror file holds them), white space folded (and dropped
/// around tags), links without tracking parameters; an enclosure block left out.
fn normalize(s: &str) -> String {
    let flat = crate::mirror::flatten_content(without_enclosure_block(s));
    let mut out = String::with_capacity(flat.len());
    let mut rest = flat.as_str();
    // Tracking parameters live in query strings: without a `?` there is nothing to drop.
    let has_query = flat.contains('?');
    while has_query && let Some(pos) = rest.find("http") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
            .unwrap_or(tail.len());
        let candidate = &tail[..end];
        let canon = url::Url::parse(&candidate.replace("&amp;", "&"))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| canonical_link(&u));
        out.push_str(canon.as_deref().unwrap_or(candidate));
        rest = &tail[end..];
    }
    out.push_str(rest);
    let mut folded = String::with_capacity(out.len());
    let mut space = false;
    for c in out.chars() {
        if c.is_whitespace() || c == '\u{FEFF}' {
            space = true;
            continue;
        }
        if space && !folded.is_empty() && !folded.ends_with('>') && c != '<' {
            folded.push(' ');
        }
        space = false;
        folded.push(c);
    }
    folded
}

/// The readable text of an HTML fragment: tags dropped (block ends become line breaks),
/// common entities decoded, white space folded.
pub fn text_of_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        let end = tail.find('>').map_or(tail.len(), |e| e + 1);
        let tag = tail[1..end.saturating_sub(1).max(1)].trim_start_matches('/');
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "p" | "br"
                | "div"
                | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "tr"
                | "blockquote"
                | "figcaption"
        ) {
            out.push('\n');
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The normalized readable text of HTML (white space folded, tracking parameters dropped): what
/// two items must share to be "the same text".
pub fn normalized_text(html: &str) -> String {
    text_of_html(without_enclosure_block(html))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key of a content's text, normalized as the content hash normalizes it (`None` when
/// empty): equal keys, equal texts.
pub fn text_key(html: &str) -> Option<String> {
    key_of(&normalize(html))
}

fn key_of(norm: &str) -> Option<String> {
    (!norm.is_empty()).then(|| format!("{:016x}", fnv1a(norm.as_bytes())))
}

/// [`content_hash`] and [`text_key`] at once (the content normalized once).
pub fn hash_and_text_key(title: &str, content: &str) -> (String, Option<String>) {
    let norm = normalize(content);
    let all = format!("{}\u{0}{}", normalize(title), norm);
    (format!("{:016x}", fnv1a(all.as_bytes())), key_of(&norm))
}

/// How alike two texts are, 0.0 to 1.0: the share of the shorter text's character bigrams
/// found in the longer (CJK-friendly; white space ignored). An edit keeps most bigrams, a
/// teaser is contained in its article; distinct stories share few.
pub fn similarity(a: &str, b: &str) -> f64 {
    use std::collections::HashMap;
    fn bigrams(s: &str) -> HashMap<(char, char), usize> {
        let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        let mut m = HashMap::new();
        for w in chars.windows(2) {
            *m.entry((w[0], w[1])).or_insert(0) += 1;
        }
        m
    }
    if a == b {
        return 1.0;
    }
    let (x, y) = (bigrams(a), bigrams(b));
    let (nx, ny): (usize, usize) = (x.values().sum(), y.values().sum());
    if nx.min(ny) == 0 {
        return 0.0;
    }
    let shared: usize = x
        .iter()
        .map(|(k, n)| (*n).min(y.get(k).copied().unwrap_or(0)))
        .sum();
    shared as f64 / nx.min(ny) as f64
}

/// The numbers a text holds (runs of digits, full-width digits read as ASCII): bulletins
/// written from one template differ in little else.
pub fn numbers(text: &str) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        let d = match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            _ => None,
        };
        match d {
            Some(d) => run.push(d),
            None if !run.is_empty() => {
                out.insert(std::mem::take(&mut run));
            }
            None => {}
        }
    }
    out
}

/// Text made safe for HTML, in element content and in quoted attributes alike (`&`, `<`, `>`,
/// `"`, `'`): the one escape of the reader's surfaces (pages, search snippets, enclosures).
pub fn escape_html(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_and_fragment_dropped() {
        let a =
            Url::parse("HTTP://Example.ORG/a/1.html?utm_source=rss&utm_medium=feed#top").unwrap();
        assert_eq!(canonical_link(&a), "http://example.org/a/1.html");
        let b = Url::parse("https://example.org/a?id=3&fbclid=x").unwrap();
        assert_eq!(canonical_link(&b), "https://example.org/a?id=3");
    }

    #[test]
    fn titles_fold_space() {
        assert_eq!(comparable_title(" 同一篇  文章 "), "同一篇 文章");
    }

    #[test]
    fn html_text() {
        assert_eq!(
            text_of_html("<p>一 &amp; 二</p><p>三<br>四</p>"),
            "一 & 二\n三\n四"
        );
    }

    #[test]
    fn similar_texts() {
        assert_eq!(similarity("今天的新闻", "今天的新闻"), 1.0);
        assert!(
            similarity(
                "俄罗斯总统普京周三凌晨抵达平壤",
                "俄罗斯总统普京周二凌晨抵达平壤"
            ) > 0.8
        );
        assert!(similarity("股市今天上涨", "台风明天登陆") < 0.2);
        assert_eq!(text_key("<p> a  b </p>\n"), text_key("<p>a b</p>"));
        assert_eq!(text_key(" \n "), None);
    }

    #[test]
    fn noise_is_not_an_edit() {
        let a = content_hash(
            "标题",
            "<p>一段话 <a href=\"https://x.example/a?id=1&utm_source=rss\">链接</a></p>\n<p>二</p>",
        );
        let b = content_hash(
            " 标题 ",
            "<p>一段话  <a href=\"https://x.example/a?id=1\">链接</a></p><p>二</p> ",
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            content_hash(
                "标题",
                "<p>一段話 <a href=\"https://x.example/a?id=1\">链接</a></p><p>二</p>"
            )
        );
        assert_ne!(
            a,
            content_hash(
                "新标题",
                "<p>一段话 <a href=\"https://x.example/a?id=1\">链接</a></p><p>二</p>"
            )
        );
    }
}
