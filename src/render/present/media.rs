//! Embedded players and media: what an iframe, embed or object is called on the link that
//! replaces it; video and audio as a player or as a link saying what they are.

use dom_query::NodeRef;
use url::Url;

use super::images::image_url;
use super::{Shown, attr_escape, is_web, safe_href};

/// What an embedded player is called on its link: a video's "视频：…", else "嵌入内容：…".
pub(super) fn embed_label(url: &Url, title: &str) -> String {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches("www.");
    let s = url.as_str().to_ascii_lowercase();
    let video = [
        "youtube.",
        "youtu.be",
        "vimeo.",
        "bilibili.",
        "video",
        "player",
        "/embed",
    ]
    .iter()
    .any(|k| s.contains(k));
    let what = if video && !s.contains("wp-embed") && !title.contains('《') {
        "视频"
    } else {
        "嵌入内容"
    };
    let title = title.trim();
    if title.is_empty() {
        format!("{what}：{host}")
    } else {
        format!("{what}：{title}")
    }
}

/// Containers whose file browsers play themselves.
const PLAYABLE: [&str; 8] = [
    ".mp4", ".m4v", ".webm", ".ogv", ".mp3", ".m4a", ".ogg", ".oga",
];

fn playable(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    PLAYABLE.iter().any(|e| path.ends_with(e))
}

/// Video and audio: a player when the source is a file browsers play, else a link (with the
/// poster image) saying what it is — never nothing.
pub(super) fn media(m: &NodeRef<'_>, shown: &Shown<'_>, local_prefix: &str) {
    let video = m.has_name("video");
    let sources: Vec<String> = m
        .attr("src")
        .into_iter()
        .map(|s| s.to_string())
        .chain(
            m.element_children()
                .iter()
                .filter(|c| c.has_name("source"))
                .filter_map(|c| c.attr("src").map(|s| s.to_string())),
        )
        .collect();
    let urls: Vec<Url> = sources
        .iter()
        .filter_map(|s| Url::parse(s).ok().filter(is_web))
        .collect();
    let poster = m
        .attr("poster")
        .and_then(|p| image_url(&p, shown, local_prefix));
    let what = if video { "视频" } else { "音频" };
    if let Some(file) = urls.iter().find(|u| playable(u)) {
        let file = attr_escape(file.as_str());
        let poster_attr = poster
            .as_ref()
            .map(|p| format!(" poster=\"{}\"", attr_escape(p)))
            .unwrap_or_default();
        let tag = if video { "video" } else { "audio" };
        m.replace_with_html(format!(
            "<figure class=\"media\"><{tag} controls preload=\"none\" src=\"{file}\"{poster_attr}></{tag}>\
             <figcaption><a href=\"{file}\">{what}文件</a></figcaption></figure>"
        ));
        return;
    }
    let target = urls
        .first()
        .map(|u| u.to_string())
        .or_else(|| safe_href(shown.link));
    let img = poster
        .map(|p| {
            format!(
                "<img src=\"{}\" alt=\"\" loading=\"lazy\">",
                attr_escape(&p)
            )
        })
        .unwrap_or_default();
    let label = format!("{what}：在原网页观看");
    let html = match target {
        Some(t) => format!(
            "<figure class=\"media\"><a href=\"{}\">{img}<span>{label}</span></a></figure>",
            attr_escape(&t)
        ),
        None => format!("<figure class=\"media\">{img}<figcaption>{label}</figcaption></figure>"),
    };
    m.replace_with_html(html);
}
