//! Workers (`newsmirror worker`): any number of processes on any number of machines share one
//! PostgreSQL database. Each claims due sources (`FOR UPDATE SKIP LOCKED`, with a lease it
//! renews while it works: a worker that dies gives its sources back when the lease runs out),
//! fetches, selects, completes full text and images, and commits each source in its own
//! transaction, checked against the source's version. It writes no mirror files; the
//! publisher renders them. Requests keep `per_host` and `delay` in total across workers
//! (`polite`). Rechecks of pages are claimed the same way.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::update::{SourceReport, UpdateOptions, UpdateReport, pass};
use super::{Archive, ArchiveError};
use crate::config::{Config, Source};
use crate::fetch::Fetcher;
use crate::polite::Polite;
use crate::store::{DbErrorKind, blocking};

/// This worker's name in the claims it holds: host, process, and a random part.
pub fn worker_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: a valid buffer and its length.
    let host = if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "host".to_string()
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{host}:{}:{nanos:08x}", std::process::id())
}

/// Renews `worker`'s leases every third of the lease, on a connection of its own, until
/// dropped.
struct Heartbeat {
    stop: watch::Sender<bool>,
}

impl Heartbeat {
    fn start(config: &Config, worker: &str) -> Result<Heartbeat, ArchiveError> {
        let (store, _) = blocking(|| crate::store::open(&config.store_location()))?;
        let store = Arc::new(Mutex::new(store));
        let lease = config.store.lease;
        let worker = worker.to_string();
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(lease / 3) => {}
                    _ = stopped.changed() => return,
                }
                let (s, w) = (store.clone(), worker.clone());
                let renewed = tokio::task::spawn_blocking(move || {
                    let mut s = s.lock().unwrap_or_else(|p| p.into_inner());
                    s.renew_claims(&w, lease.as_millis() as i64)
                })
                .await;
                if let Ok(Err(e)) = renewed {
                    tracing::warn!("claims of {worker} not renewed: {e}");
                }
            }
        });
        Ok(Heartbeat { stop })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// `update` with PostgreSQL: the sources are claimed (whether due or not; those another worker
/// holds are left to it), passed once, and given back.
pub(crate) async fn update_claimed(
    config: &Config,
    archive: &mut Archive,
    sources: &[&Source],
    opts: &UpdateOptions,
    fetcher: Arc<Fetcher>,
) -> Result<UpdateReport, ArchiveError> {
    let me = worker_name();
    let slugs: Vec<String> = sources.iter().map(|s| s.slug.clone()).collect();
    let lease = config.store.lease.as_millis() as i64;
    let polite = Arc::new(blocking(|| {
        Polite::shared(fetcher, &config.store_location(), config.per_host)
    })?);
    let _beat = Heartbeat::start(config, &me)?;
    let claims = blocking(|| {
        archive
            .store
            .claim_sources(&me, &slugs, false, slugs.len(), lease)
    })?;
    let held: Vec<&Source> = sources
        .iter()
        .filter(|s| claims.iter().any(|c| c.slug == s.slug))
        .copied()
        .collect();
    let result = pass(config, archive, &held, opts, polite).await;
    let claimed: Vec<String> = claims.into_iter().map(|c| c.slug).collect();
    blocking(|| archive.store.release_claims(&me, &claimed))?;
    let mut report = result?;
    for s in sources.iter().filter(|s| !claimed.contains(&s.slug)) {
        report.sources.push(SourceReport {
            slug: s.slug.clone(),
            name: s.name.clone(),
            warnings: vec![format!(
                "source {} is being fetched by a worker; left to it",
                s.slug
            )],
            ..Default::default()
        });
    }
    Ok(report)
}

/// What a worker calls with each batch's report.
pub type BatchHook = Arc<dyn Fn(&UpdateReport) + Send + Sync>;

/// How a worker runs.
#[derive(Clone, Default)]
pub struct WorkerOptions {
    /// Process every due source (and due recheck) once, then return.
    pub once: bool,
    /// Becomes true when the worker should stop (after the batch in hand).
    pub shutdown: Option<watch::Receiver<bool>>,
    /// Called with each batch's report.
    pub on_batch: Option<BatchHook>,
}

/// What a worker did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct WorkerReport {
    pub batches: usize,
    pub sources: usize,
    pub new: usize,
    pub edited: usize,
    pub rechecked: usize,
    pub removed: usize,
    pub failures: usize,
}

/// The longest a worker sleeps before it looks for due sources again.
const MAX_NAP: Duration = Duration::from_secs(30);

/// Runs a worker: claims due sources `[store] claim` at a time and passes them, then due
/// rechecks; with `once`, until none are due, else until told to stop. A database that cannot
/// be reached (a restart) is waited for, not fatal.
pub async fn work(
    config: &Config,
    archive: &mut Archive,
    opts: &WorkerOptions,
) -> Result<WorkerReport, ArchiveError> {
    let me = worker_name();
    tracing::info!("worker {me} starts");
    let slugs: Vec<String> = config.sources.iter().map(|s| s.slug.clone()).collect();
    let lease = config.store.lease.as_millis() as i64;
    let fetcher = Arc::new(Fetcher::new(config.concurrency, config.per_host));
    let polite = Arc::new(blocking(|| {
        Polite::shared(fetcher, &config.store_location(), config.per_host)
    })?);
    let _beat = Heartbeat::start(config, &me)?;
    let mut report = WorkerReport::default();
    let stopping = || opts.shutdown.as_ref().is_some_and(|s| *s.borrow());
    let mut unavailable = 0u32;
    while !stopping() {
        let step = step(
            config,
            archive,
            &me,
            &slugs,
            lease,
            &polite,
            opts,
            &mut report,
        )
        .await;
        let idle = match step {
            Ok(idle) => {
                unavailable = 0;
                idle
            }
            Err(ArchiveError::Store(e)) if e.kind() == DbErrorKind::Unavailable => {
                unavailable += 1;
                let wait = Duration::from_secs(1 << unavailable.min(5));
                tracing::warn!("worker {me}: {e}; trying again in {wait:?}");
                nap(opts, wait).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        if idle {
            if opts.once {
                break;
            }
            nap(opts, next_nap(archive, config).await).await;
        }
    }
    tracing::info!("worker {me} stops");
    Ok(report)
}

/// One batch: due sources if any, else due rechecks. Returns whether there was nothing to do.
#[allow(clippy::too_many_arguments)]
async fn step(
    config: &Config,
    archive: &mut Archive,
    me: &str,
    slugs: &[String],
    lease: i64,
    polite: &Arc<Polite>,
    opts: &WorkerOptions,
    report: &mut WorkerReport,
) -> Result<bool, ArchiveError> {
    let claims = blocking(|| {
        archive
            .store
            .claim_sources(me, slugs, true, config.store.claim, lease)
    })?;
    if claims.is_empty() {
        let r = super::recheck::claimed_pass(config, archive, polite, me, None).await?;
        report.rechecked += r.checked;
        report.removed += r.removed;
        return Ok(r.checked == 0);
    }
    let claimed: Vec<String> = claims.iter().map(|c| c.slug.clone()).collect();
    let sources: Vec<&Source> = config
        .sources
        .iter()
        .filter(|s| claimed.contains(&s.slug))
        .collect();
    tracing::info!("worker {me}: claimed {}", claimed.join(", "));
    let upd = UpdateOptions {
        shutdown: opts.shutdown.clone(),
        ..Default::default()
    };
    let result = pass(config, archive, &sources, &upd, polite.clone()).await;
    // Given back whatever happened (a source not committed is due again).
    let released = blocking(|| archive.store.release_claims(me, &claimed));
    let r = result?;
    released?;
    report.batches += 1;
    report.sources += sources.len();
    report.new += r.new_articles();
    report.edited += r.edited;
    report.failures += r.sources.iter().filter(|s| !s.failures.is_empty()).count();
    if let Some(f) = &opts.on_batch {
        f(&r);
    }
    Ok(false)
}

/// How long to sleep when nothing is due: until the soonest source is due (at most
/// [`MAX_NAP`], at least a moment).
async fn next_nap(archive: &Archive, config: &Config) -> Duration {
    let soonest = blocking(|| -> Result<Option<i64>, ArchiveError> {
        let now = archive.store.clock_ms()?;
        let next = archive
            .store
            .feed_rows()?
            .into_iter()
            .filter(|f| config.sources.iter().any(|s| s.slug == f.source))
            .filter_map(|f| f.state.next_at_ms)
            .min();
        Ok(next.map(|t| t - now))
    });
    match soonest {
        Ok(Some(ms)) => Duration::from_millis(ms.max(200) as u64).min(MAX_NAP),
        _ => MAX_NAP,
    }
}

async fn nap(opts: &WorkerOptions, d: Duration) {
    match opts.shutdown.clone() {
        Some(mut stop) => {
            tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        }
        None => tokio::time::sleep(d).await,
    }
}
