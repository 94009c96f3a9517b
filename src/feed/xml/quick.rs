//! Tokens from quick-xml in its most lenient configuration (no end-name checks, unmatched
//! end tags and bare `&` allowed), handed to the tree builder. quick-xml stops at a syntax
//! error; reading then resumes just past it, so no document is lost to one bad byte: the `<`
//! at the error (or of a tag whose name is not a name, as in `a < b`) is text, an unfinished
//! CDATA section at the end is text, an unfinished comment is dropped. Every resumption moves
//! forward, so the work stays linear in the input.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::Builder;

fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Feeds every token of `src` to `b`.
pub(crate) fn scan(src: &str, b: &mut Builder) {
    let mut offset = 0;
    while offset < src.len() {
        let mut r = Reader::from_str(&src[offset..]);
        let c = r.config_mut();
        c.check_end_names = false;
        c.allow_unmatched_ends = true;
        c.allow_dangling_amp = true;
        c.check_comments = false;
        c.expand_empty_elements = false;
        c.trim_text(false);
        loop {
            let before = offset + r.buffer_position() as usize;
            match r.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) if !is_name(e.name().as_ref()) => {
                    // `a < b`: not a tag. The `<` is text; read on from just after it.
                    b.text("<");
                    offset = before + 1;
                    break;
                }
                Ok(Event::Start(e)) => start(b, &e, false),
                Ok(Event::Empty(e)) => start(b, &e, true),
                Ok(Event::End(e)) => b.end(&text_of(e.name().as_ref())),
                Ok(Event::Text(t)) => b.raw_text(&text_of(&t)),
                Ok(Event::GeneralRef(r)) => b.raw_text(&format!("&{};", text_of(&r))),
                Ok(Event::CData(t)) => b.text(&text_of(&t)),
                Ok(Event::Eof) => return,
                Ok(_) => {}
                Err(_) => {
                    let at = (offset + r.error_position() as usize).clamp(before, src.len());
                    let rest = &src[at..];
                    if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
                        // Unfinished: it ends at the end tag of the element it is in, when
                        // there is one (a CMS forgot `]]>`), else at the end of the document.
                        let end = b
                            .open_name()
                            .and_then(|name| find_end_tag(cdata, name))
                            .unwrap_or(cdata.len());
                        b.text(&cdata[..end]);
                        offset = at + "<![CDATA[".len() + end;
                        if end == cdata.len() {
                            return;
                        }
                        break;
                    }
                    if rest.starts_with("<!--") {
                        return;
                    }
                    let next = rest.chars().next().map_or(1, char::len_utf8);
                    b.raw_text(&rest[..next.min(rest.len())]);
                    offset = at + next;
                    break;
                }
            }
        }
    }
}

/// Where `</name>` (or `</name ` …) first occurs in `s`.
fn find_end_tag(s: &str, name: &str) -> Option<usize> {
    let tag = format!("</{name}");
    s.match_indices(&tag)
        .map(|(at, _)| at)
        .find(|at| s[at + tag.len()..].starts_with(|c: char| c == '>' || c.is_whitespace()))
}

/// Whether a tag name is one: it starts with a letter or `_` (XML names may start with `:`
/// too, which no feed does).
fn is_name(name: &[u8]) -> bool {
    let s = String::from_utf8_lossy(name);
    s.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

fn start(b: &mut Builder, e: &quick_xml::events::BytesStart<'_>, self_closing: bool) {
    let name = text_of(e.name().as_ref()).into_owned();
    let attrs: Vec<(String, String)> = e
        .html_attributes()
        .map_while(Result::ok)
        .map(|a| {
            (
                text_of(a.key.as_ref()).into_owned(),
                text_of(&a.value).into_owned(),
            )
        })
        .collect();
    b.start(
        &name,
        attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        self_closing,
    );
}
