//! Values that are almost certainly typos, caught when the config is loaded (each error names
//! its line, where `parse` reports it): a mistyped scheme (`https//…`), a web address without
//! one (`rss.dw.com/…`), `file://` with a relative path, a `~/` path nobody expands.

/// Why a value meant as a URL is almost certainly mistyped: `https//…`, `http:/…`,
/// `https:\\…`, `htps://…`.
pub(super) fn url_typo(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let scheme_end = lower.find(|c: char| !c.is_ascii_alphanumeric())?;
    let (scheme, rest) = lower.split_at(scheme_end);
    let web = matches!(
        scheme,
        "http" | "https" | "htp" | "htps" | "htttp" | "htttps" | "file"
    );
    if !web || rest.starts_with("://") {
        return None;
    }
    let looks_like_url = rest.starts_with("//")
        || rest.starts_with(":/")
        || rest.starts_with(":\\")
        || rest.starts_with(';')
        || (rest.starts_with(':') && !rest.starts_with("::"));
    looks_like_url.then(|| {
        format!(
            "is a mistyped URL (it should start with {}://)",
            match scheme {
                "htp" | "htttp" => "http",
                "htps" | "htttps" => "https",
                s => s,
            }
        )
    })
}

/// Why a path is almost certainly not what was meant: `~` is not expanded by anyone here.
pub(super) fn path_typo(s: &str) -> Option<String> {
    (s == "~" || s.starts_with("~/") || s.starts_with("~\\")).then(|| {
        "starts with ~, which is not expanded: write the full path (e.g. /home/you/…) or one \
         relative to the config file"
            .to_string()
    })
}

/// Whether a relative path's first part is a host name (`rss.dw.com/rdf/…`, `www.x.com`).
pub(super) fn looks_like_a_host(s: &str) -> bool {
    let first = s.split(['/', '\\']).next().unwrap_or("");
    let labels: Vec<&str> = first.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !matches!(
            tld,
            "xml" | "rss" | "atom" | "rdf" | "json" | "html" | "htm" | "txt"
        )
        && (s.contains('/') || first.starts_with("www."))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, ConfigError};

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/srv/mirror/newsmirror.toml"))
    }

    #[test]
    fn typos_are_errors_naming_the_line() {
        let feed = |f: &str| {
            parse(&format!(
                "[archive]\ndir = \"a\"\n[[sources]]\nslug = \"x\"\nname = \"X\"\nfeeds = [\n  \"{f}\",\n]\n"
            ))
        };
        for bad in [
            "https//rss.dw.com/rdf/rss-chi-all",
            "http:/rss.dw.com/x",
            "https:rss.dw.com/x",
            "htps://rss.dw.com/x",
            "rss.dw.com/rdf/rss-chi-all",
            "www.dw.com",
            "file://feeds/dw.xml",
            "~/feeds/dw.xml",
        ] {
            let e = feed(bad).unwrap_err().to_string();
            assert!(e.contains("line 7"), "{bad}: {e}");
        }
        for good in [
            "https://rss.dw.com/rdf/rss-chi-all",
            "feeds/dw.xml",
            "dw.xml",
            "file:///srv/feeds/dw.xml",
            "file://localhost/srv/feeds/dw.xml",
        ] {
            assert!(feed(good).is_ok(), "{good}");
        }
        let e = parse("[archive]\ndir = \"~/mirror\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains('~'), "{e}");
        let e =
            parse("[archive]\ndir = \"a\"\n[publish]\nremotes = [\"https//github.com/x/y.git\"]\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("line 4") && e.contains("mistyped"), "{e}");
    }
}
