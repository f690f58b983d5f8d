//! Symbolic dimensions as a union-find: `XW` merges cols(X) and rows(W).
//!
//! A class is either free (a fresh name is given at the end), bound to a
//! value (a literal size or a declared name), or a product of other classes
//! (the rows of a Kronecker product `A ⊗ B` are rows(A)·rows(B)). Two
//! different values never merge: declared names are rigid, so `n` and `m`
//! are different dimensions. Two products merge factor by factor, which is
//! enough for the products written in practice (`(Bᵀ ⊗ A) vec(X)`).

use crate::shape::Dim;

/// A dimension variable.
pub type DimId = usize;

/// Two values that unification tried to equate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict(pub Dim, pub Dim);

/// How deep products of products are followed (a Kronecker product of
/// Kronecker products nests one level per `⊗`; the checker caps nesting).
const MAX_PRODUCT_DEPTH: usize = 64;

/// The union-find over dimension variables.
#[derive(Clone, Debug, Default)]
pub struct Dims {
    parent: Vec<DimId>,
    value: Vec<Option<Dim>>,
    /// At a root without a value: the classes whose product it is.
    factors: Vec<Option<Vec<DimId>>>,
}

impl Dims {
    /// A new free dimension.
    pub fn fresh(&mut self) -> DimId {
        self.parent.push(self.parent.len());
        self.value.push(None);
        self.factors.push(None);
        self.parent.len() - 1
    }

    /// A new dimension bound to `d`.
    pub fn constant(&mut self, d: Dim) -> DimId {
        let id = self.fresh();
        self.value[id] = Some(d);
        id
    }

    /// The dimension `a·b`: a value when both are known, else a class that
    /// stands for the product until its factors are known.
    pub fn product(&mut self, a: DimId, b: DimId) -> DimId {
        match (self.value(a), self.value(b)) {
            (Some(x), Some(y)) => self.constant(Dim::product(&x, &y)),
            (Some(x), _) if x.is_one() => b,
            (_, Some(y)) if y.is_one() => a,
            _ => {
                let id = self.fresh();
                self.factors[id] = Some(vec![a, b]);
                id
            }
        }
    }

    /// Every dimension variable, in order of creation.
    pub fn ids(&self) -> std::ops::Range<DimId> {
        0..self.parent.len()
    }

    /// The representative of `d`'s class (iterative: classes can be long).
    pub fn find(&mut self, mut d: DimId) -> DimId {
        while self.parent[d] != d {
            self.parent[d] = self.parent[self.parent[d]];
            d = self.parent[d];
        }
        d
    }

    /// The value `d` is bound to, if any: for a product, the product of its
    /// factors' values once they are all known.
    pub fn value(&mut self, d: DimId) -> Option<Dim> {
        self.value_at(d, 0)
    }

    fn value_at(&mut self, d: DimId, depth: usize) -> Option<Dim> {
        let r = self.find(d);
        if let Some(v) = &self.value[r] {
            return Some(v.clone());
        }
        let fs = self.factors[r].clone()?;
        if depth > MAX_PRODUCT_DEPTH {
            return None;
        }
        let mut acc = Dim::one();
        for f in fs {
            acc = Dim::product(&acc, &self.value_at(f, depth + 1)?);
        }
        Some(acc)
    }

    /// Whether `d`'s class is a product of other classes.
    pub fn is_product(&mut self, d: DimId) -> bool {
        let r = self.find(d);
        self.factors[r].is_some()
    }

    /// The final dimension of `d`: its value, the product of its factors'
    /// final dimensions, or `free(root)` for a free class.
    pub fn resolve(&mut self, d: DimId, free: &mut dyn FnMut(DimId) -> Dim) -> Dim {
        self.resolve_at(d, free, 0)
    }

    fn resolve_at(&mut self, d: DimId, free: &mut dyn FnMut(DimId) -> Dim, depth: usize) -> Dim {
        let r = self.find(d);
        if let Some(v) = &self.value[r] {
            return v.clone();
        }
        match self.factors[r].clone() {
            Some(fs) if depth <= MAX_PRODUCT_DEPTH => fs.into_iter().fold(Dim::one(), |acc, f| {
                Dim::product(&acc, &self.resolve_at(f, free, depth + 1))
            }),
            _ => free(r),
        }
    }

    /// The factors of a product class, products inside it expanded, as
    /// roots; `[d]` for any other class.
    fn flat_factors(&mut self, d: DimId, depth: usize) -> Vec<DimId> {
        let r = self.find(d);
        match self.factors[r].clone() {
            Some(fs) if self.value[r].is_none() && depth <= MAX_PRODUCT_DEPTH => fs
                .into_iter()
                .flat_map(|f| self.flat_factors(f, depth + 1))
                .collect(),
            _ => vec![r],
        }
    }

    /// A product for messages: known factors by value, unknown ones as `?`.
    fn shown(&mut self, fs: &[DimId]) -> Dim {
        fs.iter().fold(Dim::one(), |acc, &f| {
            let v = self.value(f).unwrap_or_else(|| Dim::Sym("?".to_string()));
            Dim::product(&acc, &v)
        })
    }

    /// Merges the classes of `a` and `b`, or reports their two values.
    pub fn union(&mut self, a: DimId, b: DimId) -> Result<(), Conflict> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(());
        }
        let (pa, pb) = (self.factors[ra].is_some(), self.factors[rb].is_some());
        if !pa && !pb {
            return self.link(ra, rb);
        }
        // Known on both sides: compare the values.
        if let (Some(x), Some(y)) = (self.value(ra), self.value(rb)) {
            return if x == y {
                self.link(ra, rb)
            } else {
                Err(Conflict(x, y))
            };
        }
        if pa && pb {
            return self.union_products(ra, rb);
        }
        let (prod, other) = if pa { (ra, rb) } else { (rb, ra) };
        let fs = self.flat_factors(prod, 0);
        match self.value(other) {
            // A free class equal to a product; if it is one of the factors,
            // every other factor is 1 (another copy of it too: m·m = m makes
            // m = 1).
            None => {
                if let Some(at) = fs.iter().position(|&f| f == other) {
                    let one = self.constant(Dim::one());
                    let mut rest = fs;
                    rest.remove(at);
                    for f in rest {
                        self.union(f, one)?;
                    }
                    let other_root = self.find(other);
                    let prod_root = self.find(prod);
                    if other_root == prod_root {
                        return Ok(());
                    }
                    self.factors[prod_root] = None;
                    return self.link(prod_root, other_root);
                }
                self.link(prod, other)
            }
            // A value equal to a product with unknown factors: solvable when
            // one factor is unknown and the value is a multiple of the rest.
            Some(v) => {
                let free: Vec<DimId> = fs
                    .iter()
                    .copied()
                    .filter(|&f| self.value(f).is_none())
                    .collect();
                let known: Vec<DimId> = fs.iter().copied().filter(|f| !free.contains(f)).collect();
                let rest = self.shown(&known);
                let solved = match &free[..] {
                    [f] => quotient(&v, &rest).map(|q| (*f, q)),
                    _ => None,
                };
                match solved {
                    Some((f, fv)) => {
                        let c = self.constant(fv);
                        self.union(f, c)?;
                        self.link(prod, other)
                    }
                    None => {
                        let shown = self.shown(&fs);
                        Err(Conflict(shown, v))
                    }
                }
            }
        }
    }

    /// Two products: the factors they share are cancelled, and the others
    /// are merged in order when both sides have as many.
    fn union_products(&mut self, ra: DimId, rb: DimId) -> Result<(), Conflict> {
        let mut fa = self.flat_factors(ra, 0);
        let mut fb = self.flat_factors(rb, 0);
        let mut i = 0;
        while i < fa.len() {
            if let Some(j) = fb.iter().position(|&g| g == fa[i]) {
                fa.remove(i);
                fb.remove(j);
            } else {
                i += 1;
            }
        }
        if fa.len() != fb.len() {
            let (x, y) = (self.shown(&fa), self.shown(&fb));
            return Err(Conflict(x, y));
        }
        for (x, y) in fa.into_iter().zip(fb) {
            self.union(x, y)?;
        }
        let (ra, rb) = (self.find(ra), self.find(rb));
        if ra == rb {
            return Ok(());
        }
        self.link(ra, rb)
    }

    /// Joins two roots: the older id stays the root so that names follow
    /// first appearance; values merge and a product's factors move along.
    fn link(&mut self, ra: DimId, rb: DimId) -> Result<(), Conflict> {
        let merged = match (&self.value[ra], &self.value[rb]) {
            (Some(x), Some(y)) if x != y => return Err(Conflict(x.clone(), y.clone())),
            (Some(x), _) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        };
        let factors = self.factors[ra].take().or_else(|| self.factors[rb].take());
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child] = root;
        self.value[root] = merged.clone();
        self.factors[root] = if merged.is_some() { None } else { factors };
        Ok(())
    }
}

/// `a / b` when `b` divides `a`: its literal coefficient divides `a`'s and
/// its symbolic factors are among `a`'s (`mn / m = n`, `6n / 2 = 3n`).
fn quotient(a: &Dim, b: &Dim) -> Option<Dim> {
    let split = |d: &Dim| {
        let mut coef: u64 = 1;
        let mut syms = Vec::new();
        for f in d.factors() {
            match f {
                Dim::Lit(n) => coef = coef.saturating_mul(n),
                s => syms.push(s),
            }
        }
        (coef, syms)
    };
    let (ca, mut sa) = split(a);
    let (cb, sb) = split(b);
    if cb == 0 || ca % cb != 0 {
        return None;
    }
    for s in sb {
        let i = sa.iter().position(|x| *x == s)?;
        sa.remove(i);
    }
    Some(
        sa.iter()
            .fold(Dim::Lit(ca / cb), |acc, f| Dim::product(&acc, f)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Dim {
        Dim::Sym(s.to_string())
    }

    #[test]
    fn products_merge_factor_by_factor() {
        let mut d = Dims::default();
        let (m, n, a, b) = (d.fresh(), d.fresh(), d.fresh(), d.fresh());
        let mn = d.product(m, n);
        let ab = d.product(a, b);
        d.union(mn, ab).unwrap();
        let (x, y) = (d.constant(sym("x")), d.constant(sym("y")));
        d.union(a, x).unwrap();
        d.union(n, y).unwrap();
        assert_eq!(d.value(mn), Some(Dim::product(&sym("x"), &sym("y"))));
    }

    #[test]
    fn a_product_with_a_value_solves_its_one_unknown_factor() {
        let mut d = Dims::default();
        let (m, n) = (d.fresh(), d.constant(Dim::Lit(3)));
        let mn = d.product(m, n);
        let six = d.constant(Dim::Lit(6));
        d.union(mn, six).unwrap();
        assert_eq!(d.value(m), Some(Dim::Lit(2)));
        let seven = d.constant(Dim::Lit(7));
        assert!(d.union(mn, seven).is_err());
    }

    #[test]
    fn a_product_equal_to_its_factor_makes_the_rest_one() {
        let mut d = Dims::default();
        let (m, n) = (d.fresh(), d.fresh());
        let mn = d.product(m, n);
        d.union(mn, m).unwrap();
        assert_eq!(d.value(n), Some(Dim::one()));
        assert_eq!(d.value(mn), d.value(m));
    }

    #[test]
    fn a_square_equal_to_its_root_is_one() {
        // m·m = m (a fuzz find: `x ⊗ y + z` with x, y, z m×1 columns).
        let mut d = Dims::default();
        let m = d.fresh();
        let mm = d.product(m, m);
        d.union(mm, m).unwrap();
        assert_eq!(d.value(m), Some(Dim::one()));
        assert_eq!(d.value(mm), Some(Dim::one()));
    }
}
