//! Image URLs by mode: through a proxy (the mirrors' habit: readers whose network blocks the
//! outlet's image hosts still see them), to local copies, or left as they are. Rewritten with a
//! streaming rewriter that leaves every other byte alone.

use std::collections::HashMap;

use lol_html::{RewriteStrSettings, element, rewrite_str};

/// What to do with images.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageMode {
    /// Rewrite each URL with the proxy template.
    #[default]
    Proxy,
    /// Download each image into the archive's `assets/` and note the copy beside its URL.
    Local,
    /// Leave as they are.
    Original,
}

/// The default proxy template; `{url_without_scheme}` and `{url}` (percent-encoded) are
/// replaced.
pub const DEFAULT_PROXY: &str = "https://images.weserv.nl/?url={url_without_scheme}";

/// The extension of a raster image, told by its bytes (PNG, JPEG, GIF, WebP, AVIF, BMP);
/// `None` for anything else: SVG (it can carry script and would run from the site's origin),
/// HTML, or whatever a server chose to call an image.
pub fn raster_extension(bytes: &[u8]) -> Option<&'static str> {
    let at = |i: usize, sig: &[u8]| bytes.get(i..i + sig.len()) == Some(sig);
    Some(if at(0, b"\x89PNG\r\n\x1a\n") {
        "png"
    } else if at(0, b"\xff\xd8\xff") {
        "jpg"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "gif"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "webp"
    } else if at(4, b"ftypavif") || at(4, b"ftypavis") {
        "avif"
    } else if at(0, b"BM") && bytes.len() > 26 {
        "bmp"
    } else {
        return None;
    })
}

/// The file name of a downloaded image under `assets/`: the SHA-256 of its bytes (hex) and
/// the extension of its type; `None` when the bytes are not a raster image.
pub fn asset_name(bytes: &[u8]) -> Option<String> {
    let ext = raster_extension(bytes)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("{hex}.{ext}"))
}

/// Every image URL of `html` (`img src`), in order, without repeats.
pub fn image_urls(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("img[src]", |el| {
            if let Some(src) = el.get_attribute("src")
                && !out.contains(&src)
            {
                out.push(src);
            }
            Ok(())
        }));
    let _ = rewrite_str(html, settings);
    out
}

/// Rewrites image URLs: through `proxy` (a template), or notes each image's local copy
/// (`local`: URL → path) in `data-local`, or not at all. Images already on the proxy, and `data:` images, are left alone.
pub fn rewrite_images(
    html: &str,
    mode: &ImageMode,
    proxy: &str,
    local: &HashMap<String, String>,
) -> String {
    if *mode == ImageMode::Original {
        return html.to_string();
    }
    let proxy_host = url::Url::parse(&proxy.replace(['{', '}'], ""))
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("img[src]", |el| {
            let src = el.get_attribute("src").unwrap_or_default();
            // A local copy is noted beside the image's URL, which stays: the copy lives in
            // `assets/`, which git ignores unless `[publish] images`, so the committed file
            // must not depend on it (a fresh clone has no copy; readers use it when present).
            if *mode == ImageMode::Local {
                if let Some(path) = local.get(&src) {
                    el.set_attribute("data-local", path)?;
                }
                return Ok(());
            }
            let new = proxied(&src, proxy, proxy_host.as_deref());
            if let Some(n) = new {
                el.set_attribute("src", &n)?;
                el.remove_attribute("srcset");
            }
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

fn proxied(src: &str, template: &str, proxy_host: Option<&str>) -> Option<String> {
    let url = url::Url::parse(src).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str() == proxy_host {
        return None;
    }
    let without = src.split_once("://").map_or(src, |(_, r)| r);
    let encoded: String = url::form_urlencoded::byte_serialize(src.as_bytes()).collect();
    Some(
        template
            .replace("{url_without_scheme}", without)
            .replace("{url}", &encoded),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raster_images_by_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(
            asset_name(png).unwrap(),
            "02a3e298f1533f62558c58e4c70edcab9af5a50d62d925fd5390942020fb0fb8.png"
        );
        assert_eq!(raster_extension(b"GIF89a..."), Some("gif"));
        assert_eq!(raster_extension(b"\xff\xd8\xff\xe0"), Some("jpg"));
        for active in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"[..],
            b"<?xml version=\"1.0\"?><svg><script>alert(1)</script></svg>",
            b"<html><script>alert(1)</script>",
            b"",
        ] {
            assert_eq!(raster_extension(active), None);
        }
    }

    #[test]
    fn proxy_once_and_only_images() {
        let html = "<p>字</p><img src=\"https://static.dw.com/image/1.jpg\" width=\"100%\"><a href=\"https://static.dw.com/x\">x</a>";
        let once = rewrite_images(html, &ImageMode::Proxy, DEFAULT_PROXY, &HashMap::new());
        assert_eq!(
            once,
            "<p>字</p><img src=\"https://images.weserv.nl/?url=static.dw.com/image/1.jpg\" width=\"100%\"><a href=\"https://static.dw.com/x\">x</a>"
        );
        let twice = rewrite_images(&once, &ImageMode::Proxy, DEFAULT_PROXY, &HashMap::new());
        assert_eq!(once, twice, "an image already on the proxy is left alone");
        assert_eq!(
            rewrite_images(html, &ImageMode::Original, DEFAULT_PROXY, &HashMap::new()),
            html
        );
    }
}
