//! Reading the TOML text into a [`Config`]: raw serde structures, defaults, and validation
//! with errors that name the key and its line.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::checks::{looks_like_a_host, path_typo, url_typo};
use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    archive: RawArchive,
    #[serde(default)]
    publish: RawPublish,
    #[serde(default)]
    history: RawHistory,
    #[serde(default)]
    images: RawImages,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    web: RawWeb,
    #[serde(default)]
    store: super::store::RawStore,
    #[serde(default)]
    sources: Vec<RawSource>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    base_url: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    image_proxy: Option<bool>,
    header_timeout: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    max_connections: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArchive {
    dir: Spanned<String>,
    #[serde(default)]
    layout: Layout,
    #[serde(default)]
    feeds: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    recheck_for: Option<Spanned<String>>,
    recheck_every: Option<Spanned<String>>,
    confirm_after: Option<Spanned<String>>,
    #[serde(default)]
    annotate: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPublish {
    #[serde(default)]
    git: bool,
    #[serde(default)]
    remotes: Vec<Spanned<String>>,
    author: Option<Spanned<String>>,
    #[serde(default)]
    images: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_bytes: Option<u64>,
    page_max_bytes: Option<u64>,
    user_agent: Option<String>,
    proxy: Option<Spanned<String>>,
    delay: Option<Spanned<String>>,
    retries: Option<u32>,
    allow_private: Option<Vec<Spanned<String>>>,
    concurrency: Option<Spanned<usize>>,
    per_host: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    slug: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    feeds: Vec<Spanned<String>>,
    interval: Option<Spanned<String>>,
    import_from: Option<Spanned<String>>,
    // Per-source overrides of [fetch].
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_bytes: Option<u64>,
    page_max_bytes: Option<u64>,
    user_agent: Option<String>,
    proxy: Option<Spanned<String>>,
    delay: Option<Spanned<String>>,
    retries: Option<u32>,
    allow_private: Option<Vec<Spanned<String>>>,
    // Full text and images.
    fulltext: Option<FullText>,
    content_selector: Option<Spanned<String>>,
    #[serde(default)]
    remove_selectors: Vec<Spanned<String>>,
    images: Option<crate::clean::ImageMode>,
    image_proxy: Option<Spanned<String>>,
    /// The IANA time zone of the source's dates without one (and of `CST`).
    timezone: Option<Spanned<String>>,
    // What readers are not shown.
    #[serde(default)]
    hide_selectors: Vec<Spanned<String>>,
    #[serde(default)]
    cut_from_text: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawImages {
    mode: Option<crate::clean::ImageMode>,
    proxy: Option<Spanned<String>>,
    max_bytes: Option<u64>,
    max_per_article: Option<usize>,
}

/// The `[fetch]` keys a source may override too.
struct FetchKeys<'a> {
    timeout: &'a Option<Spanned<String>>,
    connect_timeout: &'a Option<Spanned<String>>,
    delay: &'a Option<Spanned<String>>,
    max_bytes: Option<u64>,
    page_max_bytes: Option<u64>,
    retries: Option<u32>,
    user_agent: &'a Option<String>,
    proxy: &'a Option<Spanned<String>>,
    allow_private: &'a Option<Vec<Spanned<String>>>,
}

type DurationKey<'a> =
    dyn Fn(&str, &Option<Spanned<String>>) -> Result<Option<Duration>, ConfigError> + 'a;
type ProxyKey<'a> =
    dyn Fn(&str, &Option<Spanned<String>>) -> Result<Option<String>, ConfigError> + 'a;
/// An error about one value of a list: (key, its span, the value, why).
type RuleError<'a> = dyn Fn(&str, std::ops::Range<usize>, &str, &str) -> ConfigError + 'a;

impl FetchKeys<'_> {
    /// Sets what the keys set; `prefix` names the table in error messages.
    fn apply(
        &self,
        s: &mut FetchSettings,
        prefix: &str,
        duration: &DurationKey<'_>,
        proxy: &ProxyKey<'_>,
        rule: &RuleError<'_>,
    ) -> Result<(), ConfigError> {
        if let Some(d) = duration(&format!("{prefix}timeout"), self.timeout)? {
            s.timeout = d;
        }
        if let Some(d) = duration(&format!("{prefix}connect_timeout"), self.connect_timeout)? {
            s.connect_timeout = d;
        }
        if let Some(d) = duration(&format!("{prefix}delay"), self.delay)? {
            s.delay = d;
        }
        s.max_bytes = self.max_bytes.unwrap_or(s.max_bytes);
        s.page_max_bytes = self.page_max_bytes.unwrap_or(s.page_max_bytes);
        s.retries = self.retries.unwrap_or(s.retries);
        if let Some(ua) = self.user_agent {
            s.user_agent = ua.clone();
        }
        if let Some(p) = proxy(&format!("{prefix}proxy"), self.proxy)? {
            s.proxy = Some(p);
        }
        if let Some(rules) = self.allow_private {
            s.allow_private = rules
                .iter()
                .map(|r| {
                    AddrRule::parse(r.get_ref()).map_err(|why| (r.span(), r.get_ref().clone(), why))
                })
                .collect::<Result<_, _>>()
                .map_err(|(span, v, why)| {
                    rule(&format!("{prefix}allow_private"), span, &v, &why)
                })?;
        }
        Ok(())
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text as if it were read from `path` (relative paths resolve against
    /// the folder of `path`).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let base = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let invalid = |message: String| ConfigError::Invalid {
            path: abs.clone(),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| invalid(toml_message(&e, text)))?;
        let line = |span: std::ops::Range<usize>| line_of(text, span.start);

        let duration =
            |key: &str, v: &Option<Spanned<String>>| -> Result<Option<Duration>, ConfigError> {
                match v {
                None => Ok(None),
                Some(t) => parse_duration(t.get_ref()).map(Some).ok_or_else(|| {
                    invalid(format!(
                        "line {}: {key} = {:?} is not a duration (e.g. \"30s\", \"2m\", \"1h\")",
                        line(t.span()),
                        t.get_ref()
                    ))
                }),
            }
            };
        let proxy =
            |key: &str, v: &Option<Spanned<String>>| -> Result<Option<String>, ConfigError> {
                match v {
                    None => Ok(None),
                    Some(p) => check_proxy(p.get_ref()).map(Some).map_err(|why| {
                        invalid(format!(
                            "line {}: {key} = {:?}: {why}",
                            line(p.span()),
                            p.get_ref()
                        ))
                    }),
                }
            };
        let rule = |key: &str, span: std::ops::Range<usize>, value: &str, why: &str| {
            invalid(format!("line {}: {key} holds {value:?}: {why}", line(span)))
        };
        let positive = |key: &str, v: &Option<Spanned<usize>>, default: usize| match v {
            Some(c) if *c.get_ref() == 0 => Err(invalid(format!(
                "line {}: {key} must be at least 1",
                line(c.span())
            ))),
            Some(c) => Ok(*c.get_ref()),
            None => Ok(default),
        };

        let rf = &raw.fetch;
        let mut fetch = FetchSettings::default();
        let keys = FetchKeys {
            timeout: &rf.timeout,
            connect_timeout: &rf.connect_timeout,
            delay: &rf.delay,
            max_bytes: rf.max_bytes,
            page_max_bytes: rf.page_max_bytes,
            retries: rf.retries,
            user_agent: &rf.user_agent,
            proxy: &rf.proxy,
            allow_private: &rf.allow_private,
        };
        keys.apply(&mut fetch, "fetch.", &duration, &proxy, &rule)?;
        let concurrency = positive("fetch.concurrency", &rf.concurrency, 8)?;
        let per_host = positive("fetch.per_host", &rf.per_host, 2)?;

        let mut images = ImageSettings::default();
        if let Some(m) = &raw.images.mode {
            images.mode = m.clone();
        }
        if let Some(p) = &raw.images.proxy {
            images.proxy = check_template(p.get_ref())
                .map_err(|why| invalid(format!("line {}: images.proxy: {why}", line(p.span()))))?;
        }
        images.max_bytes = raw.images.max_bytes.unwrap_or(images.max_bytes);
        images.max_per_article = raw.images.max_per_article.unwrap_or(images.max_per_article);

        let mut sources: Vec<Source> = Vec::new();
        for rs in raw.sources {
            let slug = rs.slug.get_ref().clone();
            let slug_line = line(rs.slug.span());
            if let Some(why) = bad_name(&slug) {
                return Err(invalid(format!(
                    "line {slug_line}: slug {slug:?} {why}; a slug is a folder name under articles/"
                )));
            }
            if !slug
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(invalid(format!(
                    "line {slug_line}: slug {slug:?} may hold only letters, digits, '-', '_' and '.'"
                )));
            }
            if sources.iter().any(|s| s.slug == slug) {
                return Err(invalid(format!(
                    "line {slug_line}: duplicate slug {slug:?}; every source needs its own"
                )));
            }
            let name = rs.name.get_ref().trim().to_string();
            if let Some(why) = bad_name(&name) {
                return Err(invalid(format!(
                    "line {}: name {name:?} of source {slug:?} {why}; the name is the list's file name",
                    line(rs.name.span())
                )));
            }
            if sources.iter().any(|s| s.name == name) {
                return Err(invalid(format!(
                    "line {}: source {slug:?} has the name {name:?} of another source; lists/{name}.md would be shared",
                    line(rs.name.span())
                )));
            }
            if let Some(other) = sources
                .iter()
                .find(|s| s.list_file() == super::list_file_name(&name))
            {
                return Err(invalid(format!(
                    "line {}: source {slug:?} would share the list file lists/{} with source {:?}; rename one",
                    line(rs.name.span()),
                    super::list_file_name(&name),
                    other.slug
                )));
            }
            let mut feeds = Vec::new();
            for f in &rs.feeds {
                let url = resolve_feed(f.get_ref(), &base).map_err(|why| {
                    invalid(format!(
                        "line {}: feed {:?} of source {slug:?}: {why}",
                        line(f.span()),
                        f.get_ref()
                    ))
                })?;
                // Feed state (validators, health) is kept per feed URL: one URL, one source.
                let other = sources
                    .iter()
                    .find(|s| s.feeds.contains(&url))
                    .map(|s| s.slug.clone())
                    .or_else(|| feeds.contains(&url).then(|| slug.clone()));
                if let Some(other) = other {
                    return Err(invalid(format!(
                        "line {}: feed {url} of source {slug:?} is also a feed of source \
                         {other:?}; a feed belongs to one source (merge the sources, or drop \
                         the feed from one of them)",
                        line(f.span()),
                    )));
                }
                feeds.push(url);
            }
            let mut sf = fetch.clone();
            let keys = FetchKeys {
                timeout: &rs.timeout,
                connect_timeout: &rs.connect_timeout,
                delay: &rs.delay,
                max_bytes: rs.max_bytes,
                page_max_bytes: rs.page_max_bytes,
                retries: rs.retries,
                user_agent: &rs.user_agent,
                proxy: &rs.proxy,
                allow_private: &rs.allow_private,
            };
            keys.apply(&mut sf, "", &duration, &proxy, &rule)?;
            // The keeper's own feed URLs: their origins reach any address.
            sf.trusted_origins = feeds
                .iter()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|u| u.origin().ascii_serialization())
                .collect();
            sf.trusted_origins.dedup();
            let interval = duration("interval", &rs.interval)?.unwrap_or(DEFAULT_INTERVAL);
            let folder = match &rs.import_from {
                None => slug.clone(),
                Some(f) => {
                    let folder = f.get_ref().clone();
                    if let Some(why) = bad_name(&folder) {
                        return Err(invalid(format!(
                            "line {}: import_from {folder:?} of source {slug:?} {why}; it names a folder under articles/",
                            line(f.span())
                        )));
                    }
                    folder
                }
            };
            if let Some(other) = sources.iter().find(|s| s.folder == folder) {
                return Err(invalid(format!(
                    "line {slug_line}: source {slug:?} would share the folder articles/{folder}/ with source {:?}",
                    other.slug
                )));
            }
            let mut rules = crate::extract::Rules::default();
            if let Some(sel) = &rs.content_selector {
                check_selector(sel.get_ref()).map_err(|why| {
                    invalid(format!(
                        "line {}: content_selector {:?} of source {slug:?} is not a CSS selector: {why}",
                        line(sel.span()),
                        sel.get_ref()
                    ))
                })?;
                rules.content_selector = Some(sel.get_ref().clone());
            }
            for sel in &rs.remove_selectors {
                check_selector(sel.get_ref()).map_err(|why| {
                    invalid(format!(
                        "line {}: remove_selectors holds {:?}, not a CSS selector: {why}",
                        line(sel.span()),
                        sel.get_ref()
                    ))
                })?;
                rules.remove_selectors.push(sel.get_ref().clone());
            }
            let mut display = DisplayRules::default();
            for sel in &rs.hide_selectors {
                check_selector(sel.get_ref()).map_err(|why| {
                    invalid(format!(
                        "line {}: hide_selectors holds {:?}, not a CSS selector: {why}",
                        line(sel.span()),
                        sel.get_ref()
                    ))
                })?;
                display.hide_selectors.push(sel.get_ref().clone());
            }
            for t in &rs.cut_from_text {
                if t.get_ref().trim().is_empty() {
                    return Err(invalid(format!(
                        "line {}: cut_from_text holds an empty text, which would cut every article",
                        line(t.span())
                    )));
                }
                display.cut_from_text.push(t.get_ref().clone());
            }
            let mut images = images.clone();
            if let Some(m) = &rs.images {
                images.mode = m.clone();
                images.feed_content = true;
            }
            if let Some(p) = &rs.image_proxy {
                images.proxy = check_template(p.get_ref()).map_err(|why| {
                    invalid(format!("line {}: image_proxy: {why}", line(p.span())))
                })?;
            }
            let timezone = match &rs.timezone {
                None => None,
                Some(tz) => Some(parse_timezone(tz.get_ref()).map_err(|why| {
                    invalid(format!(
                        "line {}: timezone {:?} of source {slug:?} {why}",
                        line(tz.span()),
                        tz.get_ref()
                    ))
                })?),
            };
            sources.push(Source {
                slug,
                name,
                folder,
                feeds,
                interval,
                fetch: sf,
                fulltext: rs.fulltext.unwrap_or_default(),
                rules,
                images,
                timezone,
                display,
            });
        }

        let dir_value = raw.archive.dir.get_ref();
        if let Some(why) = path_typo(dir_value) {
            return Err(invalid(format!(
                "line {}: archive.dir = {dir_value:?}: {why}",
                line(raw.archive.dir.span())
            )));
        }
        let dir = Path::new(dir_value);
        let archive_dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            base.join(dir)
        };
        let author = match &raw.publish.author {
            None => "newsmirror <newsmirror@localhost>".to_string(),
            Some(a) => {
                let v = a.get_ref().trim();
                if !(v.contains('<') && v.ends_with('>')) {
                    return Err(invalid(format!(
                        "line {}: publish.author = {v:?} must look like \"Name <email>\"",
                        line(a.span())
                    )));
                }
                v.to_string()
            }
        };
        let mut remotes = Vec::new();
        for r in &raw.publish.remotes {
            let v = r.get_ref().trim();
            if let Some(why) = url_typo(v) {
                return Err(invalid(format!(
                    "line {}: publish.remotes holds {v:?}, {why}",
                    line(r.span())
                )));
            }
            if v.is_empty() || v.starts_with('-') {
                return Err(invalid(format!(
                    "line {}: publish.remotes holds {v:?}, which is not a remote name or URL",
                    line(r.span())
                )));
            }
            remotes.push(v.to_string());
        }
        let mut history = HistorySettings {
            annotate: raw.history.annotate,
            ..Default::default()
        };
        if let Some(d) = duration("history.recheck_for", &raw.history.recheck_for)? {
            history.recheck_for = d;
        }
        if let Some(d) = duration("history.recheck_every", &raw.history.recheck_every)? {
            history.recheck_every = d;
        }
        if let Some(d) = duration("history.confirm_after", &raw.history.confirm_after)? {
            history.confirm_after = d;
        }
        let mut web = parse_web(&raw.web, &invalid, &line)?;
        if let Some(d) = duration("web.header_timeout", &raw.web.header_timeout)? {
            web.header_timeout = d.clamp(Duration::from_millis(100), Duration::from_secs(60));
        }
        if let Some(d) = duration("web.request_timeout", &raw.web.request_timeout)? {
            web.request_timeout = d.max(Duration::from_millis(100));
        }
        if raw.web.max_connections.is_some() {
            web.max_connections = Some(positive(
                "web.max_connections",
                &raw.web.max_connections,
                256,
            )?);
        }
        let store = super::store::parse(
            &raw.store,
            &|key, v| {
                duration(key, v).map_err(|e| match e {
                    ConfigError::Invalid { message, .. } => message,
                    e => e.to_string(),
                })
            },
            &line,
        )
        .map_err(invalid)?;
        Ok(Config {
            path: abs,
            history,
            web,
            store,
            archive_dir,
            fetch,
            concurrency,
            per_host,
            layout: raw.archive.layout,
            feeds_out: raw.archive.feeds,
            publish: PublishSettings {
                git: raw.publish.git,
                remotes,
                author,
                images: raw.publish.images,
            },
            sources,
        })
    }
}

/// `[web]`: the base URL made to end in `/`, the time zone looked up by its IANA name.
fn parse_web(
    raw: &RawWeb,
    invalid: &dyn Fn(String) -> ConfigError,
    line: &dyn Fn(std::ops::Range<usize>) -> usize,
) -> Result<WebSettings, ConfigError> {
    let mut web = WebSettings::default();
    if let Some(b) = &raw.base_url {
        let v = b.get_ref().trim();
        let mut url = Url::parse(v)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                invalid(format!(
                    "line {}: web.base_url = {v:?} is not an http(s) URL (e.g. \"https://example.org/news/\")",
                    line(b.span())
                ))
            })?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!(
                "line {}: web.base_url = {v:?} may not hold a query or a fragment",
                line(b.span())
            )));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        web.base_url = Some(url);
    }
    if let Some(t) = &raw.timezone {
        web.timezone = t.get_ref().trim().parse().map_err(|_| {
            invalid(format!(
                "line {}: web.timezone = {:?} is not an IANA time zone name (e.g. \"Asia/Shanghai\", \"Asia/Taipei\", \"UTC\")",
                line(t.span()),
                t.get_ref()
            ))
        })?;
    }
    web.image_proxy = raw.image_proxy.unwrap_or(web.image_proxy);
    Ok(web)
}

/// Why a slug or list name cannot be a single path component, if it cannot.
fn bad_name(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        Some("is empty")
    } else if s.contains('/') || s.contains('\\') {
        Some("contains a slash")
    } else if s.contains('\0') {
        Some("contains a NUL character")
    } else if s == "." || s == ".." || s.contains("..") {
        Some("contains \"..\"")
    } else if s.starts_with('.') {
        Some("starts with a dot (hidden folder)")
    } else if s.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

/// `http(s)://` and `file://` URLs are taken as they are; anything else is a path relative to
/// the config file's folder.
fn resolve_feed(s: &str, base: &Path) -> Result<Url, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    if let Some(why) = url_typo(s) {
        return Err(why);
    }
    if let Some((scheme, _)) = s.split_once("://") {
        let url = Url::parse(s).map_err(|e| format!("is not a valid URL ({e})"))?;
        return match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => Ok(url),
            "file"
                if url
                    .host_str()
                    .is_some_and(|h| !h.is_empty() && h != "localhost") =>
            {
                Err(format!(
                    "a file URL holds an absolute path (file:///…); here {:?} would be a host \
                     name: write file:///… or a path relative to the config file, without file://",
                    url.host_str().unwrap_or_default()
                ))
            }
            "file" => Ok(url),
            other => Err(format!(
                "unsupported scheme {other:?}; use http, https or file"
            )),
        };
    }
    if let Some(why) = path_typo(s) {
        return Err(why);
    }
    let p = base.join(s);
    if looks_like_a_host(s) && !p.exists() {
        return Err(format!(
            "looks like a web address without its scheme; write https://{s} (or http://), or \
             a path to a file that exists"
        ));
    }
    Url::from_file_path(&p).map_err(|_| format!("cannot turn {} into a file URL", p.display()))
}

/// A CSS selector the extractor can use.
fn check_selector(sel: &str) -> Result<(), String> {
    dom_query::Matcher::new(sel)
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

/// An image proxy template must hold `{url_without_scheme}` or `{url}` and be a URL.
fn check_template(t: &str) -> Result<String, String> {
    if !(t.contains("{url_without_scheme}") || t.contains("{url}")) {
        return Err(format!(
            "{t:?} holds neither {{url_without_scheme}} nor {{url}}"
        ));
    }
    Url::parse(&t.replace("{url_without_scheme}", "x").replace("{url}", "x"))
        .map_err(|e| format!("{t:?} is not a URL template ({e})"))?;
    Ok(t.to_string())
}

/// A proxy URL must parse and use a scheme reqwest speaks.
fn check_proxy(s: &str) -> Result<String, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("not a valid proxy URL ({e})"))?;
    match url.scheme() {
        "http" | "https" | "socks5" | "socks5h" => Ok(s.trim().to_string()),
        other => Err(format!(
            "unsupported proxy scheme {other:?}; use socks5h://, socks5://, http:// or https://"
        )),
    }
}

/// An IANA time zone name (`Asia/Shanghai`, `Europe/Berlin`, `UTC`).
fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        "is not an IANA time zone name (e.g. \"Asia/Shanghai\", \"Asia/Taipei\", \"Europe/Berlin\", \"UTC\")"
            .to_string()
    })
}

/// The line (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The toml error's own message, with its line in front when it has a span.
fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim_end().to_string();
    match e.span() {
        Some(span) => format!("line {}: {msg}", line_of(text, span.start)),
        None => msg,
    }
}

/// Parses `"30s"`, `"500ms"`, `"2m"`, `"1h"`, `"14d"`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => n,
        "ms" => n / 1000.0,
        "m" | "min" | "mins" => n * 60.0,
        "h" | "hour" | "hours" => n * 3600.0,
        "d" | "day" | "days" => n * 86400.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/srv/mirror/newsmirror.toml"))
    }

    #[test]
    fn resolves_paths_against_the_config_folder() {
        let c = parse(
            "[archive]\ndir = \"archive\"\n[[sources]]\nslug = \"dw\"\nname = \"德国之声\"\nfeeds = [\"feeds/dw.xml\", \"https://rss.dw.com/rdf/rss-chi-all\"]\n",
        )
        .unwrap();
        assert_eq!(c.archive_dir, Path::new("/srv/mirror/archive"));
        assert_eq!(
            c.sources[0].feeds[0].as_str(),
            "file:///srv/mirror/feeds/dw.xml"
        );
        assert_eq!(c.sources[0].feeds[1].scheme(), "https");
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse("[archive]\ndir = \"a\"\ncolour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour") && e.contains("line 3"), "{e}");
    }

    #[test]
    fn duplicate_and_bad_slugs_name_the_line() {
        let dup = "[archive]\ndir = \"a\"\n[[sources]]\nslug = \"x\"\nname = \"X\"\n[[sources]]\nslug = \"x\"\nname = \"Y\"\n";
        let e = parse(dup).unwrap_err().to_string();
        assert!(
            e.contains("line 7") && e.contains("duplicate slug \"x\""),
            "{e}"
        );
        for bad in ["../x", "a/b", "a\\\\b", "..", "a\\u0000b"] {
            let t =
                format!("[archive]\ndir = \"a\"\n[[sources]]\nslug = \"{bad}\"\nname = \"X\"\n");
            let e = parse(&t).unwrap_err().to_string();
            assert!(e.contains("line 4") && e.contains("slug"), "{bad}: {e}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("6h"), Some(Duration::from_secs(21600)));
        assert_eq!(parse_duration("soon"), None);
    }
}
