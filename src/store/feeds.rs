//! Per-feed state (validators for conditional requests, health) and the operational state
//! kept beside the files: records and the interface.

use super::Result;

/// What the database remembers of a feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_ok_ms: Option<i64>,
    pub last_error: Option<String>,
    /// Consecutive failures (0 after a success).
    pub failures: i64,
    pub last_attempt_ms: Option<i64>,
    /// When the feed is next due.
    pub next_at_ms: Option<i64>,
}

/// A feed's state with its URL and source, for status tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub url: String,
    pub source: String,
    pub state: FeedState,
}

/// The operational state worth keeping when the database is rebuilt (`.newsmirror/state.json`):
/// feed validators and health, the recheck schedule of recent articles, and how many articles
/// each source held when it was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperationalState {
    /// Articles per source (slug → count) when the state was written.
    pub articles: std::collections::BTreeMap<String, i64>,
    pub feeds: Vec<FeedStateRow>,
    pub rechecks: Vec<RecheckState>,
}

/// One feed's state, by URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedStateRow {
    pub url: String,
    pub source: String,
    #[serde(flatten)]
    pub state: FeedState,
}

/// The recheck state of one article, by path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecheckState {
    pub path: String,
    pub first_seen_ms: i64,
    pub checked_ms: Option<i64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Feeds and the recheck schedule.
pub trait Feeds {
    /// The state of a feed, default when never fetched.
    fn feed_state(&self, url: &str) -> Result<FeedState>;
    /// Every feed's state, by source then URL.
    fn feed_rows(&self) -> Result<Vec<FeedRow>>;
    /// The recheck state of the articles first seen since `since_ms`, by path.
    fn recheck_states(&self, since_ms: i64) -> Result<Vec<RecheckState>>;
    /// Loads a saved operational state into a rebuilt database. Feeds of `stale_sources`
    /// keep their health but lose their validators, so that their next fetch is
    /// unconditional and nothing they carried is missed.
    fn load_operational_state(
        &mut self,
        state: &OperationalState,
        stale_sources: &[String],
    ) -> Result<()>;
}

impl super::Store {
    /// The operational state: every feed, and the articles first seen since `since_ms` (the
    /// only ones rechecked).
    pub fn operational_state(&self, since_ms: i64) -> Result<OperationalState> {
        let feeds = self
            .feed_rows()?
            .into_iter()
            .map(|r| FeedStateRow {
                url: r.url,
                source: r.source,
                state: r.state,
            })
            .collect();
        let rechecks = self.recheck_states(since_ms)?;
        let articles = self
            .counts()?
            .into_iter()
            .map(|c| (c.source, c.articles))
            .collect();
        Ok(OperationalState {
            articles,
            feeds,
            rechecks,
        })
    }
}
