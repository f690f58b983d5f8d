//! No input makes the front end panic, overflow the stack or take long:
//! random strings and random token sequences must come back as `Ok` or `Err`,
//! and pathological inputs (deep nesting, huge flat sums, long operator runs)
//! must be answered quickly.

use std::time::{Duration, Instant};

use matdiff::check;
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "X", "W", "B", "x", "y", "A", "I", "L", "f", "ℓ", "alpha", "α", "σ", "λ_1", "W_1", "b_out",
    "0", "2", "0.5", "1e-3", "(", ")", "‖", "||", "+", "-", "−", "*", "@", "⊙", ".*", "./", "/",
    "^T", "'", "ᵀ", "^{-1}", "^-1", "⁻¹", "^2", "²", "^{3}", "tr", "det", "logdet", "log", "exp",
    "sigmoid", "relu", "sum", "diag", "norm", "inv", " ", "where", ":", ",", "1×n", "n×m", "1xn",
    "scalar", "vector", "sym", "{", "}", "^", "_", ";",
];

fn tokens() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,60}") {
        let _ = check::check(&s, &[]);
    }

    #[test]
    fn random_token_sequences_never_panic(s in tokens(), l in tokens()) {
        let _ = check::check(&s, &[]);
        let _ = check::check(&s, &[l]);
    }
}

/// Runs `check` on `src` and asserts that it answers within `limit`.
fn answers_quickly(src: &str, limit: Duration) -> bool {
    let start = Instant::now();
    let ok = check::check(src, &[]).is_ok();
    let took = start.elapsed();
    assert!(
        took < limit,
        "took {took:?} on an input of {} bytes",
        src.len()
    );
    ok
}

// Generous limits: the test profile is barely optimised; release is far faster.
const LIMIT: Duration = Duration::from_secs(5);

#[test]
fn ten_thousand_parentheses_are_refused() {
    let src = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(!answers_quickly(&src, LIMIT));
}

#[test]
fn long_runs_of_prefix_and_postfix_operators_are_refused() {
    assert!(!answers_quickly(
        &format!("{}X", "-".repeat(100_000)),
        LIMIT
    ));
    assert!(!answers_quickly(
        &format!("X{}", "'".repeat(100_000)),
        LIMIT
    ));
    assert!(!answers_quickly(
        &format!("X{}", "^T".repeat(100_000)),
        LIMIT
    ));
}

#[test]
fn a_sum_of_100k_terms_is_handled() {
    let src = vec!["X"; 100_000].join(" + ");
    assert!(answers_quickly(&src, LIMIT));
    let src = vec!["a^T b"; 100_000].join("+");
    assert!(answers_quickly(&src, LIMIT));
}

#[test]
fn a_long_product_is_handled() {
    assert!(answers_quickly(&"X".repeat(200_000), LIMIT));
    let src = vec!["A"; 100_000].join(" ⊙ ");
    let _ = answers_quickly(&src, LIMIT);
}

#[test]
fn runs_of_bars_do_not_backtrack_exponentially() {
    let _ = answers_quickly(&"‖".repeat(5_000), LIMIT);
    let _ = answers_quickly(&format!("{}x{}", "‖".repeat(200), "‖".repeat(200)), LIMIT);
    let _ = answers_quickly(&"||x".repeat(2_000), LIMIT);
}

#[test]
fn inputs_over_one_mebibyte_are_refused() {
    let src = "X+".repeat(600_000) + "X";
    let start = Instant::now();
    let err = check::check(&src, &[]).expect_err("too large");
    assert!(start.elapsed() < LIMIT);
    assert_eq!(err.exit_code(), 2);
}

/// A long run of letters is a product of scalars once `x` is forced to
/// 1×1 (`xxx…`, `XxXx…`, `α α …`); every query on it is answered, with an
/// error or a result, and none overflows the stack.
#[test]
fn long_products_of_scalars_reach_every_query_without_overflow() {
    for src in [
        "x".repeat(30_000),
        "Xx".repeat(30_000),
        "alpha ".repeat(30_000),
        "x y' ".repeat(20_000),
    ] {
        let start = Instant::now();
        if let Ok(p) = check::check(&src, &[]) {
            let _ = matdiff::render(&p.term, &p.env, matdiff::Format::Numpy);
            let _ = matdiff::render(&p.term, &p.env, matdiff::Format::Latex);
        }
        let _ = matdiff::shapes(&src);
        let _ = matdiff::simplify(&src);
        let _ = matdiff::equivalent(&src, &src);
        let _ = matdiff::Session::new().derive(&src, &matdiff::GradOptions::new());
        assert!(start.elapsed() < 4 * LIMIT, "{}…", &src[..20]);
    }
}
