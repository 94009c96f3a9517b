//! Character references and markup in feed text: decoding entities (XML's five, numeric,
//! every HTML named entity, a document's own declarations), escaping, and reading HTML as
//! plain text for titles.

use std::borrow::Cow;
use std::collections::HashMap;

use markup5ever::data::NAMED_ENTITIES;

/// Replaces character references. Unknown or unterminated references are left as written
/// (a bare `&` in `AT&T` stays), as browsers and feedparser do.
pub fn decode_entities<'a>(s: &'a str, declared: &HashMap<String, String>) -> Cow<'a, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match reference(rest, declared) {
            Some((text, len)) => {
                out.push_str(&text);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The text of the reference at the start of `s` (which starts with `&`) and its length.
fn reference<'d>(s: &str, declared: &'d HashMap<String, String>) -> Option<(Cow<'d, str>, usize)> {
    let body = &s[1..];
    let end = body.find(';').filter(|e| *e <= 40)?;
    let name = &body[..end];
    let len = end + 2;
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        let c = match code {
            // Windows-1252 in numeric references (`&#146;`), as browsers read them.
            0x80..=0x9F => cp1252(code),
            0 => '\u{FFFD}',
            _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
        };
        return Some((Cow::Owned(c.to_string()), len));
    }
    let fixed = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    };
    if !fixed.is_empty() {
        return Some((Cow::Borrowed(fixed), len));
    }
    if let Some(v) = declared.get(name) {
        return Some((Cow::Borrowed(v.as_str()), len));
    }
    let key = format!("{name};");
    let &(a, b) = NAMED_ENTITIES.get(key.as_str())?;
    let mut text = String::new();
    text.extend(char::from_u32(a));
    if b != 0 {
        text.extend(char::from_u32(b));
    }
    Some((Cow::Owned(text), len))
}

fn cp1252(code: u32) -> char {
    let byte = [code as u8];
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(&byte)
        .0
        .chars()
        .next()
        .unwrap_or('\u{FFFD}')
}

/// Escapes text for HTML element content.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

/// Escapes text for a double-quoted HTML attribute.
pub fn escape_attr(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(escape_text(s).replace('"', "&quot;"))
}

/// Plain text as HTML: escaped, line breaks kept as `<br>`.
pub fn text_as_html(s: &str) -> String {
    escape_text(s.trim()).replace('\n', "<br>\n")
}

/// Whether text holds something that reads as an HTML tag or character reference.
pub fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2).any(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!')
    }) || (s.contains('&') && decode_entities(s, &HashMap::new()) != s)
}

/// The text a reader sees in an HTML fragment: tags removed (`<br>`, `<p>` as a space when
/// they separate words), comments dropped, character references decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let next = tag.as_bytes().get(1).copied().unwrap_or(b' ');
        if tag.starts_with("<!--") {
            rest = tag[4..].find("-->").map_or("", |e| &tag[4 + e + 3..]);
        } else if next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?' {
            let end = tag.find('>').map_or(tag.len(), |e| e + 1);
            let name: String = tag[1..end]
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if matches!(name.as_str(), "br" | "p" | "div" | "li" | "tr")
                && !out.ends_with(char::is_whitespace)
                && !out.is_empty()
            {
                out.push(' ');
            }
            rest = &tag[end..];
        } else {
            out.push('<');
            rest = &tag[1..];
        }
    }
    out.push_str(rest);
    decode_entities(&out, &HashMap::new()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> String {
        decode_entities(s, &HashMap::new()).into_owned()
    }

    #[test]
    fn references_of_every_kind() {
        assert_eq!(dec("a &amp; b &lt;c&gt; &quot;&apos;"), "a & b <c> \"'");
        assert_eq!(dec("&#20013;&#x6587;&#X4E2D;"), "中文中");
        assert_eq!(dec("&nbsp;&copy;&hellip;&mdash;"), "\u{a0}©…—");
        assert_eq!(dec("&#146;s"), "\u{2019}s");
        assert_eq!(dec("AT&T &unknown; & &#xZZ; &#0;"), "AT&T &unknown; & &#xZZ; \u{FFFD}");
    }

    #[test]
    fn html_reads_as_text() {
        assert_eq!(html_to_text("<b>粗体</b> 标题"), "粗体 标题");
        assert_eq!(html_to_text("A &amp; B"), "A & B");
        assert_eq!(html_to_text("1 < 2 <!-- c --> ok"), "1 < 2  ok");
        assert_eq!(html_to_text("one<br>two"), "one two");
        assert!(looks_like_html("x <b>y</b>"));
        assert!(looks_like_html("x &amp; y"));
        assert!(!looks_like_html("1 < 2 & 3"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_text("a<b & c>"), "a&lt;b &amp; c&gt;");
        assert_eq!(escape_attr("\"x\""), "&quot;x&quot;");
        assert_eq!(text_as_html("a\nb<"), "a<br>\nb&lt;");
    }
}
