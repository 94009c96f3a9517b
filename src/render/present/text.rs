//! Text rules of what readers are shown: no character XML forbids, and whether a text is
//! written in traditional characters.

/// Whether XML allows `c` (XML 1.0 `Char`).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` without the characters XML forbids (control characters, U+FFFE, U+FFFF): HTML
/// checkers reject them too.
pub fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().all(xml_char) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.chars().filter(|&c| xml_char(c)).collect())
    }
}

/// The MIME type of a raster image, by its bytes (`clean::raster_extension`: JPEG, PNG, GIF,
/// WebP, AVIF, BMP); `None` for anything else (SVG, HTML, …): nothing that can hold script is
/// shown as an image from the reader's own origin.
pub fn raster_type(b: &[u8]) -> Option<&'static str> {
    Some(match crate::clean::raster_extension(b)? {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        _ => "image/bmp",
    })
}

/// Whether a text is written in traditional characters: enough of its Chinese characters
/// differ from their simplified forms.
pub fn is_traditional(text: &str) -> bool {
    let mut han = 0usize;
    let mut trad = 0usize;
    let mut buf = [0u8; 4];
    for c in text
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
    {
        han += 1;
        let mut s = c.encode_utf8(&mut buf).to_string();
        fast2s::replace(&mut s);
        if !s.starts_with(c) {
            trad += 1;
        }
        if han >= 2000 {
            break;
        }
    }
    // Simplified text quoting a traditional name stays simplified; about one character in
    // four differs in running traditional text.
    trad >= 3 && trad * 100 >= han * 6
}
