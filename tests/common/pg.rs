//! PostgreSQL for the tests: the server `NEWSMIRROR_TEST_POSTGRES` names (CI starts a throwaway
//! one, `.ci/postgres.sh`). Unset: the test prints "SKIP: …" and passes, unless
//! `NEWSMIRROR_REQUIRE_POSTGRES=1` (CI) makes it a failure. Set: a server that cannot be reached
//! is a failure. Each test works in a schema of its own (dropped at the end),
//! so tests run in parallel.

use std::sync::atomic::{AtomicU32, Ordering};

/// A schema of its own on the test server.
pub struct PgSchema {
    /// The URL newsmirror is given: the server's, with `search_path` set to the schema.
    pub url: String,
    base: String,
    schema: String,
}

/// The test server's URL, or `None` after printing why the test skips.
pub fn server(test: &str) -> Option<String> {
    match std::env::var("NEWSMIRROR_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("NEWSMIRROR_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!(
                "{test}: NEWSMIRROR_REQUIRE_POSTGRES=1 but NEWSMIRROR_TEST_POSTGRES is not set \
                 (source .ci/postgres.sh to start a throwaway PostgreSQL)"
            )
        }
        _ => {
            println!(
                "SKIP: {test}: NEWSMIRROR_TEST_POSTGRES is not set (source .ci/postgres.sh to \
                 start a throwaway PostgreSQL)"
            );
            None
        }
    }
}

/// A fresh schema for `test`, or `None` (skipped) when there is no test server.
pub fn schema(test: &str) -> Option<PgSchema> {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = server(test)?;
    let name: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    let schema = format!(
        "t_{name}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut client = postgres::Client::connect(&base, postgres::NoTls).unwrap_or_else(|e| {
        panic!("NEWSMIRROR_TEST_POSTGRES={base} is set but cannot be reached: {e}")
    });
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("a schema of its own");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Some(PgSchema { url, base, schema })
}

impl PgSchema {
    /// A client on the schema, for looking inside.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("the test server")
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept schema {} for a look", self.schema);
            return;
        }
        if let Ok(mut c) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
        }
    }
}
