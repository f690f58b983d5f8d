//! The rule tables of the engine, one per stage, and the small queries the
//! rules share. Each table is an aligned list of named rules; the name is what
//! a derivation step prints.

pub mod algebra;
pub mod chain;
pub mod differential;
pub mod factors;
pub mod kron;
pub mod powers;
pub mod simplify;
pub mod softmax;
pub mod trace;

use egg::Id;

use super::lang::{Atom, EG, Math};
use super::rule::{Pat, Rule, p};
use crate::shape::{Dim, Shape};

/// Every rule table.
pub const TABLES: &[&[Rule]] = &[
    differential::RULES,
    trace::RULES,
    simplify::RULES,
    chain::RULES,
    algebra::RULES,
    kron::VECTORIZE,
    kron::SIMPLIFY,
    kron::ALGEBRA,
];

/// The rule with identifier `id`, in any table.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    TABLES.iter().flat_map(|t| t.iter()).find(|r| r.id == id)
}

/// Whether the class contains a differential.
pub fn has_d(eg: &EG, id: Id) -> bool {
    eg[id].data.has_d
}

/// Whether the class involves no variable.
pub fn is_const(eg: &EG, id: Id) -> bool {
    eg[id].data.constant
}

/// The shape of the class.
pub fn shape(eg: &EG, id: Id) -> Option<&Shape> {
    eg[id].data.shape.as_ref()
}

/// Whether the class is `1 × 1`.
pub fn is_scalar(eg: &EG, id: Id) -> bool {
    shape(eg, id).is_some_and(Shape::is_scalar)
}

/// The numeric value of the class, if it is a number.
pub fn num(eg: &EG, id: Id) -> Option<f64> {
    eg[id].data.num.map(|n| n.0)
}

/// The variable atom of the class, if it is a variable.
pub fn var_of(eg: &EG, id: Id) -> Option<Atom> {
    eg[id].nodes.iter().find_map(|n| match n {
        Math::Atom(a @ Atom::Var(_)) => Some(*a),
        _ => None,
    })
}

/// The first node of the class matching `pick`.
pub fn find_node<T>(eg: &EG, id: Id, pick: impl Fn(&Math) -> Option<T>) -> Option<T> {
    eg[id].nodes.iter().find_map(pick)
}

/// Every node of the class matching `pick`.
pub fn all_nodes<T>(eg: &EG, id: Id, pick: impl Fn(&Math) -> Option<T>) -> Vec<T> {
    eg[id].nodes.iter().filter_map(pick).collect()
}

/// The factors of a product node in the class, if any (the class's first `Mul`).
pub fn chain_of(eg: &EG, id: Id) -> Option<Vec<Id>> {
    find_node(eg, id, |n| match n {
        Math::Mul(ids) => Some(ids.to_vec()),
        _ => None,
    })
}

/// The pattern of a dimension.
pub fn dim_pat(eg: &EG, d: &Dim) -> Pat {
    match d {
        Dim::Lit(n) => p::atom(Atom::Lit(*n)),
        Dim::Sym(s) => {
            let i = eg
                .analysis
                .ctx
                .dims
                .iter()
                .position(|x| x == s)
                .unwrap_or(0);
            p::atom(Atom::Dim(i as u32))
        }
        Dim::Prod(fs) => Pat::node(
            Math::DimProd(vec![Id::from(0); fs.len()].into()),
            fs.iter().map(|f| dim_pat(eg, f)).collect(),
        ),
    }
}

/// The zero matrix of a shape.
pub fn zero_of(eg: &EG, s: &Shape) -> Pat {
    if s.is_scalar() {
        return p::num(0.0);
    }
    Pat::node(
        Math::Zero([Id::from(0); 2]),
        vec![dim_pat(eg, &s.rows), dim_pat(eg, &s.cols)],
    )
}

/// The all-ones matrix of a shape (the number 1 for a scalar).
pub fn ones_of(eg: &EG, s: &Shape) -> Pat {
    if s.is_scalar() {
        return p::num(1.0);
    }
    Pat::node(
        Math::Ones([Id::from(0); 2]),
        vec![dim_pat(eg, &s.rows), dim_pat(eg, &s.cols)],
    )
}

/// The identity matrix of order `d`.
pub fn identity_of(eg: &EG, d: &Dim) -> Pat {
    if d.is_one() {
        return p::num(1.0);
    }
    Pat::node(Math::Identity(Id::from(0)), vec![dim_pat(eg, d)])
}

/// The transpose of a class, written without a double transpose: `Aᵀ` of a
/// class that holds `Bᵀ` is `B`; a declared symmetric variable, a scalar and
/// the identity are their own transposes. Returns the structure looked at
/// (for the rule's matched side) and the transpose.
pub fn transpose_of(eg: &EG, id: Id) -> (Pat, Pat) {
    if let Some(inner) = find_node(eg, id, |n| match n {
        Math::Transpose(a) => Some(*a),
        _ => None,
    }) {
        return (p::t(p::c(inner)), p::c(inner));
    }
    let own = (p::c(id), p::c(id));
    if is_scalar(eg, id) {
        return own;
    }
    if let Some(v) = var_of(eg, id) {
        let ctx = &eg.analysis.ctx;
        if ctx.var_name(v).is_some_and(|n| ctx.env.is_symmetric(n)) {
            return own;
        }
    }
    if find_node(eg, id, |n| matches!(n, Math::Identity(_)).then_some(())).is_some() {
        return own;
    }
    (p::c(id), p::t(p::c(id)))
}

/// The transpose of a product `f₁ … fₖ`: `fₖᵀ … f₁ᵀ`, with the factors as
/// looked at.
pub fn transpose_chain(eg: &EG, factors: &[Id]) -> (Vec<Pat>, Pat) {
    let (from, to): (Vec<Pat>, Vec<Pat>) = factors.iter().map(|&f| transpose_of(eg, f)).unzip();
    (from, p::mul(to.into_iter().rev().collect()))
}
