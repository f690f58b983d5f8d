//! Evaluation of a term at a point.
//!
//! An unknown function is evaluated as a linear one: `L(E) = Σ G ⊙ E` with the
//! matrix `G` taken from the point (SPEC §2). Its gradient with respect to its
//! argument is then exactly `G`, which is the symbol the derivations use.

use nalgebra::DMatrix;

use super::error::EvalError;
use super::values::Values;
use crate::term::{Func, Term};

type Matrix = DMatrix<f64>;

pub use crate::engine::gradient_symbol;

/// The value of `term` at `vals`. Scalars come out as 1×1 matrices.
///
/// Sizes are checked at every node; a singular inverse, a value outside a
/// function's domain or a non-finite result is an error, never a panic.
pub fn eval(term: &Term, vals: &Values) -> Result<Matrix, EvalError> {
    let out = eval_node(term, vals).map_err(|e| locate(e, term))?;
    if out.iter().any(|x| !x.is_finite()) {
        return Err(EvalError::NonFinite { op: op_name(term) });
    }
    Ok(out)
}

fn eval_node(term: &Term, vals: &Values) -> Result<Matrix, EvalError> {
    use Term::*;
    Ok(match term {
        Var(n) => vals
            .get(n)
            .cloned()
            .ok_or_else(|| EvalError::UnboundVariable(n.clone()))?,
        Num(x) => scalar(x.value()),
        Identity(d) => {
            let n = vals.dim(d)?;
            allocatable(n, n)?;
            Matrix::identity(n, n)
        }
        Ones(s) => {
            let (r, c) = vals.shape(s)?;
            allocatable(r, c)?;
            Matrix::from_element(r, c, 1.0)
        }
        Zero(s) => {
            let (r, c) = vals.shape(s)?;
            allocatable(r, c)?;
            Matrix::zeros(r, c)
        }
        Neg(a) => -eval(a, vals)?,
        Add(ts) => {
            let (first, rest) = ts.split_first().ok_or(EvalError::Empty { op: "sum" })?;
            let mut acc = eval(first, vals)?;
            for t in rest {
                let m = eval(t, vals)?;
                same_size("sum", &acc, &m)?;
                acc += m;
            }
            acc
        }
        Mul(ts) => {
            let (first, rest) = ts.split_first().ok_or(EvalError::Empty { op: "product" })?;
            let mut acc = eval(first, vals)?;
            for t in rest {
                let m = eval(t, vals)?;
                if acc.ncols() != m.nrows() {
                    return Err(mismatch("product", &acc, &m));
                }
                acc = &acc * &m;
            }
            acc
        }
        Scale(a, b) => {
            let s = as_scalar("scalar multiple", &eval(a, vals)?)?;
            eval(b, vals)? * s
        }
        Div(a, b) => {
            let m = eval(a, vals)?;
            let s = as_scalar("division", &eval(b, vals)?)?;
            if s == 0.0 {
                return Err(EvalError::Domain {
                    func: "division",
                    value: s,
                    at: None,
                });
            }
            m / s
        }
        Hadamard(a, b) => {
            let (x, y) = (eval(a, vals)?, eval(b, vals)?);
            same_size("elementwise product", &x, &y)?;
            x.component_mul(&y)
        }
        ElemDiv(a, b) => {
            let (x, y) = (eval(a, vals)?, eval(b, vals)?);
            same_size("elementwise division", &x, &y)?;
            if y.iter().any(|v| *v == 0.0) {
                return Err(EvalError::Domain {
                    func: "elementwise division",
                    value: 0.0,
                    at: None,
                });
            }
            x.component_div(&y)
        }
        Transpose(a) => eval(a, vals)?.transpose(),
        Inverse(a) => inverse("inverse", eval(a, vals)?)?,
        Pow(a, k) => power(eval(a, vals)?, *k)?,
        EPow(a, p) => {
            let m = eval(a, vals)?;
            let p = p.value();
            // A fractional power needs x > 0 (x = 0 has no derivative there),
            // a negative one x ≠ 0.
            if p.fract() != 0.0 {
                domain("elementwise power", &m, |x| x > 0.0)?;
            } else if p < 0.0 {
                domain("elementwise power", &m, |x| x != 0.0)?;
            }
            m.map(|x| x.powf(p))
        }
        Apply(f, a) => apply(*f, eval(a, vals)?)?,
        Unknown(name, a) => {
            let e = eval(a, vals)?;
            let symbol = gradient_symbol(name);
            let g = vals
                .get(&symbol)
                .ok_or_else(|| EvalError::UnboundGradient {
                    function: name.clone(),
                    symbol: symbol.clone(),
                })?;
            same_size("unknown function", g, &e)?;
            scalar(g.dot(&e))
        }
        Diff(_) => return Err(EvalError::Differential),
        Kron(a, b) => {
            let (x, y) = (eval(a, vals)?, eval(b, vals)?);
            allocatable(x.nrows() * y.nrows(), x.ncols() * y.ncols())?;
            x.kronecker(&y)
        }
        VecOf(a) => {
            let m = eval(a, vals)?;
            // nalgebra stores columns one after another: vec is its storage.
            Matrix::from_column_slice(m.len(), 1, m.as_slice())
        }
        Commutation(m, n) => commutation(vals.dim(m)?, vals.dim(n)?)?,
    })
}

/// `K_{m,n}`: the permutation with `K vec(A) = vec(Aᵀ)` for an m×n `A`
/// (entry (i, j) of A is entry i + j·m of vec(A) and j + i·n of vec(Aᵀ)).
fn commutation(m: usize, n: usize) -> Result<Matrix, EvalError> {
    let mn = m.saturating_mul(n);
    allocatable(mn, mn)?;
    let mut k = Matrix::zeros(mn, mn);
    for i in 0..m {
        for j in 0..n {
            k[(j + i * n, i + j * m)] = 1.0;
        }
    }
    Ok(k)
}

fn apply(f: Func, m: Matrix) -> Result<Matrix, EvalError> {
    if let Some(e) = f.elementwise() {
        domain(f.name(), &m, |x| e.domain.contains(x))?;
        return Ok(m.map(e.eval));
    }
    if let Some(v) = crate::registry::evaluate(f, &m) {
        return Ok(v);
    }
    Ok(match f {
        Func::Tr => scalar(square(f.name(), m)?.trace()),
        Func::Det => scalar(conditioned(f.name(), square(f.name(), m)?)?.determinant()),
        Func::Logdet => {
            let m = square(f.name(), m)?;
            let det = m.determinant();
            if det <= 0.0 || !det.is_finite() {
                return Err(EvalError::Domain {
                    func: "logdet",
                    value: det,
                    at: None,
                });
            }
            conditioned(f.name(), m)?;
            scalar(det.ln())
        }
        Func::Sum => scalar(m.sum()),
        Func::Norm => scalar(m.norm()),
        Func::Diag if m.ncols() == 1 => Matrix::from_diagonal(&m.column(0).into_owned()),
        Func::Diag => {
            let d = square("diag", m)?.diagonal();
            Matrix::from_column_slice(d.len(), 1, d.as_slice())
        }
        // Every other function is elementwise (handled above).
        _ => return Err(EvalError::Differential),
    })
}

fn power(m: Matrix, k: i64) -> Result<Matrix, EvalError> {
    let m = square("power", m)?;
    let n = m.nrows();
    let mut base = if k < 0 {
        inverse("negative power", m)?
    } else {
        m
    };
    let mut e = k.unsigned_abs();
    let mut acc = Matrix::identity(n, n);
    // Squaring keeps huge exponents to ~64 products; overflow shows up as a
    // non-finite result instead of a long loop.
    while e > 0 {
        if e & 1 == 1 {
            acc = &acc * &base;
        }
        e >>= 1;
        if e > 0 {
            base = &base * &base;
        }
        if acc.iter().chain(base.iter()).any(|x| !x.is_finite()) {
            return Err(EvalError::NonFinite {
                op: "power".to_string(),
            });
        }
    }
    Ok(acc)
}

/// Above this condition number (σ_max / σ_min) a matrix counts as singular
/// for an inverse or a determinant: their relative error is about ε times
/// the condition number, and finite differences with steps of 10⁻⁴ need f
/// to about 10⁻¹⁰ to judge a gradient to 10⁻⁶ (ε · 10⁶ ≈ 2·10⁻¹⁰). At 10¹⁰,
/// then 10⁸, the gradients of a fuzzed `det(… − 10¹⁵ X¹⁰ C²⁴ C44ᵀ)` were off
/// by 1–8·10⁻⁶ from rounding alone. `det(S X)` with S 3×2 and X 2×3 is
/// singular everywhere, yet rounding makes it invertible.
pub const MAX_CONDITION: f64 = 1e6;

fn inverse(op: &'static str, m: Matrix) -> Result<Matrix, EvalError> {
    let m = conditioned(op, square(op, m)?)?;
    m.try_inverse().ok_or(EvalError::Singular {
        op,
        at: None,
        condition: None,
    })
}

thread_local! {
    static WORST_CONDITION: std::cell::Cell<f64> = const { std::cell::Cell::new(1.0) };
}

/// The largest condition number of a matrix inverted or whose determinant
/// was taken on this thread since the last call (1 if none), and starts
/// over: the numeric check scales its estimate of f's rounding by it.
pub fn take_worst_condition() -> f64 {
    WORST_CONDITION.with(|c| c.replace(1.0))
}

/// `m` itself when its condition number is at most [`MAX_CONDITION`]: a
/// determinant (LU) or an inverse of `m` then keeps about ten digits. A 1×1
/// matrix is a number and always passes.
fn conditioned(op: &'static str, m: Matrix) -> Result<Matrix, EvalError> {
    if m.iter().any(|x| !x.is_finite()) {
        return Err(EvalError::NonFinite { op: op.to_string() });
    }
    if m.len() <= 1 {
        return Ok(m);
    }
    let sv = m.singular_values();
    let condition = sv.max() / sv.min();
    if condition.is_finite() && condition <= MAX_CONDITION {
        WORST_CONDITION.with(|c| c.set(c.get().max(condition)));
        Ok(m)
    } else {
        Err(EvalError::Singular {
            op,
            at: None,
            condition: condition.is_finite().then_some(condition),
        })
    }
}

/// Names the innermost sub-expression in an error about the point (a
/// singular matrix, a value outside a domain) that does not name one yet.
fn locate(e: EvalError, term: &Term) -> EvalError {
    let show = || Some(crate::render::text::show(term, Default::default()));
    match e {
        EvalError::Domain {
            func,
            value,
            at: None,
        } => EvalError::Domain {
            func,
            value,
            at: show(),
        },
        EvalError::Singular {
            op,
            at: None,
            condition,
        } => {
            // The matrix inverted (or whose determinant is taken) is the
            // argument, not the inverse itself.
            let inner = match term {
                Term::Inverse(a) | Term::Pow(a, _) => (**a).clone(),
                Term::Apply(Func::Det | Func::Logdet, a) => (**a).clone(),
                t => t.clone(),
            };
            EvalError::Singular {
                op,
                at: Some(crate::render::text::show(&inner, Default::default())),
                condition,
            }
        }
        e => e,
    }
}

fn square(op: &'static str, m: Matrix) -> Result<Matrix, EvalError> {
    if m.is_square() {
        Ok(m)
    } else {
        Err(EvalError::NotSquare {
            op,
            shape: m.shape(),
        })
    }
}

fn domain(func: &'static str, m: &Matrix, ok: impl Fn(f64) -> bool) -> Result<(), EvalError> {
    match m.iter().find(|x| !ok(**x)) {
        Some(&value) => Err(EvalError::Domain {
            func,
            value,
            at: None,
        }),
        None => Ok(()),
    }
}

/// The most entries a constant matrix may have: a literal dimension such as
/// `I` of order 10¹² must be an error, not an allocation failure.
pub const MAX_CONSTANT_ENTRIES: usize = 1 << 24;

fn allocatable(r: usize, c: usize) -> Result<(), EvalError> {
    match r.checked_mul(c) {
        Some(n) if n <= MAX_CONSTANT_ENTRIES => Ok(()),
        _ => Err(EvalError::TooLarge {
            what: format!("a {r}×{c} constant matrix"),
            size: (r as u64).saturating_mul(c as u64),
            limit: MAX_CONSTANT_ENTRIES as u64,
        }),
    }
}

fn scalar(v: f64) -> Matrix {
    Matrix::from_element(1, 1, v)
}

fn as_scalar(op: &'static str, m: &Matrix) -> Result<f64, EvalError> {
    if m.shape() == (1, 1) {
        Ok(m[(0, 0)])
    } else {
        Err(EvalError::NotScalar {
            op,
            shape: m.shape(),
        })
    }
}

fn same_size(op: &'static str, a: &Matrix, b: &Matrix) -> Result<(), EvalError> {
    if a.shape() == b.shape() {
        Ok(())
    } else {
        Err(mismatch(op, a, b))
    }
}

fn mismatch(op: &'static str, a: &Matrix, b: &Matrix) -> EvalError {
    EvalError::ShapeMismatch {
        op,
        left: a.shape(),
        right: b.shape(),
    }
}

fn op_name(term: &Term) -> String {
    use Term::*;
    match term {
        Var(n) => format!("the variable {n}"),
        Num(_) => "a constant".into(),
        Identity(_) | Ones(_) | Zero(_) => "a constant matrix".into(),
        Neg(_) => "negation".into(),
        Add(_) => "a sum".into(),
        Mul(_) => "a product".into(),
        Scale(..) => "a scalar multiple".into(),
        Hadamard(..) => "an elementwise product".into(),
        ElemDiv(..) => "an elementwise division".into(),
        Div(..) => "a division".into(),
        Transpose(_) => "a transpose".into(),
        Inverse(_) => "an inverse".into(),
        Pow(..) => "a power".into(),
        EPow(..) => "an elementwise power".into(),
        Apply(f, _) => f.name().into(),
        Unknown(n, _) => format!("the unknown function {n}"),
        Diff(_) => "a differential".into(),
        Kron(..) => "a Kronecker product".into(),
        VecOf(_) => "vec".into(),
        Commutation(..) => "a commutation matrix".into(),
    }
}
