//! The numeric check of a derived gradient against finite differences.
//!
//! Layout: the gradient of a scalar f with respect to an m×n variable X is the
//! m×n matrix G with G_ij = ∂f/∂X_ij (denominator layout), so that
//! df = tr(Gᵀ dX).
//!
//! Symmetric variables: for X declared symmetric, only symmetric directions
//! dX are allowed, and G is compared through them. Entries (i,j) and (j,i) are
//! perturbed together, and the finite difference is compared with
//! G_ij + G_ji for i ≠ j and with G_ii on the diagonal. Any G with the same
//! symmetric part passes; for f = logdet(X) the expected answer is X⁻¹, not
//! the Matrix Cookbook's 2X⁻¹ − X⁻¹ ∘ I.

use std::collections::BTreeMap;

use nalgebra::DMatrix;

use super::error::EvalError;
use super::eval::{eval, take_worst_condition};
use super::sample::sample;
use super::values::Values;
use crate::shape::Env;
use crate::term::Term;

type Matrix = DMatrix<f64>;

/// The relative error under which a check passes (as in `check-cases`).
pub const TOLERANCE: f64 = 1e-6;
/// The base finite-difference step, scaled by max(1, |x|) for each entry.
pub const STEP: f64 = 1e-4;
/// How far the differences with steps h and h/2 may disagree, relative to
/// their size, before the point is judged too close to a singularity (for a
/// smooth function they differ by about h² ≈ 1e-8 of their size).
pub const SETTLE: f64 = 1e-4;
/// How many times the spread |d₂ − d₁| of the finite differences a
/// discrepancy may reach before it counts against the gradient.
pub const SPREAD_SLACK: f64 = 4.0;
/// Below this Frobenius norm both gradients count as zero, and their absolute
/// difference is reported instead of a relative one.
pub const ZERO_NORM: f64 = 1e-8;
/// Random directions compared at each point after the first.
pub const DIRECTIONS: usize = 2;
/// The most entries a variable may have for finite differences (four
/// evaluations of f per entry).
pub const MAX_ENTRIES: usize = 4096;
/// How many points a trial draws before it gives up on points where the
/// function is undefined (a singular or non-positive-definite draw).
pub const MAX_DRAWS: u64 = 8;

/// The outcome of [`check_gradient`].
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// The largest relative Frobenius error over the trials (absolute when
    /// both gradients are below [`ZERO_NORM`]). An error at or above
    /// [`TOLERANCE`] is given less what the finite differences cannot
    /// resolve themselves ([`SPREAD_SLACK`] times their spread).
    pub max_rel_error: f64,
    /// The number of trials run.
    pub trials: u32,
    /// The concrete dimension sizes of the worst trial.
    pub sizes: BTreeMap<String, usize>,
}

impl CheckReport {
    /// Whether the error is below [`TOLERANCE`].
    pub fn passed(&self) -> bool {
        self.max_rel_error < TOLERANCE
    }
}

/// Compares the derived gradient `grad` of the scalar `f` with respect to
/// `wrt` with Richardson-extrapolated central differences of `f`, at `trials`
/// random points drawn by [`sample`] from `seed`.
///
/// At the first point every entry is its own direction (every entry of the
/// gradient is compared). At each further point, drawn at new sizes, the
/// derivative along [`DIRECTIONS`] random directions V is compared with
/// tr(Gᵀ V): a gradient off by E fails there unless tr(Eᵀ V) vanishes for
/// each V, which for Gaussian V happens with probability 0, and the cost is
/// four evaluations of f per direction instead of four per entry.
///
/// Evaluation errors are returned as errors; a wrong gradient is a report
/// whose [`CheckReport::passed`] is false.
pub fn check_gradient(
    f: &Term,
    wrt: &str,
    grad: &Term,
    env: &Env,
    seed: u64,
    trials: u32,
) -> Result<CheckReport, EvalError> {
    check_gradient_with(f, wrt, grad, &[], env, seed, trials)
}

/// Like [`check_gradient`], for a gradient written with named intermediates:
/// `bindings` are evaluated in order at each random point (each may use the
/// variables and the names bound before it), then `grad`.
pub fn check_gradient_with(
    f: &Term,
    wrt: &str,
    grad: &Term,
    bindings: &[(String, Term)],
    env: &Env,
    seed: u64,
    trials: u32,
) -> Result<CheckReport, EvalError> {
    if env.get(wrt).is_none() {
        return Err(EvalError::UnboundVariable(wrt.to_string()));
    }
    let symmetric = env.is_symmetric(wrt);
    let mut report = CheckReport {
        max_rel_error: 0.0,
        trials,
        sizes: BTreeMap::new(),
    };
    for trial in 0..trials {
        let roles: Vec<&Term> = if bindings.is_empty() {
            vec![f, grad]
        } else {
            vec![f]
        };
        // The whole comparison is one probe, so that a point where the
        // finite differences do not settle (near a pole) is redrawn like a
        // point outside a function's domain.
        let (vals, (analytic, (numeric, spread), (noise, gradient_noise))) =
            draw_valid(&roles, env, seed, u64::from(trial), |v| {
                take_worst_condition();
                let y = eval(f, v)?;
                // f's relative rounding error grows with the condition
                // number of what it inverts or takes the determinant of.
                let condition = take_worst_condition();
                if y.shape() != (1, 1) {
                    return Err(EvalError::NotScalar {
                        op: "the function to differentiate",
                        shape: y.shape(),
                    });
                }
                let gradient_at = |v: &Values| -> Result<Matrix, EvalError> {
                    if bindings.is_empty() {
                        return eval(grad, v);
                    }
                    let mut bound = v.clone();
                    for (name, value) in bindings {
                        let m = eval(value, &bound)?;
                        bound.set(name, m);
                    }
                    eval(grad, &bound)
                };
                let g = gradient_at(v)?;
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
                if g.shape() != x0.shape() {
                    return Err(EvalError::GradientShape {
                        var: wrt.to_string(),
                        variable: x0.shape(),
                        gradient: g.shape(),
                    });
                }
                // Central differences cannot resolve a derivative below the
                // rounding noise of f divided by the step; deep compositions
                // (a 64-layer network) have gradients that small. Errors are
                // measured against that resolution when the gradient is below it.
                let h = STEP * x0.amax().max(1.0);
                // f's and the gradient's own rounding, measured: how far
                // they move when every input moves in its last places.
                let moved = moved(v);
                let f_rounding = (eval(f, &moved)?[(0, 0)] - y[(0, 0)]).abs();
                let g_rounding = (&gradient_at(&moved)? - &g).norm();
                let modelled = 100.0 * f64::EPSILON * condition * (y.amax() + 1.0);
                let noise = modelled.max(ROUNDING_SLACK * f_rounding) / h;
                // In the units compared: entries (twice for the symmetric
                // pairs), or tr(Δᵀ V) ≤ ‖Δ‖ ‖V‖ along a direction.
                let gradient_noise = ROUNDING_SLACK
                    * g_rounding
                    * if trial > 0 {
                        (x0.len() as f64).sqrt()
                    } else {
                        2.0
                    };
                let (analytic, numeric) = if trial > 0 {
                    along_random_directions(f, wrt, v, &x0, &g, symmetric, noise, (seed, trial))?
                } else if symmetric {
                    (
                        symmetric_directions(&g)?,
                        symmetric_differences(f, wrt, v, &x0, noise)?,
                    )
                } else {
                    (g, differences(f, wrt, v, &x0, noise)?)
                };
                Ok((analytic, numeric, (noise, gradient_noise)))
            })?;
        let noise = noise * (numeric.len() as f64).sqrt() + gradient_noise;
        let scale = numeric.norm().max(analytic.norm()).max(noise / TOLERANCE);
        let err = if scale < ZERO_NORM {
            relative_error(&analytic, &numeric)
        } else {
            let raw = (&analytic - &numeric).norm() / scale;
            // The differences with steps h and h/2 bound their own error
            // (rounding in a function with large intermediate values,
            // truncation): above the tolerance, only the part of the
            // discrepancy beyond a few times their spread counts against
            // the gradient.
            if raw < TOLERANCE {
                raw
            } else {
                (raw - SPREAD_SLACK * spread.norm() / scale).max(0.0)
            }
        };
        if !err.is_finite() {
            return Err(EvalError::NonFinite {
                op: "the gradient check".to_string(),
            });
        }
        if err >= report.max_rel_error {
            report.max_rel_error = err;
            report.sizes = vals.dims.clone();
        }
    }
    Ok(report)
}

/// How many times its measured rounding (see [`moved`]) a value may be
/// off: the Richardson combination of the differences with steps h and h/2
/// carries about three times f's.
const ROUNDING_SLACK: f64 = 10.0;

/// The point with every input moved by a few units in its last place (each
/// entry times 1 ± 4ε, signs fixed by position). How far f and the
/// gradient move there is the rounding their own evaluation carries,
/// measured rather than modelled: large where they multiply many large
/// matrices or cancel large terms (`det(A − 10¹⁴ X⁹ S C²⁴ Bᵀ)`, found by
/// fuzzing), where a model from |f| alone is far too small.
fn moved(vals: &Values) -> Values {
    let mut moved = vals.clone();
    let mut k: u64 = 0;
    for m in moved.vars.values_mut() {
        m.apply(|x| {
            k = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let sign = if k >> 63 == 0 { 1.0 } else { -1.0 };
            *x *= 1.0 + 4.0 * f64::EPSILON * sign;
        });
    }
    moved
}

/// ∂f/∂`wrt` at the point `vals` by Richardson-extrapolated central
/// differences, as [`check_gradient`] computes them, with the spread
/// |d₂ − d₁| of each entry and the rounding noise of one entry: for
/// checking a gradient computed elsewhere (generated code) at a point of
/// one's choice. Unsymmetrised: every entry is its own direction. An error
/// when the point is outside a function's domain or too close to a
/// singularity.
pub fn finite_differences(
    f: &Term,
    wrt: &str,
    vals: &Values,
) -> Result<(Matrix, Matrix, f64), EvalError> {
    let y = eval(f, vals)?;
    let x0 = vals
        .get(wrt)
        .cloned()
        .ok_or_else(|| EvalError::UnboundVariable(wrt.to_string()))?;
    let h = STEP * x0.amax().max(1.0);
    let noise = 100.0 * f64::EPSILON * (y.amax() + 1.0) / h;
    let (d, spread) = differences(f, wrt, vals, &x0, noise)?;
    Ok((d, spread, noise))
}

/// ‖a − b‖ / ‖b‖ in the Frobenius norm, or ‖a − b‖ when both norms are below
/// [`ZERO_NORM`] (a relative error between two zeros is meaningless).
pub fn relative_error(a: &Matrix, b: &Matrix) -> f64 {
    let diff = (a - b).norm();
    if a.norm().max(b.norm()) < ZERO_NORM {
        diff
    } else {
        diff / b.norm().max(1e-12)
    }
}

/// Draws points for `terms` until `probe` succeeds or fails for a reason other
/// than the point itself; returns the point and the probe's result.
pub(crate) fn draw_valid<T>(
    terms: &[&Term],
    env: &Env,
    seed: u64,
    trial: u64,
    probe: impl Fn(&Values) -> Result<T, EvalError>,
) -> Result<(Values, T), EvalError> {
    let mut last = None;
    for attempt in 0..MAX_DRAWS {
        // Redraws use streams far from the trial numbers so that they never
        // repeat another trial's point.
        let vals = sample(terms, env, seed, trial + (attempt << 32))?;
        match probe(&vals) {
            Ok(t) => return Ok((vals, t)),
            Err(e) if e.is_domain() => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(match last {
        Some(e) => EvalError::NoUsablePoint {
            draws: MAX_DRAWS,
            last: Box::new(e),
        },
        None => EvalError::Empty { op: "sampling" },
    })
}

/// ∂f/∂x_ij for every entry, by Richardson-extrapolated central differences.
fn differences(
    f: &Term,
    wrt: &str,
    vals: &Values,
    x0: &Matrix,
    noise: f64,
) -> Result<(Matrix, Matrix), EvalError> {
    let mut out = Matrix::zeros(x0.nrows(), x0.ncols());
    let mut spread = Matrix::zeros(x0.nrows(), x0.ncols());
    let mut point = vals.clone();
    for i in 0..x0.nrows() {
        for j in 0..x0.ncols() {
            let along = Direction::Entries(&[(i, j)]);
            (out[(i, j)], spread[(i, j)]) = directional(f, wrt, &mut point, x0, along, noise)?;
        }
    }
    Ok((out, spread))
}

/// The derivatives of f along [`DIRECTIONS`] random directions (symmetric
/// ones for a symmetric variable), as a 1×k row, with what the gradient `g`
/// predicts for them, tr(gᵀ V). The directions are drawn from `seed` and
/// the trial, apart from the point's own stream.
#[allow(clippy::too_many_arguments)]
fn along_random_directions(
    f: &Term,
    wrt: &str,
    vals: &Values,
    x0: &Matrix,
    g: &Matrix,
    symmetric: bool,
    noise: f64,
    (seed, trial): (u64, u32),
) -> Result<(Matrix, (Matrix, Matrix)), EvalError> {
    let mut point = vals.clone();
    let mut analytic = Matrix::zeros(1, DIRECTIONS);
    let mut numeric = Matrix::zeros(1, DIRECTIONS);
    let mut spread = Matrix::zeros(1, DIRECTIONS);
    for k in 0..DIRECTIONS {
        let stream = (1 << 48) + (u64::from(trial) << 8) + k as u64;
        let mut v = super::sample::direction(x0.shape(), seed, stream);
        if symmetric {
            v = (&v + v.transpose()) * 0.5;
        }
        let size = v.amax();
        if size > 0.0 {
            v /= size;
        }
        analytic[(0, k)] = g.dot(&v);
        let along = Direction::Matrix(&v);
        (numeric[(0, k)], spread[(0, k)]) = directional(f, wrt, &mut point, x0, along, noise)?;
    }
    Ok((analytic, (numeric, spread)))
}

/// The derivative of f along E_ij + E_ji (E_ii on the diagonal), for a
/// symmetric variable.
fn symmetric_differences(
    f: &Term,
    wrt: &str,
    vals: &Values,
    x0: &Matrix,
    noise: f64,
) -> Result<(Matrix, Matrix), EvalError> {
    let n = square_size(x0)?;
    let mut out = Matrix::zeros(n, n);
    let mut spread = Matrix::zeros(n, n);
    let mut point = vals.clone();
    for i in 0..n {
        for j in i..n {
            let along = if i == j {
                Direction::Entries(&[(i, i)])
            } else {
                Direction::Entries(&[(i, j), (j, i)])
            };
            let (d, e) = directional(f, wrt, &mut point, x0, along, noise)?;
            out[(i, j)] = d;
            out[(j, i)] = d;
            spread[(i, j)] = e;
            spread[(j, i)] = e;
        }
    }
    Ok((out, spread))
}

/// What the gradient predicts for the symmetric directions of
/// [`symmetric_differences`].
fn symmetric_directions(g: &Matrix) -> Result<Matrix, EvalError> {
    let n = square_size(g)?;
    Ok(Matrix::from_fn(n, n, |i, j| {
        if i == j {
            g[(i, i)]
        } else {
            g[(i, j)] + g[(j, i)]
        }
    }))
}

fn square_size(m: &Matrix) -> Result<usize, EvalError> {
    if m.is_square() {
        Ok(m.nrows())
    } else {
        Err(EvalError::NotSquare {
            op: "a symmetric variable",
            shape: m.shape(),
        })
    }
}

/// A direction in which to differentiate: ones at some entries, or a
/// matrix (of largest entry 1).
#[derive(Clone, Copy)]
enum Direction<'a> {
    Entries(&'a [(usize, usize)]),
    Matrix(&'a Matrix),
}

/// The derivative of f at x0 along a direction: central differences with
/// steps h and h/2, combined as (4 d₂ − d₁)/3 to cancel the h² error term,
/// with |d₂ − d₁| as a measure of its error. When the two differences
/// disagree by more than [`SETTLE`] of their size (beyond the rounding
/// `noise`), the point lies too close to a singularity for differences to
/// judge a gradient there. `point` is the point with `wrt` at x0, moved
/// for each evaluation and left at x0.
fn directional(
    f: &Term,
    wrt: &str,
    point: &mut Values,
    x0: &Matrix,
    along: Direction,
    noise: f64,
) -> Result<(f64, f64), EvalError> {
    let scale = match along {
        Direction::Entries(entries) => entries.iter().map(|&e| x0[e].abs()).fold(1.0_f64, f64::max),
        Direction::Matrix(_) => x0.amax().max(1.0),
    };
    let h = STEP * scale;
    let mut at = |t: f64| -> Result<f64, EvalError> {
        let x = point
            .vars
            .get_mut(wrt)
            .ok_or_else(|| EvalError::UnboundVariable(wrt.to_string()))?;
        x.copy_from(x0);
        match along {
            Direction::Entries(entries) => {
                for &e in entries {
                    x[e] += t;
                }
            }
            Direction::Matrix(v) => x.zip_apply(v, |a, b| *a += t * b),
        }
        let y = eval(f, point);
        if let Some(x) = point.vars.get_mut(wrt) {
            x.copy_from(x0);
        }
        Ok(y?[(0, 0)])
    };
    let d1 = (at(h)? - at(-h)?) / (2.0 * h);
    let d2 = (at(h / 2.0)? - at(-h / 2.0)?) / h;
    if (d2 - d1).abs() > SETTLE * d1.abs().max(d2.abs()) + noise {
        return Err(EvalError::IllConditioned {
            var: wrt.to_string(),
        });
    }
    Ok(((4.0 * d2 - d1) / 3.0, (d2 - d1).abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_error_is_absolute_between_near_zeros() {
        let zero = Matrix::zeros(2, 2);
        let tiny = Matrix::from_element(2, 2, 1e-10);
        assert_eq!(relative_error(&tiny, &zero), tiny.norm());
        let one = Matrix::from_element(2, 2, 1.0);
        assert!(relative_error(&one, &zero) > 1e11);
        assert!(relative_error(&zero, &one) == 1.0);
        assert!(relative_error(&(&one * 1.5), &one) == 0.5);
    }

    /// f = tr(A X) at a random point, the point, X there and A there.
    fn trace_of_ax(symmetric: bool) -> (Term, Values, Matrix, Matrix) {
        let x = if symmetric { "X: sym n×n" } else { "X: n×n" };
        let p = crate::check::check("tr(A X)", &[x.to_string()]).unwrap();
        let vals = sample(&[&p.term], &p.env, 7, 0).unwrap();
        let (a, x0) = (
            vals.get("A").unwrap().clone(),
            vals.get("X").unwrap().clone(),
        );
        (p.term, vals, x0, a)
    }

    #[test]
    fn random_directions_see_a_right_gradient_and_miss_no_wrong_entry() {
        for symmetric in [false, true] {
            let (f, vals, x0, a) = trace_of_ax(symmetric);
            // ∂ tr(AX)/∂X = Aᵀ; for a symmetric X its symmetric part.
            let mut right = a.transpose();
            if symmetric {
                right = (&right + right.transpose()) * 0.5;
            }
            let (analytic, (numeric, _)) =
                along_random_directions(&f, "X", &vals, &x0, &right, symmetric, 0.0, (1, 1))
                    .unwrap();
            assert_eq!(analytic.len(), DIRECTIONS);
            assert!(
                relative_error(&analytic, &numeric) < 1e-8,
                "{analytic} {numeric}"
            );
            // Off by 0.1 in any one entry (both mirror entries when symmetric).
            for i in 0..x0.nrows() {
                for j in 0..x0.ncols() {
                    let mut wrong = right.clone();
                    wrong[(i, j)] += 0.1;
                    if symmetric && i != j {
                        wrong[(j, i)] += 0.1;
                    }
                    let (analytic, (numeric, _)) = along_random_directions(
                        &f,
                        "X",
                        &vals,
                        &x0,
                        &wrong,
                        symmetric,
                        0.0,
                        (1, 1),
                    )
                    .unwrap();
                    assert!(relative_error(&analytic, &numeric) > 1e-4, "({i}, {j})");
                }
            }
        }
    }
}
