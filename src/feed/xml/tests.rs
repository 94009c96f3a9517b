use super::*;

fn root(src: &str) -> Element {
    parse(src).root().cloned().expect("a root element")
}

#[test]
fn namespaces_resolve_to_usual_prefixes() {
    let r = root(
        r#"<rss xmlns:x="http://purl.org/dc/elements/1.1/" xmlns:a="http://www.w3.org/2005/Atom"><channel><item><x:date>d</x:date><a:link href="h"/><media:content url="u"/></item></channel></rss>"#,
    );
    let item = r.child(&["channel"]).unwrap().child(&["item"]).unwrap();
    assert_eq!(item.child(&["dc:date"]).unwrap().text(), "d");
    assert_eq!(item.child(&["atom:link"]).unwrap().attr("href"), Some("h"));
    assert_eq!(
        item.child(&["media:content"]).unwrap().attr("url"),
        Some("u")
    );
    let userland = root(r#"<rss xmlns="http://backend.userland.com/rss2"><channel/></rss>"#);
    assert_eq!(userland.name, "rss");
    let atom03 = root(r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry/></feed>"#);
    assert_eq!(atom03.name, "atom:feed");
}

#[test]
fn recovers_from_broken_markup() {
    // Missing end tags, a stray end tag, a bare ampersand, an HTML entity, an unfinished CDATA.
    let r = root(
        "<rss><channel><item><title>A &amp; B &nbsp;&copy; AT&T</b></title><description><p>one<br>two</description></item><item><title><![CDATA[cut",
    );
    let items: Vec<_> = r
        .child(&["channel"])
        .unwrap()
        .children_named("item")
        .collect();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].child(&["title"]).unwrap().text(),
        "A & B \u{a0}© AT&T"
    );
    let d = items[0].child(&["description"]).unwrap();
    assert_eq!(d.text(), "onetwo");
    assert_eq!(d.inner_html(), "<p>one<br>two</p>");
    assert_eq!(items[1].child(&["title"]).unwrap().text(), "cut");
}

#[test]
fn an_unfinished_cdata_ends_at_its_element_end() {
    // attack-feeds F10: `]]>` forgotten; the next item is not swallowed.
    let r = root(
        "<rss><channel><item><description><![CDATA[<p>never closed</p></description></item><item><title>second</title></item></channel></rss>",
    );
    let items: Vec<_> = r
        .child(&["channel"])
        .unwrap()
        .children_named("item")
        .collect();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].child(&["description"]).unwrap().text(),
        "<p>never closed</p>"
    );
    assert_eq!(items[1].child(&["title"]).unwrap().text(), "second");
}

#[test]
fn declared_entities_are_not_expanded() {
    let r = root(
        r#"<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss>&b;|&nbsp;</rss>"#,
    );
    assert_eq!(r.text(), "&b;|\u{a0}");
}

#[test]
fn an_unclosed_item_ends_where_the_next_begins() {
    let r = root("<rss><channel><item><title>a</itm><item><title>b</title></item><item>c");
    let ch = r.child(&["channel"]).unwrap();
    let titles: Vec<String> = ch.children_named("item").map(|i| i.text()).collect();
    assert_eq!(titles, ["a", "b", "c"]);
}

#[test]
fn deep_nesting_is_flattened() {
    let depth = 100_000;
    let src = format!(
        "<rss>{}x{}</rss>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let r = root(&src);
    assert_eq!(r.text(), "x");
}

#[test]
fn attributes_in_every_form() {
    let r = root(r#"<link href=a.html rel='alternate' type="text/html" checked title="x > y"/>"#);
    assert_eq!(r.attr("href"), Some("a.html"));
    assert_eq!(r.attr("rel"), Some("alternate"));
    assert_eq!(r.attr("checked"), Some(""));
    assert_eq!(r.attr("title"), Some("x > y"));
}
