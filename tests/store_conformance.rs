//! The store's conformance suite: the same tests against both engines, SQLite (a temp file)
//! and PostgreSQL (a schema of its own on `NEWSMIRROR_TEST_POSTGRES`; "SKIP" without it).
//! Whatever the driver relies on — identity keys unique per source, a commit refused whole
//! when a source's version moved, the change log in commit order, claims that exclude each
//! other, list order byte for byte — holds on both.

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

conformance!(feeds_rechecks_and_state, |db: Db| {
    let mut s = db.open();
    assert_eq!(s.feed_state("u").unwrap(), FeedState::default());
    let st = FeedState {
        etag: Some("e".into()),
        failures: 2,
        next_at_ms: Some(5),
        ..Default::default()
    };
    s.commit_run(&RunChanges {
        feeds: vec![
            ("u2".into(), "b".into(), st.clone()),
            ("u1".into(), "a".into(), st.clone()),
        ],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.feed_state("u1").unwrap(), st);
    let order: Vec<String> = s.feed_rows().unwrap().into_iter().map(|r| r.url).collect();
    assert_eq!(order, ["u1", "u2"]);
    let now = 1_800_000_000_000;
    let mut r = rec(
        "a",
        1048574,
        "articles/a/1048574.md",
        None,
        Some("https://x.example/1"),
    );
    r.first_seen_ms = now - 1000;
    r.link = "https://x.example/1".into();
    add(&mut s, vec![r]);
    let due = s.due_rechecks(now - 10_000, Some(now - 100), now).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(s.recheck_states(now - 10_000).unwrap().len(), 1);
    let state = OperationalState {
        articles: Default::default(),
        feeds: vec![store::FeedStateRow {
            url: "u1".into(),
            source: "a".into(),
            state: st.clone(),
        }],
        rechecks: vec![RecheckState {
            path: "articles/a/1048574.md".into(),
            first_seen_ms: now - 1000,
            checked_ms: Some(now + 50_000),
            etag: None,
            last_modified: None,
        }],
    };
    s.load_operational_state(&state, &["a".to_string()])
        .unwrap();
    assert_eq!(
        s.feed_state("u1").unwrap().etag,
        None,
        "a stale source loses its validators"
    );
    assert_eq!(s.feed_state("u1").unwrap().failures, 2);
    // A check recorded in the future (a clock that ran ahead) is due.
    assert_eq!(
        s.due_rechecks(now - 10_000, Some(now - 100), now)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.operational_state(now - 10_000).unwrap().rechecks.len(), 1);
});

conformance!(readers_and_the_change_log, |db: Db| {
    let mut s = db.open();
    let other = db.open();
    let v0 = other.data_version().unwrap();
    assert_eq!(s.last_change().unwrap(), 0);
    add(
        &mut s,
        (0..5)
            .map(|i| {
                rec(
                    "a",
                    1048574 - i,
                    &format!("articles/a/{}.md", 1048574 - i),
                    None,
                    None,
                )
            })
            .collect(),
    );
    assert_ne!(
        other.data_version().unwrap(),
        v0,
        "another connection's commit shows"
    );
    let first = s.last_change().unwrap();
    assert!(first > 0);
    let all = s.changes_since(0, 100).unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    // An edit moves its article to the end of the log, once.
    let pk = pk_of(&s, "a", 1048572);
    s.commit_run(&RunChanges {
        revisions: vec![NewRevision {
            article: pk,
            n: 2,
            title: "t".into(),
            norm_title: "t".into(),
            content: "c".into(),
            hash: "h".into(),
            seen_ms: 1,
            from_page: false,
            text_key: None,
        }],
        ..Default::default()
    })
    .unwrap();
    let after = s.changes_since(first, 100).unwrap();
    assert_eq!(after.iter().map(|c| c.article).collect::<Vec<_>>(), [pk]);
    assert_eq!(
        s.changes_since(0, 100).unwrap().len(),
        5,
        "one entry per article"
    );
    assert_eq!(s.search_docs(&[pk]).unwrap()[0].title, "t");
    let mut docs = 0;
    s.for_each_search_doc::<store::StoreError>(&mut |_| {
        docs += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(docs, 5);
    let rows = s.newest_rows(Some("a"), 1, 2).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [1048573, 1048572]
    );
    assert_eq!(rows[1].revisions, 2);
    assert_eq!(s.newest_rows(None, 0, 100).unwrap().len(), 5);
    assert_eq!(s.newest_entries(Some("a"), 2).unwrap()[0].id, 1048574);
    let (newer, older) = s
        .neighbours("a", 1_700_000_000_000 + 1048572, 1048572)
        .unwrap();
    assert_eq!((newer.unwrap().id, older.unwrap().id), (1048573, 1048571));
    assert_eq!(s.overview().unwrap()[0].articles, 5);
    let mut exported = Vec::new();
    s.for_each_export::<store::StoreError>(i64::MIN, &mut |a| {
        exported.push((a.id, a.revisions.len()));
        Ok(())
    })
    .unwrap();
    assert_eq!(exported.len(), 5);
    assert_eq!(exported[0], (1048570, 1));
    assert!(exported.contains(&(1048572, 2)));
});

conformance!(claims_exclude_each_other_and_expire, |db: Db| {
    let mut a = db.open();
    let mut b = db.open();
    let slugs: Vec<String> = ["s1", "s2", "s3"].iter().map(|s| s.to_string()).collect();
    let got_a = a.claim_sources("A", &slugs, true, 2, 60_000).unwrap();
    assert_eq!(got_a.len(), 2);
    let got_b = b.claim_sources("B", &slugs, true, 5, 60_000).unwrap();
    assert_eq!(got_b.len(), 1, "the third, only");
    assert!(got_a.iter().all(|c| c.slug != got_b[0].slug));
    assert!(
        b.claim_sources("B", &slugs, false, 5, 60_000)
            .unwrap()
            .is_empty()
    );
    assert_eq!(a.renew_claims("A", 60_000).unwrap(), 2);
    a.release_claims("A", &[got_a[0].slug.clone()]).unwrap();
    let again = b.claim_sources("B", &slugs, false, 5, 60_000).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].slug, got_a[0].slug);
    // A source fetched and not due is not claimed as due, but is with `due_only` off.
    let later = a.clock_ms().unwrap() + 3_600_000;
    a.commit_run(&RunChanges {
        feeds: vec![(
            "u".into(),
            "s4".into(),
            FeedState {
                next_at_ms: Some(later),
                ..Default::default()
            },
        )],
        ..Default::default()
    })
    .unwrap();
    let s4 = vec!["s4".to_string()];
    assert!(
        a.claim_sources("A", &s4, true, 5, 60_000)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        a.claim_sources("A", &s4, false, 5, 60_000).unwrap().len(),
        1
    );
    // A lease that ran out is anyone's.
    let short = vec!["s5".to_string()];
    assert_eq!(a.claim_sources("A", &short, true, 5, 1).unwrap().len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(
        b.claim_sources("B", &short, true, 5, 60_000).unwrap().len(),
        1
    );
    assert_eq!(
        a.renew_claims("A", 60_000).unwrap(),
        2,
        "A keeps its second source and s4, not s5"
    );
});

conformance!(rechecks_are_claimed_once, |db: Db| {
    let mut a = db.open();
    let mut b = db.open();
    let now = a.clock_ms().unwrap();
    add(
        &mut a,
        (0..4)
            .map(|i| {
                let mut r = rec("a", 1048574 - i, &format!("articles/a/{i}.md"), None, None);
                r.link = format!("https://x.example/{i}");
                r.first_seen_ms = now - 1000;
                r
            })
            .collect(),
    );
    let x = a
        .claim_rechecks("A", now - 10_000, None, 3, 60_000)
        .unwrap();
    let y = b
        .claim_rechecks("B", now - 10_000, None, 3, 60_000)
        .unwrap();
    assert_eq!((x.len(), y.len()), (3, 1));
    assert!(
        b.claim_rechecks("B", now - 10_000, None, 3, 60_000)
            .unwrap()
            .is_empty()
    );
    // A recorded check ends the claim; the page is due again only by its schedule.
    a.commit_run(&RunChanges {
        checks: vec![CheckUpdate {
            article: x[0].pk,
            checked_ms: now,
            etag: None,
            last_modified: None,
            missing_since_ms: None,
            event: None,
        }],
        ..Default::default()
    })
    .unwrap();
    let z = b
        .claim_rechecks("B", now - 10_000, None, 3, 60_000)
        .unwrap();
    assert_eq!(z.iter().map(|t| t.pk).collect::<Vec<_>>(), [x[0].pk]);
    assert!(
        b.claim_rechecks("B", now - 10_000, Some(now - 1), 3, 60_000)
            .unwrap()
            .is_empty()
    );
});

conformance!(images_and_copying_an_archive, |db: Db| {
    let mut s = db.open();
    let mut r = rec("a", 1048574, "articles/a/1048574.md", Some("g"), None);
    r.older = vec![store::OldRevision {
        seen_ms: 5,
        title: "旧".into(),
        content: "<p>旧</p>".into(),
        hash: None,
    }];
    add(
        &mut s,
        vec![r, rec("b", 1048574, "articles/b/1048574.md", None, None)],
    );
    s.commit_run(&RunChanges {
        assets: vec![("x.png".into(), vec![1, 2, 3]), ("y.png".into(), vec![4])],
        journal: vec![JournalEntry {
            at: 9,
            kind: JournalKind::Edited,
            path: "articles/a/1048574.md".into(),
            revision: Some(2),
        }],
        feeds: vec![("u".into(), "a".into(), FeedState::default())],
        ..Default::default()
    })
    .unwrap();
    // A repeated image is kept once.
    s.commit_run(&RunChanges {
        assets: vec![("x.png".into(), vec![1, 2, 3])],
        ..Default::default()
    })
    .unwrap();
    let imgs = s.assets_since(0, 10).unwrap();
    assert_eq!(
        imgs.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
        ["x.png", "y.png"]
    );
    assert_eq!(s.assets_since(imgs[0].0, 10).unwrap().len(), 1);
    s.insert_list_extras("a", &[("articles/a/1048000.md".into(), "- x".into())])
        .unwrap();
    let mut pieces = Vec::new();
    s.dump(&mut |d| {
        pieces.push(d);
        Flow::Continue(())
    })
    .unwrap();
    // Into the other engine (SQLite ↔ PostgreSQL when both run, else the same), then back out.
    let target = if s.engine() == store::Engine::Postgres {
        sqlite_db()
    } else {
        postgres_db("dump_target").unwrap_or_else(sqlite_db)
    };
    let mut t = target.open();
    t.load_dump(&pieces).unwrap();
    let mut again = Vec::new();
    t.dump(&mut |d| {
        again.push(d);
        Flow::Continue(())
    })
    .unwrap();
    let without_id = |v: &[Dump]| -> Vec<Dump> {
        v.iter()
            .filter(|d| !matches!(d, Dump::Meta(k, _) if k == store::DATABASE_ID))
            .cloned()
            .collect()
    };
    assert_eq!(without_id(&again), without_id(&pieces));
    assert_eq!(t.counts().unwrap(), s.counts().unwrap());
    assert_eq!(t.revisions(pk_of(&t, "a", 1048574)).unwrap().len(), 2);
    assert_eq!(
        t.changes_since(0, 10).unwrap().len(),
        2,
        "loaded articles enter the change log"
    );
});

conformance!(the_publisher_lock_and_host_slots, |db: Db| {
    let mut a = db.open();
    let mut b = db.open();
    assert!(a.try_lock_publisher().unwrap());
    assert!(a.try_lock_publisher().unwrap(), "taken again by its holder");
    let engine = a.engine();
    if engine == store::Engine::Postgres {
        assert!(!b.try_lock_publisher().unwrap(), "one publisher at a time");
        let s1 = a.try_host_slot("h:80", 2).unwrap();
        let s2 = b.try_host_slot("h:80", 2).unwrap();
        assert!(s1.is_some() && s2.is_some() && s1 != s2);
        assert_eq!(
            a.try_host_slot("h:80", 2).unwrap(),
            None,
            "per_host in total"
        );
        a.release_host_slot("h:80", s1.unwrap()).unwrap();
        assert!(b.try_host_slot("h:80", 2).unwrap().is_some());
        drop(b);
        // A connection that ends frees what it held.
        let mut c = db.open();
        assert!(c.try_host_slot("h:80", 2).unwrap().is_some());
        drop(a);
        assert!(c.try_lock_publisher().unwrap());
        // The delay: each start reserved after the one before.
        let w1 = c.reserve_host_start("d:80", 1000).unwrap();
        let w2 = c.reserve_host_start("d:80", 1000).unwrap();
        assert!(w1 <= 50 && (900..=1100).contains(&w2), "{w1} {w2}");
    } else {
        // One process writes an SQLite archive: the fetcher's own limits hold.
        assert!(b.try_lock_publisher().unwrap());
        assert_eq!(a.try_host_slot("h:80", 1).unwrap(), Some(0));
        assert_eq!(a.reserve_host_start("h:80", 1000).unwrap(), 0);
    }
});
