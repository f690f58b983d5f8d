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
//! - `grad_crash_tiny_fraction`: `sum(4…4⁻¹ 4…4ᵀ 4…4⁻¹ 4…4 diag(X))`, where
//!   collecting numbers read `(4.4e68)⁻¹` as the fraction 0/2 and the
//!   gradient folded to 0 (the check caught it); a fraction's numerator is
//!   now compared relative to itself and never 0, and a product of numbers
//!   that underflows or overflows is left as written.
//! - `grad_crash_ill_conditioned_inverse`: `det(q r t s Y X⁴ Z X³ − 10¹⁵ X¹⁰
//!   C²⁴ C44ᵀ)` (as the fuzzer spelled it), whose gradient inverts a matrix of
//!   condition number up to 1e10 at the points drawn; its inverse then keeps
//!   only about 6 digits, and every gradient was off by 2–8e-6 against the
//!   tolerance 1e-6. A matrix counts as singular for the check above condition
//!   1e6 now, for an inverse and a determinant alike, and such points are
//!   redrawn.
//! - `grad_crash_ill_conditioned_det`: the same with a transpose inside, off
//!   by 1–2e-6 after that: f's own rounding (a determinant of condition up to
//!   1e6) was not in the check's noise estimate. The estimate is now scaled by
//!   the largest condition number met in evaluating f.
//! - `grad_crash_cancelling_gradient`: `det(… − 10¹⁴ X⁹ S C²⁴ C44ᵀ …)`, whose
//!   gradient sums terms of 10¹⁴ times long products that cancel: off by
//!   2e-5 from the formula's own rounding. The check now measures how far f
//!   and the gradient move when every input moves in its last places, and
//!   does not count a discrepancy within ten times that.

use std::path::Path;

#[path = "../fuzz/fuzz_targets/pipeline.rs"]
mod pipeline;

use pipeline::Outcome;

fn cases() -> Vec<(String, String)> {
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
            let text = text.trim_end_matches('\n').to_string();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, text)
        })
        .collect()
}

#[test]
fn every_found_input_is_answered_and_every_gradient_verified() {
    let cases = cases();
    assert!(cases.len() >= 3, "the found inputs are read");
    let mut summarised = 0;
    let mut refused = 0;
    for (name, text) in cases {
        match pipeline::run(&text) {
            Outcome::Refused => refused += 1,
            Outcome::Stopped => {}
            Outcome::Derived { summarised: s } => summarised += usize::from(s),
        }
        let _ = name;
    }
    // The power chain is derived in every profile, and its long
    // explanations are summarised rather than flattened.
    assert!(summarised >= 1, "no long explanation was summarised");
    // `L(QG(…))`: a function named G clashes with the gradient of L.
    assert_eq!(refused, 1, "exactly the name clash is refused");
}
