use super::*;

fn url() -> Url {
    Url::parse("https://example.org/feed.xml").unwrap()
}

#[test]
fn rss_fields() {
    let xml = r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
    <item><title> A </title><link>/a/1</link><guid>g1</guid><pubDate>Wed, 19 Jun 2024 12:47:03 GMT</pubDate>
    <description>short</description><content:encoded><![CDATA[<p>full</p>]]></content:encoded></item>
    <item><title>B</title><description>only</description></item></channel></rss>"#;
    let f = parse(xml.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.title.as_deref(), Some("t"));
    assert_eq!(f.items[0].title.trim(), "A");
    assert_eq!(
        f.items[0].link.as_ref().unwrap().as_str(),
        "https://example.org/a/1"
    );
    assert_eq!(f.items[0].guid.as_deref(), Some("g1"));
    assert_eq!(f.items[0].content, "<p>full</p>");
    assert_eq!(
        f.items[0].published.unwrap().timestamp_millis(),
        1718801223000
    );
    assert_eq!(f.items[1].content, "only");
    assert_eq!(f.items[1].guid, None);
    assert_eq!(f.items[1].published, None);
}

#[test]
fn atom_and_json() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>f</id><updated>2024-06-19T12:00:00Z</updated>
    <entry><title>E</title><id>urn:e</id><link href="https://x.example/e"/><updated>2024-06-19T12:00:00Z</updated><content type="html">&lt;p&gt;c&lt;/p&gt;</content></entry></feed>"#;
    let f = parse(atom.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.format, Format::Atom);
    assert_eq!(f.items[0].content, "<p>c</p>");
    assert_eq!(f.items[0].guid.as_deref(), Some("urn:e"));
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","url":"https://x.example/1","title":"J","content_html":"<p>j</p>","date_published":"2024-06-19T12:00:00Z"}]}"#;
    let f = parse(json.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.items[0].title, "J");
    assert_eq!(f.items[0].content, "<p>j</p>");
}

#[test]
fn errors_are_precise() {
    assert!(matches!(parse(b"  ", None, &url()), Err(FeedError::Empty)));
    assert!(matches!(
        parse(b"<html><body>x</body></html>", None, &url()),
        Err(FeedError::Html)
    ));
    let e = parse(b"just some text", None, &url())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no XML element"), "{e}");
    let e = parse(b"<opml><body/></opml>", None, &url())
        .unwrap_err()
        .to_string();
    assert!(e.contains("root element is <opml>"), "{e}");
    // Items in a comment are not items the reader could read: an error, not an empty feed.
    let e = parse(
        b"<rss version=\"0.94\"><channel><!-- <item> <item>--></channel></rss>",
        None,
        &url(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "the RSS 0.94 (read as RSS 2.0) document holds 2 <item> tags but not one item could be read from it"
    );
    // A feed without items is a feed without items.
    assert!(
        parse(
            b"<rss><channel><title>t</title></channel></rss>",
            None,
            &url()
        )
        .unwrap()
        .items
        .is_empty()
    );
}

#[test]
fn truncated_document_keeps_what_it_holds() {
    let f = parse(
        b"<rss version=\"2.0\"><channel><item><title>A</title><link>http://x.example/a</link></item><item><title>B</title><description><![CDATA[cut sh",
        None,
        &url(),
    )
    .unwrap();
    assert_eq!(f.items.len(), 2);
    assert_eq!(f.items[1].title, "B");
    assert_eq!(f.items[1].content, "cut sh");
    // The document ends inside the item: it is marked wherever the cut falls (the archive
    // waits for it whole), and the feed is truncated; an item whose end tag alone is
    // missing, in a document whose root is closed, is whole.
    assert!(f.truncated && !f.items[0].cut_off && f.items[1].cut_off);
    let torn = parse(
        b"<rss version=\"2.0\"><channel><item><title>A</title></item><item><title>B</title><link>http://x.exa",
        None,
        &url(),
    )
    .unwrap();
    assert!(!torn.items[0].cut_off && torn.items[1].cut_off);
    let whole = parse(
        b"<rss version=\"2.0\"><channel><item><title>A</title></channel></rss>",
        None,
        &url(),
    )
    .unwrap();
    assert!(!whole.items[0].cut_off && !whole.truncated);
    // Cut between items: no item is torn, the document is.
    let between = parse(
        b"<rss version=\"2.0\"><channel><item><title>A</title></item>",
        None,
        &url(),
    )
    .unwrap();
    assert!(between.truncated && !between.items[0].cut_off);
}

#[test]
fn source_timezone_reaches_the_dates() {
    let xml = "<rss><channel><item><title>t</title><pubDate>2024-06-19 12:47:03</pubDate></item>\
               <item><title>u</title><pubDate>Wed, 19 Jun 2024 12:47:03 CST</pubDate></item></channel></rss>";
    let opts = Options {
        timezone: Some("Asia/Shanghai".parse().unwrap()),
    };
    let f = parse_with(xml.as_bytes(), None, &url(), opts).unwrap();
    assert_eq!(f.items[0].published.unwrap().timestamp(), 1_718_772_423);
    assert_eq!(f.items[1].published.unwrap().timestamp(), 1_718_772_423);
    let f = parse(xml.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.items[0].published.unwrap().timestamp(), 1_718_801_223);
    assert_eq!(
        f.items[1].published.unwrap().timestamp(),
        1_718_801_223 + 6 * 3600
    );
}

#[test]
fn an_item_in_an_atom_feed_is_read() {
    let f = parse(
        br#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:MadeUp="http://madeup.test"><item><title>i</title><MadeUp:Element>test</MadeUp:Element></item></feed>"#,
        None,
        &url(),
    )
    .unwrap();
    assert_eq!(f.items.len(), 1);
    assert_eq!(f.items[0].title, "i");
}

#[test]
fn control_characters_never_reach_the_item() {
    // attack-feeds F10: a NUL and a BACKSPACE in a description (raw, as a reference, in JSON).
    let xml = "<rss><channel><item><title>t\u{1}</title><description>body\u{0}with\u{8}nul &amp;#0; &#11;x</description></item></channel></rss>";
    let f = parse(xml.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.items[0].title, "t ");
    assert_eq!(f.items[0].content, "bodywithnul &#0; x");
    let json = r#"{"items":[{"id":"1","title":"a\u0000b","content_html":"<p>c\u0007d\n</p>"}]}"#;
    let f = parse(json.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.items[0].title, "a b");
    assert_eq!(f.items[0].content, "<p>cd\n</p>");
}

#[test]
fn relative_urls_in_content_follow_xml_base() {
    // attack-feeds F7: the content's own xml:base (Atom), and one on the item (RSS).
    let atom = r##"<feed xmlns="http://www.w3.org/2005/Atom"><title>KA</title>
<entry><title>based</title><id>urn:ka:x13</id><link href="http://k.example/x13"/>
<content type="html" xml:base="http://cb.example/d/">&lt;a href="rel"&gt;based&lt;/a&gt; &lt;img src="/i.png"&gt; &lt;a href="#n"&gt;n&lt;/a&gt; &lt;a href="https://o.example/x"&gt;o&lt;/a&gt;</content></entry></feed>"##;
    let f = parse(atom.as_bytes(), None, &url()).unwrap();
    assert_eq!(
        f.items[0].content,
        r##"<a href="http://cb.example/d/rel">based</a> <img src="http://cb.example/i.png"> <a href="#n">n</a> <a href="https://o.example/x">o</a>"##
    );
    let rss = r#"<rss><channel><item xml:base="http://k.example/dir/"><title>t</title><link>a.html</link><description>&lt;img src="p.png"&gt;</description></item></channel></rss>"#;
    let f = parse(rss.as_bytes(), None, &url()).unwrap();
    assert_eq!(
        f.items[0].content,
        r#"<img src="http://k.example/dir/p.png">"#
    );
    // Without xml:base, content keeps its URLs as written (the mirror's file format).
    let plain = r#"<rss><channel><item><title>t</title><link>http://k.example/dir/a.html</link><description>&lt;img src="/rel/img.png"&gt;</description></item></channel></rss>"#;
    let f = parse(plain.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.items[0].content, r#"<img src="/rel/img.png">"#);
}

#[test]
fn a_json_feed_behind_a_comment_is_read() {
    // attack-feeds F4 (papercut): it was "the document holds no XML element".
    let json = "// generated by a CMS\n/* v2 */ {\"items\":[{\"id\":\"1\",\"title\":\"J\"}]}";
    let f = parse(json.as_bytes(), None, &url()).unwrap();
    assert_eq!(f.items[0].title, "J");
    assert!(parse(b"// only a comment", None, &url()).is_err());
}
