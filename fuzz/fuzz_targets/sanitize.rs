//! The sanitizer on any bytes: never a crash, and nothing executable comes out.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::sanitize(data));
