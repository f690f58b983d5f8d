//! Small constructors for hand-built terms, environments and matrices.

#![allow(dead_code)]

use matdiff::{Dim, Env, Func, Kind, Shape, Term, VarInfo};
use nalgebra::DMatrix;

pub fn v(name: &str) -> Term {
    Term::var(name)
}

pub fn num(x: f64) -> Term {
    Term::num(x)
}

pub fn mul(ts: Vec<Term>) -> Term {
    Term::Mul(ts)
}

pub fn add(ts: Vec<Term>) -> Term {
    Term::Add(ts)
}

pub fn sub(a: Term, b: Term) -> Term {
    Term::Add(vec![a, neg(b)])
}

pub fn neg(a: Term) -> Term {
    Term::Neg(Box::new(a))
}

pub fn t(a: Term) -> Term {
    Term::Transpose(Box::new(a))
}

pub fn inv(a: Term) -> Term {
    Term::Inverse(Box::new(a))
}

pub fn pow(a: Term, k: i64) -> Term {
    Term::Pow(Box::new(a), k)
}

pub fn scale(s: Term, a: Term) -> Term {
    Term::Scale(Box::new(s), Box::new(a))
}

pub fn div(a: Term, s: Term) -> Term {
    Term::Div(Box::new(a), Box::new(s))
}

pub fn had(a: Term, b: Term) -> Term {
    Term::Hadamard(Box::new(a), Box::new(b))
}

pub fn ediv(a: Term, b: Term) -> Term {
    Term::ElemDiv(Box::new(a), Box::new(b))
}

pub fn app(f: Func, a: Term) -> Term {
    Term::Apply(f, Box::new(a))
}

pub fn unknown(name: &str, a: Term) -> Term {
    Term::Unknown(name.to_string(), Box::new(a))
}

pub fn dim(d: &str) -> Dim {
    match d.parse::<u64>() {
        Ok(n) => Dim::Lit(n),
        Err(_) => Dim::Sym(d.to_string()),
    }
}

pub fn shape(r: &str, c: &str) -> Shape {
    Shape::new(dim(r), dim(c))
}

/// An environment from `(name, rows, cols)` declarations.
pub fn env(decls: &[(&str, &str, &str)]) -> Env {
    with_symmetric(decls, &[])
}

/// An environment in which the names in `symmetric` are declared symmetric.
pub fn with_symmetric(decls: &[(&str, &str, &str)], symmetric: &[&str]) -> Env {
    let mut env = Env::default();
    for &(name, r, c) in decls {
        let shape = shape(r, c);
        let kind = if shape.is_scalar() {
            Kind::Scalar
        } else if shape.cols.is_one() {
            Kind::Vector
        } else {
            Kind::Matrix
        };
        env.vars.insert(
            name.to_string(),
            VarInfo {
                kind,
                shape,
                symmetric: symmetric.contains(&name),
            },
        );
    }
    env
}

/// A matrix from its rows.
pub fn mat(r: usize, c: usize, rows: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(r, c, rows)
}

pub fn assert_close(a: &DMatrix<f64>, b: &DMatrix<f64>) {
    assert_eq!(a.shape(), b.shape(), "{a} vs {b}");
    assert!((a - b).norm() < 1e-12, "{a} vs {b}");
}
