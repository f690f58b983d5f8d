//! Random points suit the expression they are drawn for.

use matdiff::numeric::{EvalError, MAX_SIZE, MIN_SIZE, sample};
use matdiff::{Func, Term};

use crate::build::*;

#[test]
fn dimensions_are_shared_and_literal_ones_kept() {
    let f = app(Func::Sum, mul(vec![v("X"), v("W"), v("b")]));
    let env = env(&[("X", "3", "n"), ("W", "n", "m"), ("b", "m", "1")]);
    for stream in 0..10 {
        let vals = sample(&[&f], &env, 5, stream).unwrap();
        let (n, m) = (vals.dims["n"], vals.dims["m"]);
        assert!((MIN_SIZE..=MAX_SIZE).contains(&n));
        assert!((MIN_SIZE..=MAX_SIZE).contains(&m));
        assert_eq!(vals.vars["X"].shape(), (3, n));
        assert_eq!(vals.vars["W"].shape(), (n, m));
        assert_eq!(vals.vars["b"].shape(), (m, 1));
    }
}

#[test]
fn the_same_seed_gives_the_same_point() {
    let f = app(Func::Tr, v("X"));
    let env = env(&[("X", "n", "n")]);
    let a = sample(&[&f], &env, 11, 0).unwrap();
    assert_eq!(a, sample(&[&f], &env, 11, 0).unwrap());
    assert_ne!(a, sample(&[&f], &env, 12, 0).unwrap());
    assert_ne!(a, sample(&[&f], &env, 11, 1).unwrap());
}

#[test]
fn variables_under_log_or_a_denominator_are_positive() {
    let f = app(
        Func::Sum,
        add(vec![
            app(Func::Log, v("X")),
            ediv(v("Y"), v("Z")),
            app(Func::Sqrt, v("V")),
        ]),
    );
    let env = env(&[
        ("X", "n", "m"),
        ("Y", "n", "m"),
        ("Z", "n", "m"),
        ("V", "n", "m"),
    ]);
    let mut saw_negative_y = false;
    for stream in 0..10 {
        let vals = sample(&[&f], &env, 2, stream).unwrap();
        for name in ["X", "Z", "V"] {
            assert!(vals.vars[name].iter().all(|&x| (0.5..2.0).contains(&x)));
        }
        saw_negative_y |= vals.vars["Y"].iter().any(|&x| x < 0.0);
    }
    assert!(saw_negative_y, "Y is not under log, sqrt or a denominator");
}

#[test]
fn scalars_are_drawn_away_from_zero() {
    let f = div(v("x"), v("alpha"));
    let env = env(&[("x", "n", "1"), ("alpha", "1", "1")]);
    for stream in 0..10 {
        let a = sample(&[&f], &env, 3, stream).unwrap().vars["alpha"][0];
        assert!((0.5..1.5).contains(&a));
    }
}

#[test]
fn symmetric_variables_under_logdet_are_positive_definite() {
    let f = app(Func::Logdet, v("A"));
    let env = with_symmetric(&[("A", "n", "n")], &["A"]);
    for stream in 0..20 {
        let a = sample(&[&f], &env, 4, stream).unwrap().vars["A"].clone();
        assert_eq!(a, a.transpose());
        assert!(a.clone().cholesky().is_some(), "{a}");
    }
}

#[test]
fn other_symmetric_variables_are_symmetric() {
    let f = app(Func::Tr, mul(vec![v("A"), v("S")]));
    let env = with_symmetric(&[("A", "n", "n"), ("S", "n", "n")], &["S"]);
    let vals = sample(&[&f], &env, 4, 0).unwrap();
    assert_eq!(vals.vars["S"], vals.vars["S"].transpose());
    assert_ne!(vals.vars["A"], vals.vars["A"].transpose());
}

#[test]
fn general_matrices_under_logdet_have_a_positive_determinant() {
    let f = app(Func::Logdet, v("X"));
    let env = env(&[("X", "n", "n")]);
    for stream in 0..50 {
        let x = sample(&[&f], &env, 6, stream).unwrap().vars["X"].clone();
        assert!(x.determinant() > 0.0);
        // Well conditioned: I + 0.3·N/√n stays near the identity.
        let inv = x.clone().try_inverse().unwrap();
        assert!(x.norm() * inv.norm() < 1e3);
    }
}

#[test]
fn unknown_functions_get_a_gradient_of_their_arguments_shape() {
    let f = add(vec![
        unknown("L", mul(vec![v("X"), v("W")])),
        unknown("ell", v("x")),
    ]);
    let env = env(&[("X", "k", "n"), ("W", "n", "m"), ("x", "n", "1")]);
    let vals = sample(&[&f], &env, 8, 0).unwrap();
    assert_eq!(vals.vars["G"].shape(), (vals.dims["k"], vals.dims["m"]));
    assert_eq!(vals.vars["G_ell"].shape(), (vals.dims["n"], 1));
}

#[test]
fn dimensions_of_constant_matrices_are_drawn_too() {
    let f = app(Func::Tr, Term::Identity(dim("q")));
    let vals = sample(&[&f], &env(&[]), 1, 0).unwrap();
    assert!((MIN_SIZE..=MAX_SIZE).contains(&vals.dims["q"]));
}

#[test]
fn variables_missing_from_the_environment_are_errors() {
    let f = app(Func::Tr, v("X"));
    assert_eq!(
        sample(&[&f], &env(&[]), 1, 0),
        Err(EvalError::UnboundVariable("X".to_string()))
    );
}
