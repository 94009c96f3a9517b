//! The article file format: any text parses or not without a crash, and a parsed article
//! written again reads back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::article(data));
