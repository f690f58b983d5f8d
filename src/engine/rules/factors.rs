//! Products of commuting factors in one canonical form: scalars times
//! scalars, and matrices under `⊙` and `./`. Such a product is read as a
//! number, scalar factors and elementwise factors, each with an exponent
//! (`(1 / (2 s)) 2 A x` is 1 · s⁻¹ · (A x); `(2 S) ⊙ (𝟙 ./ (2 S)) ⊙ A` is
//! 1 · S⁰ · A), and written back once: the sign in front, then the number,
//! the scalar factors in order of appearance, the elementwise factors, and
//! what divides them (`A x / sqrt(xᵀ A x)`, `2 λ W`, `−I / tr(X)²`,
//! `tanh(Z).^2`). Factors whose exponents sum to zero cancel (`s / s = 1`,
//! `X ⊙ (𝟙 ./ X) = 𝟙`), as a person cancels them: where the factor is not
//! zero, which is where the expression is defined.
//!
//! Like terms are collected on the same reading: two terms are alike when
//! their factors are the same up to order (`X ⊙ A + A ⊙ X = 2 X ⊙ A`,
//! `λ 2 W + 3 λ W = 5 λ W`); terms that differ only in their scalar factors
//! share their matrix part (`2 λ W − (xᵀx) W = (2 λ − xᵀx) W`).
//!
//! Each rule adds one canonical form per product it looks at (its size is
//! the number of factors), and nothing when that form is already there; a
//! walk through the factors stops at a class it has seen on its way (a class
//! that holds `−(−A)` or `2 · 0`), so the rules saturate.

use egg::{Id, Language};

use super::simplify::{contains_itself, propose, whole};
use super::{is_scalar, num, ones_of, shape, zero_of};
use crate::engine::lang::{EG, Math};
use crate::engine::rule::{Pat, Proposal, p};
use crate::shape::Shape;

/// The most nested products one walk follows.
const MAX_DEPTH: usize = 24;
/// The most factors one walk collects.
const MAX_FACTORS: usize = 32;

/// A product of commuting factors: `coef · Π scalarᵉ · (⊙ Π elementᵉ)`.
#[derive(Clone, Debug, Default)]
pub struct Factors {
    /// The numeric coefficient.
    pub coef: f64,
    /// Scalar factors by class, with exponents, in order of appearance.
    pub scalars: Vec<(Id, f64)>,
    /// Matrix factors under `⊙` by class, with exponents.
    pub elems: Vec<(Id, f64)>,
    /// Whether folding the numbers lost their value: a product of nonzero
    /// numbers that rounds to 0, to a subnormal or to infinity (`(4e68)⁻¹¹`)
    /// is left as written, since the folded number would not equal it.
    pub lossy: bool,
}

impl Factors {
    /// The empty product, 1.
    fn one() -> Factors {
        Factors {
            coef: 1.0,
            ..Factors::default()
        }
    }

    fn add(list: &mut Vec<(Id, f64)>, id: Id, e: f64) {
        match list.iter_mut().find(|(x, _)| *x == id) {
            Some((_, acc)) => *acc += e,
            None => list.push((id, e)),
        }
    }

    /// The factors without the number, sorted: equal for like terms.
    fn key(&self) -> [Vec<(Id, u64)>; 2] {
        let norm = |v: &[(Id, f64)]| {
            let mut k: Vec<(Id, u64)> = v
                .iter()
                .filter(|(_, e)| *e != 0.0)
                .map(|&(i, e)| (i, e.to_bits()))
                .collect();
            k.sort();
            k
        };
        [norm(&self.scalars), norm(&self.elems)]
    }
}

/// Reads class `id` as a product of commuting factors. Returns the structure
/// looked at (for a rule's matched side) and the factors; `None` for a
/// division by zero or a power the reals do not have.
pub fn factors(eg: &EG, id: Id) -> Option<(Pat, Factors)> {
    let mut acc = Factors::one();
    let mut path = Vec::new();
    let from = walk(eg, id, 1.0, &mut path, &mut acc)?;
    Some((from, acc))
}

/// Whether `n` is a product node that [`walk`] goes through, in a class of
/// scalars (`scalar`) or of matrices.
fn is_product(eg: &EG, n: &Math, scalar: bool) -> bool {
    match n {
        Math::Neg(_) | Math::Scale(_) | Math::Div(_) | Math::Had(_) | Math::EDiv(_) => true,
        Math::EPow([_, q]) => num(eg, *q).is_some(),
        Math::Pow([_, k]) => scalar && num(eg, *k).is_some(),
        Math::Ones(_) => !scalar,
        _ => false,
    }
}

fn walk(eg: &EG, id: Id, e: f64, path: &mut Vec<Id>, acc: &mut Factors) -> Option<Pat> {
    let c = eg.find(id);
    if let Some(v) = num(eg, c) {
        if v == 0.0 && e < 0.0 || v < 0.0 && e.fract() != 0.0 {
            return None;
        }
        acc.coef *= v.powf(e);
        if v != 0.0 && !acc.coef.is_normal() {
            acc.lossy = true;
        }
        return Some(p::num(v));
    }
    let scalar = is_scalar(eg, c);
    // A variable is a factor of its own, whatever else its class holds
    // (`−(−A)` once the two are known equal); a node that leads back to a
    // class on the way (`𝟙 ⊙ A` in the class of `A`) says nothing new.
    let leaf = eg[c]
        .nodes
        .iter()
        .any(|n| matches!(n, Math::Atom(_) | Math::Identity(_)));
    let node = eg[c].nodes.iter().find(|n| {
        !leaf
            && is_product(eg, n, scalar)
            && !fractional_over_product(eg, n, e)
            && n.children()
                .iter()
                .all(|&k| eg.find(k) != c && !path.contains(&eg.find(k)))
    });
    let full = path.len() >= MAX_DEPTH || acc.scalars.len() + acc.elems.len() >= MAX_FACTORS;
    match node {
        Some(node) if !full => {
            path.push(c);
            let from = through(eg, node, e, path, acc);
            path.pop();
            from
        }
        _ => {
            let list = if scalar {
                &mut acc.scalars
            } else {
                &mut acc.elems
            };
            Factors::add(list, c, e);
            Some(p::c(c))
        }
    }
}

/// Whether `n` raised to `e` is a fractional power of a product, which is
/// not spread over its factors: `(A ⊙ B).^0.5` is real where A and B are
/// both negative, `A.^0.5 ⊙ B.^0.5` is not (`((A ⊙ B).^0.5).^2` is spread).
fn fractional_over_product(eg: &EG, n: &Math, e: f64) -> bool {
    let Math::EPow([a, q]) = n else { return false };
    let whole = num(eg, *q).is_some_and(|q| (q * e).fract() == 0.0);
    let a_scalar = is_scalar(eg, *a);
    !whole && eg[*a].nodes.iter().any(|m| is_product(eg, m, a_scalar))
}

/// The factors of one product node raised to `e`, accumulated into `acc`.
fn through(eg: &EG, node: &Math, e: f64, path: &mut Vec<Id>, acc: &mut Factors) -> Option<Pat> {
    let mut go = |x: Id, k: f64, acc: &mut Factors| walk(eg, x, e * k, path, acc);
    Some(match *node {
        Math::Neg(a) => {
            // (−a)ᵉ = (−1)ᵉ aᵉ, for an integer e.
            if e.fract() != 0.0 {
                return None;
            }
            if e.rem_euclid(2.0) == 1.0 {
                acc.coef = -acc.coef;
            }
            p::neg(go(a, 1.0, acc)?)
        }
        Math::Scale([s, a]) => {
            let s = go(s, 1.0, acc)?;
            p::scale(s, go(a, 1.0, acc)?)
        }
        Math::Div([a, s]) => {
            let a = go(a, 1.0, acc)?;
            p::div(a, go(s, -1.0, acc)?)
        }
        Math::Had([a, b]) => {
            let a = go(a, 1.0, acc)?;
            p::had(a, go(b, 1.0, acc)?)
        }
        Math::EDiv([a, b]) => {
            let a = go(a, 1.0, acc)?;
            p::ediv(a, go(b, -1.0, acc)?)
        }
        Math::EPow([a, q]) => {
            let q = num(eg, q)?;
            p::epow(go(a, q, acc)?, q)
        }
        Math::Pow([a, k]) => {
            let k = num(eg, k)?;
            p::pow(go(a, k, acc)?, k as i64)
        }
        Math::Ones(_) => whole(node),
        _ => return None,
    })
}

/// A number as numerator and denominator when it is a simple fraction
/// (`0.5` is 1/2, `1.5` is 3/2); otherwise the number over 1.
fn fraction(a: f64) -> (f64, f64) {
    if a.fract() == 0.0 {
        return (a, 1.0);
    }
    for q in 2..=16 {
        let n = a * f64::from(q);
        let r = n.round();
        // Relative to the numerator, which is not 0: a tiny number such as
        // `(4e68)⁻¹` is not the fraction 0/2.
        if r != 0.0 && (n - r).abs() < 1e-9 * r.abs() {
            return (r, f64::from(q));
        }
    }
    (a, 1.0)
}

/// `x`, `xᵉ` (an integer power of a scalar), `sqrt(x)` or `x.^e`.
fn power(x: Id, e: f64, elementwise: bool) -> Pat {
    if e == 1.0 {
        p::c(x)
    } else if e == 0.5 {
        p::op1(Math::App(crate::term::Func::Sqrt, [Id::from(0)]), p::c(x))
    } else if !elementwise && e.fract() == 0.0 {
        p::pow(p::c(x), e as i64)
    } else {
        p::epow(p::c(x), e)
    }
}

/// `a₁ a₂ … aₖ body` as nested scalar multiples.
fn scaled(fs: Vec<Pat>, body: Pat) -> Pat {
    fs.into_iter().rev().fold(body, |out, f| p::scale(f, out))
}

/// `a₁ a₂ … aₖ` as nested scalar multiples; `None` for no factor.
fn product(mut fs: Vec<Pat>) -> Option<Pat> {
    let last = fs.pop()?;
    Some(scaled(fs, last))
}

/// The canonical form of a product with factors `f`, of shape `sh`.
pub fn build(eg: &EG, f: &Factors, sh: &Shape) -> Pat {
    if f.coef == 0.0 {
        return zero_of(eg, sh);
    }
    let (n, d) = fraction(f.coef.abs());
    let mut nums: Vec<Pat> = Vec::new();
    let mut dens: Vec<Pat> = Vec::new();
    if n != 1.0 {
        nums.push(p::num(n));
    }
    if d != 1.0 {
        dens.push(p::num(d));
    }
    for &(x, e) in &f.scalars {
        if e > 0.0 {
            nums.push(power(x, e, false));
        } else if e < 0.0 {
            dens.push(power(x, -e, false));
        }
    }
    let body = if sh.is_scalar() {
        None
    } else {
        let chain = |fs: Vec<Pat>| fs.into_iter().reduce(p::had);
        let up = chain(
            f.elems
                .iter()
                .filter(|(_, e)| *e > 0.0)
                .map(|&(x, e)| power(x, e, true))
                .collect(),
        );
        let down = chain(
            f.elems
                .iter()
                .filter(|(_, e)| *e < 0.0)
                .map(|&(x, e)| power(x, -e, true))
                .collect(),
        );
        let up = up.unwrap_or_else(|| ones_of(eg, sh));
        Some(match down {
            // One denominator: `A ./ (2 sqrt(X))`, not `A ./ sqrt(X) / 2`.
            Some(down) => p::ediv(up, scaled(std::mem::take(&mut dens), down)),
            None => up,
        })
    };
    let top = match body {
        Some(b) => scaled(nums, b),
        None => product(nums).unwrap_or_else(|| p::num(1.0)),
    };
    let out = match product(dens) {
        Some(den) => p::div(top, den),
        None => top,
    };
    if f.coef < 0.0 { p::neg(out) } else { out }
}

/// The canonical product at a product node.
fn canonical(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let c = eg.find(id);
    if contains_itself(eg, c, node)
        || !is_product(eg, node, is_scalar(eg, c))
        || fractional_over_product(eg, node, 1.0)
    {
        return vec![];
    }
    let Some(sh) = shape(eg, c) else {
        return vec![];
    };
    let mut acc = Factors::one();
    let Some(from) = through(eg, node, 1.0, &mut vec![c], &mut acc) else {
        return vec![];
    };
    if acc.lossy {
        return vec![];
    }
    propose(from, build(eg, &acc, sh))
}

/// `λ 2 W = 2 λ W`, `(1 / (2 s)) 2 A x = A x / s`, `−(−A) = A`,
/// `s / s = 1`: a product of scalars (or a scalar multiple of a matrix) in
/// canonical form.
pub fn scalar_factors(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let elementwise = matches!(node, Math::Had(_) | Math::EDiv(_) | Math::EPow(_));
    if elementwise && !is_scalar(eg, id) {
        return vec![];
    }
    canonical(eg, id, node)
}

/// `X ⊙ A ⊙ X = A ⊙ X.^2`, `S ⊙ (𝟙 ./ S) = 𝟙`: a product under `⊙` in
/// canonical form.
pub fn elementwise_factors(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let elementwise = matches!(node, Math::Had(_) | Math::EDiv(_) | Math::EPow(_));
    if !elementwise || is_scalar(eg, id) {
        return vec![];
    }
    canonical(eg, id, node)
}

/// `2A + 3A = 5A`, `A − A = 0`, `X ⊙ A + A ⊙ X = 2 X ⊙ A`, `2 + 3 = 5`:
/// terms whose factors are the same up to order are added.
pub fn like_terms(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Add(ts) = node else { return vec![] };
    if contains_itself(eg, id, node) {
        return vec![];
    }
    let Some(sh) = shape(eg, id) else {
        return vec![];
    };
    let mut froms = Vec::new();
    // (key, summed factors) in order of first appearance
    let mut groups: Vec<(_, Factors)> = Vec::new();
    for &t in ts.iter() {
        let Some((from, f)) = factors(eg, t) else {
            return vec![];
        };
        froms.push(from);
        let key = f.key();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.coef += f.coef,
            None => groups.push((key, f)),
        }
    }
    if groups.len() == ts.len() && groups.iter().all(|(_, f)| f.coef != 0.0) {
        return vec![];
    }
    let parts: Vec<Pat> = groups
        .iter()
        .filter(|(_, f)| f.coef != 0.0)
        .map(|(_, f)| build(eg, f, sh))
        .collect();
    let to = if parts.is_empty() {
        zero_of(eg, sh)
    } else {
        p::add(parts)
    };
    propose(p::add(froms), to)
}

/// `2 λ W − (xᵀx) W = (2 λ − xᵀx) W`: terms of a matrix sum that differ only
/// in their scalar factors share their matrix part.
pub fn common_matrix(eg: &EG, id: Id, node: &Math) -> Vec<Proposal> {
    let Math::Add(ts) = node else { return vec![] };
    if contains_itself(eg, id, node) || is_scalar(eg, id) {
        return vec![];
    }
    let Some(sh) = shape(eg, id) else {
        return vec![];
    };
    let mut froms = Vec::new();
    let mut terms = Vec::new();
    for &t in ts.iter() {
        let Some((from, f)) = factors(eg, t) else {
            return vec![];
        };
        froms.push(from);
        terms.push(f);
    }
    let key = |f: &Factors| f.key()[1].clone();
    // The first matrix part that terms with different scalar factors share
    // (the same scalar factors too are like terms).
    let Some(shared) = terms.iter().map(key).find(|k| {
        let mut scalars: Vec<_> = terms
            .iter()
            .filter(|f| key(f) == *k)
            .map(|f| f.key()[0].clone())
            .collect();
        scalars.dedup();
        scalars.len() > 1
    }) else {
        return vec![];
    };
    let scalar = Shape::scalar();
    let mut coefficients = Vec::new();
    let mut matrix = None;
    let mut parts = Vec::new();
    for f in &terms {
        if key(f) != shared {
            parts.push(build(eg, f, sh));
            continue;
        }
        let mut s = f.clone();
        s.elems.clear();
        coefficients.push(build(eg, &s, &scalar));
        if matrix.is_none() {
            let mut m = Factors::one();
            m.elems = f.elems.clone();
            matrix = Some(build(eg, &m, sh));
            // The shared part goes where its first term stood.
            parts.push(p::num(0.0));
        }
    }
    let Some(matrix) = matrix else {
        return vec![];
    };
    let shared_term = p::scale(p::add(coefficients), matrix);
    let parts: Vec<Pat> = parts
        .into_iter()
        .map(|q| match q {
            Pat::Node(Math::Num(_), _) => shared_term.clone(),
            q => q,
        })
        .collect();
    propose(p::add(froms), p::add(parts))
}

#[cfg(test)]
mod tests {
    use super::fraction;

    #[test]
    fn simple_fractions_are_found() {
        assert_eq!(fraction(0.5), (1.0, 2.0));
        assert_eq!(fraction(1.5), (3.0, 2.0));
        assert_eq!(fraction(-2.0 / 3.0), (-2.0, 3.0));
        assert_eq!(fraction(7.0), (7.0, 1.0));
    }

    #[test]
    fn tiny_numbers_are_not_zero_fractions() {
        let a = 1.0 / 4.4e68;
        assert_eq!(fraction(a), (a, 1.0));
        assert_eq!(fraction(1e-12), (1e-12, 1.0));
    }
}
