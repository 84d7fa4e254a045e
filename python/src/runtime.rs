//! The tokio runtime DataFusion runs on: one per process, started on first use.

use std::sync::OnceLock;

use tokio::runtime::Runtime;

use crate::error::Failure;

static RUNTIME: OnceLock<(u32, Runtime)> = OnceLock::new();

/// The module's runtime. A forked child (multiprocessing's default on Linux) inherits the
/// parent's runtime without its threads, so it would hang: refuse instead.
pub(crate) fn rt() -> Result<&'static Runtime, Failure> {
    let (pid, rt) = RUNTIME.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("contrakt")
            .build()
            .expect("start the tokio runtime");
        (std::process::id(), rt)
    });
    if *pid != std::process::id() {
        return Err(Failure::Execution(
            "contrakt was used before this process was forked; use the 'spawn' start method for multiprocessing".into(),
        ));
    }
    Ok(rt)
}
