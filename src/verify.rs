//! Numeric verification of a derivation: every gradient against central
//! finite differences of the input expression.

use std::collections::BTreeMap;

use crate::engine::Derivation;
use crate::error::Result;
use crate::numeric::{self, TOLERANCE};
use crate::term::Term;

/// The outcome of checking every gradient of a derivation.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The largest relative (Frobenius) error over all gradients and trials.
    pub max_rel_error: f64,
    /// Random points per gradient.
    pub trials: u32,
    /// The largest error of each gradient, by variable.
    pub per_gradient: Vec<(String, f64)>,
    /// The concrete sizes drawn for the symbolic dimensions (of the first gradient's first trial).
    pub sizes: BTreeMap<String, usize>,
    /// The seed used.
    pub seed: u64,
}

impl Check {
    /// Whether every gradient agrees with finite differences within [`TOLERANCE`].
    pub fn passed(&self) -> bool {
        self.max_rel_error < TOLERANCE
    }

    /// The gradients that failed, with their errors.
    pub fn failures(&self) -> Vec<&(String, f64)> {
        self.per_gradient
            .iter()
            .filter(|(_, e)| e.is_nan() || *e >= TOLERANCE)
            .collect()
    }
}

/// Checks every gradient of `der` at `trials` random points drawn from
/// `seed`; a gradient with respect to a symmetric variable must also be
/// symmetric.
pub fn check(der: &Derivation, seed: u64, trials: u32) -> Result<Check> {
    let mut worst: f64 = 0.0;
    let mut per_gradient = Vec::new();
    let mut sizes = BTreeMap::new();
    for g in &der.gradients {
        let report = numeric::check_gradient_with(
            &der.problem.term,
            &g.wrt,
            &g.result,
            &der.bindings,
            &der.problem.env,
            seed,
            trials,
        )?;
        if sizes.is_empty() {
            sizes = report.sizes.clone();
        }
        let mut e = if report.max_rel_error.is_nan() {
            f64::INFINITY
        } else {
            report.max_rel_error
        };
        // The gradient with respect to a symmetric variable is symmetric
        // (SPEC §2); finite differences along symmetric directions see only
        // its symmetric part, so its symmetry is checked on its own.
        if der.problem.env.is_symmetric(&g.wrt) && der.bindings.is_empty() {
            let transposed = Term::Transpose(Box::new(g.result.clone()));
            let cmp = numeric::compare_within(
                &g.result,
                &transposed,
                &[&der.problem.term],
                &der.problem.env,
                seed,
                trials,
            )?;
            e = e.max(cmp.max_rel_difference);
        }
        worst = worst.max(e);
        per_gradient.push((g.wrt.clone(), e));
    }
    Ok(Check {
        max_rel_error: worst,
        trials,
        per_gradient,
        sizes,
        seed,
    })
}
