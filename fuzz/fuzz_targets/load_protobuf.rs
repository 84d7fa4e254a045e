//! Arbitrary bytes as a producer's Protobuf schema: lowering never panics, and a schema it accepts
//! has no breaking change against itself. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run load_protobuf`.
#![no_main]

use contrakt_formats::{Format, load_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(schema) = load_str("fuzz", text, Format::Protobuf) else { return };
    let changes = contrakt_core::diff::diff(&schema, &schema);
    assert!(changes.is_empty(), "{text:?} differs from itself: {changes:?}");
});
