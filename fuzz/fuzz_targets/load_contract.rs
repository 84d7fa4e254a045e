//! Arbitrary bytes through the whole loading and lint pipeline: read as text, parse, type,
//! validate, lint. Any panic is a bug. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run load_contract`.
#![no_main]

use contrakt_core::document::Document;
use contrakt_core::lint::{Options, Workspace, lint};
use contrakt_core::registry::source_from_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = source_from_bytes("fuzz.yaml".into(), data.to_vec()) else { return };
    let Ok(doc) = Document::parse(source) else { return };
    if contrakt_core::consumer::looks_like_consumer(&doc.root) {
        let _ = lint(Workspace { consumers: vec![doc], ..Default::default() }, &Options::default());
    } else {
        let _ = lint(Workspace { contracts: vec![doc], ..Default::default() }, &Options::default());
    }
});
