//! The differential stage: rules that push `d(·)` down to the variables.
//!
//! Every rule matches `d(E)` for one operator at the top of `E` and adds the
//! differential of that operator, with `d(·)` applied to its operands. Each
//! match adds a number of e-nodes bounded by the operator's arity (a product of
//! k factors: k terms of k factors), and the stage ends when every `d` sits on
//! a variable, so it saturates after as many iterations as the expression is
//! deep.

use egg::{Id, Language};

use super::{has_d, is_const, is_scalar, shape, softmax, zero_of};
use crate::engine::lang::{Atom, EG, Math};
use crate::engine::rule::{Pat, Proposal, Rule, p, pat_of_term};
use crate::registry;
use crate::term::{Func, Term};

/// The rule table of the differential stage.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { id: "d-constant",    name: "differential of a constant", f: d_constant },
    Rule { id: "d-linear",      name: "linearity of d",             f: d_linear },
    Rule { id: "d-product",     name: "product rule",               f: d_product },
    Rule { id: "d-quotient",    name: "quotient rule",              f: d_quotient },
    Rule { id: "d-transpose",   name: "d(Aᵀ) = (dA)ᵀ",              f: d_transpose },
    Rule { id: "d-inverse",     name: "d(A⁻¹) = −A⁻¹ dA A⁻¹",       f: d_inverse },
    Rule { id: "d-power",       name: "power rule",                 f: d_power },
    Rule { id: "d-trace",       name: "d tr(A) = tr(dA)",           f: d_trace },
    Rule { id: "d-trace-power", name: "d tr(Aᵏ) = k tr(Aᵏ⁻¹ dA)",   f: d_trace_power },
    Rule { id: "d-det",         name: "Jacobi's formula",           f: d_det },
    Rule { id: "d-logdet",      name: "d logdet(A) = tr(A⁻¹ dA)",   f: d_logdet },
    Rule { id: "d-norm",        name: "differential of the norm",   f: d_norm },
    Rule { id: "d-elementwise", name: "chain rule (elementwise)",   f: d_elementwise },
    Rule { id: "d-unknown",     name: "differential of L",          f: d_unknown },
    Rule { id: "d-kron",        name: "d(A ⊗ B) = dA ⊗ B + A ⊗ dB", f: super::kron::d_kron },
    Rule { id: "d-vec",         name: "d vec(A) = vec(dA)",         f: super::kron::d_vec },
    Rule { id: "d-softmax",         name: "d softmax(z) = (diag(s) − s sᵀ) dz",                 f: softmax::d_softmax },
    Rule { id: "d-softmax-cols",    name: "d softmax(z) = (diag(s) − s sᵀ) dz, column by column", f: softmax::d_softmax_cols },
    Rule { id: "d-softmax-rows",    name: "d softmax(z) = (diag(s) − s sᵀ) dz, row by row",     f: softmax::d_softmax_rows },
    Rule { id: "d-logsumexp",       name: "d logsumexp(z) = softmax(z)ᵀ dz",                    f: softmax::d_logsumexp },
    Rule { id: "d-logsumexp-cols",  name: "d logsumexp(z) = softmax(z)ᵀ dz, column by column",  f: softmax::d_logsumexp_cols },
    Rule { id: "d-logsumexp-rows",  name: "d logsumexp(z) = softmax(z)ᵀ dz, row by row",        f: softmax::d_logsumexp_rows },
    Rule { id: "d-logsoftmax",      name: "d logsoftmax(z) = dz − 𝟙 softmax(z)ᵀ dz",            f: softmax::d_logsoftmax },
    Rule { id: "d-logsoftmax-cols", name: "d logsoftmax(z) = dz − 𝟙 softmax(z)ᵀ dz, column by column", f: softmax::d_logsoftmax_cols },
    Rule { id: "d-logsoftmax-rows", name: "d logsoftmax(z) = dz − 𝟙 softmax(z)ᵀ dz, row by row", f: softmax::d_logsoftmax_rows },
    Rule { id: "d-mean",            name: "d mean(A) = sum(dA) / numel(A)",                     f: softmax::d_mean },
    Rule { id: "d-numel",           name: "numel(A) depends on the shape only",                 f: softmax::d_numel },
];

/// Proposals for every node `inner` of the class under a `d(·)` node.
fn under_d(eg: &EG, node: &Math, f: impl Fn(&Math) -> Option<Pat>) -> Vec<Proposal> {
    let Math::D(a) = node else { return vec![] };
    eg[*a]
        .nodes
        .iter()
        .filter_map(|inner| {
            let to = f(inner)?;
            let from = p::d(Pat::node(
                inner.clone(),
                inner.children().iter().map(|&c| p::c(c)).collect(),
            ));
            Some(Proposal { from, to })
        })
        .collect()
}

/// `dA`, or nothing when `A` is constant.
fn d_of(eg: &EG, id: Id) -> Option<Pat> {
    (!is_const(eg, id)).then(|| p::d(p::c(id)))
}

fn sum_or_zero(eg: &EG, id: Id, terms: Vec<Pat>) -> Pat {
    if terms.is_empty() {
        match shape(eg, id) {
            Some(s) => zero_of(eg, s),
            None => p::num(0.0),
        }
    } else {
        p::add(terms)
    }
}

fn d_constant(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::D(a) = node else { return vec![] };
    if !is_const(eg, *a) || has_d(eg, *a) {
        return vec![];
    }
    let Some(s) = shape(eg, *a) else {
        return vec![];
    };
    // Matched as d(class): the constant itself may have many spellings.
    vec![Proposal {
        from: p::d(p::c(*a)),
        to: zero_of(eg, s),
    }]
}

fn d_linear(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::Add(ts) => Some(sum_or_zero(
            eg,
            id,
            ts.iter().filter_map(|&t| d_of(eg, t)).collect(),
        )),
        Math::Neg(a) => Some(p::neg(p::d(p::c(*a)))),
        Math::App(Func::Sum, [a]) => {
            Some(p::op1(Math::App(Func::Sum, [Id::from(0)]), p::d(p::c(*a))))
        }
        Math::App(Func::Diag, [a]) => {
            Some(p::op1(Math::App(Func::Diag, [Id::from(0)]), p::d(p::c(*a))))
        }
        _ => None,
    })
}

fn d_product(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::Mul(fs) => {
            let terms = (0..fs.len())
                .filter(|&i| !is_const(eg, fs[i]))
                .map(|i| {
                    let factors = fs
                        .iter()
                        .enumerate()
                        .map(|(j, &f)| if i == j { p::d(p::c(f)) } else { p::c(f) })
                        .collect();
                    p::mul(factors)
                })
                .collect();
            Some(sum_or_zero(eg, id, terms))
        }
        Math::Scale([s, a]) => {
            let mut terms = Vec::new();
            if let Some(ds) = d_of(eg, *s) {
                terms.push(p::scale(ds, p::c(*a)));
            }
            if let Some(da) = d_of(eg, *a) {
                terms.push(p::scale(p::c(*s), da));
            }
            Some(sum_or_zero(eg, id, terms))
        }
        Math::Had([a, b]) => {
            let mut terms = Vec::new();
            if let Some(da) = d_of(eg, *a) {
                terms.push(p::had(da, p::c(*b)));
            }
            if let Some(db) = d_of(eg, *b) {
                terms.push(p::had(p::c(*a), db));
            }
            Some(sum_or_zero(eg, id, terms))
        }
        _ => None,
    })
}

fn d_quotient(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        // d(A ./ B) = dA ./ B − (A ./ (B ⊙ B)) ⊙ dB
        Math::EDiv([a, b]) => {
            let mut terms = Vec::new();
            if let Some(da) = d_of(eg, *a) {
                terms.push(p::ediv(da, p::c(*b)));
            }
            if let Some(db) = d_of(eg, *b) {
                let coef = p::ediv(p::c(*a), p::had(p::c(*b), p::c(*b)));
                terms.push(p::neg(p::had(coef, db)));
            }
            Some(sum_or_zero(eg, id, terms))
        }
        // d(A / s) = dA / s − (ds / s²) A
        Math::Div([a, s]) => {
            let mut terms = Vec::new();
            if let Some(da) = d_of(eg, *a) {
                terms.push(p::div(da, p::c(*s)));
            }
            if let Some(ds) = d_of(eg, *s) {
                let coef = p::div(ds, p::pow(p::c(*s), 2));
                terms.push(p::neg(p::scale(coef, p::c(*a))));
            }
            Some(sum_or_zero(eg, id, terms))
        }
        _ => None,
    })
}

fn d_transpose(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::Transpose(a) => Some(p::t(p::d(p::c(*a)))),
        _ => None,
    })
}

// Matrix Cookbook (59): d(X⁻¹) = −X⁻¹ (dX) X⁻¹.
fn d_inverse(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::Inv(a) => Some(p::neg(p::mul(vec![
            p::inv(p::c(*a)),
            p::d(p::c(*a)),
            p::inv(p::c(*a)),
        ]))),
        _ => None,
    })
}

fn d_power(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| {
        if let Math::EPow([a, q]) = inner {
            // d(A .^ p) = p A .^ (p − 1) ⊙ dA
            let q = super::num(eg, *q)?;
            let coef = match q - 1.0 {
                0.0 => p::num(q),
                1.0 => p::scale(p::num(q), p::c(*a)),
                r => p::scale(p::num(q), p::epow(p::c(*a), r)),
            };
            if q == 0.0 {
                return Some(sum_or_zero(eg, id, vec![]));
            }
            if q == 1.0 {
                return Some(p::d(p::c(*a)));
            }
            return Some(if is_scalar(eg, *a) {
                p::scale(coef, p::d(p::c(*a)))
            } else {
                p::had(coef, p::d(p::c(*a)))
            });
        }
        let Math::Pow([a, k]) = inner else {
            return None;
        };
        let k = super::num(eg, *k)? as i64;
        let pw = |e: i64| match e {
            1 => p::c(*a),
            e => p::pow(p::c(*a), e),
        };
        if k == 0 {
            return Some(sum_or_zero(eg, id, vec![]));
        }
        if is_scalar(eg, *a) {
            // The norm squared has a rule of its own.
            if k == 2
                && eg[*a]
                    .nodes
                    .iter()
                    .any(|n| matches!(n, Math::App(Func::Norm, [_])))
            {
                return None;
            }
            // d(s^k) = k s^(k−1) ds
            let coef = if k == 1 {
                p::num(1.0)
            } else {
                p::scale(p::num(k as f64), pw(k - 1))
            };
            return Some(p::scale(coef, p::d(p::c(*a))));
        }
        if k < 0 {
            // A^(−k) = (A^k)⁻¹: d = −A^(−k) d(A^k) A^(−k)
            let pos = pw(-k);
            return Some(p::neg(p::mul(vec![pw(k), p::d(pos), pw(k)])));
        }
        // d(A^k) = Σ_{i<k} A^i dA A^(k−1−i)
        let terms = (0..k)
            .map(|i| {
                let mut fs = Vec::new();
                if i > 0 {
                    fs.push(pw(i));
                }
                fs.push(p::d(p::c(*a)));
                if k - 1 - i > 0 {
                    fs.push(pw(k - 1 - i));
                }
                p::mul(fs)
            })
            .collect();
        Some(p::add(terms))
    })
}

fn d_trace(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::App(Func::Tr, [a]) if matrix_power(eg, *a).is_none() => Some(p::tr(p::d(p::c(*a)))),
        _ => None,
    })
}

/// The base and exponent of an integer power of a matrix in class `id`.
fn matrix_power(eg: &EG, id: Id) -> Option<(Id, i64)> {
    super::find_node(eg, id, |n| match *n {
        Math::Pow([b, k]) if !is_scalar(eg, b) => super::num(eg, k)
            .filter(|k| k.fract() == 0.0)
            .map(|k| (b, k as i64)),
        _ => None,
    })
}

// Matrix Cookbook (107): d tr(Aᵏ) = k tr(Aᵏ⁻¹ dA), for every integer k (the
// trace is cyclic), so that tr(X³⁰) is not expanded into 30 products.
fn d_trace_power(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| {
        let Math::App(Func::Tr, [a]) = inner else {
            return None;
        };
        let (b, k) = matrix_power(eg, *a)?;
        if k == 0 || is_const(eg, b) {
            return Some(sum_or_zero(eg, id, vec![]));
        }
        let db = p::d(p::c(b));
        let body = match k - 1 {
            0 => db,
            1 => p::mul(vec![p::c(b), db]),
            j => p::mul(vec![p::pow(p::c(b), j), db]),
        };
        Some(match k {
            1 => p::tr(body),
            k => p::scale(p::num(k as f64), p::tr(body)),
        })
    })
}

// Matrix Cookbook (46): d det(X) = det(X) tr(X⁻¹ dX).
fn d_det(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::App(Func::Det, [a]) => Some(p::scale(
            p::op1(Math::App(Func::Det, [Id::from(0)]), p::c(*a)),
            p::tr(p::mul(vec![p::inv(p::c(*a)), p::d(p::c(*a))])),
        )),
        _ => None,
    })
}

// Matrix Cookbook (43): d ln det(X) = tr(X⁻¹ dX).
fn d_logdet(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::App(Func::Logdet, [a]) => Some(p::tr(p::mul(vec![p::inv(p::c(*a)), p::d(p::c(*a))]))),
        _ => None,
    })
}

fn d_norm(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let mut out = under_d(eg, node, |inner| match inner {
        // d‖A‖ = tr(Aᵀ dA) / ‖A‖
        Math::App(Func::Norm, [a]) => Some(p::div(
            p::tr(p::mul(vec![p::t(p::c(*a)), p::d(p::c(*a))])),
            p::op1(Math::App(Func::Norm, [Id::from(0)]), p::c(*a)),
        )),
        _ => None,
    });
    // d‖A‖² = 2 tr(Aᵀ dA)   (Matrix Cookbook (128) for the Frobenius norm)
    let Math::D(x) = node else { return out };
    for inner in &eg[*x].nodes {
        let Math::Pow([n, k]) = inner else { continue };
        if super::num(eg, *k) != Some(2.0) {
            continue;
        }
        for m in &eg[*n].nodes {
            let Math::App(Func::Norm, [a]) = m else {
                continue;
            };
            out.push(Proposal {
                from: p::d(p::op2(inner.clone(), p::op1(m.clone(), p::c(*a)), p::c(*k))),
                to: p::scale(
                    p::num(2.0),
                    p::tr(p::mul(vec![p::t(p::c(*a)), p::d(p::c(*a))])),
                ),
            });
        }
    }
    out
}

/// The placeholder for the argument in a registry derivative.
const HOLE: &str = "\u{0}arg";

/// `f′(A)` for an elementwise function `f`, from the operator registry; for
/// a scalar argument, the ordinary derivative.
fn derivative(eg: &EG, f: Func, a: Id) -> Option<Pat> {
    let s = shape(eg, a)?;
    let t = registry::derivative(f, &Term::var(HOLE), s)?;
    pat_of_term(eg, &t, HOLE, a)
}

fn d_elementwise(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| {
        let (f, a) = inner.as_func()?;
        if !f.is_elementwise() {
            return None;
        }
        if registry::derivative_is_zero(f) {
            // Flat wherever it is differentiable (step, sign).
            return Some(zero_of(eg, shape(eg, a)?));
        }
        let fp = derivative(eg, f, a)?;
        if is_scalar(eg, a) {
            Some(p::scale(fp, p::d(p::c(a))))
        } else {
            Some(p::had(fp, p::d(p::c(a))))
        }
    })
}

fn d_unknown(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| {
        let Math::Unknown([name, a]) = inner else {
            return None;
        };
        let fname = super::find_node(eg, *name, |n| match n {
            Math::Atom(Atom::Fname(i)) => Some(*i),
            _ => None,
        })?;
        let ctx = &eg.analysis.ctx;
        let g = super::super::gradient_symbol(ctx.fnames.get(fname as usize)?);
        let gi = ctx.vars.iter().position(|v| *v == g)?;
        Some(p::tr(p::mul(vec![
            p::t(p::atom(Atom::Var(gi as u32))),
            p::d(p::c(*a)),
        ])))
    })
}
