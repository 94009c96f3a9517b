//! Images kept locally (`images = "local"`) are raster images by their bytes, named by the
//! SHA-256 of those bytes (issue 12, point 3): an SVG holding script, or HTML sent as an
//! image, is never saved where the site would serve it from its own origin.

mod common;

use common::server::{Answer, Server};
use common::*;

#[test]
fn only_raster_images_are_kept_under_their_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(document.domain)\"><script>alert(1)</script></svg>".to_vec();
    server.route("/ok.png", Answer::ok("image/png", png.clone()));
    server.route("/evil.svg", Answer::ok("image/svg+xml", svg.clone()));
    // HTML that calls itself a PNG.
    server.route(
        "/liar.png",
        Answer::ok("image/png", b"<html><script>alert(1)</script>".to_vec()),
    );
    let content = format!(
        "<p>正文。</p><img src=\"{}\"><img src=\"{}\"><img src=\"{}\">",
        server.url("/ok.png"),
        server.url("/evil.svg"),
        server.url("/liar.png")
    );
    let feed = rss(&[TestItem {
        title: "图片",
        link: &server.url("/a.html"),
        guid: Some("1"),
        date: Some("Wed, 19 Jun 2024 12:47:03 GMT"),
        content: &content,
    }]);
    server.route("/feed", Answer::ok("application/rss+xml", feed));
    let cfg = tmp.path().join("newsmirror.toml");
    std::fs::write(
        &cfg,
        format!(
            "[archive]\ndir = \"archive\"\n[[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"feed\"\nimages = \"local\"\nfeeds = [\"{}\"]\n",
            server.url("/feed")
        ),
    )
    .unwrap();
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    let assets: Vec<String> = std::fs::read_dir(tmp.path().join("archive/assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // `sha256sum` of the PNG above.
    let want = "4ffd8bb30991e3a6f28d1d03f1aedcd02ccf8e0cc16bb9e969e7bc2bda1ddf03.png";
    assert_eq!(
        assets,
        vec![want.to_string()],
        "only the PNG is kept, by its SHA-256"
    );
    assert_eq!(
        std::fs::read(tmp.path().join("archive/assets").join(&assets[0])).unwrap(),
        png
    );
    let text = std::fs::read_to_string(tmp.path().join("archive/articles/s/1048574.md")).unwrap();
    assert!(
        text.contains(&server.url("/evil.svg")),
        "the SVG keeps its URL: {text}"
    );
    assert!(err.contains("not a raster image"), "{err}");
}
