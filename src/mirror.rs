//! The mirror format: the one place that knows how an archived article file and a list file
//! look byte for byte, how article files are named and how ids count down.
//!
//! Thousands of files in existing mirrors use this format, so nothing here may change the
//! bytes it produces. `render` writes with these functions; rebuilding the database from the
//! files (`archive::reconcile`) reads with them.

use std::borrow::Cow;

use chrono::{Datelike, FixedOffset, TimeZone, Utc};

use crate::config::Layout;

/// The id the first archived article of a source gets (0xFFFFF − 1). Ids count down from here,
/// so the newest article has the smallest id and sorts first in a directory listing.
pub const FIRST_ID: i64 = 0xFFFFF - 1;

/// The paths below an archive that newsmirror writes or manages: the only ones publishing
/// commits (with [`ASSETS`] when images are published). Anything else in the folder (a config
/// holding a proxy password, a stray `secret.txt`) is never added. A new kind of output is
/// added here.
pub const MANAGED_PATHS: &[&str] = &[
    "articles",
    "lists",
    "README.md",
    "feeds",
    "changes",
    "revisions",
    ".gitignore",
];

/// Downloaded images (`images = "local"`), committed only with `[publish] images = true`.
pub const ASSETS: &str = "assets";

/// How many entries a list file shows.
pub const LIST_LEN: usize = 300;

/// The separator line between an article's header and its content.
const RULE: &str = "------";

/// The date line of the 2020 China Digital Times layout.
const DATE_LINE: &str = "日期：";

/// JavaScript's `\s`: the white space the reference program trimmed with `String.prototype.trim`.
/// Differs from `char::is_whitespace`: it includes U+FEFF and excludes U+0085 and U+001C–U+001F.
pub fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// Trims JavaScript white space from both ends.
pub fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_space)
}

/// The content as the mirror stores it: every line trimmed, the lines joined with nothing.
pub fn flatten_content(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for line in content.split('\n') {
        out.push_str(js_trim(line));
    }
    out
}

/// A title or link made safe for the one-line header: control characters and line breaks
/// become spaces (C0, DEL, C1, U+2028/2029), then the ends are trimmed.
pub fn clean_line(s: &str) -> String {
    let replaced: String = s
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    js_trim(&replaced).to_string()
}

/// One article file's text: `<!--{ms}-->\n[{title}]({link})\n------\n\n{content}\n`. A
/// title or link that would break out of the header's link is escaped (see [`link_text`] and
/// [`link_target`]); every other one is written as it is, as the existing mirrors did.
pub fn article_text(published_ms: i64, title: &str, link: &str, content: &str) -> String {
    format!(
        "<!--{published_ms}-->\n[{}]({})\n{RULE}\n\n{content}\n",
        link_text(title),
        link_target(file_link(link))
    )
}

/// The link an article file carries: `http`, `https` and `mailto` links, and links without a
/// scheme, as they are; any other scheme (`javascript:`, `vbscript:`, `data:`, `file:`…, read
/// as a browser reads it, so `\x01JavaScript:` too) is left out: the header becomes
/// `[title]()`, which a renderer shows as a link to nowhere.
pub fn file_link(link: &str) -> &str {
    match url::Url::parse(link) {
        Ok(u) if !matches!(u.scheme(), "http" | "https" | "mailto") => "",
        _ => link,
    }
}

/// A title as the text of a Markdown link (`[…](…)`), in article headers and list entries.
/// A title that could form a link, an image or HTML of its own, or break the link around it
/// (`](`, `][`, unbalanced brackets, `<tag`, a backslash, a backtick beside a bracket: a code
/// span hides brackets) has its `\`, `[`, `]`, `<` and `` ` `` escaped with a backslash; any
/// other title is written as it is (the existing mirrors' bytes).
pub fn link_text(title: &str) -> Cow<'_, str> {
    if !title_needs_escape(title) {
        return Cow::Borrowed(title);
    }
    let mut out = String::with_capacity(title.len() + 8);
    for c in title.chars() {
        if matches!(c, '\\' | '[' | ']' | '<' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    Cow::Owned(out)
}

fn title_needs_escape(t: &str) -> bool {
    if t.contains('`') && t.contains(['[', ']']) {
        return true;
    }
    let mut depth = 0i64;
    let b = t.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\\' => return true,
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth < 0 || matches!(b.get(i + 1), Some(b'(' | b'[' | b':')) {
                    return true;
                }
            }
            b'<' if b
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, b'/' | b'!' | b'?')) =>
            {
                return true;
            }
            _ => {}
        }
    }
    depth != 0
}

/// A link as the destination of a Markdown link. One that would end the destination early or
/// not parse as one (white space, unbalanced parentheses, `<`, `>`, a backslash) is written in
/// the `<…>` form with `\`, `<` and `>` escaped; any other as it is.
pub fn link_target(link: &str) -> Cow<'_, str> {
    let mut depth = 0i64;
    let mut plain = !link.starts_with('<');
    for c in link.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '<' | '>' | '\\' => plain = false,
            c if c.is_whitespace() || c.is_control() => plain = false,
            _ => {}
        }
        if depth < 0 {
            plain = false;
        }
    }
    if plain && depth == 0 {
        return Cow::Borrowed(link);
    }
    let mut out = String::with_capacity(link.len() + 8);
    out.push('<');
    for c in link.chars() {
        if matches!(c, '\\' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('>');
    Cow::Owned(out)
}

/// Undoes backslash escapes of `chars`.
fn unescape<'a>(s: &'a str, chars: &[char]) -> Cow<'a, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\'
            && let Some(&n) = it.peek()
            && chars.contains(&n)
        {
            out.push(n);
            it.next();
            continue;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// The file name of an article written by newsmirror.
pub fn article_file_name(id: i64) -> String {
    format!("{id}.md")
}

/// The path below the archive of a new article: `articles/<folder>/<id>.md`, or in the yearly
/// layout `articles/<folder>/<yyyy>/<id>.md` (the year of publication in UTC+8).
pub fn article_path(folder: &str, id: i64, published_ms: i64, layout: Layout) -> String {
    match layout {
        Layout::Flat => format!("articles/{folder}/{}", article_file_name(id)),
        Layout::Yearly => format!(
            "articles/{folder}/{}/{}",
            utc8(published_ms).year(),
            article_file_name(id)
        ),
    }
}

fn utc8(ms: i64) -> chrono::DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// An article file read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedArticle {
    /// The `<!--ms-->` line; `None` in layouts that have no such line.
    pub published_ms: Option<i64>,
    pub title: String,
    pub link: String,
    pub content: String,
}

/// Reads an article file written in the mirror format. Returns `None` when the text is not in
/// the format (the caller decides what to do with such a file; it is never rewritten).
pub fn parse_article(text: &str) -> Option<ParsedArticle> {
    let (published_ms, rest) = match text.strip_prefix("<!--") {
        Some(after) => {
            let end = after.find("-->\n")?;
            let ms = after[..end].parse::<i64>().ok()?;
            (Some(ms), &after[end + 4..])
        }
        None => (None, text),
    };
    let header_end = rest.find(&format!("\n{RULE}\n"))?;
    let header = &rest[..header_end];
    let body = &rest[header_end + RULE.len() + 2..];
    let content = body.strip_prefix('\n').unwrap_or(body);
    let content = content.strip_suffix('\n').unwrap_or(content);
    let (title, link) = split_header(header)?;
    // The 2020 China Digital Times layout: no `<!--ms-->` line, a `日期：<date>` line instead.
    let (published_ms, content) = match (published_ms, content.strip_prefix(DATE_LINE)) {
        (None, Some(rest)) => {
            let (date, after) = rest.split_once('\n').unwrap_or((rest, ""));
            let ms = chrono::DateTime::parse_from_rfc2822(date.trim())
                .ok()
                .map(|d| d.timestamp_millis());
            (ms, after.strip_prefix('\n').unwrap_or(after))
        }
        _ => (published_ms, content),
    };
    Some(ParsedArticle {
        published_ms,
        title,
        link,
        content: content.to_string(),
    })
}

/// Splits `[title](link)` and undoes the escapes of [`link_text`] and [`link_target`]. The
/// split is at the first unescaped `](` after which the rest is a well-formed link (`<…>`, or
/// free of white space); files written before titles were escaped may hold `](` in a title,
/// hence the search.
fn split_header(header: &str) -> Option<(String, String)> {
    let inner = header.strip_prefix('[')?.strip_suffix(')')?;
    let b = inner.as_bytes();
    let mut fallback = None;
    let mut backslashes = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b']' && backslashes % 2 == 0 && b.get(i + 1) == Some(&b'(') {
            let (title, link) = (&inner[..i], &inner[i + 2..]);
            let pointy = link.len() >= 2
                && link.starts_with('<')
                && link.ends_with('>')
                && !ends_escaped(&link[..link.len() - 1]);
            let plain = !link.starts_with('<') && !link.chars().any(char::is_whitespace);
            let title = unescape(title, &['\\', '[', ']', '<', '`']).into_owned();
            let link = if pointy {
                unescape(&link[1..link.len() - 1], &['\\', '<', '>']).into_owned()
            } else {
                link.to_string()
            };
            if pointy || plain {
                return Some((title, link));
            }
            fallback.get_or_insert((title, link));
        }
        backslashes = if c == b'\\' { backslashes + 1 } else { 0 };
    }
    fallback
}

/// Whether `s` ends in an odd number of backslashes (its last character escaped the next).
fn ends_escaped(s: &str) -> bool {
    s.bytes().rev().take_while(|&c| c == b'\\').count() % 2 == 1
}

/// The id at the start of an article file name: `1048574.md` or `1048574_标题.md`.
pub fn id_from_file_name(name: &str) -> Option<i64> {
    let stem = name.strip_suffix(".md")?;
    let digits_end = stem
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(stem.len());
    if digits_end == 0 || digits_end > 12 {
        return None;
    }
    let rest = &stem[digits_end..];
    if !(rest.is_empty() || rest.starts_with('_')) {
        return None;
    }
    stem[..digits_end].parse().ok()
}

/// `M-D` of a time in UTC+8, no leading zeros, as list entries show it.
pub fn month_day_utc8(ms: i64) -> String {
    let t = utc8(ms);
    format!("{}-{}", t.month(), t.day())
}

/// One entry of a list file: `{M}-{D} [{title}]({link})`.
pub fn list_entry(published_ms: i64, title: &str, path: &str) -> String {
    format!(
        "{} [{}](/{})",
        month_day_utc8(published_ms),
        link_text(js_trim(title)),
        encode_list_path(path)
    )
}

/// A path as list links write it: characters that would break a Markdown link (space, `|`,
/// line breaks, brackets, quotes…) percent-encoded; everything else, CJK included, as it is.
pub fn encode_list_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            ' ' | '|' | '\n' | '\r' | '\t' | '(' | ')' | '[' | ']' | '<' | '>' | '"' | '\\'
            | '`' | '#' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The path a list link points at (the inverse of [`encode_list_path`]).
pub fn decode_list_path(link: &str) -> String {
    let bytes = link.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits a list entry line into its link target, when it is one.
pub fn list_entry_link(line: &str) -> Option<&str> {
    let open = line.rfind("](/")?;
    line[open + 3..].strip_suffix(')')
}

/// A list file's text: `{name}\n------\n\n`, then the entry lines joined by `\n` with a `\n`
/// after each, then `\n`.
pub fn list_text<S: AsRef<str>>(name: &str, entries: &[S]) -> String {
    let mut out = format!("{name}\n{RULE}\n\n");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(e.as_ref());
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The entry lines (`M-D [title](/path)`) of a list file's text.
pub fn list_entries(text: &str) -> Vec<&str> {
    let body = text
        .split_once(&format!("\n{RULE}\n\n"))
        .map_or("", |(_, b)| b);
    body.split('\n').filter(|l| is_list_entry(l)).collect()
}

fn is_list_entry(line: &str) -> bool {
    let Some((md, rest)) = line.split_once(' ') else {
        return false;
    };
    let Some((m, d)) = md.split_once('-') else {
        return false;
    };
    !m.is_empty()
        && !d.is_empty()
        && m.bytes().all(|b| b.is_ascii_digit())
        && d.bytes().all(|b| b.is_ascii_digit())
        && rest.starts_with('[')
        && list_entry_link(line).is_some()
}

/// How an existing list file is laid out beyond its entries: some mirrors list 100 entries
/// and end with a "more" link. Learnt from the file, so that rendering keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListStyle {
    /// How many entries the list shows.
    pub limit: usize,
    /// What follows the entries, byte for byte (empty in the usual layout).
    pub suffix: String,
}

impl Default for ListStyle {
    fn default() -> Self {
        ListStyle {
            limit: LIST_LEN,
            suffix: String::new(),
        }
    }
}

/// The style of a list file's text, when it is a list `list_text` can reproduce.
pub fn list_style(name: &str, text: &str) -> Option<ListStyle> {
    let entries = list_entries(text);
    let standard = list_text(name, &entries);
    let suffix = text.strip_prefix(standard.as_str())?;
    Some(if suffix.is_empty() {
        ListStyle::default()
    } else {
        ListStyle {
            limit: entries.len(),
            suffix: suffix.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_space_differs_from_rust_whitespace() {
        assert!(is_js_space('\u{FEFF}'));
        assert!(!is_js_space('\u{85}'));
        assert_eq!(js_trim("\u{FEFF} a \u{3000}"), "a");
    }

    #[test]
    fn flatten_trims_each_line() {
        assert_eq!(
            flatten_content("  <p>a</p> \n\t<p>b</p>\r\n"),
            "<p>a</p><p>b</p>"
        );
    }

    #[test]
    fn clean_line_removes_controls() {
        assert_eq!(clean_line(" a\nb\u{1}c\r "), "a b c");
    }

    #[test]
    fn article_round_trip() {
        let t = article_text(
            1718801223000,
            "标题]( x )",
            "https://a.example/b(c)",
            "<p>x</p>",
        );
        let p = parse_article(&t).unwrap();
        assert_eq!(p.published_ms, Some(1718801223000));
        assert_eq!(p.title, "标题]( x )");
        assert_eq!(p.link, "https://a.example/b(c)");
        assert_eq!(p.content, "<p>x</p>");
    }

    #[test]
    fn file_names() {
        assert_eq!(id_from_file_name("1048574.md"), Some(1048574));
        assert_eq!(id_from_file_name("1048026_标题 x.md"), Some(1048026));
        assert_eq!(id_from_file_name("x1.md"), None);
        assert_eq!(id_from_file_name("12a.md"), None);
        assert_eq!(id_from_file_name("1048574.txt"), None);
    }

    #[test]
    fn list_paths_round_trip() {
        let p = "articles/中国数字时代/398473_南方人物周刊 | 九十李泽厚\n80%.md";
        let e = encode_list_path(p);
        assert_eq!(
            e,
            "articles/中国数字时代/398473_南方人物周刊%20%7C%20九十李泽厚%0A80%.md"
        );
        assert_eq!(decode_list_path(&e), p);
        let line = list_entry(1595176200000, " 标题 ", p);
        assert_eq!(list_entry_link(&line), Some(&e[..]));
    }

    #[test]
    fn cdt_date_line() {
        let t = "[质化研究](https://chinadigitaltimes.net/x/)\n------\n日期：Sat, 27 Jun 2020 13:30:55 +0000\n\n<p>x</p>\n";
        let p = parse_article(t).unwrap();
        assert_eq!(p.published_ms, Some(1593264655000));
        assert_eq!(p.content, "<p>x</p>");
    }

    #[test]
    fn month_day_is_utc8() {
        // 2020-07-19 16:30 UTC is 2020-07-20 00:30 in UTC+8.
        assert_eq!(month_day_utc8(1595176200000), "7-20");
    }
}
