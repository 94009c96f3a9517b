//! Character references and markup in feed text: decoding references (XML's five, numeric,
//! and HTML's fixed table of named entities such as `&nbsp;`, which feeds use without
//! declaring), escaping, and reading HTML as plain text for titles. Entities a document
//! declares itself are not expanded: no input can make one reference grow into more text
//! than the table's longest entry (two characters).

use markup5ever::data::NAMED_ENTITIES;
use std::borrow::Cow;

/// Replaces character references. Unknown or unterminated references are left as written
/// (a bare `&` in `AT&T` stays), as browsers and feedparser do.
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match reference(rest) {
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
fn reference(s: &str) -> Option<(Cow<'static, str>, usize)> {
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
    b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
        || (s.contains('&') && decode_entities(s) != s)
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
        if let Some(comment) = tag.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |e| &comment[e + 3..]);
        } else if let Some(cdata) = tag.strip_prefix("<![CDATA[") {
            // A CDATA section escaped once more by a CMS (`&lt;![CDATA[title]]&gt;`): its text.
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            out.push_str(&cdata[..end]);
            rest = cdata.get(end + 3..).unwrap_or("");
        } else if let Some(name) = ["script", "style"]
            .into_iter()
            .find(|n| starts_with_ci(&tag[1..], n))
        {
            // Not text: skipped to the end of the element (or of the fragment).
            let close = format!("</{name}");
            rest = find_ci(tag, &close).map_or("", |e| {
                let after = &tag[e..];
                &after[after.find('>').map_or(after.len(), |g| g + 1)..]
            });
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
    decode_entities(&out).into_owned()
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Where `needle` (ASCII) first occurs in `hay`, ignoring ASCII case.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> String {
        decode_entities(s).into_owned()
    }

    #[test]
    fn references_of_every_kind() {
        assert_eq!(dec("a &amp; b &lt;c&gt; &quot;&apos;"), "a & b <c> \"'");
        assert_eq!(dec("&#20013;&#x6587;&#X4E2D;"), "中文中");
        assert_eq!(dec("&nbsp;&copy;&hellip;&mdash;"), "\u{a0}©…—");
        assert_eq!(dec("&#146;s"), "\u{2019}s");
        assert_eq!(
            dec("AT&T &unknown; & &#xZZ; &#0;"),
            "AT&T &unknown; & &#xZZ; \u{FFFD}"
        );
    }

    #[test]
    fn html_reads_as_text() {
        assert_eq!(html_to_text("<b>粗体</b> 标题"), "粗体 标题");
        assert_eq!(html_to_text("A &amp; B"), "A & B");
        assert_eq!(html_to_text("1 < 2 <!-- c --> ok"), "1 < 2  ok");
        assert_eq!(html_to_text("one<br>two"), "one two");
        assert_eq!(
            html_to_text("safe<script>location.href='x'</script> <STYLE>p{}</STYLE>text"),
            "safe text"
        );
        assert_eq!(html_to_text("a<script>never closed"), "a");
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
