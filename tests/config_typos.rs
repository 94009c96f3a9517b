//! Config values that are almost certainly typos stop `update` before anything happens
//! (issue 12, point 4): exit 2, and the message names the line and the fix.

mod common;

#[test]
fn typos_exit_2_naming_the_line() {
    for (value, words) in [
        (
            "feeds = [\"https//rss.dw.com/rdf/rss-chi-all\"]",
            "mistyped URL",
        ),
        (
            "feeds = [\"rss.dw.com/rdf/rss-chi-all\"]",
            "without its scheme",
        ),
        ("feeds = [\"file://feeds/dw.xml\"]", "absolute path"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().join("newsmirror.toml");
        std::fs::write(
            &cfg,
            format!("[archive]\ndir = \"archive\"\n\n[[sources]]\nslug = \"dw\"\nname = \"DW\"\n{value}\n"),
        )
        .unwrap();
        let at = 7;
        let (code, _, err) = common::update(&cfg);
        assert_eq!(code, 2, "{value}: {err}");
        assert!(
            err.contains(&format!("line {at}")) && err.contains(words),
            "{value}: {err}"
        );
        assert!(!tmp.path().join("archive").exists(), "nothing was done");
    }
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("newsmirror.toml");
    std::fs::write(&cfg, "[archive]\ndir = \"~/mirror\"\n").unwrap();
    let (code, _, err) = common::update(&cfg);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 2") && err.contains("not expanded"),
        "{err}"
    );
}
