//! The archive's `README.md`: an index of the lists, readable on a git host.

/// One source as the README shows it.
pub struct ReadmeSource<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub articles: i64,
}

/// The README text. It holds nothing that changes without a change to the archive (no run
/// times), so an update that archives nothing leaves it as it is.
pub fn readme_text(sources: &[ReadmeSource<'_>]) -> String {
    let mut out = String::from(
        "# 新闻镜像 · News mirror\n\n\
         每个来源的文章列表（最新在前）。Every source's list of articles, newest first.\n\n\
         | 来源 Source | 文章 Articles | 目录 Folder |\n|---|---:|---|\n",
    );
    for s in sources {
        out.push_str(&format!(
            "| [{}](lists/{}.md) | {} | [articles/{}](articles/{}/) |\n",
            escape_cell(s.name),
            link_escape(s.name),
            s.articles,
            s.slug,
            link_escape(s.slug),
        ));
    }
    out.push_str("\n本镜像由 newsmirror 维护。Kept by newsmirror.\n");
    out
}

/// Percent-encodes what would break a Markdown link target (space, parentheses, angle
/// brackets, `%`); other characters, CJK included, stay readable.
fn link_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '(' | ')' | '<' | '>' | '%' | '[' | ']' | '|' | '#' | '?' => {
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

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_every_list() {
        let t = readme_text(&[
            ReadmeSource {
                slug: "dw",
                name: "德国之声",
                articles: 3,
            },
            ReadmeSource {
                slug: "bbc",
                name: "BBC (中文)",
                articles: 0,
            },
        ]);
        assert!(t.contains("[德国之声](lists/德国之声.md) | 3 |"), "{t}");
        assert!(t.contains("(lists/BBC%20%28中文%29.md)"), "{t}");
    }
}
