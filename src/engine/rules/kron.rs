//! Kronecker products, `vec` and the commutation matrix: the rules that turn
//! a differential `dF`, linear in `dV`, into `vec(dF) = J vec(dV)`, from
//! which the Jacobian `∂vec F/∂(vec V)ᵀ = J` is read off, and the rules that
//! tidy `J` afterwards.
//!
//! Sources: Magnus and Neudecker, "Matrix Differential Calculus" (3rd ed.),
//! chapter 2 (Kronecker products, vec, the commutation matrix `K_{m,n}`,
//! with `K_{m,n} vec(A) = vec(Aᵀ)` for `A` m×n); the Matrix Cookbook,
//! section 10.2 (`vec(AXB) = (Bᵀ ⊗ A) vec(X)`, (520)), (506)–(513).
//!
//! # Growth law
//!
//! As in the identification stage (`rules/trace.rs`), every vectorization
//! rule fires only on a `vec(·)` whose argument holds the differential, and
//! moves `vec` one operator down: `vec` of a sum becomes a sum of `vec`s
//! (one node per summand), `vec` of a product with one differential factor
//! becomes one Kronecker coefficient times `vec` of that factor (the
//! `transpose_chain` of the right factors: one node per factor). So the
//! stage adds O(size of dF) e-nodes and saturates in about as many
//! iterations as dF is deep. The simplification rules remove or move a
//! single operator per match and permute nothing.

use egg::{Id, Language};

use super::{
    chain_of, dim_pat, find_node, has_d, identity_of, is_const, is_scalar, shape, transpose_chain,
    transpose_of, var_of,
};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, Rule, p};
use crate::shape::Dim;
use crate::term::Func;

/// The vectorization stage: `vec(dF)` to `J vec(dV)`.
#[rustfmt::skip]
pub const VECTORIZE: &[Rule] = &[
    Rule { id: "vec-linear",    name: "linearity of vec",                   f: vec_linear },
    Rule { id: "vec-column",    name: "vec(a) = a for a column",            f: vec_column },
    Rule { id: "vec-product",   name: "vec(A M B) = (Bᵀ ⊗ A) vec(M)",       f: vec_product },
    Rule { id: "vec-transpose", name: "vec(Mᵀ) = K vec(M)",                 f: vec_transpose },
    Rule { id: "vec-hadamard",  name: "vec(A ⊙ M) = diag(vec A) vec(M)",    f: vec_hadamard },
    Rule { id: "vec-trace",     name: "tr(Aᵀ M) = vec(A)ᵀ vec(M)",          f: vec_trace },
    Rule { id: "column-hadamard", name: "a ⊙ m = diag(a) m for columns",    f: column_hadamard },
    Rule { id: "column-scalar", name: "s a = a s for a column a",           f: column_scalar },
    Rule { id: "vec-collect",   name: "collect the coefficients of vec(dV)", f: vec_collect },
];

/// Rules for Kronecker products and `vec` in a simplification stage.
#[rustfmt::skip]
pub const SIMPLIFY: &[Rule] = &[
    Rule { id: "kron-transpose", name: "(A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ",           f: kron_transpose },
    Rule { id: "kron-scalar",    name: "a ⊗ B = a B for a scalar a",    f: kron_scalar },
    Rule { id: "kron-signs",     name: "signs and scalars out of ⊗",    f: kron_signs },
    Rule { id: "kron-mixed",     name: "(A ⊗ B)(C ⊗ D) = AC ⊗ BD",      f: kron_mixed },
    Rule { id: "kron-inverse",   name: "(A ⊗ B)⁻¹ = A⁻¹ ⊗ B⁻¹",         f: kron_inverse },
    Rule { id: "kron-identity",  name: "I ⊗ I = I",                     f: kron_identity },
    Rule { id: "kron-factor",    name: "A ⊗ B + A ⊗ C = A ⊗ (B + C)",   f: kron_factor },
    Rule { id: "vec-column",     name: "vec(a) = a for a column",       f: vec_column },
    Rule { id: "commutation-1",  name: "K_{n,1} = K_{1,n} = I",         f: commutation_one },
    Rule { id: "negated-sum",    name: "−(−A − B) = A + B",             f: negated_sum },
];

/// The Kronecker identities for `simplify` and `equiv`: the simplification
/// rules, and `vec(AXB) = (Bᵀ ⊗ A) vec(X)` for every factor `X` of a product
/// under `vec` (k proposals for k factors, none of them under a `vec` again).
#[rustfmt::skip]
pub const ALGEBRA: &[Rule] = &[
    Rule { id: "vec-of-product", name: "vec(A X B) = (Bᵀ ⊗ A) vec(X)", f: vec_of_product },
    Rule { id: "vec-of-transpose", name: "vec(Xᵀ) = K vec(X)",         f: vec_of_transpose },
];

/// The simplification rules and [`ALGEBRA`].
pub fn algebra() -> Vec<Rule> {
    SIMPLIFY.iter().chain(ALGEBRA).cloned().collect()
}

fn kids(n: &Math) -> Vec<Pat> {
    n.children().iter().map(|&c| p::c(c)).collect()
}

fn whole(n: &Math) -> Pat {
    Pat::node(n.clone(), kids(n))
}

/// `A ⊗ B`.
pub fn kron(a: Pat, b: Pat) -> Pat {
    Pat::node(Math::Kron([Id::from(0); 2]), vec![a, b])
}

/// `vec(A)`.
pub fn vec_of(a: Pat) -> Pat {
    Pat::node(Math::VecOf(Id::from(0)), vec![a])
}

/// `K_{m,n}`.
pub fn commutation(eg: &EG, m: &Dim, n: &Dim) -> Pat {
    Pat::node(
        Math::Commutation([Id::from(0); 2]),
        vec![dim_pat(eg, m), dim_pat(eg, n)],
    )
}

fn diag(a: Pat) -> Pat {
    Pat::node(Math::App(Func::Diag, [Id::from(0)]), vec![a])
}

// ---- differentials (rows of the differential stage's table) ------------------

/// Proposals for every node of the class under a `d(·)` node.
fn under_d(eg: &EG, node: &Math, f: impl Fn(&Math) -> Option<Pat>) -> Vec<Proposal> {
    let Math::D(a) = node else { return vec![] };
    eg[*a]
        .nodes
        .iter()
        .filter_map(|inner| {
            let to = f(inner)?;
            Some(Proposal {
                from: p::d(whole(inner)),
                to,
            })
        })
        .collect()
}

// Magnus and Neudecker, chapter 8, (8.9): d(A ⊗ B) = dA ⊗ B + A ⊗ dB.
pub(crate) fn d_kron(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| {
        let Math::Kron([a, b]) = inner else {
            return None;
        };
        let mut terms = Vec::new();
        if !is_const(eg, *a) {
            terms.push(kron(p::d(p::c(*a)), p::c(*b)));
        }
        if !is_const(eg, *b) {
            terms.push(kron(p::c(*a), p::d(p::c(*b))));
        }
        (!terms.is_empty()).then(|| p::add(terms))
    })
}

pub(crate) fn d_vec(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_d(eg, node, |inner| match inner {
        Math::VecOf(a) if !is_const(eg, *a) => Some(vec_of(p::d(p::c(*a)))),
        _ => None,
    })
}

// ---- vectorization ----------------------------------------------------------

/// Proposals for every node of the class under a `vec(·)` node whose
/// argument holds the differential.
fn under_vec(eg: &EG, node: &Math, f: impl Fn(Id, &Math) -> Option<(Pat, Pat)>) -> Vec<Proposal> {
    let Math::VecOf(a) = node else {
        return vec![];
    };
    if !has_d(eg, *a) {
        return vec![];
    }
    eg[*a]
        .nodes
        .iter()
        .filter_map(|inner| {
            let (from, to) = f(*a, inner)?;
            Some(Proposal {
                from: vec_of(from),
                to,
            })
        })
        .collect()
}

fn vec_linear(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_vec(eg, node, |_, inner| {
        let to = match inner {
            Math::Add(ts) => p::add(ts.iter().map(|&t| vec_of(p::c(t))).collect()),
            Math::Neg(a) => p::neg(vec_of(p::c(*a))),
            Math::Scale([s, a]) if !has_d(eg, *s) => p::scale(p::c(*s), vec_of(p::c(*a))),
            // A scalar that holds the differential times a constant matrix:
            // vec(s A) = vec(A) s, a column times a 1×1 factor.
            Math::Scale([s, a]) if !has_d(eg, *a) => p::mul(vec![vec_of(p::c(*a)), p::c(*s)]),
            Math::Div([a, s]) if !has_d(eg, *s) => p::div(vec_of(p::c(*a)), p::c(*s)),
            _ => return None,
        };
        Some((whole(inner), to))
    })
}

/// vec(a) = a for an n×1 column (a scalar included).
fn vec_column(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::VecOf(a) = node else {
        return vec![];
    };
    if !shape(eg, *a).is_some_and(|s| s.cols.is_one()) {
        return vec![];
    }
    vec![Proposal {
        from: vec_of(p::c(*a)),
        to: p::c(*a),
    }]
}

/// The index of the one factor that holds the differential.
fn d_factor(eg: &EG, fs: &[Id]) -> Option<usize> {
    let mut it = (0..fs.len()).filter(|&i| has_d(eg, fs[i]));
    let i = it.next()?;
    it.next().is_none().then_some(i)
}

// Matrix Cookbook (520): vec(A X B) = (Bᵀ ⊗ A) vec(X); with no left factors A
// is the identity, with no right factors B is (and I₁ ⊗ A = A).
fn vec_product(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_vec(eg, node, |_, inner| {
        let Math::Mul(fs) = inner else { return None };
        let i = d_factor(eg, fs)?;
        let m = fs[i];
        let ms = shape(eg, m)?;
        let (pre, post) = (&fs[..i], &fs[i + 1..]);
        let mut from: Vec<Pat> = pre.iter().map(|&f| p::c(f)).collect();
        from.push(p::c(m));
        let right = if post.is_empty() {
            (!ms.cols.is_one()).then(|| identity_of(eg, &ms.cols))
        } else {
            let (seen, bt) = transpose_chain(eg, post);
            from.extend(seen);
            Some(bt)
        };
        let left = if pre.is_empty() {
            (!ms.rows.is_one()).then(|| identity_of(eg, &ms.rows))
        } else {
            Some(p::mul(pre.iter().map(|&f| p::c(f)).collect()))
        };
        let coef = match (right, left) {
            (Some(b), Some(a)) => kron(b, a),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => return None,
        };
        // Built as a node so that a factor that is itself a product stays one.
        let matched = Pat::node(inner.clone(), from);
        Some((matched, p::mul(vec![coef, vec_of(p::c(m))])))
    })
}

// Matrix Cookbook (520), for any factor of a product: vec(A X B) = (Bᵀ ⊗ A) vec(X).
fn vec_of_product(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::VecOf(a) = node else {
        return vec![];
    };
    let mut out = Vec::new();
    for inner in &eg[*a].nodes {
        let Math::Mul(fs) = inner else { continue };
        for (i, &m) in fs.iter().enumerate() {
            let Some(ms) = shape(eg, m) else { continue };
            let (pre, post) = (&fs[..i], &fs[i + 1..]);
            let right = if post.is_empty() {
                (!ms.cols.is_one()).then(|| identity_of(eg, &ms.cols))
            } else {
                Some(p::t(p::mul(post.iter().map(|&f| p::c(f)).collect())))
            };
            let left = if pre.is_empty() {
                (!ms.rows.is_one()).then(|| identity_of(eg, &ms.rows))
            } else {
                Some(p::mul(pre.iter().map(|&f| p::c(f)).collect()))
            };
            let coef = match (right, left) {
                (Some(b), Some(a)) => kron(b, a),
                (Some(x), None) | (None, Some(x)) => x,
                (None, None) => continue,
            };
            // The factor taken out is reported with its node, so that the
            // k proposals at one product differ in what they matched.
            let mut from: Vec<Pat> = fs.iter().map(|&f| p::c(f)).collect();
            from[i] = whole(&eg[m].nodes[0]);
            out.push(Proposal {
                from: vec_of(Pat::node(inner.clone(), from)),
                to: p::mul(vec![coef, vec_of(p::c(m))]),
            });
        }
    }
    out
}

// Magnus and Neudecker, chapter 3, (7.3), for any matrix: vec(Xᵀ) = K_{m,n} vec(X).
fn vec_of_transpose(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::VecOf(a) = node else {
        return vec![];
    };
    eg[*a]
        .nodes
        .iter()
        .filter_map(|inner| {
            let Math::Transpose(m) = inner else {
                return None;
            };
            let s = shape(eg, *m)?;
            if s.rows.is_one() || s.cols.is_one() {
                return None;
            }
            Some(Proposal {
                from: vec_of(whole(inner)),
                to: p::mul(vec![commutation(eg, &s.rows, &s.cols), vec_of(p::c(*m))]),
            })
        })
        .collect()
}

// Magnus and Neudecker, chapter 3, (7.3): K_{m,n} vec(A) = vec(Aᵀ) for A m×n.
fn vec_transpose(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_vec(eg, node, |_, inner| {
        let Math::Transpose(m) = inner else {
            return None;
        };
        let s = shape(eg, *m)?;
        // vec of a row is a column already (`vec-column`).
        if s.rows.is_one() {
            return None;
        }
        let to = if s.cols.is_one() {
            p::c(*m)
        } else {
            p::mul(vec![commutation(eg, &s.rows, &s.cols), vec_of(p::c(*m))])
        };
        Some((whole(inner), to))
    })
}

// Magnus and Neudecker, chapter 3: vec(A ⊙ M) = diag(vec A) vec(M), and
// vec(M ./ B) = diag(vec(𝟙 ./ B)) vec(M).
fn vec_hadamard(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    under_vec(eg, node, |_, inner| {
        let (coef, m) = match inner {
            Math::Had([a, m]) if !has_d(eg, *a) && has_d(eg, *m) => (p::c(*a), *m),
            Math::Had([m, a]) if !has_d(eg, *a) && has_d(eg, *m) => (p::c(*a), *m),
            Math::EDiv([m, b]) if !has_d(eg, *b) && has_d(eg, *m) => {
                let s = shape(eg, *b)?;
                (p::ediv(super::ones_of(eg, s), p::c(*b)), *m)
            }
            _ => return None,
        };
        Some((
            whole(inner),
            p::mul(vec![diag(vec_of(coef)), vec_of(p::c(m))]),
        ))
    })
}

/// a ⊙ m = diag(a) m and m ./ b = diag(𝟙 ./ b) m for columns, `m` holding
/// the differential: the column case of `vec-hadamard`, where no `vec` is
/// written.
fn column_hadamard(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    if !has_d(eg, id) || !shape(eg, id).is_some_and(|s| s.cols.is_one()) || is_scalar(eg, id) {
        return vec![];
    }
    let (coef, m) = match node {
        Math::Had([a, m]) if !has_d(eg, *a) && has_d(eg, *m) => (p::c(*a), *m),
        Math::Had([m, a]) if !has_d(eg, *a) && has_d(eg, *m) => (p::c(*a), *m),
        Math::EDiv([m, b]) if !has_d(eg, *b) && has_d(eg, *m) => match shape(eg, *b) {
            Some(s) => (p::ediv(super::ones_of(eg, s), p::c(*b)), *m),
            None => return vec![],
        },
        _ => return vec![],
    };
    vec![Proposal {
        from: whole(node),
        to: p::mul(vec![diag(coef), p::c(m)]),
    }]
}

/// s a = a s for a constant column `a` and a scalar `s` holding the
/// differential: a column times a 1×1 factor, so that `s` can be taken apart.
fn column_scalar(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Scale([s, a]) = node else {
        return vec![];
    };
    if !has_d(eg, *s) || has_d(eg, *a) || is_scalar(eg, id) {
        return vec![];
    }
    if !shape(eg, id).is_some_and(|sh| sh.cols.is_one()) {
        return vec![];
    }
    vec![Proposal {
        from: whole(node),
        to: p::mul(vec![p::c(*a), p::c(*s)]),
    }]
}

// Matrix Cookbook (521): tr(Aᵀ B) = vec(A)ᵀ vec(B).
fn vec_trace(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::App(Func::Tr, [x]) = node else {
        return vec![];
    };
    if !has_d(eg, *x) {
        return vec![];
    }
    let mut out = Vec::new();
    for inner in &eg[*x].nodes {
        let Math::Mul(fs) = inner else { continue };
        let [at, m] = fs[..] else { continue };
        if has_d(eg, at) || !has_d(eg, m) {
            continue;
        }
        let Some(a) = find_node(eg, at, |n| match n {
            Math::Transpose(a) => Some(*a),
            _ => None,
        }) else {
            continue;
        };
        out.push(Proposal {
            from: p::tr(p::mul(vec![p::t(p::c(a)), p::c(m)])),
            to: p::mul(vec![p::t(vec_of(p::c(a))), vec_of(p::c(m))]),
        });
    }
    out
}

/// The class of `vec(dV)` (or of `dv` for a column variable), if `id` is one:
/// the class a Jacobian's identification form ends with.
pub fn dv_class(eg: &EG, id: Id) -> Option<Id> {
    let is_dvar = |c: Id| {
        find_node(eg, c, |n| match n {
            Math::D(v) if var_of(eg, *v).is_some() => Some(()),
            _ => None,
        })
        .is_some()
    };
    let col = shape(eg, id).is_some_and(|s| s.cols.is_one());
    let found = eg[id].nodes.iter().any(|n| match n {
        Math::VecOf(c) => is_dvar(*c),
        Math::D(v) => col && var_of(eg, *v).is_some(),
        _ => false,
    });
    found.then_some(id)
}

/// A class of the form `J x` (`x` the class of `vec(dV)`), possibly under a
/// sign or a scalar factor, or `x` itself: the matched structure, `J`, and `x`.
fn identified(eg: &EG, id: Id, depth: usize) -> Option<(Pat, Pat, Id)> {
    if depth > 8 {
        return None;
    }
    if let Some(x) = dv_class(eg, id) {
        let s = shape(eg, x)?;
        return Some((p::c(x), identity_of(eg, &s.rows), x));
    }
    for n in &eg[id].nodes {
        let found = match n {
            Math::Mul(fs) if fs.len() >= 2 => {
                let (last, prefix) = fs.split_last()?;
                match dv_class(eg, *last) {
                    Some(x) if prefix.iter().all(|&f| !has_d(eg, f)) => {
                        let pre: Vec<Pat> = prefix.iter().map(|&f| p::c(f)).collect();
                        Some((whole(n), p::mul(pre), x))
                    }
                    _ => None,
                }
            }
            Math::Neg(y) => {
                identified(eg, *y, depth + 1).map(|(f, a, x)| (p::neg(f), p::neg(a), x))
            }
            Math::Scale([s, y]) if !has_d(eg, *s) => identified(eg, *y, depth + 1)
                .map(|(f, a, x)| (p::scale(p::c(*s), f), p::scale(p::c(*s), a), x)),
            Math::Div([y, s]) if !has_d(eg, *s) => identified(eg, *y, depth + 1)
                .map(|(f, a, x)| (p::div(f, p::c(*s)), p::div(a, p::c(*s)), x)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// J₁ x + J₂ x = (J₁ + J₂) x (a term may be `x` alone, or under a sign or a
/// scalar factor).
fn vec_collect(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let (from, j, x) = match node {
        Math::Add(ts) => {
            let mut froms = Vec::new();
            let mut parts = Vec::new();
            let mut var: Option<Id> = None;
            for &t in ts.iter() {
                let Some((f, a, x)) = identified(eg, t, 0) else {
                    return vec![];
                };
                if var.is_some_and(|w| eg.find(w) != eg.find(x)) {
                    return vec![];
                }
                var = Some(x);
                froms.push(f);
                parts.push(a);
            }
            let Some(x) = var else { return vec![] };
            (p::add(froms), p::add(parts), x)
        }
        _ => return vec![],
    };
    vec![Proposal {
        from,
        to: p::mul(vec![j, p::c(x)]),
    }]
}

// ---- simplification ----------------------------------------------------------

// Matrix Cookbook (508): (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ.
fn kron_transpose(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Transpose(a) = node else {
        return vec![];
    };
    eg[*a]
        .nodes
        .iter()
        .filter_map(|inner| {
            let Math::Kron([x, y]) = inner else {
                return None;
            };
            let ((fx, tx), (fy, ty)) = (transpose_of(eg, *x), transpose_of(eg, *y));
            Some(Proposal {
                from: p::t(kron(fx, fy)),
                to: kron(tx, ty),
            })
        })
        .collect()
}

fn kron_scalar(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Kron([a, b]) = node else {
        return vec![];
    };
    let to = if is_scalar(eg, *a) {
        p::scale(p::c(*a), p::c(*b))
    } else if is_scalar(eg, *b) {
        p::scale(p::c(*b), p::c(*a))
    } else {
        return vec![];
    };
    vec![Proposal {
        from: whole(node),
        to,
    }]
}

// Matrix Cookbook (506): (αA) ⊗ B = A ⊗ (αB) = α(A ⊗ B).
fn kron_signs(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Kron([a, b]) = node else {
        return vec![];
    };
    let mut out = Vec::new();
    for (slot, side) in [(0usize, *a), (1, *b)] {
        for inner in &eg[side].nodes {
            let rebuild = |x: Pat| {
                if slot == 0 {
                    kron(x, p::c(*b))
                } else {
                    kron(p::c(*a), x)
                }
            };
            let to = match inner {
                Math::Neg(y) => p::neg(rebuild(p::c(*y))),
                Math::Scale([s, y]) => p::scale(p::c(*s), rebuild(p::c(*y))),
                Math::Div([y, s]) => p::div(rebuild(p::c(*y)), p::c(*s)),
                _ => continue,
            };
            out.push(Proposal {
                from: rebuild(whole(inner)),
                to,
            });
        }
    }
    out
}

// Matrix Cookbook (511): (A ⊗ B)(C ⊗ D) = AC ⊗ BD, for adjacent factors of a
// product whose shapes fit.
fn kron_mixed(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Mul(fs) = node else {
        return vec![];
    };
    let krons = |c: Id| -> Vec<(Id, Id)> {
        eg[c]
            .nodes
            .iter()
            .filter_map(|n| match n {
                Math::Kron([x, y]) => Some((*x, *y)),
                _ => None,
            })
            .collect()
    };
    let cols = |c: Id| shape(eg, c).map(|s| s.cols.clone());
    let rows = |c: Id| shape(eg, c).map(|s| s.rows.clone());
    for i in 0..fs.len().saturating_sub(1) {
        for (a, b) in krons(fs[i]) {
            for (c, d) in krons(fs[i + 1]) {
                if cols(a).is_none() || cols(a) != rows(c) || cols(b) != rows(d) {
                    continue;
                }
                let mut from: Vec<Pat> = fs.iter().map(|&f| p::c(f)).collect();
                from[i] = kron(p::c(a), p::c(b));
                from[i + 1] = kron(p::c(c), p::c(d));
                let mut to: Vec<Pat> = fs[..i].iter().map(|&f| p::c(f)).collect();
                to.push(kron(
                    p::mul(vec![p::c(a), p::c(c)]),
                    p::mul(vec![p::c(b), p::c(d)]),
                ));
                to.extend(fs[i + 2..].iter().map(|&f| p::c(f)));
                return vec![Proposal {
                    from: Pat::node(node.clone(), from),
                    to: p::mul(to),
                }];
            }
        }
    }
    vec![]
}

// Matrix Cookbook (510): (A ⊗ B)⁻¹ = A⁻¹ ⊗ B⁻¹.
fn kron_inverse(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Inv(a) = node else {
        return vec![];
    };
    eg[*a]
        .nodes
        .iter()
        .filter_map(|inner| match inner {
            Math::Kron([x, y]) => Some(Proposal {
                from: p::inv(whole(inner)),
                to: kron(p::inv(p::c(*x)), p::inv(p::c(*y))),
            }),
            _ => None,
        })
        .collect()
}

fn kron_identity(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Kron([a, b]) = node else {
        return vec![];
    };
    let is_identity = |c: Id| find_node(eg, c, |n| matches!(n, Math::Identity(_)).then_some(()));
    if is_identity(*a).is_none() || is_identity(*b).is_none() {
        return vec![];
    }
    let Some(s) = shape(eg, id) else {
        return vec![];
    };
    vec![Proposal {
        from: whole(node),
        to: identity_of(eg, &s.rows),
    }]
}

/// A ⊗ B + A ⊗ C = A ⊗ (B + C) and B ⊗ A + C ⊗ A = (B + C) ⊗ A (Matrix
/// Cookbook (507)), when every term is a Kronecker product sharing a side.
fn kron_factor(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Add(ts) = node else {
        return vec![];
    };
    let pairs: Option<Vec<(Id, Id)>> = ts
        .iter()
        .map(|&t| {
            find_node(eg, t, |n| match n {
                Math::Kron([x, y]) => Some((*x, *y)),
                _ => None,
            })
        })
        .collect();
    let Some(pairs) = pairs else { return vec![] };
    let from = p::add(pairs.iter().map(|&(x, y)| kron(p::c(x), p::c(y))).collect());
    let same = |pick: fn(&(Id, Id)) -> Id| {
        let first = eg.find(pick(&pairs[0]));
        pairs.iter().all(|q| eg.find(pick(q)) == first)
    };
    let to = if same(|q| q.0) {
        kron(
            p::c(pairs[0].0),
            p::add(pairs.iter().map(|q| p::c(q.1)).collect()),
        )
    } else if same(|q| q.1) {
        kron(
            p::add(pairs.iter().map(|q| p::c(q.0)).collect()),
            p::c(pairs[0].1),
        )
    } else {
        return vec![];
    };
    vec![Proposal { from, to }]
}

fn commutation_one(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Commutation(_) = node else {
        return vec![];
    };
    let Some(s) = shape(eg, id) else {
        return vec![];
    };
    // K_{m,n} is mn×mn; it is the identity when m or n is 1.
    let one = |c: Id| {
        find_node(eg, c, |n| match n {
            Math::Atom(crate::engine::lang::Atom::Lit(1)) => Some(()),
            _ => None,
        })
        .is_some()
    };
    let kids = node.children();
    if !kids.iter().any(|&c| one(c)) {
        return vec![];
    }
    vec![Proposal {
        from: whole(node),
        to: identity_of(eg, &s.rows),
    }]
}

/// −(−A − B) = A + B: a negated sum of negated terms.
fn negated_sum(eg: &EG, _id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Neg(a) = node else {
        return vec![];
    };
    let mut out = Vec::new();
    for inner in &eg[*a].nodes {
        let Math::Add(ts) = inner else { continue };
        let negs: Option<Vec<Id>> = ts
            .iter()
            .map(|&t| {
                find_node(eg, t, |n| match n {
                    Math::Neg(x) => Some(*x),
                    _ => None,
                })
            })
            .collect();
        let Some(negs) = negs else { continue };
        out.push(Proposal {
            from: p::neg(p::add(negs.iter().map(|&x| p::neg(p::c(x))).collect())),
            to: p::add(negs.iter().map(|&x| p::c(x)).collect()),
        });
    }
    out
}

/// Whether the class is a product whose factors end with `vec(dV)`.
pub fn ends_with_dv(eg: &EG, id: Id) -> bool {
    chain_of(eg, id)
        .and_then(|fs| fs.last().copied())
        .is_some_and(|l| dv_class(eg, l).is_some())
}
