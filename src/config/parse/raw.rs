//! The config file as serde reads it: every table and key, with spans for error lines.

use serde::Deserialize;
use toml::Spanned;

use crate::config::{FullText, Layout};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) archive: RawArchive,
    #[serde(default)]
    pub(super) publish: RawPublish,
    #[serde(default)]
    pub(super) history: RawHistory,
    #[serde(default)]
    pub(super) images: RawImages,
    #[serde(default)]
    pub(super) fetch: RawFetch,
    #[serde(default)]
    pub(super) web: RawWeb,
    #[serde(default)]
    pub(super) store: crate::config::store::RawStore,
    #[serde(default)]
    pub(super) sources: Vec<RawSource>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) image_proxy: Option<bool>,
    pub(super) header_timeout: Option<Spanned<String>>,
    pub(super) request_timeout: Option<Spanned<String>>,
    pub(super) max_connections: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArchive {
    pub(super) dir: Spanned<String>,
    #[serde(default)]
    pub(super) layout: Layout,
    #[serde(default)]
    pub(super) feeds: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHistory {
    pub(super) recheck_for: Option<Spanned<String>>,
    pub(super) recheck_every: Option<Spanned<String>>,
    pub(super) confirm_after: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) annotate: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublish {
    #[serde(default)]
    pub(super) git: bool,
    #[serde(default)]
    pub(super) remotes: Vec<Spanned<String>>,
    pub(super) author: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) images: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) max_bytes: Option<u64>,
    pub(super) page_max_bytes: Option<u64>,
    pub(super) user_agent: Option<String>,
    pub(super) proxy: Option<Spanned<String>>,
    pub(super) delay: Option<Spanned<String>>,
    pub(super) retries: Option<u32>,
    pub(super) allow_private: Option<Vec<Spanned<String>>>,
    pub(super) concurrency: Option<Spanned<usize>>,
    pub(super) per_host: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) slug: Spanned<String>,
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) feeds: Vec<Spanned<String>>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) import_from: Option<Spanned<String>>,
    // Per-source overrides of [fetch].
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) max_bytes: Option<u64>,
    pub(super) page_max_bytes: Option<u64>,
    pub(super) user_agent: Option<String>,
    pub(super) proxy: Option<Spanned<String>>,
    pub(super) delay: Option<Spanned<String>>,
    pub(super) retries: Option<u32>,
    pub(super) allow_private: Option<Vec<Spanned<String>>>,
    // Full text and images.
    pub(super) fulltext: Option<FullText>,
    pub(super) content_selector: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) remove_selectors: Vec<Spanned<String>>,
    pub(super) images: Option<crate::clean::ImageMode>,
    pub(super) image_proxy: Option<Spanned<String>>,
    /// The IANA time zone of the source's dates without one (and of `CST`).
    pub(super) timezone: Option<Spanned<String>>,
    // What readers are not shown.
    #[serde(default)]
    pub(super) hide_selectors: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) cut_from_text: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImages {
    pub(super) mode: Option<crate::clean::ImageMode>,
    pub(super) proxy: Option<Spanned<String>>,
    pub(super) max_bytes: Option<u64>,
    pub(super) max_per_article: Option<usize>,
}
