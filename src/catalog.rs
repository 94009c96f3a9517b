//! The catalogue of outlets `newsmirror init` knows: `examples/outlets.toml`, built into the
//! binary, so that the feeds, full-text modes and cleaning rules maintained there reach every
//! new mirror. It only reads that text and writes config text; it never fetches.

use toml_edit::{ArrayOfTables, DocumentMut, Table};

/// The catalogue as shipped: a valid config of its own.
pub const OUTLETS_TOML: &str = include_str!("../examples/outlets.toml");

/// What went wrong choosing outlets.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("no outlet {slug:?} in the catalogue; known: {known}")]
    Unknown { slug: String, known: String },
    #[error("no outlet chosen; known: {0}")]
    Empty(String),
}

/// One outlet of the catalogue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outlet {
    pub slug: String,
    pub name: String,
    pub feeds: Vec<String>,
    /// `feed`, `page` or `auto`.
    pub fulltext: String,
    /// Whether the catalogue carries cleaning rules for it (`content_selector`,
    /// `remove_selectors`, `hide_selectors`, `cut_from_text`).
    pub rules: bool,
    /// The time zone of its dates without one, when the catalogue sets it.
    pub timezone: Option<String>,
}

/// The keys of a source that are cleaning rules.
const RULE_KEYS: [&str; 4] = [
    "content_selector",
    "remove_selectors",
    "hide_selectors",
    "cut_from_text",
];

fn document() -> DocumentMut {
    OUTLETS_TOML
        .parse()
        .expect("examples/outlets.toml is valid TOML (tested)")
}

fn tables(doc: &DocumentMut) -> Vec<Table> {
    doc.get("sources")
        .and_then(|i| i.as_array_of_tables())
        .map(|a| a.iter().cloned().collect())
        .unwrap_or_default()
}

fn text(t: &Table, key: &str) -> String {
    t.get(key)
        .and_then(|i| i.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Every outlet, in the catalogue's order.
pub fn outlets() -> Vec<Outlet> {
    tables(&document())
        .iter()
        .map(|t| Outlet {
            slug: text(t, "slug"),
            name: text(t, "name"),
            feeds: t
                .get("feeds")
                .and_then(|i| i.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            fulltext: t
                .get("fulltext")
                .and_then(|i| i.as_str())
                .unwrap_or("auto")
                .to_string(),
            rules: RULE_KEYS.iter().any(|k| t.contains_key(k)),
            timezone: t
                .get("timezone")
                .and_then(|i| i.as_str())
                .map(str::to_string),
        })
        .collect()
}

fn known() -> String {
    outlets()
        .iter()
        .map(|o| o.slug.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The head of a new mirror's config, before its sources.
const HEAD: &str = r#"# The config of this news mirror, made by `newsmirror init`.
# Every key is described in newsmirror's README ("Configuration"). After an edit, commit and
# push it: the next run (GitHub Actions, or your server) uses it.

[archive]
dir = "."            # this repository is the mirror: articles/, lists/, README.md
layout = "yearly"    # articles/<slug>/<yyyy>/<id>.md: folders stay small on git hosts

[publish]
git = true           # commit after every update that changed files
remotes = ["origin"] # and push them here
"#;

/// The config text of a new mirror of the outlets `slugs` (in that order), each with what
/// the catalogue says about it (feeds, full text, cleaning rules, comments).
pub fn config_text(slugs: &[String]) -> Result<String, CatalogError> {
    let all = tables(&document());
    let mut out = String::from(HEAD);
    let mut seen: Vec<&str> = Vec::new();
    for slug in slugs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if seen.contains(&slug) {
            continue;
        }
        let Some(t) = all.iter().find(|t| text(t, "slug") == slug) else {
            return Err(CatalogError::Unknown {
                slug: slug.to_string(),
                known: known(),
            });
        };
        seen.push(slug);
        // One table at a time, so that its comments come along and its place is its own.
        let mut t = t.clone();
        t.set_position(Some(0));
        let mut aot = ArrayOfTables::new();
        aot.push(t);
        let mut one = DocumentMut::new();
        one.insert("sources", toml_edit::Item::ArrayOfTables(aot));
        let s = one.to_string();
        out.push('\n');
        out.push_str(s.trim_start_matches('\n'));
    }
    if seen.is_empty() {
        return Err(CatalogError::Empty(known()));
    }
    Ok(out)
}

/// `text` without the `[[sources]]` table whose slug is `slug`, comments elsewhere kept.
/// `None` when no such source is there (or the text is not TOML).
pub fn without_source(text: &str, slug: &str) -> Option<String> {
    let mut doc: DocumentMut = text.parse().ok()?;
    let aot = doc.get_mut("sources")?.as_array_of_tables_mut()?;
    let at = aot
        .iter()
        .position(|t| t.get("slug").and_then(|i| i.as_str()) == Some(slug))?;
    aot.remove(at);
    if aot.is_empty() {
        doc.remove("sources");
    }
    Some(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn the_catalogue_is_a_valid_config_and_lists_its_outlets() {
        let c = Config::parse(OUTLETS_TOML, Path::new("/x/outlets.toml")).unwrap();
        let o = outlets();
        assert_eq!(o.len(), c.sources.len());
        assert!(o.iter().any(|o| o.slug == "dw" && o.name == "德国之声"));
        assert!(
            o.iter()
                .all(|o| !o.feeds.is_empty() && o.feeds[0].starts_with("https://"))
        );
    }

    #[test]
    fn the_catalogue_archives_apart_from_the_quick_start() {
        let quick = include_str!("../examples/newsmirror.toml");
        let a = Config::parse(OUTLETS_TOML, Path::new("/x/examples/outlets.toml")).unwrap();
        let b = Config::parse(quick, Path::new("/x/examples/newsmirror.toml")).unwrap();
        assert_ne!(a.archive_dir, b.archive_dir);
    }

    #[test]
    fn config_text_keeps_the_chosen_outlets_in_order() {
        let text = config_text(&["bbc".into(), "dw".into(), "bbc".into()]).unwrap();
        let c = Config::parse(&text, Path::new("/m/newsmirror.toml")).unwrap();
        let slugs: Vec<&str> = c.sources.iter().map(|s| s.slug.as_str()).collect();
        assert_eq!(slugs, ["bbc", "dw"]);
        assert_eq!(c.archive_dir, Path::new("/m/."));
        assert!(c.publish.git && c.publish.remotes == ["origin"]);
        let full = Config::parse(OUTLETS_TOML, Path::new("/x/outlets.toml")).unwrap();
        let dw = full.sources.iter().find(|s| s.slug == "dw").unwrap();
        let mine = c.sources.iter().find(|s| s.slug == "dw").unwrap();
        assert_eq!(mine.feeds, dw.feeds);
        assert_eq!(mine.fulltext, dw.fulltext);
        assert_eq!(mine.rules.content_selector, dw.rules.content_selector);
        assert_eq!(mine.rules.remove_selectors, dw.rules.remove_selectors);
    }

    #[test]
    fn unknown_and_empty_choices_are_errors() {
        let e = config_text(&["dw".into(), "nope".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"nope\"") && e.contains("dw, bbc"), "{e}");
        assert!(config_text(&[]).is_err());
    }

    #[test]
    fn a_source_is_removed_and_the_rest_kept() {
        let text = "# mine\n[archive]\ndir = \".\"\n\n# the first\n[[sources]]\nslug = \"a\"\nname = \"A\"\n\n# the second\n[[sources]]\nslug = \"b\"\nname = \"B\"\n";
        let out = without_source(text, "a").unwrap();
        assert!(
            out.contains("# mine") && out.contains("# the second"),
            "{out}"
        );
        assert!(!out.contains("slug = \"a\""), "{out}");
        let none = without_source(&out, "b").unwrap();
        assert!(!none.contains("[[sources]]"), "{none}");
        assert!(without_source(text, "zz").is_none());
    }

    #[test]
    fn outlets_with_display_rules_say_so() {
        let all = outlets();
        let rules = |slug: &str| all.iter().find(|o| o.slug == slug).unwrap().rules;
        assert!(rules("bbc") && rules("cdt") && !rules("dw"));
    }
}
