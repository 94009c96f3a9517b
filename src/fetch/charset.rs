//! Turning fetched bytes into UTF-8 text.
//!
//! Order: a byte-order mark (UTF-8, UTF-16, UTF-32); then UTF-16 or UTF-32 without one,
//! recognised by the zero bytes around the first `<`; then bytes that are valid UTF-8 are
//! UTF-8 whatever they claim (pages that declare gb2312 but are UTF-8 exist); then the HTTP
//! `Content-Type` charset, when the bytes are valid in it; then the document's own
//! declaration (XML prolog, `<meta charset>`), when the bytes are valid in it; then a guess by
//! chardetng. A header that names a single-byte charset (in which any bytes are "valid")
//! loses to a declared multi-byte charset (GBK, Big5, Shift_JIS, EUC-KR…) the bytes are
//! valid in: a GBK feed served as `charset=iso-8859-1` is GBK. No input makes this panic.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// Decoded text and the encoding it was decoded from.
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
}

/// UTF-32 as the XML specification's autodetection table finds it: a BOM, or `<` as four
/// bytes. encoding_rs does not decode UTF-32 (browsers do not), feeds sometimes are.
fn utf32(bytes: &[u8]) -> Option<(bool, usize)> {
    match bytes.get(..4)? {
        [0, 0, 0xFE, 0xFF] => Some((true, 4)),
        [0xFF, 0xFE, 0, 0] => Some((false, 4)),
        [0, 0, 0, b] if *b != 0 => Some((true, 0)),
        [b, 0, 0, 0] if *b != 0 => Some((false, 0)),
        _ => None,
    }
}

fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    bytes
        .chunks(4)
        .map(|c| {
            let mut b = [0u8; 4];
            b[..c.len()].copy_from_slice(c);
            let n = if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
            char::from_u32(n).unwrap_or('\u{FFFD}')
        })
        .collect()
}

/// UTF-16 without a BOM: an ASCII character beside a zero byte in each of the first two
/// code units (`<?`, `<r`, ` <`).
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes.get(..4)? {
        [0, a, 0, b] if a.is_ascii() && b.is_ascii() && *a != 0 && *b != 0 => Some(UTF_16BE),
        [a, 0, b, 0] if a.is_ascii() && b.is_ascii() && *a != 0 && *b != 0 => Some(UTF_16LE),
        _ => None,
    }
}

/// Labels like gb2312 map to GBK in encoding_rs; decode as GB18030, its superset, so that
/// characters outside GBK still come out right.
fn widened(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        enc
    }
}

/// The text when every byte is valid in `enc`.
fn strictly(bytes: &[u8], enc: &'static Encoding) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
}

/// Decodes `bytes`, given the HTTP `Content-Type` header if there was one.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((big_endian, bom)) = utf32(bytes) {
        return Decoded {
            text: decode_utf32(&bytes[bom..], big_endian),
            encoding: if big_endian { UTF_16BE } else { UTF_16LE },
        };
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding: enc,
        };
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(bytes);
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
    // The bytes are ASCII-compatible here: a UTF-16 label can only be a lie.
    let usable = |e: &&'static Encoding| *e != UTF_16LE && *e != UTF_16BE && *e != UTF_8;
    let header = content_type
        .and_then(charset_of_content_type)
        .filter(usable)
        .map(widened);
    let declared = declared_in_document(bytes).filter(usable).map(widened);
    let mut candidates = Vec::new();
    if let (Some(h), Some(d)) = (header, declared)
        && h.is_single_byte()
        && !d.is_single_byte()
    {
        candidates.push(d);
    }
    candidates.extend(header);
    candidates.extend(declared);
    for enc in candidates {
        if let Some(text) = strictly(bytes, enc) {
            return Decoded {
                text,
                encoding: enc,
            };
        }
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = widened(det.guess(None, chardetng::Utf8Detection::Deny));
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
    fn a_lying_header_loses_to_the_declaration() {
        let doc = "<?xml version=\"1.0\" encoding=\"gbk\"?><rss><title>德国之声：朱镕基谈“改革”与台湾</title></rss>";
        let (gbk, _, _) = encoding_rs::GBK.encode(doc);
        for header in [
            "application/rss+xml; charset=utf-8",
            "text/xml; charset=iso-8859-1",
            "text/xml; charset=utf-16",
        ] {
            let d = decode(&gbk, Some(header));
            assert!(
                d.text.contains("朱镕基谈“改革”与台湾"),
                "{header}: {}",
                d.text
            );
            assert!(!d.text.contains('\u{FFFD}'), "{header}");
        }
        // Declared UTF-8 but GBK bytes: detection finds GBK.
        let (lying, _, _) = encoding_rs::GBK
            .encode("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><title>德国之声中文网报道俄罗斯总统普京周三凌晨抵达平壤</title></rss>");
        assert!(decode(&lying, None).text.contains("普京"));
    }

    #[test]
    fn utf16_and_utf32_with_and_without_bom() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss><title>中文 ok</title></rss>";
        let be: Vec<u8> = doc.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let le: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&be, None).text, doc);
        assert_eq!(decode(&le, Some("text/xml; charset=utf-8")).text, doc);
        let with_bom: Vec<u8> = [0xFE, 0xFF].into_iter().chain(be.iter().copied()).collect();
        assert_eq!(decode(&with_bom, None).text, doc);
        let be32: Vec<u8> = doc.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        let le32: Vec<u8> = doc.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        assert_eq!(decode(&be32, None).text, doc);
        assert_eq!(decode(&le32, None).text, doc);
        let le32_bom: Vec<u8> = [0xFF, 0xFE, 0, 0]
            .into_iter()
            .chain(le32.iter().copied())
            .collect();
        assert_eq!(decode(&le32_bom, None).text, doc);
    }

    #[test]
    fn any_bytes_decode() {
        for bytes in [
            &b"\xff\xfe\x00"[..],
            &b"\x00\x00\x00\x3c\xff\xff\xff\xff\x01"[..],
            &b"\x00<\x00"[..],
            &b"<?xml encoding=\"\xff\xfe\"?>\x80\x81"[..],
            &[0u8; 7][..],
            &b"\xfe"[..],
        ] {
            let _ = decode(bytes, Some("text/xml; charset=\u{0}"));
        }
    }
}
