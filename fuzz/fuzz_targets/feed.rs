//! A feed from parsing through identity and rendering: items become article files that read
//! back the same, list entries, and feeds out; never a crash.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::feed(data));
