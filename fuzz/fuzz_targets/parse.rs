//! The parser on any bytes: valid UTF-8 is parsed as an input and as a
//! `--let` declaration list; both must return `Ok` or `Err`, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = matdiff::parse::parse(src) {
        // Rendering the diagnostic walks the spans: it must not panic either.
        let _ = e.render(false, 80);
        assert_eq!(e.exit_code(), 2, "a parse error is bad input: {e}");
    }
    let _ = matdiff::parse::parse_decls(src);
});
