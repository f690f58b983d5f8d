//! Fresh index names and the range of every index.

use std::collections::{BTreeMap, BTreeSet};

use super::index::Index;
use crate::shape::Dim;

/// Bound indices are drawn in this order; `i` and `j` are kept for the
/// entries of the result and of the variable, as in the design note.
const POOL: [&str; 14] = [
    "k", "l", "p", "q", "r", "s", "t", "u", "v", "a", "c", "d", "e", "h",
];

/// Hands out index names that were never used before in one derivation, and
/// remembers the dimension each one ranges over.
#[derive(Clone, Debug, Default)]
pub struct Fresh {
    used: BTreeSet<Index>,
    avoid: BTreeSet<String>,
    dims: BTreeMap<Index, Dim>,
}

impl Fresh {
    /// An allocator that never hands out a name in `avoid` (the letters of
    /// the entries, so that `b_b` cannot happen).
    pub fn new(avoid: impl IntoIterator<Item = String>) -> Fresh {
        Fresh {
            avoid: avoid.into_iter().collect(),
            ..Fresh::default()
        }
    }

    /// Claims `name` for an index over `dim` (a name already claimed is
    /// reused as it is).
    pub fn claim(&mut self, name: &str, dim: &Dim) -> Index {
        self.used.insert(name.to_string());
        self.dims.insert(name.to_string(), dim.clone());
        name.to_string()
    }

    /// A new index over `dim`, or `None` when `dim` is 1 (no index needed).
    pub fn index(&mut self, dim: &Dim) -> Option<Index> {
        if dim.is_one() {
            return None;
        }
        Some(self.any(dim))
    }

    /// A new index over `dim`, even when `dim` is 1.
    pub fn any(&mut self, dim: &Dim) -> Index {
        let name = (0..)
            .flat_map(|round: usize| {
                POOL.iter().map(move |p| {
                    if round == 0 {
                        p.to_string()
                    } else {
                        format!("{p}{round}")
                    }
                })
            })
            .find(|n| !self.used.contains(n) && !self.avoid.contains(n))
            .expect("an unused name");
        self.claim(&name, dim)
    }

    /// The dimension `i` ranges over.
    pub fn dim(&self, i: &str) -> Option<&Dim> {
        self.dims.get(i)
    }
}
