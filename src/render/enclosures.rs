//! An article's enclosures as an HTML fragment for the reader's article page (a partial the
//! page template may include): audio and video as players, pictures as images, anything else
//! as a link with its type and size. Only http(s) URLs; every value escaped.

use crate::store::EnclosureRow;

use crate::text::escape_html as escape;

fn size(n: i64) -> String {
    match n {
        ..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.0} KB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// `<ul class="enclosures">…</ul>`, or an empty string when there is nothing to show.
pub fn enclosures_html(rows: &[EnclosureRow]) -> String {
    let mut items = Vec::new();
    for e in rows {
        let lower = e.url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            continue;
        }
        let url = escape(&e.url);
        let ty = e.mime_type.as_deref().unwrap_or("").to_ascii_lowercase();
        let name = e.title.clone().unwrap_or_else(|| {
            e.url
                .rsplit('/')
                .find(|s| !s.is_empty())
                .unwrap_or(&e.url)
                .to_string()
        });
        let mut about: Vec<String> = Vec::new();
        if !ty.is_empty() {
            about.push(escape(&ty).into_owned());
        }
        if let Some(n) = e.length.filter(|n| *n > 0) {
            about.push(size(n));
        }
        let link = format!(
            "<a href=\"{url}\" rel=\"noopener noreferrer nofollow\">{}</a>{}",
            escape(&name),
            if about.is_empty() {
                String::new()
            } else {
                format!(" ({})", about.join(", "))
            }
        );
        let player = if ty.starts_with("audio/") {
            format!("<audio controls preload=\"none\" src=\"{url}\"></audio><br>")
        } else if ty.starts_with("video/") {
            format!("<video controls preload=\"none\" src=\"{url}\"></video><br>")
        } else if ty.starts_with("image/") || e.kind == "thumbnail" {
            format!("<img loading=\"lazy\" alt=\"\" src=\"{url}\"><br>")
        } else {
            String::new()
        };
        items.push(format!("<li>{player}{link}</li>"));
    }
    if items.is_empty() {
        return String::new();
    }
    format!("<ul class=\"enclosures\">{}</ul>", items.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(url: &str, ty: Option<&str>, kind: &str) -> EnclosureRow {
        EnclosureRow {
            url: url.into(),
            mime_type: ty.map(str::to_string),
            length: Some(12_345_678),
            title: None,
            description: None,
            kind: kind.into(),
        }
    }

    #[test]
    fn players_images_links_and_nothing_unsafe() {
        let html = enclosures_html(&[
            row("https://x.example/ep.mp3", Some("audio/mpeg"), "enclosure"),
            row("https://x.example/t.jpg", None, "thumbnail"),
            row("javascript:alert(1)", Some("audio/mpeg"), "enclosure"),
            row(
                "https://x.example/a\"><script>.pdf",
                Some("application/pdf"),
                "enclosure",
            ),
        ]);
        assert!(
            html.contains("<audio controls preload=\"none\" src=\"https://x.example/ep.mp3\">")
        );
        assert!(html.contains("(audio/mpeg, 12.3 MB)"));
        assert!(html.contains("<img loading=\"lazy\" alt=\"\" src=\"https://x.example/t.jpg\">"));
        assert!(!html.contains("javascript:") && !html.contains("<script"));
        assert_eq!(enclosures_html(&[]), "");
    }
}
