//! Reading the TOML text into a [`Config`]: the top-level tables with their defaults, and
//! errors that name the key and its line. The raw serde structures are in `raw`, one
//! `[[sources]]` table in `source`.

mod raw;
mod source;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::checks::{path_typo, url_typo};
use super::*;
use raw::{RawConfig, RawWeb};

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

impl FetchKeys<'_> {
    /// Sets what the keys set; `prefix` names the table in error messages.
    fn apply(&self, s: &mut FetchSettings, prefix: &str, ctx: &Ctx) -> Result<(), ConfigError> {
        if let Some(d) = ctx.duration(&format!("{prefix}timeout"), self.timeout)? {
            s.timeout = d;
        }
        if let Some(d) = ctx.duration(&format!("{prefix}connect_timeout"), self.connect_timeout)? {
            s.connect_timeout = d;
        }
        if let Some(d) = ctx.duration(&format!("{prefix}delay"), self.delay)? {
            s.delay = d;
        }
        s.max_bytes = self.max_bytes.unwrap_or(s.max_bytes);
        s.page_max_bytes = self.page_max_bytes.unwrap_or(s.page_max_bytes);
        s.retries = self.retries.unwrap_or(s.retries);
        if let Some(ua) = self.user_agent {
            s.user_agent = ua.clone();
        }
        if let Some(p) = ctx.proxy(&format!("{prefix}proxy"), self.proxy)? {
            s.proxy = Some(p);
        }
        if let Some(rules) = self.allow_private {
            s.allow_private = rules
                .iter()
                .map(|r| {
                    AddrRule::parse(r.get_ref()).map_err(|why| {
                        ctx.invalid(format!(
                            "line {}: {prefix}allow_private holds {:?}: {why}",
                            ctx.line(r.span()),
                            r.get_ref()
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }
}

/// What every check needs: the text (for line numbers) and the config's path and folder.
struct Ctx<'a> {
    text: &'a str,
    abs: PathBuf,
    base: PathBuf,
}

impl Ctx<'_> {
    fn invalid(&self, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.abs.clone(),
            message,
        }
    }

    fn line(&self, span: Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    fn duration(
        &self,
        key: &str,
        v: &Option<Spanned<String>>,
    ) -> Result<Option<Duration>, ConfigError> {
        match v {
            None => Ok(None),
            Some(t) => parse_duration(t.get_ref()).map(Some).ok_or_else(|| {
                self.invalid(format!(
                    "line {}: {key} = {:?} is not a duration (e.g. \"30s\", \"2m\", \"1h\")",
                    self.line(t.span()),
                    t.get_ref()
                ))
            }),
        }
    }

    fn proxy(&self, key: &str, v: &Option<Spanned<String>>) -> Result<Option<String>, ConfigError> {
        match v {
            None => Ok(None),
            Some(p) => check_proxy(p.get_ref()).map(Some).map_err(|why| {
                self.invalid(format!(
                    "line {}: {key} = {:?}: {why}",
                    self.line(p.span()),
                    p.get_ref()
                ))
            }),
        }
    }

    fn positive(
        &self,
        key: &str,
        v: &Option<Spanned<usize>>,
        default: usize,
    ) -> Result<usize, ConfigError> {
        match v {
            Some(c) if *c.get_ref() == 0 => Err(self.invalid(format!(
                "line {}: {key} must be at least 1",
                self.line(c.span())
            ))),
            Some(c) => Ok(*c.get_ref()),
            None => Ok(default),
        }
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
        let ctx = Ctx { text, abs, base };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ctx.invalid(toml_message(&e, text)))?;

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
        keys.apply(&mut fetch, "fetch.", &ctx)?;
        let concurrency = ctx.positive("fetch.concurrency", &rf.concurrency, 8)?;
        let per_host = ctx.positive("fetch.per_host", &rf.per_host, 2)?;

        let mut images = ImageSettings::default();
        if let Some(m) = &raw.images.mode {
            images.mode = m.clone();
        }
        if let Some(p) = &raw.images.proxy {
            images.proxy = check_template(p.get_ref()).map_err(|why| {
                ctx.invalid(format!("line {}: images.proxy: {why}", ctx.line(p.span())))
            })?;
        }
        images.max_bytes = raw.images.max_bytes.unwrap_or(images.max_bytes);
        images.max_per_article = raw.images.max_per_article.unwrap_or(images.max_per_article);

        let mut sources: Vec<Source> = Vec::new();
        for rs in &raw.sources {
            let source = source::parse_source(&ctx, rs, &sources, &fetch, &images)?;
            sources.push(source);
        }

        let dir_value = raw.archive.dir.get_ref();
        if let Some(why) = path_typo(dir_value) {
            return Err(ctx.invalid(format!(
                "line {}: archive.dir = {dir_value:?}: {why}",
                ctx.line(raw.archive.dir.span())
            )));
        }
        let dir = Path::new(dir_value);
        let archive_dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            // `dir = "."` is the config's folder itself, not `folder/.` in messages.
            ctx.base.join(dir).components().collect()
        };
        let author = match &raw.publish.author {
            None => "newsmirror <newsmirror@localhost>".to_string(),
            Some(a) => {
                let v = a.get_ref().trim();
                if !(v.contains('<') && v.ends_with('>')) {
                    return Err(ctx.invalid(format!(
                        "line {}: publish.author = {v:?} must look like \"Name <email>\"",
                        ctx.line(a.span())
                    )));
                }
                v.to_string()
            }
        };
        let mut remotes = Vec::new();
        for r in &raw.publish.remotes {
            let v = r.get_ref().trim();
            if let Some(why) = url_typo(v) {
                return Err(ctx.invalid(format!(
                    "line {}: publish.remotes holds {v:?}, {why}",
                    ctx.line(r.span())
                )));
            }
            if v.is_empty() || v.starts_with('-') {
                return Err(ctx.invalid(format!(
                    "line {}: publish.remotes holds {v:?}, which is not a remote name or URL",
                    ctx.line(r.span())
                )));
            }
            remotes.push(v.to_string());
        }
        let mut history = HistorySettings {
            annotate: raw.history.annotate,
            ..Default::default()
        };
        if let Some(d) = ctx.duration("history.recheck_for", &raw.history.recheck_for)? {
            history.recheck_for = d;
        }
        if let Some(d) = ctx.duration("history.recheck_every", &raw.history.recheck_every)? {
            history.recheck_every = d;
        }
        if let Some(d) = ctx.duration("history.confirm_after", &raw.history.confirm_after)? {
            history.confirm_after = d;
        }
        let mut web = parse_web(&raw.web, &ctx)?;
        if let Some(d) = ctx.duration("web.header_timeout", &raw.web.header_timeout)? {
            web.header_timeout = d.clamp(Duration::from_millis(100), Duration::from_secs(60));
        }
        if let Some(d) = ctx.duration("web.request_timeout", &raw.web.request_timeout)? {
            web.request_timeout = d.max(Duration::from_millis(100));
        }
        if raw.web.max_connections.is_some() {
            web.max_connections =
                Some(ctx.positive("web.max_connections", &raw.web.max_connections, 256)?);
        }
        let store = super::store::parse(
            &raw.store,
            &|key, v| {
                ctx.duration(key, v).map_err(|e| match e {
                    ConfigError::Invalid { message, .. } => message,
                    e => e.to_string(),
                })
            },
            &|span| ctx.line(span),
        )
        .map_err(|m| ctx.invalid(m))?;
        Ok(Config {
            path: ctx.abs.clone(),
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
fn parse_web(raw: &RawWeb, ctx: &Ctx) -> Result<WebSettings, ConfigError> {
    let mut web = WebSettings::default();
    if let Some(b) = &raw.base_url {
        let v = b.get_ref().trim();
        let mut url = Url::parse(v)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                ctx.invalid(format!(
                    "line {}: web.base_url = {v:?} is not an http(s) URL (e.g. \"https://example.org/news/\")",
                    ctx.line(b.span())
                ))
            })?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ctx.invalid(format!(
                "line {}: web.base_url = {v:?} may not hold a query or a fragment",
                ctx.line(b.span())
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
            ctx.invalid(format!(
                "line {}: web.timezone = {:?} is not an IANA time zone name (e.g. \"Asia/Shanghai\", \"Asia/Taipei\", \"UTC\")",
                ctx.line(t.span()),
                t.get_ref()
            ))
        })?;
    }
    web.image_proxy = raw.image_proxy.unwrap_or(web.image_proxy);
    Ok(web)
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
