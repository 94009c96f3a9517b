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
                .unwrap_or(url);
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

/// A list name: no slashes (it is a file name), unique among `taken`.
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
        .replace("..", ".");
    let base = if base.is_empty() {
        "source".into()
    } else {
        base
    };
    let mut out = base.clone();
    let mut n = 2;
    while taken.contains(&out) {
        out = format!("{base} ({n})");
        n += 1;
    }
    out
}

/// Adds the feeds of an OPML document to the config file as new sources, skipping feeds the
/// config already has. The file is checked as a whole before it is replaced. Returns the
/// added (slug, name, url).
pub fn add_sources_from_opml(
    config: &Config,
    opml_text: &str,
    opml_path: &Path,
) -> Result<Vec<(String, String, String)>, ConfigError> {
    let feeds = feeds_of_opml(opml_text, opml_path)?;
    let mut slugs: Vec<String> = config.sources.iter().map(|s| s.slug.clone()).collect();
    let mut names: Vec<String> = config.sources.iter().map(|s| s.name.clone()).collect();
    let known: Vec<String> = config
        .sources
        .iter()
        .flat_map(|s| s.feeds.iter().map(|u| u.to_string()))
        .collect();
    let mut added = Vec::new();
    let mut text = std::fs::read_to_string(&config.path).map_err(|source| ConfigError::Read {
        path: config.path.clone(),
        source,
    })?;
    for f in feeds {
        let normal = url::Url::parse(&f.url)
            .map(|u| u.to_string())
            .unwrap_or(f.url.clone());
        if known.contains(&normal) || added.iter().any(|(_, _, u)| *u == f.url) {
            continue;
        }
        let slug = derive_slug(&f.name, &f.url, &slugs);
        let name = derive_name(&f.name, &names);
        if !text.ends_with('\n') && !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!(
            "\n[[sources]]\nslug = {}\nname = {}\nfeeds = [{}]\n",
            toml_string(&slug),
            toml_string(&name),
            toml_string(&f.url)
        ));
        slugs.push(slug.clone());
        names.push(name.clone());
        added.push((slug, name, f.url));
    }
    // The whole new file must still be a valid config.
    Config::parse(&text, &config.path)?;
    crate::render::write_atomic(&config.path, text.as_bytes()).map_err(|source| {
        ConfigError::Read {
            path: config.path.clone(),
            source,
        }
    })?;
    Ok(added)
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The config's sources as an OPML 2.0 document: one outline per feed.
pub fn sources_to_opml(config: &Config) -> String {
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
                xml_url: Some(url.to_string()),
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
}
