//! The extraction budget: one page may take so much text and so much time, on a thread of its
//! own with a deep stack, and a crash there (a panic in the extractor) fails that page only.

use std::sync::mpsc;
use std::time::Duration;

use url::Url;

use super::{ExtractError, Extracted, Rules};

/// What one page's extraction may use.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The most bytes of (decoded) HTML extracted; larger pages keep the feed's content.
    pub max_bytes: usize,
    /// The most time; past it the extraction is abandoned (its thread finishes on its own).
    pub time: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_bytes: 4 * 1024 * 1024,
            time: Duration::from_secs(20),
        }
    }
}

/// A worker's stack: tree walkers recurse, and pages nest (within the cap of `nesting`).
const STACK: usize = 256 * 1024 * 1024;

/// Extracts on a thread of its own within `budget`, then runs `then` on the result there
/// too (sanitizing, typically), so that the whole page's work is bounded.
pub fn extract_within<T: Send + 'static>(
    html: String,
    url: Url,
    rules: Rules,
    budget: Budget,
    then: impl FnOnce(Extracted, &Url) -> T + Send + 'static,
) -> Result<T, ExtractError> {
    if html.len() > budget.max_bytes {
        return Err(ExtractError::TooLarge {
            size: html.len(),
            limit: budget.max_bytes,
        });
    }
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("extract".into())
        .stack_size(STACK)
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                super::extract(&html, &url, &rules).map(|got| then(got, &url))
            }));
            let _ = tx.send(out);
        })
        .map_err(|e| ExtractError::Failed(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(budget.time) {
        Ok(Ok(result)) => {
            let _ = worker.join();
            result
        }
        Ok(Err(panic)) => Err(ExtractError::Crashed(panic_message(panic.as_ref()))),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(ExtractError::TooSlow(budget.time)),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(ExtractError::Crashed("the worker stopped".into()))
        }
    }
}

/// The text a panic carried.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> String {
        format!(
            "<html><body><article>{}</article></body></html>",
            "<p>正文内容，足够长的一段话。</p>".repeat(20)
        )
    }

    fn url() -> Url {
        Url::parse("https://news.example/a").unwrap()
    }

    #[test]
    fn a_crash_fails_the_page_only() {
        let r = extract_within(
            page(),
            url(),
            Rules::default(),
            Budget::default(),
            |_, _| panic!("boom"),
        );
        assert!(
            matches!(r, Err(ExtractError::Crashed(ref m)) if m == "boom"),
            "{r:?}"
        );
    }

    #[test]
    fn budgets_of_size_and_time() {
        let small = Budget {
            max_bytes: 100,
            ..Budget::default()
        };
        let r = extract_within(page(), url(), Rules::default(), small, |g, _| g.text);
        assert!(matches!(r, Err(ExtractError::TooLarge { .. })), "{r:?}");
        let short = Budget {
            time: Duration::from_millis(50),
            ..Budget::default()
        };
        let r = extract_within(page(), url(), Rules::default(), short, |g, _| {
            std::thread::sleep(Duration::from_secs(2));
            g.text
        });
        assert!(matches!(r, Err(ExtractError::TooSlow(_))), "{r:?}");
        let ok = extract_within(
            page(),
            url(),
            Rules::default(),
            Budget::default(),
            |g, _| g.text,
        );
        assert!(ok.unwrap().contains("正文内容"));
    }
}
