//! Politeness: how many requests run at once, in all and per host, and the least time between
//! two requests to one host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

/// Shared limits for one run.
pub struct Limits {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Host>>,
}

struct Host {
    slots: Arc<Semaphore>,
    /// When the next request to this host may start.
    next_start: Arc<tokio::sync::Mutex<Instant>>,
}

/// Held while a request runs; dropping it frees the slots.
pub struct Permit {
    _global: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl Limits {
    pub fn new(concurrency: usize, per_host: usize) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot for `url` (its host and port), and for `delay` since the last request
    /// to that host started.
    pub async fn acquire(&self, url: &Url, delay: Duration) -> Permit {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let (slots, next_start) = {
            let mut hosts = self.hosts.lock().expect("limits lock");
            let h = hosts.entry(key).or_insert_with(|| Host {
                slots: Arc::new(Semaphore::new(self.per_host)),
                next_start: Arc::new(tokio::sync::Mutex::new(Instant::now())),
            });
            (h.slots.clone(), h.next_start.clone())
        };
        let host = slots.acquire_owned().await.expect("semaphore never closed");
        if !delay.is_zero() {
            let mut next = next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep_until(*next).await;
            }
            *next = Instant::now() + delay;
        }
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        Permit {
            _global: global,
            _host: host,
        }
    }
}
