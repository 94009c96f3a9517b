//! A mirror that runs unattended: crash safety, one writer, conditional requests, proxies.

mod common;

use std::time::{Duration, Instant};

use common::server::{Answer, Server};
use common::*;

#[test]
fn two_updates_at_once_one_waits_or_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let feed = big_feed("s", 3);
    // A feed that takes about 1.5 s to arrive keeps the first run holding the archive.
    server.route(
        "/slow",
        Answer::Drip(
            feed.clone().into_bytes(),
            Duration::from_micros(1_500_000 / feed.len() as u64),
        ),
    );
    let url = server.url("/slow");
    let cfg = write_config(tmp.path(), "", &[("s", "S", &[url.as_str()])]);
    let cfg_s = cfg.to_str().unwrap();

    let first = command(&["-q", "update", "--config", cfg_s])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let second = newsmirror(&["-q", "update", "--config", cfg_s]);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "the second run did not give up at once"
    );
    assert_eq!(second.status.code(), Some(3));
    let msg = String::from_utf8_lossy(&second.stderr);
    assert!(
        msg.contains("another newsmirror run") && msg.contains("--wait"),
        "{msg}"
    );

    // Reading while the other run writes: no lock needed, nothing touched.
    let status = newsmirror(&["status", "--config", cfg_s]);
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    let waiter = command(&["-q", "update", "--wait", "--config", cfg_s])
        .spawn()
        .unwrap();
    assert_eq!(first.wait_with_output().unwrap().status.code(), Some(0));
    assert_eq!(waiter.wait_with_output().unwrap().status.code(), Some(0));
    check_archive(&tmp.path().join("archive"), &[("s", 3)]);
}

#[test]
fn unchanged_feeds_cost_a_304_and_no_write() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start();
    let body = big_feed("e", 5);
    server.route(
        "/etag",
        Answer::Fixed(
            200,
            vec![
                ("ETag".into(), "\"v1\"".into()),
                ("Content-Type".into(), "application/rss+xml".into()),
            ],
            body.clone().into_bytes(),
        ),
    );
    server.route(
        "/lm",
        Answer::Fixed(
            200,
            vec![(
                "Last-Modified".into(),
                "Wed, 19 Jun 2024 12:47:03 GMT".into(),
            )],
            big_feed("l", 2).into_bytes(),
        ),
    );
    let (etag, lm) = (server.url("/etag"), server.url("/lm"));
    let cfg = write_config(
        tmp.path(),
        "",
        &[("e", "E", &[etag.as_str()]), ("l", "L", &[lm.as_str()])],
    );
    assert_eq!(update(&cfg).0, 0);
    let archive = tmp.path().join("archive");
    let before = (tree(&archive), mtimes(&archive));
    std::thread::sleep(Duration::from_millis(1100));
    let (code, out, _) = update(&cfg);
    assert_eq!(code, 0);
    assert!(out.contains("1 not modified"), "{out}");
    assert_eq!(server.not_modified(), 1);
    let second = &server.requests_to("/etag")[1];
    assert!(
        second
            .iter()
            .any(|(k, v)| k == "if-none-match" && v == "\"v1\""),
        "{second:?}"
    );
    let second = &server.requests_to("/lm")[1];
    assert!(
        second
            .iter()
            .any(|(k, v)| k == "if-modified-since" && v.contains("19 Jun 2024")),
        "{second:?}"
    );
    assert_eq!(before, (tree(&archive), mtimes(&archive)));
}

#[test]
fn fetches_go_through_socks5_and_http_proxies() {
    let server = Server::start();
    server.route("/feed", Answer::ok("application/rss+xml", big_feed("p", 2)));
    let url = server.url("/feed");
    let target = format!("127.0.0.1:{}", server.port);

    let socks = common::proxy::socks5();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        &format!(
            "[fetch]\nproxy = \"socks5h://reader:secret@127.0.0.1:{}\"",
            socks.port
        ),
        &[("p", "P", &[url.as_str()])],
    );
    let (code, out, err) = update(&cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        socks.seen().contains(&"login reader:secret".to_string()),
        "{:?}",
        socks.seen()
    );
    assert!(socks.seen().contains(&target), "{:?}", socks.seen());
    assert_eq!(
        markdown_files(&tmp.path().join("archive/articles")).len(),
        2
    );

    // Per source: one source through an HTTP proxy, the other direct.
    let http = common::proxy::http();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("local.xml"), big_feed("d", 1)).unwrap();
    let text = format!(
        "[archive]\ndir = \"archive\"\n[[sources]]\nslug = \"p\"\nname = \"P\"\nfulltext = \"feed\"\nfeeds = [\"{url}\"]\nproxy = \"http://127.0.0.1:{}\"\n[[sources]]\nslug = \"d\"\nname = \"D\"\nfulltext = \"feed\"\nfeeds = [\"local.xml\"]\n",
        http.port
    );
    std::fs::write(tmp.path().join("newsmirror.toml"), text).unwrap();
    let (code, out, err) = update(&tmp.path().join("newsmirror.toml"));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(http.seen(), vec![target]);
    assert_eq!(
        markdown_files(&tmp.path().join("archive/articles")).len(),
        3
    );

    // A dead proxy is a failure of that source, in words.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        "[fetch]\nproxy = \"socks5h://127.0.0.1:1\"\ntimeout = \"3s\"",
        &[("p", "P", &[url.as_str()])],
    );
    let (code, _, err) = update(&cfg);
    assert_eq!(code, 1);
    assert!(err.contains("source p"), "{err}");
}
