//! Numeric comparison of two terms: refutes a claimed equivalence, or
//! cross-checks two derivations of the same gradient.

use std::collections::BTreeMap;

use nalgebra::DMatrix;

use super::check::{TOLERANCE, ZERO_NORM, draw_valid};
use super::error::EvalError;
use super::eval::eval;
use crate::shape::Env;
use crate::term::Term;

type Matrix = DMatrix<f64>;

/// The outcome of [`compare`].
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The largest relative Frobenius difference over the trials; infinite
    /// when the two terms have different sizes at some point.
    pub max_rel_difference: f64,
    /// The number of trials run.
    pub trials: u32,
    /// The point of the largest difference, when it reaches [`TOLERANCE`].
    pub counterexample: Option<Counterexample>,
}

impl Comparison {
    /// Whether the two terms agreed at every point, to within [`TOLERANCE`].
    pub fn agree(&self) -> bool {
        self.max_rel_difference < TOLERANCE
    }
}

/// A point at which two terms differ.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterexample {
    /// Concrete sizes of the symbolic dimensions.
    pub sizes: BTreeMap<String, usize>,
    /// The value of every variable, gradient matrices of unknown functions
    /// included.
    pub values: BTreeMap<String, Matrix>,
    /// The value of the first term.
    pub left: Matrix,
    /// The value of the second term.
    pub right: Matrix,
    /// Their relative Frobenius difference.
    pub rel_difference: f64,
}

/// Evaluates `a` and `b` at the same `trials` random points (drawn to suit
/// both) and reports how far apart they are.
///
/// The difference is ‖a − b‖ / max(‖a‖, ‖b‖), or ‖a − b‖ when both norms
/// are below [`ZERO_NORM`].
pub fn compare(
    a: &Term,
    b: &Term,
    env: &Env,
    seed: u64,
    trials: u32,
) -> Result<Comparison, EvalError> {
    compare_within(a, b, &[], env, seed, trials)
}

/// Like [`compare`], with the points also drawn to suit `context` (the
/// function two gradients are gradients of: `arcsin(X)` keeps X inside
/// (−1, 1), which its gradient `𝟙 ./ sqrt(𝟙 − X ⊙ X)` alone does not say).
pub fn compare_within(
    a: &Term,
    b: &Term,
    context: &[&Term],
    env: &Env,
    seed: u64,
    trials: u32,
) -> Result<Comparison, EvalError> {
    let mut out = Comparison {
        max_rel_difference: 0.0,
        trials,
        counterexample: None,
    };
    for trial in 0..trials {
        let mut terms = vec![a, b];
        terms.extend_from_slice(context);
        let (vals, (left, right)) = draw_valid(&terms, env, seed, u64::from(trial), |v| {
            Ok((eval(a, v)?, eval(b, v)?))
        })?;
        let diff = difference(&left, &right);
        if diff > out.max_rel_difference {
            out.max_rel_difference = diff;
            if diff >= TOLERANCE {
                out.counterexample = Some(Counterexample {
                    sizes: vals.dims.clone(),
                    values: vals.vars.clone(),
                    left,
                    right,
                    rel_difference: diff,
                });
            }
        }
    }
    Ok(out)
}

/// The relative Frobenius difference of two values (infinite when their
/// shapes differ; absolute when both are near zero).
pub fn difference(a: &Matrix, b: &Matrix) -> f64 {
    if a.shape() != b.shape() {
        return f64::INFINITY;
    }
    let diff = (a - b).norm();
    let scale = a.norm().max(b.norm());
    if scale < ZERO_NORM {
        diff
    } else {
        diff / scale
    }
}
