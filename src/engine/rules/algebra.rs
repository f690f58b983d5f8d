//! Identities of matrix algebra for terms without differentials: the rules
//! that `simplify` and `equivalent` add to the simplification table so that
//! they can reorder and expand general expressions, not only gradients.
//!
//! # Growth law
//!
//! Every rule adds a bounded number of e-nodes per match. The cyclic rule
//! adds one rotation by one factor per product node under a trace, so a trace
//! of k factors ends with k rotations (k e-nodes), never the k! orders or the
//! 2^k bracketings that binary associativity with free rotation makes.
//! Commutativity of `+` and `⊙` adds the one sorted order of the operands
//! (sorted by e-class id), not their permutations. Distributivity multiplies
//! out one sum per match; `factor` (in the simplification table) undoes it
//! into the same e-class, so the pair adds no new classes beyond the expanded
//! terms. Products never commute.
//!
//! # Classes that contain themselves
//!
//! Once `A + B − B` has been shown equal to `A`, the class of `A` holds a sum
//! with `A` among its terms. Splicing such a sum into its parent, or
//! multiplying it out, adds a longer sum to the same class at every
//! iteration, and following `−(−A)` or `2·0 = 0` through their classes to
//! find a coefficient never ends. The associativity and like-terms rules of
//! the simplification table ([`simplify::RULES`]) and the distributivity and
//! commutativity rules here skip such self-containing nodes;
//! [`with_simplification`] is the combined table.

use egg::{Id, Language};

use super::simplify::contains_itself;
use super::{has_d, is_scalar, simplify, transpose_chain};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, Rule, p};
use crate::term::Func;

/// The simplification table followed by this table.
pub fn with_simplification() -> Vec<Rule> {
    simplify::RULES.iter().chain(RULES).cloned().collect()
}

/// The rule table of general algebra.
pub const RULES: &[Rule] = &[
    Rule {
        id: "trace-rotate",
        name: "cyclic property of the trace",
        f: trace_rotate,
    },
    Rule {
        id: "trace-of-transpose",
        name: "tr(Aᵀ) = tr(A)",
        f: trace_of_transpose,
    },
    Rule {
        id: "trace-linearity",
        name: "linearity of the trace",
        f: trace_linearity,
    },
    Rule {
        id: "scalar-transpose",
        name: "transpose of a scalar",
        f: scalar_transpose,
    },
    Rule {
        id: "distribute-sum",
        name: "distributivity",
        f: distribute_sum,
    },
    Rule {
        id: "commute",
        name: "commutativity of + and ⊙",
        f: commute,
    },
];

fn kids(n: &Math) -> Vec<Pat> {
    n.children().iter().map(|&c| p::c(c)).collect()
}

fn whole(n: &Math) -> Pat {
    Pat::node(n.clone(), kids(n))
}

/// The argument class of a trace without differentials.
fn plain_trace(eg: &EG, node: &Math) -> Option<Id> {
    match node {
        Math::App(Func::Tr, [x]) if !has_d(eg, *x) => Some(*x),
        _ => None,
    }
}

/// tr(A₁ A₂ … Aₖ) = tr(A₂ … Aₖ A₁)  (Matrix Cookbook (16)).
fn trace_rotate(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Some(x) = plain_trace(eg, node) else {
        return vec![];
    };
    let mut out = Vec::new();
    for inner in &eg[x].nodes {
        let Math::Mul(fs) = inner else { continue };
        if fs.len() < 2 {
            continue;
        }
        let rotated = fs[1..].iter().chain(&fs[..1]).map(|&f| p::c(f)).collect();
        out.push(Proposal {
            from: p::tr(whole(inner)),
            to: p::tr(p::mul(rotated)),
        });
    }
    out
}

/// tr(Aᵀ) = tr(A)  (Matrix Cookbook (13)); for a product,
/// tr(A₁ … Aₖ) = tr(Aₖᵀ … A₁ᵀ), which transposed once more is the product
/// again, so each chain adds one node.
fn trace_of_transpose(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Some(x) = plain_trace(eg, node) else {
        return vec![];
    };
    eg[x]
        .nodes
        .iter()
        .filter_map(|inner| match inner {
            Math::Transpose(a) => Some(Proposal {
                from: p::tr(whole(inner)),
                to: p::tr(p::c(*a)),
            }),
            Math::Mul(fs) => {
                let (from, to) = transpose_chain(eg, fs);
                Some(Proposal {
                    from: p::tr(p::mul(from)),
                    to: p::tr(to),
                })
            }
            _ => None,
        })
        .collect()
}

/// tr(A + B) = tr(A) + tr(B), tr(−A) = −tr(A), tr(sA) = s tr(A), tr(A/s) = tr(A)/s.
fn trace_linearity(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Some(x) = plain_trace(eg, node) else {
        return vec![];
    };
    eg[x]
        .nodes
        .iter()
        .filter_map(|inner| {
            let to = match inner {
                Math::Add(ts) => p::add(ts.iter().map(|&t| p::tr(p::c(t))).collect()),
                Math::Neg(a) => p::neg(p::tr(p::c(*a))),
                Math::Scale([s, a]) => p::scale(p::c(*s), p::tr(p::c(*a))),
                Math::Div([a, s]) => p::div(p::tr(p::c(*a)), p::c(*s)),
                _ => return None,
            };
            Some(Proposal {
                from: p::tr(whole(inner)),
                to,
            })
        })
        .collect()
}

/// A 1×1 product equals its transpose: aᵀb = bᵀa.
fn scalar_transpose(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Mul(fs) = node else { return vec![] };
    if has_d(eg, id) || !is_scalar(eg, id) || fs.iter().any(|&f| is_scalar(eg, f)) {
        return vec![];
    }
    let (from, to) = transpose_chain(eg, fs);
    vec![Proposal {
        from: p::mul(from),
        to,
    }]
}

/// The terms of a sum in class `c` that contains neither `c` nor `parent`
/// (the class it would be spliced or multiplied out into).
fn sum_in(eg: &EG, c: Id, parent: Id) -> Option<Vec<Id>> {
    let (c, parent) = (eg.find(c), eg.find(parent));
    eg[c].nodes.iter().find_map(|n| match n {
        Math::Add(ts)
            if ts
                .iter()
                .all(|&t| !matches!(eg.find(t), x if x == c || x == parent)) =>
        {
            Some(ts.to_vec())
        }
        _ => None,
    })
}

/// A(B + C)D = ABD + ACD, s(A + B) = sA + sB, −(A + B) = −A − B.
fn distribute_sum(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let sum_in = |c: Id| sum_in(eg, c, id);
    let sum_pat = |ts: &[Id]| p::add(ts.iter().map(|&t| p::c(t)).collect());
    match node {
        Math::Mul(fs) => {
            // The first factor that holds a sum is multiplied out.
            for (i, &f) in fs.iter().enumerate() {
                let Some(ts) = sum_in(f) else { continue };
                let mut from: Vec<Pat> = fs.iter().map(|&g| p::c(g)).collect();
                from[i] = sum_pat(&ts);
                let terms = ts
                    .iter()
                    .map(|&t| {
                        let mut k: Vec<Pat> = fs.iter().map(|&g| p::c(g)).collect();
                        k[i] = p::c(t);
                        p::mul(k)
                    })
                    .collect();
                // `from` is built as a node so that the sum is not spliced.
                return vec![Proposal {
                    from: Pat::node(node.clone(), from),
                    to: p::add(terms),
                }];
            }
            vec![]
        }
        Math::Scale([s, a]) => match sum_in(*a) {
            Some(ts) => vec![Proposal {
                from: p::scale(p::c(*s), sum_pat(&ts)),
                to: p::add(ts.iter().map(|&t| p::scale(p::c(*s), p::c(t))).collect()),
            }],
            None => vec![],
        },
        Math::Neg(a) => match sum_in(*a) {
            Some(ts) => vec![Proposal {
                from: p::neg(sum_pat(&ts)),
                to: p::add(ts.iter().map(|&t| p::neg(p::c(t))).collect()),
            }],
            None => vec![],
        },
        _ => vec![],
    }
}

/// A + B = B + A and A ⊙ B = B ⊙ A, as one canonical order of the operands
/// (by e-class id) rather than every permutation.
fn commute(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    match node {
        Math::Add(ts) => {
            let mut sorted: Vec<Id> = ts.iter().map(|&t| eg.find(t)).collect();
            sorted.sort();
            if sorted.iter().zip(ts.iter()).all(|(a, &b)| *a == eg.find(b)) {
                return vec![];
            }
            vec![Proposal {
                from: whole(node),
                to: p::add(sorted.into_iter().map(p::c).collect()),
            }]
        }
        Math::Had([a, b]) if eg.find(*b) < eg.find(*a) => vec![Proposal {
            from: whole(node),
            to: p::had(p::c(*b), p::c(*a)),
        }],
        _ => vec![],
    }
}
