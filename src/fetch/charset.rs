//! Turning fetched bytes into UTF-8 text.
//!
//! Order: a byte-order mark (UTF-8, UTF-16, UTF-32); then UTF-16 or UTF-32 without one,
//! recognised by the zero bytes around the first `<`; then bytes that are UTF-8 — valid, or
//! valid but for a few sequences (a character cut in half), which alone become U+FFFD — are
//! UTF-8 whatever they claim (pages that declare gb2312 but are UTF-8 exist); then the HTTP
//! `Content-Type` charset, when the bytes are valid in it; then the document's own
//! declaration (XML prolog, `<meta charset>`), when the bytes are valid in it; then a guess by
//! chardetng. A header that names a single-byte charset (in which any bytes are "valid")
//! loses to a declared multi-byte charset (GBK, Big5, Shift_JIS, EUC-KR…) the bytes are
//! valid in: a GBK feed served as `charset=iso-8859-1` is GBK. A label the bytes are valid in
//! still loses to the detector when the detector plainly knows better (see
//! [`plainly_other`]): GBK bytes declared `iso-8859-1`, Big5 bytes declared `gbk`. No input
//! makes this panic.

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
    if let Some(text) = mostly_utf8(bytes) {
        return Decoded {
            text,
            encoding: UTF_8,
        };
    }
    // The bytes are ASCII-compatible here: a UTF-16 label can only be a lie, and a UTF-8
    // one too (the bytes are not mostly UTF-8).
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
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let guess = widened(det.guess(None, chardetng::Utf8Detection::Deny));
    for enc in candidates {
        if let Some(text) = strictly(bytes, enc) {
            if enc != guess
                && let Some(better) = plainly_other(bytes, enc, &text, guess)
            {
                return better;
            }
            return Decoded {
                text,
                encoding: enc,
            };
        }
    }
    let (text, _, _) = guess.decode(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: guess,
    }
}

/// The text read as UTF-8 when the bytes are UTF-8 but for a few invalid sequences (a
/// character cut in half by a byte-counting summary, a fragment pasted from a GBK page):
/// those become U+FFFD, the rest stays right. "A few": at least four valid multi-byte
/// characters for each invalid sequence. Text in a legacy double-byte charset forms valid
/// UTF-8 sequences only by chance, about one for every four invalid ones (measured on the
/// GBK and Big5 fixtures), so it never passes for UTF-8.
fn mostly_utf8(bytes: &[u8]) -> Option<String> {
    let (mut valid, mut invalid) = (0usize, 0usize);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid += s.bytes().filter(|b| (0xC0..0xF8).contains(b)).count();
                break;
            }
            Err(e) => {
                let ok = &rest[..e.valid_up_to()];
                valid += ok.iter().filter(|b| (0xC0..0xF8).contains(*b)).count();
                invalid += 1;
                let skip = e.error_len().unwrap_or(rest.len() - e.valid_up_to());
                rest = &rest[e.valid_up_to() + skip..];
            }
        }
    }
    if invalid == 0 {
        // Valid UTF-8 whatever the labels claim (pages that declare gb2312 but are UTF-8).
        return Some(String::from_utf8_lossy(bytes).into_owned());
    }
    (valid >= 4 * invalid).then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Whether the bytes are plainly in `guess`, the detector's choice, rather than in `label`,
/// the charset the header or the declaration names, although they are valid in both: a
/// declaration that lies (a GBK feed declared iso-8859-1, a Big5 feed declared gbk). The
/// label is believed unless the guess is a double-byte CJK charset the bytes are valid in and
/// either the label is a single-byte charset (whose "validity" proves nothing: every byte is
/// valid in Latin-1) while the bytes hold double-byte text, or the label reads some of it as
/// private-use characters (code points no text uses, a sign of the wrong table) and the
/// guess reads none, or the label is another CJK charset and the document has enough
/// double-byte text for the detector to be sure.
fn plainly_other(
    bytes: &[u8],
    label: &'static Encoding,
    label_text: &str,
    guess: &'static Encoding,
) -> Option<Decoded> {
    if guess.is_single_byte() || guess == UTF_8 || guess == UTF_16BE || guess == UTF_16LE {
        return None;
    }
    let text = strictly(bytes, guess)?;
    let private = |t: &str| {
        t.chars()
            .filter(|c| ('\u{E000}'..='\u{F8FF}').contains(c))
            .count()
    };
    let wide = text.chars().filter(|c| u32::from(*c) >= 0x2E80).count();
    let take = if label.is_single_byte() {
        wide >= 2
    } else {
        private(label_text) > private(&text) || wide >= 24
    };
    take.then_some(Decoded {
        text,
        encoding: guess,
    })
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

    const ZH: &str = "德国之声：朱镕基谈“改革”与台湾";
    const TW: &str = "德國之聲：朱鎔基談「改革」與臺灣";

    fn doc(title: &str, decl: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"{decl}\"?>\n<rss version=\"2.0\"><channel><title>C</title><item><title>{title}</title><link>http://c.example/1</link><description>{title} 正文</description></item></channel></rss>\n"
        )
    }

    #[test]
    fn one_cut_character_leaves_the_rest_utf8() {
        // attack-feeds F3: a summary cut inside a character, in a feed that says UTF-8 twice.
        let items: String = (0..5)
            .map(|i| format!("<item><title>{ZH} {i}</title><description>摘要正文第{i}条</description></item>\n"))
            .collect();
        let mut bytes = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss><channel>{items}<item><description>"
        )
        .into_bytes();
        let cut = "这是一段被按字节截断的摘".as_bytes();
        bytes.extend_from_slice(&cut[..cut.len() - 1]);
        bytes.extend_from_slice(b"...</description></item></channel></rss>");
        for header in [Some("application/rss+xml; charset=utf-8"), None] {
            let d = decode(&bytes, header);
            assert_eq!(d.encoding, UTF_8);
            assert!(d.text.contains(&format!("{ZH} 4")), "{}", d.text);
            assert!(
                d.text.contains("这是一段被按字节截断的\u{FFFD}..."),
                "{}",
                d.text
            );
            assert_eq!(d.text.matches('\u{FFFD}').count(), 1);
        }
        // A GBK fragment pasted into a UTF-8 feed: only the fragment is lost.
        let mut mixed = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss><channel>{items}<item><title>"
        )
        .into_bytes();
        let (gbk, _, _) = encoding_rs::GBK.encode("从GBK网页粘贴的一段");
        mixed.extend_from_slice(&gbk);
        mixed.extend_from_slice(b"</title></item></channel></rss>");
        let d = decode(&mixed, Some("text/xml; charset=utf-8"));
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains(&format!("{ZH} 0")), "{}", d.text);
        assert!(d.text.contains("GBK"));
    }

    #[test]
    fn a_lying_declaration_loses_to_plain_double_byte_text() {
        // attack-feeds F11: the declaration is believed only while the detector does not
        // plainly know better.
        for (text, decl, enc) in [
            (ZH, "iso-8859-1", encoding_rs::GBK),
            (ZH, "windows-1252", encoding_rs::GBK),
            (ZH, "big5", encoding_rs::GBK),
            (TW, "gbk", encoding_rs::BIG5),
            (TW, "iso-8859-1", encoding_rs::BIG5),
        ] {
            let bytes = enc.encode(&doc(text, decl)).0.into_owned();
            let d = decode(&bytes, None);
            assert!(d.text.contains(text), "{decl}: {}", d.text);
            let d = decode(&bytes, Some(&format!("text/xml; charset={decl}")));
            assert!(d.text.contains(text), "header {decl}: {}", d.text);
        }
        // True declarations stay believed: Latin-1 text, short GBK and Big5 documents.
        let latin =
            doc("Café crème brûlée à la française, déjà vu", "iso-8859-1").replace(" 正文", "");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&latin);
        assert_eq!(decode(&bytes, None).text, latin);
        for (text, enc, decl) in [
            ("台湾", encoding_rs::GBK, "gbk"),
            ("臺灣", encoding_rs::BIG5, "big5"),
            (ZH, encoding_rs::GBK, "gbk"),
            (TW, encoding_rs::BIG5, "big5"),
        ] {
            let bytes = enc.encode(&doc(text, decl)).0.into_owned();
            assert!(decode(&bytes, None).text.contains(text), "{decl} {text}");
        }
    }
}
