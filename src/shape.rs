//! Shapes, kinds and the variable environment that the semantic pass produces
//! and every later stage reads.

use std::collections::BTreeMap;
use std::fmt;

/// One dimension of a shape: a symbolic name (`n`) or a literal size (`1`, `1000`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A symbolic dimension such as `n`.
    Sym(String),
    /// A concrete size.
    Lit(u64),
}

impl Dim {
    /// The dimension `1`.
    pub fn one() -> Dim {
        Dim::Lit(1)
    }

    /// Whether this dimension is the literal `1`.
    pub fn is_one(&self) -> bool {
        matches!(self, Dim::Lit(1))
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Sym(s) => f.write_str(s),
            Dim::Lit(n) => write!(f, "{n}"),
        }
    }
}

/// A matrix shape `rows × cols`. Scalars are `1 × 1`, column vectors `n × 1`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shape {
    /// Number of rows.
    pub rows: Dim,
    /// Number of columns.
    pub cols: Dim,
}

impl Shape {
    /// A shape from its two dimensions.
    pub fn new(rows: Dim, cols: Dim) -> Shape {
        Shape { rows, cols }
    }

    /// The `1 × 1` shape of a scalar.
    pub fn scalar() -> Shape {
        Shape::new(Dim::one(), Dim::one())
    }

    /// Whether this is the `1 × 1` shape.
    pub fn is_scalar(&self) -> bool {
        self.rows.is_one() && self.cols.is_one()
    }

    /// Whether rows and columns are the same dimension.
    pub fn is_square(&self) -> bool {
        self.rows == self.cols
    }

    /// The transposed shape.
    pub fn transposed(&self) -> Shape {
        Shape::new(self.cols.clone(), self.rows.clone())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}", self.rows, self.cols)
    }
}

/// What a name denotes, as the reader of a formula understands it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A scalar (Greek names, `scalar` declarations).
    Scalar,
    /// A column vector (lowercase names, `vector` or `n×1` declarations).
    Vector,
    /// A matrix (uppercase names, `m×n` declarations).
    Matrix,
}

/// Everything known about one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarInfo {
    /// Scalar, vector or matrix.
    pub kind: Kind,
    /// Its (possibly symbolic) shape.
    pub shape: Shape,
    /// Declared symmetric (`A: sym n×n`).
    pub symmetric: bool,
}

/// The variables of a problem with their kinds and shapes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    /// Variables by canonical (ASCII) name, in name order.
    pub vars: BTreeMap<String, VarInfo>,
}

impl Env {
    /// The information about `name`, if it is a variable of the problem.
    pub fn get(&self, name: &str) -> Option<&VarInfo> {
        self.vars.get(name)
    }

    /// The shape of variable `name`, if known.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.vars.get(name).map(|v| &v.shape)
    }

    /// Whether `name` is a declared symmetric matrix.
    pub fn is_symmetric(&self, name: &str) -> bool {
        self.vars.get(name).is_some_and(|v| v.symmetric)
    }
}
