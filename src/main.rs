fn main() -> std::process::ExitCode {
    // A bug met on some input is one line in words, not a backtrace (RUST_BACKTRACE=1 shows
    // it all). The work that panicked fails alone where it runs on its own thread (a page's
    // extraction, a feed's parsing); the rest of the run goes on.
    if std::env::var_os("RUST_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|info| {
            let what = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            let place = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!("newsmirror: internal error{place}: {what} (a bug: please report it)");
        }));
    }
    #[cfg(feature = "failpoints")]
    let _faults = newsmirror::faults::setup();
    newsmirror::cli::main()
}
