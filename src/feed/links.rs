//! Which link is the article's, and resolving links against `xml:base` and the feed's URL.
//!
//! The article link is the alternate HTML link: an RSS `<link>`, else an Atom-style link
//! whose `rel` is `alternate` (or absent), HTML types first; then the RSS `<guid>` when it is a
//! permalink (`isPermaLink` defaults to true) and a web URL, or the Atom `<id>` when it is a
//! web URL. Never `<comments>`, `wfw:commentRss`, nor a link whose `rel` is `enclosure`,
//! `self`, `license`, `related`, `via`, `replies` or anything else.

use url::Url;

use super::xml::Element;

/// The base URL inside `el`: its `xml:base` resolved against the base around it.
pub fn base_of(el: &Element, around: &Url) -> Url {
    match el.attr("xml:base").map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => around.join(b).unwrap_or_else(|_| around.clone()),
        None => around.clone(),
    }
}

/// `html` with its relative `href`, `src` and `poster` URLs resolved against `base`;
/// absolute ones, fragments (`#note`) and what does not parse are left as written.
pub fn absolute_urls(html: &str, base: &Url) -> String {
    use lol_html::{RewriteStrSettings, element, rewrite_str};
    if !html.contains('<') {
        return html.to_string();
    }
    let settings = RewriteStrSettings::new().append_element_content_handler(element!(
        "[href], [src], [poster]",
        |el| {
            for name in ["href", "src", "poster"] {
                if let Some(v) = el.get_attribute(name) {
                    let v = v.trim();
                    let relative =
                        matches!(Url::parse(v), Err(url::ParseError::RelativeUrlWithoutBase));
                    if relative
                        && !v.starts_with('#')
                        && let Ok(abs) = base.join(v)
                    {
                        el.set_attribute(name, abs.as_str())?;
                    }
                }
            }
            Ok(())
        }
    ));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// Descendant elements named in `names` (not looking inside a match), each with the base
/// URL in effect for it.
pub fn find_with_base<'a>(
    el: &'a Element,
    base: &Url,
    names: &[&str],
    out: &mut Vec<(&'a Element, Url)>,
) {
    for child in el.elements() {
        if names.contains(&child.name.as_str()) {
            out.push((child, base.clone()));
        } else if child.has_elements() {
            find_with_base(child, &base_of(child, base), names, out);
        }
    }
}

/// A link as written, resolved: (`Some(url)`, `None`) when it parses, (`None`, `Some(raw)`)
/// when it does not, (`None`, `None`) when it is blank.
pub fn resolve(href: &str, base: &Url) -> (Option<Url>, Option<String>) {
    let href = href.trim();
    if href.is_empty() {
        return (None, None);
    }
    match base.join(href) {
        Ok(u) => (Some(u), None),
        Err(_) => (None, Some(href.to_string())),
    }
}

/// The relation of an Atom-style link, lower case; `alternate` when absent. IANA's full
/// relation URIs read as their short names.
pub fn rel_of(link: &Element) -> String {
    let rel = link
        .attr("rel")
        .map(str::trim)
        .unwrap_or("")
        .to_ascii_lowercase();
    let rel = rel
        .strip_prefix("http://www.iana.org/assignments/relation/")
        .map(str::to_string)
        .unwrap_or(rel);
    if rel.is_empty() {
        "alternate".into()
    } else {
        rel
    }
}

/// The target of an Atom-style link: `href`, else (written wrongly) the text inside.
pub fn href_of(link: &Element) -> Option<String> {
    link.attr("href")
        .or_else(|| link.attr("url"))
        .map(str::to_string)
        .or_else(|| Some(link.text()))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

fn is_html_type(link: &Element) -> bool {
    match link.attr("type").map(|t| t.trim().to_ascii_lowercase()) {
        None => true,
        Some(t) => t.is_empty() || t == "text/html" || t == "application/xhtml+xml",
    }
}

/// The alternate among Atom-style links: HTML first, then any alternate.
pub fn pick_alternate<'a>(links: &[&'a Element]) -> Option<&'a Element> {
    let alternates: Vec<&Element> = links
        .iter()
        .copied()
        .filter(|l| rel_of(l) == "alternate" && href_of(l).is_some())
        .collect();
    alternates
        .iter()
        .find(|l| is_html_type(l))
        .or_else(|| alternates.first())
        .copied()
}

/// Whether an identifier is a web URL usable as a link.
pub fn is_web_url(s: &str) -> bool {
    let s = s.trim();
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && Url::parse(s).is_ok_and(|u| u.host().is_some())
}

/// The article link of an RSS (or RDF) item.
pub fn rss_link(item: &Element, base: &Url) -> (Option<Url>, Option<String>) {
    // `<link>` as RSS writes it (text), first of several.
    for l in item.children_named("link") {
        let text = l.text();
        if l.attr("href").is_none() && !text.trim().is_empty() {
            return resolve(&text, &base_of(l, base));
        }
    }
    let atomish: Vec<&Element> = item
        .elements()
        .filter(|e| e.name == "atom:link" || (e.name == "link" && e.attr("href").is_some()))
        .collect();
    if let Some(l) = pick_alternate(&atomish) {
        return resolve(&href_of(l).unwrap_or_default(), &base_of(l, base));
    }
    if let Some(g) = item.child(&["guid"]) {
        let permalink = g
            .attrs
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case("isPermaLink"))
            .is_none_or(|a| !a.value.trim().eq_ignore_ascii_case("false"));
        let text = g.text();
        if permalink && is_web_url(&text) {
            return resolve(&text, base);
        }
    }
    (None, None)
}

/// The article link of an Atom entry.
pub fn atom_link(entry: &Element, base: &Url, id: Option<&str>) -> (Option<Url>, Option<String>) {
    let links: Vec<&Element> = entry
        .elements()
        .filter(|e| e.name == "atom:link" || e.name == "link")
        .collect();
    if let Some(l) = pick_alternate(&links) {
        return resolve(&href_of(l).unwrap_or_default(), &base_of(l, base));
    }
    match id {
        Some(id) if is_web_url(id) => resolve(id, base),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::xml;

    fn item(src: &str) -> Element {
        xml::parse(src).root().cloned().unwrap()
    }

    fn link(src: &str) -> Option<String> {
        let base = Url::parse("http://feed.example/dir/feed.xml").unwrap();
        let el = item(src);
        let base = base_of(&el, &base);
        let (u, raw) = if el.name == "item" {
            rss_link(&el, &base)
        } else {
            let id = el.child(&["id"]).map(|i| i.text());
            atom_link(&el, &base, id.as_deref())
        };
        u.map(|u| u.to_string()).or(raw)
    }

    #[test]
    fn rss_link_choice() {
        assert_eq!(
            link("<item><link> /a/1 </link></item>").as_deref(),
            Some("http://feed.example/a/1")
        );
        assert_eq!(
            link("<item><link>http://x.example/1</link><link>http://x.example/2</link></item>")
                .as_deref(),
            Some("http://x.example/1")
        );
        assert_eq!(
            link(r#"<item xmlns:atom="http://www.w3.org/2005/Atom"><atom:link rel="enclosure" href="http://x.example/a.mp3"/><atom:link href="http://x.example/a"/></item>"#).as_deref(),
            Some("http://x.example/a")
        );
        assert_eq!(
            link("<item><guid>http://x.example/g</guid></item>").as_deref(),
            Some("http://x.example/g")
        );
        assert_eq!(
            link(r#"<item><guid isPermaLink="false">http://x.example/g</guid></item>"#),
            None
        );
        assert_eq!(link("<item><guid>12345</guid></item>"), None);
        assert_eq!(
            link("<item><comments>http://x.example/c</comments></item>"),
            None
        );
        assert_eq!(
            link(
                r#"<item xmlns:wfw="http://wellformedweb.org/CommentAPI/"><wfw:commentRss>http://x.example/c</wfw:commentRss><enclosure url="http://x.example/e.mp3"/></item>"#
            ),
            None
        );
        assert_eq!(
            link(r#"<item xml:base="http://other.example/x/"><link>b</link></item>"#).as_deref(),
            Some("http://other.example/x/b")
        );
        assert_eq!(
            link("<item><link>http://例子.测试/新闻?id=1&amp;b=2</link></item>").as_deref(),
            Some("http://xn--fsqu00a.xn--0zwm56d/%E6%96%B0%E9%97%BB?id=1&b=2")
        );
    }

    #[test]
    fn atom_link_choice() {
        assert_eq!(
            link(r#"<entry><link rel="enclosure" href="http://x.example/e.mp3"/><link rel="alternate" type="text/html" href="http://x.example/e"/></entry>"#).as_deref(),
            Some("http://x.example/e")
        );
        assert_eq!(
            link(r#"<entry><link rel="alternate" type="application/pdf" href="http://x.example/e.pdf"/><link rel="alternate" href="http://x.example/e"/></entry>"#).as_deref(),
            Some("http://x.example/e")
        );
        for rel in [
            "related",
            "self",
            "license",
            "via",
            "replies",
            "enclosure",
            "edit",
        ] {
            assert_eq!(
                link(&format!(
                    r#"<entry><link rel="{rel}" href="http://x.example/o"/><id>urn:x</id></entry>"#
                )),
                None,
                "{rel}"
            );
        }
        assert_eq!(
            link(r#"<entry><link rel="self" href="http://x.example/o"/><id>https://x.example/id</id></entry>"#).as_deref(),
            Some("https://x.example/id")
        );
        assert_eq!(
            link(r#"<entry xml:base="http://base.example/root/"><link href="e6.html" xml:base="sub/"/></entry>"#).as_deref(),
            Some("http://base.example/root/sub/e6.html")
        );
        assert_eq!(
            link(r#"<entry><link rel="alternate">http://x.example/text</link></entry>"#).as_deref(),
            Some("http://x.example/text")
        );
    }
}
