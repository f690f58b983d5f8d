//! Concrete numbers for the variables and dimensions of a term.

use std::collections::BTreeMap;

use nalgebra::DMatrix;

use super::error::EvalError;
use crate::shape::{Dim, Shape};

/// A point at which terms are evaluated: a matrix for every variable
/// (scalars are 1×1) and a size for every symbolic dimension.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values {
    /// Variables by canonical name, including the gradient matrices (`G`,
    /// `G_f`, …) that stand for unknown functions.
    pub vars: BTreeMap<String, DMatrix<f64>>,
    /// Sizes of the symbolic dimensions, by name.
    pub dims: BTreeMap<String, usize>,
}

impl Values {
    /// No variables and no dimensions.
    pub fn new() -> Values {
        Values::default()
    }

    /// Binds `name` to a matrix, replacing any previous value.
    pub fn set(&mut self, name: &str, value: DMatrix<f64>) -> &mut Values {
        self.vars.insert(name.to_string(), value);
        self
    }

    /// Binds `name` to a scalar (a 1×1 matrix).
    pub fn set_scalar(&mut self, name: &str, value: f64) -> &mut Values {
        self.set(name, DMatrix::from_element(1, 1, value))
    }

    /// Gives the symbolic dimension `name` a concrete size.
    pub fn set_dim(&mut self, name: &str, size: usize) -> &mut Values {
        self.dims.insert(name.to_string(), size);
        self
    }

    /// The value of a variable.
    pub fn get(&self, name: &str) -> Option<&DMatrix<f64>> {
        self.vars.get(name)
    }

    /// The concrete size of a dimension.
    pub fn dim(&self, dim: &Dim) -> Result<usize, EvalError> {
        match dim {
            Dim::Lit(n) => usize::try_from(*n).map_err(|_| EvalError::TooLarge {
                what: "a dimension".to_string(),
                size: *n,
                limit: usize::MAX as u64,
            }),
            Dim::Sym(s) => self
                .dims
                .get(s)
                .copied()
                .ok_or_else(|| EvalError::UnboundDim(s.clone())),
            Dim::Prod(fs) => fs.iter().try_fold(1usize, |acc, f| {
                let n = self.dim(f)?;
                acc.checked_mul(n).ok_or(EvalError::TooLarge {
                    what: "a product of dimensions".to_string(),
                    size: u64::MAX,
                    limit: usize::MAX as u64,
                })
            }),
        }
    }

    /// The concrete `(rows, cols)` of a shape.
    pub fn shape(&self, shape: &Shape) -> Result<(usize, usize), EvalError> {
        Ok((self.dim(&shape.rows)?, self.dim(&shape.cols)?))
    }
}
