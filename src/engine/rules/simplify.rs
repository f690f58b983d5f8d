//! The simplification stage: rules that tidy a gradient once it has been read
//! off (transposes pushed to the leaves, signs and scalar factors gathered,
//! like terms collected, common factors taken out).
//!
//! Every rule rewrites toward fewer or simpler nodes except the transpose
//! pushes, which move a transpose one level down per match; none permutes
//! operands, so there is no commutativity blow-up, and the stage saturates in
//! about as many iterations as the expression is deep.

use egg::{Id, Language};

use super::{
    chain_of, factors, is_scalar, ones_of, powers, shape, transpose_chain, transpose_of, zero_of,
};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, Rule, p};
use crate::term::Func;

/// The rule table of the simplification stage.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { id: "transpose-push",      name: "transpose rules",                f: transpose_push },
    Rule { id: "transpose-pull",      name: "BᵀAᵀ = (AB)ᵀ",                   f: transpose_pull },
    Rule { id: "symmetric",           name: "Sᵀ = S for symmetric S",         f: symmetric },
    Rule { id: "units",               name: "identity, ones and zeros",       f: units },
    Rule { id: "flatten",             name: "associativity",                  f: flatten },
    Rule { id: "signs",               name: "signs and scalar factors",       f: signs },
    Rule { id: "scalar-factors",      name: "collect scalar factors",         f: factors::scalar_factors },
    Rule { id: "elementwise-factors", name: "collect elementwise factors",    f: factors::elementwise_factors },
    Rule { id: "like-terms",          name: "collect like terms",             f: factors::like_terms },
    Rule { id: "factor",              name: "take out a common factor",       f: factor },
    Rule { id: "factor-matrix",       name: "take out a common factor",       f: factors::common_matrix },
    Rule { id: "power",               name: "XᵃXᵇ = Xᵃ⁺ᵇ",                    f: powers::chain_powers },
    Rule { id: "power-rules",         name: "powers and inverses",            f: powers::power_rules },
    Rule { id: "inverse-product",     name: "(AB)⁻¹ = B⁻¹A⁻¹",                f: powers::inverse_product },
    Rule { id: "cancel-inverse",      name: "A⁻¹A = I",                       f: powers::cancel_inverse },
    Rule { id: "trace-scalar",        name: "linearity of the trace",         f: trace_scalar },
    Rule { id: "rank-one-hadamard",   name: "A ⊙ (𝟙 rᵀ) = A diag(r)",         f: super::softmax::rank_one_hadamard },
    Rule { id: "softmax-form",        name: "softmax and log-sum-exp",        f: super::softmax::recognise },
    Rule { id: "factor-signed",       name: "take out a common factor",       f: super::softmax::factor_signed },
    Rule { id: "negate-sum",          name: "−(A − B) = B − A",               f: super::softmax::negate_sum },
    Rule { id: "transpose-along",     name: "softmax(Aᵀ)ᵀ is along the other axis", f: super::softmax::transpose_along },
];

/// A node as a pattern over its operand classes.
pub(super) fn whole(n: &Math) -> Pat {
    Pat::node(n.clone(), n.children().iter().map(|&c| p::c(c)).collect())
}

/// One proposal: `from` equals `to`. (The searcher drops it when `to` is
/// already in the class.)
pub(super) fn propose(from: Pat, to: Pat) -> Vec<Proposal> {
    vec![Proposal { from, to }]
}

fn transpose_push(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::Transpose(a) = node else {
        return vec![];
    };
    let mut out = Vec::new();
    if is_scalar(eg, *a) {
        out.push(Proposal {
            from: whole(node),
            to: p::c(*a),
        });
    }
    let tr1 = |x: Id| transpose_of(eg, x);
    for inner in nodes(eg, *a) {
        let (from, to) = match inner {
            Math::Transpose(b) => (whole(inner), p::c(*b)),
            Math::Mul(fs) if spliceable(eg, *a, fs) => {
                let (f, t) = transpose_chain(eg, fs);
                (p::mul(f), t)
            }
            Math::Add(ts) => {
                let (f, t): (Vec<Pat>, Vec<Pat>) = ts.iter().map(|&t| tr1(t)).unzip();
                (p::add(f), p::add(t))
            }
            Math::Neg(y) => {
                let (f, t) = tr1(*y);
                (p::neg(f), p::neg(t))
            }
            Math::Scale([s, y]) => {
                let (f, t) = tr1(*y);
                (p::scale(p::c(*s), f), p::scale(p::c(*s), t))
            }
            Math::Div([y, s]) => {
                let (f, t) = tr1(*y);
                (p::div(f, p::c(*s)), p::div(t, p::c(*s)))
            }
            Math::Had([x, y]) | Math::EDiv([x, y]) => {
                let ((fx, tx), (fy, ty)) = (tr1(*x), tr1(*y));
                if matches!(inner, Math::Had(_)) {
                    (p::had(fx, fy), p::had(tx, ty))
                } else {
                    (p::ediv(fx, fy), p::ediv(tx, ty))
                }
            }
            Math::Identity(_) => (whole(inner), p::c(*a)),
            // A diagonal matrix is symmetric.
            Math::App(Func::Diag, [v]) if shape(eg, *v).is_some_and(|s| s.cols.is_one()) => {
                (whole(inner), p::c(*a))
            }
            Math::Ones(_) | Math::Zero(_) => match shape(eg, *a) {
                Some(s) if matches!(inner, Math::Ones(_)) => {
                    (whole(inner), ones_of(eg, &s.transposed()))
                }
                Some(s) => (whole(inner), zero_of(eg, &s.transposed())),
                None => continue,
            },
            other => match other.as_func() {
                Some((f, x)) if f.is_elementwise() => {
                    let (fx, tx) = tr1(x);
                    let op = Math::apply(f, Id::from(0));
                    (p::op1(op.clone(), fx), p::op1(op, tx))
                }
                _ => continue,
            },
        };
        out.push(Proposal {
            from: p::t(from),
            to,
        });
    }
    out
}

/// `Sᵀ = S` for a symmetric `S`: a declared `sym` variable, `XᵀX`, `X Xᵀ`,
/// `AᵀSA`, `A + Aᵀ`, and their inverses, powers and sums (the
/// `symmetric` flag of the analysis).
fn symmetric(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Transpose(a) = node else {
        return vec![];
    };
    if !eg[*a].data.symmetric || is_scalar(eg, *a) {
        return vec![];
    }
    propose(whole(node), p::c(*a))
}

/// The transpose taken out of a product, a sum or an inverse whose every
/// operand is a transpose (or symmetric): `Bᵀ Aᵀ = (A B)ᵀ`,
/// `Aᵀ + Bᵀ = (A + B)ᵀ`. One transpose instead of several.
fn transpose_pull(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    if is_scalar(eg, id) {
        return vec![];
    }
    let (ops, is_mul) = match node {
        Math::Mul(fs) => (fs, true),
        Math::Add(ts) => (ts, false),
        _ => return vec![],
    };
    let mut from = Vec::new();
    let mut inner = Vec::new();
    let mut transposed = 0;
    for &o in ops.iter() {
        match find_transpose(eg, o) {
            Some(b) => {
                transposed += 1;
                from.push(p::t(p::c(b)));
                inner.push(p::c(b));
            }
            None if eg[o].data.symmetric => {
                from.push(p::c(o));
                inner.push(p::c(o));
            }
            None => return vec![],
        }
    }
    if transposed < 2 {
        return vec![];
    }
    let to = if is_mul {
        inner.reverse();
        p::t(p::mul(inner))
    } else {
        p::t(p::add(inner))
    };
    propose(Pat::node(node.clone(), from), to)
}

/// The `B` of a class holding `Bᵀ`.
fn find_transpose(eg: &EG, id: Id) -> Option<Id> {
    super::find_node(eg, id, |n| match n {
        Math::Transpose(b) => Some(*b),
        _ => None,
    })
}

/// `tr(s A) = s tr(A)`, `tr(A / s) = tr(A) / s`, `tr(−A) = −tr(A)`,
/// `tr(Iₖ) = k` for a literal order k, `tr(𝟙 M) = sum(M)`, and the trace of
/// a scalar is the scalar.
fn trace_scalar(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::App(Func::Tr, [x]) = node else {
        return vec![];
    };
    if super::has_d(eg, *x) {
        return vec![];
    }
    let tr = |a: Pat| p::tr(a);
    let mut out = Vec::new();
    if is_scalar(eg, *x) {
        out.extend(propose(whole(node), p::c(*x)));
    }
    for inner in nodes(eg, *x) {
        let to = match *inner {
            Math::Scale([s, a]) if is_scalar(eg, s) => p::scale(p::c(s), tr(p::c(a))),
            Math::Div([a, s]) => p::div(tr(p::c(a)), p::c(s)),
            Math::Neg(a) => p::neg(tr(p::c(a))),
            // tr(𝟙 M) = tr(M 𝟙) = sum(M), for 𝟙 of the shape of Mᵀ
            Math::Mul(ref fs) if fs.len() == 2 => {
                let ones = |c: Id| {
                    super::find_node(eg, c, |n| matches!(n, Math::Ones(_)).then(|| whole(n)))
                };
                let (from, m) = match (ones(fs[0]), ones(fs[1])) {
                    (Some(o), _) => (p::mul(vec![o, p::c(fs[1])]), fs[1]),
                    (_, Some(o)) => (p::mul(vec![p::c(fs[0]), o]), fs[0]),
                    _ => continue,
                };
                out.extend(propose(
                    tr(from),
                    p::op1(Math::App(Func::Sum, [Id::from(0)]), p::c(m)),
                ));
                continue;
            }
            Math::Identity(d) => match super::find_node(eg, d, |n| match n {
                Math::Atom(crate::engine::lang::Atom::Lit(k)) => Some(*k),
                _ => None,
            }) {
                Some(k) => p::num(k as f64),
                None => continue,
            },
            _ => continue,
        };
        out.extend(propose(tr(whole(inner)), to));
    }
    out
}

/// A sign, a scalar multiple or a quotient inside a product goes in front:
/// `A (−B) = −(A B)`, `A (s B) = s (A B)`, `A (B / s) = (A B) / s`, and a
/// scalar factor of a product is a scalar multiple. (Products of scalars
/// themselves are the business of `scalar-factors`.)
fn signs(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::Mul(fs) = node else {
        return vec![];
    };
    let mut out = Vec::new();
    for (i, &f) in fs.iter().enumerate() {
        for inner in nodes(eg, f) {
            let rebuilt = |x: Pat| {
                p::mul(
                    fs.iter()
                        .enumerate()
                        .map(|(j, &g)| if i == j { x.clone() } else { p::c(g) })
                        .collect(),
                )
            };
            let to = match inner {
                Math::Neg(b) => p::neg(rebuilt(p::c(*b))),
                Math::Scale([s, b]) => p::scale(p::c(*s), rebuilt(p::c(*b))),
                Math::Div([b, s]) => p::div(rebuilt(p::c(*b)), p::c(*s)),
                _ if is_scalar(eg, f) && fs.len() > 1 => {
                    // A scalar factor of a product is a scalar multiple.
                    let rest: Vec<Pat> = fs
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, &g)| p::c(g))
                        .collect();
                    if rest
                        .iter()
                        .all(|r| matches!(r, Pat::Class(c) if is_scalar(eg, *c)))
                        && i == 0
                    {
                        continue;
                    }
                    p::scale(p::c(f), p::mul(rest))
                }
                _ => continue,
            };
            let mut kids: Vec<Pat> = fs.iter().map(|&g| p::c(g)).collect();
            kids[i] = whole(inner);
            out.push(Proposal {
                from: Pat::node(node.clone(), kids),
                to,
            });
        }
    }
    out
}

/// Whether `node` of class `id` has `id` among its operands (`A` holding
/// `A + B − B`, or `X⁻¹ X A` once that product is known to be `A`): a true
/// but useless equation that the rules leave alone, since rebuilding it
/// (transposing it, splicing it into a product) makes ever longer terms.
pub(super) fn contains_itself(eg: &EG, id: Id, node: &Math) -> bool {
    let id = eg.find(id);
    node.children().iter().any(|&c| eg.find(c) == id)
}

/// Whether a product `nested` in class `id` may stand for the class in
/// another product: not when the class is also a leaf, a power, an inverse
/// or a function value, since `X⁻¹ = X X⁻²` (true once known) spliced into
/// every product holding `X⁻¹` grows them without end; except the inverse
/// of a product written as the product of inverses, `(AB)⁻¹ = B⁻¹A⁻¹`
/// (or of their transposes, `(AB)⁻ᵀ = A⁻ᵀB⁻ᵀ`).
pub(super) fn spliceable(eg: &EG, id: Id, nested: &[Id]) -> bool {
    let inverse = |g: Id| eg[g].nodes.iter().any(|n| matches!(n, Math::Inv(_)));
    let inverse_or_transposed = |g: Id| {
        inverse(g)
            || eg[g]
                .nodes
                .iter()
                .any(|n| matches!(n, Math::Transpose(b) if inverse(*b)))
    };
    !atomic(eg, id, 2) || nested.iter().all(|&g| inverse_or_transposed(g))
}

/// Whether class `id` is a leaf, a power, an inverse, a function value, or
/// the transpose of one (looking `depth` transposes deep).
fn atomic(eg: &EG, id: Id, depth: usize) -> bool {
    eg[id].nodes.iter().any(|n| match n {
        Math::Atom(_)
        | Math::Identity(_)
        | Math::Inv(_)
        | Math::Pow(_)
        | Math::Ones(_)
        | Math::Zero(_)
        | Math::Num(_)
        | Math::App(..) => true,
        Math::Transpose(b) => depth > 0 && atomic(eg, *b, depth - 1),
        _ => false,
    })
}

/// The nodes of class `id` that do not contain their own class.
pub(super) fn nodes(eg: &EG, id: Id) -> impl Iterator<Item = &Math> {
    eg[id]
        .nodes
        .iter()
        .filter(move |n| !contains_itself(eg, id, n))
}

/// (A + B) + C = A + B + C and (AB)C = ABC, for nested nodes that contain
/// neither their own class nor the class of the parent.
fn flatten(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let id = eg.find(id);
    let (fs, is_mul) = match node {
        Math::Mul(fs) => (fs, true),
        Math::Add(ts) => (ts, false),
        _ => return vec![],
    };
    for (i, &f) in fs.iter().enumerate() {
        let fc = eg.find(f);
        for inner in nodes(eg, f) {
            let nested = match (inner, is_mul) {
                (Math::Mul(gs), true) | (Math::Add(gs), false) => gs,
                _ => continue,
            };
            if nested
                .iter()
                .any(|&g| matches!(eg.find(g), x if x == fc || x == id))
                || (is_mul && !spliceable(eg, f, nested))
            {
                continue;
            }
            let mut kids: Vec<Pat> = fs.iter().map(|&g| p::c(g)).collect();
            kids[i] = whole(inner);
            let mut flat: Vec<Pat> = fs[..i].iter().map(|&g| p::c(g)).collect();
            flat.extend(nested.iter().map(|&g| p::c(g)));
            flat.extend(fs[i + 1..].iter().map(|&g| p::c(g)));
            let to = if is_mul { p::mul(flat) } else { p::add(flat) };
            return vec![Proposal {
                from: Pat::node(node.clone(), kids),
                to,
            }];
        }
    }
    vec![]
}

/// An outer product `x yᵀ` of two columns in class `id`: the structure and
/// the classes of `x` and `y`.
fn outer(eg: &EG, id: Id) -> Option<(Pat, Id, Id)> {
    let column = |c: Id| shape(eg, c).is_some_and(|s| s.cols.is_one() && !s.rows.is_one());
    eg[id].nodes.iter().find_map(|n| match n {
        Math::Mul(fs) if fs.len() == 2 && column(fs[0]) => {
            let y = find_transpose(eg, fs[1]).filter(|&y| column(y))?;
            Some((p::mul(vec![p::c(fs[0]), p::t(p::c(y))]), fs[0], y))
        }
        _ => None,
    })
}

fn units(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let is = |c: Id, pred: fn(&Math) -> bool| eg[c].nodes.iter().any(pred);
    let identity = |n: &Math| matches!(n, Math::Identity(_));
    let zero = |n: &Math| matches!(n, Math::Zero(_)) || matches!(n, Math::Num(x) if x.0 == 0.0);
    let ones = |n: &Math| matches!(n, Math::Ones(_));
    match node {
        Math::Mul(fs) => {
            if fs.iter().any(|&f| is(f, zero))
                && let Some(s) = shape(eg, id)
            {
                return propose(whole(node), zero_of(eg, s));
            }
            let keep: Vec<Pat> = fs
                .iter()
                .filter(|&&f| !is(f, identity))
                .map(|&f| p::c(f))
                .collect();
            if keep.len() < fs.len() && !keep.is_empty() {
                return propose(whole(node), p::mul(keep));
            }
        }
        Math::Add(ts) => {
            let keep: Vec<Pat> = ts
                .iter()
                .filter(|&&t| !is(t, zero))
                .map(|&t| p::c(t))
                .collect();
            if keep.len() < ts.len() {
                let to = match (keep.is_empty(), shape(eg, id)) {
                    (true, Some(s)) => zero_of(eg, s),
                    (true, None) => return vec![],
                    _ => p::add(keep),
                };
                return propose(whole(node), to);
            }
        }
        Math::Had([a, b]) => {
            if is(*a, ones) {
                return propose(whole(node), p::c(*b));
            }
            if is(*b, ones) {
                return propose(whole(node), p::c(*a));
            }
            if (is(*a, zero) || is(*b, zero))
                && let Some(s) = shape(eg, id)
            {
                return propose(whole(node), zero_of(eg, s));
            }
        }
        // diag(x yᵀ) = x ⊙ y for columns x, y
        Math::App(Func::Diag, [a]) if let Some((from, x, y)) = outer(eg, *a) => {
            return propose(p::op1(node.clone(), from), p::had(p::c(x), p::c(y)));
        }
        // diag(𝟙ₙₓₙ) = diag(Iₙ) = 𝟙ₙ;  diag(𝟙ₙ) = Iₙ
        Math::App(Func::Diag, [a]) => {
            let Some(s) = shape(eg, *a) else {
                return vec![];
            };
            let inner = eg[*a]
                .nodes
                .iter()
                .find(|n| matches!(n, Math::Ones(_) | Math::Identity(_)));
            match inner {
                Some(n) if s.cols.is_one() && matches!(n, Math::Ones(_)) => {
                    return propose(
                        p::op1(node.clone(), whole(n)),
                        super::identity_of(eg, &s.rows),
                    );
                }
                Some(n) if !s.cols.is_one() => {
                    let v = crate::shape::Shape::new(s.rows.clone(), crate::shape::Dim::one());
                    return propose(p::op1(node.clone(), whole(n)), ones_of(eg, &v));
                }
                _ => {}
            }
        }
        Math::Neg(a) | Math::Scale([_, a]) if is(*a, zero) => {
            if let Some(s) = shape(eg, id) {
                return propose(whole(node), zero_of(eg, s));
            }
        }
        _ => {}
    }
    vec![]
}

fn factor(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::Add(ts) = node else { return vec![] };
    if ts.len() < 2 {
        return vec![];
    }
    let chains: Option<Vec<Vec<Id>>> = ts
        .iter()
        .map(|&t| chain_of(eg, t).filter(|fs| spliceable(eg, t, fs)))
        .collect();
    let Some(chains) = chains else { return vec![] };
    let mut out = Vec::new();
    // A common last factor: P₁ X + P₂ X = (P₁ + P₂) X
    let last = chains[0].last().map(|&x| eg.find(x));
    if chains.iter().all(|c| c.last().map(|&x| eg.find(x)) == last) {
        let x = last.expect("chains are nonempty");
        let from = Pat::node(
            node.clone(),
            chains
                .iter()
                .map(|c| p::mul(c.iter().map(|&f| p::c(f)).collect()))
                .collect(),
        );
        let prefixes = chains
            .iter()
            .map(|c| p::mul(c[..c.len() - 1].iter().map(|&f| p::c(f)).collect()))
            .collect();
        out.push(Proposal {
            from,
            to: p::mul(vec![p::add(prefixes), p::c(x)]),
        });
    }
    let first = chains[0].first().map(|&x| eg.find(x));
    if chains
        .iter()
        .all(|c| c.first().map(|&x| eg.find(x)) == first)
    {
        let x = first.expect("chains are nonempty");
        let from = Pat::node(
            node.clone(),
            chains
                .iter()
                .map(|c| p::mul(c.iter().map(|&f| p::c(f)).collect()))
                .collect(),
        );
        let suffixes = chains
            .iter()
            .map(|c| p::mul(c[1..].iter().map(|&f| p::c(f)).collect()))
            .collect();
        out.push(Proposal {
            from,
            to: p::mul(vec![p::c(x), p::add(suffixes)]),
        });
    }
    out
}
