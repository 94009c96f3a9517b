//! Politeness held in total across processes: a fetcher whose requests to a host also take
//! one of the host's `per_host` slots and keep its `delay` in the shared database, so that any
//! number of workers on any number of machines never exceed them together.
//!
//! Within one process the fetcher's own limits (`fetch::limits`) hold as always; the gate adds
//! the database's: a slot is a session lock of the gate's own connection (a worker that dies
//! frees its slots with its connection), the delay a start time reserved in the `hosts` table
//! by the database's clock. A slot is held for the whole request, retries included (they go to
//! the same host); a redirect to another host is counted under the host first asked. Without a
//! gate (SQLite: one process) a request is the fetcher's alone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use crate::config::FetchSettings;
use crate::fetch::{FetchError, Fetched, Fetcher, Kind, Validators};
use crate::store::{Location, Store, StoreError};

/// A fetcher, and the gate of the database it shares with other processes, if any.
pub struct Polite {
    pub fetcher: Arc<Fetcher>,
    gate: Option<Arc<Gate>>,
}

/// The database side of politeness: its own connection.
pub struct Gate {
    store: Mutex<Store>,
    per_host: usize,
}

impl Polite {
    /// The fetcher alone (one process: SQLite).
    pub fn alone(fetcher: Arc<Fetcher>) -> Polite {
        Polite {
            fetcher,
            gate: None,
        }
    }

    /// The fetcher, with a gate through the database at `location` (PostgreSQL).
    pub fn shared(
        fetcher: Arc<Fetcher>,
        location: &Location,
        per_host: usize,
    ) -> Result<Polite, StoreError> {
        let (store, _) = crate::store::open(location)?;
        Ok(Polite {
            fetcher,
            gate: Some(Arc::new(Gate {
                store: Mutex::new(store),
                per_host: per_host.max(1),
            })),
        })
    }

    /// Fetches `url` as [`Fetcher::get`] does, after taking a slot of its host and waiting
    /// for the host's delay in the shared database.
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        settings: &FetchSettings,
        kind: Kind,
    ) -> Result<Fetched, FetchError> {
        let _slot = match &self.gate {
            Some(g) if matches!(url.scheme(), "http" | "https") => {
                Some(g.clone().enter(url, settings).await?)
            }
            _ => None,
        };
        self.fetcher.get(url, validators, settings, kind).await
    }
}

/// A host slot taken; given back when dropped.
struct Slot {
    gate: Arc<Gate>,
    host: String,
    slot: i32,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (gate, host, slot) = (self.gate.clone(), std::mem::take(&mut self.host), self.slot);
        let release = move || {
            let mut s = gate.store.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = s.release_host_slot(&host, slot) {
                tracing::debug!(
                    "host slot {host}#{slot} not released ({e}); freed with the connection"
                );
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn_blocking(release);
            }
            Err(_) => release(),
        }
    }
}

/// `host:port`, as the fetcher's own limits count hosts.
pub fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

impl Gate {
    /// Takes a slot of `url`'s host (waiting while all are taken), then waits for the host's
    /// next start time. A database that cannot be reached fails the request (after trying for
    /// the request's timeout): requests never go out uncounted.
    async fn enter(
        self: Arc<Gate>,
        url: &Url,
        settings: &FetchSettings,
    ) -> Result<Slot, FetchError> {
        let host = host_key(url);
        let deadline = tokio::time::Instant::now() + settings.timeout;
        let mut nap = Duration::from_millis(5);
        let slot = loop {
            let (g, h) = (self.clone(), host.clone());
            let got = tokio::task::spawn_blocking(move || {
                let mut s = g.store.lock().unwrap_or_else(|p| p.into_inner());
                s.try_host_slot(&h, g.per_host)
            })
            .await
            .map_err(|e| FetchError::Connect(format!("politeness gate: {e}")))?;
            match got {
                Ok(Some(slot)) => break slot,
                Ok(None) => {}
                Err(e) => tracing::warn!("politeness gate for {host}: {e}"),
            }
            if tokio::time::Instant::now() + nap > deadline {
                return Err(FetchError::Timeout(settings.timeout));
            }
            // A little randomness, so that waiting workers do not ask in lockstep.
            let jitter = Duration::from_micros(u64::from(std::process::id() % 7) * 700);
            tokio::time::sleep(nap + jitter).await;
            nap = (nap * 2).min(Duration::from_millis(50));
        };
        let taken = Slot {
            gate: self.clone(),
            host: host.clone(),
            slot,
        };
        if !settings.delay.is_zero() {
            let (g, h) = (self.clone(), host.clone());
            let delay = settings.delay.as_millis() as i64;
            let wait = tokio::task::spawn_blocking(move || {
                let mut s = g.store.lock().unwrap_or_else(|p| p.into_inner());
                s.reserve_host_start(&h, delay)
            })
            .await
            .map_err(|e| FetchError::Connect(format!("politeness gate: {e}")))?
            .map_err(|e| FetchError::Connect(format!("politeness gate for {host}: {e}")))?;
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
        Ok(taken)
    }
}
