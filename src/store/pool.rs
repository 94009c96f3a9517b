//! A pool of open stores (`r2d2`), for the reader's web server: connections opened as
//! requests need them (at most `max_size`), checked before each use, kept for the next.

use std::time::Duration;

use super::{Location, Store, StoreError, open};

/// Opens stores at one location for the pool.
pub struct Manager {
    location: Location,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Store;
    type Error = StoreError;

    fn connect(&self) -> Result<Store, StoreError> {
        open(&self.location).map(|(s, _)| s)
    }

    fn is_valid(&self, conn: &mut Store) -> Result<(), StoreError> {
        conn.data_version().map(|_| ())
    }

    fn has_broken(&self, _conn: &mut Store) -> bool {
        false
    }
}

/// A pool of stores.
pub type Pool = r2d2::Pool<Manager>;

/// A pooled store, given back when dropped.
pub type Pooled = r2d2::PooledConnection<Manager>;

/// A pool of at most `max_size` stores at `location`; opens one at once (a database that
/// cannot be opened fails here, not at the first request).
pub fn pool(location: &Location, max_size: u32) -> Result<Pool, StoreError> {
    let first = open(location)?.0;
    drop(first);
    Ok(r2d2::Pool::builder()
        .max_size(max_size.max(1))
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .build_unchecked(Manager {
            location: location.clone(),
        }))
}
