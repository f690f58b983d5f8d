//! Shape inference on any text. The first line is the expression, every
//! further line a `--let` declaration. `check` and `annotate` must agree,
//! an error is always bad input (exit status 2) and renders, and the shape
//! report of an accepted input renders.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let expr = lines.next().unwrap_or_default();
    let lets: Vec<String> = lines.map(str::to_string).collect();
    match matdiff::check::annotate(expr, &lets) {
        Ok(a) => {
            let _ = a.report();
            let p = matdiff::check::check(expr, &lets).expect("annotate accepted it");
            assert_eq!(p.term, a.problem.term);
            // The typed term is well shaped in its own environment.
            assert!(
                p.term.shape(&p.env).is_some(),
                "checked term has no shape: {:?}",
                p.term
            );
            let _ = matdiff::render::text::show(&p.term, Default::default());
            let _ = matdiff::render::latex::show(&p.term);
        }
        Err(e) => {
            assert_eq!(e.exit_code(), 2, "a check error is bad input: {e}");
            let _ = e.render(false, 80);
            assert!(matdiff::check::check(expr, &lets).is_err());
        }
    }
});
