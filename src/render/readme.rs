//! The archive's `README.md`: an index of the lists and the health of every source, readable
//! on a git host.

/// One source as the README shows it.
pub struct ReadmeSource<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub articles: i64,
    pub failing: bool,
    /// The day (UTC+8) of the last successful fetch.
    pub last_success_day: Option<String>,
    pub last_error: Option<&'a str>,
}

/// What the README says before the table: what this is and how to read it.
const INTRO: &str = "# 新闻镜像 · News mirror\n\n\
本仓库镜像以下新闻来源，每小时更新：每篇文章是 `articles/` 下的一个 Markdown 文件，\
`lists/` 里是每个来源的文章列表（最新在前）。点击来源名称阅读；也可以下载整个仓库（Code → Download ZIP，\
或 `git clone`）离线阅读。文章被原网站修改或删除后，这里仍保留原文，改动记在 `changes/`。\n\n\
This repository mirrors the news sources below, updated every hour: every article is one \
Markdown file under `articles/`, and `lists/` holds each source's list of articles, newest \
first. Click a source to read it, or download the whole repository (Code → Download ZIP, or \
`git clone`) to read offline. Articles the outlet later edits or removes stay here as they \
were; the edits are logged in `changes/`.\n\n\
| 来源 Source | 文章 Articles | 状态 Status | 最后成功 Last success | 最近错误 Last error | 目录 Folder |\n\
|---|---:|---|---|---|---|\n";

/// The README text. Times are shown to the day, so an update that archives nothing leaves it
/// as it is (apart from the first run of a new day). A source without articles yet has no
/// list and no folder: it is named without links.
pub fn readme_text(sources: &[ReadmeSource<'_>]) -> String {
    let mut out = String::from(INTRO);
    for s in sources {
        let (list, folder) = if s.articles > 0 {
            (
                format!(
                    "[{}](lists/{})",
                    escape_cell(s.name),
                    link_escape(&crate::config::list_file_name(s.name))
                ),
                format!("[articles/{}](articles/{}/)", s.slug, link_escape(s.slug)),
            )
        } else {
            (escape_cell(s.name), "—".to_string())
        };
        out.push_str(&format!(
            "| {list} | {} | {} | {} | {} | {folder} |\n",
            s.articles,
            if s.failing {
                "⚠ 故障 failing"
            } else if s.last_success_day.is_none() {
                "… 尚未更新 not yet fetched"
            } else {
                "✓ 正常 ok"
            },
            s.last_success_day.as_deref().unwrap_or("—"),
            s.last_error.map(public_error).unwrap_or_default(),
        ));
    }
    out.push_str("\n本镜像由 newsmirror 维护。Kept by newsmirror.\n");
    out
}

/// What readers are told of a source's last error: its kind in a few words, never the
/// text of the error itself, which may quote what a local file holds or name the server's
/// paths (`newsmirror status` shows it all to the keeper).
fn public_error(s: &str) -> String {
    const KINDS: [(&str, &str); 11] = [
        ("timed out", "timed out"),
        ("could not connect", "could not connect"),
        ("the connection failed", "the connection failed"),
        ("larger than the limit", "too large"),
        ("too many redirects", "too many redirects"),
        ("cannot read the file", "the feed's file cannot be read"),
        ("refused", "refused by the mirror's address rules"),
        ("not a feed", "not a feed"),
        ("not a valid", "not a valid feed"),
        ("the document is empty", "an empty document"),
        ("not one item could be read", "no readable item"),
    ];
    if let Some(at) = s.find("answered HTTP ") {
        let code: String = s[at + 14..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !code.is_empty() {
            return format!("HTTP {code}");
        }
    }
    KINDS
        .iter()
        .find(|(key, _)| s.contains(key))
        .map_or("cannot be read", |(_, said)| said)
        .to_string()
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
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src<'a>(
        slug: &'a str,
        name: &'a str,
        failing: bool,
        err: Option<&'a str>,
    ) -> ReadmeSource<'a> {
        ReadmeSource {
            slug,
            name,
            articles: 3,
            failing,
            last_success_day: Some("2024-06-19".into()),
            last_error: err,
        }
    }

    #[test]
    fn links_every_list_with_health() {
        let t = readme_text(&[
            src("dw", "德国之声", false, None),
            src("bbc", "BBC (中文)", true, Some("timed out after 30s")),
        ]);
        assert!(
            t.contains("| [德国之声](lists/德国之声.md) | 3 | ✓ 正常 ok | 2024-06-19 |"),
            "{t}"
        );
        assert!(t.contains("(lists/BBC%20%28中文%29.md)"), "{t}");
        assert!(
            t.contains("⚠ 故障 failing | 2024-06-19 | timed out |"),
            "{t}"
        );
    }

    #[test]
    fn a_source_without_articles_links_to_nothing() {
        let mut empty = src("rfa", "自由亚洲电台", false, None);
        empty.articles = 0;
        empty.last_success_day = None;
        let t = readme_text(&[empty, src("odd", "a:b?", false, None)]);
        assert!(
            !t.contains("lists/自由亚洲电台") && !t.contains("articles/rfa"),
            "{t}"
        );
        assert!(
            t.contains("| 自由亚洲电台 | 0 | … 尚未更新 not yet fetched | — |  | — |"),
            "{t}"
        );
        // The link is to the list's safe file name.
        assert!(t.contains("(lists/a：b？.md)"), "{t}");
    }

    #[test]
    fn errors_name_their_kind_without_contents_or_paths() {
        for (err, said) in [
            (
                "this is not a feed: the document holds no XML element (it starts with \"root:x:0:0\")",
                "not a feed",
            ),
            (
                "cannot read the file /srv/newsmirror/feeds/x.xml: No such file or directory",
                "the feed's file cannot be read",
            ),
            ("the server answered HTTP 404 Not Found", "HTTP 404"),
            ("something new at /home/keeper/secret", "cannot be read"),
        ] {
            let t = readme_text(&[src("x", "X", true, Some(err))]);
            assert!(t.contains(&format!("| {said} |")), "{err}: {t}");
            assert!(
                !t.contains("root:") && !t.contains("/srv/") && !t.contains("/home/"),
                "{t}"
            );
        }
    }
}
