//! The identification stage: rules that bring a differential `dL`, linear in
//! `dV`, to the form `tr(Aᵀ dV)`, from which `∂L/∂V = A` is read off.
//!
//! # Growth law (measured, `matdiff grad … --stats`; see BENCHMARKS.md)
//!
//! Products are n-ary, and every rule is conditioned on the differential: it
//! fires only on the part of a term that contains `dV`, and it moves `dV`
//! toward one place (the last factor of a trace). The cyclic rule adds the
//! one rotation that puts the `dV` factor last, not all k rotations. So a
//! trace of k factors adds O(1) e-nodes per rule, and a term with t summands
//! adds O(t) e-nodes: the e-graph grows linearly in the size of the
//! differential. Binary associativity with free rotation, by contrast, grew to
//! 402k e-nodes for a 50-factor trace.
//!
//! Measured (`cargo run --release --example growth`, all stages of one
//! derivation): `tr(A1 … An X)` by X for n = 8, 32, 128, 256 takes 57, 177,
//! 657, 1,297 e-nodes (fitted exponent 0.90); a network of 1, 4, 16, 64 tanh
//! layers, every gradient, 55, 337, 1,465, 5,977 e-nodes (exponent 1.12).

use egg::{Id, Language};

use super::{
    chain_of, find_node, has_d, identity_of, is_scalar, ones_of, shape, transpose_chain,
    transpose_of,
};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, Rule, p};
use crate::term::Func;

/// The rule table of the identification stage.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { id: "associativity",    name: "associativity",                  f: associativity },
    Rule { id: "trace-linear",     name: "linearity of the trace",         f: trace_linear },
    Rule { id: "distribute",       name: "distributivity",                 f: distribute },
    Rule { id: "scalar-product",   name: "product of scalars",             f: scalar_product },
    Rule { id: "scalar-trace",     name: "a scalar equals its trace",      f: scalar_trace },
    Rule { id: "sum-trace",        name: "sum of entries as a trace",      f: sum_trace },
    Rule { id: "trace-cyclic",     name: "cyclic property of the trace",   f: trace_cyclic },
    Rule { id: "trace-transpose",  name: "transpose of a scalar",          f: trace_transpose },
    Rule { id: "hadamard-adjoint", name: "tr(Aᵀ(B ⊙ C)) = tr((A ⊙ B)ᵀ C)", f: hadamard_adjoint },
    Rule { id: "diag-adjoint",     name: "tr(P diag(x)) = tr(diag(P)ᵀ x)", f: diag_adjoint },
    Rule { id: "identify-product", name: "transpose of a product",         f: identify_product },
    Rule { id: "identify-single",  name: "A = (Aᵀ)ᵀ",                      f: identify_single },
    Rule { id: "scalar-quotient",  name: "a scalar equals its trace",      f: scalar_quotient },
    Rule { id: "collect",          name: "linearity of the trace",         f: collect },
];

fn kids(n: &Math) -> Vec<Pat> {
    n.children().iter().map(|&c| p::c(c)).collect()
}

fn whole(n: &Math) -> Pat {
    Pat::node(n.clone(), kids(n))
}

/// The factors of a class as a product: a class holding a chain is spliced
/// in, so that rewritten traces stay flat.
fn factors(eg: &EG, id: Id) -> (Pat, Vec<Pat>) {
    match chain_of(eg, id) {
        Some(fs) if has_d(eg, id) => (
            p::mul(fs.iter().map(|&f| p::c(f)).collect()),
            fs.into_iter().map(p::c).collect(),
        ),
        _ => (p::c(id), vec![p::c(id)]),
    }
}

/// Proposals for each node `inner` of the class under a `tr(·)` node with a differential.
fn under_tr(eg: &EG, node: &Math, f: impl Fn(Id, &Math) -> Option<Pat>) -> Vec<Proposal> {
    let Math::App(Func::Tr, [x]) = node else {
        return vec![];
    };
    if !has_d(eg, *x) {
        return vec![];
    }
    eg[*x]
        .nodes
        .iter()
        .filter_map(|inner| {
            let to = f(*x, inner)?;
            Some(Proposal {
                from: p::tr(whole(inner)),
                to,
            })
        })
        .collect()
}

/// `P (Q R) S = P Q R S` for a factor holding the differential: keeps the
/// chain that the cyclic rule rotates flat. Invisible in the printed steps.
fn associativity(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Mul(fs) = node else { return vec![] };
    let Some(i) = d_factor(eg, fs) else {
        return vec![];
    };
    let Some(inner) = chain_of(eg, fs[i]) else {
        return vec![];
    };
    let mut from: Vec<Pat> = fs.iter().map(|&f| p::c(f)).collect();
    from[i] = p::mul(inner.iter().map(|&f| p::c(f)).collect());
    let mut to: Vec<Pat> = fs[..i].iter().map(|&f| p::c(f)).collect();
    to.extend(inner.iter().map(|&f| p::c(f)));
    to.extend(fs[i + 1..].iter().map(|&f| p::c(f)));
    // `from` is built as a node so that the nested product is not spliced.
    vec![Proposal {
        from: Pat::node(node.clone(), from),
        to: p::mul(to),
    }]
}

fn trace_linear(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_tr(eg, node, |_, inner| match inner {
        Math::Add(ts) => Some(p::add(ts.iter().map(|&t| p::tr(p::c(t))).collect())),
        Math::Neg(y) => Some(p::neg(p::tr(p::c(*y)))),
        Math::Scale([s, y]) if !has_d(eg, *s) => Some(p::scale(p::c(*s), p::tr(p::c(*y)))),
        Math::Scale([s, y]) if !has_d(eg, *y) => Some(p::scale(p::tr(p::c(*y)), p::c(*s))),
        Math::Div([y, s]) if !has_d(eg, *s) => Some(p::div(p::tr(p::c(*y)), p::c(*s))),
        // The trace of a scalar is the scalar.
        Math::App(Func::Tr, [y]) => Some(p::tr(p::c(*y))),
        _ => None,
    })
}

/// Replaces factor `i` of `fs` by `with`.
fn replace(fs: &[Id], i: usize, with: Pat) -> Vec<Pat> {
    fs.iter()
        .enumerate()
        .map(|(j, &f)| if i == j { with.clone() } else { p::c(f) })
        .collect()
}

/// Rebuilds an operator around a new operand.
type Rebuild = Box<dyn Fn(Pat) -> Pat>;

fn distribute(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let mut out = Vec::new();
    // Each operator that is linear in one operand, and how to rebuild it.
    let linear_slots: Vec<(usize, Rebuild)> = match node {
        Math::Mul(fs) => (0..fs.len())
            .filter(|&i| has_d(eg, fs[i]))
            .map(|i| {
                let fs = fs.clone();
                (
                    i,
                    Box::new(move |x: Pat| p::mul(replace(&fs, i, x))) as Box<dyn Fn(Pat) -> Pat>,
                )
            })
            .collect(),
        Math::Had([a, b]) => {
            let (a, b) = (*a, *b);
            let mut v: Vec<(usize, Rebuild)> = Vec::new();
            if has_d(eg, a) {
                v.push((0, Box::new(move |x| p::had(x, p::c(b)))));
            }
            if has_d(eg, b) {
                v.push((1, Box::new(move |x| p::had(p::c(a), x))));
            }
            v
        }
        Math::EDiv([a, b]) if has_d(eg, *a) && !has_d(eg, *b) => {
            let b = *b;
            vec![(0, Box::new(move |x| p::ediv(x, p::c(b))))]
        }
        Math::Transpose(a) if has_d(eg, *a) => vec![(0, Box::new(p::t))],
        _ => vec![],
    };
    for (slot, rebuild) in linear_slots {
        let child = node.children()[slot];
        for inner in &eg[child].nodes {
            let to = match inner {
                Math::Add(ts) => p::add(ts.iter().map(|&t| rebuild(p::c(t))).collect()),
                Math::Neg(y) => p::neg(rebuild(p::c(*y))),
                // A scalar factor commutes with everything.
                Math::Scale([s, y]) => p::scale(p::c(*s), rebuild(p::c(*y))),
                Math::Div([y, s]) if !has_d(eg, *s) => p::div(rebuild(p::c(*y)), p::c(*s)),
                _ => continue,
            };
            let mut from_kids = kids(node);
            from_kids[slot] = whole(inner);
            out.push(Proposal {
                from: Pat::node(node.clone(), from_kids),
                to,
            });
        }
    }
    out
}

/// A 1×1 product holding the differential, where it stands as a scalar (a
/// term of a sum, under a sign or a scalar factor), is its own trace:
/// `aᵀ dX b = tr(aᵀ dX b)`. The rule rewrites the parent, so that no class
/// contains its own trace.
fn scalar_trace(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let bare = |c: Id| -> Option<Pat> {
        if !has_d(eg, c) || !is_scalar(eg, c) {
            return None;
        }
        let has_trace = eg[c]
            .nodes
            .iter()
            .any(|n| matches!(n, Math::App(Func::Tr, [_]) | Math::Scale(_) | Math::Neg(_)));
        if has_trace {
            return None;
        }
        find_node(eg, c, |n| matches!(n, Math::Mul(_)).then(|| whole(n)))
    };
    let slots: Vec<usize> = match node {
        Math::Add(_) => (0..node.children().len()).collect(),
        Math::Neg(_) => vec![0],
        Math::Scale(_) | Math::Div(_) => vec![if matches!(node, Math::Scale(_)) { 1 } else { 0 }],
        _ => vec![],
    };
    let kids = node.children();
    let mut from: Vec<Pat> = kids.iter().map(|&c| p::c(c)).collect();
    let mut to = from.clone();
    let mut any = false;
    for i in slots {
        if let Some(m) = bare(kids[i]) {
            from[i] = m.clone();
            to[i] = p::tr(m);
            any = true;
        }
    }
    if !any {
        return vec![];
    }
    vec![Proposal {
        from: Pat::node(node.clone(), from),
        to: Pat::node(node.clone(), to),
    }]
}

/// A Hadamard product of scalars is their product.
fn scalar_product(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if !has_d(eg, id) || !is_scalar(eg, id) {
        return vec![];
    }
    match node {
        Math::Had([a, b]) if has_d(eg, *b) && !has_d(eg, *a) => {
            vec![Proposal {
                from: whole(node),
                to: p::scale(p::c(*a), p::c(*b)),
            }]
        }
        Math::Had([a, b]) if has_d(eg, *a) && !has_d(eg, *b) => {
            vec![Proposal {
                from: whole(node),
                to: p::scale(p::c(*b), p::c(*a)),
            }]
        }
        // c (y / s) = (c / s) y for scalars, so that the differential in
        // `y` stands alone: −tr(X) (dα / α²) = −(tr(X) / α²) dα.
        Math::Scale([c, q]) if !has_d(eg, *c) && is_scalar(eg, *c) && has_d(eg, *q) => eg[*q]
            .nodes
            .iter()
            .filter_map(|n| match n {
                Math::Div([y, s]) if has_d(eg, *y) && !has_d(eg, *s) => Some(Proposal {
                    from: p::scale(p::c(*c), whole(n)),
                    to: p::scale(p::div(p::c(*c), p::c(*s)), p::c(*y)),
                }),
                _ => None,
            })
            .collect(),
        // Scalars commute: the coefficient goes in front, tr(dX) c = c tr(dX).
        Math::Scale([a, b]) if has_d(eg, *a) && !has_d(eg, *b) && is_scalar(eg, *b) => {
            vec![Proposal {
                from: whole(node),
                to: p::scale(p::c(*b), p::c(*a)),
            }]
        }
        _ => vec![],
    }
}

fn sum_trace(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::App(Func::Sum, [x]) = node else {
        return vec![];
    };
    if !has_d(eg, *x) {
        return vec![];
    }
    let Some(s) = shape(eg, *x) else {
        return vec![];
    };
    // Σᵢⱼ Xᵢⱼ = tr(𝟙ᵀ X)
    let (from, xs) = factors(eg, *x);
    let mut fs = vec![p::t(ones_of(eg, s))];
    fs.extend(xs);
    vec![Proposal {
        from: p::op1(Math::App(Func::Sum, [Id::from(0)]), from),
        to: p::tr(p::mul(fs)),
    }]
}

/// The index of the one factor that holds the differential.
fn d_factor(eg: &EG, fs: &[Id]) -> Option<usize> {
    let mut it = (0..fs.len()).filter(|&i| has_d(eg, fs[i]));
    let i = it.next()?;
    it.next().is_none().then_some(i)
}

fn trace_cyclic(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_tr(eg, node, |_, inner| {
        let Math::Mul(fs) = inner else { return None };
        let i = d_factor(eg, fs)?;
        if i + 1 == fs.len() {
            return None;
        }
        let rotated = fs[i + 1..]
            .iter()
            .chain(&fs[..=i])
            .map(|&f| p::c(f))
            .collect();
        Some(p::tr(p::mul(rotated)))
    })
}

fn transposed_inner(eg: &EG, id: Id) -> Option<Id> {
    find_node(eg, id, |n| match n {
        Math::Transpose(y) if has_d(eg, *y) => Some(*y),
        _ => None,
    })
}

fn trace_transpose(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::App(Func::Tr, [x]) = node else {
        return vec![];
    };
    if !has_d(eg, *x) {
        return vec![];
    }
    let mut out = Vec::new();
    for inner in &eg[*x].nodes {
        match inner {
            // tr(Yᵀ) = tr(Y)
            Math::Transpose(y) if has_d(eg, *y) => {
                let (fy, ty) = factors(eg, *y);
                out.push(Proposal {
                    from: p::tr(p::t(fy)),
                    to: p::tr(p::mul(ty)),
                });
            }
            // tr(P Yᵀ) = tr((P Yᵀ)ᵀ) = tr(Y Pᵀ)
            Math::Mul(fs) => {
                let last = *fs.last().expect("a product has factors");
                let Some(y) = transposed_inner(eg, last) else {
                    continue;
                };
                if d_factor(eg, fs) != Some(fs.len() - 1) {
                    continue;
                }
                let (mut from_kids, pt) = transpose_chain(eg, &fs[..fs.len() - 1]);
                let (fy, mut to) = factors(eg, y);
                from_kids.push(p::t(fy));
                to.push(pt);
                out.push(Proposal {
                    from: p::tr(p::mul(from_kids)),
                    to: p::tr(p::mul(to)),
                });
            }
            _ => {}
        }
    }
    out
}

fn hadamard_adjoint(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::App(Func::Tr, [x]) = node else {
        return vec![];
    };
    if !has_d(eg, *x) {
        return vec![];
    }
    let mut out = Vec::new();
    for inner in &eg[*x].nodes {
        // The product P (B ⊙ E), or B ⊙ E alone, where P is the identity:
        // tr(B ⊙ E) = Σᵢ Bᵢᵢ Eᵢᵢ = tr((I ⊙ B)ᵀ E), as for tr(f(X)), whose
        // differential is tr(f′(X) ⊙ dX) (Matrix Cookbook (524)-style:
        // ∂ tr(f(X))/∂X = I ⊙ f′(X), the diagonal of f′(X)).
        let (prefix_from, pt, last, alone) = match inner {
            Math::Mul(fs) => {
                let last = *fs.last().expect("a product has factors");
                if d_factor(eg, fs) != Some(fs.len() - 1) {
                    continue;
                }
                let (prefix_from, pt) = transpose_chain(eg, &fs[..fs.len() - 1]);
                (prefix_from, pt, last, false)
            }
            Math::Had(_) | Math::EDiv(_) => {
                let Some(s) = shape(eg, *x) else { continue };
                if !s.is_square() {
                    continue;
                }
                (Vec::new(), identity_of(eg, &s.rows), *x, true)
            }
            _ => continue,
        };
        for h in &eg[last].nodes {
            if alone && h != inner {
                continue;
            }
            // tr(P (B ⊙ E)) = tr((Pᵀ ⊙ B)ᵀ E);  tr(P (E ./ B)) = tr((Pᵀ ./ B)ᵀ E)
            let (e, from_h, coef) = match h {
                Math::Had([a, b]) if has_d(eg, *b) && !has_d(eg, *a) => {
                    let (fe, _) = factors(eg, *b);
                    (*b, p::had(p::c(*a), fe), p::had(pt.clone(), p::c(*a)))
                }
                Math::Had([a, b]) if has_d(eg, *a) && !has_d(eg, *b) => {
                    let (fe, _) = factors(eg, *a);
                    (*a, p::had(fe, p::c(*b)), p::had(pt.clone(), p::c(*b)))
                }
                Math::EDiv([a, b]) if has_d(eg, *a) && !has_d(eg, *b) => {
                    let (fe, _) = factors(eg, *a);
                    (*a, p::ediv(fe, p::c(*b)), p::ediv(pt.clone(), p::c(*b)))
                }
                _ => continue,
            };
            let from = if alone {
                from_h
            } else {
                let mut from_kids = prefix_from.clone();
                from_kids.push(from_h);
                p::mul(from_kids)
            };
            let mut to = vec![p::t(coef)];
            to.extend(factors(eg, e).1);
            out.push(Proposal {
                from: p::tr(from),
                to: p::tr(p::mul(to)),
            });
        }
    }
    out
}

fn diag_adjoint(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::App(Func::Tr, [x]) = node else {
        return vec![];
    };
    if !has_d(eg, *x) {
        return vec![];
    }
    let mut out = Vec::new();
    for inner in &eg[*x].nodes {
        // tr(diag(e)) alone, for a vector e: Σᵢ eᵢ = tr(𝟙ᵀ e).
        if let Math::App(Func::Diag, [e]) = inner
            && let Some(es) = shape(eg, *e)
            && es.cols.is_one()
        {
            let (from_e, to_e) = factors(eg, *e);
            let mut to = vec![p::t(ones_of(eg, es))];
            to.extend(to_e);
            out.push(Proposal {
                from: p::tr(p::op1(inner.clone(), from_e)),
                to: p::tr(p::mul(to)),
            });
            continue;
        }
        let (prefix, last): (&[Id], Id) = match inner {
            Math::Mul(fs) if d_factor(eg, fs) == Some(fs.len() - 1) => {
                (&fs[..fs.len() - 1], fs[fs.len() - 1])
            }
            _ => continue,
        };
        for m in &eg[last].nodes {
            let Math::App(Func::Diag, [e]) = m else {
                continue;
            };
            let Some(es) = shape(eg, *e) else { continue };
            let pre: Vec<Pat> = prefix.iter().map(|&f| p::c(f)).collect();
            let diag = |x: Pat| p::op1(Math::App(Func::Diag, [Id::from(0)]), x);
            // Σᵢ Pᵢᵢ eᵢ = diag(P)ᵀ e for a vector e (diag(e) is n×n);
            // Σᵢ pᵢ Eᵢᵢ = tr(diag(pᵀ)ᵀ E) for a matrix E (diag(E) is n×1, p is 1×n).
            let coef = if es.cols.is_one() {
                diag(p::mul(pre.clone()))
            } else {
                diag(p::t(p::mul(pre.clone())))
            };
            let mut from = pre;
            from.push(p::op1(m.clone(), factors(eg, *e).0));
            let mut to = vec![p::t(coef)];
            to.extend(factors(eg, *e).1);
            out.push(Proposal {
                from: p::tr(p::mul(from)),
                to: p::tr(p::mul(to)),
            });
        }
    }
    out
}

/// The variable `V` of a class holding `dV`.
fn d_var(eg: &EG, id: Id) -> Option<Id> {
    find_node(eg, id, |n| match n {
        Math::D(v) if super::var_of(eg, *v).is_some() => Some(*v),
        _ => None,
    })
}

fn identify_product(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_tr_exact(eg, node, |_, inner| {
        let Math::Mul(fs) = inner else { return None };
        let (last, prefix) = fs.split_last()?;
        let v = d_var(eg, *last)?;
        if prefix.len() < 2 || prefix.iter().any(|&f| has_d(eg, f)) {
            return None;
        }
        // tr(P dV) = tr((Pᵀ)ᵀ dV), with Pᵀ = Pₖᵀ … P₁ᵀ
        let (mut from, pt) = transpose_chain(eg, prefix);
        from.push(p::d(p::c(v)));
        Some((
            p::tr(p::mul(from)),
            p::tr(p::mul(vec![p::t(pt), p::d(p::c(v))])),
        ))
    })
}

/// Like `under_tr`, for rules that report the whole matched structure themselves.
fn under_tr_exact(
    eg: &EG,
    node: &Math,
    f: impl Fn(Id, &Math) -> Option<(Pat, Pat)>,
) -> Vec<Proposal> {
    let Math::App(Func::Tr, [x]) = node else {
        return vec![];
    };
    if !has_d(eg, *x) {
        return vec![];
    }
    eg[*x]
        .nodes
        .iter()
        .filter_map(|inner| f(*x, inner).map(|(from, to)| Proposal { from, to }))
        .collect()
}

/// dα / s = tr((1 / s)ᵀ dα) for a scalar variable α.
fn scalar_quotient(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    match node {
        Math::Div([dv, s]) if !has_d(eg, *s) && is_scalar(eg, *dv) => d_var(eg, *dv)
            .map(|v| Proposal {
                from: p::div(p::d(p::c(v)), p::c(*s)),
                to: p::tr(p::mul(vec![
                    p::t(p::div(p::num(1.0), p::c(*s))),
                    p::d(p::c(v)),
                ])),
            })
            .into_iter()
            .collect(),
        _ => vec![],
    }
}

fn identify_single(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let mut out = under_tr_exact(eg, node, |x, inner| match inner {
        Math::Mul(fs) if fs.len() == 2 => {
            let v = d_var(eg, fs[1])?;
            if has_d(eg, fs[0])
                || find_node(eg, fs[0], |n| matches!(n, Math::Transpose(_)).then_some(())).is_some()
            {
                return None;
            }
            let (f0, t0) = transpose_of(eg, fs[0]);
            let dv = p::d(p::c(v));
            Some((
                p::tr(p::mul(vec![f0, dv.clone()])),
                p::tr(p::mul(vec![p::t(t0), dv])),
            ))
        }
        // tr(dV) = tr(Iᵀ dV)
        Math::D(v) if super::var_of(eg, *v).is_some() && !is_scalar(eg, x) => {
            let s = shape(eg, x)?;
            let dv = p::d(p::c(*v));
            Some((
                p::tr(dv.clone()),
                p::tr(p::mul(vec![p::t(identity_of(eg, &s.rows)), dv])),
            ))
        }
        _ => None,
    });
    // c · dα = tr(cᵀ dα) for a scalar variable α
    if let Math::Scale([a, b]) = node {
        for (c, dv) in [(*a, *b), (*b, *a)] {
            // Only a scalar coefficient: a matrix times dα is a matrix, whose
            // trace the linearity rule takes first.
            if has_d(eg, c) || !is_scalar(eg, dv) || !is_scalar(eg, c) {
                continue;
            }
            let Some(v) = d_var(eg, dv) else { continue };
            let from = if c == *a {
                p::scale(p::c(c), p::d(p::c(v)))
            } else {
                p::scale(p::d(p::c(v)), p::c(c))
            };
            out.push(Proposal {
                from,
                to: p::tr(p::mul(vec![p::t(p::c(c)), p::d(p::c(v))])),
            });
        }
    }
    out
}

/// The scalar variable `α` of a class that is a bare `dα`.
fn bare_d(eg: &EG, id: Id) -> Option<Id> {
    if !is_scalar(eg, id) {
        return None;
    }
    eg[id].nodes.iter().find_map(|n| match n {
        Math::D(v) if super::var_of(eg, *v).is_some() => Some(*v),
        _ => None,
    })
}

/// A class in identification form `tr(Aᵀ dV)`, possibly under a sign or a
/// scalar factor: the weighted `A` and the class of `dV`.
fn identified(eg: &EG, id: Id, depth: usize) -> Option<(Pat, Pat, Id)> {
    if depth > 8 {
        return None;
    }
    for n in &eg[id].nodes {
        let found = match n {
            Math::App(Func::Tr, [x]) => eg[*x].nodes.iter().find_map(|m| match m {
                Math::Mul(fs) if fs.len() == 2 => {
                    let a = find_node(eg, fs[0], |k| match k {
                        Math::Transpose(a) if !has_d(eg, *a) => Some(*a),
                        _ => None,
                    })?;
                    let v = d_var(eg, fs[1])?;
                    let from = p::tr(p::mul(vec![p::t(p::c(a)), p::d(p::c(v))]));
                    Some((from, p::c(a), v))
                }
                _ => None,
            }),
            // A bare dα of a scalar variable (a summand, under a sign): tr(1ᵀ dα).
            Math::D(v) if bare_d(eg, id).is_some() => Some((p::d(p::c(*v)), p::num(1.0), *v)),
            Math::Neg(y) => {
                identified(eg, *y, depth + 1).map(|(f, a, v)| (p::neg(f), p::neg(a), v))
            }
            // c dα and dα / c: the coefficient itself, not c · 1.
            Math::Scale([s, y]) if !has_d(eg, *s) && bare_d(eg, *y).is_some() => {
                let v = bare_d(eg, *y)?;
                Some((p::scale(p::c(*s), p::d(p::c(v))), p::c(*s), v))
            }
            Math::Div([y, s]) if !has_d(eg, *s) && bare_d(eg, *y).is_some() => {
                let v = bare_d(eg, *y)?;
                let a = p::div(p::num(1.0), p::c(*s));
                Some((p::div(p::d(p::c(v)), p::c(*s)), a, v))
            }
            Math::Scale([s, y]) if !has_d(eg, *s) => identified(eg, *y, depth + 1)
                .map(|(f, a, v)| (p::scale(p::c(*s), f), p::scale(p::c(*s), a), v)),
            Math::Div([y, s]) if !has_d(eg, *s) => identified(eg, *y, depth + 1)
                .map(|(f, a, v)| (p::div(f, p::c(*s)), p::div(a, p::c(*s)), v)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn collect(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let (from, parts, v) = match node {
        Math::Add(ts) => {
            let mut froms = Vec::new();
            let mut parts = Vec::new();
            let mut var = None;
            for &t in ts.iter() {
                let Some((f, a, v)) = identified(eg, t, 0) else {
                    return vec![];
                };
                if var.is_some_and(|w| eg.find(w) != eg.find(v)) {
                    return vec![];
                }
                var = Some(v);
                froms.push(f);
                parts.push(a);
            }
            (p::add(froms), p::add(parts), var)
        }
        Math::Neg(_) | Math::Scale(_) | Math::Div(_) => match identified(eg, id, 0) {
            Some((f, a, v)) if !matches!(a, Pat::Class(_)) => (f, a, Some(v)),
            _ => return vec![],
        },
        _ => return vec![],
    };
    let Some(v) = v else { return vec![] };
    vec![Proposal {
        from,
        to: p::tr(p::mul(vec![p::t(parts), p::d(p::c(v))])),
    }]
}
