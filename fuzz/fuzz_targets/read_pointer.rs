//! Arbitrary bytes as a `_published.json` pointer: reading one must never panic, and a pointer
//! it accepts names only release folders (`v=<run id>`) that stay directly under the target, so
//! no publish, rollback or reader ever deletes or reads outside it.
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run read_pointer`.
#![no_main]

use std::path::{Component, Path};

use contrakt_publish::{POINTER, Pointer, is_release_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let target = Path::new("/srv/lake/orders");
    let Ok(pointer) = Pointer::parse(data, &target.join(POINTER)) else { return };
    for name in std::iter::once(&pointer.current).chain(&pointer.history) {
        assert!(is_release_name(name), "accepted {name:?}");
        let parts: Vec<Component<'_>> = Path::new(name).components().collect();
        assert!(matches!(parts.as_slice(), [Component::Normal(_)]), "accepted {name:?}");
        assert_eq!(target.join(name).parent(), Some(target), "accepted {name:?}");
    }
    // What a rollback would write is a pointer too: it must read back.
    if let Some(back) = pointer.rolled_back("2026-01-01T00:00:00Z") {
        let text = serde_json::to_vec(&back).expect("a pointer serializes");
        assert!(Pointer::parse(&text, Path::new(POINTER)).is_ok(), "a rollback of {pointer:?} does not read back");
    }
});
