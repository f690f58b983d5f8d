//! The gradient check accepts known gradients and catches wrong ones.
//! Identities from the Matrix Cookbook (Petersen & Pedersen, 2012).

use matdiff::numeric::{CheckReport, EvalError, TOLERANCE, check_gradient};
use matdiff::{Env, Func, Term};

use crate::build::*;

const SEED: u64 = 42;
const TRIALS: u32 = 3;

fn check(f: &Term, wrt: &str, grad: &Term, env: &Env) -> CheckReport {
    check_gradient(f, wrt, grad, env, SEED, TRIALS).unwrap()
}

fn accepts(f: &Term, wrt: &str, grad: &Term, env: &Env) {
    let report = check(f, wrt, grad, env);
    assert!(report.passed(), "rejected: {report:?}");
    assert_eq!(report.trials, TRIALS);
}

fn rejects(f: &Term, wrt: &str, grad: &Term, env: &Env) {
    let report = check(f, wrt, grad, env);
    assert!(report.max_rel_error >= TOLERANCE, "accepted: {report:?}");
    assert!(!report.passed());
}

fn tr_axb() -> (Term, Env) {
    let f = app(Func::Tr, mul(vec![v("A"), v("X"), v("B")]));
    (f, env(&[("A", "p", "n"), ("X", "n", "m"), ("B", "m", "p")]))
}

#[test]
fn trace_of_a_product() {
    // Cookbook (100): ∂ tr(AXB)/∂X = Aᵀ Bᵀ.
    let (f, env) = tr_axb();
    accepts(&f, "X", &mul(vec![t(v("A")), t(v("B"))]), &env);
}

#[test]
fn trace_with_an_inverse() {
    // Cookbook (63): ∂ tr(X⁻¹ A)/∂X = −(X⁻¹ A X⁻¹)ᵀ.
    let f = app(Func::Tr, mul(vec![inv(v("X")), v("A")]));
    let env = env(&[("X", "n", "n"), ("A", "n", "n")]);
    let grad = neg(t(mul(vec![inv(v("X")), v("A"), inv(v("X"))])));
    accepts(&f, "X", &grad, &env);
}

#[test]
fn log_determinant() {
    // Cookbook (57): ∂ log|det X|/∂X = X⁻ᵀ.
    let f = app(Func::Logdet, v("X"));
    let env = env(&[("X", "n", "n")]);
    accepts(&f, "X", &t(inv(v("X"))), &env);
    rejects(&f, "X", &inv(v("X")), &env);
}

#[test]
fn determinant_and_matrix_power() {
    // Cookbook (49): ∂ det X/∂X = det(X) X⁻ᵀ; (88): ∂ tr(X²)/∂X = 2Xᵀ.
    let env = env(&[("X", "n", "n")]);
    let det = app(Func::Det, v("X"));
    accepts(&det, "X", &scale(det.clone(), t(inv(v("X")))), &env);
    let tr_sq = app(Func::Tr, pow(v("X"), 2));
    accepts(&tr_sq, "X", &scale(num(2.0), t(v("X"))), &env);
}

#[test]
fn affine_layer_under_an_unknown_loss() {
    // SPEC's reference case, with G = ∂L/∂Y.
    let f = unknown("L", add(vec![mul(vec![v("X"), v("W")]), v("B")]));
    let env = env(&[("X", "1", "n"), ("W", "n", "m"), ("B", "1", "m")]);
    accepts(&f, "W", &mul(vec![t(v("X")), v("G")]), &env);
    accepts(&f, "X", &mul(vec![v("G"), t(v("W"))]), &env);
    accepts(&f, "B", &v("G"), &env);
    rejects(&f, "B", &scale(num(2.0), v("G")), &env);
}

#[test]
fn unknown_functions_other_than_l_use_their_own_symbol() {
    let f = unknown("f", mul(vec![v("X"), v("W")]));
    let env = env(&[("X", "k", "n"), ("W", "n", "m")]);
    accepts(&f, "W", &mul(vec![t(v("X")), v("G_f")]), &env);
}

#[test]
fn softplus_layer() {
    // ∂ Σ softplus(XW)/∂W = Xᵀ σ(XW).
    let xw = mul(vec![v("X"), v("W")]);
    let f = app(Func::Sum, app(Func::Softplus, xw.clone()));
    let env = env(&[("X", "k", "n"), ("W", "n", "m")]);
    accepts(&f, "W", &mul(vec![t(v("X")), app(Func::Sigmoid, xw)]), &env);
}

#[test]
fn elementwise_chains_with_log_and_division() {
    // ∂ Σ log(X ./ Y)/∂X = 1 ./ X, with X and Y drawn positive.
    let f = app(Func::Sum, app(Func::Log, ediv(v("X"), v("Y"))));
    let env = env(&[("X", "m", "n"), ("Y", "m", "n")]);
    let ones = Term::Ones(shape("m", "n"));
    accepts(&f, "X", &ediv(ones.clone(), v("X")), &env);
    accepts(&f, "Y", &neg(ediv(ones, v("Y"))), &env);
}

#[test]
fn least_squares() {
    // ∂ ‖Ax − b‖²/∂x = 2Aᵀ(Ax − b).
    let r = sub(mul(vec![v("A"), v("x")]), v("b"));
    let f = pow(app(Func::Norm, r.clone()), 2);
    let env = env(&[("A", "m", "n"), ("x", "n", "1"), ("b", "m", "1")]);
    accepts(&f, "x", &scale(num(2.0), mul(vec![t(v("A")), r])), &env);
}

#[test]
fn scalar_variables() {
    // ∂ tr(αX)/∂α = tr(X); ∂ α⁻¹/∂α = −α⁻².
    let env = env(&[("alpha", "1", "1"), ("X", "n", "n")]);
    let f = app(Func::Tr, scale(v("alpha"), v("X")));
    accepts(&f, "alpha", &app(Func::Tr, v("X")), &env);
    let g = pow(v("alpha"), -1);
    accepts(&g, "alpha", &neg(pow(v("alpha"), -2)), &env);
}

#[test]
fn a_perturbed_gradient_is_caught() {
    let (f, env) = tr_axb();
    let right = mul(vec![t(v("A")), t(v("B"))]);
    let off = add(vec![
        right.clone(),
        scale(num(1e-3), Term::Ones(shape("n", "m"))),
    ]);
    rejects(&f, "X", &off, &env);
}

#[test]
fn a_transposed_gradient_is_caught() {
    let f = app(Func::Tr, mul(vec![v("A"), v("X"), v("B")]));
    let env = env(&[("A", "n", "n"), ("X", "n", "n"), ("B", "n", "n")]);
    rejects(&f, "X", &mul(vec![v("B"), v("A")]), &env);
}

#[test]
fn symmetric_variables_use_the_symmetric_part() {
    // For symmetric A the gradient of logdet A is A⁻¹ (Srinivasan & Panda,
    // arXiv 1911.06491), not the Cookbook's 2A⁻¹ − A⁻¹ ∘ I.
    let f = app(Func::Logdet, v("A"));
    let env = with_symmetric(&[("A", "n", "n")], &["A"]);
    accepts(&f, "A", &inv(v("A")), &env);
    let cookbook = sub(
        scale(num(2.0), inv(v("A"))),
        had(inv(v("A")), Term::Identity(dim("n"))),
    );
    rejects(&f, "A", &cookbook, &env);
}

#[test]
fn a_gradient_and_its_symmetric_part_are_the_same_for_a_symmetric_variable() {
    // tr(AX) with X symmetric: Aᵀ, A and (A + Aᵀ)/2 act alike on symmetric
    // dX; A + Aᵀ does not.
    let f = app(Func::Tr, mul(vec![v("A"), v("X")]));
    let env = with_symmetric(&[("A", "n", "n"), ("X", "n", "n")], &["X"]);
    accepts(&f, "X", &t(v("A")), &env);
    accepts(&f, "X", &v("A"), &env);
    let sum = add(vec![v("A"), t(v("A"))]);
    accepts(&f, "X", &div(sum.clone(), num(2.0)), &env);
    rejects(&f, "X", &sum, &env);
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let (f, env) = tr_axb();
    let grad = mul(vec![t(v("A")), t(v("B"))]);
    let a = check_gradient(&f, "X", &grad, &env, 7, 4).unwrap();
    let b = check_gradient(&f, "X", &grad, &env, 7, 4).unwrap();
    assert_eq!(a.max_rel_error.to_bits(), b.max_rel_error.to_bits());
    assert_eq!(a.sizes, b.sizes);
}

#[test]
fn unusable_requests_are_errors() {
    let (f, env) = tr_axb();
    let grad = mul(vec![t(v("A")), t(v("B"))]);
    assert_eq!(
        check_gradient(&f, "Z", &grad, &env, SEED, 1),
        Err(EvalError::UnboundVariable("Z".to_string()))
    );
    let env23 = crate::build::env(&[("X", "2", "3")]);
    assert_eq!(
        check_gradient(&app(Func::Sum, v("X")), "X", &t(v("X")), &env23, SEED, 1),
        Err(EvalError::GradientShape {
            var: "X".to_string(),
            variable: (2, 3),
            gradient: (3, 2)
        })
    );
    let not_scalar = mul(vec![v("A"), v("X")]);
    assert!(matches!(
        check_gradient(&not_scalar, "X", &grad, &env, SEED, 1),
        Err(EvalError::NotScalar { .. })
    ));
    let with_diff = app(Func::Tr, Term::Diff(Box::new(v("X"))));
    assert_eq!(
        check_gradient(&with_diff, "X", &grad, &env, SEED, 1),
        Err(EvalError::Differential)
    );
}

#[test]
fn huge_literal_dimensions_are_refused() {
    let f = app(Func::Sum, v("X"));
    let env = env(&[("X", "100000", "1")]);
    assert!(matches!(
        check_gradient(&f, "X", &Term::Ones(shape("100000", "1")), &env, SEED, 1),
        Err(EvalError::TooLarge { .. })
    ));
}
