//! Bringing existing mirrors over: import + render leave every file as it was; updates
//! continue the countdown without duplicating imported articles; export; OPML.

mod common;

use std::path::Path;

use common::*;

const OUTLETS: [(&str, &str); 9] = [
    ("bbc", "BBC"),
    ("cdt", "中国数字时代"),
    ("dw", "德国之声"),
    ("rfi", "法广"),
    ("nyt", "纽约时报"),
    ("voa", "美国之音"),
    ("rfa", "自由亚洲电台"),
    ("reuters", "路透"),
    ("ft", "金融时报"),
];

/// A mirror checkout as the real one was: `articles/<folder>/` (odd files included, newlines
/// back in the file names that the fixtures spell `%0A`) and `lists/`.
fn checkout(from: &Path, to: &Path, with_oddities: bool) {
    let put = |src: &Path, folder: &str| {
        for e in std::fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap().replace("%0A", "\n");
            let dir = to.join("articles").join(folder);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(e.path(), dir.join(name)).unwrap();
        }
    };
    for (_, folder) in OUTLETS {
        if from.join(folder).exists() {
            put(&from.join(folder), folder);
        }
    }
    if with_oddities {
        for kind in std::fs::read_dir(from.join("_oddities")).unwrap() {
            for outlet in std::fs::read_dir(kind.unwrap().path()).unwrap() {
                let outlet = outlet.unwrap();
                put(&outlet.path(), outlet.file_name().to_str().unwrap());
            }
        }
    }
    if from.join("_lists").exists() {
        copy_dir(&from.join("_lists"), &to.join("lists"));
    }
}

fn import_config(dir: &Path, archive: &str, feeds: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = format!("[archive]\ndir = \"{archive}\"\n");
    for (slug, folder) in OUTLETS {
        let feed = feeds
            .iter()
            .find(|(s, _)| *s == slug)
            .map(|(_, f)| format!("\"{f}\""))
            .unwrap_or_default();
        text.push_str(&format!("\n[[sources]]\nslug = \"{slug}\"\nname = \"{folder}\"\nimport_from = \"{folder}\"\nfulltext = \"feed\"\nfeeds = [{feed}]\n"));
    }
    let path = dir.join("newsmirror.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_ok(args: &[&str]) -> String {
    let out = newsmirror(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\n{}{err}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &err
}

fn assert_subset(archive: &Path, mirror: &Path) {
    let a = tree(archive);
    for (k, bytes) in tree(mirror) {
        match a.get(&k) {
            Some(b) if *b == bytes => {}
            Some(b) => panic!(
                "{k} changed:\n--- was\n{}\n--- now\n{}",
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(b)
            ),
            None => panic!("{k} is missing from the archive"),
        }
    }
}

#[test]
fn import_then_render_leaves_every_file_as_it_was() {
    for (set, oddities) in [("archive-2020-07", true), ("first-run-2020-06", false)] {
        let tmp = tempfile::tempdir().unwrap();
        let mirror = tmp.path().join("mirror");
        checkout(
            &fixtures().join("duty-machine").join(set),
            &mirror,
            oddities,
        );
        let files = tree(&mirror).len();
        assert!(files > 20, "{set}: {files} files");

        // Copied into a new archive.
        let cfg = import_config(tmp.path(), "archive", &[]);
        let c = cfg.to_str().unwrap();
        let out = run_ok(&["import", "--config", c, mirror.to_str().unwrap()]);
        assert!(out.contains("articles read"), "{out}");
        run_ok(&["render", "--config", c]);
        assert_subset(&tmp.path().join("archive"), &mirror);

        // In place: the checkout is the archive.
        let cfg = import_config(tmp.path(), "mirror", &[]);
        let c = cfg.to_str().unwrap();
        let before = tree(&mirror);
        run_ok(&["import", "--config", c, mirror.to_str().unwrap()]);
        run_ok(&["render", "--config", c]);
        let after = tree(&mirror);
        for (k, v) in &before {
            assert_eq!(Some(v), after.get(k), "{set}: {k} changed in place");
        }
    }
}

#[test]
fn update_after_import_continues_the_countdown_without_repeats() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    checkout(
        &fixtures().join("duty-machine/archive-2020-07"),
        &mirror,
        true,
    );
    let dw = mirror.join("articles/德国之声");
    let mut imported: Vec<String> = std::fs::read_dir(&dw)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    imported.sort();
    // The smallest id the mirror used: its files', and those of its list (this checkout lacks
    // some files the list names; their ids are taken all the same).
    let listed = std::fs::read_to_string(mirror.join("lists/德国之声.md")).unwrap();
    let listed_ids = newsmirror::mirror::list_entries(&listed)
        .into_iter()
        .map(|l| {
            newsmirror::mirror::decode_list_path(newsmirror::mirror::list_entry_link(l).unwrap())
        })
        .map(|p| newsmirror::mirror::id_from_file_name(p.rsplit('/').next().unwrap()).unwrap());
    let smallest: i64 = imported
        .iter()
        .map(|n| newsmirror::mirror::id_from_file_name(n).unwrap())
        .chain(listed_ids)
        .min()
        .unwrap();
    let first =
        newsmirror::mirror::parse_article(&std::fs::read_to_string(dw.join(&imported[0])).unwrap())
            .unwrap();
    let second =
        newsmirror::mirror::parse_article(&std::fs::read_to_string(dw.join(&imported[1])).unwrap())
            .unwrap();
    let date = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .to_rfc2822()
    };
    let (d1, d2) = (
        date(first.published_ms.unwrap()),
        date(second.published_ms.unwrap()),
    );
    let items = [
        // The same link as an imported article (another guid, tracking parameters).
        TestItem {
            title: "改过的标题",
            link: &format!("{}?utm_source=rss", first.link),
            guid: Some("new-guid-1"),
            date: Some(&d1),
            content: "<p>x</p>",
        },
        // The same title and text as an imported article, another link (a new URL slug).
        TestItem {
            title: &second.title,
            link: "https://www.dw.com/zh/moved/a-1",
            guid: Some("new-guid-2"),
            date: Some(&d2),
            content: &second.content,
        },
        TestItem {
            title: "真正的新文章",
            link: "https://www.dw.com/zh/new/a-2",
            guid: Some("new-guid-3"),
            date: Some("Tue, 21 Jul 2020 08:00:00 GMT"),
            content: "<p>新</p>",
        },
    ];
    std::fs::write(tmp.path().join("dw.xml"), rss(&items)).unwrap();
    let cfg = import_config(tmp.path(), "mirror", &[("dw", "dw.xml")]);
    let c = cfg.to_str().unwrap();
    run_ok(&["import", "--config", c, mirror.to_str().unwrap()]);
    let out = run_ok(&["update", "--config", c]);
    assert!(out.contains("update: 1 new article,"), "{out}");
    let mut now: Vec<String> = std::fs::read_dir(&dw)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    now.sort();
    assert_eq!(now.len(), imported.len() + 1);
    let new_name = format!("{}.md", smallest - 1);
    assert!(now.contains(&new_name), "{now:?}");
    assert!(
        std::fs::read_to_string(dw.join(&new_name))
            .unwrap()
            .contains("[真正的新文章]")
    );
    // The list now starts with the new article and keeps the imported entries after it.
    let list = std::fs::read_to_string(mirror.join("lists/德国之声.md")).unwrap();
    let entries: Vec<&str> = newsmirror::mirror::list_entries(&list);
    assert!(
        entries[0].ends_with(&format!("(/articles/德国之声/{new_name})")),
        "{}",
        entries[0]
    );
    // This mirror's lists show 100 entries and a "more" link: kept so.
    assert_eq!(entries.len(), 100);
    assert!(
        list.ends_with("\n\n\n[查看更多](/articles/德国之声)"),
        "{list}"
    );
}

#[test]
fn export_jsonl_streams_every_article() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("compat/feeds"), &tmp.path().join("feeds"));
    std::fs::copy(
        fixtures().join("compat/sources.toml"),
        tmp.path().join("sources.toml"),
    )
    .unwrap();
    let cfg = tmp.path().join("sources.toml");
    assert_eq!(update(&cfg).0, 0);
    let out = newsmirror(&[
        "export",
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let files = markdown_files(&tmp.path().join("archive/articles"));
    assert_eq!(lines.len(), files.len());
    for l in &lines {
        for key in [
            "source",
            "id",
            "path",
            "title",
            "link",
            "guid",
            "published",
            "first_seen",
            "content",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        let path = l["path"].as_str().unwrap();
        let text = std::fs::read_to_string(tmp.path().join("archive").join(path)).unwrap();
        assert!(
            text.contains(&format!(
                "[{}]({})",
                l["title"].as_str().unwrap(),
                l["link"].as_str().unwrap()
            )),
            "{path}"
        );
        assert!(l["published"].as_str().unwrap().ends_with('Z'));
    }
    // --since in the future: nothing; a bad date: exit 2.
    let out = newsmirror(&[
        "export",
        "--config",
        cfg.to_str().unwrap(),
        "--since",
        "2999-01-01",
    ]);
    assert!(out.stdout.is_empty());
    let out = newsmirror(&[
        "export",
        "--config",
        cfg.to_str().unwrap(),
        "--since",
        "yesterday",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn opml_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        "",
        &[("dw", "德国之声", &["https://rss.dw.com/rdf/rss-chi-all"])],
    );
    let c = cfg.to_str().unwrap();
    let opml = fixtures().join("opml/newsboat-example.opml");
    let out = run_ok(&["sources", "import", "--config", c, opml.to_str().unwrap()]);
    assert!(out.contains("7 sources added"), "{out}");
    // Importing again adds nothing.
    let out = run_ok(&["sources", "import", "--config", c, opml.to_str().unwrap()]);
    assert!(out.contains("0 sources added"), "{out}");
    let config = newsmirror::config::Config::load(&cfg).unwrap();
    assert_eq!(config.sources.len(), 8);
    let names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"John's musings") && names.contains(&"Fred on everything"),
        "{names:?}"
    );
    let john = config
        .sources
        .iter()
        .find(|s| s.name == "John's musings")
        .unwrap();
    assert_eq!(john.slug, "john-s-musings");
    assert_eq!(
        john.feeds[0].as_str(),
        "https://blogs.example.com/~john/posts.rss"
    );

    // Export, then import the export into an empty config: the same sources come back.
    let exported = run_ok(&["sources", "export", "--config", c]);
    let exported = &exported[..exported.rfind("</opml>").unwrap() + 7];
    let back = newsmirror::config::opml::feeds_of_opml(exported, Path::new("x.opml")).unwrap();
    assert_eq!(back.len(), 8);
    let tmp2 = tempfile::tempdir().unwrap();
    std::fs::write(tmp2.path().join("export.opml"), exported).unwrap();
    let cfg2 = write_config(tmp2.path(), "", &[]);
    run_ok(&[
        "sources",
        "import",
        "--config",
        cfg2.to_str().unwrap(),
        tmp2.path().join("export.opml").to_str().unwrap(),
    ]);
    let config2 = newsmirror::config::Config::load(&cfg2).unwrap();
    let pairs = |c: &newsmirror::config::Config| -> Vec<(String, String)> {
        c.sources
            .iter()
            .map(|s| (s.name.clone(), s.feeds[0].to_string()))
            .collect()
    };
    assert_eq!(pairs(&config), pairs(&config2));
}
