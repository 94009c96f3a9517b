//! Fault injection for the crash tests: named points at every step boundary of every command
//! that writes. Built only with the `failpoints` cargo feature (`cargo test --features
//! failpoints`); without it every function here is an empty inline call.
//!
//! `FAILPOINTS=<name>=return` makes the process abort (no unwinding, no destructors: as a
//! SIGKILL or a power cut would) when it reaches `<name>`; `FAILPOINTS=<name>=return(ENOSPC)`
//! (or `EIO`) at an I/O point makes that operation fail with that error instead. The `fail`
//! crate's other actions (`N*off->return`, `panic`, …) work too. [`POINTS`] lists every point.

/// Every failpoint, in the order a run meets them. Tests sweep this list.
pub const POINTS: &[&str] = &[
    // Opening an archive for writing.
    "open::created",
    "open::articles_read",
    "open::history_read",
    "open::adopted",
    // update (and run).
    "update::fetched",
    "update::selected",
    "update::completed",
    "update::evidence_written",
    "update::revision_file_written",
    "update::article_file_written",
    "update::files_written",
    // The commit protocol, shared by every writing command.
    "commit::journal_written",
    "commit::flushed",
    "commit::committed",
    "commit::state_written",
    "update::indexes_rendered",
    // recheck.
    "recheck::checked",
    "recheck::rendered",
    // import.
    "import::file_copied",
    "import::copied",
    // render.
    "render::article_written",
    "render::articles_written",
    // publish (git).
    "publish::committed",
    // site.
    "site::page_written",
    // reindex.
    "reindex::indexed",
];

/// The points of a cluster (PostgreSQL): a worker's commits, the publisher's render.
/// `tests/cluster.rs` sweeps them.
pub const CLUSTER_POINTS: &[&str] = &[
    "worker::before_commit",
    "worker::committed",
    "publish::article_written",
    "publish::articles_rendered",
    "publish::rendered",
];

/// I/O points: `return(ENOSPC)` / `return(EIO)` make the operation fail with that error.
pub const IO_POINTS: &[&str] = &["io::write_file", "io::flush", "io::db_commit"];

/// Aborts the process here when the failpoint `name` is set.
#[inline(always)]
pub fn point(name: &str) {
    #[cfg(feature = "failpoints")]
    if fail::eval(name, |_| ()).is_some() {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

/// The error the I/O failpoint `name` injects, if it is set: `return(ENOSPC)` → "No space
/// left on device", `return(EIO)` → "Input/output error", a bare `return` aborts.
#[inline(always)]
pub fn io(name: &str) -> std::io::Result<()> {
    #[cfg(feature = "failpoints")]
    if let Some(arg) = fail::eval(name, |arg| arg) {
        let code = match arg.as_deref() {
            Some("ENOSPC") => libc::ENOSPC,
            Some("EIO") => libc::EIO,
            _ => {
                eprintln!("failpoint {name}: aborting");
                std::process::abort();
            }
        };
        return Err(std::io::Error::from_raw_os_error(code));
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
    Ok(())
}

/// Reads `FAILPOINTS` from the environment; the returned guard must live as long as `main`.
#[cfg(feature = "failpoints")]
pub fn setup() -> fail::FailScenario<'static> {
    fail::FailScenario::setup()
}
