//! `newsmirror site OUT`: the reader's pages as static files (relative links: they work from
//! any sub-path, from `file://` and on GitHub Pages), with the feeds, the stylesheet and the
//! archive's images. A rerun rewrites only the files whose bytes change.

use std::path::Path;

use super::{Archive, ArchiveError, io_err};
use crate::config::Config;
use crate::render::pages::{self, Links, PAGE_LEN};
use crate::render::{self, feeds};
use crate::store::Store;

/// What a build did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SiteReport {
    /// Files written (new or changed).
    pub written: usize,
    /// Files whose bytes were already right.
    pub unchanged: usize,
}

const SITE_NAME: &str = "新闻镜像";

struct Out<'a> {
    dir: &'a Path,
    report: SiteReport,
}

impl Out<'_> {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
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

/// Builds (or brings up to date) the static site of `archive` in `out`.
pub fn build_site(
    config: &Config,
    archive: &Archive,
    out_dir: &Path,
) -> Result<SiteReport, ArchiveError> {
    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let mut out = Out {
        dir: out_dir,
        report: SiteReport::default(),
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
    order.extend(
        overview
            .iter()
            .filter(|o| !config.sources.iter().any(|s| s.slug == o.source)),
    );

    // Home.
    let top = Links::files(0);
    let cards: Vec<_> = order
        .iter()
        .map(|o| (name_of(&o.source), (*o).clone()))
        .collect();
    let newest: Vec<_> = store
        .newest_rows(None, 0, 30)?
        .into_iter()
        .map(|r| {
            let n = name_of(&r.source);
            (r, n)
        })
        .collect();
    out.write(
        "index.html",
        pages::home(&top, SITE_NAME, &cards, &newest).as_bytes(),
    )?;
    out.write("static/style.css", pages::STYLE.as_bytes())?;

    // Lists and feeds.
    let mut keys: Vec<Key> = Vec::new();
    for o in &order {
        let name = name_of(&o.source);
        let links = Links::files(2);
        // The whole list at once (one ordered scan), cut into pages.
        let all = store.newest_rows(Some(&o.source), 0, usize::MAX >> 1)?;
        keys.extend(all.iter().map(|r| Key {
            source: r.source.clone(),
            id: r.id,
            stamp: stamp(r, &name),
        }));
        let pages_n = pages::page_count(o.articles);
        for page in 1..=pages_n {
            let from = ((page - 1) * PAGE_LEN).min(all.len());
            let rows = &all[from..(from + PAGE_LEN).min(all.len())];
            let rel = if page == 1 {
                format!("s/{}/index.html", o.source)
            } else {
                format!("s/{}/page-{page}.html", o.source)
            };
            let html = pages::list(
                &links,
                SITE_NAME,
                (&o.source, &name),
                o.articles,
                page,
                rows,
            );
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
            link: &link,
        };
        for kind in feeds::KINDS {
            let text = feeds::render(kind, &meta, &entries).unwrap_or_default();
            out.write(&format!("feeds/{}.{kind}", o.source), text.as_bytes())?;
        }
    }
    let entries = store.newest_entries(None, feeds::FEED_LEN)?;
    let all_id = feeds::feed_id(None);
    let meta = feeds::FeedMeta {
        id: &all_id,
        title: SITE_NAME,
        link: "https://invalid.example/",
    };
    out.write("feeds/all.atom", feeds::atom(&meta, &entries).as_bytes())?;

    // Articles, on two threads (each with its own connection).
    let db = archive.dir.join(super::STATE_DIR).join("newsmirror.sqlite");
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
                scope.spawn(move || articles(&db, out_dir, part, manifest, name_of))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("site thread panicked"))
            .collect()
    });
    for r in results {
        let r = r?;
        out.report.written += r.written;
        out.report.unchanged += r.unchanged;
    }

    let mut text = String::with_capacity(keys.len() * 32);
    for k in &keys {
        text.push_str(&format!("{}/{} {}\n", k.source, k.id, k.stamp));
    }
    render::write_if_changed(&manifest_path, text.as_bytes()).map_err(io_err(&manifest_path))?;

    // Images kept in the archive.
    copy_assets(
        &archive.dir.join("assets"),
        &out_dir.join("assets"),
        &mut out.report,
    )?;
    Ok(out.report)
}

/// The file, in OUT, that remembers what each article page was made from.
const MANIFEST: &str = ".newsmirror-site";

/// An article page to make, and what it is made from.
struct Key {
    source: String,
    id: i64,
    stamp: String,
}

/// What an article page shows, in short: when it is unchanged (and the file is there), the
/// page is not made again. The program's version stands for its templates.
fn stamp(r: &crate::store::ArticleRow, source_name: &str) -> String {
    let text = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        env!("CARGO_PKG_VERSION"),
        SITE_NAME,
        source_name,
        r.revisions,
        r.events,
        r.status,
        r.title
    );
    format!("{:016x}", crate::history::fnv1a(text.as_bytes()))
}

fn read_manifest(path: &Path) -> std::collections::HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn articles(
    db: &Path,
    dir: &Path,
    keys: &[Key],
    manifest: &std::collections::HashMap<String, String>,
    name_of: &dyn Fn(&str) -> String,
) -> Result<SiteReport, ArchiveError> {
    let (store, _) = Store::open(db)?;
    let mut out = Out {
        dir,
        report: SiteReport::default(),
    };
    let links = Links::files(2);
    let mut made: std::collections::HashSet<String> = std::collections::HashSet::new();
    for Key { source, id, stamp } in keys {
        let rel = format!("s/{source}/{id}.html");
        if manifest.get(&format!("{source}/{id}")) == Some(stamp) && dir.join(&rel).is_file() {
            out.report.unchanged += 1;
            continue;
        }
        let Some(info) = store.article(source, *id)? else {
            continue;
        };
        let revisions = store.revisions(info.pk)?;
        let events = store.events_of(info.pk)?;
        let html = pages::article(
            &links,
            SITE_NAME,
            &info,
            &name_of(source),
            &revisions,
            &events,
        );
        if made.insert(source.clone()) {
            let d = dir.join("s").join(source);
            std::fs::create_dir_all(&d).map_err(io_err(&d))?;
        }
        let path = dir.join(&rel);
        if render::write_if_changed(&path, html.as_bytes()).map_err(io_err(&path))? {
            out.report.written += 1;
        } else {
            out.report.unchanged += 1;
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
