//! `newsmirror site OUT`: the reader's pages as static files (relative links: they work from
//! any sub-path, from `file://` and on GitHub Pages), with the feeds, the stylesheet, a search
//! page with its own index, a 404 page and the archive's images. Every page carries its
//! Content-Security-Policy in a `<meta>` (static hosts send no headers). A rerun rewrites only
//! the files whose bytes change.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::{Archive, ArchiveError, io_err};
use crate::config::{Config, DisplayRules};
use crate::render::pages::{self, ArticleView, Ctx, Links, PAGE_LEN};
use crate::render::search_index::{self, IndexDoc};
use crate::render::{self, feeds};
use crate::store::{Neighbour, Store};

/// What a build did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SiteReport {
    /// Files written (new or changed).
    pub written: usize,
    /// Files whose bytes were already right.
    pub unchanged: usize,
    /// Files of an earlier build that are no longer part of the site (a removed source's).
    pub removed: usize,
}

const SITE_NAME: &str = "新闻镜像";

struct Out<'a> {
    dir: &'a Path,
    report: SiteReport,
    /// Every file this build made or found right (relative to OUT).
    made: BTreeSet<String>,
}

impl Out<'_> {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.made.insert(rel.to_string());
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        if render::write_if_changed(&path, bytes).map_err(io_err(&path))? {
            self.report.written += 1;
            crate::faults::point("site::page_written");
        } else {
            self.report.unchanged += 1;
        }
        Ok(())
    }
}

fn ctx(config: &Config, links: Links) -> Ctx<'static> {
    Ctx {
        links,
        site_name: SITE_NAME,
        tz: config.web.timezone,
        proxy: None,
        assets: Some(config.archive_dir.join("assets")),
    }
}

/// Builds (or brings up to date) the static site of `archive` in `out`.
pub fn build_site(
    config: &Config,
    archive: &Archive,
    out_dir: &Path,
) -> Result<SiteReport, ArchiveError> {
    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    if config.web.base_url.is_none() {
        tracing::warn!(
            "site: [web] base_url is not set: the feeds link to the outlets instead of these \
             pages and carry no self link, and the 404 page's links work only at the top level"
        );
    }
    let mut out = Out {
        dir: out_dir,
        report: SiteReport::default(),
        made: BTreeSet::new(),
    };
    let store = &archive.store;
    let overview = store.overview()?;
    let name_of = |slug: &str| {
        config
            .sources
            .iter()
            .find(|s| s.slug == slug)
            .map_or_else(|| slug.to_string(), |s| s.name.clone())
    };
    let mut order: Vec<&crate::store::SourceOverview> = Vec::new();
    for s in &config.sources {
        order.extend(overview.iter().filter(|o| o.source == s.slug));
    }
    // Sources the config no longer lists are left out (their articles stay in the archive).
    let sources: Vec<(String, String)> = order
        .iter()
        .map(|o| (o.source.clone(), name_of(&o.source)))
        .collect();

    // Home, style, search, 404.
    let top = ctx(config, Links::files(0));
    let cards: Vec<_> = order
        .iter()
        .map(|o| (name_of(&o.source), (*o).clone()))
        .collect();
    let listed: Vec<&str> = config.sources.iter().map(|s| s.slug.as_str()).collect();
    let newest = if overview.iter().all(|o| listed.contains(&o.source.as_str())) {
        store.newest_rows(None, 0, 30)?
    } else {
        store.newest_rows_of(&listed, 30)?
    };
    let newest: Vec<_> = newest
        .into_iter()
        .map(|r| {
            let n = name_of(&r.source);
            (r, n)
        })
        .collect();
    out.write("index.html", pages::home(&top, &cards, &newest).as_bytes())?;
    out.write("static/style.css", pages::STYLE.as_bytes())?;
    out.write("static/search.js", pages::SEARCH_JS.as_bytes())?;
    out.write(
        "search.html",
        pages::static_search(&top, &sources).as_bytes(),
    )?;
    // A host serves 404.html for a missing page at any depth: full links when the site's
    // address is known, else links from the top.
    let lost = match &config.web.base_url {
        Some(base) => ctx(config, Links::files_at(base)),
        None => ctx(config, Links::files(0)),
    };
    out.write(
        "404.html",
        pages::error(&lost, 404, "找不到这个页面。").as_bytes(),
    )?;

    // Lists and feeds.
    let assets = config.archive_dir.join("assets");
    let feed_pages = config.web.base_url.as_ref().map(Links::files_at);
    let mut keys: Vec<Key> = Vec::new();
    for o in &order {
        let name = name_of(&o.source);
        let lctx = ctx(config, Links::files(2));
        // The whole list at once (one ordered scan), cut into pages.
        let all = store.newest_rows(Some(&o.source), 0, usize::MAX >> 1)?;
        let rules = rules_of(config, &o.source);
        for (i, r) in all.iter().enumerate() {
            let newer = i.checked_sub(1).map(|j| neighbour(&all[j]));
            let older = all.get(i + 1).map(neighbour);
            keys.push(Key {
                source: r.source.clone(),
                id: r.id,
                stamp: stamp(r, &name, &rules, [newer.as_ref(), older.as_ref()]),
                revisions: r.revisions,
                newer,
                older,
            });
        }
        let pages_n = pages::page_count(o.articles);
        for page in 1..=pages_n {
            let from = ((page - 1) * PAGE_LEN).min(all.len());
            let rows = &all[from..(from + PAGE_LEN).min(all.len())];
            let rel = if page == 1 {
                format!("s/{}/index.html", o.source)
            } else {
                format!("s/{}/page-{page}.html", o.source)
            };
            let html = pages::list(&lctx, (&o.source, &name), o.articles, page, rows);
            out.write(&rel, html.as_bytes())?;
        }
        let entries = store.newest_entries(Some(&o.source), feeds::FEED_LEN)?;
        let id = feeds::feed_id(Some(&o.source));
        let link = config
            .sources
            .iter()
            .find(|s| s.slug == o.source)
            .map_or_else(|| "https://invalid.example/".to_string(), |s| s.site_link());
        let meta = feeds::FeedMeta {
            id: &id,
            title: &name,
            slug: Some(&o.source),
            link: &link,
            pages: feed_pages.as_ref(),
            sources: &config.sources,
            images: None,
            assets: Some(&assets),
        };
        for kind in feeds::KINDS {
            let text = feeds::render(kind, &meta, &entries).unwrap_or_default();
            out.write(&format!("feeds/{}.{kind}", o.source), text.as_bytes())?;
        }
    }
    let mut per_source = Vec::new();
    for o in &order {
        per_source.push(store.newest_entries(Some(&o.source), feeds::FEED_LEN)?);
    }
    let entries = feeds::merge_newest(per_source);
    let all_id = feeds::feed_id(None);
    let meta = feeds::FeedMeta {
        id: &all_id,
        title: SITE_NAME,
        slug: None,
        link: "https://invalid.example/",
        pages: feed_pages.as_ref(),
        sources: &config.sources,
        images: None,
        assets: Some(&assets),
    };
    out.write("feeds/all.atom", feeds::atom(&meta, &entries).as_bytes())?;

    // Articles, on two threads (each with its own connection).
    let db = config.store_location();
    let manifest_path = out_dir.join(MANIFEST);
    let manifest = read_manifest(&manifest_path);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    let chunk = keys.len().div_ceil(threads).max(1);
    let results: Vec<Result<SiteReport, ArchiveError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = keys
            .chunks(chunk)
            .map(|part| {
                let db = db.clone();
                let name_of = &name_of;
                let manifest = &manifest;
                scope.spawn(move || articles(config, &db, out_dir, part, manifest, name_of))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("site thread panicked"))
            .collect()
    });
    let mut changed = false;
    for r in results {
        let r = r?;
        changed |= r.written > 0;
        out.report.written += r.written;
        out.report.unchanged += r.unchanged;
    }

    let mut text = String::with_capacity(keys.len() * 32);
    for k in &keys {
        text.push_str(&format!("{}/{} {}\n", k.source, k.id, k.stamp));
    }
    // The search index follows the articles: rebuilt when an article page was, or when it
    // is missing or the list of articles changed.
    let listed_changed = std::fs::read(&manifest_path).ok().as_deref() != Some(text.as_bytes());
    let current = std::fs::read_to_string(out_dir.join("search/meta.json"))
        .ok()
        .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
        .is_some_and(|m| m["v"] == search_index::FORMAT);
    let files_path = out_dir.join(FILES);
    let before = read_files(&files_path, &manifest);
    if changed || listed_changed || !current {
        search(store, &sources, config.web.timezone, &mut out)?;
    } else {
        // The index as it is.
        out.made
            .extend(before.iter().filter(|f| f.starts_with("search/")).cloned());
    }
    for k in &keys {
        out.made.insert(format!("s/{}/{}.html", k.source, k.id));
        for n in 1..k.revisions {
            out.made
                .insert(format!("s/{}/{}-v{n}.html", k.source, k.id));
        }
    }
    // What an earlier build made that this one has not: a removed source's pages and feeds,
    // an article no longer in the archive. Readers must no longer see them.
    for gone in before.difference(&out.made) {
        let path = out_dir.join(gone);
        if std::fs::remove_file(&path).is_ok() {
            out.report.removed += 1;
            if let Some(parent) = path.parent().filter(|p| *p != out_dir) {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
    let list: String = out.made.iter().map(|f| format!("{f}\n")).collect();
    render::write_if_changed(&files_path, list.as_bytes()).map_err(io_err(&files_path))?;
    render::write_if_changed(&manifest_path, text.as_bytes()).map_err(io_err(&manifest_path))?;

    // Images kept in the archive.
    copy_assets(
        &archive.dir.join("assets"),
        &out_dir.join("assets"),
        &mut out.report,
    )?;
    Ok(out.report)
}

/// The static search index, from every article's newest revision, in the order they were
/// archived: a new article is added at the end, so that a rebuild rewrites only the shards of
/// its words and the last block of documents.
fn search(
    store: &Store,
    sources: &[(String, String)],
    tz: chrono_tz::Tz,
    out: &mut Out<'_>,
) -> Result<(), ArchiveError> {
    let mut docs: Vec<(i64, IndexDoc)> = Vec::new();
    store.for_each_search_doc::<ArchiveError>(&mut |d| {
        // Only the sources the site shows (a removed source's articles stay in the archive).
        if !sources.iter().any(|(s, _)| *s == d.source) {
            return Ok(());
        }
        docs.push((
            d.pk,
            IndexDoc {
                source: d.source,
                id: d.id,
                text: crate::text::text_of_html(&d.content),
                title: d.title,
                published_ms: d.published_ms,
            },
        ));
        Ok(())
    })?;
    docs.sort_by_key(|(pk, _)| *pk);
    let docs: Vec<IndexDoc> = docs.into_iter().map(|(_, d)| d).collect();
    let index = search_index::build(&docs, sources, tz);
    let mut keep: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (rel, text) in &index.files {
        out.write(&format!("search/{rel}"), text.as_bytes())?;
        keep.insert(format!("search/{rel}"));
    }
    // Shards and blocks of an earlier build that this one has not.
    for sub in ["search/t", "search/d"] {
        let Ok(entries) = std::fs::read_dir(out.dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let rel = format!("{sub}/{}", e.file_name().to_string_lossy());
            if !keep.contains(&rel) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

fn rules_of(config: &Config, slug: &str) -> DisplayRules {
    config
        .sources
        .iter()
        .find(|s| s.slug == slug)
        .map(|s| s.display.clone())
        .unwrap_or_default()
}

fn neighbour(r: &crate::store::ArticleRow) -> Neighbour {
    Neighbour {
        id: r.id,
        title: r.title.clone(),
    }
}

/// The file, in OUT, that remembers what each article page was made from.
const MANIFEST: &str = ".newsmirror-site";

/// An article page to make, and what it is made from.
struct Key {
    source: String,
    id: i64,
    stamp: String,
    revisions: i64,
    newer: Option<Neighbour>,
    older: Option<Neighbour>,
}

/// What an article page shows, in short: when it is unchanged (and the file is there), the
/// page is not made again. The program's version stands for its templates.
fn stamp(
    r: &crate::store::ArticleRow,
    source_name: &str,
    rules: &DisplayRules,
    near: [Option<&Neighbour>; 2],
) -> String {
    let near: Vec<String> = near
        .iter()
        .map(|n| n.map_or_else(String::new, |n| format!("{}\u{1}{}", n.id, n.title)))
        .collect();
    let text = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{:?}\u{0}{}",
        env!("CARGO_PKG_VERSION"),
        SITE_NAME,
        source_name,
        r.revisions,
        r.events,
        r.status,
        r.title,
        rules,
        near.join("\u{0}"),
    );
    format!("{:016x}", crate::text::fnv1a(text.as_bytes()))
}

/// The file, in OUT, that lists every file the last build made (what the next one removes
/// when it no longer makes it).
const FILES: &str = ".newsmirror-files";

/// The files the last build made: its list, else (a site built before the list existed) the
/// article pages its manifest names and their sources' lists and feeds.
fn read_files(path: &Path, manifest: &HashMap<String, String>) -> BTreeSet<String> {
    let safe = |f: &str| {
        !f.is_empty()
            && !f.starts_with('/')
            && !f.contains('\\')
            && f.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
    };
    if let Ok(text) = std::fs::read_to_string(path) {
        return text
            .lines()
            .filter(|l| safe(l))
            .map(str::to_string)
            .collect();
    }
    let mut files = BTreeSet::new();
    for key in manifest.keys() {
        let Some((source, id)) = key.split_once('/') else {
            continue;
        };
        if !safe(source) || !id.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        files.insert(format!("s/{source}/{id}.html"));
        let dir = path
            .parent()
            .unwrap_or(Path::new("."))
            .join("s")
            .join(source);
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".html").unwrap_or_default();
            let stem = stem.strip_prefix("page-").unwrap_or(stem);
            let ours = stem == "index"
                || (!stem.is_empty()
                    && stem
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'v'));
            if ours {
                files.insert(format!("s/{source}/{name}"));
            }
        }
        for kind in feeds::KINDS {
            files.insert(format!("feeds/{source}.{kind}"));
        }
    }
    files
}

fn read_manifest(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn articles(
    config: &Config,
    db: &crate::store::Location,
    dir: &Path,
    keys: &[Key],
    manifest: &HashMap<String, String>,
    name_of: &dyn Fn(&str) -> String,
) -> Result<SiteReport, ArchiveError> {
    let (store, _) = crate::store::open(db)?;
    let mut out = Out {
        dir,
        report: SiteReport::default(),
        made: BTreeSet::new(),
    };
    let actx = ctx(config, Links::files(2));
    for k in keys {
        let rel = format!("s/{}/{}.html", k.source, k.id);
        let versions_there = (1..k.revisions).all(|n| {
            dir.join(format!("s/{}/{}-v{n}.html", k.source, k.id))
                .is_file()
        });
        if manifest.get(&format!("{}/{}", k.source, k.id)) == Some(&k.stamp)
            && dir.join(&rel).is_file()
            && versions_there
        {
            out.report.unchanged += 1;
            continue;
        }
        let Some(info) = store.article(&k.source, k.id)? else {
            continue;
        };
        let revisions = store.revisions(info.pk)?;
        let events = store.events_of(info.pk)?;
        let enclosures = store.enclosures(info.pk)?;
        let rules = rules_of(config, &k.source);
        let name = name_of(&k.source);
        let view = ArticleView {
            info: &info,
            source_name: &name,
            revisions: &revisions,
            events: &events,
            newer: k.newer.as_ref(),
            older: k.older.as_ref(),
            rules: &rules,
            enclosures: &enclosures,
        };
        out.write(&rel, pages::article(&actx, &view).as_bytes())?;
        // Earlier versions (the newest is the article's own page).
        for r in &revisions[..revisions.len().saturating_sub(1)] {
            if let Some(html) = pages::revision(&actx, &view, r.n) {
                out.write(
                    &format!("s/{}/{}-v{}.html", k.source, k.id, r.n),
                    html.as_bytes(),
                )?;
            }
        }
    }
    Ok(out.report)
}

fn copy_assets(from: &Path, to: &Path, report: &mut SiteReport) -> Result<(), ArchiveError> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    std::fs::create_dir_all(to).map_err(io_err(to))?;
    for e in entries.flatten() {
        // Regular files only, and only raster images by their bytes.
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let mut head = [0u8; 16];
        let n = std::fs::File::open(e.path())
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .unwrap_or(0);
        if crate::render::present::raster_type(&head[..n]).is_none() {
            continue;
        }
        let target = to.join(e.file_name());
        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
        if std::fs::metadata(&target).is_ok_and(|m| m.len() == size) {
            report.unchanged += 1;
            continue;
        }
        // Assets are content-addressed: same name, same bytes. A hard link costs nothing.
        let _ = std::fs::remove_file(&target);
        if std::fs::hard_link(e.path(), &target).is_err() {
            std::fs::copy(e.path(), &target).map_err(io_err(&target))?;
        }
        report.written += 1;
    }
    Ok(())
}
