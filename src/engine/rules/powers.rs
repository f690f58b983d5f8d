//! Powers and inverses of square matrices: `Xᵃ Xᵇ = Xᵃ⁺ᵇ` in a product
//! (`X X⁻¹ = I`, `X² X = X³`, `(X²)⁻¹ X = X⁻¹`), `(Xᵃ)ᵇ = Xᵃᵇ`, the
//! transpose outside (`(Xᵀ)ᵏ = (Xᵏ)ᵀ`, `(Xᵀ)⁻¹ = X⁻ᵀ`), the inverse of a
//! product of square matrices and of a scalar multiple, and an inverse next
//! to the product it inverts (`(α A X B)⁻¹ A X B = I / α`).
//!
//! Every rule rewrites one node into a form with no more factors than it
//! read, except the inverse of a product (k factors give k inverses), which
//! applies once per product; none reorders the factors of a product.

use egg::Id;

use super::simplify::{contains_itself, nodes, propose, whole};
use super::{find_node, identity_of, is_scalar, num, shape};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, p};

/// A factor as a power `bᵏ` of a base class: `X` is X¹, `X⁻¹` is X⁻¹,
/// `X³` is X³, `(X²)⁻¹` is X⁻². Returns the structure looked at, the base
/// and the exponent.
fn power_of(eg: &EG, id: Id) -> (Pat, Id, i64) {
    let int = |k: Id| integer(eg, k);
    for n in &eg[id].nodes {
        match *n {
            Math::Pow([b, k]) => {
                if let Some(k) = int(k) {
                    return (p::pow(p::c(b), k), eg.find(b), k);
                }
            }
            Math::Inv(b) => {
                for m in &eg[b].nodes {
                    if let Math::Pow([c, k]) = *m
                        && let Some(k) = int(k)
                    {
                        return (p::inv(p::pow(p::c(c), k)), eg.find(c), -k);
                    }
                }
                return (p::inv(p::c(b)), eg.find(b), -1);
            }
            _ => {}
        }
    }
    (p::c(id), eg.find(id), 1)
}

/// The value of class `id` when it is an integer.
fn integer(eg: &EG, id: Id) -> Option<i64> {
    num(eg, id).filter(|v| v.fract() == 0.0).map(|v| v as i64)
}

/// `bᵏ` in its usual spelling: `b`, `b⁻¹`, or a power; `None` for k = 0.
fn spelled(b: Id, k: i64) -> Option<Pat> {
    match k {
        0 => None,
        1 => Some(p::c(b)),
        -1 => Some(p::inv(p::c(b))),
        k => Some(p::pow(p::c(b), k)),
    }
}

/// The product of `factors`, or the identity of the order of class `id`
/// when nothing is left.
fn product_or_identity(eg: &EG, id: Id, factors: Vec<Pat>) -> Option<Pat> {
    if factors.is_empty() {
        shape(eg, id).map(|s| identity_of(eg, &s.rows))
    } else {
        Some(p::mul(factors))
    }
}

/// `… Xᵃ Xᵇ … = … Xᵃ⁺ᵇ …`; `X X⁻¹ = I`.
pub fn chain_powers(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::Mul(fs) = node else { return vec![] };
    let powers: Vec<(Pat, Id, i64)> = fs.iter().map(|&f| power_of(eg, f)).collect();
    let mut to = Vec::new();
    let mut merged = false;
    let mut i = 0;
    while i < powers.len() {
        let base = powers[i].1;
        let mut k = powers[i].2;
        let mut j = i + 1;
        while j < powers.len() && powers[j].1 == base && !is_scalar(eg, base) {
            k += powers[j].2;
            j += 1;
        }
        merged |= j - i > 1;
        to.extend(spelled(base, k));
        i = j;
    }
    if !merged {
        return vec![];
    }
    let Some(to) = product_or_identity(eg, id, to) else {
        return vec![];
    };
    let from = Pat::node(
        node.clone(),
        powers.into_iter().map(|(f, _, _)| f).collect(),
    );
    propose(from, to)
}

/// `(Xᵃ)ᵇ = Xᵃᵇ`, `(X⁻¹)ᵏ = X⁻ᵏ`, `(Xᵏ)⁻¹ = X⁻ᵏ`, `(X⁻¹)⁻¹ = X`, `X¹ = X`,
/// `X⁰ = I`, `X^(−1) = X⁻¹`, and the transpose outside: `(Xᵀ)ᵏ = (Xᵏ)ᵀ`,
/// `(Xᵀ)⁻¹ = X⁻ᵀ`.
pub fn power_rules(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    if is_scalar(eg, id) {
        return vec![];
    }
    let mut out = Vec::new();
    match *node {
        Math::Pow([a, k]) => {
            let Some(k) = integer(eg, k) else {
                return vec![];
            };
            let this = p::pow(p::c(a), k);
            match k {
                0 => {
                    if let Some(i) = product_or_identity(eg, id, vec![]) {
                        out.extend(propose(this, i));
                    }
                }
                1 => out.extend(propose(this, p::c(a))),
                -1 => out.extend(propose(this, p::inv(p::c(a)))),
                _ => {}
            }
            for inner in nodes(eg, a) {
                let (from, to) = match *inner {
                    Math::Pow([b, j]) => match integer(eg, j) {
                        Some(j) => (p::pow(p::pow(p::c(b), j), k), spelled(b, j * k)),
                        None => continue,
                    },
                    Math::Inv(b) => (p::pow(p::inv(p::c(b)), k), spelled(b, -k)),
                    Math::Transpose(b) => {
                        (p::pow(p::t(p::c(b)), k), Some(p::t(p::pow(p::c(b), k))))
                    }
                    _ => continue,
                };
                let Some(to) = product_or_identity(eg, id, to.into_iter().collect()) else {
                    continue;
                };
                out.extend(propose(from, to));
            }
        }
        Math::Inv(a) => {
            for inner in nodes(eg, a) {
                let (from, to) = match *inner {
                    Math::Pow([b, j]) => match integer(eg, j) {
                        Some(j) => (p::inv(p::pow(p::c(b), j)), spelled(b, -j)),
                        None => continue,
                    },
                    Math::Inv(b) => (p::inv(p::inv(p::c(b))), Some(p::c(b))),
                    Math::Transpose(b) => (p::inv(p::t(p::c(b))), Some(p::t(p::inv(p::c(b))))),
                    Math::Identity(_) => (p::inv(whole(inner)), Some(p::c(a))),
                    _ => continue,
                };
                if let Some(to) = to {
                    out.extend(propose(from, to));
                }
            }
        }
        _ => {}
    }
    out
}

/// `(A₁ … Aₖ)⁻¹ = Aₖ⁻¹ … A₁⁻¹` for square factors of one order;
/// `(s A)⁻¹ = A⁻¹ / s`, `(A / s)⁻¹ = s A⁻¹`, `(−A)⁻¹ = −A⁻¹`.
pub fn inverse_product(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::Inv(a) = *node else { return vec![] };
    if is_scalar(eg, id) {
        return vec![];
    }
    let square = |f: Id| shape(eg, f).is_some_and(|s| s.rows == s.cols);
    let mut out = Vec::new();
    for inner in nodes(eg, a) {
        let to = match inner {
            Math::Mul(fs) if fs.iter().all(|&f| square(f) && !is_scalar(eg, f)) => {
                p::mul(fs.iter().rev().map(|&f| p::inv(p::c(f))).collect())
            }
            Math::Scale([s, b]) if is_scalar(eg, *s) => p::div(p::inv(p::c(*b)), p::c(*s)),
            Math::Div([b, s]) => p::scale(p::c(*s), p::inv(p::c(*b))),
            Math::Neg(b) => p::neg(p::inv(p::c(*b))),
            _ => continue,
        };
        out.extend(propose(p::inv(whole(inner)), to));
    }
    out
}

/// `M⁻¹ A₁ … Aₖ = I` and `A₁ … Aₖ M⁻¹ = I` for `M = A₁ … Aₖ`, and
/// `I / s` for `M = s A₁ … Aₖ`: an inverse next to the product it inverts.
pub fn cancel_inverse(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::Mul(fs) = node else { return vec![] };
    let same = |xs: &[Id], ys: &[Id]| {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(&x, &y)| eg.find(x) == eg.find(y))
    };
    let mut out = Vec::new();
    for (i, &f) in fs.iter().enumerate() {
        let Some(m) = find_node(eg, f, |n| match n {
            Math::Inv(m) => Some(*m),
            _ => None,
        }) else {
            continue;
        };
        // M as (scalar, product, structure of M looked at)
        let mut forms: Vec<(Option<Id>, Vec<Id>, Pat)> = Vec::new();
        for n in nodes(eg, m) {
            match n {
                Math::Mul(gs) if gs.len() >= 2 => {
                    forms.push((None, gs.to_vec(), whole(n)));
                }
                Math::Scale([s, b]) if is_scalar(eg, *s) && !is_scalar(eg, *b) => {
                    for k in nodes(eg, *b) {
                        let gs = match k {
                            Math::Mul(gs) => gs.to_vec(),
                            _ => continue,
                        };
                        forms.push((Some(*s), gs, p::scale(p::c(*s), whole(k))));
                    }
                    forms.push((Some(*s), vec![*b], p::scale(p::c(*s), p::c(*b))));
                }
                _ => {}
            }
        }
        for (s, gs, m_from) in forms {
            let k = gs.len();
            let spans = [
                (i + 1 + k <= fs.len() && same(&fs[i + 1..i + 1 + k], &gs)).then_some((i, i + k)),
                (i >= k && same(&fs[i - k..i], &gs)).then(|| (i - k, i)),
            ];
            for (lo, hi) in spans.into_iter().flatten() {
                let mut from: Vec<Pat> = fs.iter().map(|&g| p::c(g)).collect();
                from[i] = p::inv(m_from.clone());
                let rest: Vec<Pat> = fs[..lo]
                    .iter()
                    .chain(&fs[hi + 1..])
                    .map(|&g| p::c(g))
                    .collect();
                let Some(body) = product_or_identity(eg, id, rest) else {
                    continue;
                };
                let to = match s {
                    Some(s) => p::div(body, p::c(s)),
                    None => body,
                };
                out.extend(propose(Pat::node(node.clone(), from), to));
            }
        }
    }
    out
}
