//! Numeric verification of a derivation: every gradient against central
//! finite differences of the input expression.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::Derivation;
use crate::error::{Error, LimitKind, Result};
use crate::numeric::EvalError;
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

impl Check {
    /// A check of nothing yet, at `trials` points from `seed`.
    pub fn new(seed: u64, trials: u32) -> Check {
        Check {
            max_rel_error: 0.0,
            trials,
            per_gradient: Vec::new(),
            sizes: BTreeMap::new(),
            seed,
        }
    }

    /// Records the report of one result, named `what`.
    pub fn add(&mut self, what: &str, report: &numeric::CheckReport) {
        self.add_error(what, report.max_rel_error, &report.sizes);
    }

    /// Records the error `e` of one result, named `what`, at `sizes`.
    pub fn add_error(&mut self, what: &str, e: f64, sizes: &BTreeMap<String, usize>) {
        let e = if e.is_nan() { f64::INFINITY } else { e };
        if self.sizes.is_empty() {
            self.sizes = sizes.clone();
        }
        self.max_rel_error = self.max_rel_error.max(e);
        self.per_gradient.push((what.to_string(), e));
    }
}

/// Checks every gradient of `der` at `trials` random points drawn from
/// `seed`; a gradient with respect to a symmetric variable must also be
/// symmetric.
pub fn check(der: &Derivation, seed: u64, trials: u32) -> Result<Check> {
    check_until(der, seed, trials, None)
}

/// Like [`check`], stopping with a time-limit error once `deadline` has
/// passed (checked between gradients).
pub fn check_until(
    der: &Derivation,
    seed: u64,
    trials: u32,
    deadline: Option<Instant>,
) -> Result<Check> {
    let mut worst: f64 = 0.0;
    let mut per_gradient = Vec::new();
    let mut sizes = BTreeMap::new();
    let started = Instant::now();
    for g in &der.gradients {
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Err(Error::Limit {
                stage: "numeric check".to_string(),
                limit: LimitKind::Time(started.elapsed().as_secs_f64()),
                at: Box::new(der.problem.term.clone()),
            });
        }
        let report = numeric::check_gradient_with(
            &der.problem.term,
            &g.wrt,
            &g.result,
            &der.bindings,
            &der.problem.env,
            seed,
            trials,
        )
        .map_err(|e| unverified(der, &g.wrt, e))?;
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

/// A check that found no usable point, as an error that says so and what to
/// do; other evaluation errors pass through.
fn unverified(der: &Derivation, wrt: &str, e: EvalError) -> Error {
    let EvalError::NoUsablePoint { draws, last } = e else {
        return Error::Numeric(e);
    };
    let help = match &*last {
        EvalError::Singular { at, .. } => format!(
            "{} is singular (or too close to it for an inverse or a determinant to keep ten digits) \
             at each of {draws} random points: if it is singular by construction (a product through a smaller \
             dimension, such as S X with S 3×2), the formula does not apply there. Pass --no-check \
             to print the gradient unverified",
            at.as_deref().unwrap_or("a matrix")
        ),
        EvalError::Domain { func, at, .. } => format!(
            "the numeric check draws random points with entries of size about 1 (positive under log \
             and sqrt, small under 1 − …), and at each of {draws} of them {} left the domain of {func}; \
             rescale the expression so that such points keep it defined (e.g. divide a variable \
             by a constant), or pass --no-check to print the gradient unverified",
            at.as_deref().unwrap_or("the expression")
        ),
        _ => format!(
            "none of {draws} random points was usable; pass --no-check to print the gradient unverified"
        ),
    };
    Error::Unverified {
        function: der.function.clone(),
        wrt: wrt.to_string(),
        reason: last.to_string(),
        help,
    }
}
