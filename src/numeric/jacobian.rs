//! Numeric checks of Jacobians and of directional derivatives (JVPs,
//! Hessian-vector products) against central finite differences.
//!
//! Layout: the Jacobian of an m×n function `F` by a p×q variable `V` is the
//! mn×pq matrix `J = ∂vec F/∂(vec V)ᵀ` (numerator layout, vec stacking
//! columns), so that `vec(dF) = J vec(dV)`. A Hessian is the Jacobian of a
//! gradient. For a declared symmetric `V` only symmetric directions
//! `E_ij + E_ji` are compared, as for gradients.
//!
//! Terms may be written with named intermediates: `bindings` are evaluated
//! in order at every point before the term itself.

use nalgebra::DMatrix;

use super::check::{
    CheckReport, MAX_ENTRIES, SETTLE, SPREAD_SLACK, STEP, TOLERANCE, ZERO_NORM, draw_valid,
    relative_error,
};
use super::error::EvalError;
use super::eval::eval;
use super::values::Values;
use crate::shape::Env;
use crate::term::Term;

type Matrix = DMatrix<f64>;

/// A term and the named intermediates it is written with.
#[derive(Clone, Copy, Debug)]
pub struct Bound<'a> {
    /// The term.
    pub term: &'a Term,
    /// `(name, value)` in evaluation order.
    pub bindings: &'a [(String, Term)],
}

impl<'a> Bound<'a> {
    /// A term without intermediates.
    pub fn plain(term: &'a Term) -> Bound<'a> {
        Bound {
            term,
            bindings: &[],
        }
    }

    fn eval(&self, vals: &Values) -> Result<Matrix, EvalError> {
        if self.bindings.is_empty() {
            return eval(self.term, vals);
        }
        let mut bound = vals.clone();
        for (name, value) in self.bindings {
            let m = eval(value, &bound)?;
            bound.set(name, m);
        }
        eval(self.term, &bound)
    }

    fn terms(&self) -> Vec<&'a Term> {
        let mut out = vec![self.term];
        out.extend(self.bindings.iter().map(|(_, v)| v));
        out
    }
}

/// The column `vec(m)`.
fn vec(m: &Matrix) -> Matrix {
    Matrix::from_column_slice(m.len(), 1, m.as_slice())
}

/// The derivative of `vec F` at `x0` along `dir`: central differences with
/// steps h and h/2 combined as (4 d₂ − d₁)/3, and |d₂ − d₁| entry by entry.
fn along(
    f: Bound<'_>,
    wrt: &str,
    vals: &Values,
    x0: &Matrix,
    dir: &Matrix,
    noise: f64,
) -> Result<(Matrix, Matrix), EvalError> {
    let h = STEP * x0.amax().max(1.0) / dir.amax().max(1.0);
    let mut point = vals.clone();
    let mut at = |t: f64| -> Result<Matrix, EvalError> {
        point.set(wrt, x0 + dir * t);
        Ok(vec(&f.eval(&point)?))
    };
    let d1 = (at(h)? - at(-h)?) / (2.0 * h);
    let d2 = (at(h / 2.0)? - at(-h / 2.0)?) / h;
    let spread = (&d2 - &d1).abs();
    let size = d1.amax().max(d2.amax());
    if spread.amax() > SETTLE * size + noise {
        return Err(EvalError::IllConditioned {
            var: wrt.to_string(),
        });
    }
    Ok(((&d2 * 4.0 - &d1) / 3.0, spread))
}

/// The directions along which `V` is perturbed: every entry, or for a
/// symmetric `V` every pair `E_ij + E_ji` (and `E_ii`).
fn directions(x0: &Matrix, symmetric: bool) -> Vec<Matrix> {
    let (r, c) = x0.shape();
    let mut out = Vec::new();
    for j in 0..c {
        for i in 0..r {
            if symmetric && i > j {
                continue;
            }
            let mut e = Matrix::zeros(r, c);
            e[(i, j)] = 1.0;
            if symmetric && i != j {
                e[(j, i)] = 1.0;
            }
            out.push(e);
        }
    }
    out
}

/// The error of `analytic` against `numeric`, as in the gradient check: the
/// relative Frobenius error, less what the differences cannot resolve.
fn error_of(analytic: &Matrix, numeric: &Matrix, spread: &Matrix, noise: f64) -> f64 {
    let noise = noise * (numeric.len() as f64).sqrt();
    let scale = numeric.norm().max(analytic.norm()).max(noise / TOLERANCE);
    if scale < ZERO_NORM {
        return relative_error(analytic, numeric);
    }
    let raw = (analytic - numeric).norm() / scale;
    if raw < TOLERANCE {
        raw
    } else {
        (raw - SPREAD_SLACK * spread.norm() / scale).max(0.0)
    }
}

fn start(f: Bound<'_>, wrt: &str, v: &Values) -> Result<(Matrix, Matrix, f64), EvalError> {
    let y = f.eval(v)?;
    let x0 = v
        .get(wrt)
        .cloned()
        .ok_or_else(|| EvalError::UnboundVariable(wrt.to_string()))?;
    if x0.len() > MAX_ENTRIES {
        return Err(EvalError::TooLarge {
            what: format!("the number of entries of {wrt}"),
            size: x0.len() as u64,
            limit: MAX_ENTRIES as u64,
        });
    }
    let h = STEP * x0.amax().max(1.0);
    let noise = 100.0 * f64::EPSILON * (y.amax() + 1.0) / h;
    Ok((y, x0, noise))
}

/// Compares the derived Jacobian `j` of `f` by `wrt` (`∂vec f/∂(vec wrt)ᵀ`)
/// with finite differences of `f` at `trials` random points.
pub fn check_jacobian(
    f: Bound<'_>,
    wrt: &str,
    j: Bound<'_>,
    env: &Env,
    seed: u64,
    trials: u32,
) -> Result<CheckReport, EvalError> {
    if env.get(wrt).is_none() {
        return Err(EvalError::UnboundVariable(wrt.to_string()));
    }
    let symmetric = env.is_symmetric(wrt);
    let mut terms = f.terms();
    terms.extend(j.terms());
    // The variable is drawn even where `f` does not depend on it.
    let v = Term::var(wrt);
    terms.push(&v);
    let mut report = CheckReport {
        max_rel_error: 0.0,
        trials,
        sizes: Default::default(),
    };
    for trial in 0..trials {
        let (vals, err) = draw_valid(&terms, env, seed, u64::from(trial), |v| {
            let (y, x0, noise) = start(f, wrt, v)?;
            let jm = j.eval(v)?;
            if jm.shape() != (y.len(), x0.len()) {
                return Err(EvalError::ShapeMismatch {
                    op: "the Jacobian",
                    left: jm.shape(),
                    right: (y.len(), x0.len()),
                });
            }
            let dirs = directions(&x0, symmetric);
            let mut numeric = Matrix::zeros(y.len(), dirs.len());
            let mut spread = Matrix::zeros(y.len(), dirs.len());
            let mut analytic = Matrix::zeros(y.len(), dirs.len());
            for (k, d) in dirs.iter().enumerate() {
                let (n, s) = along(f, wrt, v, &x0, d, noise)?;
                numeric.set_column(k, &n.column(0));
                spread.set_column(k, &s.column(0));
                analytic.set_column(k, &(&jm * vec(d)).column(0));
            }
            Ok(error_of(&analytic, &numeric, &spread, noise))
        })?;
        record(&mut report, err, &vals)?;
    }
    Ok(report)
}

/// Compares `result`, the derivative of `f` by `wrt` applied to the
/// direction `direction` (a variable of `env` with `wrt`'s shape), with the
/// finite difference of `f` along that direction, at `trials` random points.
#[allow(clippy::too_many_arguments)]
pub fn check_directional(
    f: Bound<'_>,
    wrt: &str,
    direction: &str,
    result: Bound<'_>,
    env: &Env,
    seed: u64,
    trials: u32,
) -> Result<CheckReport, EvalError> {
    if env.get(wrt).is_none() {
        return Err(EvalError::UnboundVariable(wrt.to_string()));
    }
    let mut terms = f.terms();
    terms.extend(result.terms());
    let dir_term = Term::var(direction);
    terms.push(&dir_term);
    let v = Term::var(wrt);
    terms.push(&v);
    let mut report = CheckReport {
        max_rel_error: 0.0,
        trials,
        sizes: Default::default(),
    };
    for trial in 0..trials {
        let (vals, err) = draw_valid(&terms, env, seed, u64::from(trial), |v| {
            let (_, x0, noise) = start(f, wrt, v)?;
            let d = v
                .get(direction)
                .cloned()
                .ok_or_else(|| EvalError::UnboundVariable(direction.to_string()))?;
            let r = vec(&result.eval(v)?);
            let (n, s) = along(f, wrt, v, &x0, &d, noise)?;
            if r.shape() != n.shape() {
                return Err(EvalError::ShapeMismatch {
                    op: "the directional derivative",
                    left: r.shape(),
                    right: n.shape(),
                });
            }
            Ok(error_of(&r, &n, &s, noise))
        })?;
        record(&mut report, err, &vals)?;
    }
    Ok(report)
}

fn record(report: &mut CheckReport, err: f64, vals: &Values) -> Result<(), EvalError> {
    if !err.is_finite() {
        return Err(EvalError::NonFinite {
            op: "the derivative check".to_string(),
        });
    }
    if err >= report.max_rel_error {
        report.max_rel_error = err;
        report.sizes = vals.dims.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Dim, Kind, Shape, VarInfo};

    fn env(vars: &[(&str, &str, &str)]) -> Env {
        let mut env = Env::default();
        for (n, r, c) in vars {
            let dim = |s: &str| match s.parse() {
                Ok(k) => Dim::Lit(k),
                Err(_) => Dim::Sym(s.to_string()),
            };
            env.vars.insert(
                n.to_string(),
                VarInfo {
                    kind: Kind::Matrix,
                    shape: Shape::new(dim(r), dim(c)),
                    symmetric: false,
                },
            );
        }
        env
    }

    #[test]
    fn vec_of_a_product_is_a_kronecker_product_times_vec() {
        // Matrix Cookbook (520): ∂vec(AXB)/∂(vec X)ᵀ = Bᵀ ⊗ A.
        let e = env(&[("A", "p", "n"), ("X", "n", "m"), ("B", "m", "q")]);
        let f = Term::Mul(vec![Term::var("A"), Term::var("X"), Term::var("B")]);
        let t = |n: &str| Term::Transpose(Box::new(Term::var(n)));
        let j = Term::Kron(Box::new(t("B")), Box::new(Term::var("A")));
        let r = check_jacobian(Bound::plain(&f), "X", Bound::plain(&j), &e, 1, 2).unwrap();
        assert!(r.passed(), "{r:?}");
        let wrong = Term::Kron(Box::new(Term::var("A")), Box::new(t("B")));
        let r = check_jacobian(Bound::plain(&f), "X", Bound::plain(&wrong), &e, 1, 2);
        assert!(r.is_err() || !r.unwrap().passed());
    }

    #[test]
    fn the_commutation_matrix_is_the_jacobian_of_the_transpose() {
        let e = env(&[("X", "m", "n")]);
        let f = Term::Transpose(Box::new(Term::var("X")));
        let k = Term::Commutation(Dim::Sym("m".into()), Dim::Sym("n".into()));
        let r = check_jacobian(Bound::plain(&f), "X", Bound::plain(&k), &e, 3, 2).unwrap();
        assert!(r.passed(), "{r:?}");
    }

    #[test]
    fn a_directional_derivative_is_checked_along_its_direction() {
        let e = env(&[("X", "n", "n"), ("V", "n", "n")]);
        let inv = |t: Term| Term::Inverse(Box::new(t));
        let f = inv(Term::var("X"));
        let jvp = Term::Neg(Box::new(Term::Mul(vec![
            inv(Term::var("X")),
            Term::var("V"),
            inv(Term::var("X")),
        ])));
        let r =
            check_directional(Bound::plain(&f), "X", "V", Bound::plain(&jvp), &e, 5, 2).unwrap();
        assert!(r.passed(), "{r:?}");
        let r = check_directional(Bound::plain(&f), "X", "V", Bound::plain(&f), &e, 5, 2).unwrap();
        assert!(!r.passed());
    }
}
