//! RSS in every version (0.90, 0.91, 0.92, 0.93, 0.94, 2.0, "2.00", none, the Userland
//! namespace) and RSS 1.0 (RDF): all read as RSS 2.0, items wherever they sit (inside
//! `<channel>` or beside it, as RDF puts them).

use url::Url;

use super::content::feed_title;
use super::dates::parse_date;
use super::links::{base_of, resolve, rss_link};
use super::xml::Element;
use super::{Feed, Format, Item, Options};

/// Dates of an item, in order of preference: publication first, then modification.
pub const DATE_ELEMENTS: &[&str] = &[
    "pubDate",
    "dc:date",
    "dcterms:issued",
    "dcterms:created",
    "atom:published",
    "published",
    "atom:issued",
    "issued",
    "atom:created",
    "dcterms:modified",
    "atom:updated",
    "updated",
    "atom:modified",
    "modified",
    "dcterms:date",
];

/// The first of `names` (in that order) that holds a readable date.
pub fn first_date(
    item: &Element,
    names: &[&str],
    opts: Options,
) -> Option<chrono::DateTime<chrono::Utc>> {
    names.iter().find_map(|n| {
        item.children_named(n)
            .find_map(|d| parse_date(&d.text(), opts.timezone))
    })
}

/// Reads an `<rss>`, `<channel>` or `<rdf:RDF>` root.
pub fn read(root: &Element, url: &Url, opts: Options) -> Feed {
    let format = match root.name.as_str() {
        "rss" => Format::Rss(
            root.attr("version")
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()),
        ),
        "channel" => Format::Rss(None),
        _ => Format::Rdf,
    };
    let mut base = base_of(root, url);
    if let Some(cdf_base) = root.attr("base").filter(|_| root.raw == "CHANNEL") {
        // CDF: `<CHANNEL BASE="…">`.
        base = base.join(cdf_base.trim()).unwrap_or(base);
    }
    let channel = if root.name == "channel" {
        Some(root)
    } else {
        root.child(&["channel"])
    };
    let items = super::read_items(root, &base, opts);
    Feed {
        truncated: false,
        title: feed_title(channel.and_then(|c| c.child(&["title", "dc:title"]))),
        format,
        items,
    }
}

/// Reads an RSS (or RDF, or CDF) `<item>`.
pub fn item(el: &Element, around: &Url, opts: Options) -> Item {
    let base = base_of(el, around);
    let guid = el
        .child(&["guid", "dc:identifier"])
        .map(|g| g.text().trim().to_string())
        .filter(|g| !g.is_empty())
        .or_else(|| {
            el.attr("rdf:about")
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
        });
    let (mut link, mut raw_link) = rss_link(el, &base);
    if let (None, None, Some(href)) = (&link, &raw_link, el.attr("href")) {
        // CDF: `<ITEM HREF="…">`.
        (link, raw_link) = resolve(href, &base);
    }
    let published = first_date(el, DATE_ELEMENTS, opts).or_else(|| {
        el.attr("lastmod")
            .and_then(|d| parse_date(d, opts.timezone))
    });
    Item::from_xml(el, &base, guid, (link, raw_link), published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::xml;

    fn feed(src: &str) -> Feed {
        let url = Url::parse("http://feed.example/f.xml").unwrap();
        read(xml::parse(src).root().unwrap(), &url, Options::default())
    }

    #[test]
    fn every_version_reads_as_rss_2() {
        for v in [
            "",
            " version=\"0.91\"",
            " version=\"0.94\"",
            " version=\"2.00\"",
        ] {
            let f = feed(&format!(
                "<rss{v}><channel><title>t</title><item><title>V</title><link>http://x.example/v</link></item></channel></rss>"
            ));
            assert_eq!(f.items.len(), 1, "{v}");
            assert_eq!(f.items[0].title, "V");
        }
        assert_eq!(
            feed("<rss version=\"0.94\"><channel/></rss>")
                .format
                .to_string(),
            "RSS 0.94 (read as RSS 2.0)"
        );
    }

    #[test]
    fn rdf_items_beside_the_channel() {
        let f = feed(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel rdf:about="http://x.example/"><title>r</title></channel>
            <item rdf:about="http://x.example/1"><title>One</title><dc:date>2024-06-19T12:47:03+08:00</dc:date></item>
            <item rdf:about="http://x.example/2"><title>Two</title><link>http://x.example/2</link></item></rdf:RDF>"#,
        );
        assert_eq!(f.format, Format::Rdf);
        assert_eq!(f.title.as_deref(), Some("r"));
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].guid.as_deref(), Some("http://x.example/1"));
        assert_eq!(f.items[0].link, None);
        assert_eq!(f.items[0].published.unwrap().timestamp(), 1_718_772_423);
        assert_eq!(
            f.items[1].link.as_ref().unwrap().as_str(),
            "http://x.example/2"
        );
    }

    #[test]
    fn userland_namespace_and_dc_dates() {
        let f = feed(
            r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <item><title>U</title><dc:date>2002-09-28T20:01:19Z</dc:date><guid isPermaLink="true">http://x.example/u</guid></item></channel></rss>"#,
        );
        assert_eq!(f.items.len(), 1);
        assert_eq!(
            f.items[0].link.as_ref().unwrap().as_str(),
            "http://x.example/u"
        );
        assert_eq!(f.items[0].published.unwrap().timestamp(), 1_033_243_279);
    }

    #[test]
    fn element_names_in_any_case() {
        // attack-feeds F5: old ASP/.NET generators capitalise the RSS vocabulary.
        let f = feed(
            r#"<RSS version="2.0"><Channel><Title>caps</Title>
            <Item><Title>Capital Title</Title><Link>http://h.example/c1</Link><Description>Capital description</Description><PubDate>Wed, 19 Jun 2024 12:47:03 GMT</PubDate><GUID isPermalink="false">c1</GUID></Item>
            <ITEM><TITLE>UPPER TITLE</TITLE><LINK>http://h.example/c2</LINK><DESCRIPTION>UPPER</DESCRIPTION><pubdate>Wed, 19 Jun 2024 12:47:03 GMT</pubdate></ITEM></Channel></RSS>"#,
        );
        assert_eq!(f.title.as_deref(), Some("caps"));
        let got: Vec<_> = f
            .items
            .iter()
            .map(|i| {
                (
                    i.title.as_str(),
                    i.link.as_ref().map(Url::as_str),
                    i.published.map(|d| d.timestamp()),
                    i.content.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Capital Title",
                    Some("http://h.example/c1"),
                    Some(1_718_801_223),
                    "Capital description"
                ),
                (
                    "UPPER TITLE",
                    Some("http://h.example/c2"),
                    Some(1_718_801_223),
                    "UPPER"
                )
            ]
        );
        assert_eq!(f.items[0].guid.as_deref(), Some("c1"));
    }
}
