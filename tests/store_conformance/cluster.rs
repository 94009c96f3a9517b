//! The conformance suite, continued: feed state, readers' change log, claims, rechecks,
//! images and copying, the publisher lock and host slots.

use super::*;

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
        // A connection that ends frees what it held (once the server has seen it close).
        let mut c = db.open();
        let soon = |f: &mut dyn FnMut() -> bool| {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
            loop {
                if f() {
                    return true;
                }
                if std::time::Instant::now() > until {
                    return false;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        };
        assert!(soon(&mut || c.try_host_slot("h:80", 2).unwrap().is_some()));
        drop(a);
        assert!(soon(&mut || c.try_lock_publisher().unwrap()));
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
