//! The matrix-chain rule, used by the simplification stage under
//! `--cost flops`: a product of three or more factors with concrete shapes
//! equals the same product grouped in its cheapest order.
//!
//! The rule adds at most `k − 1` binary products per chain of `k` factors
//! (one grouping, the optimal one, never all of them), so the e-graph stays
//! linear in the length of the chain, as everywhere in the engine.

use egg::{Id, Language};

use super::shape;
use crate::engine::flops::{self, CostModel, Order};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, Rule, p};

/// The rule table of matrix-chain reassociation.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { id: "matrix-chain", name: "matrix-chain order (fewest FLOPs)", f: matrix_chain },
];

/// The rules of the simplification stage under `cost`.
pub fn simplification(cost: CostModel) -> Vec<Rule> {
    let mut rules = super::simplify::RULES.to_vec();
    if cost == CostModel::Flops {
        rules.extend_from_slice(RULES);
    }
    rules
}

fn matrix_chain(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Mul(fs) = node else {
        return vec![];
    };
    if fs.len() < 3 {
        return vec![];
    }
    let Some(dims) = flops::chain_dims(fs.iter().map(|&f| shape(eg, f))) else {
        return vec![];
    };
    let (best, order) = flops::chain_order(&dims);
    // Left to right is how the flat product is evaluated: nothing to gain.
    if best >= flops::left_to_right(&dims) {
        return vec![];
    }
    let from = Pat::node(
        node.clone(),
        node.children().iter().map(|&c| p::c(c)).collect(),
    );
    vec![Proposal {
        from,
        to: nested(fs, &order),
    }]
}

/// The binary products of `order` over the factor classes `fs`.
fn nested(fs: &[Id], order: &Order) -> Pat {
    match order {
        Order::Factor(i) => p::c(fs[*i]),
        // Built directly: `p::mul` would splice the groups back into one chain.
        Order::Product(l, r) => Pat::node(
            Math::Mul(vec![Id::from(0); 2].into()),
            vec![nested(fs, l), nested(fs, r)],
        ),
    }
}
