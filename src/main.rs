fn main() -> std::process::ExitCode {
    contrakt_cli::run().into()
}
