//! Symbolic dimensions as a union-find: `XW` merges cols(X) and rows(W).
//!
//! A class is either free (a fresh name is given at the end) or bound to a
//! value: a literal size or a declared name. Two different values never
//! merge: declared names are rigid, so `n` and `m` are different dimensions.

use crate::shape::Dim;

/// A dimension variable.
pub type DimId = usize;

/// Two values that unification tried to equate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict(pub Dim, pub Dim);

/// The union-find over dimension variables.
#[derive(Clone, Debug, Default)]
pub struct Dims {
    parent: Vec<DimId>,
    value: Vec<Option<Dim>>,
}

impl Dims {
    /// A new free dimension.
    pub fn fresh(&mut self) -> DimId {
        self.parent.push(self.parent.len());
        self.value.push(None);
        self.parent.len() - 1
    }

    /// A new dimension bound to `d`.
    pub fn constant(&mut self, d: Dim) -> DimId {
        let id = self.fresh();
        self.value[id] = Some(d);
        id
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

    /// The value `d` is bound to, if any.
    pub fn value(&mut self, d: DimId) -> Option<Dim> {
        let r = self.find(d);
        self.value[r].clone()
    }

    /// Merges the classes of `a` and `b`, or reports their two values.
    pub fn union(&mut self, a: DimId, b: DimId) -> Result<(), Conflict> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(());
        }
        let merged = match (&self.value[ra], &self.value[rb]) {
            (Some(x), Some(y)) if x != y => return Err(Conflict(x.clone(), y.clone())),
            (Some(x), _) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        };
        // Keep the older id as the root so that names follow first appearance.
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child] = root;
        self.value[root] = merged;
        Ok(())
    }
}
