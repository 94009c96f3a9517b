//! JSON Feed 1.0 and 1.1, read as loosely as the XML formats: a numeric `id`, a string
//! `author`, a missing `title` or `version`, a field of the wrong type — each costs that field
//! at most, never the item or the feed.

use serde_json::Value;
use url::Url;

use super::dates::parse_date;
use super::enclosures::{self, Enclosure, EnclosureKind};
use super::links::resolve;
use super::text::text_as_html;
use super::{Feed, FeedError, Format, Item, Options};

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a JSON Feed document.
pub fn read(text: &str, url: &Url, opts: Options) -> Result<Feed, FeedError> {
    let doc: Value = match serde_json::from_str(text) {
        Ok(doc) => doc,
        // A lone UTF-16 surrogate escape (`"\ud83d"`, half an emoji cut by a JavaScript
        // `substring`) is not valid JSON to serde_json; browsers and Python read it.
        Err(e) => serde_json::from_str(
            &lone_surrogates_replaced(text)
                .ok_or(e.to_string())
                .map_err(FeedError::Json)?,
        )
        .map_err(|e| FeedError::Json(e.to_string()))?,
    };
    let Some(obj) = doc.as_object() else {
        return Err(FeedError::Json(
            "the document is a JSON array, not a feed object".into(),
        ));
    };
    let version = string(obj.get("version")).unwrap_or_default();
    let Some(items) = obj.get("items") else {
        return Err(FeedError::Json("the object has no \"items\" array".into()));
    };
    let Some(items) = items.as_array() else {
        return Err(FeedError::Json("\"items\" is not an array".into()));
    };
    let read: Vec<Item> = items
        .iter()
        .filter_map(Value::as_object)
        .map(|it| item(it, url, opts))
        .collect();
    if read.is_empty() && !items.is_empty() {
        return Err(FeedError::NoItemRead {
            format: Format::Json(version),
            found: format!("{} entries in \"items\"", items.len()),
        });
    }
    Ok(Feed {
        truncated: false,
        title: string(obj.get("title")).map(|t| t.trim().to_string()),
        format: Format::Json(version),
        items: read,
    })
}

/// `text` with every `\uXXXX` escape of a surrogate that is not half of a pair replaced by
/// `\uFFFD`; `None` when there is none. Escaped backslashes are skipped, so `\\ud83d` (a
/// literal backslash) is left alone.
fn lone_surrogates_replaced(text: &str) -> Option<String> {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        let hex = b.get(i + 2..i + 6)?;
        if b.get(i..i + 2)? != b"\\u" {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied, mut changed) = (0, 0, false);
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(b, i) {
            Some(0xD800..=0xDBFF)
                if escape_at(b, i + 6).is_some_and(|lo| (0xDC00..=0xDFFF).contains(&lo)) =>
            {
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                out.push_str(&text[copied..i]);
                out.push_str("\\uFFFD");
                i += 6;
                copied = i;
                changed = true;
            }
            _ => i += 2,
        }
    }
    out.push_str(&text[copied..]);
    changed.then_some(out)
}

fn item(it: &serde_json::Map<String, Value>, base: &Url, opts: Options) -> Item {
    let href = string(it.get("url")).or_else(|| string(it.get("external_url")));
    let (link, raw_link) = href.map_or((None, None), |h| resolve(&h, base));
    let content = string(it.get("content_html"))
        .or_else(|| string(it.get("content_text")).map(|t| text_as_html(&t)))
        .or_else(|| string(it.get("summary")).map(|t| text_as_html(&t)))
        .unwrap_or_default();
    let published = ["date_published", "date_modified"]
        .iter()
        .find_map(|k| string(it.get(*k)).and_then(|d| parse_date(&d, opts.timezone)));
    let mut encl: Vec<Enclosure> = Vec::new();
    if let Some(Value::Array(atts)) = it.get("attachments") {
        for a in atts.iter().filter_map(Value::as_object) {
            enclosures::push(&mut encl, string(a.get("url")).as_deref(), base, |url| {
                Enclosure {
                    url,
                    mime_type: string(a.get("mime_type")),
                    length: a.get("size_in_bytes").and_then(Value::as_u64),
                    title: string(a.get("title")),
                    description: None,
                    kind: EnclosureKind::Enclosure,
                }
            });
        }
    }
    for key in ["image", "banner_image"] {
        enclosures::push(
            &mut encl,
            string(it.get(key)).as_deref(),
            base,
            Enclosure::thumbnail,
        );
    }
    Item {
        title: string(it.get("title")).unwrap_or_default(),
        link,
        raw_link,
        guid: string(it.get("id")).map(|g| g.trim().to_string()),
        published,
        content,
        enclosures: encl,
        cut_off: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> Result<Feed, FeedError> {
        read(
            s,
            &Url::parse("http://feed.example/f.json").unwrap(),
            Options::default(),
        )
    }

    #[test]
    fn odd_fields_cost_nothing() {
        let f = read_str(
            r#"{"version":"https://jsonfeed.org/version/1","items":[
            {"id":10,"url":"/j/10","title":"J10","author":"Someone","content_text":"a < b","date_published":"2024-06-19 12:47:03"},
            {"id":"x","external_url":"https://elsewhere.example/2","title":"J &amp; <b>x</b>","summary":"s","date_modified":"2024-06-19T12:47:03Z",
             "attachments":[{"url":"https://x.example/a.mp3","mime_type":"audio/mpeg","size_in_bytes":5}],"image":"https://x.example/i.jpg"},
            "not an item", 3]}"#,
        )
        .unwrap();
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.title, None);
        let a = &f.items[0];
        assert_eq!(a.guid.as_deref(), Some("10"));
        assert_eq!(
            a.link.as_ref().unwrap().as_str(),
            "http://feed.example/j/10"
        );
        assert_eq!(a.content, "a &lt; b");
        assert_eq!(a.published.unwrap().timestamp(), 1_718_801_223);
        let b = &f.items[1];
        assert_eq!(b.title, "J &amp; <b>x</b>");
        assert_eq!(
            b.link.as_ref().unwrap().as_str(),
            "https://elsewhere.example/2"
        );
        assert_eq!(b.enclosures.len(), 2);
        assert_eq!(b.enclosures[0].length, Some(5));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = read_str("{\"items\": [").unwrap_err().to_string();
        assert!(e.contains("EOF while parsing"), "{e}");
        let e = read_str("{\"title\": \"x\"}").unwrap_err().to_string();
        assert!(e.contains("no \"items\" array"), "{e}");
        let e = read_str("{\"items\": [1, 2]}").unwrap_err().to_string();
        assert!(e.contains("2 entries") && e.contains("not one item"), "{e}");
        assert!(read_str("{\"items\": []}").unwrap().items.is_empty());
    }

    #[test]
    fn a_lone_surrogate_escape_costs_one_character() {
        // attack-feeds F4: half an emoji written by JSON.stringify.
        let url = Url::parse("http://j.example/f.json").unwrap();
        let doc = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"ok \ud83d\ude00"},{"id":"cut","url":"http://j.example/cut","title":"新闻标题\ud83d","content_text":"a\\ud83d \udc00b"}]}"#;
        let f = read(doc, &url, Options::default()).unwrap();
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].title, "ok 😀");
        assert_eq!(f.items[1].title, "新闻标题\u{FFFD}");
        assert_eq!(f.items[1].content, "a\\ud83d \u{FFFD}b");
        assert!(
            read(
                r#"{"items":[{"id":"1","title":"\ud83d"}"#,
                &url,
                Options::default()
            )
            .is_err()
        );
    }
}
