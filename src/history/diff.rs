//! Word-level diffs that work on Chinese: CJK characters are words of their own, runs of
//! letters and digits are words, and everything else is a token by itself.

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};

/// The most time one diff may take: past it the diff is coarser (whole runs replaced) but
/// still right. Two unrelated 1 MB texts would otherwise take minutes.
const DIFF_BUDGET: std::time::Duration = std::time::Duration::from_millis(500);

/// A piece of a diff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "op", content = "text", rename_all = "lowercase")]
pub enum Change {
    Same(String),
    Removed(String),
    Added(String),
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF
        | 0x20000..=0x2FA1F | 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

/// The tokens a diff works on.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word = c.is_alphanumeric() && !is_cjk(c);
        match (word, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, s) => {
                if let Some(s) = s {
                    out.push(&text[s..i]);
                    start = None;
                }
                out.push(&text[i..i + c.len_utf8()]);
            }
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// The diff of two texts, consecutive tokens of one kind merged.
pub fn diff_text(old: &str, new: &str) -> Vec<Change> {
    let (a, b) = (tokens(old), tokens(new));
    let mut out: Vec<Change> = Vec::new();
    let mut push = |change: Change| match (out.last_mut(), &change) {
        (Some(Change::Same(x)), Change::Same(y))
        | (Some(Change::Removed(x)), Change::Removed(y))
        | (Some(Change::Added(x)), Change::Added(y)) => x.push_str(y),
        _ => out.push(change),
    };
    let deadline = std::time::Instant::now() + DIFF_BUDGET;
    for op in capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(deadline)) {
        let (tag, ra, rb) = op.as_tag_tuple();
        let join = |r: std::ops::Range<usize>, t: &[&str]| t[r].concat();
        match tag {
            DiffTag::Equal => push(Change::Same(join(ra, &a))),
            DiffTag::Delete => push(Change::Removed(join(ra, &a))),
            DiffTag::Insert => push(Change::Added(join(rb, &b))),
            DiffTag::Replace => {
                push(Change::Removed(join(ra, &a)));
                push(Change::Added(join(rb, &b)));
            }
        }
    }
    out
}

/// A short rendering of a diff for logs: the changes with a little context, `[-old-]` and
/// `{+new+}` (or the given markers), at most about `max` characters.
pub fn short_diff(changes: &[Change], marks: (&str, &str, &str, &str), max: usize) -> String {
    const CONTEXT: usize = 12;
    let mut out = String::new();
    let n = changes.len();
    for (i, c) in changes.iter().enumerate() {
        match c {
            Change::Same(s) => {
                let chars: Vec<char> = s.chars().collect();
                if chars.len() <= 2 * CONTEXT || (i > 0 && i + 1 < n && chars.len() <= 3 * CONTEXT)
                {
                    out.push_str(s);
                } else {
                    if i > 0 {
                        out.extend(&chars[..CONTEXT]);
                        out.push('…');
                    }
                    if i + 1 < n {
                        if i == 0 {
                            out.push('…');
                        } else {
                            out.push(' ');
                        }
                        out.extend(&chars[chars.len() - CONTEXT..]);
                    }
                }
            }
            Change::Removed(s) => {
                out.push_str(marks.0);
                out.push_str(s);
                out.push_str(marks.1);
            }
            Change::Added(s) => {
                out.push_str(marks.2);
                out.push_str(s);
                out.push_str(marks.3);
            }
        }
        if out.chars().count() > max {
            let cut: String = out.chars().take(max).collect();
            return format!("{cut}…");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_diff_marks_characters() {
        let d = diff_text(
            "俄罗斯总统普京周三凌晨抵达平壤，对朝鲜进行访问。",
            "俄罗斯总统普京周二凌晨抵达平壤，对朝鲜进行国事访问。",
        );
        assert_eq!(
            d,
            vec![
                Change::Same("俄罗斯总统普京周".into()),
                Change::Removed("三".into()),
                Change::Added("二".into()),
                Change::Same("凌晨抵达平壤，对朝鲜进行".into()),
                Change::Added("国事".into()),
                Change::Same("访问。".into()),
            ]
        );
    }

    #[test]
    fn english_diff_marks_words() {
        let d = diff_text("the quick brown fox", "the quick red fox");
        assert_eq!(d[1], Change::Removed("brown".into()));
        assert_eq!(d[2], Change::Added("red".into()));
    }

    #[test]
    fn unrelated_long_texts_diff_within_the_budget_and_stay_right() {
        let a: String = (0..150_000u64)
            .map(|i| char::from_u32(0x4E00 + ((i * 7919) % 20000) as u32).unwrap())
            .collect();
        let b: String = (0..150_000u64)
            .map(|i| char::from_u32(0x4E00 + ((i * 104_729) % 20000) as u32).unwrap())
            .collect();
        let d = diff_text(&a, &b);
        let (mut old, mut new) = (String::new(), String::new());
        for c in &d {
            match c {
                Change::Same(s) => {
                    old.push_str(s);
                    new.push_str(s);
                }
                Change::Removed(s) => old.push_str(s),
                Change::Added(s) => new.push_str(s),
            }
        }
        assert_eq!((old, new), (a, b));
    }

    #[test]
    fn short() {
        let d = diff_text(
            &"长".repeat(100),
            &format!("{}短{}", "长".repeat(50), "长".repeat(50)),
        );
        let s = short_diff(&d, ("[-", "-]", "{+", "+}"), 200);
        assert!(s.contains("{+短+}") && s.chars().count() < 40, "{s}");
    }
}
