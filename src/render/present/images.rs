//! Images: the `srcset` candidate kept, the archive's local copies, the URL a page loads an
//! image from (as it is, or through the reader's proxy), and what a raster image is.

use dom_query::NodeRef;
use url::Url;

use super::{Images, Shown, is_web};

/// Widest `srcset` candidate kept: wider ones cost phones much and show nothing more.
const MAX_WIDTH: f64 = 1600.0;

/// The largest candidate of a `srcset` no wider than [`MAX_WIDTH`] (else the narrowest).
pub(super) fn best_candidate(srcset: &str) -> Option<String> {
    let mut cands: Vec<(String, f64)> = srcset
        .split(',')
        .filter_map(|c| {
            let mut parts = c.split_whitespace();
            let url = parts.next()?.to_string();
            let size = match parts.next() {
                Some(d) if d.ends_with('w') => d.trim_end_matches('w').parse().ok()?,
                Some(d) if d.ends_with('x') => d.trim_end_matches('x').parse::<f64>().ok()? * 800.0,
                _ => 800.0,
            };
            Some((url, size))
        })
        .collect();
    cands.sort_by(|a, b| a.1.total_cmp(&b.1));
    cands
        .iter()
        .rev()
        .find(|(_, w)| *w <= MAX_WIDTH)
        .or_else(|| cands.first())
        .map(|(u, _)| u.clone())
}

/// The placeholder the sanitizer keeps for the archive's local images (`../../assets/x`).
pub(super) const LOCAL: &str = "https://newsmirror.invalid/assets/";

/// `src="../../assets/x"` (however many `../`) → [`LOCAL`]`x`, which the sanitizer keeps.
pub(super) fn local_assets(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(at) = rest.find("assets/") {
        let head = &rest[..at];
        let ups = head.len() - head.trim_end_matches("../").len();
        let quoted = head[..head.len() - ups].ends_with(['"', '\'']);
        if ups > 0 && quoted {
            out.push_str(&head[..head.len() - ups]);
            out.push_str(LOCAL);
        } else {
            out.push_str(head);
            out.push_str("assets/");
        }
        rest = &rest[at + "assets/".len()..];
    }
    out.push_str(rest);
    out
}

/// The URL an image is loaded from, as the page writes it.
pub(super) fn image_url(src: &str, shown: &Shown<'_>, local_prefix: &str) -> Option<String> {
    if let Some(name) = src.strip_prefix(LOCAL) {
        return Some(format!("{local_prefix}{name}"));
    }
    if src.starts_with("data:image/") {
        return Some(src.to_string());
    }
    let url = Url::parse(src).ok().filter(is_web)?;
    Some(match &shown.images {
        // The proxy applies the address rules of fetching itself (with the keeper's
        // exemptions); as they are, images on private addresses go.
        Images::AsIs => Some(url).filter(is_public)?.to_string(),
        Images::Proxy(proxy) => proxy(&unwrap_proxy(&url)),
    })
}

/// Whether an image's host may be public: not an address of the reader's own machine or
/// network (`127.0.0.1`, `10.x`, `localhost`…), which every reader's browser would be made to
/// request (the address rules of fetching; a name is judged by what it says, not resolved).
fn is_public(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => crate::fetch::not_public(ip.into()).is_none(),
        Some(url::Host::Ipv6(ip)) => crate::fetch::not_public(ip.into()).is_none(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            !(d == "localhost" || d.ends_with(".localhost") || d.ends_with(".internal"))
        }
        None => false,
    }
}

/// Image proxies the mirrors use (`images.weserv.nl/?url=host/path`): the image's own URL,
/// so that the reader's proxy asks the outlet, not a third party.
fn unwrap_proxy(url: &Url) -> Url {
    if url.host_str() == Some("images.weserv.nl")
        && let Some((_, v)) = url.query_pairs().find(|(k, _)| k == "url")
    {
        let v = v.trim();
        let full = if v.contains("://") {
            v.to_string()
        } else {
            format!("https://{}", v.trim_start_matches("//"))
        };
        if let Some(u) = Url::parse(&full).ok().filter(is_web) {
            return u;
        }
    }
    url.clone()
}

/// An image: a URL readers can load (else it goes), an `alt`, lazy loading, and no fixed box
/// unless it is a local copy (which always loads): a remote image that never arrives must
/// not keep its space.
pub(super) fn image(img: &NodeRef<'_>, shown: &Shown<'_>, local_prefix: &str) {
    let src = img.attr("src").unwrap_or_default();
    let Some(url) = image_url(&src, shown, local_prefix) else {
        img.remove_from_parent();
        return;
    };
    let local = src.starts_with(LOCAL);
    img.set_attr("src", &url);
    if !img.has_attr("alt") {
        img.set_attr("alt", "");
    }
    let dims = ["width", "height"].iter().all(|a| {
        img.attr(a)
            .is_some_and(|v| v.parse::<u32>().is_ok_and(|n| n > 0))
    });
    if !(local && dims) {
        img.remove_attr("width");
        img.remove_attr("height");
    }
    img.set_attr("loading", "lazy");
    img.set_attr("decoding", "async");
}

/// The MIME type of a raster image, by its bytes (`clean::raster_extension`: JPEG, PNG, GIF,
/// WebP, AVIF, BMP); `None` for anything else (SVG, HTML, …): nothing that can hold script is
/// shown as an image from the reader's own origin.
pub fn raster_type(b: &[u8]) -> Option<&'static str> {
    Some(match crate::clean::raster_extension(b)? {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        _ => "image/bmp",
    })
}
