//! The readers' commands: `serve`, `search`, `reindex`, `site`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::archive::{self, Archive, STATE_DIR};
use crate::config::Config;
use crate::search::{SearchIndex, SearchQuery};

/// Opens the search index; when it is missing or behind the database, brings it up to date
/// first (the database is only read: this needs no lock on the archive). When another process
/// is writing the index, serves what is there.
fn open_index(config: &Config) -> anyhow::Result<SearchIndex> {
    let state = config.archive_dir.join(STATE_DIR);
    let archive = Archive::open_to_read(config)?;
    let (mut index, created) = SearchIndex::open(&state)?;
    // Readers see the sources the config lists, not those removed from it.
    index.only_sources(config.sources.iter().map(|s| s.slug.clone()).collect());
    if created || index.behind(&archive.store)? {
        match index.sync(&archive.store, created) {
            Ok(n) => tracing::info!("search index: {n} articles indexed"),
            Err(e) => tracing::warn!("search index not brought up to date: {e}"),
        }
    }
    Ok(index)
}

/// How often `serve` brings its search index up to date with the database.
const SEARCH_FOLLOW: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps `serve`'s search index following the database by its own cursor, off the async
/// threads: every [`SEARCH_FOLLOW`], the changes after it (written by workers, by `update`, by
/// `recheck`). Any number of `serve`s on any number of machines follow one database so, each
/// with its own index. A failure is tried again next time (another process may be writing
/// the index, the database may be restarting).
fn follow_search(config: &Config) {
    let config = config.clone();
    std::thread::spawn(move || {
        let state = config.archive_dir.join(STATE_DIR);
        let mut store = None;
        let mut index = None;
        loop {
            std::thread::sleep(SEARCH_FOLLOW);
            if store.is_none() {
                store = crate::store::open(&config.store_location())
                    .ok()
                    .map(|(s, _)| s);
            }
            if index.is_none() {
                index = SearchIndex::open(&state).ok().map(|(i, _)| i);
            }
            let (Some(st), Some(ix)) = (&store, &index) else {
                continue;
            };
            match ix
                .behind(st)
                .and_then(|behind| if behind { ix.sync(st, false) } else { Ok(0) })
            {
                Ok(0) => {}
                Ok(n) => tracing::info!("search index: {n} articles indexed"),
                Err(e) => {
                    tracing::debug!("search index not brought up to date: {e}");
                    store = None;
                }
            }
        }
    });
}

pub fn serve(config: &Config, addr: SocketAddr, quiet: bool) -> anyhow::Result<ExitCode> {
    let index = open_index(config)?;
    follow_search(config);
    // Built now, so that the first search does not wait for the dictionary.
    let _ = crate::search::jieba();
    let app = crate::web::App::new(config, Some(index))?;
    let mut limits = crate::web::Limits {
        header_timeout: config.web.header_timeout,
        request_timeout: config.web.request_timeout,
        ..Default::default()
    };
    if let Some(n) = config.web.max_connections {
        limits.max_connections = n;
    }
    let rt = super::runtime()?;
    rt.block_on(crate::web::serve(app, addr, limits, |bound| {
        if !quiet {
            say!("newsmirror: serving http://{bound}/");
            let _ = std::io::stdout().flush();
        }
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// Title or snippet HTML as one line of text, entities decoded. Matches are bold on a
/// terminal (unless NO_COLOR is set) and unmarked elsewhere: brackets would mix with the
/// titles' own 【】, and a script wants the title as it is.
fn plain(html: &str, highlight: bool) -> String {
    let (on, off) = if highlight {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let text = html
        .replace("<mark>", on)
        .replace("</mark>", off)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Results a page of `search` shows.
const PER_PAGE: usize = 20;

pub fn search(
    config: &Config,
    query: &str,
    source: Option<String>,
    page: u32,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    if let Some(s) = &source
        && !config.sources.iter().any(|x| &x.slug == s)
    {
        return Err(anyhow::anyhow!("no source {s:?} in the config").context(super::Exit(2)));
    }
    let index = open_index(config)?;
    let q = SearchQuery {
        text: query.to_string(),
        source,
        page: page as usize,
        per_page: PER_PAGE,
    };
    let hits = index.search(&q)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        let items: Vec<serde_json::Value> = hits
            .hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "source": h.source,
                    "id": h.id,
                    "title": h.title,
                    "published": crate::render::pages::when(h.published_ms),
                    "published_ms": h.published_ms,
                    "snippet": plain(&h.snippet_html, false),
                    // The matches, unambiguous: <mark>…</mark> in escaped HTML.
                    "snippet_html": h.snippet_html,
                    "status": h.status,
                })
            })
            .collect();
        let doc = serde_json::json!({ "total": hits.total, "page": page, "hits": items });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let bold = out.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        for h in &hits.hits {
            writeln!(
                out,
                "{}\n  {}/{} · {}\n  {}\n",
                plain(&h.title_html, bold),
                h.source,
                h.id,
                crate::render::pages::when(h.published_ms),
                plain(&h.snippet_html, bold)
            )?;
        }
        let pages = hits.total.div_ceil(PER_PAGE).max(1);
        let mut line = format!("{} found", hits.total);
        if pages > 1 {
            line.push_str(&format!("; page {page} of {pages}"));
            if (page as usize) < pages {
                line.push_str(&format!(" (--page {} for more)", page + 1));
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn reindex(_config: &Config, archive: &mut Archive, quiet: bool) -> anyhow::Result<ExitCode> {
    let state = archive.dir.join(STATE_DIR);
    let n = crate::search::reindex(&state, &archive.store)
        .context("cannot rebuild the search index")?;
    crate::faults::point("reindex::indexed");
    if !quiet {
        say!("reindex: {n} articles indexed");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn site(config: &Config, out: &Path, quiet: bool) -> anyhow::Result<ExitCode> {
    let archive = Archive::open_to_read(config)?;
    let report = archive::build_site(config, &archive, out)
        .with_context(|| format!("cannot write the site into {}", out.display()))?;
    if !quiet {
        say!(
            "site: {} files written, {} unchanged, {} removed, in {}",
            report.written,
            report.unchanged,
            report.removed,
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
