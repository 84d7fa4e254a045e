//! Arbitrary bytes as `contrakt.yaml` (its durations above all): loading never panics, and
//! every duration the one parser accepts is within its bound and reads back from its
//! formatted form. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run load_config`.
#![no_main]

use contrakt_core::duration::{self, BareNumber, MAX};
use contrakt_core::registry::source_from_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for bare in [BareNumber::Refuse, BareNumber::Seconds] {
            if let Ok(d) = duration::parse(text, bare) {
                assert!(d <= MAX, "{text:?} gave {d:?}, past the bound");
                assert_eq!(duration::parse(&duration::format(d), BareNumber::Refuse), Ok(d), "{text:?}");
            }
        }
    }
    let Ok(source) = source_from_bytes("contrakt.yaml".into(), data.to_vec()) else { return };
    let _ = contrakt_core::config::load(source);
});
