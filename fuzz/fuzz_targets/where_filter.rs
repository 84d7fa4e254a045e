//! Arbitrary text as `check --where`: refused with a message, or accepted as one expression
//! whose re-rendering parses back to itself. Any panic, or an accepted filter that renders to
//! more than one expression, is a bug. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run where_filter`.
#![no_main]

use contrakt_core::sql_guard::{parse_filter, parse_filter_expr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rendered) = parse_filter(text) {
        let again = parse_filter_expr(&rendered).expect("an accepted --where re-renders to one expression");
        assert_eq!(again.to_string(), rendered, "the rendering of {text:?} is not stable");
    }
});
