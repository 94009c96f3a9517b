//! The depth cap against a real parser: whatever the input, the tree a parser builds from the
//! capped HTML is no deeper than the cap and a few levels (the formatting elements it reopens).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::nesting(data));
