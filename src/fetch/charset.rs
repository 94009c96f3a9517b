//! Turning fetched bytes into UTF-8 text.
//!
//! Order: a byte-order mark; then bytes that are valid UTF-8 are UTF-8 whatever they claim
//! (pages that declare gb2312 but are UTF-8 exist); then the HTTP `Content-Type` charset; then
//! the document's own declaration (XML prolog, `<meta charset>`); then a guess by chardetng.

use encoding_rs::{Encoding, UTF_8};

/// Decoded text and the encoding it was decoded from.
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
}

/// Decodes `bytes`, given the HTTP `Content-Type` header if there was one.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding: enc,
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: s.to_string(),
            encoding: UTF_8,
        };
    }
    let declared = content_type
        .and_then(charset_of_content_type)
        .or_else(|| declared_in_document(bytes));
    let enc = declared.unwrap_or_else(|| {
        let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        det.feed(bytes, true);
        det.guess(None, chardetng::Utf8Detection::Allow)
    });
    // Labels like gb2312 map to GBK in encoding_rs; decode as GB18030, its superset, so that
    // characters outside GBK still come out right.
    let enc = if enc == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        enc
    };
    let (text, _, _) = enc.decode(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: enc,
    }
}

/// The `charset=` parameter of a Content-Type header.
fn charset_of_content_type(ct: &str) -> Option<&'static Encoding> {
    ct.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// An encoding declared in the first 2 KB: `<?xml … encoding="…"?>` or `<meta charset=…>` /
/// `<meta http-equiv … content="…charset=…">`.
fn declared_in_document(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(2048)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    for key in [&b"encoding="[..], &b"charset="[..]] {
        if let Some(pos) = find(&lower, key) {
            let rest = &head[pos + key.len()..];
            let rest = rest
                .strip_prefix(b"\"")
                .or_else(|| rest.strip_prefix(b"'"))
                .unwrap_or(rest);
            let end = rest
                .iter()
                .position(|b| matches!(b, b'"' | b'\'' | b'?' | b'>' | b';' | b' ' | b'/'))
                .unwrap_or(rest.len());
            if let Some(enc) = Encoding::for_label(&rest[..end]) {
                return Some(enc);
            }
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Rewrites the XML declaration of text that is now UTF-8 so that an XML parser does not
/// decode it a second time by the encoding it used to declare.
pub fn declare_utf8(xml: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = xml.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if !trimmed.starts_with("<?xml") {
        return xml.into();
    }
    let Some(end) = trimmed.find("?>") else {
        return xml.into();
    };
    let prolog = &trimmed[..end];
    let Some(pos) = prolog.find("encoding") else {
        return xml.into();
    };
    let after = &prolog[pos + "encoding".len()..];
    let Some(q_start) = after.find(['"', '\'']) else {
        return xml.into();
    };
    let quote = after.as_bytes()[q_start] as char;
    let Some(q_len) = after[q_start + 1..].find(quote) else {
        return xml.into();
    };
    let value_start = pos + "encoding".len() + q_start + 1;
    let mut out = String::with_capacity(trimmed.len());
    out.push_str(&trimmed[..value_start]);
    out.push_str("UTF-8");
    out.push_str(&trimmed[value_start + q_len..]);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_prolog_then_guess() {
        let (gbk, _, _) = encoding_rs::GBK
            .encode("<?xml version=\"1.0\" encoding=\"GBK\"?><t>德国之声中文网报道</t>");
        assert!(decode(&gbk, None).text.contains("德国之声"));
        let (big5, _, _) = encoding_rs::BIG5.encode("<t>臺灣的新聞報導，今天天氣很好</t>");
        assert!(
            decode(&big5, Some("application/rss+xml; charset=big5"))
                .text
                .contains("臺灣")
        );
        let (undeclared, _, _) = encoding_rs::GBK.encode(
            "<rss><title>俄罗斯总统普京周三凌晨抵达平壤，对朝鲜进行为期两天的访问</title></rss>",
        );
        assert!(decode(&undeclared, None).text.contains("普京"));
    }

    #[test]
    fn utf8_wins_over_a_wrong_declaration() {
        let s = "<meta charset=\"gb2312\"><p>中文</p>";
        assert_eq!(
            decode(s.as_bytes(), Some("text/html; charset=gb2312")).text,
            s
        );
    }

    #[test]
    fn prolog_rewritten() {
        assert_eq!(
            declare_utf8("<?xml version=\"1.0\" encoding=\"GBK\"?><rss/>"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>"
        );
        assert_eq!(declare_utf8("<rss/>"), "<rss/>");
    }
}
