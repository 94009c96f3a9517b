//! Extraction (with its budget) and sanitizing of any page: never a crash, never a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::extract(data));
