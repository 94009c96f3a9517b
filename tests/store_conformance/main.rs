//! The store's conformance suite: the same tests against both engines, SQLite (a temp file)
//! and PostgreSQL (a schema of its own on `NEWSMIRROR_TEST_POSTGRES`; "SKIP" without it).
//! Whatever the driver relies on — identity keys unique per source, a commit refused whole
//! when a source's version moved, the change log in commit order, claims that exclude each
//! other, list order byte for byte — holds on both.

#[path = "../common/mod.rs"]
mod common;

use newsmirror::store::{
    self, ArticleRecord, ArticleStatus, CheckUpdate, DbErrorKind, Dump, EnclosureRow, EventKind,
    FeedState, Flow, JournalEntry, JournalKind, Location, NewRevision, OperationalState,
    RecheckState, RunChanges, Store,
};

/// A database of one engine for one test, and what keeps it alive.
struct Db {
    loc: Location,
    _keep: Box<dyn std::any::Any>,
}

impl Db {
    fn open(&self) -> Store {
        store::open(&self.loc).expect("opens").0
    }
}

fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    Db {
        loc: Location::Sqlite(dir.path().join("t.sqlite")),
        _keep: Box::new(dir),
    }
}

fn postgres_db(test: &str) -> Option<Db> {
    let s = common::pg::schema(test)?;
    Some(Db {
        loc: Location::Postgres(s.url.clone()),
        _keep: Box::new(s),
    })
}

/// `conformance!(name, body)`: `name_sqlite` and `name_postgres`, each running `body(db)`.
macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                ($body)(super::sqlite_db());
            }
            #[test]
            fn postgres() {
                if let Some(db) = super::postgres_db(stringify!($name)) {
                    ($body)(db);
                }
            }
        }
    };
}

fn rec(
    source: &str,
    id: i64,
    path: &str,
    guid: Option<&str>,
    canon: Option<&str>,
) -> ArticleRecord {
    ArticleRecord {
        source: source.into(),
        id,
        path: path.into(),
        guid: guid.map(Into::into),
        link: canon.unwrap_or("https://x.example/none").into(),
        canon: canon.map(Into::into),
        title: format!("标题 {id}"),
        norm_title: format!("标题{id}"),
        published_ms: 1_700_000_000_000 + id,
        first_seen_ms: 1_700_000_000_000,
        content: format!("<p>正文 {id}</p>"),
        verbatim: false,
        hash: Some(format!("h{id}")),
        text_key: Some(format!("k{id}")),
        enclosure: None,
        feed_hash: Some(format!("f{id}")),
        from_page: false,
        older: Vec::new(),
        seen_ms: None,
        enclosures: Vec::new(),
    }
}

fn add(store: &mut Store, rows: Vec<ArticleRecord>) {
    store
        .commit_run(&RunChanges {
            articles: rows,
            ..Default::default()
        })
        .expect("committed");
}

fn pk_of(store: &Store, source: &str, id: i64) -> i64 {
    store.article(source, id).unwrap().expect("there").pk
}

conformance!(meta_and_identity, |db: Db| {
    let s = db.open();
    assert_eq!(s.meta("k").unwrap(), None);
    s.set_meta("k", Some("v")).unwrap();
    s.set_meta("k", Some("w")).unwrap();
    assert_eq!(s.meta("k").unwrap().as_deref(), Some("w"));
    s.set_meta("k", None).unwrap();
    assert_eq!(s.meta("k").unwrap(), None);
    assert!(s.integrity_check().unwrap().is_empty());
    assert_eq!(s.database_id().unwrap().len(), 32);
    let clock = s.clock_ms().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    assert!((clock - now).abs() < 60_000, "{clock} vs {now}");
});

conformance!(keys_are_unique_per_source, |db: Db| {
    let mut s = db.open();
    add(
        &mut s,
        vec![
            rec(
                "a",
                1048574,
                "articles/a/1048574.md",
                Some("g1"),
                Some("https://x.example/1"),
            ),
            // No key: any number of them.
            rec("a", 1048573, "articles/a/1048573.md", None, None),
            rec("a", 1048572, "articles/a/1048572.md", None, None),
            // The same keys in another source.
            rec(
                "b",
                1048574,
                "articles/b/1048574.md",
                Some("g1"),
                Some("https://x.example/1"),
            ),
        ],
    );
    for (what, r) in [
        (
            "guid",
            rec("a", 1048571, "articles/a/1048571.md", Some("g1"), None),
        ),
        (
            "canon",
            rec(
                "a",
                1048571,
                "articles/a/1048571.md",
                None,
                Some("https://x.example/1"),
            ),
        ),
        ("id", rec("a", 1048574, "articles/a/other.md", None, None)),
        (
            "path",
            rec("a", 1048570, "articles/a/1048574.md", None, None),
        ),
    ] {
        let e = s
            .commit_run(&RunChanges {
                articles: vec![rec("a", 1048560, "articles/a/1048560.md", None, None), r],
                ..Default::default()
            })
            .expect_err(what);
        assert_eq!(e.kind(), DbErrorKind::Conflict, "{what}: {e}");
        // Nothing of the refused commit was written.
        assert!(s.article("a", 1048560).unwrap().is_none(), "{what}");
    }
    assert_eq!(s.count_of("a").unwrap(), 3);
    assert_eq!(s.min_id("a").unwrap(), Some(1048572));
    assert_eq!(s.min_id("none").unwrap(), None);
});

conformance!(a_moved_version_refuses_the_whole_commit, |db: Db| {
    let mut s = db.open();
    assert_eq!(s.source_version("a").unwrap(), 0);
    let mut first = RunChanges {
        articles: vec![rec("a", 1048574, "articles/a/1048574.md", Some("g1"), None)],
        ..Default::default()
    };
    first.expect.push(("a".into(), 0));
    s.commit_run(&first).unwrap();
    let v = s.source_version("a").unwrap();
    assert!(v > 0);
    // Another run read version 0 too: its commit is refused, feeds and all.
    let mut late = RunChanges {
        articles: vec![rec("a", 1048574, "articles/a/1048574.md", Some("g2"), None)],
        feeds: vec![(
            "https://x.example/f".into(),
            "a".into(),
            FeedState::default(),
        )],
        ..Default::default()
    };
    late.expect.push(("a".into(), 0));
    let e = s.commit_run(&late).unwrap_err();
    assert_eq!(e.kind(), DbErrorKind::Conflict, "{e}");
    assert!(s.feed_rows().unwrap().is_empty());
    // Against the version it reads now, it goes through (with a fresh id).
    late.expect = vec![("a".into(), v)];
    late.articles = vec![rec("a", 1048573, "articles/a/1048573.md", Some("g2"), None)];
    s.commit_run(&late).unwrap();
    assert!(s.source_version("a").unwrap() > v);
    // A commit that touches nothing of a source leaves its version alone.
    let v = s.source_version("a").unwrap();
    s.commit_run(&RunChanges {
        meta: vec![("x".into(), Some("y".into()))],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.source_version("a").unwrap(), v);
});

conformance!(candidates_lists_and_renders, |db: Db| {
    let mut s = db.open();
    let mut rows = vec![
        rec(
            "a",
            1048574,
            "articles/a/1048574.md",
            Some("g1"),
            Some("https://x.example/1"),
        ),
        rec("a", 1048573, "articles/a/1048573.md", None, None),
        rec("a", 1048572, "articles/a/2024/1048572.md", None, None),
        rec("a", 1048571, "articles/a/Z.md", None, None),
    ];
    rows[1].norm_title = "同题".into();
    rows[2].norm_title = "同题".into();
    rows[3].verbatim = true;
    rows[0].enclosures = vec![EnclosureRow {
        url: "https://x.example/e.mp3".into(),
        mime_type: Some("audio/mpeg".into()),
        length: Some(7),
        title: None,
        description: Some("d".into()),
        kind: "enclosure".into(),
    }];
    add(&mut s, rows.clone());
    let by = |g: Option<&str>, c: Option<&str>, t: &str, k: Option<&str>| -> Vec<i64> {
        let mut v: Vec<i64> = s
            .candidates("a", g, c, t, k)
            .unwrap()
            .into_iter()
            .map(|c| s.article_by_pk(c.pk).unwrap().unwrap().id)
            .collect();
        v.sort();
        v
    };
    assert_eq!(by(Some("g1"), None, "", None), [1048574]);
    assert_eq!(by(None, Some("https://x.example/1"), "", None), [1048574]);
    assert_eq!(by(None, None, "同题", None), [1048572, 1048573]);
    assert_eq!(by(None, None, "", Some("k1048571")), [1048571]);
    assert!(by(None, None, "", None).is_empty());
    let c = &s.candidates("a", Some("g1"), None, "", None).unwrap()[0];
    assert_eq!(
        (c.revision, c.hash.as_deref(), c.feed_hash.as_deref()),
        (1, Some("h1048574"), Some("f1048574"))
    );
    // Lists: paths in byte order (a year folder sorts before file names), or by id.
    s.insert_list_extras("a", &[("articles/a/1048570.md".into(), "- line".into())])
        .unwrap();
    let paths: Vec<String> = s
        .list_rows("a", 100, false, true)
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        paths,
        [
            "articles/a/1048570.md",
            "articles/a/1048573.md",
            "articles/a/1048574.md",
            "articles/a/2024/1048572.md",
            "articles/a/Z.md"
        ]
    );
    let ids: Vec<String> = s
        .list_rows("a", 2, true, false)
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(ids, ["articles/a/Z.md", "articles/a/2024/1048572.md"]);
    assert_eq!(s.min_id("a").unwrap(), Some(1048570));
    // Rendered: all but the verbatim file.
    let mut rendered = Vec::new();
    s.for_each_rendered_article::<store::StoreError>(&mut |a| {
        rendered.push(a.path);
        Ok(())
    })
    .unwrap();
    rendered.sort();
    assert_eq!(rendered.len(), 3);
    let pks: Vec<i64> = [1048574, 1048571]
        .iter()
        .map(|id| pk_of(&s, "a", *id))
        .collect();
    let some = s.rendered_articles(&pks).unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].content, "<p>正文 1048574</p>");
    assert_eq!(
        s.enclosures_at("a", "articles/a/1048574.md").unwrap(),
        rows[0].enclosures
    );
    assert!(
        s.enclosures_at("a", "articles/a/1048573.md")
            .unwrap()
            .is_empty()
    );
    let known = s.known_paths("a").unwrap();
    assert_eq!(known.len(), 4);
    assert_eq!(s.counts().unwrap().len(), 1);
    assert_eq!(s.delete_source("a").unwrap(), 4);
    assert!(s.counts().unwrap().is_empty());
    assert_eq!(s.min_id("a").unwrap(), None);
});

conformance!(revisions_events_and_journal, |db: Db| {
    let mut s = db.open();
    add(
        &mut s,
        vec![rec("a", 1048574, "articles/a/1048574.md", None, None)],
    );
    let pk = pk_of(&s, "a", 1048574);
    let at = 1_700_000_100_000;
    s.commit_run(&RunChanges {
        revisions: vec![NewRevision {
            article: pk,
            n: 2,
            title: "新标题".into(),
            norm_title: "新标题".into(),
            content: "<p>改过</p>".into(),
            hash: "h2".into(),
            seen_ms: at,
            from_page: true,
            text_key: Some("k2".into()),
        }],
        checks: vec![CheckUpdate {
            article: pk,
            checked_ms: at + 5,
            etag: Some("\"e\"".into()),
            last_modified: None,
            missing_since_ms: Some(at + 5),
            event: Some((EventKind::Removed, at + 5)),
        }],
        ..Default::default()
    })
    .unwrap();
    let revs = s.revisions(pk).unwrap();
    assert_eq!(revs.iter().map(|r| r.n).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(s.latest_revision(pk).unwrap().unwrap().title, "新标题");
    let info = s.article_by_pk(pk).unwrap().unwrap();
    assert_eq!(
        (info.title.as_str(), info.status),
        ("新标题", ArticleStatus::Removed)
    );
    let kinds: Vec<EventKind> = s
        .events_of(pk)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [EventKind::Edited, EventKind::Removed]);
    let between: Vec<i64> = s
        .events_between(at, at + 10)
        .unwrap()
        .into_iter()
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(between, [at + 5, at], "newest first");
    assert_eq!(
        s.candidates("a", None, None, "", Some("k2")).unwrap().len(),
        1
    );
    let mut older = Vec::new();
    s.for_each_older_revision::<store::StoreError>(&mut |r| {
        older.push((r.path, r.n));
        Ok(())
    })
    .unwrap();
    assert_eq!(older, [("articles/a/1048574.md".to_string(), 1)]);
    assert_eq!(s.older_revisions_of(&[pk]).unwrap().len(), 1);
    assert_eq!(s.pending_sightings().unwrap(), []);
    // The journal replayed: a restoration applies once, a repeat changes nothing.
    let entries = [JournalEntry {
        at: at + 50,
        kind: JournalKind::Restored,
        path: "articles/a/1048574.md".into(),
        revision: None,
    }];
    assert_eq!(s.apply_journal(&entries).unwrap(), 1);
    assert_eq!(s.apply_journal(&entries).unwrap(), 0);
    assert_eq!(
        s.article_by_pk(pk).unwrap().unwrap().status,
        ArticleStatus::Live
    );
    // Journal entries kept in the database (when it is the truth), in the order recorded.
    let j = |at: i64, path: &str| JournalEntry {
        at,
        kind: JournalKind::Missing,
        path: path.into(),
        revision: None,
    };
    s.commit_run(&RunChanges {
        journal: vec![j(at + 2, "p2"), j(at + 1, "p1")],
        ..Default::default()
    })
    .unwrap();
    let since = s.journal_since(0).unwrap();
    assert_eq!(since.len(), 2);
    assert!(since[0].0 < since[1].0);
    assert_eq!(s.journal_since(since[0].0).unwrap().len(), 1);
    let paths: Vec<String> = s
        .journal_between(at, at + 2)
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(paths, ["p1"]);
    assert_eq!(s.journal_between(at, at + 10).unwrap()[0].path, "p2");
});

// Feeds, readers, claims, images, locks: the cluster's side.
mod cluster;
