//! Tokenizing as the HTML tokenizer delimits tags, comments and raw text, without decoding
//! anything: positions and names are all the model needs.

pub(super) enum Kind<'a> {
    /// A comment, doctype, processing instruction or `</>`: no element.
    Skip,
    /// `name` is lower case.
    End(&'a str),
    Start {
        name: &'a str,
        attrs: &'a str,
        self_closing: bool,
    },
}

pub(super) struct Tag<'a> {
    pub kind: Kind<'a>,
    /// The byte after the tag.
    pub end: usize,
}

pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| from + p)
}

impl<'a> Tag<'a> {
    /// The tag starting at `b[lt] == b'<'`, or `None` when the `<` is text (or the tag never
    /// ends).
    pub fn read(b: &'a [u8], lt: usize) -> Option<Tag<'a>> {
        let next = *b.get(lt + 1)?;
        let skip_to_gt = |from: usize| {
            let end = b[from..]
                .iter()
                .position(|&c| c == b'>')
                .map_or(b.len(), |p| from + p + 1);
            Some(Tag {
                kind: Kind::Skip,
                end,
            })
        };
        match next {
            b'!' if b[lt..].starts_with(b"<!--") => Some(Tag {
                kind: Kind::Skip,
                end: comment_end(b, lt + 4),
            }),
            b'!' | b'?' => skip_to_gt(lt + 2),
            b'/' => match b.get(lt + 2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let (name, after) = tag_name(b, lt + 2);
                    let (_, end, _) = attributes(b, after)?;
                    Some(Tag {
                        kind: Kind::End(name),
                        end,
                    })
                }
                Some(b'>') => Some(Tag {
                    kind: Kind::Skip,
                    end: lt + 3,
                }),
                Some(_) => skip_to_gt(lt + 2),
                None => None,
            },
            c if c.is_ascii_alphabetic() => {
                let (name, after) = tag_name(b, lt + 1);
                let (attrs, end, self_closing) = attributes(b, after)?;
                Some(Tag {
                    kind: Kind::Start {
                        name,
                        attrs: std::str::from_utf8(&b[after..attrs]).unwrap_or(""),
                        self_closing,
                    },
                    end,
                })
            }
            _ => None,
        }
    }
}

/// The end of a comment whose text starts at `from`: after `-->` or `--!>`; `<!-->` and
/// `<!--->` end at once; an unclosed one runs to the end.
fn comment_end(b: &[u8], from: usize) -> usize {
    if b.get(from) == Some(&b'>') {
        return from + 1;
    }
    if b.get(from..from + 2) == Some(b"->") {
        return from + 2;
    }
    let mut i = from;
    while let Some(p) = find(b, i, b"--") {
        match b.get(p + 2) {
            Some(b'>') => return p + 3,
            Some(b'!') if b.get(p + 3) == Some(&b'>') => return p + 4,
            _ => i = p + 1,
        }
    }
    b.len()
}

/// A tag name starting at `from` (lower-cased; ASCII only is folded, as parsers do), and the
/// byte after it.
fn tag_name(b: &[u8], from: usize) -> (&str, usize) {
    let end = b[from..]
        .iter()
        .position(|&c| is_space(c) || c == b'/' || c == b'>')
        .map_or(b.len(), |p| from + p);
    (std::str::from_utf8(&b[from..end]).unwrap_or(""), end)
}

/// Reads attributes from `from` to the end of the tag: (where they end, the byte after the
/// tag, whether it closed with `/>`), or `None` when the input ends inside the tag.
fn attributes(b: &[u8], from: usize) -> Option<(usize, usize, bool)> {
    let mut i = from;
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        match *b.get(i)? {
            b'>' => return Some((i, i + 1, false)),
            b'/' => {
                if b.get(i + 1) == Some(&b'>') {
                    return Some((i, i + 2, true));
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // The name: the first character may be `=`.
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        match *b.get(i)? {
            q @ (b'"' | b'\'') => {
                i = b[i + 1..].iter().position(|&c| c == q).map(|p| i + 1 + p)? + 1;
            }
            _ => {
                while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                    i += 1;
                }
            }
        }
    }
}

/// Where the text of a raw-text element (`script`, `style`, `textarea`…) ends: at the next
/// `</name` followed by a space, `/` or `>`; the end of the input when there is none.
pub(super) fn raw_text_end(b: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(p) = find(b, i, b"</") {
        let after = p + 2 + name.len();
        if b.len() >= after
            && b[p + 2..after].eq_ignore_ascii_case(name.as_bytes())
            && b.get(after)
                .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
        {
            return p;
        }
        i = p + 2;
    }
    b.len()
}

/// The value of the first attribute called `name` (ASCII case-insensitive) in the attribute
/// text of a start tag, read as the tokenizer reads it.
pub(super) fn attribute_value<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let b = attrs.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let this = &attrs[start..i];
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let mut value = "";
        if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            match b.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = b[i + 1..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(b.len(), |p| i + 1 + p);
                    value = &attrs[i + 1..end];
                    i = end + 1;
                }
                _ => {
                    let from = i;
                    while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                    value = &attrs[from..i];
                }
            }
        }
        if this.eq_ignore_ascii_case(name) {
            return Some(value);
        }
    }
}
