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
    chain_of, find_node, is_scalar, num, ones_of, shape, transpose_chain, transpose_of, zero_of,
};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, Rule, p};
use crate::term::Func;

/// The rule table of the simplification stage.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { id: "transpose-push", name: "transpose rules",          f: transpose_push },
    Rule { id: "symmetric",      name: "Aᵀ = A for symmetric A",   f: symmetric },
    Rule { id: "signs",          name: "signs and scalar factors", f: signs },
    Rule { id: "flatten",        name: "associativity",            f: flatten },
    Rule { id: "units",          name: "identity, ones and zeros", f: units },
    Rule { id: "like-terms",     name: "collect like terms",       f: like_terms },
    Rule { id: "factor",         name: "take out a common factor", f: factor },
    Rule { id: "power",          name: "powers",                   f: power },
    Rule { id: "rank-one-hadamard", name: "A ⊙ (𝟙 rᵀ) = A diag(r)",    f: super::softmax::rank_one_hadamard },
    Rule { id: "softmax-form",   name: "softmax and log-sum-exp",  f: super::softmax::recognise },
    Rule { id: "factor-signed",  name: "take out a common factor", f: super::softmax::factor_signed },
    Rule { id: "negate-sum",     name: "−(A − B) = B − A",         f: super::softmax::negate_sum },
    Rule { id: "transpose-along", name: "softmax(Aᵀ)ᵀ is along the other axis", f: super::softmax::transpose_along },
];

fn whole(n: &Math) -> Pat {
    Pat::node(n.clone(), n.children().iter().map(|&c| p::c(c)).collect())
}

fn propose(from: Pat, to: Pat) -> Vec<Proposal> {
    vec![Proposal { from, to }]
}

fn transpose_push(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
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
    for inner in &eg[*a].nodes {
        let (from, to) = match inner {
            Math::Transpose(b) => (whole(inner), p::c(*b)),
            Math::Mul(fs) => {
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

fn symmetric(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Transpose(a) = node else {
        return vec![];
    };
    let Some(v) = super::var_of(eg, *a) else {
        return vec![];
    };
    let ctx = &eg.analysis.ctx;
    if ctx.var_name(v).is_some_and(|n| ctx.env.is_symmetric(n)) {
        return propose(p::t(p::atom(v)), p::atom(v));
    }
    // (A⁻¹)ᵀ = A⁻¹ for symmetric A
    if let Some(b) = find_node(eg, *a, |n| match n {
        Math::Inv(b) => Some(*b),
        _ => None,
    }) && let Some(v) = super::var_of(eg, b)
        && ctx.var_name(v).is_some_and(|n| ctx.env.is_symmetric(n))
    {
        return propose(p::t(p::inv(p::atom(v))), p::inv(p::atom(v)));
    }
    vec![]
}

fn signs(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let mut out = Vec::new();
    match node {
        Math::Neg(a) => {
            for inner in &eg[*a].nodes {
                match inner {
                    Math::Neg(b) => out.push(Proposal {
                        from: p::neg(whole(inner)),
                        to: p::c(*b),
                    }),
                    Math::Num(n) => out.push(Proposal {
                        from: p::neg(whole(inner)),
                        to: p::num(-n.0),
                    }),
                    _ => {}
                }
            }
        }
        Math::Scale([s, a]) => {
            // c (1 / s) = c / s, for a scalar c
            if is_scalar(eg, *s) {
                for inner in &eg[*a].nodes {
                    if let Math::Div([one, d]) = inner
                        && num(eg, *one) == Some(1.0)
                    {
                        out.push(Proposal {
                            from: p::scale(p::c(*s), whole(inner)),
                            to: p::div(p::c(*s), p::c(*d)),
                        });
                    }
                }
            }
            match num(eg, *s) {
                Some(1.0) => out.push(Proposal {
                    from: whole(node),
                    to: p::c(*a),
                }),
                Some(-1.0) => out.push(Proposal {
                    from: whole(node),
                    to: p::neg(p::c(*a)),
                }),
                Some(v) if v < 0.0 => out.push(Proposal {
                    from: whole(node),
                    to: p::neg(p::scale(p::num(-v), p::c(*a))),
                }),
                Some(0.0) => {
                    if let Some(sh) = shape(eg, id) {
                        out.push(Proposal {
                            from: whole(node),
                            to: zero_of(eg, sh),
                        });
                    }
                }
                _ => {}
            }
            // Numbers of two scalar factors multiply; a number goes in front.
            // Not through a class that holds this node (`0 = 2·0`): each
            // pass would add another product (2·2·0, 4·4·0, …) forever.
            let through_itself = contains_itself(eg, id, node);
            for inner in eg[*a].nodes.iter().filter(|_| !through_itself) {
                match inner {
                    Math::Scale([t, b]) => match (num(eg, *s), num(eg, *t)) {
                        (Some(x), Some(y)) => out.push(Proposal {
                            from: p::scale(p::c(*s), whole(inner)),
                            to: p::scale(p::num(x * y), p::c(*b)),
                        }),
                        (None, Some(_)) => out.push(Proposal {
                            from: p::scale(p::c(*s), whole(inner)),
                            to: p::scale(p::c(*t), p::scale(p::c(*s), p::c(*b))),
                        }),
                        _ => {}
                    },
                    Math::Neg(b) => out.push(Proposal {
                        from: p::scale(p::c(*s), whole(inner)),
                        to: p::neg(p::scale(p::c(*s), p::c(*b))),
                    }),
                    _ => {}
                }
            }
            // A scalar variable times a number: the number goes in front.
            if is_scalar(eg, *a) && num(eg, *a).is_some() && num(eg, *s).is_none() {
                out.push(Proposal {
                    from: whole(node),
                    to: p::scale(p::c(*a), p::c(*s)),
                });
            }
        }
        Math::Mul(fs) => {
            for (i, &f) in fs.iter().enumerate() {
                for inner in &eg[f].nodes {
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
        }
        Math::Had([a, b]) if is_scalar(eg, id) => {
            out.push(Proposal {
                from: whole(node),
                to: p::scale(p::c(*a), p::c(*b)),
            });
        }
        Math::Div([a, s]) => {
            if num(eg, *s) == Some(1.0) {
                out.push(Proposal {
                    from: whole(node),
                    to: p::c(*a),
                });
            }
            for inner in &eg[*a].nodes {
                if let Math::Neg(b) = inner {
                    out.push(Proposal {
                        from: p::div(whole(inner), p::c(*s)),
                        to: p::neg(p::div(p::c(*b), p::c(*s))),
                    });
                }
            }
        }
        _ => {}
    }
    out
}

/// Whether `node` of class `id` has `id` among its operands (`A` holding
/// `A + B − B`): a true but useless equation that the rules below leave alone.
pub(super) fn contains_itself(eg: &EG, id: Id, node: &Math) -> bool {
    let id = eg.find(id);
    node.children().iter().any(|&c| eg.find(c) == id)
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
        for inner in &eg[f].nodes {
            let nested = match (inner, is_mul) {
                (Math::Mul(gs), true) | (Math::Add(gs), false) => gs,
                _ => continue,
            };
            if nested
                .iter()
                .any(|&g| matches!(eg.find(g), x if x == fc || x == id))
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

/// A term as (numeric coefficient, base class): `3 A` is (3, A), `−A` is
/// (−1, A). On a cycle (`A` and `−(−A)` in one class) the base is the class
/// of the cycle with the smallest id, so that every term of the cycle names
/// the same base.
fn coefficient(eg: &EG, id: Id) -> (f64, Id) {
    let mut path: Vec<(Id, f64)> = Vec::new();
    let (mut at, mut c) = (eg.find(id), 1.0);
    loop {
        if let Some(i) = path.iter().position(|(x, _)| *x == at) {
            let &(base, k) = path[i..]
                .iter()
                .min_by_key(|(x, _)| *x)
                .expect("a cycle has a class");
            return (k, base);
        }
        path.push((at, c));
        let step = eg[at].nodes.iter().find_map(|n| match n {
            Math::Neg(a) => Some((-1.0, *a)),
            Math::Scale([s, a]) => num(eg, *s).map(|v| (v, *a)),
            _ => None,
        });
        match step {
            Some((k, next)) if path.len() < 64 => {
                c *= k;
                at = eg.find(next);
            }
            _ => return (c, at),
        }
    }
}

/// 2A + 3A = 5A, A − A = 0.
fn like_terms(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Math::Add(ts) = node else { return vec![] };
    let terms: Vec<(f64, Id)> = ts.iter().map(|&t| coefficient(eg, t)).collect();
    let mut bases: Vec<(Id, f64)> = Vec::new();
    for &(c, b) in &terms {
        match bases.iter_mut().find(|(x, _)| *x == b) {
            Some((_, acc)) => *acc += c,
            None => bases.push((b, c)),
        }
    }
    if bases.len() == terms.len() {
        return vec![];
    }
    let parts: Vec<Pat> = bases
        .into_iter()
        .filter(|&(_, c)| c != 0.0)
        .map(|(b, c)| match c {
            1.0 => p::c(b),
            -1.0 => p::neg(p::c(b)),
            c if c < 0.0 => p::neg(p::scale(p::num(-c), p::c(b))),
            c => p::scale(p::num(c), p::c(b)),
        })
        .collect();
    let to = if parts.is_empty() {
        match shape(eg, id) {
            Some(s) => zero_of(eg, s),
            None => return vec![],
        }
    } else {
        p::add(parts)
    };
    vec![Proposal {
        from: whole(node),
        to,
    }]
}

fn factor(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Add(ts) = node else { return vec![] };
    if ts.len() < 2 {
        return vec![];
    }
    let chains: Option<Vec<Vec<Id>>> = ts.iter().map(|&t| chain_of(eg, t)).collect();
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

fn power(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Mul(fs) = node else { return vec![] };
    let mut i = 0;
    while i < fs.len() {
        let mut j = i + 1;
        while j < fs.len() && eg.find(fs[j]) == eg.find(fs[i]) {
            j += 1;
        }
        if j - i >= 2 {
            let mut to: Vec<Pat> = fs[..i].iter().map(|&f| p::c(f)).collect();
            to.push(p::pow(p::c(fs[i]), (j - i) as i64));
            to.extend(fs[j..].iter().map(|&f| p::c(f)));
            return propose(whole(node), p::mul(to));
        }
        i = j;
    }
    vec![]
}
