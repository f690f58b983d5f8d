//! Evaluation of every operator against hand-computed values.

use matdiff::numeric::{EvalError, Values, eval, gradient_symbol};
use matdiff::{Func, Term};
use nalgebra::DMatrix;

use crate::build::*;

fn point() -> Values {
    let mut vals = Values::new();
    vals.set("A", mat(2, 2, &[2.0, 1.0, 1.0, 1.0]))
        .set("B", mat(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        .set("C", mat(3, 1, &[1.0, 0.0, -1.0]))
        .set("S", mat(2, 2, &[1.0, 2.0, 2.0, 4.0]))
        .set("N", mat(2, 2, &[-1.0, 2.0, 0.5, -3.0]))
        .set("x", mat(2, 1, &[3.0, -4.0]))
        .set_scalar("alpha", 2.0)
        .set_dim("n", 3);
    vals
}

fn ev(term: &Term) -> Result<DMatrix<f64>, EvalError> {
    eval(term, &point())
}

fn ok(term: &Term) -> DMatrix<f64> {
    ev(term).unwrap()
}

fn sc(x: f64) -> DMatrix<f64> {
    mat(1, 1, &[x])
}

#[test]
fn products_chain_left_to_right() {
    let abc = mul(vec![v("A"), v("B"), v("C")]);
    // A B = [[6, 9, 12], [5, 7, 9]]; times C = (1, 0, −1)ᵀ.
    assert_close(&ok(&abc), &mat(2, 1, &[-6.0, -4.0]));
}

#[test]
fn products_of_misfit_sizes_are_errors() {
    let err = ev(&mul(vec![v("B"), v("A")])).unwrap_err();
    assert_eq!(
        err,
        EvalError::ShapeMismatch {
            op: "product",
            left: (2, 3),
            right: (2, 2)
        }
    );
}

#[test]
fn sums_negation_and_their_sizes() {
    assert_close(
        &ok(&sub(v("A"), v("S"))),
        &mat(2, 2, &[1.0, -1.0, -1.0, -3.0]),
    );
    assert_close(&ok(&neg(v("x"))), &mat(2, 1, &[-3.0, 4.0]));
    assert!(matches!(
        ev(&add(vec![v("A"), v("B")])),
        Err(EvalError::ShapeMismatch { op: "sum", .. })
    ));
    assert_eq!(ev(&add(vec![])), Err(EvalError::Empty { op: "sum" }));
}

#[test]
fn scalar_multiples_and_division_by_a_scalar() {
    assert_close(&ok(&scale(v("alpha"), v("x"))), &mat(2, 1, &[6.0, -8.0]));
    assert_close(&ok(&div(v("x"), v("alpha"))), &mat(2, 1, &[1.5, -2.0]));
    assert!(matches!(
        ev(&scale(v("A"), v("x"))),
        Err(EvalError::NotScalar { .. })
    ));
    assert!(matches!(
        ev(&div(v("x"), num(0.0))),
        Err(EvalError::Domain { .. })
    ));
}

#[test]
fn elementwise_products_and_quotients() {
    assert_close(&ok(&had(v("A"), v("S"))), &mat(2, 2, &[2.0, 2.0, 2.0, 4.0]));
    assert_close(
        &ok(&ediv(v("S"), v("A"))),
        &mat(2, 2, &[0.5, 2.0, 2.0, 4.0]),
    );
    assert!(matches!(
        ev(&had(v("A"), v("B"))),
        Err(EvalError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ev(&ediv(v("A"), add(vec![v("A"), neg(v("A"))]))),
        Err(EvalError::Domain { .. })
    ));
}

#[test]
fn transpose_inverse_and_powers() {
    assert_close(&ok(&t(v("B"))), &mat(3, 2, &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]));
    let a_inv = mat(2, 2, &[1.0, -1.0, -1.0, 2.0]);
    assert_close(&ok(&inv(v("A"))), &a_inv);
    assert_close(&ok(&pow(v("A"), -1)), &a_inv);
    assert_close(&ok(&pow(v("A"), 2)), &mat(2, 2, &[5.0, 3.0, 3.0, 2.0]));
    assert_close(&ok(&pow(v("A"), 3)), &mat(2, 2, &[13.0, 8.0, 8.0, 5.0]));
    assert_close(&ok(&pow(v("A"), -2)), &(&a_inv * &a_inv));
    assert_close(&ok(&pow(v("A"), 0)), &DMatrix::identity(2, 2));
    assert_close(&ok(&pow(v("alpha"), -2)), &sc(0.25));
    assert_close(&ok(&pow(num(3.0), 3)), &sc(27.0));
    assert!(matches!(
        ev(&inv(v("S"))),
        Err(EvalError::Singular { op: "inverse", at: Some(ref at), .. }) if at == "S"
    ));
    assert!(matches!(ev(&inv(v("B"))), Err(EvalError::NotSquare { .. })));
    assert!(matches!(
        ev(&pow(v("A"), i64::MAX)),
        Err(EvalError::NonFinite { .. })
    ));
}

#[test]
fn scalar_valued_functions() {
    assert_close(&ok(&app(Func::Tr, v("A"))), &sc(3.0));
    assert_close(&ok(&app(Func::Det, v("A"))), &sc(1.0));
    assert_close(&ok(&app(Func::Det, v("N"))), &sc(2.0));
    assert_close(&ok(&app(Func::Logdet, v("N"))), &sc(2f64.ln()));
    assert_close(&ok(&app(Func::Sum, v("B"))), &sc(21.0));
    assert_close(&ok(&app(Func::Norm, v("x"))), &sc(5.0));
    assert_close(&ok(&app(Func::Norm, v("A"))), &sc(7f64.sqrt()));
    assert!(matches!(
        ev(&app(Func::Logdet, v("S"))),
        Err(EvalError::Domain { func: "logdet", .. })
    ));
    assert!(matches!(
        ev(&app(Func::Tr, v("B"))),
        Err(EvalError::NotSquare { op: "tr", .. })
    ));
}

#[test]
fn diag_goes_both_ways() {
    assert_close(
        &ok(&app(Func::Diag, v("x"))),
        &mat(2, 2, &[3.0, 0.0, 0.0, -4.0]),
    );
    assert_close(&ok(&app(Func::Diag, v("A"))), &mat(2, 1, &[2.0, 1.0]));
    assert!(matches!(
        ev(&app(Func::Diag, v("B"))),
        Err(EvalError::NotSquare { .. })
    ));
}

#[test]
fn elementwise_functions() {
    let x = || v("x");
    let each = |f: fn(f64) -> f64| mat(2, 1, &[f(3.0), f(-4.0)]);
    assert_close(&ok(&app(Func::Exp, x())), &each(f64::exp));
    assert_close(&ok(&app(Func::Sin, x())), &each(f64::sin));
    assert_close(&ok(&app(Func::Cos, x())), &each(f64::cos));
    assert_close(&ok(&app(Func::Tanh, x())), &each(f64::tanh));
    assert_close(
        &ok(&app(Func::Sigmoid, x())),
        &each(|z| 1.0 / (1.0 + (-z).exp())),
    );
    assert_close(
        &ok(&app(Func::Softplus, x())),
        &each(|z| (1.0 + z.exp()).ln()),
    );
    assert_close(&ok(&app(Func::Relu, x())), &mat(2, 1, &[3.0, 0.0]));
    assert_close(&ok(&app(Func::Step, x())), &mat(2, 1, &[1.0, 0.0]));
    assert_close(
        &ok(&app(Func::Log, v("A"))),
        &mat(2, 2, &[2f64.ln(), 0.0, 0.0, 0.0]),
    );
    assert_close(
        &ok(&app(Func::Sqrt, v("S"))),
        &mat(2, 2, &[1.0, 2f64.sqrt(), 2f64.sqrt(), 2.0]),
    );
    assert!(matches!(
        ev(&app(Func::Log, x())),
        Err(EvalError::Domain { func: "log", value, .. }) if value == -4.0
    ));
    assert!(matches!(
        ev(&app(Func::Sqrt, x())),
        Err(EvalError::Domain { func: "sqrt", .. })
    ));
}

#[test]
fn softplus_and_sigmoid_are_stable_far_out() {
    let mut vals = Values::new();
    vals.set("x", mat(3, 1, &[1000.0, -1000.0, -40.0]));
    let sp = eval(&app(Func::Softplus, v("x")), &vals).unwrap();
    assert_eq!(sp[0], 1000.0);
    assert!(sp[1] >= 0.0 && sp[1] < 1e-300);
    assert!((sp[2] - (-40f64).exp()).abs() < 1e-30);
    let sg = eval(&app(Func::Sigmoid, v("x")), &vals).unwrap();
    assert_eq!(sg[0], 1.0);
    assert!(sg[1] >= 0.0 && sg[1] < 1e-300);
}

#[test]
fn overflow_is_an_error() {
    let mut vals = Values::new();
    vals.set_scalar("alpha", 1000.0);
    assert_eq!(
        eval(&app(Func::Exp, v("alpha")), &vals),
        Err(EvalError::NonFinite {
            op: "exp".to_string()
        })
    );
}

#[test]
fn constant_matrices_take_their_sizes_from_the_point() {
    assert_close(&ok(&Term::Identity(dim("n"))), &DMatrix::identity(3, 3));
    assert_close(
        &ok(&Term::Ones(shape("2", "n"))),
        &DMatrix::from_element(2, 3, 1.0),
    );
    assert_close(&ok(&Term::Zero(shape("n", "1"))), &DMatrix::zeros(3, 1));
    assert_eq!(
        ev(&Term::Identity(dim("m"))),
        Err(EvalError::UnboundDim("m".to_string()))
    );
    assert!(matches!(
        ev(&Term::Identity(dim("1000000000000"))),
        Err(EvalError::TooLarge { .. })
    ));
}

#[test]
fn an_unknown_function_is_the_inner_product_with_its_gradient() {
    assert_eq!(gradient_symbol("L"), "G");
    assert_eq!(gradient_symbol("f"), "G_f");
    assert_eq!(gradient_symbol("ell"), "G_ell");
    let mut vals = point();
    vals.set("G", mat(2, 1, &[1.0, 2.0]))
        .set("G_f", mat(2, 1, &[-1.0, 0.5]));
    let l = unknown("L", v("x"));
    assert_close(&eval(&l, &vals).unwrap(), &sc(3.0 - 8.0));
    let f = unknown("f", v("x"));
    assert_close(&eval(&f, &vals).unwrap(), &sc(-3.0 - 2.0));
    let g = unknown("g", v("x"));
    assert_eq!(
        eval(&g, &vals),
        Err(EvalError::UnboundGradient {
            function: "g".to_string(),
            symbol: "G_g".to_string()
        })
    );
    assert!(matches!(
        eval(&unknown("L", v("A")), &vals),
        Err(EvalError::ShapeMismatch { .. })
    ));
}

#[test]
fn differentials_and_unbound_names_are_errors() {
    assert_eq!(
        ev(&Term::Diff(Box::new(v("A")))),
        Err(EvalError::Differential)
    );
    assert_eq!(
        ev(&v("Z")),
        Err(EvalError::UnboundVariable("Z".to_string()))
    );
}
