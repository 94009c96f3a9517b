//! One `[[sources]]` table: its slug, list name, feeds, per-source fetch keys, full-text and
//! display rules, each checked against the sources before it.

use std::path::Path;

use url::Url;

use super::raw::RawSource;
use super::{Ctx, FetchKeys, check_template};
use crate::config::checks::{looks_like_a_host, path_typo, url_typo};
use crate::config::*;

/// Validates one source; `sources` are the ones read before it (names, folders and feeds
/// must not be shared).
pub(super) fn parse_source(
    ctx: &Ctx,
    rs: &RawSource,
    sources: &[Source],
    fetch: &FetchSettings,
    images: &ImageSettings,
) -> Result<Source, ConfigError> {
    let slug = rs.slug.get_ref().clone();
    let slug_line = ctx.line(rs.slug.span());
    if let Some(why) = bad_name(&slug) {
        return Err(ctx.invalid(format!(
            "line {slug_line}: slug {slug:?} {why}; a slug is a folder name under articles/"
        )));
    }
    if !slug
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ctx.invalid(format!(
            "line {slug_line}: slug {slug:?} may hold only letters, digits, '-', '_' and '.'"
        )));
    }
    if sources.iter().any(|s| s.slug == slug) {
        return Err(ctx.invalid(format!(
            "line {slug_line}: duplicate slug {slug:?}; every source needs its own"
        )));
    }
    let name = rs.name.get_ref().trim().to_string();
    if let Some(why) = bad_list_name(&name) {
        return Err(ctx.invalid(format!(
            "line {}: name {name:?} of source {slug:?} {why}; the name is the list's file name",
            ctx.line(rs.name.span())
        )));
    }
    if sources.iter().any(|s| s.name == name) {
        return Err(ctx.invalid(format!(
            "line {}: source {slug:?} has the name {name:?} of another source; lists/{name}.md would be shared",
            ctx.line(rs.name.span())
        )));
    }
    if let Some(other) = sources
        .iter()
        .find(|s| s.list_file() == list_file_name(&name))
    {
        return Err(ctx.invalid(format!(
            "line {}: source {slug:?} would share the list file lists/{} with source {:?}; rename one",
            ctx.line(rs.name.span()),
            list_file_name(&name),
            other.slug
        )));
    }
    let mut feeds = Vec::new();
    for f in &rs.feeds {
        let url = resolve_feed(f.get_ref(), &ctx.base).map_err(|why| {
            ctx.invalid(format!(
                "line {}: feed {:?} of source {slug:?}: {why}",
                ctx.line(f.span()),
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
            return Err(ctx.invalid(format!(
                "line {}: feed {url} of source {slug:?} is also a feed of source \
                 {other:?}; a feed belongs to one source (merge the sources, or drop \
                 the feed from one of them)",
                ctx.line(f.span()),
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
    keys.apply(&mut sf, "", ctx)?;
    // The keeper's own feed URLs: their origins reach any address.
    sf.trusted_origins = feeds
        .iter()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.origin().ascii_serialization())
        .collect();
    sf.trusted_origins.dedup();
    let interval = ctx
        .duration("interval", &rs.interval)?
        .unwrap_or(DEFAULT_INTERVAL);
    let folder = match &rs.import_from {
        None => slug.clone(),
        Some(f) => {
            let folder = f.get_ref().clone();
            if let Some(why) = bad_name(&folder) {
                return Err(ctx.invalid(format!(
                    "line {}: import_from {folder:?} of source {slug:?} {why}; it names a folder under articles/",
                    ctx.line(f.span())
                )));
            }
            folder
        }
    };
    if let Some(other) = sources.iter().find(|s| s.folder == folder) {
        return Err(ctx.invalid(format!(
            "line {slug_line}: source {slug:?} would share the folder articles/{folder}/ with source {:?}",
            other.slug
        )));
    }
    let (rules, display) = page_rules(ctx, rs, &slug)?;
    let mut images = images.clone();
    if let Some(m) = &rs.images {
        images.mode = m.clone();
        images.feed_content = true;
    }
    if let Some(p) = &rs.image_proxy {
        images.proxy = check_template(p.get_ref()).map_err(|why| {
            ctx.invalid(format!("line {}: image_proxy: {why}", ctx.line(p.span())))
        })?;
    }
    let timezone = match &rs.timezone {
        None => None,
        Some(tz) => Some(parse_timezone(tz.get_ref()).map_err(|why| {
            ctx.invalid(format!(
                "line {}: timezone {:?} of source {slug:?} {why}",
                ctx.line(tz.span()),
                tz.get_ref()
            ))
        })?),
    };
    Ok(Source {
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
    })
}

/// The extraction rules (what the article is) and display rules (what readers are not shown).
fn page_rules(
    ctx: &Ctx,
    rs: &RawSource,
    slug: &str,
) -> Result<(crate::extract::Rules, DisplayRules), ConfigError> {
    let mut rules = crate::extract::Rules::default();
    if let Some(sel) = &rs.content_selector {
        check_selector(sel.get_ref()).map_err(|why| {
            ctx.invalid(format!(
                "line {}: content_selector {:?} of source {slug:?} is not a CSS selector: {why}",
                ctx.line(sel.span()),
                sel.get_ref()
            ))
        })?;
        rules.content_selector = Some(sel.get_ref().clone());
    }
    let selectors = |key: &str, list: &[toml::Spanned<String>]| {
        list.iter()
            .map(|sel| {
                check_selector(sel.get_ref())
                    .map(|()| sel.get_ref().clone())
                    .map_err(|why| {
                        ctx.invalid(format!(
                            "line {}: {key} holds {:?}, not a CSS selector: {why}",
                            ctx.line(sel.span()),
                            sel.get_ref()
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    rules.remove_selectors = selectors("remove_selectors", &rs.remove_selectors)?;
    let mut display = DisplayRules {
        hide_selectors: selectors("hide_selectors", &rs.hide_selectors)?,
        ..Default::default()
    };
    for t in &rs.cut_from_text {
        if t.get_ref().trim().is_empty() {
            return Err(ctx.invalid(format!(
                "line {}: cut_from_text holds an empty text, which would cut every article",
                ctx.line(t.span())
            )));
        }
        display.cut_from_text.push(t.get_ref().clone());
    }
    Ok((rules, display))
}

/// Why a slug or folder name cannot be a single path component, if it cannot.
fn bad_name(s: &str) -> Option<&'static str> {
    if s.contains("..") {
        Some("contains \"..\"")
    } else {
        bad_list_name(s)
    }
}

/// Why a source's name cannot name its list, if it cannot. Dots inside a name (`法广...新闻`)
/// are fine: [`list_file_name`] makes one path component of it, whatever it holds.
fn bad_list_name(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        Some("is empty")
    } else if s.contains('/') || s.contains('\\') {
        Some("contains a slash")
    } else if s.contains('\0') {
        Some("contains a NUL character")
    } else if s == "." || s == ".." {
        Some("is \".\" or \"..\"")
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

/// An IANA time zone name (`Asia/Shanghai`, `Europe/Berlin`, `UTC`).
fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        "is not an IANA time zone name (e.g. \"Asia/Shanghai\", \"Asia/Taipei\", \"Europe/Berlin\", \"UTC\")"
            .to_string()
    })
}
