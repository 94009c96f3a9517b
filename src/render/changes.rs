//! `changes/<yyyy>-<mm>.md`: the month's edits and removals, newest first, readable on a git
//! host. Beside the mirror files, never inside them.

/// One event as the log shows it.
pub struct ChangeEntry {
    /// `edited`, `removed` or `restored`.
    pub kind: String,
    pub at_ms: i64,
    pub title: String,
    /// The article's path below the archive.
    pub path: String,
    /// The original link.
    pub link: String,
    pub first_seen_ms: i64,
    /// For edits: a short diff, Markdown with `<del>`/`<ins>`.
    pub diff: Option<String>,
}

/// The log of one month.
pub fn changes_text(month: &str, entries: &[ChangeEntry], time: &dyn Fn(i64) -> String) -> String {
    let mut out = format!(
        "# {month} 变更记录 · Changes\n\n本月被修改、删除或恢复的文章，最新在前。Articles edited, removed or restored this month, newest first.\n"
    );
    for e in entries {
        let (word, en) = match e.kind.as_str() {
            "edited" => ("已修改", "edited"),
            "removed" => ("已删除", "removed"),
            _ => ("已恢复", "restored"),
        };
        out.push_str(&format!(
            "\n## {} · {word} {en} · [{}](/{})\n\n",
            time(e.at_ms),
            escape(&e.title),
            crate::mirror::encode_list_path(&e.path)
        ));
        out.push_str(&format!(
            "- 原文 Original: <{}>\n",
            e.link.replace('>', "%3E")
        ));
        out.push_str(&format!(
            "- 首次收录 First seen: {}\n",
            time(e.first_seen_ms)
        ));
        match e.kind.as_str() {
            "removed" => out.push_str(&format!("- 发现删除 Found removed: {}\n", time(e.at_ms))),
            "restored" => out.push_str(&format!("- 恢复 Back online: {}\n", time(e.at_ms))),
            _ => {}
        }
        if let Some(d) = &e.diff {
            out.push_str(&format!("\n> {}\n", d.replace('\n', " ")));
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('[', "\\[").replace(']', "\\]")
}
