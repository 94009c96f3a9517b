//! Source health: what `status` prints and the README's table shows.

use super::ArchiveError;
use crate::config::Source;
use crate::store::Store;

crate::named_states! {
    /// How a source's feeds are doing.
    FeedHealth {
        /// Every feed answered at its last attempt.
        Ok = "ok",
        /// A feed failed at its last attempt.
        Failing = "failing",
        /// Never fetched.
        New = "new",
    }
}

/// The health of one source, from the state of its feeds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceHealth {
    pub slug: String,
    pub name: String,
    pub articles: i64,
    pub state: FeedHealth,
    /// Consecutive failures of its worst feed.
    pub failures: i64,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_attempt_ms: Option<i64>,
    /// When `run` fetches it next.
    pub next_attempt_ms: Option<i64>,
}

/// The health of every configured source.
pub fn health(store: &Store, sources: &[Source]) -> Result<Vec<SourceHealth>, ArchiveError> {
    let now = chrono::Utc::now().timestamp_millis();
    let longest = |s: &Source| super::MAX_BACKOFF_MS.max(s.interval.as_millis() as i64);
    let counts = store.counts()?;
    let rows = store.feed_rows()?;
    let mut out = Vec::new();
    for s in sources {
        let feeds: Vec<_> = s
            .feeds
            .iter()
            .filter_map(|u| {
                rows.iter()
                    .find(|r| r.url == u.as_str() && r.source == s.slug)
            })
            .collect();
        let failing = feeds.iter().find(|f| f.state.failures > 0);
        let state = if feeds.len() < s.feeds.len() {
            FeedHealth::New
        } else if failing.is_some() {
            FeedHealth::Failing
        } else {
            FeedHealth::Ok
        };
        out.push(SourceHealth {
            slug: s.slug.clone(),
            name: s.name.clone(),
            articles: counts
                .iter()
                .find(|c| c.source == s.slug)
                .map_or(0, |c| c.articles),
            state,
            failures: feeds.iter().map(|f| f.state.failures).max().unwrap_or(0),
            last_success_ms: feeds.iter().filter_map(|f| f.state.last_ok_ms).max(),
            last_error: failing.and_then(|f| f.state.last_error.clone()),
            last_attempt_ms: feeds.iter().filter_map(|f| f.state.last_attempt_ms).max(),
            // A next attempt further ahead than any wait newsmirror sets (a clock that ran
            // ahead, then was set right) is due now.
            next_attempt_ms: feeds
                .iter()
                .filter_map(|f| f.state.next_at_ms)
                .map(|t| if t > now + longest(s) { now } else { t })
                .min(),
        });
    }
    Ok(out)
}

/// A time as `YYYY-MM-DD HH:MM` in UTC+8, the mirrors' time zone.
pub fn format_time(ms: i64) -> String {
    use chrono::TimeZone;
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    tz.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A day as `YYYY-MM-DD` in UTC+8.
pub fn format_day(ms: i64) -> String {
    format_time(ms).chars().take(10).collect()
}
