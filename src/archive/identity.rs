//! When two items are the same article: the rules for canonical links and comparable titles.

use url::Url;

/// Query parameters that only track the reader and never change the article.
fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid"
                | "gclid"
                | "gclsrc"
                | "dclid"
                | "msclkid"
                | "yclid"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "_ga"
                | "_gl"
                | "ref_src"
                | "at_medium"
                | "at_campaign"
                | "at_custom1"
                | "at_custom2"
                | "at_custom3"
                | "at_custom4"
                | "xtor"
                | "ocid"
                | "cmpid"
                | "rss"
                | "rssfeed"
        )
}

/// The link compared for repeats: no fragment, no tracking parameters; scheme and host are
/// already lower case in a parsed URL.
pub fn canonical_link(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    u.to_string()
}

/// The title compared for repeats: trimmed, inner white space folded to one space.
pub fn comparable_title(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_and_fragment_dropped() {
        let a =
            Url::parse("HTTP://Example.ORG/a/1.html?utm_source=rss&utm_medium=feed#top").unwrap();
        assert_eq!(canonical_link(&a), "http://example.org/a/1.html");
        let b = Url::parse("https://example.org/a?id=3&fbclid=x").unwrap();
        assert_eq!(canonical_link(&b), "https://example.org/a?id=3");
    }

    #[test]
    fn titles_fold_space() {
        assert_eq!(comparable_title(" 同一篇  文章 "), "同一篇 文章");
    }
}
