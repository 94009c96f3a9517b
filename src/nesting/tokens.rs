//! Tokenizing as the HTML tokenizer delimits tags, comments and raw text, without decoding
//! anything: positions and names are all the model needs.

pub(super) enum Kind<'a> {
    /// A comment, doctype, processing instruction or `</>`: no element.
    Skip,
    /// `name` as written (not case-folded).
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
    /// How many attributes the tag holds (end tags too: the tokenizer reads them).
    pub attributes: usize,
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
                attributes: 0,
            })
        };
        match next {
            b'!' if b[lt..].starts_with(b"<!--") => Some(Tag {
                kind: Kind::Skip,
                end: comment_end(b, lt + 4),
                attributes: 0,
            }),
            b'!' | b'?' => skip_to_gt(lt + 2),
            b'/' => match b.get(lt + 2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let (name, after) = tag_name(b, lt + 2);
                    let (_, end, _, attributes) = read_attributes(b, after)?;
                    Some(Tag {
                        kind: Kind::End(name),
                        end,
                        attributes,
                    })
                }
                Some(b'>') => Some(Tag {
                    kind: Kind::Skip,
                    end: lt + 3,
                    attributes: 0,
                }),
                Some(_) => skip_to_gt(lt + 2),
                None => None,
            },
            c if c.is_ascii_alphabetic() => {
                let (name, after) = tag_name(b, lt + 1);
                let (attrs, end, self_closing, attributes) = read_attributes(b, after)?;
                Some(Tag {
                    kind: Kind::Start {
                        name,
                        attrs: std::str::from_utf8(&b[after..attrs]).unwrap_or(""),
                        self_closing,
                    },
                    end,
                    attributes,
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
/// tag, whether it closed with `/>`, how many there are), or `None` when the input ends
/// inside the tag.
fn read_attributes(b: &[u8], from: usize) -> Option<(usize, usize, bool, usize)> {
    let mut i = from;
    let mut count = 0;
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        match *b.get(i)? {
            b'>' => return Some((i, i + 1, false, count)),
            b'/' => {
                if b.get(i + 1) == Some(&b'>') {
                    return Some((i, i + 2, true, count));
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // The name: the first character may be `=`.
        count += 1;
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

/// One attribute of a start tag's attribute text: its name, its text as written (name and
/// value) and its value.
pub(super) struct Attribute<'a> {
    pub name: &'a str,
    pub raw: &'a str,
    pub value: &'a str,
}

/// The attributes in the attribute text of a start tag, read as the tokenizer reads them.
pub(super) fn attributes(attrs: &str) -> impl Iterator<Item = Attribute<'_>> {
    let b = attrs.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
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
        let name = &attrs[start..i];
        let mut raw_end = i;
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
                    i = (end + 1).min(b.len());
                }
                _ => {
                    let from = i;
                    while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                    value = &attrs[from..i];
                }
            }
            raw_end = i;
        }
        Some(Attribute {
            name,
            raw: &attrs[start..raw_end],
            value,
        })
    })
}

/// The value of the first attribute called `name` (ASCII case-insensitive) in the attribute
/// text of a start tag, read as the tokenizer reads it.
pub(super) fn attribute_value<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    attributes(attrs)
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.value)
}

/// The attribute text with only the first `max` distinct attributes (the tokenizer keeps the
/// first of two with the same name), each as written.
pub(super) fn first_attributes(attrs: &str, max: usize) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    for a in attributes(attrs) {
        if seen.len() >= max {
            break;
        }
        if seen.insert(a.name.to_ascii_lowercase()) {
            out.push(' ');
            out.push_str(a.raw);
        }
    }
    out
}
