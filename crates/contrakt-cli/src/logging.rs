//! `-v` / `RUST_LOG` / `CONTRAKT_LOG`: tracing spans of the pipeline stages on stderr.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

pub(crate) fn init(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "off",
        (_, 0) => "warn",
        (_, 1) => "contrakt=info,contrakt_core=info,contrakt_cli=info",
        (_, 2) => "contrakt=debug,contrakt_core=debug,contrakt_cli=debug",
        _ => "trace",
    };
    let filter = std::env::var("CONTRAKT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|s| EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Masked(std::io::stderr()))
        .with_span_events(if verbose > 0 { FmtSpan::CLOSE } else { FmtSpan::NONE })
        .with_target(verbose > 1)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Standard error with every URL in a log line masked ([`contrakt_core::redact::redact_text`]):
/// the spans and events of the crates below, and of the libraries under them at `-vvv`, may
/// quote a data, store or receiver URL with its signature or password. The formatter writes
/// one whole line per call, so each URL is masked whole.
struct Masked(std::io::Stderr);

impl std::io::Write for Masked {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let masked = contrakt_core::redact::redact_text(&text, &[]);
        self.0.write_all(masked.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
