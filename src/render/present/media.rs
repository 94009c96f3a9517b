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

/// The MIME type of a media file by its extension.
fn mime_of(url: &Url) -> Option<&'static str> {
    let path = url.path().to_ascii_lowercase();
    let ext = path.rsplit_once('.')?.1;
    Some(match ext {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" => "audio/ogg",
        _ => return None,
    })
}

/// Where an embedded player's content lives for a reader who follows a link: a YouTube or
/// Vimeo video's own page, the post a Facebook plugin shows, else the player itself.
pub(super) fn embed_target(url: &Url) -> Url {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches("www.");
    let segs: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    let page = match (host, segs.as_slice()) {
        ("youtube.com" | "youtube-nocookie.com", ["embed", id, ..]) if !id.is_empty() => {
            Url::parse(&format!("https://www.youtube.com/watch?v={id}")).ok()
        }
        ("player.vimeo.com", ["video", id, ..]) if !id.is_empty() => {
            Url::parse(&format!("https://vimeo.com/{id}")).ok()
        }
        ("facebook.com", ["plugins", ..]) => url
            .query_pairs()
            .find(|(k, _)| k == "href")
            .and_then(|(_, v)| Url::parse(&v).ok()),
        _ => None,
    };
    page.filter(is_web).unwrap_or_else(|| url.clone())
}

/// Whether an embedded URL is a media file browsers play (an `<embed src="….mp4">`).
pub(super) fn is_media_file(url: &Url) -> Option<&'static str> {
    playable(url).then(|| match mime_of(url) {
        Some(t) if t.starts_with("audio/") => "audio",
        _ => "video",
    })
}

/// BBC's players (`data-playable` JSON: the clip's title and its embeddable page), which
/// scripts alone fill: a link saying there was a video, with its title.
pub(super) fn playable_label(json: &str, base: &Url) -> Option<(Url, String)> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let settings = &v["settings"];
    let url = settings["externalEmbedUrl"]
        .as_str()
        .and_then(|u| base.join(u).ok())
        .filter(is_web)
        .unwrap_or_else(|| base.clone());
    let title = settings["playlistObject"]["title"]
        .as_str()
        .unwrap_or_default()
        .trim();
    let audio = settings["playlistObject"]["items"][0]["kind"].as_str() == Some("radioProgramme");
    let what = if audio { "音频" } else { "视频" };
    let label = if title.is_empty() {
        format!("{what}：在原网页观看")
    } else {
        format!("{what}：{title}")
    };
    Some((url, label))
}

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
    let files: Vec<&Url> = urls.iter().filter(|u| playable(u)).collect();
    if let Some(first) = files.first() {
        let poster_attr = poster
            .as_ref()
            .map(|p| format!(" poster=\"{}\"", attr_escape(p)))
            .unwrap_or_default();
        let tag = if video { "video" } else { "audio" };
        // Every file the content offers, for the browser to choose; the link to the one
        // most players read (MP4, MP3), else the first.
        let sources: String = files
            .iter()
            .map(|u| {
                let ty = mime_of(u)
                    .map(|t| format!(" type=\"{t}\""))
                    .unwrap_or_default();
                format!("<source src=\"{}\"{ty}>", attr_escape(u.as_str()))
            })
            .collect();
        let link = files
            .iter()
            .find(|u| matches!(mime_of(u), Some("video/mp4" | "audio/mpeg")))
            .unwrap_or(first);
        m.replace_with_html(format!(
            "<figure class=\"media\"><{tag} controls preload=\"none\"{poster_attr}>{sources}</{tag}>\
             <figcaption><a href=\"{}\">{what}文件</a></figcaption></figure>",
            attr_escape(link.as_str())
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
