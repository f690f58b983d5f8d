//! Partial derivatives of index expressions with respect to one entry of a
//! variable, by the product rule and the elementary partials
//! `∂x_k/∂x_i = δ_ki`, `∂f(u)/∂u = f′(u)`,
//! `∂(A⁻¹)_pq/∂a_rs = −(A⁻¹)_pr (A⁻¹)_sq`, `∂det A/∂a_rs = det A · (A⁻¹)_sr`,
//! `∂L(Y)/∂y_rs = g_rs`.

use super::fresh::Fresh;
use super::index::{Expr, Factor, Index, Map, Opaque, Product};
use super::lower::{fresh_slots, indices, lower};
use crate::error::{Error, Result};
use crate::registry;
use crate::shape::Env;
use crate::term::{Number, Term};

/// The variable entry a partial is taken by: `x_i`, `w_ij`.
pub struct Wrt<'a> {
    /// The variable.
    pub var: &'a str,
    /// The indices of its entry.
    pub idx: &'a [Index],
}

/// `∂e/∂v_idx`.
pub fn partial(e: &Expr, wrt: &Wrt, env: &Env, fresh: &mut Fresh) -> Result<Expr> {
    let mut out = Expr::default();
    for p in &e.terms {
        for (k, f) in p.factors.iter().enumerate() {
            let df = factor(f, wrt, env, fresh)?;
            for t in df.terms {
                let t = renamed(t, fresh);
                let mut factors = p.factors[..k].to_vec();
                factors.extend(t.factors);
                factors.extend(p.factors[k + 1..].iter().cloned());
                let mut sums = p.sums.clone();
                sums.extend(t.sums);
                out.terms.push(Product {
                    coef: p.coef * t.coef,
                    sums,
                    factors,
                });
            }
        }
    }
    Ok(out)
}

/// The product with its bound indices renamed to fresh ones, so that it can
/// join another product without capturing an index.
fn renamed(mut p: Product, fresh: &mut Fresh) -> Product {
    let sums = std::mem::take(&mut p.sums);
    for s in sums {
        let dim = fresh
            .dim(&s)
            .cloned()
            .unwrap_or_else(crate::shape::Dim::one);
        let new = fresh.any(&dim);
        p.subst(&s, &new);
        p.sums.push(new);
    }
    p
}

fn factor(f: &Factor, wrt: &Wrt, env: &Env, fresh: &mut Fresh) -> Result<Expr> {
    Ok(match f {
        Factor::Entry { name, idx } if name == wrt.var => {
            let deltas = idx
                .iter()
                .zip(wrt.idx)
                .map(|(a, b)| Factor::Delta(a.clone(), b.clone()))
                .collect();
            Expr {
                terms: vec![Product {
                    coef: 1.0,
                    sums: vec![],
                    factors: deltas,
                }],
            }
        }
        Factor::Entry { .. } | Factor::Delta(..) => Expr::default(),
        Factor::Map {
            map,
            arg,
            idx,
            inner,
        } => {
            if !arg.mentions(wrt.var) {
                return Ok(Expr::default());
            }
            let (coef, outer) = derivative(map, arg)?;
            let d_inner = partial(inner, wrt, env, fresh)?;
            let outer = match outer {
                Some(m) => Expr::factor(Factor::Map {
                    map: m,
                    arg: arg.clone(),
                    idx: idx.clone(),
                    inner: inner.clone(),
                }),
                None => Expr::constant(1.0),
            };
            outer.times(&d_inner).scaled(coef)
        }
        Factor::Opaque {
            op: Opaque::Numel, ..
        } => Expr::default(),
        Factor::Opaque {
            op: Opaque::Along(func),
            arg,
            idx,
        } => {
            if !arg.mentions(wrt.var) {
                return Ok(Expr::default());
            }
            along(*func, arg, idx, wrt, env, fresh)?
        }
        Factor::Opaque { op, arg, idx } => {
            if !arg.mentions(wrt.var) {
                return Ok(Expr::default());
            }
            let shape = arg.shape(env).ok_or_else(|| Error::Unsupported {
                at: Box::new(arg.clone()),
                reason: "its shape is not known".to_string(),
            })?;
            let (r, s) = fresh_slots(&shape, fresh);
            let a_rs = lower(arg, &r, &s, env, fresh)?;
            let d_arg = partial(&a_rs, wrt, env, fresh)?;
            let inv = |row: &Option<Index>, col: &Option<Index>| {
                Expr::factor(Factor::Opaque {
                    op: Opaque::Inverse,
                    arg: arg.clone(),
                    idx: indices(row, col),
                })
            };
            let (p, q) = super::lower::slots(&shape, idx);
            let e = match op {
                // ∂(A⁻¹)_pq = −Σ_rs (A⁻¹)_pr ∂a_rs (A⁻¹)_sq
                Opaque::Inverse => inv(&p, &r).times(&d_arg).times(&inv(&s, &q)).scaled(-1.0),
                // ∂det A = Σ_rs det A (A⁻¹)_sr ∂a_rs
                Opaque::Det => Expr::factor(f.clone()).times(&inv(&s, &r)).times(&d_arg),
                // ∂logdet A = Σ_rs (A⁻¹)_sr ∂a_rs
                Opaque::Logdet => inv(&s, &r).times(&d_arg),
                // ∂L(A) = Σ_rs g_rs ∂a_rs
                Opaque::Unknown(n) => Expr::factor(Factor::Entry {
                    name: crate::engine::gradient_symbol(n),
                    idx: indices(&r, &s),
                })
                .times(&d_arg),
                Opaque::Along(_) | Opaque::Numel => Expr::default(),
            };
            e.summed(&indices(&r, &s))
        }
    })
}

/// The partial of an entry of a function along an axis of `arg`. Down each
/// column, with `S = softmax(A)` and `r` running over the rows:
/// `∂S_pq = Σ_r S_pq (δ_pr − S_rq) ∂a_rq` (Bishop (4.106)),
/// `∂logsoftmax(A)_pq = Σ_r (δ_pr − S_rq) ∂a_rq`,
/// `∂logsumexp(A)_q = Σ_r S_rq ∂a_rq`; along each row the roles of the
/// indices are exchanged.
fn along(
    func: crate::term::Func,
    arg: &Term,
    idx: &[Index],
    wrt: &Wrt,
    env: &Env,
    fresh: &mut Fresh,
) -> Result<Expr> {
    use crate::registry::{Axis, AxisOp};
    let Some(a) = func.along() else {
        return Ok(Expr::default());
    };
    let shape = arg.shape(env).ok_or_else(|| Error::Unsupported {
        at: Box::new(arg.clone()),
        reason: "its shape is not known".to_string(),
    })?;
    let out_shape = func
        .spec()
        .shape
        .apply(&shape)
        .unwrap_or_else(|| shape.clone());
    let (p, q) = super::lower::slots(&out_shape, idx);
    // The entries of `arg` the result's entry depends on: one column
    // (the row index runs) or one row (the column index runs).
    let (r, s, run) = match a.axis {
        Axis::Columns => {
            let r = fresh.index(&shape.rows);
            (r.clone(), q.clone(), r)
        }
        Axis::Rows => {
            let s = fresh.index(&shape.cols);
            (p.clone(), s.clone(), s)
        }
    };
    let softmax = crate::term::Func::Softmax
        .with_axis(a.axis)
        .unwrap_or(crate::term::Func::Softmax);
    let s_at = |row: &Option<Index>, col: &Option<Index>| {
        Expr::factor(Factor::Opaque {
            op: Opaque::Along(softmax),
            arg: arg.clone(),
            idx: indices(row, col),
        })
    };
    let delta = |x: &Option<Index>, y: &Option<Index>| match (x, y) {
        (Some(x), Some(y)) => Expr::factor(Factor::Delta(x.clone(), y.clone())),
        _ => Expr::constant(1.0),
    };
    // δ_pr − S_rq down columns, δ_qs − S_ps along rows.
    let (own, other) = match a.axis {
        Axis::Columns => (delta(&p, &r), s_at(&r, &q)),
        Axis::Rows => (delta(&q, &s), s_at(&p, &s)),
    };
    let a_rs = lower(arg, &r, &s, env, fresh)?;
    let d_arg = partial(&a_rs, wrt, env, fresh)?;
    let coef = match a.op {
        AxisOp::Softmax => s_at(&p, &q).times(&own.plus(other.scaled(-1.0))),
        AxisOp::Logsoftmax => own.plus(other.scaled(-1.0)),
        AxisOp::Logsumexp => other,
    };
    Ok(coef.times(&d_arg).summed(&indices(&run, &None)))
}

/// `m′` as a coefficient times a map (`None` for the constant 1), read off
/// the registry's derivative where it is a single map (`exp′ = exp`,
/// `cos′ = −sin`, `log′ = x⁻¹`, `step′ = 0`).
fn derivative(m: &Map, arg: &Term) -> Result<(f64, Option<Map>)> {
    Ok(match m {
        Map::Func(f) => match registry::derivative_template(*f) {
            Some(t) => simple_map(t).unwrap_or((1.0, Some(Map::Deriv(*f)))),
            None => (1.0, Some(Map::Deriv(*f))),
        },
        Map::Pow(k) => match k - 1 {
            0 => (*k as f64, None),
            j => (*k as f64, Some(Map::Pow(j))),
        },
        Map::EPow(q) => {
            let r = q.0 - 1.0;
            if r == 0.0 {
                (q.0, None)
            } else {
                (q.0, Some(Map::EPow(Number(r))))
            }
        }
        Map::Deriv(f) => {
            return Err(Error::Unsupported {
                at: Box::new(Term::Apply(*f, Box::new(arg.clone()))),
                reason: format!(
                    "the second derivative of {} is not written by components",
                    f.name()
                ),
            });
        }
    })
}

/// A derivative template that is one map of `x` with a coefficient.
fn simple_map(t: &Term) -> Option<(f64, Option<Map>)> {
    let is_x = |t: &Term| matches!(t, Term::Var(v) if v == "x");
    match t {
        Term::Num(n) if n.0 == 0.0 => Some((0.0, None)),
        Term::Apply(g, a) if is_x(a) => Some((1.0, Some(Map::Func(*g)))),
        Term::Neg(a) => simple_map(a).map(|(c, m)| (-c, m)),
        Term::Div(n, a) if is_x(a) && matches!(**n, Term::Num(one) if one.0 == 1.0) => {
            Some((1.0, Some(Map::Pow(-1))))
        }
        _ => None,
    }
}
