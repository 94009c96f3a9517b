//! Links taken from feeds and pages cannot reach the mirror's own machine or network (issue 12,
//! point 2): full-text pages, redirect hops, images and rechecks pointing at another local
//! service are refused with a warning in words, while the feed's own origin, `allow_private`
//! and a keeper's command-line URL stay allowed. Loopback servers stand in for "another local
//! service".

mod common;

use std::path::Path;

use common::server::{Answer, Server};
use common::*;

const DATE: &str = "Wed, 19 Jun 2024 12:47:03 GMT";
const SECRET: &str = "内部服务的机密内容 internal-only-token-4711";

fn secret_page() -> String {
    format!(
        "<html><body><article><h1>机密</h1><p>{}</p><p>{}</p></article></body></html>",
        SECRET,
        "这是只在本机可见的内部页面，不应被归档也不应被推送到公开的镜像仓库里。".repeat(8)
    )
}

/// A feed of one item whose summary is short (so its page is wanted), linking to `link`, its
/// content holding `extra` (an image, say).
fn feed(link: &str, extra: &str) -> String {
    rss(&[TestItem {
        title: "一条新闻",
        link,
        guid: Some("item-1"),
        date: Some(DATE),
        content: &format!("<p>摘要。</p>{extra}"),
    }])
}

/// A config of one source reading `feed`; `source` holds its extra keys (by default it
/// wants every article's page: `fulltext = "page"`).
fn config(dir: &Path, fetch: &str, source: &str, feed: &str) -> std::path::PathBuf {
    let source = if source.contains("fulltext") {
        source.to_string()
    } else {
        format!("fulltext = \"page\"\n{source}")
    };
    let text = format!(
        "[archive]\ndir = \"archive\"\n[fetch]\nretries = 0\ntimeout = \"10s\"\n{fetch}\n\n[[sources]]\nslug = \"s\"\nname = \"S\"\nfeeds = [\"{feed}\"]\n{source}\n"
    );
    let p = dir.join("newsmirror.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn archived(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("archive/articles/s/1048574.md")).unwrap()
}

/// Runs an update and checks that the article was archived with the feed's content, the
/// secret nowhere, and a refusal in words on stderr.
fn assert_refused(dir: &Path, cfg: &Path, internal: &Server, path: &str) -> String {
    let (code, _out, err) = update(cfg);
    assert_eq!(code, 0, "a refused link is a warning, not a failure: {err}");
    let text = archived(dir);
    assert!(text.contains("摘要"), "the feed's content is kept: {text}");
    assert!(!text.contains(SECRET), "the internal page was archived");
    assert_eq!(internal.hits(path), 0, "the internal service was reached");
    assert!(
        err.contains("refused") && err.contains("private"),
        "the refusal is reported in words: {err}"
    );
    err
}

#[test]
fn an_item_link_to_another_local_service_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (outlet, internal) = (Server::start(), Server::start());
    internal.route("/secret.html", Answer::ok("text/html", secret_page()));
    outlet.route(
        "/feed",
        Answer::ok(
            "application/rss+xml",
            feed(&internal.url("/secret.html"), ""),
        ),
    );
    let cfg = config(tmp.path(), "", "", &outlet.url("/feed"));
    let err = assert_refused(tmp.path(), &cfg, &internal, "/secret.html");
    assert!(err.contains("127.0.0.1, a loopback address"), "{err}");
}

#[test]
fn a_redirect_to_a_local_service_is_refused_at_that_hop() {
    let tmp = tempfile::tempdir().unwrap();
    let (outlet, elsewhere, internal) = (Server::start(), Server::start(), Server::start());
    internal.route("/secret.html", Answer::ok("text/html", secret_page()));
    // A page on the feed's own origin redirects elsewhere (allowed), which redirects inside.
    elsewhere.route(
        "/r",
        Answer::Fixed(
            302,
            vec![("Location".into(), internal.url("/secret.html"))],
            vec![],
        ),
    );
    outlet.route(
        "/a.html",
        Answer::Fixed(301, vec![("Location".into(), elsewhere.url("/r"))], vec![]),
    );
    outlet.route(
        "/feed",
        Answer::ok("application/rss+xml", feed(&outlet.url("/a.html"), "")),
    );
    let allow = format!("allow_private = [\"127.0.0.1:{}\"]", elsewhere.port);
    let cfg = config(tmp.path(), &allow, "", &outlet.url("/feed"));
    let err = assert_refused(tmp.path(), &cfg, &internal, "/secret.html");
    assert_eq!(elsewhere.hits("/r"), 1, "the allowed hop was followed");
    assert!(err.contains(&internal.url("/secret.html")), "{err}");
}

#[test]
fn a_host_name_resolving_to_loopback_is_refused() {
    // `localhost` is refused by name; any other name is refused on the addresses it resolves
    // to. This machine's own host name usually resolves to a loopback or private address.
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let private = !host.is_empty()
        && std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), 80))
            .map(|mut a| a.all(|a| newsmirror::fetch::not_public(a.ip()).is_some()))
            .unwrap_or(false);
    for name in ["localhost", host.as_str()] {
        if name == host && !private {
            println!("SKIP: the host name {host:?} does not resolve to a private address here");
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        let (outlet, internal) = (Server::start(), Server::start());
        internal.route("/secret.html", Answer::ok("text/html", secret_page()));
        let link = format!("http://{name}:{}/secret.html", internal.port);
        outlet.route("/feed", Answer::ok("application/rss+xml", feed(&link, "")));
        let cfg = config(tmp.path(), "", "", &outlet.url("/feed"));
        let err = assert_refused(tmp.path(), &cfg, &internal, "/secret.html");
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn images_and_rechecks_do_not_reach_local_services() {
    let tmp = tempfile::tempdir().unwrap();
    let (outlet, internal) = (Server::start(), Server::start());
    let png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    internal.route("/private.png", Answer::ok("image/png", png.clone()));
    internal.route("/article", Answer::ok("text/html", secret_page()));
    outlet.route("/public.png", Answer::ok("image/png", png));
    let imgs = format!(
        "<img src=\"{}\"><img src=\"{}\">",
        internal.url("/private.png"),
        outlet.url("/public.png")
    );
    outlet.route(
        "/feed",
        Answer::ok(
            "application/rss+xml",
            feed(&internal.url("/article"), &imgs),
        ),
    );
    let cfg = config(
        tmp.path(),
        "",
        "fulltext = \"feed\"\nimages = \"local\"",
        &outlet.url("/feed"),
    );
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        internal.hits("/private.png"),
        0,
        "a private image was fetched"
    );
    assert_eq!(
        outlet.hits("/public.png"),
        1,
        "the outlet's own image is fetched"
    );
    assert!(err.contains("image") && err.contains("refused"), "{err}");
    let text = archived(tmp.path());
    assert!(
        text.contains(&internal.url("/private.png")),
        "kept its URL: {text}"
    );
    // Rechecking the article's page (on the internal service) is refused too.
    let out = newsmirror(&["recheck", "--now", "--config", cfg.to_str().unwrap()]);
    // Its only page refused, the recheck concluded nothing: exit 1 (as when none is reachable).
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        internal.hits("/article"),
        0,
        "the recheck reached the internal service"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused"), "the recheck says why: {err}");
}

#[test]
fn allow_private_and_the_feeds_own_origin_stay_reachable() {
    let tmp = tempfile::tempdir().unwrap();
    let (outlet, intranet) = (Server::start(), Server::start());
    intranet.route("/secret.html", Answer::ok("text/html", secret_page()));
    outlet.route(
        "/feed",
        Answer::ok(
            "application/rss+xml",
            feed(&intranet.url("/secret.html"), ""),
        ),
    );
    let allow = format!("allow_private = [\"127.0.0.1:{}\"]", intranet.port);
    let cfg = config(tmp.path(), &allow, "", &outlet.url("/feed"));
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_eq!(intranet.hits("/secret.html"), 1);
    assert!(
        archived(tmp.path()).contains(SECRET),
        "allowed, so archived"
    );

    // Per source, a network rule; and a page on the feed's own origin needs no rule at all.
    let tmp = tempfile::tempdir().unwrap();
    outlet.route("/own.html", Answer::ok("text/html", secret_page()));
    outlet.route(
        "/feed2",
        Answer::ok("application/rss+xml", feed(&outlet.url("/own.html"), "")),
    );
    let cfg = config(tmp.path(), "", "", &outlet.url("/feed2"));
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert!(archived(tmp.path()).contains(SECRET));
}

#[test]
fn a_bad_allow_private_entry_is_a_config_error_naming_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "allow_private = [\"10.0.0.0/8\", \"http://10.0.0.1/\"]",
        "",
        "https://example.org/feed",
    );
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 6") && err.contains("allow_private"),
        "{err}"
    );
}

#[test]
fn extract_fetches_a_local_url_the_keeper_typed() {
    let internal = Server::start();
    internal.route("/secret.html", Answer::ok("text/html", secret_page()));
    let out = newsmirror(&["extract", &internal.url("/secret.html")]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[test]
fn a_configured_proxy_is_a_trusted_hop_and_targets_are_still_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let socks = common::proxy::socks5();
    let (outlet, internal) = (Server::start(), Server::start());
    internal.route("/secret.html", Answer::ok("text/html", secret_page()));
    outlet.route("/own.html", Answer::ok("text/html", secret_page()));
    let items = rss(&[
        TestItem {
            title: "内部",
            link: &internal.url("/secret.html"),
            guid: Some("1"),
            date: Some(DATE),
            content: "<p>摘要一。</p>",
        },
        TestItem {
            title: "本站",
            link: &outlet.url("/own.html"),
            guid: Some("2"),
            date: Some(DATE),
            content: "<p>摘要二。</p>",
        },
        TestItem {
            title: "名字",
            link: &format!("http://localhost:{}/secret.html", internal.port),
            guid: Some("3"),
            date: Some(DATE),
            content: "<p>摘要三。</p>",
        },
    ]);
    outlet.route("/feed", Answer::ok("application/rss+xml", items));
    // The proxy itself lives on loopback, and resolves names itself (socks5h).
    let proxy = format!("proxy = \"socks5h://127.0.0.1:{}\"", socks.port);
    let cfg = config(tmp.path(), &proxy, "", &outlet.url("/feed"));
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 0, "{err}");
    assert_eq!(internal.hits("/secret.html"), 0, "{:?}", socks.seen());
    assert_eq!(
        outlet.hits("/own.html"),
        1,
        "the feed's origin, through the proxy"
    );
    let seen = socks.seen();
    assert!(
        seen.iter()
            .all(|t| t.ends_with(&format!(":{}", outlet.port))),
        "the proxy was asked for {seen:?}"
    );
    assert_eq!(err.matches("refused").count(), 2, "{err}");
}
