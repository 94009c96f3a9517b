fn main() -> std::process::ExitCode {
    #[cfg(feature = "failpoints")]
    let _faults = newsmirror::faults::setup();
    newsmirror::cli::main()
}
