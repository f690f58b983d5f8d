//! Comparison of two terms at random points.

use matdiff::Func;
use matdiff::numeric::compare;

use crate::build::*;

#[test]
fn equal_terms_agree() {
    let env = env(&[("A", "m", "n"), ("B", "n", "k")]);
    let lhs = t(mul(vec![v("A"), v("B")]));
    let rhs = mul(vec![t(v("B")), t(v("A"))]);
    let c = compare(&lhs, &rhs, &env, 1, 5).unwrap();
    assert!(c.agree(), "{c:?}");
    assert!(c.counterexample.is_none());
}

#[test]
fn inverse_identities_hold_at_drawn_points() {
    // (AB)⁻¹ = B⁻¹A⁻¹ needs invertible draws for both factors.
    let env = env(&[("A", "n", "n"), ("B", "n", "n")]);
    let lhs = inv(mul(vec![v("A"), v("B")]));
    let rhs = mul(vec![inv(v("B")), inv(v("A"))]);
    assert!(compare(&lhs, &rhs, &env, 3, 5).unwrap().agree());
}

#[test]
fn products_do_not_commute_and_a_counterexample_is_given() {
    let env = env(&[("A", "n", "n"), ("B", "n", "n")]);
    let ab = mul(vec![v("A"), v("B")]);
    let ba = mul(vec![v("B"), v("A")]);
    let c = compare(&ab, &ba, &env, 1, 3).unwrap();
    assert!(!c.agree());
    let ce = c.counterexample.expect("a counterexample");
    let n = ce.sizes["n"];
    assert!((2..=5).contains(&n));
    assert_eq!(ce.values["A"].shape(), (n, n));
    assert_eq!(&ce.values["A"] * &ce.values["B"], ce.left);
    assert_eq!(ce.rel_difference, c.max_rel_difference);
}

#[test]
fn terms_of_different_sizes_differ_infinitely() {
    let env = env(&[("x", "n", "1")]);
    let outer = mul(vec![v("x"), t(v("x"))]);
    let inner = mul(vec![t(v("x")), v("x")]);
    let c = compare(&outer, &inner, &env, 1, 2).unwrap();
    assert!(c.max_rel_difference.is_infinite());
    assert!(c.counterexample.is_some());
}

#[test]
fn two_scalar_forms_of_the_same_trace() {
    let env = env(&[("x", "n", "1"), ("A", "n", "n")]);
    let quad = mul(vec![t(v("x")), v("A"), v("x")]);
    let trace = app(Func::Tr, mul(vec![v("A"), v("x"), t(v("x"))]));
    assert!(compare(&quad, &trace, &env, 9, 4).unwrap().agree());
}
