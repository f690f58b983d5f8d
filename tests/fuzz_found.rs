//! Inputs the fuzzers found (`tests/fuzz_found/`), replayed through the
//! whole `grad` pipeline as the `grad` fuzz target runs it: check, derive
//! with the target's budgets, verify numerically, render in every format.
//! The first line of a file is the expression, every further line a `--let`
//! declaration.
//!
//! - `grad_slow_*`, `grad_timeout_*`: products of dozens of single-letter
//!   matrices whose explanations egg flattened for 12 s to over 20 s (every
//!   step copies the whole term at every level); they are now derived, long
//!   explanations summarised, and sums over a scalar (`… / α`) identified.
//! - `grad_slow_zero_times_scalar`: `0W3*999+…`, where `0 = 2·0` let the
//!   number rule multiply through its own class without end (10 s, then the
//!   wall-clock limit); now 1 ms.
//! - `grad_crash_check_near_a_pole`: a point drawn next to a pole of
//!   `… / (a l h a X p)` made the finite differences, not the gradient, wrong
//!   (relative error 1e-3); such points are now redrawn.
//! - `grad_crash_check_rounding_noise`: `… 99 W_28 K²⁰ K4 …`, whose large
//!   intermediate values put rounding noise of 1e-6 into the differences for
//!   every other variable; a discrepancy within a few times the spread of the
//!   differences (steps h and h/2) no longer counts against a gradient.
//! - `grad_crash_function_named_G`: `L(Q G(…))` used `G`, the name of ∂L/∂Y,
//!   for a function; it is now refused with the span of the clash.

use std::path::Path;
use std::time::Duration;

use matdiff::engine::{self, CostModel, Limits, Options};
use matdiff::render::{self, text::Style};
use matdiff::{Error, check, verify};

fn options() -> Options {
    Options {
        wrt: Vec::new(),
        limits: Limits {
            nodes: 5_000,
            iterations: 30,
            time: Duration::from_millis(500),
        },
        cost: CostModel::Size,
    }
}

fn cases() -> Vec<(String, String, Vec<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_found");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the directory is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a case is UTF-8");
            let mut lines = text.split('\n');
            let expr = lines.next().unwrap_or_default().to_string();
            let lets = lines
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, expr, lets)
        })
        .collect()
}

fn allowed(e: &Error) -> bool {
    matches!(e, Error::Unsupported { .. } | Error::Limit { .. })
}

#[test]
fn every_found_input_is_answered_and_every_gradient_verified() {
    let cases = cases();
    assert!(cases.len() >= 3, "the found inputs are read");
    let mut summarised = 0;
    let mut refused = 0;
    for (name, expr, lets) in cases {
        // A name that is refused up front (bad input, exit status 2) is an
        // answer too.
        let problem = match check::check(&expr, &lets) {
            Ok(p) => p,
            Err(e) => {
                assert_eq!(e.exit_code(), 2, "{name}: {e}");
                refused += 1;
                continue;
            }
        };
        // A limit is an allowed answer (the test profile is slower than
        // release); a panic or a wrong gradient is not.
        let der = match engine::derive(&problem, &options()) {
            Ok(d) => d,
            Err(e) => {
                assert!(
                    allowed(&e),
                    "{name}: not an allowed error (exit {})",
                    e.exit_code()
                );
                continue;
            }
        };
        let checked = verify::check(&der, 0, 2).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(checked.passed(), "{name}: {:?}", checked.per_gradient);
        let text = render::derivation::render(&der, Some(&checked), Style::default());
        let _ = render::json::render(&der, Some(&checked)).to_string();
        let _ = render::latex::derivation(&der);
        let _ = render::numpy::functions(&der, render::numpy::Lib::Numpy);
        if text.contains("too long to print") {
            summarised += 1;
        }
    }
    // The power chain is derived in every profile, and its long
    // explanations are summarised rather than flattened.
    assert!(summarised >= 1, "no long explanation was summarised");
    // `L(QG(…))`: a function named G clashes with the gradient of L.
    assert_eq!(refused, 1, "exactly the name clash is refused");
}
