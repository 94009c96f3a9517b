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

/// The language of a text when it is not the pages' own simplified Chinese: `ja` for Japanese
/// (kana among the characters), `zh-Hant` for traditional characters, `None` for simplified
/// Chinese and for text mostly in Latin letters (a few Chinese words do not make it Chinese).
pub fn lang_of(text: &str) -> Option<&'static str> {
    let (mut han, mut trad, mut kana, mut letters) = (0usize, 0usize, 0usize, 0usize);
    let mut buf = [0u8; 4];
    for c in text.chars() {
        match c {
            '\u{3041}'..='\u{309F}' | '\u{30A1}'..='\u{30FA}' => kana += 1,
            'a'..='z' | 'A'..='Z' => letters += 1,
            '\u{4E00}'..='\u{9FFF}' => {
                han += 1;
                let mut s = c.encode_utf8(&mut buf).to_string();
                fast2s::replace(&mut s);
                if !s.starts_with(c) {
                    trad += 1;
                }
            }
            _ => {}
        }
        if han + kana >= 2000 {
            break;
        }
    }
    if kana >= 2 && kana * 10 >= han {
        return Some("ja");
    }
    if han == 0 || letters > han * 2 {
        return None;
    }
    // About one character in four differs in running traditional text; a title of four
    // characters may have two.
    (trad >= 2 && trad * 100 >= han * 15).then_some("zh-Hant")
}

/// Whether a text is written in traditional characters (see [`lang_of`]).
pub fn is_traditional(text: &str) -> bool {
    lang_of(text) == Some("zh-Hant")
}
