//! `newsmirror extract`: the full-text extraction and cleaning of `update`, on saved pages or
//! URLs, to write and debug `content_selector` rules (and for the extraction benchmark).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::Exit;
use crate::config::{Config, FetchSettings};
use crate::extract::Rules;

/// What `extract` prints or writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The article body as plain text: paragraphs separated by blank lines, no headline.
    Text,
    /// The cleaned article HTML.
    Html,
}

/// Plain text with one blank line between paragraphs.
fn paragraphs(text: &str) -> String {
    let paras: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = paras.join("\n\n");
    out.push('\n');
    out
}

/// The text without the headline the extractor sometimes keeps at its start.
fn without_headline(text: &str, title: Option<&str>) -> String {
    let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) else {
        return text.to_string();
    };
    let trimmed = text.trim_start();
    match trimmed.strip_prefix(title) {
        Some(rest) => rest.to_string(),
        None => text.to_string(),
    }
}

/// The bytes of a saved page (`.gz` read through gzip) and its URL.
fn read_file(target: &str) -> anyhow::Result<(Vec<u8>, url::Url)> {
    let path = std::path::absolute(target)?;
    let raw = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let bytes = if target.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .with_context(|| format!("{} is not gzip", path.display()))?;
        out
    } else {
        raw
    };
    let url = url::Url::from_file_path(&path)
        .map_err(|_| anyhow::anyhow!("{} is not a file path", path.display()))?;
    Ok((bytes, url))
}

/// The stem an input's output file is named by: `page.html.gz` → `page`.
fn stem(target: &str) -> String {
    let name = target
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(target);
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let name = name
        .strip_suffix(".html")
        .or_else(|| name.strip_suffix(".htm"))
        .unwrap_or(name);
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("page{clean}")
    } else {
        clean
    }
}

/// Runs `extract` on every input; a failed input is reported and the others go on (exit 1).
pub fn run(
    config: Option<&Config>,
    source: Option<&str>,
    format: Format,
    out: Option<&Path>,
    inputs: &[String],
) -> anyhow::Result<ExitCode> {
    let src = match (source, config) {
        (Some(slug), Some(c)) => {
            Some(c.sources.iter().find(|s| s.slug == slug).ok_or_else(|| {
                anyhow::anyhow!("no source {slug:?} in the config").context(Exit(2))
            })?)
        }
        (Some(slug), None) => {
            return Err(
                anyhow::anyhow!("--source {slug} needs a config (--config FILE)").context(Exit(2)),
            );
        }
        _ => None,
    };
    if out.is_none() && inputs.len() > 1 {
        return Err(
            anyhow::anyhow!("several inputs need --out DIR (one file each)").context(Exit(2)),
        );
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let rules = src.map(|s| s.rules.clone()).unwrap_or_default();
    let settings = src
        .map(|s| s.fetch.clone())
        .or_else(|| config.map(|c| c.fetch.clone()))
        .unwrap_or_default();
    let mut failed = 0;
    let mut runtime = None;
    for target in inputs {
        match one(target, &rules, &settings, format, &mut runtime) {
            Ok(body) => match out {
                Some(dir) => {
                    let ext = if format == Format::Text {
                        "txt"
                    } else {
                        "html"
                    };
                    let path: PathBuf = dir.join(format!("{}.{ext}", stem(target)));
                    std::fs::write(&path, body)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut o = stdout.lock();
                    o.write_all(body.as_bytes())?;
                }
            },
            Err(e) => {
                failed += 1;
                eprintln!("error: {target}: {e:#}");
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn one(
    target: &str,
    rules: &Rules,
    settings: &FetchSettings,
    format: Format,
    runtime: &mut Option<tokio::runtime::Runtime>,
) -> anyhow::Result<String> {
    let (bytes, content_type, url) = match url::Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            if runtime.is_none() {
                *runtime = Some(super::runtime()?);
            }
            let rt = runtime.as_ref().expect("just made");
            let fetcher = crate::fetch::Fetcher::new(1, 1);
            // A URL typed on the command line is the keeper's own choice, like a feed URL.
            let mut settings = settings.clone();
            settings
                .trusted_origins
                .push(u.origin().ascii_serialization());
            let got = rt.block_on(fetcher.get(
                &u,
                &crate::fetch::Validators::default(),
                &settings,
                crate::fetch::Kind::Page,
            ));
            match got.with_context(|| format!("cannot fetch {u}"))? {
                crate::fetch::Fetched::Body(b) => (b.bytes, b.content_type, b.final_url),
                crate::fetch::Fetched::NotModified => anyhow::bail!("{u} answered 304"),
            }
        }
        _ => {
            let (bytes, url) = read_file(target)?;
            (bytes, None, url)
        }
    };
    let page = crate::fetch::charset::decode(&bytes, content_type.as_deref());
    let got = crate::extract::extract_within(
        page.text,
        url.clone(),
        rules.clone(),
        crate::extract::Budget::default(),
        move |got, url| match format {
            Format::Text => paragraphs(&without_headline(&got.text, got.title.as_deref())),
            Format::Html => {
                let mut html = crate::clean::sanitize(&got.html, url);
                html.push('\n');
                html
            }
        },
    )
    .with_context(|| format!("cannot extract {target}"))?;
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_come_from_the_input() {
        assert_eq!(stem("/x/pages/0a1b.html.gz"), "0a1b");
        assert_eq!(stem("page.htm"), "page");
        assert_eq!(stem("https://e.com/a/b c.html"), "b_c");
        assert_eq!(stem("https://e.com/"), "e.com");
    }

    #[test]
    fn the_headline_is_left_out() {
        assert_eq!(without_headline("标题\n正文", Some("标题")), "\n正文");
        assert_eq!(without_headline("正文", Some("标题")), "正文");
    }

    #[test]
    fn text_is_paragraphs() {
        assert_eq!(paragraphs("  一\n\n\n二 \n三"), "一\n\n二\n\n三\n");
    }
}
