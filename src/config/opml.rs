//! Sources from and to OPML, the subscription lists feed readers exchange.

use std::path::Path;

use super::{Config, ConfigError};

/// A feed found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub name: String,
    pub url: String,
}

/// Every feed of an OPML document, nested folders included, in document order.
pub fn feeds_of_opml(text: &str, path: &Path) -> Result<Vec<OpmlFeed>, ConfigError> {
    let doc = opml::OPML::from_str(text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        message: format!("not a readable OPML file: {e}"),
    })?;
    let mut out = Vec::new();
    collect(&doc.body.outlines, &mut out);
    Ok(out)
}

fn collect(outlines: &[opml::Outline], out: &mut Vec<OpmlFeed>) {
    for o in outlines {
        if let Some(url) = o.xml_url.as_deref().or(o.url.as_deref()).map(str::trim)
            && !url.is_empty()
        {
            let name = [o.title.as_deref(), Some(o.text.as_str())]
                .into_iter()
                .flatten()
                .map(str::trim)
                .find(|t| !t.is_empty())
                .unwrap_or("");
            out.push(OpmlFeed {
                name: name.to_string(),
                url: url.to_string(),
            });
        }
        collect(&o.outlines, out);
    }
}

/// A slug for a new source: the ASCII letters and digits of its name, else the main label of
/// its feed's host, made unique among `taken`.
pub fn derive_slug(name: &str, url: &str, taken: &[String]) -> String {
    let from = |s: &str| -> String {
        let mut slug = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        slug.trim_matches('-').chars().take(40).collect::<String>()
    };
    let mut base = from(name);
    if base.len() < 2 {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let labels: Vec<&str> = host
            .split('.')
            .filter(|l| !["www", "rss", "feeds", "feed", "m"].contains(l))
            .collect();
        base = from(labels.first().copied().unwrap_or("source"));
    }
    if base.is_empty() {
        base = "source".into();
    }
    let mut slug = base.clone();
    let mut n = 2;
    while taken.contains(&slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    slug
}

/// A list name: no slashes (it is a file name), its list file unique among `taken`'s.
fn derive_name(name: &str, taken: &[String]) -> String {
    let base: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_string();
    let base = if base.is_empty() {
        "source".into()
    } else {
        base
    };
    let files: Vec<String> = taken.iter().map(|t| super::list_file_name(t)).collect();
    let mut out = base.clone();
    let mut n = 2;
    while files.contains(&super::list_file_name(&out)) {
        out = format!("{base} ({n})");
        n += 1;
    }
    out
}

/// A name for a feed whose outline has no title: its host (`feeds.bbci.co.uk`), or the
/// file's name for a local feed.
fn name_from_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.host_str().is_some() => u
            .host_str()
            .unwrap_or_default()
            .trim_start_matches("www.")
            .to_string(),
        _ => std::path::Path::new(url.trim_start_matches("file://"))
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// Where an OPML feed points, as the config would resolve it.
enum Location {
    /// An http(s) URL.
    Web(url::Url),
    /// A `file://` URL or a path (relative to the config's folder), resolved.
    Local(url::Url),
}

/// Classifies a feed location of an OPML file; `Err` says why it cannot be a feed.
fn locate(raw: &str, base: &Path) -> Result<Location, String> {
    if raw.contains("://") {
        let u = url::Url::parse(raw).map_err(|e| format!("not a valid URL ({e})"))?;
        return match u.scheme() {
            "http" | "https" if u.host_str().is_some_and(|h| !h.is_empty()) => Ok(Location::Web(u)),
            "http" | "https" => Err("a web URL without a host".into()),
            "file" => Ok(Location::Local(u)),
            other => Err(format!("unsupported scheme {other:?}")),
        };
    }
    if let Some((scheme, _)) = raw.split_once(':')
        && scheme.len() > 1
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Err(format!("unsupported scheme {scheme:?}"));
    }
    url::Url::from_file_path(base.join(raw))
        .map(Location::Local)
        .map_err(|_| "not a usable path".into())
}

/// What `sources import` did.
#[derive(Debug, Default)]
pub struct OpmlImport {
    /// (slug, name, feed as written into the config).
    pub added: Vec<(String, String, String)>,
    /// (feed, why) of feeds not imported.
    pub refused: Vec<(String, String)>,
    /// Feeds the config already had.
    pub known: usize,
}

/// Adds the feeds of an OPML document to the config file as new sources, skipping feeds the
/// config already has (compared as the config resolves them, so relative paths too). Only
/// http(s) feeds, unless `allow_local`: then `file://` URLs and paths (relative to the
/// config's folder, as in the config) too; the others are refused and reported. The file is
/// checked as a whole before it is replaced.
pub fn add_sources_from_opml(
    config: &Config,
    opml_text: &str,
    opml_path: &Path,
    allow_local: bool,
) -> Result<OpmlImport, ConfigError> {
    let feeds = feeds_of_opml(opml_text, opml_path)?;
    let base = config.path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut slugs: Vec<String> = config.sources.iter().map(|s| s.slug.clone()).collect();
    let mut names: Vec<String> = config.sources.iter().map(|s| s.name.clone()).collect();
    let mut known: Vec<String> = config
        .sources
        .iter()
        .flat_map(|s| s.feeds.iter().map(|u| u.to_string()))
        .collect();
    let mut report = OpmlImport::default();
    let mut text = std::fs::read_to_string(&config.path).map_err(|source| ConfigError::Read {
        path: config.path.clone(),
        source,
    })?;
    for f in feeds {
        let resolved = match locate(&f.url, &base) {
            Ok(Location::Web(u)) => u,
            Ok(Location::Local(u)) if allow_local => u,
            Ok(Location::Local(_)) => {
                report.refused.push((
                    f.url,
                    "a local file, not a web feed (--allow-local takes file:// URLs and paths)"
                        .into(),
                ));
                continue;
            }
            Err(why) => {
                report.refused.push((f.url, why));
                continue;
            }
        };
        if known.contains(&resolved.to_string()) {
            report.known += 1;
            continue;
        }
        known.push(resolved.to_string());
        let name = if f.name.is_empty() {
            name_from_url(&f.url)
        } else {
            f.name.clone()
        };
        // Without a title, the slug comes from the feed's host (`bbci`), not the whole name.
        let slug = derive_slug(&f.name, &f.url, &slugs);
        let name = derive_name(&name, &names);
        let table = format!(
            "\n[[sources]]\nslug = {}\nname = {}\nfeeds = [{}]\n",
            toml_string(&slug),
            toml_string(&name),
            toml_string(&f.url)
        );
        // One outline the config would refuse is refused alone, in its own words.
        if let Err(why) = check_alone(&table, &config.path) {
            report.refused.push((f.url, why));
            continue;
        }
        if !text.ends_with('\n') && !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&table);
        slugs.push(slug.clone());
        names.push(name.clone());
        report.added.push((slug, name, f.url));
    }
    if report.added.is_empty() {
        return Ok(report);
    }
    // The whole new file must still be a valid config.
    Config::parse(&text, &config.path)?;
    crate::render::write_atomic(&config.path, text.as_bytes()).map_err(|source| {
        ConfigError::Read {
            path: config.path.clone(),
            source,
        }
    })?;
    Ok(report)
}

/// Whether one new `[[sources]]` table is valid on its own (the whole file is checked again
/// before it is written); the reason without a line number (the table is not written yet).
fn check_alone(table: &str, config_path: &Path) -> Result<(), String> {
    let text = format!("[archive]\ndir = \"archive\"\n{table}");
    match Config::parse(&text, config_path) {
        Ok(_) => Ok(()),
        Err(ConfigError::Invalid { message, .. }) => Err(match message.split_once(": ") {
            Some((line, rest)) if line.starts_with("line ") => rest.to_string(),
            _ => message,
        }),
        Err(e) => Err(e.to_string()),
    }
}

/// A feed as the OPML export writes it: a file below the config's folder as the path
/// relative to it (as a config would say it), anything else as its URL.
fn feed_location(url: &url::Url, base: &Path) -> String {
    if url.scheme() == "file"
        && let Ok(path) = url.to_file_path()
        && let Ok(rel) = path.strip_prefix(base)
        && !rel.as_os_str().is_empty()
        && let Some(rel) = rel.to_str()
    {
        return rel.replace(std::path::MAIN_SEPARATOR, "/");
    }
    url.to_string()
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The config's sources as an OPML 2.0 document: one outline per feed.
pub fn sources_to_opml(config: &Config) -> String {
    let base = config.path.parent().unwrap_or(Path::new("/"));
    let mut doc = opml::OPML {
        version: "2.0".into(),
        head: Some(opml::Head {
            title: Some("newsmirror sources".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    for s in &config.sources {
        for url in &s.feeds {
            doc.body.outlines.push(opml::Outline {
                text: s.name.clone(),
                title: Some(s.name.clone()),
                r#type: Some("rss".into()),
                xml_url: Some(feed_location(url, base)),
                ..Default::default()
            });
        }
    }
    let xml = doc
        .to_string()
        .expect("an OPML document of plain strings serializes");
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            derive_slug("BBC News 中文", "https://x.example/", &[]),
            "bbc-news"
        );
        assert_eq!(
            derive_slug("德国之声", "https://rss.dw.com/rdf/rss-chi-all", &[]),
            "dw"
        );
        assert_eq!(
            derive_slug("德国之声", "https://rss.dw.com/x", &["dw".into()]),
            "dw-2"
        );
    }

    #[test]
    fn locations() {
        let base = Path::new("/srv/m");
        assert!(matches!(
            locate("https://x.example/f", base),
            Ok(Location::Web(_))
        ));
        assert!(matches!(
            locate("file:///etc/passwd", base),
            Ok(Location::Local(_))
        ));
        match locate("feeds/dw.xml", base) {
            Ok(Location::Local(u)) => assert_eq!(u.as_str(), "file:///srv/m/feeds/dw.xml"),
            _ => panic!("a relative path is local"),
        }
        for bad in [
            "javascript:alert(1)",
            "ftp://x.example/f",
            "http://",
            "feed:https://x",
        ] {
            assert!(locate(bad, base).is_err(), "{bad}");
        }
        assert_eq!(
            name_from_url("https://www.feeds.bbci.co.uk/a?b"),
            "feeds.bbci.co.uk"
        );
        let u = url::Url::parse("file:///srv/m/feeds/dw.xml").unwrap();
        assert_eq!(feed_location(&u, base), "feeds/dw.xml");
        let other = url::Url::parse("file:///etc/f.xml").unwrap();
        assert_eq!(feed_location(&other, base), "file:///etc/f.xml");
    }
}
