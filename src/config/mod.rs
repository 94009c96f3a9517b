//! The configuration file (TOML): what is mirrored, where the archive lives, how to fetch.
//!
//! Owns parsing and validation only. Every error names the key or slug and its line, so a
//! mirror keeper can fix the file without reading code. Nothing here touches the network or
//! the archive.

mod access;
mod checks;
pub mod opml;
mod parse;
mod store;

pub use access::AddrRule;
pub use store::{StoreSettings, sqlite_path};

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// What went wrong with a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// A loaded, validated configuration. Paths are absolute.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file itself.
    pub path: PathBuf,
    /// The archive directory: `articles/`, `lists/`, `README.md`, `.newsmirror/`.
    pub archive_dir: PathBuf,
    /// The global fetch settings (each source has its own copy, with its overrides).
    pub fetch: FetchSettings,
    /// How many requests run at once in all.
    pub concurrency: usize,
    /// How many requests run at once against one host (host and port).
    pub per_host: usize,
    /// Where new article files go.
    pub layout: Layout,
    /// Write `feeds/<slug>.{atom,rss,json}` and `feeds/all.atom` beside the mirror files.
    pub feeds_out: bool,
    pub publish: PublishSettings,
    pub history: HistorySettings,
    /// `[web]`: what readers of `serve`, `site` and the feeds out see.
    pub web: WebSettings,
    /// `[store]`: SQLite beside the archive, or a PostgreSQL server (a cluster).
    pub store: StoreSettings,
    pub sources: Vec<Source>,
}

impl Config {
    /// Where the archive's database is.
    pub fn store_location(&self) -> crate::store::Location {
        self.store.location(&self.archive_dir)
    }

    /// Whether the archive lives in PostgreSQL (the database is the truth, the files are
    /// rendered from it).
    pub fn cluster(&self) -> bool {
        self.store.url.is_some()
    }
}

/// `[web]`: the reader's settings (`serve`, `site`, feeds out).
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The public address of the reader or the static site (`https://example.org/news/`),
    /// always ending in `/`: feeds link to the mirror's pages with it.
    pub base_url: Option<Url>,
    /// The readers' time zone (IANA name): dates on pages are shown in it. The default,
    /// `Asia/Shanghai`, gives the same day as the git lists, `changes/` and `history`.
    pub timezone: chrono_tz::Tz,
    /// `serve` shows article images through itself (signed URLs), so readers who cannot
    /// reach the outlets' image hosts still see them.
    pub image_proxy: bool,
    /// `serve`: a connection must send its request headers within this.
    pub header_timeout: Duration,
    /// `serve`: a request is answered (or `408`) within this.
    pub request_timeout: Duration,
    /// `serve`: connections served at once (`None`: 256, fewer under a low file limit).
    pub max_connections: Option<usize>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            base_url: None,
            timezone: chrono_tz::Asia::Shanghai,
            image_proxy: true,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: None,
        }
    }
}

/// What readers are not shown of an outlet's articles (the archived files keep everything):
/// applied on the way out to pages and feeds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DisplayRules {
    /// CSS selectors of elements hidden from readers (helper text meant for screen readers,
    /// player placeholders…).
    pub hide_selectors: Vec<String>,
    /// Texts that start a trailer: the block holding one of them, and everything after it,
    /// is cut (feed footers such as "get_post_time('Y')").
    pub cut_from_text: Vec<String>,
}

/// `[history]`: rechecking article pages for removals, and marking lists.
#[derive(Debug, Clone)]
pub struct HistorySettings {
    /// Articles first seen this recently have their page rechecked.
    pub recheck_for: Duration,
    /// How often each of them is rechecked.
    pub recheck_every: Duration,
    /// A page must be gone on two checks at least this far apart to count as removed.
    pub confirm_after: Duration,
    /// Append ` (已修改)` / ` (已删除)` to list entries.
    pub annotate: bool,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            recheck_for: Duration::from_secs(14 * 86400),
            recheck_every: Duration::from_secs(6 * 3600),
            confirm_after: Duration::from_secs(6 * 3600),
            annotate: false,
        }
    }
}

/// Where new article files go inside a source's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `articles/<folder>/<id>.md`: the existing mirrors' layout.
    #[default]
    Flat,
    /// `articles/<folder>/<yyyy>/<id>.md`, the year of publication in UTC+8: keeps folders
    /// small on git hosts; for new archives.
    Yearly,
}

/// `[publish]`: committing and pushing the archive with git.
#[derive(Debug, Clone, Default)]
pub struct PublishSettings {
    /// Commit after every update that changed files.
    pub git: bool,
    /// Remote names or URLs, pushed in turn.
    pub remotes: Vec<String>,
    /// `Name <email>` of the commits.
    pub author: String,
    /// Commit downloaded images (`images = "local"`) too.
    pub images: bool,
}

/// How feeds and pages are fetched; global under `[fetch]`, overridable per source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FetchSettings {
    /// The whole request, connection to last byte, retries included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The largest feed body accepted, after decompression.
    pub max_bytes: u64,
    /// The largest article page accepted, after decompression.
    pub page_max_bytes: u64,
    pub user_agent: String,
    /// `socks5h://user:pass@host:port`, `http://host:port`, … (`NO_PROXY` is respected).
    pub proxy: Option<String>,
    /// The least time between two requests to one host.
    pub delay: Duration,
    /// How many times a transient failure is retried within one run.
    pub retries: u32,
    /// Private addresses (loopback, RFC 1918, link-local…) that links taken from feeds and
    /// pages may reach all the same (`allow_private`); by default none.
    pub allow_private: Vec<AddrRule>,
    /// Origins (`scheme://host:port`) whose URLs are the keeper's own choice and reach any
    /// address: the source's configured feed URLs. Filled when the config is loaded.
    pub trusted_origins: Vec<String>,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_bytes: 20 * 1024 * 1024,
            page_max_bytes: 10 * 1024 * 1024,
            user_agent: format!(
                "Mozilla/5.0 (compatible; newsmirror/{}; news archive)",
                env!("CARGO_PKG_VERSION")
            ),
            proxy: None,
            delay: Duration::ZERO,
            retries: 2,
            allow_private: Vec::new(),
            trusted_origins: Vec::new(),
        }
    }
}

/// One outlet: a folder of articles, a list, one or more feeds.
#[derive(Debug, Clone)]
pub struct Source {
    /// The folder name under `articles/`; only letters, digits, `-`, `_` and `.` (not `..`).
    pub slug: String,
    /// The display name and the list file's name (`lists/<name>.md`).
    pub name: String,
    /// The folder under `articles/`: `import_from` when set (an imported mirror's folder,
    /// kept as it was), else the slug.
    pub folder: String,
    /// Feed locations, already resolved: `http(s)://` or `file://`. May be empty: an
    /// archive that is only kept.
    pub feeds: Vec<Url>,
    /// How often `run` fetches this source.
    pub interval: Duration,
    /// The fetch settings for this source: `[fetch]` with the source's overrides.
    pub fetch: FetchSettings,
    /// Where the article text comes from.
    pub fulltext: FullText,
    /// Extraction rules that win over the general extractor.
    pub rules: crate::extract::Rules,
    /// What to do with images.
    pub images: ImageSettings,
    /// `timezone`: the IANA zone of the source's dates written without one; it also
    /// decides the ambiguous `CST` (China Standard Time for a zone at UTC+8).
    pub timezone: Option<chrono_tz::Tz>,
    /// What readers are not shown (`hide_selectors`, `cut_from_text`).
    pub display: DisplayRules,
}

/// The file name of a source's list, `<name>.md` as the reference format has it, when that
/// name is safe on every system a mirror is checked out on. Otherwise: each character Windows
/// forbids in file names (`< > : " \ / | ? *`) becomes its full-width twin (`：`, `？`…),
/// control characters are dropped, trailing dots and spaces are dropped, a reserved device name
/// (`CON`, `NUL`, `COM1`…) gets a `_`, and a name longer than 200 bytes is cut (at a character).
pub fn list_file_name(name: &str) -> String {
    let mut base: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' => '＜',
            '>' => '＞',
            ':' => '：',
            '"' => '＂',
            '\\' => '＼',
            '/' => '／',
            '|' => '｜',
            '?' => '？',
            '*' => '＊',
            c => c,
        })
        .collect();
    while base.len() > 200 {
        base.pop();
    }
    let trimmed = base.trim_end_matches(['.', ' ']).trim_start();
    let mut base = if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed.to_string()
    };
    let stem = base.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        base.push('_');
    }
    format!("{base}.md")
}

impl Source {
    /// The file name of this source's list under `lists/` (see [`list_file_name`]).
    pub fn list_file(&self) -> String {
        list_file_name(&self.name)
    }

    /// The outlet's site as feeds out name it: the origin of the first web feed (a
    /// placeholder for sources read from files).
    pub fn site_link(&self) -> String {
        self.feeds
            .first()
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o.starts_with("http"))
            .unwrap_or_else(|| "https://invalid.example/".into())
    }
}

/// Where an article's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FullText {
    /// The feed's content, always.
    Feed,
    /// The article page, always (the feed's content when the page fails).
    Page,
    /// The page when the feed's content is missing or reads like a summary.
    #[default]
    Auto,
}

/// Images: `[images]` globally, `images` / `image_proxy` per source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageSettings {
    pub mode: crate::clean::ImageMode,
    /// The proxy URL template (`{url_without_scheme}` or `{url}`).
    pub proxy: String,
    /// Also rewrite images of content the feed carried in full (when the mode was set
    /// explicitly for the source); by default only pages newsmirror extracted are rewritten,
    /// so that feed content stays exactly as the feed gave it.
    pub feed_content: bool,
    /// The largest image downloaded (`local`).
    pub max_bytes: u64,
    /// At most this many images downloaded per article (`local`).
    pub max_per_article: usize,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            mode: crate::clean::ImageMode::Proxy,
            proxy: crate::clean::DEFAULT_PROXY.to_string(),
            feed_content: false,
            max_bytes: 5 * 1024 * 1024,
            max_per_article: 30,
        }
    }
}

/// The default `interval` of a source.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);

pub use parse::parse_duration;

#[cfg(test)]
mod tests {
    use super::list_file_name;

    #[test]
    fn list_file_names_are_the_names_when_safe() {
        for name in ["德国之声", "BBC (中文)", "VOA News", "a.b", "#1 [x]"] {
            assert_eq!(list_file_name(name), format!("{name}.md"));
        }
    }

    #[test]
    fn unsafe_names_become_safe_file_names() {
        assert_eq!(
            list_file_name("https://feeds.bbci.co.uk/x?y=1"),
            "https：／／feeds.bbci.co.uk／x？y=1.md"
        );
        assert_eq!(list_file_name("a<b>c\"|d*"), "a＜b＞c＂｜d＊.md");
        assert_eq!(list_file_name("news..."), "news.md");
        assert_eq!(list_file_name("CON"), "CON_.md");
        assert_eq!(list_file_name("com1"), "com1_.md");
        assert_eq!(list_file_name("Console"), "Console.md");
        let long = "长".repeat(100);
        let f = list_file_name(&long);
        assert!(
            f.len() <= 203 && f.starts_with("长长") && f.ends_with(".md"),
            "{f}"
        );
        for f in [list_file_name("a:b"), list_file_name("\u{1}x"), long] {
            assert!(!f.contains([':', '\u{1}']));
        }
    }
}
