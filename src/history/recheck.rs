//! Rechecking article pages: removed (404, 410, or sent to the site's front page, seen twice
//! at least `confirm_after` apart), restored (back after a removal). A temporary error (5xx,
//! timeout, reset) never counts either way.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::config::FetchSettings;
use crate::fetch::{FetchError, Fetched, Fetcher, Kind, Validators};
use crate::store::{CheckResult, CheckTarget};

/// What one check of a page found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageState {
    /// The page is there (200 or 304).
    Live {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// 404, 410, or a redirect to the site's front page.
    Gone,
    /// Anything else: no conclusion.
    Unknown,
}

/// Whether `to` is the front page of the site `from` was on: a redirect from an article to
/// `/` or to a one-segment path such as `/zh/`.
pub fn is_front_page(from: &Url, to: &Url) -> bool {
    if from == to
        || from.host_str().map(|h| h.trim_start_matches("www."))
            != to.host_str().map(|h| h.trim_start_matches("www."))
    {
        return false;
    }
    let segments = |u: &Url| {
        u.path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).count())
            .unwrap_or(0)
    };
    segments(to) <= 1 && segments(from) > segments(to)
}

/// Fetches one page and classifies the answer.
pub async fn check_page(fetcher: &Fetcher, t: &CheckTarget, settings: &FetchSettings) -> PageState {
    let Ok(url) = Url::parse(&t.link) else {
        return PageState::Unknown;
    };
    let validators = Validators {
        etag: t.etag.clone(),
        last_modified: t.last_modified.clone(),
    };
    match fetcher.get(&url, &validators, settings, Kind::Page).await {
        Ok(Fetched::NotModified) => PageState::Live {
            etag: t.etag.clone(),
            last_modified: t.last_modified.clone(),
        },
        Ok(Fetched::Body(b)) if is_front_page(&url, &b.final_url) => PageState::Gone,
        Ok(Fetched::Body(b)) => PageState::Live {
            etag: b.validators.etag,
            last_modified: b.validators.last_modified,
        },
        Err(FetchError::Status {
            code: 404 | 410, ..
        }) => PageState::Gone,
        Err(e @ FetchError::Refused { .. }) => {
            tracing::warn!("recheck of {}: {e}", t.link);
            PageState::Unknown
        }
        Err(_) => PageState::Unknown,
    }
}

/// The record of a check: a removal needs two sightings at least `confirm_after` apart.
pub fn judge(
    t: &CheckTarget,
    state: PageState,
    now_ms: i64,
    confirm_after: Duration,
) -> CheckResult {
    let mut r = CheckResult {
        pk: t.pk,
        checked_ms: now_ms,
        etag: t.etag.clone(),
        last_modified: t.last_modified.clone(),
        missing_since_ms: t.missing_since_ms,
        event: None,
    };
    match state {
        PageState::Live {
            etag,
            last_modified,
        } => {
            r.etag = etag;
            r.last_modified = last_modified;
            r.missing_since_ms = None;
            if t.status == "removed" {
                r.event = Some(("restored", now_ms));
            }
        }
        PageState::Gone => match (t.status.as_str(), t.missing_since_ms) {
            ("removed", _) => {}
            (_, None) => r.missing_since_ms = Some(now_ms),
            (_, Some(since)) if now_ms - since >= confirm_after.as_millis() as i64 => {
                r.event = Some(("removed", now_ms));
            }
            _ => {}
        },
        PageState::Unknown => {}
    }
    r
}

/// Checks every target, within the fetcher's limits, and judges each.
pub async fn check_all(
    fetcher: Arc<Fetcher>,
    targets: Vec<CheckTarget>,
    settings: &HashMap<String, FetchSettings>,
    default: &FetchSettings,
    now_ms: i64,
    confirm_after: Duration,
) -> Vec<CheckResult> {
    let mut tasks = tokio::task::JoinSet::new();
    for t in targets {
        let s = settings.get(&t.source).unwrap_or(default).clone();
        let fetcher = fetcher.clone();
        tasks.spawn(async move {
            let state = check_page(&fetcher, &t, &s).await;
            judge(&t, state, now_ms, confirm_after)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Ok(r) = r {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(status: &str, missing: Option<i64>) -> CheckTarget {
        CheckTarget {
            pk: 1,
            source: "s".into(),
            link: "https://x.example/a/1".into(),
            etag: None,
            last_modified: None,
            status: status.into(),
            missing_since_ms: missing,
        }
    }

    #[test]
    fn removal_needs_two_sightings_apart() {
        let six_h = Duration::from_secs(6 * 3600);
        let first = judge(&target("live", None), PageState::Gone, 1000, six_h);
        assert_eq!((first.missing_since_ms, first.event), (Some(1000), None));
        let soon = judge(&target("live", Some(1000)), PageState::Gone, 2000, six_h);
        assert_eq!(soon.event, None);
        let later = judge(
            &target("live", Some(1000)),
            PageState::Gone,
            1000 + 6 * 3_600_000,
            six_h,
        );
        assert_eq!(later.event, Some(("removed", 1000 + 6 * 3_600_000)));
        let temp = judge(
            &target("live", Some(1000)),
            PageState::Unknown,
            99_999_999,
            six_h,
        );
        assert_eq!((temp.event, temp.missing_since_ms), (None, Some(1000)));
        let back = judge(
            &target("removed", Some(1000)),
            PageState::Live {
                etag: None,
                last_modified: None,
            },
            5,
            six_h,
        );
        assert_eq!(
            (back.event, back.missing_since_ms),
            (Some(("restored", 5)), None)
        );
    }

    #[test]
    fn front_page() {
        let a = Url::parse("https://www.dw.com/zh/some-title/a-123").unwrap();
        assert!(is_front_page(
            &a,
            &Url::parse("https://www.dw.com/zh/").unwrap()
        ));
        assert!(is_front_page(&a, &Url::parse("https://dw.com/").unwrap()));
        assert!(!is_front_page(
            &a,
            &Url::parse("https://www.dw.com/zh/other/a-124").unwrap()
        ));
        assert!(!is_front_page(
            &a,
            &Url::parse("https://evil.example/").unwrap()
        ));
    }
}
