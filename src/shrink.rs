//! Small stand-ins for large literal dimensions, for the numeric check.
//!
//! A gradient formula does not depend on the sizes it is evaluated at, only
//! on which dimensions are 1 (vectors, scalars) and which are equal. A
//! problem declared with `X: 1000×10` (to price it with `--cost flops`) is
//! therefore checked with each literal dimension above [`MAX`] replaced by a
//! small one, the same replacement everywhere, never 1.

use crate::engine::Derivation;
use crate::shape::{Dim, Env, Shape};
use crate::term::Term;

/// The largest literal dimension kept as is (the numeric evaluator's limit).
pub const MAX: u64 = 64;

/// The stand-in for a dimension: itself up to [`MAX`], else a size in
/// `8..=23` that depends only on the dimension.
pub fn dim(d: &Dim) -> Dim {
    match d {
        Dim::Lit(n) if *n > MAX => Dim::Lit(8 + n % 16),
        Dim::Prod(fs) => fs
            .iter()
            .fold(Dim::one(), |acc, f| Dim::product(&acc, &dim(f))),
        other => other.clone(),
    }
}

fn shape(s: &Shape) -> Shape {
    Shape::new(dim(&s.rows), dim(&s.cols))
}

/// Whether any variable of `env` has a literal dimension above [`MAX`].
pub fn needed(env: &Env) -> bool {
    env.vars.values().any(|v| shape(&v.shape) != v.shape)
}

/// `t` with the dimensions of its identity, ones and zero matrices replaced.
pub fn term(t: &Term) -> Term {
    match t {
        Term::Identity(d) => Term::Identity(dim(d)),
        Term::Ones(s) => Term::Ones(shape(s)),
        Term::Zero(s) => Term::Zero(shape(s)),
        Term::Commutation(m, n) => Term::Commutation(dim(m), dim(n)),
        other => other.map_children(term),
    }
}

/// The derivation by components with every large literal dimension
/// replaced (what its numeric check reads).
pub fn components(der: &crate::components::Derivation) -> crate::components::Derivation {
    let mut out = der.clone();
    out.problem = problem(&der.problem);
    for g in &mut out.gradients {
        g.result = g.result.as_ref().map(term);
    }
    out
}

/// The environment with every large literal dimension replaced.
pub fn env(e: &Env) -> Env {
    let mut out = e.clone();
    for v in out.vars.values_mut() {
        v.shape = shape(&v.shape);
    }
    out
}

/// The problem with every large literal dimension replaced.
pub fn problem(p: &crate::problem::Problem) -> crate::problem::Problem {
    let mut out = p.clone();
    out.env = env(&p.env);
    out.term = term(&p.term);
    out.shape = shape(&p.shape);
    out
}

/// The derivation with every large literal dimension replaced, in the
/// environment, the input and the gradients (what the numeric check reads).
pub fn derivation(der: &Derivation) -> Derivation {
    let mut out = der.clone();
    out.problem = problem(&der.problem);
    out.bindings = der
        .bindings
        .iter()
        .map(|(n, t)| (n.clone(), term(t)))
        .collect();
    for g in &mut out.gradients {
        g.result = term(&g.result);
        g.shape = shape(&g.shape);
    }
    out
}
