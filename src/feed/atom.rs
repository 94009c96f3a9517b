//! Atom 1.0 and Atom 0.3 (`http://purl.org/atom/ns#`: `issued`, `modified`, `mode`), and
//! Atom in no namespace. A text construct of a type the reader does not know is read as
//! text (or base64 for other media types, as RFC 4287 says), never a reason to drop the feed.

use url::Url;

use super::content::feed_title;
use super::links::{atom_link, base_of};
use super::rss::first_date;
use super::xml::Element;
use super::{Feed, Format, Item, Options};

/// Dates of an entry, in order of preference.
const DATE_ELEMENTS: &[&str] = &[
    "atom:published",
    "published",
    "atom:issued",
    "issued",
    "atom:created",
    "created",
    "dc:date",
    "dcterms:issued",
    "dcterms:created",
    "pubDate",
    "atom:updated",
    "updated",
    "atom:modified",
    "modified",
    "dcterms:modified",
];

/// Reads a `<feed>` root; `ns` is its namespace URI.
pub fn read(root: &Element, ns: Option<&str>, url: &Url, opts: Options) -> Feed {
    let atom03 = ns.is_some_and(|n| n.contains("purl.org/atom/ns"))
        || root
            .attr("version")
            .is_some_and(|v| v.trim().starts_with("0."));
    let base = base_of(root, url);
    let items = super::read_items(root, &base, opts);
    Feed {
        truncated: false,
        title: feed_title(root.child(&["atom:title", "title"])),
        format: if atom03 { Format::Atom03 } else { Format::Atom },
        items,
    }
}

/// Reads an Atom `<entry>`.
pub fn entry(el: &Element, around: &Url, opts: Options) -> Item {
    let base = base_of(el, around);
    let guid = el
        .child(&["atom:id", "id", "guid", "dc:identifier"])
        .map(|g| g.text().trim().to_string())
        .filter(|g| !g.is_empty());
    let link = atom_link(el, &base, guid.as_deref());
    let published = first_date(el, DATE_ELEMENTS, opts);
    Item::from_xml(el, &base, guid, link, published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::xml;

    fn feed(src: &str) -> Feed {
        let url = Url::parse("http://feed.example/f.xml").unwrap();
        let doc = xml::parse(src);
        read(
            doc.root().unwrap(),
            doc.root_ns.as_deref(),
            &url,
            Options::default(),
        )
    }

    #[test]
    fn atom_03() {
        let f = feed(
            r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>a</title>
            <entry><title>E</title><link rel="alternate" type="text/html" href="http://x.example/e"/><id>i</id>
            <issued>2024-06-19T12:47:03Z</issued><modified>2024-06-20T00:00:00Z</modified>
            <content type="text/html" mode="escaped">&lt;p&gt;x&lt;/p&gt;</content></entry></feed>"#,
        );
        assert_eq!(f.format, Format::Atom03);
        assert_eq!(f.items.len(), 1);
        let e = &f.items[0];
        assert_eq!(e.link.as_ref().unwrap().as_str(), "http://x.example/e");
        assert_eq!(e.published.unwrap().timestamp(), 1_718_801_223);
        assert_eq!(e.content, "<p>x</p>");
    }

    #[test]
    fn odd_types_do_not_lose_the_feed() {
        let f = feed(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <entry><title type="">evil</title><id>1</id><summary type="application/octet-stream">aGVsbG8=</summary></entry>
            <entry><title type="application/x-custom">custom</title><id>2</id><content type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry>
            <entry><title>Plain</title><id>3</id><published>2024-06-19T12:47:03</published></entry></feed>"#,
        );
        assert_eq!(f.items.len(), 3);
        assert_eq!(f.items[0].title, "evil");
        assert_eq!(f.items[0].content, "hello");
        assert_eq!(f.items[1].content, "<p>x</p>");
        assert_eq!(f.items[2].published.unwrap().timestamp(), 1_718_801_223);
    }
}
