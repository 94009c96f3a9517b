//! Issue 11 findings of the black-box attackers (`attack-lost`, `attack-feeds`), each through
//! the binary on loopback feeds, on a persistent mirror and on fresh runners (the database
//! deleted before every run, with or without the cached `.newsmirror/state.json`): identity
//! never merges two articles nor duplicates one, whether or not the database was rebuilt;
//! pages never degrade an article; a run whose work was never published loses nothing.

mod common;

use std::path::{Path, PathBuf};

use common::server::{Answer, Server};
use common::*;

/// How each run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    /// One machine, its database kept.
    Persistent,
    /// The GitHub Actions flow: the checkout and the cached state file, no database.
    Fresh,
    /// A fresh runner without the state cache: the checkout only.
    Bare,
}

const RUNNERS: [Runner; 3] = [Runner::Persistent, Runner::Fresh, Runner::Bare];

/// One RSS item, raw (every field optional).
#[derive(Default, Clone)]
struct It {
    guid: Option<String>,
    link: Option<String>,
    title: Option<String>,
    date: Option<String>,
    text: Option<String>,
    enclosure: Option<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn feed(items: &[It]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link><description>d</description>\n",
    );
    for it in items {
        out.push_str("<item>");
        if let Some(t) = &it.title {
            out.push_str(&format!("<title>{}</title>", esc(t)));
        }
        if let Some(l) = &it.link {
            out.push_str(&format!("<link>{}</link>", esc(l)));
        }
        if let Some(g) = &it.guid {
            out.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", esc(g)));
        }
        if let Some(e) = &it.enclosure {
            out.push_str(&format!(
                "<enclosure url=\"{}\" length=\"1000\" type=\"audio/mpeg\"/>",
                esc(e)
            ));
        }
        if let Some(d) = &it.date {
            out.push_str(&format!("<pubDate>{d}</pubDate>"));
        }
        if let Some(t) = &it.text {
            out.push_str(&format!("<description>{}</description>", esc(t)));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel></rss>\n");
    out
}

fn day(d: i64) -> String {
    chrono::DateTime::from_timestamp(1_780_000_000 + d * 86_400, 0)
        .unwrap()
        .to_rfc2822()
}

/// A mirror of one source `s` whose feed is served on loopback (with an `ETag`: conditional
/// requests are answered 304).
struct Mirror {
    tmp: tempfile::TempDir,
    server: Server,
    cfg: PathBuf,
    version: std::cell::Cell<usize>,
}

impl Mirror {
    fn new(fulltext: &str) -> Mirror {
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start();
        let url = server.url("/feed");
        let cfg = tmp.path().join("newsmirror.toml");
        std::fs::write(
            &cfg,
            format!(
                "[archive]\ndir = \"archive\"\n[fetch]\nretries = 0\ntimeout = \"3s\"\n\
                 [[sources]]\nslug = \"s\"\nname = \"S\"\nfulltext = \"{fulltext}\"\nfeeds = [\"{url}\"]\n"
            ),
        )
        .unwrap();
        Mirror {
            tmp,
            server,
            cfg,
            version: std::cell::Cell::new(0),
        }
    }

    fn archive(&self) -> PathBuf {
        self.tmp.path().join("archive")
    }

    /// Serves `items` as the feed, under a new `ETag`.
    fn serve(&self, items: &[It]) {
        self.version.set(self.version.get() + 1);
        self.server.route(
            "/feed",
            rss_answer(feed(items), &format!("v{}", self.version.get())),
        );
    }

    fn page(&self, path: &str, html: &str) {
        self.server.route(
            path,
            Answer::ok("text/html; charset=utf-8", html.to_string()),
        );
    }

    /// One `update`, as `runner` starts it; its output (standard output, then errors).
    fn run(&self, runner: Runner) -> String {
        match runner {
            Runner::Persistent => {}
            Runner::Fresh => delete_database(&self.archive()),
            Runner::Bare => {
                let _ = std::fs::remove_dir_all(self.archive().join(".newsmirror"));
            }
        }
        let (code, out, err) = update(&self.cfg);
        assert_eq!(code, 0, "{runner:?}: {out}{err}");
        out + &err
    }

    /// The article files, by name.
    fn articles(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = std::fs::read_dir(self.archive().join("articles/s"))
            .map(|d| {
                d.map(|e| {
                    let e = e.unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned(),
                    )
                })
                .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }
}

/// The archive's files, without the internal state (what a push publishes).
fn published(archive: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree(archive)
        .into_iter()
        .filter(|(k, _)| !k.starts_with(".newsmirror"))
        .collect()
}

/// A four-paragraph article text.
fn body(n: usize, extra: &str) -> String {
    let words = [
        "政府", "宣布", "新的", "措施", "地铁", "延长", "运营", "时间", "台风", "登陆", "沿海",
        "地区", "气象", "部门", "发布", "预警", "央行", "下调", "利率", "释放",
    ];
    (0..4)
        .map(|p| {
            let s: String = (0..30)
                .map(|w| words[(n * 7 + p * 3 + w * (n + p + 1)) % words.len()])
                .collect();
            format!("<p>{extra}第{n}篇第{p}段：{s}。</p>")
        })
        .collect()
}

/// attack-lost F1: a run archived an edit (no new article) and its push failed; the cached
/// state file must not hide that edit from the next fresh runner.
#[test]
fn an_edit_whose_push_failed_is_archived_by_the_next_runner() {
    let m = Mirror::new("feed");
    let items = |edited: bool| -> Vec<It> {
        (0..3)
            .map(|i| It {
                guid: Some(format!("g{i}")),
                link: Some(format!("https://x.example/a/{i}")),
                title: Some(format!("标题{i}")),
                date: Some(day(i)),
                text: Some(body(
                    i as usize,
                    if edited && i == 1 { "更正：" } else { "" },
                )),
                ..Default::default()
            })
            .collect()
    };
    m.serve(&items(false));
    m.run(Runner::Fresh);
    let pushed = published(&m.archive());
    let edited = |m: &Mirror| m.articles().iter().any(|(_, t)| t.contains("更正："));
    m.serve(&items(true));
    m.run(Runner::Fresh);
    assert!(edited(&m), "{:?}", m.articles());
    // The push was rejected: the next runner's checkout is the files as they were, with the
    // state file the failed run saved.
    for (rel, _) in published(&m.archive()) {
        std::fs::remove_file(m.archive().join(rel)).unwrap();
    }
    for (rel, bytes) in &pushed {
        let p = m.archive().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    assert!(!edited(&m));
    let out = m.run(Runner::Fresh);
    assert!(edited(&m), "the edit archived again: {out}");
    let revisions = std::fs::read_dir(m.archive().join("revisions/s"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(revisions, 1, "the older text kept under revisions/");
}

/// attack-lost F2: the same inputs make the same archive whether or not the database was
/// rebuilt from the files (the guid and the other identity keys are kept as evidence).
#[test]
fn identity_is_the_same_on_a_rebuilt_database() {
    let cases = [
        // Same guid and text, a new title and link (slug): one article.
        (
            ("g1", "标题甲", "/a/old", ""),
            ("g1", "标题乙", "/a/new", ""),
            1,
        ),
        // A new guid at the same link, a new title and edited text: the link is shared by
        // distinct guids (the decision table's row 7): two articles.
        (
            ("g1", "标题甲", "/a/old", ""),
            ("g2", "标题乙", "/a/old", "更新："),
            2,
        ),
        // Same guid and title at a new link, lightly edited text: one article, edited.
        (
            ("g1", "标题甲", "/a/old", ""),
            ("g1", "标题甲", "/a/new", "更新："),
            1,
        ),
    ];
    for (i, (a, b, want)) in cases.into_iter().enumerate() {
        for runner in RUNNERS {
            let m = Mirror::new("feed");
            let it = |(guid, title, link, extra): (&str, &str, &str, &str)| It {
                guid: Some(guid.into()),
                title: Some(title.into()),
                link: Some(format!("https://x.example{link}")),
                date: Some(day(0)),
                text: Some(body(1, extra)),
                ..Default::default()
            };
            m.serve(&[it(a)]);
            m.run(runner);
            m.serve(&[it(b)]);
            m.run(runner);
            m.run(runner);
            assert_eq!(m.articles().len(), want, "case {i}, {runner:?}");
        }
    }
}

/// A market bulletin of day `i`: one template, other numbers.
fn market(i: usize) -> String {
    let a = 3000.0 + (i * 37 % 400) as f64 + 0.13 * i as f64;
    let c = 9000.0 + (i * 211 % 2000) as f64 + 0.29 * i as f64;
    let up = i.is_multiple_of(2);
    format!(
        "<p>2026年11月{}日，沪深股市收盘。上证指数收于{a:.2}点，{}{:.2}%；深证成指收于{c:.2}点，{}{:.2}%。</p>\
         <p>两市成交额合计{}亿元，较前一交易日{}{}亿元。北向资金净{}{:.2}亿元。</p>\
         <p>板块方面，{}板块领涨，{}板块领跌。</p>",
        i + 1,
        if up { "上涨" } else { "下跌" },
        0.3 + i as f64 * 0.17,
        if up { "下跌" } else { "上涨" },
        0.2 + i as f64 * 0.09,
        7000 + i * 613 % 5000,
        if i.is_multiple_of(3) {
            "增加"
        } else {
            "减少"
        },
        100 + i * 97 % 800,
        if i % 2 == 1 { "买入" } else { "卖出" },
        1.0 + i as f64 * 7.3,
        ["半导体", "银行", "白酒", "新能源", "医药", "地产", "券商"][i % 7],
        ["煤炭", "钢铁", "军工", "传媒", "旅游", "航运", "化工"][(i + 3) % 7],
    )
}

/// attack-lost F3: daily bulletins written from one template, one title, distinct guids,
/// links, dates and numbers: seven articles.
#[test]
fn bulletins_from_one_template_are_distinct_articles() {
    for runner in [Runner::Persistent, Runner::Bare] {
        let m = Mirror::new("feed");
        let items: Vec<It> = (0..7)
            .map(|i| It {
                guid: Some(format!("market-{i}")),
                title: Some("沪深股市收盘".into()),
                link: Some(format!("https://x.example/market/{i}")),
                date: Some(day(i as i64)),
                text: Some(market(i)),
                ..Default::default()
            })
            .collect();
        m.serve(&items);
        m.run(runner);
        m.serve(&items);
        m.run(runner);
        assert_eq!(m.articles().len(), 7, "{runner:?}");
    }
}

/// attack-lost F4: items with only a title are archived once, also by fresh runners.
#[test]
fn items_with_only_a_title_are_archived_once() {
    for runner in RUNNERS {
        let m = Mirror::new("feed");
        let items: Vec<It> = (0..5)
            .map(|i| It {
                title: Some(format!("只有标题{i}")),
                ..Default::default()
            })
            .collect();
        for v in 0..3 {
            // A new ETag each time: the feed is read again.
            let _ = v;
            m.serve(&items);
            m.run(runner);
        }
        assert_eq!(m.articles().len(), 5, "{runner:?}");
    }
}

/// A page holding `text` as its article.
fn page(title: &str, text: &str) -> String {
    format!(
        "<html><head><title>{title}</title></head><body><nav>首页 国际 财经</nav><article><h1>{title}</h1>{text}</article><aside>推荐阅读</aside><footer>版权所有</footer></body></html>"
    )
}

/// A long article text (about 1,800 characters).
fn long_text(n: usize) -> String {
    (0..6)
        .map(|p| {
            format!(
                "<p>{}</p>",
                format!("第{n}篇文章第{p}段，记者从有关部门获悉，相关调查仍在进行中，详细情况将另行公布。")
                    .repeat(6)
            )
        })
        .collect()
}

/// attack-lost F5: a "page not found" answered with 200, or a paywalled stub, never replaces
/// an article's full text (the teaser changed, so the page is fetched again).
#[test]
fn an_error_or_paywall_page_never_replaces_full_text() {
    let full = long_text(1);
    let soft404 = "<html><head><title>页面不存在</title></head><body><nav>首页 国际 财经</nav><div class=\"error\"><h1>抱歉，您访问的页面不存在或已被删除</h1><p>请返回首页</p></div><footer>版权所有</footer></body></html>".to_string();
    let stub = format!(
        "<html><head><title>一篇长文章</title></head><body><nav>首页</nav><article><h1>一篇长文章</h1><p>{}</p><div class=\"paywall\">订阅后阅读全文。</div></article><footer>版权所有</footer></body></html>",
        "第1篇文章第0段，记者从有关部门获悉，相关调查仍在进行中。"
    );
    for (label, bad) in [("soft 404", soft404), ("paywall", stub)] {
        for runner in RUNNERS {
            let m = Mirror::new("auto");
            let link = m.server.url("/p/1");
            let item = |desc: &str| It {
                guid: Some("t1".into()),
                title: Some("一篇长文章".into()),
                link: Some(link.clone()),
                date: Some(day(0)),
                text: Some(desc.into()),
                ..Default::default()
            };
            m.page("/p/1", &page("一篇长文章", &full));
            m.serve(&[item("<p>这是摘要。</p>")]);
            m.run(runner);
            let before = m.articles();
            assert!(before[0].1.contains("详细情况将另行公布"), "{before:?}");
            m.page("/p/1", &bad);
            m.serve(&[item("<p>这是修改后的摘要，内容不同。</p>")]);
            let out = m.run(runner);
            m.run(runner);
            assert_eq!(m.articles(), before, "{label}, {runner:?}: {out}");
        }
    }
}

/// attack-lost F6: on a fresh runner, one new item does not re-fetch the pages of the feed's
/// other items, nor rewrite their articles (now paywalled pages).
#[test]
fn a_fresh_runner_fetches_only_the_new_items_page() {
    for runner in RUNNERS {
        let m = Mirror::new("auto");
        let items = |n: usize| -> Vec<It> {
            (0..n)
                .map(|i| It {
                    guid: Some(format!("g{i}")),
                    title: Some(format!("文章{i}")),
                    link: Some(m.server.url(&format!("/p/{i}"))),
                    date: Some(day(i as i64)),
                    text: Some(format!("<p>摘要{i}</p>")),
                    ..Default::default()
                })
                .collect()
        };
        for i in 0..5 {
            m.page(
                &format!("/p/{i}"),
                &page(&format!("文章{i}"), &long_text(i)),
            );
        }
        m.serve(&items(4));
        m.run(runner);
        let before = m.articles();
        assert_eq!(before.len(), 4);
        for i in 0..4 {
            m.page(
                &format!("/p/{i}"),
                &page(&format!("文章{i}"), "<p>订阅后阅读全文。</p>"),
            );
        }
        let hits: Vec<usize> = (0..4).map(|i| m.server.hits(&format!("/p/{i}"))).collect();
        m.serve(&items(5));
        let out = m.run(runner);
        assert!(out.contains("1 new"), "{out}");
        assert_eq!(
            (0..4)
                .map(|i| m.server.hits(&format!("/p/{i}")))
                .collect::<Vec<_>>(),
            hits,
            "{runner:?}: old pages not fetched again"
        );
        let after = m.articles();
        assert_eq!(after.len(), 5);
        for old in &before {
            assert!(after.contains(old), "{runner:?}: {} unchanged", old.0);
        }
    }
}

/// attack-feeds F6: two articles with one title a year apart (own guid, link and text; the
/// newer repeating the older's introduction) are two articles.
#[test]
fn one_title_a_year_apart_is_two_articles() {
    let intro = "<p>We are committed to increasing diversity at GTAC, and we believe the best way to do that is by making sure we have a diverse set of applicants to speak and attend.</p>";
    for runner in [Runner::Persistent, Runner::Bare] {
        let m = Mirror::new("feed");
        let items = [
            It {
                guid: Some("http://col.example/2017/gtac".into()),
                link: Some("http://col.example/2017/gtac".into()),
                title: Some("GTAC Diversity Scholarship".into()),
                date: Some("Mon, 22 May 2017 14:03:00 GMT".into()),
                text: Some(format!(
                    "{intro}<p>As part of that commitment, we are excited to announce the scholarship for this year.</p>"
                )),
                ..Default::default()
            },
            It {
                guid: Some("http://col.example/2016/gtac".into()),
                link: Some("http://col.example/2016/gtac".into()),
                title: Some("GTAC Diversity Scholarship".into()),
                date: Some("Wed, 04 May 2016 14:32:00 GMT".into()),
                text: Some(intro.into()),
                ..Default::default()
            },
        ];
        m.serve(&items);
        m.run(runner);
        m.serve(&items);
        m.run(runner);
        assert_eq!(m.articles().len(), 2, "{runner:?}");
    }
}

/// attack-feeds F6 on the real feeds the finding names: every distinct item archived, none
/// added by a rerun on a rebuilt database.
#[test]
fn real_feeds_with_repeated_titles_keep_every_article() {
    let dir = fixtures().join("feeds-in");
    for (name, items) in [("many-links.rss", 25), ("content-encoded.rss", 7)] {
        let path = dir.join(name);
        if !path.exists() {
            println!("SKIP: {} not found", path.display());
            continue;
        }
        let m = Mirror::new("feed");
        m.server.route(
            "/feed",
            rss_answer(std::fs::read_to_string(&path).unwrap(), "v1"),
        );
        m.run(Runner::Persistent);
        assert_eq!(m.articles().len(), items, "{name}");
        m.run(Runner::Bare);
        assert_eq!(m.articles().len(), items, "{name}, rebuilt");
    }
}

/// attack-feeds F1: items known only by their enclosure are archived once; an item that holds
/// nothing at all is archived once (as feedparser counts it), never again and again.
#[test]
fn items_known_by_an_enclosure_only_are_archived_once() {
    for runner in RUNNERS {
        let m = Mirror::new("feed");
        let mut items: Vec<It> = (1..=2)
            .map(|i| It {
                date: Some(day(i)),
                enclosure: Some(format!("http://pod.example/ep{i}.mp3")),
                ..Default::default()
            })
            .collect();
        // Two empty entries in one document: two entries (as feedparser counts them).
        items.push(It::default());
        items.push(It::default());
        for _ in 0..3 {
            m.serve(&items);
            m.run(runner);
        }
        assert_eq!(m.articles().len(), 4, "{runner:?}");
    }
}

/// attack-lost F2 (crash side): a run killed between its files and its commit leaves files
/// that the next run adopts with their guids (the evidence is written ahead of the files), so
/// identity after the crash is what it would have been.
#[test]
fn articles_adopted_after_a_crash_keep_their_guids() {
    if !has_failpoints() {
        println!("SKIP: built without the failpoints feature");
        return;
    }
    for point in [
        "update::evidence_written",
        "update::article_file_written",
        "update::files_written",
        "commit::flushed",
    ] {
        let m = Mirror::new("feed");
        let items: Vec<It> = (0..3)
            .map(|i| It {
                guid: Some(format!("guid-{i}")),
                link: Some(format!("https://x.example/a/{i}")),
                title: Some(format!("标题{i}")),
                date: Some(day(i)),
                text: Some(body(i as usize, "")),
                ..Default::default()
            })
            .collect();
        m.serve(&items);
        let out = command(&["update", "--config", m.cfg.to_str().unwrap()])
            .env("FAILPOINTS", format!("{point}=return"))
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{point}: the run was killed");
        m.run(Runner::Persistent);
        for runner in [Runner::Persistent, Runner::Fresh] {
            if runner == Runner::Fresh {
                delete_database(&m.archive());
            }
            let out = newsmirror(&["export", "--config", m.cfg.to_str().unwrap()]);
            let text = String::from_utf8_lossy(&out.stdout);
            let guids: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["guid"].clone())
                .collect();
            assert_eq!(guids.len(), 3, "{point}: {text}");
            assert!(
                guids.iter().all(|g| g.is_string()),
                "{point}, {runner:?}: {guids:?}"
            );
        }
    }
}

/// attack-feeds F2: a truncated document never archives its torn last item (a link cut
/// short, a title cut); the item is archived once, whole, when the feed is read whole.
#[test]
fn a_truncated_feed_never_archives_a_torn_item() {
    for runner in [Runner::Persistent, Runner::Bare] {
        let m = Mirror::new("feed");
        let whole = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title><item><title>Story one</title><link>http://x.example/s1</link><description>Full text of story one.</description></item><item><title>Story two</title><link>http://x.example/s2</link><description>Full text of story two, complete.</description></item></channel></rss>";
        let mut outs = Vec::new();
        for cut in ["http://x.examp", "<title>Story tw"] {
            let at = whole.rfind(cut).unwrap() + cut.len();
            m.server
                .route("/feed", rss_answer_unframed(whole[..at].to_string(), "v1"));
            outs.push(m.run(runner));
        }
        m.server.route("/feed", rss_answer(whole.to_string(), "v2"));
        m.run(runner);
        m.run(runner);
        let files = m.articles();
        assert_eq!(files.len(), 2, "{runner:?}: {files:?}");
        assert!(
            files
                .iter()
                .any(|(_, t)| t.contains("(http://x.example/s2)")
                    && t.contains("story two, complete"))
        );
        assert!(!m.archive().join("revisions").exists(), "no torn revision");
        assert!(outs.iter().all(|o| o.contains("truncated")), "{outs:?}");
    }
}

/// verify-lost V8 / V1: a feed that just stops (the connection closed mid-body) under the
/// whole document's `ETag`, cut anywhere (between items, after a title, inside a CDATA
/// content): the torn item is never archived, no item's text absorbs the rest of the
/// document, and the validators are not kept, so the next run reads the feed whole and
/// archives every item, once and whole.
#[test]
fn a_feed_cut_anywhere_keeps_no_validators_and_loses_no_item() {
    let mut whole = String::from(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>T</title>",
    );
    for i in 0..6 {
        whole.push_str(&format!(
            "<item><title>标题{i}</title><link>http://x.example/s{i}</link><guid>g{i}</guid><pubDate>{}</pubDate><content:encoded><![CDATA[<p>第{i}篇全文，内容完整。</p>]]></content:encoded></item>\n",
            day(i)
        ));
    }
    whole.push_str("</channel></rss>\n");
    let cuts = [
        "<item><title>标题3</title>", // between items
        "<item><title>标题4</title>", // after a title
        "<item><title>标题4</title><link>http://x.example/s4</link><guid>g4</guid><pubDate>", // inside a date
        "<content:encoded><![CDATA[<p>第4篇", // inside content
    ];
    for (k, cut) in cuts.iter().enumerate() {
        for runner in [Runner::Persistent, Runner::Fresh] {
            let m = Mirror::new("feed");
            let at = if k == 0 {
                whole.find(cut).unwrap()
            } else {
                whole.find(cut).unwrap() + cut.len()
            };
            m.server.route(
                "/feed",
                rss_answer_unframed(whole[..at].to_string(), "full"),
            );
            let out = m.run(runner);
            assert!(out.contains("truncated"), "{cut}: {out}");
            let cut_files = m.articles();
            assert!(cut_files.len() < 6, "{cut}, {runner:?}: {cut_files:?}");
            for (name, text) in &cut_files {
                assert!(
                    text.contains("全文，内容完整"),
                    "{cut}: {name} torn: {text}"
                );
                assert!(
                    !text.contains("http://x.example/s5"),
                    "{cut}: {name} absorbed: {text}"
                );
            }
            m.server.route("/feed", rss_answer(whole.clone(), "full"));
            let out = m.run(runner);
            m.run(runner);
            let files = m.articles();
            assert_eq!(files.len(), 6, "{cut}, {runner:?}: {out} {files:?}");
            for i in 0..6 {
                assert!(
                    files
                        .iter()
                        .any(|(_, t)| t.contains(&format!("(http://x.example/s{i})"))
                            && t.contains(&format!("第{i}篇全文，内容完整"))
                            && !t.contains(&format!("标题{}", (i + 1) % 6))),
                    "{cut}, {runner:?}: item {i} whole: {files:?}"
                );
            }
            assert!(
                !m.archive().join("revisions").exists(),
                "{cut}: no torn revision"
            );
        }
    }
}

/// The feedfarm's `bad-xml`: a server that always sends a document broken at its end, with a
/// `Content-Length` (the transport says the body is whole). Skipping its last, unclosed item
/// would lose it for good (every fetch reads the same bytes): it is archived as it stands, as
/// feedparser reads it, the validators are kept, and the next run is a 304.
#[test]
fn a_feed_always_broken_at_its_end_loses_no_item() {
    for runner in [Runner::Persistent, Runner::Fresh] {
        let m = Mirror::new("feed");
        let doc = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title><item><title>Story one</title><link>http://x.example/s1</link><description>Full text of story one.</description></item><item><title>Story two</title><link>http://x.example/s2</link><description>Full text of story two, compl";
        m.server
            .route("/feed", rss_answer(doc.to_string(), "broken"));
        let out = m.run(runner);
        assert!(out.contains("sent it whole"), "{runner:?}: {out}");
        let files = m.articles();
        assert_eq!(files.len(), 2, "{runner:?}: {out} {files:?}");
        assert!(
            files
                .iter()
                .any(|(_, t)| t.contains("(http://x.example/s2)") && t.contains("story two")),
            "{runner:?}: {files:?}"
        );
        if runner == Runner::Persistent {
            m.run(runner);
            assert!(m.server.not_modified() >= 1, "validators kept: a 304 next");
        }
    }
}

/// verify-lost V6: a page held back (the server answered 500, or a paywall stub) is tried
/// again by the next run of a runner that kept its state: the feed is read without
/// validators, not a 304, and the edit on the page is archived.
#[test]
fn a_page_held_back_is_tried_again_by_the_next_run() {
    for runner in [Runner::Persistent, Runner::Fresh] {
        let m = Mirror::new("auto");
        let link = m.server.url("/p/1");
        let item = |desc: &str| It {
            guid: Some("t1".into()),
            title: Some("一篇长文章".into()),
            link: Some(link.clone()),
            date: Some(day(0)),
            text: Some(desc.into()),
            ..Default::default()
        };
        let full = long_text(1);
        m.page("/p/1", &page("一篇长文章", &full));
        m.serve(&[item("<p>这是摘要。</p>")]);
        m.run(runner);
        if runner == Runner::Persistent {
            m.server.route("/p/1", Answer::status(500));
        } else {
            // A paywall stub: "much shorter than the archived full text", held back too.
            m.page(
                "/p/1",
                &page(
                    "一篇长文章",
                    "<p>第1篇文章第0段，记者从有关部门获悉。</p><div>订阅后阅读全文。</div>",
                ),
            );
        }
        m.serve(&[item("<p>这是修改后的摘要。</p>")]);
        m.run(runner);
        let corrected = full.replacen("<p>", "<p>【更正】", 2);
        m.page("/p/1", &page("一篇长文章", &corrected));
        let out = m.run(runner);
        m.run(runner);
        let files = m.articles();
        assert_eq!(files.len(), 1);
        assert!(
            files[0].1.contains("【更正】"),
            "{runner:?}: {out} {files:?}"
        );
    }
}

/// verify-lost V2: one line of `changes/<month>.jsonl` that is not UTF-8 (torn inside a
/// character, a Latin-1 byte) or a byte-order mark costs a fresh runner only that line: the
/// month's other evidence still names the guids, and retitled, moved articles stay single.
#[test]
fn a_damaged_journal_line_costs_only_that_line() {
    for damage in ["torn", "latin1", "bom"] {
        let m = Mirror::new("feed");
        let items = |moved: bool| -> Vec<It> {
            (0..3)
                .map(|i| It {
                    guid: Some(format!("新闻-{i}")),
                    title: Some(format!(
                        "标题{i}{}",
                        if moved { "（更新标题）" } else { "" }
                    )),
                    link: Some(format!(
                        "http://x.example/a/{i}{}",
                        if moved { "-new" } else { "" }
                    )),
                    date: Some(day(i as i64)),
                    text: Some(body(i, "")),
                    ..Default::default()
                })
                .collect()
        };
        m.serve(&items(false));
        m.run(Runner::Persistent);
        let changes = m.archive().join("changes");
        let journal = std::fs::read_dir(&changes)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .unwrap();
        let mut bytes = std::fs::read(&journal).unwrap();
        match damage {
            "torn" => {
                let line =
                    "{\"at\":1,\"kind\":\"archived\",\"path\":\"articles/s/9.md\",\"guid\":\"新";
                bytes.extend_from_slice(&line.as_bytes()[..line.len() - 1]);
            }
            "latin1" => bytes.extend_from_slice(b"\xff\xe9t\xe9\n"),
            _ => bytes.splice(0..0, "\u{FEFF}".bytes()).for_each(drop),
        }
        std::fs::write(&journal, bytes).unwrap();
        m.serve(&items(true));
        let out = m.run(Runner::Bare);
        let files = m.articles();
        assert_eq!(files.len(), 3, "{damage}: {out} {files:?}");
        assert_eq!(
            out.contains("not UTF-8"),
            damage != "bom",
            "{damage}: {out}"
        );
    }
}

/// verify-lost V3: error pages with plenty of text never replace an article: a deleted
/// article redirected to the site's front page (a page of headlines longer than the article),
/// and a "page not found" answered with 200 and a long list of recommendations.
#[test]
fn a_redirect_home_or_a_long_soft_404_is_never_an_edit() {
    let full = long_text(1);
    let home = format!(
        "<html><head><title>新闻网首页</title></head><body><nav>首页 国际 财经</nav><main>{}</main><footer>版权所有</footer></body></html>",
        (0..12)
            .map(|k| format!(
                "<div class=\"item\"><h2><a href=\"/p/{}\">头条新闻{k}</a></h2>{}</div>",
                k + 10,
                long_text(k + 10)
            ))
            .collect::<String>()
    );
    let soft404 = format!(
        "<html><head><title>页面不存在</title></head><body><nav>首页</nav><article><h1>抱歉，您访问的页面不存在或已被删除</h1><p>您可能感兴趣的文章：</p><ul>{}</ul></article><footer>版权所有</footer></body></html>",
        (0..10)
            .map(|k| format!(
                "<li><a href=\"/p/{k}\">推荐文章{k}：{}</a></li>",
                long_text(k + 20)
            ))
            .collect::<String>()
    );
    for label in ["redirect home", "long soft 404"] {
        for runner in [Runner::Persistent, Runner::Bare] {
            let m = Mirror::new("auto");
            let link = m.server.url("/p/1");
            let item = |desc: &str| It {
                guid: Some("t1".into()),
                title: Some("一篇长文章".into()),
                link: Some(link.clone()),
                date: Some(day(0)),
                text: Some(desc.into()),
                ..Default::default()
            };
            m.page("/p/1", &page("一篇长文章", &full));
            m.serve(&[item("<p>这是摘要。</p>")]);
            m.run(runner);
            let before = m.articles();
            if label == "redirect home" {
                m.server.route(
                    "/p/1",
                    Answer::Fixed(302, vec![("Location".into(), "/".into())], Vec::new()),
                );
                m.page("/", &home);
            } else {
                m.page("/p/1", &soft404);
            }
            m.serve(&[item("<p>这是修改后的摘要，内容不同。</p>")]);
            let out = m.run(runner);
            m.run(runner);
            assert_eq!(m.articles(), before, "{label}, {runner:?}: {out}");
            assert!(!m.archive().join("revisions").exists(), "{label}: {out}");
        }
    }
}

/// verify-lost V4: summary feeds whose items all carry one generic teaser (点击查看全文),
/// with a constant guid or one shared title, are distinct articles with their own pages.
#[test]
fn a_generic_teaser_never_merges_distinct_items() {
    for variant in ["constant guid", "same title"] {
        let m = Mirror::new("auto");
        let items: Vec<It> = (0..4)
            .map(|i| It {
                guid: Some(if variant == "constant guid" {
                    "news".to_string()
                } else {
                    format!("v{i}")
                }),
                title: Some(if variant == "constant guid" {
                    format!("新闻标题{i}")
                } else {
                    "每日视频".to_string()
                }),
                link: Some(m.server.url(&format!("/a/{i}"))),
                date: Some(day(i as i64)),
                text: Some("点击查看全文".into()),
                ..Default::default()
            })
            .collect();
        for i in 0..4 {
            m.page(
                &format!("/a/{i}"),
                &page(&format!("新闻标题{i}"), &long_text(i + 30)),
            );
        }
        // One new item per run, then all four: none is taken for an earlier one.
        for n in 1..=4 {
            m.serve(&items[..n]);
            let out = m.run(if n % 2 == 0 {
                Runner::Bare
            } else {
                Runner::Persistent
            });
            assert_eq!(m.articles().len(), n, "{variant}: {out}");
        }
    }
}

/// verify-lost V9: a damaged article file (empty, binary junk, no header, a date out of range)
/// on a runner that rebuilds its database is named in a warning and left as it is; its item,
/// which the evidence in `changes/` identifies, is not archived again under a new id.
#[test]
fn a_damaged_article_file_is_named_and_its_item_not_archived_again() {
    let damages: [(&str, &[u8]); 4] = [
        ("empty", b""),
        ("junk", b"\x00\xff garbage\n"),
        ("no header", "只有正文\n".as_bytes()),
        (
            "date out of range",
            "<!--99999999999999999999999-->\n[标题0](https://x.example/a/0)\n------\n\n正文\n"
                .as_bytes(),
        ),
    ];
    for (what, bytes) in damages {
        let m = Mirror::new("feed");
        let items: Vec<It> = (0..3)
            .map(|i| It {
                guid: Some(format!("g{i}")),
                link: Some(format!("https://x.example/a/{i}")),
                title: Some(format!("标题{i}")),
                date: Some(day(i)),
                text: Some(body(i as usize, "")),
                ..Default::default()
            })
            .collect();
        m.serve(&items);
        m.run(Runner::Persistent);
        let before = m.articles();
        assert_eq!(before.len(), 3);
        let (name, _) = before
            .iter()
            .find(|(_, t)| t.contains("https://x.example/a/0"))
            .unwrap()
            .clone();
        let file = m.archive().join("articles/s").join(&name);
        std::fs::write(&file, bytes).unwrap();
        // The feed read again, whole, by a runner that rebuilds its database from the files.
        m.serve(&items);
        let out = m.run(Runner::Bare);
        assert!(
            out.contains("warning") && out.contains(&name) && out.contains("\"g0\""),
            "{what}: the damaged file is named: {out}"
        );
        let after = m.articles();
        assert_eq!(
            after.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            before.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "{what}: no second copy: {out}"
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "{what}: left as it is"
        );
    }
}
