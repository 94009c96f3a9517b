fn main() -> std::process::ExitCode {
    newsmirror::cli::main()
}
