//! The whole `grad` pipeline on any text (see `pipeline.rs`).
#![no_main]

#[path = "pipeline.rs"]
mod pipeline;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pipeline::run(text);
    }
});
