//! A typed [`Term`] in index notation: the entry `(T)_{row,col}` as a sum of
//! products, with a fresh bound index for every inner dimension of a
//! product, trace or sum.

use super::fresh::Fresh;
use super::index::{Expr, Factor, Index, Map, Opaque};
use crate::error::{Error, Result};
use crate::shape::{Env, Shape};
use crate::term::{Func, Term};

/// The index of a row or a column; `None` for a dimension of size 1, which
/// needs no index (a 1×n row vector has one index, as in the design note).
pub type Slot = Option<Index>;

/// The indices of an entry with the given row and column slots.
pub fn indices(row: &Slot, col: &Slot) -> Vec<Index> {
    row.iter().chain(col.iter()).cloned().collect()
}

/// The row and column slots of an entry of a matrix of shape `shape` with
/// indices `idx` (the inverse of [`indices`]).
pub fn slots(shape: &Shape, idx: &[Index]) -> (Slot, Slot) {
    match idx {
        [a, b] => (Some(a.clone()), Some(b.clone())),
        [a] if shape.rows.is_one() => (None, Some(a.clone())),
        [a] => (Some(a.clone()), None),
        _ => (None, None),
    }
}

/// Fresh slots for an entry of a matrix of shape `shape`.
pub fn fresh_slots(shape: &Shape, fresh: &mut Fresh) -> (Slot, Slot) {
    (fresh.index(&shape.rows), fresh.index(&shape.cols))
}

fn shape_of(t: &Term, env: &Env) -> Result<Shape> {
    t.shape(env).ok_or_else(|| Error::Unsupported {
        at: Box::new(t.clone()),
        reason: "its shape is not known".to_string(),
    })
}

fn unsupported(t: &Term, reason: &str) -> Error {
    Error::Unsupported {
        at: Box::new(t.clone()),
        reason: reason.to_string(),
    }
}

/// The entry `(t)_{row,col}` in index notation.
pub fn lower(t: &Term, row: &Slot, col: &Slot, env: &Env, fresh: &mut Fresh) -> Result<Expr> {
    // ‖A‖² is written Σ_kl a_kl a_kl rather than (sqrt(…))².
    if let Term::Pow(b, 2) = t
        && let Term::Apply(Func::Norm, a) = &**b
    {
        return lower(&norm_squared(a), &None, &None, env, fresh);
    }
    Ok(match t {
        Term::Var(n) => Expr::factor(Factor::Entry {
            name: n.clone(),
            idx: indices(row, col),
        }),
        Term::Num(v) => Expr::constant(v.value()),
        Term::Identity(_) => match (row, col) {
            (Some(a), Some(b)) => Expr::factor(Factor::Delta(a.clone(), b.clone())),
            _ => Expr::constant(1.0),
        },
        Term::Ones(_) => Expr::constant(1.0),
        Term::Zero(_) => Expr::default(),
        Term::Neg(a) => lower(a, row, col, env, fresh)?.scaled(-1.0),
        Term::Add(ts) => {
            let mut out = Expr::default();
            for x in ts {
                out = out.plus(lower(x, row, col, env, fresh)?);
            }
            out
        }
        Term::Mul(fs) => {
            let mut out = Expr::constant(1.0);
            let mut left = row.clone();
            let mut sums = Vec::new();
            for (k, f) in fs.iter().enumerate() {
                let right = if k + 1 == fs.len() {
                    col.clone()
                } else {
                    let i = fresh.index(&shape_of(f, env)?.cols);
                    sums.extend(i.iter().cloned());
                    i
                };
                out = times(&out, &lower(f, &left, &right, env, fresh)?, t)?;
                left = right;
            }
            out.summed(&sums)
        }
        Term::Scale(s, m) => times(
            &lower(s, &None, &None, env, fresh)?,
            &lower(m, row, col, env, fresh)?,
            t,
        )?,
        Term::Div(m, s) => {
            lower(m, row, col, env, fresh)?.times(&map(Map::Pow(-1), s, &None, &None, env, fresh)?)
        }
        Term::Hadamard(a, b) => times(
            &lower(a, row, col, env, fresh)?,
            &lower(b, row, col, env, fresh)?,
            t,
        )?,
        Term::ElemDiv(a, b) => {
            lower(a, row, col, env, fresh)?.times(&map(Map::Pow(-1), b, row, col, env, fresh)?)
        }
        Term::Transpose(a) => lower(a, col, row, env, fresh)?,
        Term::Inverse(a) => Expr::factor(Factor::Opaque {
            op: Opaque::Inverse,
            arg: (**a).clone(),
            idx: indices(row, col),
        }),
        Term::Pow(a, k) => {
            let s = shape_of(a, env)?;
            if s.is_scalar() {
                map(Map::Pow(*k), a, row, col, env, fresh)?
            } else if *k == 0 {
                lower(&Term::Identity(s.rows), row, col, env, fresh)?
            } else {
                // A matrix power is a product of |k| factors (of A⁻¹ when k < 0).
                let base = if *k < 0 {
                    Term::Inverse(a.clone())
                } else {
                    (**a).clone()
                };
                let n = usize::try_from(k.unsigned_abs()).unwrap_or(usize::MAX);
                if n > 64 {
                    return Err(unsupported(
                        t,
                        "the power is too large to write out by components",
                    ));
                }
                lower(&Term::Mul(vec![base; n]), row, col, env, fresh)?
            }
        }
        Term::EPow(a, q) => map(Map::EPow(*q), a, row, col, env, fresh)?,
        Term::Apply(f, a) if f.is_elementwise() => map(Map::Func(*f), a, row, col, env, fresh)?,
        Term::Apply(Func::Tr, a) => {
            let s = shape_of(a, env)?;
            let k = fresh.index(&s.rows);
            lower(a, &k, &k, env, fresh)?.summed(&indices(&k, &None))
        }
        Term::Apply(Func::Sum, a) => {
            let s = shape_of(a, env)?;
            let (r, c) = fresh_slots(&s, fresh);
            lower(a, &r, &c, env, fresh)?.summed(&indices(&r, &c))
        }
        Term::Apply(Func::Diag, a) => {
            let s = shape_of(a, env)?;
            if s.cols.is_one() {
                // diag(v)_ij = δ_ij v_i
                let entry = lower(a, row, &None, env, fresh)?;
                match (row, col) {
                    (Some(r), Some(c)) => {
                        Expr::factor(Factor::Delta(r.clone(), c.clone())).times(&entry)
                    }
                    _ => entry,
                }
            } else {
                // diag(A)_i = a_ii
                lower(a, row, row, env, fresh)?
            }
        }
        Term::Apply(Func::Norm, a) => {
            // ‖A‖ = sqrt(Σ_kl a_kl a_kl)
            map(
                Map::Func(Func::Sqrt),
                &norm_squared(a),
                &None,
                &None,
                env,
                fresh,
            )?
        }
        Term::Apply(op @ (Func::Det | Func::Logdet), a) => Expr::factor(Factor::Opaque {
            op: if *op == Func::Det {
                Opaque::Det
            } else {
                Opaque::Logdet
            },
            arg: (**a).clone(),
            idx: vec![],
        }),
        Term::Apply(f, a) if f.along().is_some() => Expr::factor(Factor::Opaque {
            op: Opaque::Along(*f),
            arg: (**a).clone(),
            idx: indices(row, col),
        }),
        // mean(A) = Σ_kl a_kl / numel(A)
        Term::Apply(Func::Mean, a) => lower(
            &Term::Div(
                Box::new(Term::Apply(Func::Sum, a.clone())),
                Box::new(Term::Apply(Func::Numel, a.clone())),
            ),
            row,
            col,
            env,
            fresh,
        )?,
        Term::Apply(Func::Numel, a) => Expr::factor(Factor::Opaque {
            op: Opaque::Numel,
            arg: (**a).clone(),
            idx: vec![],
        }),
        Term::Apply(..) => return Err(unsupported(t, "this function has no index form")),
        Term::Unknown(n, a) => Expr::factor(Factor::Opaque {
            op: Opaque::Unknown(n.clone()),
            arg: (**a).clone(),
            idx: vec![],
        }),
        Term::Diff(_) => return Err(unsupported(t, "a differential has no index form")),
        Term::Kron(..) | Term::VecOf(_) | Term::Commutation(..) => {
            return Err(unsupported(
                t,
                "Kronecker products and vec have no index form here",
            ));
        }
    })
}

/// The most products an index form may have: `tr((A + B)¹⁰)` would have
/// 2¹⁰, and the derivation is meant to be read.
pub const MAX_PRODUCTS: usize = 4096;

/// `a · b` distributed, refused when it would exceed [`MAX_PRODUCTS`].
fn times(a: &Expr, b: &Expr, t: &Term) -> Result<Expr> {
    if a.terms.len().saturating_mul(b.terms.len()) > MAX_PRODUCTS {
        return Err(unsupported(
            t,
            &format!("its index form has more than {MAX_PRODUCTS} products"),
        ));
    }
    Ok(a.times(b))
}

/// `sum(A ⊙ A)`, the squared norm as a term.
fn norm_squared(a: &Term) -> Term {
    Term::Apply(
        Func::Sum,
        Box::new(Term::Hadamard(Box::new(a.clone()), Box::new(a.clone()))),
    )
}

/// The entry of `m` applied entrywise to `arg`.
fn map(m: Map, arg: &Term, row: &Slot, col: &Slot, env: &Env, fresh: &mut Fresh) -> Result<Expr> {
    let inner = lower(arg, row, col, env, fresh)?;
    Ok(Expr::factor(Factor::Map {
        map: m,
        arg: arg.clone(),
        idx: indices(row, col),
        inner,
    }))
}
