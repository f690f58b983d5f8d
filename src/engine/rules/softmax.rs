//! Rules for softmax, log-softmax, log-sum-exp and the mean: their
//! differentials, written as a textbook does (one named step each), and the
//! simplifications that bring results to the forms people write.
//!
//! With `s = softmax(z)` for a vector `z` (Bishop, *Pattern Recognition and
//! Machine Learning*, (4.106): ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ)):
//!
//! ```text
//! d softmax(z)    = (diag(s) − s sᵀ) dz
//! d logsumexp(z)  = softmax(z)ᵀ dz
//! d logsoftmax(z) = dz − 𝟙 softmax(z)ᵀ dz
//! ```
//!
//! and for a matrix, column by column (`S = softmax(Z)`, `𝟙` a column of
//! ones): `dS = S ⊙ dZ − S ⊙ (𝟙 𝟙ᵀ (S ⊙ dZ))`, `d logsumexp(Z) = 𝟙ᵀ (S ⊙ dZ)`,
//! `d logsoftmax(Z) = dZ − 𝟙 𝟙ᵀ (S ⊙ dZ)`; along rows the ones stand on the
//! other side (`(S ⊙ dZ) 𝟙 𝟙ᵀ`). The identification stage needs no rule of
//! its own for them: the Hadamard adjoint and the cyclic property bring each
//! to `tr(Aᵀ dZ)`.
//!
//! # Growth law
//!
//! Each differential rule adds a fixed number of e-nodes per match (at most
//! a dozen). The simplification rules rewrite one node toward fewer or
//! equally many nodes: a Hadamard product with a rank-one matrix of ones
//! becomes a diagonal scaling, a hand-written softmax or log-sum-exp becomes
//! the function, and a signed sum of products with a common last factor is
//! factored once (its terms are not permuted).

use egg::{Id, Language};

use super::{find_node, has_d, is_const, shape};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, p};
use crate::registry::{Along, Axis, AxisOp};
use crate::shape::{Dim, Shape};
use crate::term::Func;

fn whole(n: &Math) -> Pat {
    Pat::node(n.clone(), n.children().iter().map(|&c| p::c(c)).collect())
}

fn app(f: Func, x: Pat) -> Pat {
    p::op1(Math::apply(f, Id::from(0)), x)
}

/// A column of ones of length `d` (the number 1 when `d` is 1).
fn ones_col(eg: &EG, d: &Dim) -> Pat {
    super::ones_of(eg, &Shape::new(d.clone(), Dim::one()))
}

/// The function along an axis of a node, with its argument.
fn along_of(node: &Math) -> Option<(Func, Along, Id)> {
    let (f, a) = node.as_func()?;
    Some((f, f.along()?, a))
}

/// How a function along an axis sees its argument.
enum Form {
    /// A column vector under a function down columns, or a row vector under
    /// a function along rows: one vector of entries.
    Vector,
    /// A matrix, column by column or row by row.
    Matrix,
}

fn form(axis: Axis, s: &Shape) -> Form {
    match axis {
        Axis::Columns if s.cols.is_one() => Form::Vector,
        Axis::Rows if s.rows.is_one() => Form::Vector,
        _ => Form::Matrix,
    }
}

/// Which arguments a rule takes: vectors, or matrices along one axis (one
/// rule each, so that every step names the form it used).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Vector,
    Columns,
    Rows,
}

fn which(axis: Axis, s: &Shape) -> Which {
    match (form(axis, s), axis) {
        (Form::Vector, _) => Which::Vector,
        (Form::Matrix, Axis::Columns) => Which::Columns,
        (Form::Matrix, Axis::Rows) => Which::Rows,
    }
}

/// Proposals for every node of the class under `d(·)` that is a function
/// along an axis of the kind `op`, of an argument of the form `w`; `f`
/// gets the class of that node, its axis and its argument.
fn under_d_along(
    eg: &EG,
    node: &Math,
    op: AxisOp,
    w: Which,
    f: impl Fn(Id, Axis, Id) -> Option<Pat>,
) -> Vec<Proposal> {
    let Math::D(x) = node else { return vec![] };
    eg[*x]
        .nodes
        .iter()
        .filter_map(|inner| {
            let (_, along, a) = along_of(inner)?;
            // A constant's differential is the constant rule's.
            if along.op != op || is_const(eg, a) || which(along.axis, shape(eg, a)?) != w {
                return None;
            }
            Some(Proposal {
                from: p::d(whole(inner)),
                to: f(*x, along.axis, a)?,
            })
        })
        .collect()
}

macro_rules! rule_fns {
    ($($name:ident => ($op:expr, $which:expr, $body:ident);)*) => {
        $(
            #[doc = concat!("The rule `", stringify!($body), "` for one form of argument.")]
            pub fn $name(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
                under_d_along(eg, node, $op, $which, |s, axis, z| $body(eg, s, axis, z))
            }
        )*
    };
}

rule_fns! {
    d_softmax         => (AxisOp::Softmax, Which::Vector, softmax_body);
    d_softmax_cols    => (AxisOp::Softmax, Which::Columns, softmax_body);
    d_softmax_rows    => (AxisOp::Softmax, Which::Rows, softmax_body);
    d_logsumexp       => (AxisOp::Logsumexp, Which::Vector, logsumexp_body);
    d_logsumexp_cols  => (AxisOp::Logsumexp, Which::Columns, logsumexp_body);
    d_logsumexp_rows  => (AxisOp::Logsumexp, Which::Rows, logsumexp_body);
    d_logsoftmax      => (AxisOp::Logsoftmax, Which::Vector, logsoftmax_body);
    d_logsoftmax_cols => (AxisOp::Logsoftmax, Which::Columns, logsoftmax_body);
    d_logsoftmax_rows => (AxisOp::Logsoftmax, Which::Rows, logsoftmax_body);
}

/// `S ⊙ dZ` summed down each column (`𝟙ᵀ (S ⊙ dZ)`, 1×m) or along each row
/// (`(S ⊙ dZ) 𝟙`, n×1), where `S` is the softmax of `z` along `axis`.
fn weighted_sums(eg: &EG, axis: Axis, s: Pat, z: Id, zs: &Shape) -> Pat {
    let sdz = p::had(s, p::d(p::c(z)));
    match axis {
        Axis::Columns => p::mul(vec![p::t(ones_col(eg, &zs.rows)), sdz]),
        Axis::Rows => p::mul(vec![sdz, ones_col(eg, &zs.cols)]),
    }
}

/// The weighted sums spread back over the shape of `z`: `𝟙 𝟙ᵀ (S ⊙ dZ)` or
/// `(S ⊙ dZ) 𝟙 𝟙ᵀ`.
fn spread(eg: &EG, axis: Axis, s: Pat, z: Id, zs: &Shape) -> Pat {
    let sums = weighted_sums(eg, axis, s, z, zs);
    match axis {
        Axis::Columns => p::mul(vec![ones_col(eg, &zs.rows), sums]),
        Axis::Rows => p::mul(vec![sums, p::t(ones_col(eg, &zs.cols))]),
    }
}

/// `diag(s) − s sᵀ` for a column `s`, `diag(sᵀ) − sᵀ s` for a row.
fn softmax_jacobian(axis: Axis, s: Pat) -> Pat {
    let diag = |x: Pat| app(Func::Diag, x);
    match axis {
        Axis::Columns => p::add(vec![
            diag(s.clone()),
            p::neg(p::mul(vec![s.clone(), p::t(s)])),
        ]),
        Axis::Rows => p::add(vec![
            diag(p::t(s.clone())),
            p::neg(p::mul(vec![p::t(s.clone()), s])),
        ]),
    }
}

/// `d softmax(z) = (diag(s) − s sᵀ) dz`; for a matrix, column by column,
/// `dS = S ⊙ dZ − S ⊙ (𝟙 𝟙ᵀ (S ⊙ dZ))` (along rows, `(S ⊙ dZ) 𝟙 𝟙ᵀ`).
fn softmax_body(eg: &EG, sclass: Id, axis: Axis, z: Id) -> Option<Pat> {
    {
        let zs = shape(eg, z)?.clone();
        let s = p::c(sclass);
        Some(match form(axis, &zs) {
            Form::Vector => {
                let j = softmax_jacobian(axis, s);
                match axis {
                    Axis::Columns => p::mul(vec![j, p::d(p::c(z))]),
                    Axis::Rows => p::mul(vec![p::d(p::c(z)), j]),
                }
            }
            Form::Matrix => p::add(vec![
                p::had(s.clone(), p::d(p::c(z))),
                p::neg(p::had(s.clone(), spread(eg, axis, s, z, &zs))),
            ]),
        })
    }
}

/// `d logsumexp(z) = softmax(z)ᵀ dz`; for a matrix, `𝟙ᵀ (softmax(Z) ⊙ dZ)`
/// (along rows, `(softmax(Z, 2) ⊙ dZ) 𝟙`).
fn logsumexp_body(eg: &EG, _: Id, axis: Axis, z: Id) -> Option<Pat> {
    {
        let zs = shape(eg, z)?.clone();
        let s = app(softmax_along(axis)?, p::c(z));
        Some(match form(axis, &zs) {
            Form::Vector => match axis {
                Axis::Columns => p::mul(vec![p::t(s), p::d(p::c(z))]),
                Axis::Rows => p::mul(vec![p::d(p::c(z)), p::t(s)]),
            },
            Form::Matrix => weighted_sums(eg, axis, s, z, &zs),
        })
    }
}

/// `d logsoftmax(z) = dz − 𝟙 softmax(z)ᵀ dz`; for a matrix,
/// `dZ − 𝟙 𝟙ᵀ (softmax(Z) ⊙ dZ)` (along rows, `dZ − (softmax(Z, 2) ⊙ dZ) 𝟙 𝟙ᵀ`).
fn logsoftmax_body(eg: &EG, _: Id, axis: Axis, z: Id) -> Option<Pat> {
    {
        let zs = shape(eg, z)?.clone();
        let s = app(softmax_along(axis)?, p::c(z));
        let dz = p::d(p::c(z));
        let spread = match form(axis, &zs) {
            Form::Vector => match axis {
                Axis::Columns => p::mul(vec![ones_col(eg, &zs.rows), p::t(s), dz.clone()]),
                Axis::Rows => p::mul(vec![dz.clone(), p::t(s), p::t(ones_col(eg, &zs.cols))]),
            },
            Form::Matrix => spread(eg, axis, s, z, &zs),
        };
        Some(p::add(vec![dz, p::neg(spread)]))
    }
}

/// The softmax along `axis`.
fn softmax_along(axis: Axis) -> Option<Func> {
    Func::Softmax.with_axis(axis)
}

/// The number of entries of the class `a`, written as simply as its shape
/// allows: a number for a literal shape, else `numel` of a variable of the
/// same shape found in `a` (its value depends only on the shape), else
/// `numel(a)`. Returns the structure looked at and the count.
fn count_of(eg: &EG, a: Id) -> Option<Pat> {
    let s = shape(eg, a)?.clone();
    if let (Dim::Lit(r), Dim::Lit(c)) = (&s.rows, &s.cols) {
        return Some(p::num((r * c) as f64));
    }
    let var = same_shape_var(eg, a, &s, 0).unwrap_or(a);
    Some(app(Func::Numel, p::c(var)))
}

/// A class holding a variable of shape `s` inside `a`, looked for along the
/// first node of each class (a bounded walk).
fn same_shape_var(eg: &EG, a: Id, s: &Shape, depth: usize) -> Option<Id> {
    if depth > 16 {
        return None;
    }
    if super::var_of(eg, a).is_some() && shape(eg, a) == Some(s) {
        return Some(a);
    }
    let node = eg[a].nodes.first()?;
    node.children()
        .iter()
        .find_map(|&c| same_shape_var(eg, c, s, depth + 1))
}

/// `d mean(A) = sum(dA) / numel(A)`.
pub fn d_mean(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::D(x) = node else { return vec![] };
    eg[*x]
        .nodes
        .iter()
        .filter_map(|inner| {
            let a = inner.arg_of(Func::Mean)?;
            if is_const(eg, a) {
                return None;
            }
            Some(Proposal {
                from: p::d(whole(inner)),
                to: p::div(app(Func::Sum, p::d(p::c(a))), count_of(eg, a)?),
            })
        })
        .collect()
}

/// `d numel(A) = 0`: the number of entries depends on the shape only.
pub fn d_numel(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::D(x) = node else { return vec![] };
    eg[*x]
        .nodes
        .iter()
        .filter(|inner| inner.arg_of(Func::Numel).is_some())
        .map(|inner| Proposal {
            from: p::d(whole(inner)),
            to: p::num(0.0),
        })
        .collect()
}

// ---- simplification ----------------------------------------------------------

/// Whether the class is a column of ones `𝟙ₙ` (n ≠ 1).
fn is_ones_col(eg: &EG, id: Id) -> bool {
    shape(eg, id).is_some_and(|s| s.cols.is_one() && !s.rows.is_one())
        && find_node(eg, id, |n| matches!(n, Math::Ones(_)).then_some(())).is_some()
}

/// Whether the class is a row of ones `𝟙ₘᵀ` (m ≠ 1), as a transposed column
/// or as a 1×m matrix of ones.
fn ones_row(eg: &EG, id: Id) -> Option<Pat> {
    if !shape(eg, id).is_some_and(|s| s.rows.is_one() && !s.cols.is_one()) {
        return None;
    }
    eg[id].nodes.iter().find_map(|n| match n {
        Math::Ones(_) => Some(whole(n)),
        Math::Transpose(o) if is_ones_col(eg, *o) => Some(p::t(p::c(*o))),
        _ => None,
    })
}

/// A Hadamard product with a rank-one matrix of ones is a diagonal scaling:
/// `A ⊙ (𝟙 r) = A diag(rᵀ)` (column j of A times rⱼ) and
/// `A ⊙ (c 𝟙ᵀ) = diag(c) A` (row i of A times cᵢ), either side of ⊙.
pub fn rank_one_hadamard(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Had([a, b]) = node else {
        return vec![];
    };
    if has_d(eg, *a) || has_d(eg, *b) {
        return vec![];
    }
    let mut out = Vec::new();
    for (this, other, this_first) in [(*a, *b, true), (*b, *a, false)] {
        for inner in &eg[this].nodes {
            let Math::Mul(fs) = inner else { continue };
            let (Some(&first), Some(&last)) = (fs.first(), fs.last()) else {
                continue;
            };
            let built = if is_ones_col(eg, first) && fs.len() >= 2 {
                // 𝟙 r: r = f₂ … fₖ is a row.
                let r = p::mul(fs[1..].iter().map(|&f| p::c(f)).collect());
                let scale = app(Func::Diag, p::t(r));
                Some((whole(inner), p::mul(vec![p::c(other), scale])))
            } else if fs.len() >= 2
                && let Some(row) = ones_row(eg, last)
            {
                // c 𝟙ᵀ: c = f₁ … fₖ₋₁ is a column.
                let c = p::mul(fs[..fs.len() - 1].iter().map(|&f| p::c(f)).collect());
                let mut from: Vec<Pat> = fs[..fs.len() - 1].iter().map(|&f| p::c(f)).collect();
                from.push(row);
                Some((
                    Pat::node(inner.clone(), from),
                    p::mul(vec![app(Func::Diag, c), p::c(other)]),
                ))
            } else {
                None
            };
            let Some((matched, to)) = built else { continue };
            let from = if this_first {
                p::had(matched, p::c(other))
            } else {
                p::had(p::c(other), matched)
            };
            out.push(Proposal { from, to });
        }
    }
    out
}

/// The class of `z` when `e` holds `exp(z)` for a vector `z`, with the
/// softmax and log-sum-exp over its entries.
fn exp_of_vector(eg: &EG, e: Id) -> Option<(Pat, Id, Axis)> {
    eg[e].nodes.iter().find_map(|n| {
        let z = n.arg_of(Func::Exp)?;
        let s = shape(eg, z)?;
        let axis = if s.cols.is_one() && !s.rows.is_one() {
            Axis::Columns
        } else if s.rows.is_one() && !s.cols.is_one() {
            Axis::Rows
        } else {
            return None;
        };
        Some((whole(n), z, axis))
    })
}

/// The class of `e` when `s` holds `sum(e)`.
fn sum_arg(eg: &EG, s: Id) -> Option<(Pat, Id)> {
    eg[s].nodes.iter().find_map(|n| {
        let e = n.arg_of(Func::Sum)?;
        Some((whole(n), e))
    })
}

/// Hand-written forms of softmax and log-sum-exp over the entries of a
/// vector: `exp(z) / sum(exp(z)) = softmax(z)`, also as
/// `(1 / sum(exp(z))) exp(z)` and at the head of a product
/// (`(1 / sum(exp(z))) exp(z) xᵀ = softmax(z) xᵀ`), and
/// `log(sum(exp(z))) = logsumexp(z)`.
pub fn recognise(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let mut out = Vec::new();
    let soft = |z: Id, axis: Axis| {
        app(
            Func::Softmax.with_axis(axis).unwrap_or(Func::Softmax),
            p::c(z),
        )
    };
    // `y` is exp(z) or a product that starts with exp(z), for the sum `s`.
    let head = |y: Id, s: Id| -> Vec<(Pat, Pat)> {
        let Some((_, e)) = sum_arg(eg, s) else {
            return vec![];
        };
        let mut found = Vec::new();
        if eg.find(y) == eg.find(e)
            && let Some((_, z, axis)) = exp_of_vector(eg, e)
        {
            found.push((p::c(y), soft(z, axis)));
        }
        for n in &eg[y].nodes {
            let Math::Mul(fs) = n else { continue };
            if fs.first().is_none_or(|&f| eg.find(f) != eg.find(e)) {
                continue;
            }
            let Some((_, z, axis)) = exp_of_vector(eg, e) else {
                continue;
            };
            let mut to = vec![soft(z, axis)];
            to.extend(fs[1..].iter().map(|&f| p::c(f)));
            found.push((whole(n), p::mul(to)));
        }
        found
    };
    match node {
        // y / sum(exp(z))
        Math::Div([y, s]) => {
            for (from_y, to) in head(*y, *s) {
                out.push(Proposal {
                    from: p::div(from_y, p::c(*s)),
                    to,
                });
            }
        }
        // (1 / sum(exp(z))) y
        Math::Scale([c, y]) => {
            for n in &eg[*c].nodes {
                let Math::Div([one, s]) = n else { continue };
                if super::num(eg, *one) != Some(1.0) {
                    continue;
                }
                for (from_y, to) in head(*y, *s) {
                    out.push(Proposal {
                        from: p::scale(whole(n), from_y),
                        to,
                    });
                }
            }
        }
        // log(sum(exp(z)))
        Math::App(Func::Log, [s]) => {
            for n in &eg[*s].nodes {
                let Some(e) = n.arg_of(Func::Sum) else {
                    continue;
                };
                let Some((from_e, z, axis)) = exp_of_vector(eg, e) else {
                    continue;
                };
                let lse = Func::Logsumexp.with_axis(axis).unwrap_or(Func::Logsumexp);
                out.push(Proposal {
                    from: app(Func::Log, app(Func::Sum, from_e)),
                    to: app(lse, p::c(z)),
                });
            }
        }
        _ => {}
    }
    out
}

/// A sum of products with a common last factor, some of them negated:
/// `P₁ X − P₂ X = (P₁ − P₂) X` (the plain case, every term a product, is
/// the simplification table's `factor`).
pub fn factor_signed(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Add(ts) = node else { return vec![] };
    if ts.len() < 2 {
        return vec![];
    }
    // Each term as (negated?, factors, matched structure).
    let mut terms = Vec::new();
    let mut any_neg = false;
    for &t in ts.iter() {
        let chain = super::chain_of(eg, t).map(|fs| {
            (
                false,
                fs.clone(),
                p::mul(fs.iter().map(|&f| p::c(f)).collect()),
            )
        });
        let negated = || {
            eg[t].nodes.iter().find_map(|n| match n {
                Math::Neg(y) => {
                    let fs = super::chain_of(eg, *y)?;
                    let m = p::mul(fs.iter().map(|&f| p::c(f)).collect());
                    Some((true, fs, p::neg(m)))
                }
                _ => None,
            })
        };
        let Some(term) = chain.or_else(negated) else {
            return vec![];
        };
        any_neg |= term.0;
        terms.push(term);
    }
    if !any_neg {
        return vec![];
    }
    if terms.iter().any(|(_, fs, _)| fs.len() < 2) {
        return vec![];
    }
    let from = Pat::node(
        node.clone(),
        terms.iter().map(|(_, _, m)| m.clone()).collect(),
    );
    let signed = |neg: bool, fs: &[Id]| {
        let m = p::mul(fs.iter().map(|&f| p::c(f)).collect());
        if neg { p::neg(m) } else { m }
    };
    let mut out = Vec::new();
    // P₁ X − P₂ X = (P₁ − P₂) X
    let last = eg.find(*terms[0].1.last().expect("a product has factors"));
    if terms
        .iter()
        .all(|(_, fs, _)| eg.find(*fs.last().expect("factors")) == last)
    {
        let prefixes = terms
            .iter()
            .map(|(neg, fs, _)| signed(*neg, &fs[..fs.len() - 1]))
            .collect();
        out.push(Proposal {
            from: from.clone(),
            to: p::mul(vec![p::add(prefixes), p::c(last)]),
        });
    }
    // X P₁ − X P₂ = X (P₁ − P₂)
    let first = eg.find(terms[0].1[0]);
    if terms.iter().all(|(_, fs, _)| eg.find(fs[0]) == first) {
        let suffixes = terms
            .iter()
            .map(|(neg, fs, _)| signed(*neg, &fs[1..]))
            .collect();
        out.push(Proposal {
            from,
            to: p::mul(vec![p::c(first), p::add(suffixes)]),
        });
    }
    out
}

/// The transpose of a function along an axis of a transposed argument is
/// the function along the other axis: `softmax(Aᵀ, 2)ᵀ = softmax(A)`,
/// `logsumexp(Aᵀ)ᵀ = logsumexp(A, 2)`.
pub fn transpose_along(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Transpose(x) = node else {
        return vec![];
    };
    let mut out = Vec::new();
    for inner in &eg[*x].nodes {
        let Some((f, along, arg)) = along_of(inner) else {
            continue;
        };
        let Some(other) = f.with_axis(along.axis.flipped()) else {
            continue;
        };
        for t in &eg[arg].nodes {
            let Math::Transpose(a) = t else { continue };
            out.push(Proposal {
                from: p::t(app(f, whole(t))),
                to: app(other, p::c(*a)),
            });
        }
    }
    out
}

/// Whether a softmax (or a relative) occurs in the class, looked for along
/// the first node of each class (a bounded walk).
fn mentions_softmax(eg: &EG, id: Id, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    if eg[id].nodes.iter().any(|n| along_of(n).is_some()) {
        return true;
    }
    eg[id].nodes.first().is_some_and(|n| {
        n.children()
            .iter()
            .any(|&c| mentions_softmax(eg, c, depth + 1))
    })
}

/// `−(A − B) = B − A` when `B` holds a softmax: a gradient of a loss over
/// probabilities is written prediction first, `softmax(Z) − Y`. A negated
/// sum with at least as many negated terms as plain ones, some of them
/// with a softmax, becomes the sum of the flipped terms (the formerly
/// negated ones first, in their order).
pub fn negate_sum(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Neg(x) = node else { return vec![] };
    let mut out = Vec::new();
    for inner in &eg[*x].nodes {
        let Math::Add(ts) = inner else { continue };
        let negated: Vec<Option<Id>> = ts
            .iter()
            .map(|&t| {
                eg[t].nodes.iter().find_map(|n| match n {
                    Math::Neg(y) => Some(*y),
                    _ => None,
                })
            })
            .collect();
        let k = negated.iter().filter(|n| n.is_some()).count();
        if k == 0 || 2 * k < ts.len() {
            continue;
        }
        if !negated
            .iter()
            .flatten()
            .any(|&y| mentions_softmax(eg, y, 0))
        {
            continue;
        }
        let from_terms: Vec<Pat> = ts
            .iter()
            .zip(&negated)
            .map(|(&t, n)| match n {
                Some(y) => p::neg(p::c(*y)),
                None => p::c(t),
            })
            .collect();
        let mut to: Vec<Pat> = negated.iter().flatten().map(|&y| p::c(y)).collect();
        to.extend(
            ts.iter()
                .zip(&negated)
                .filter(|(_, n)| n.is_none())
                .map(|(&t, _)| p::neg(p::c(t))),
        );
        out.push(Proposal {
            from: p::neg(Pat::node(inner.clone(), from_terms)),
            to: p::add(to),
        });
    }
    out
}
