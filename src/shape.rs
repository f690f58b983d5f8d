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
    /// A product of dimensions, the rows or columns of a Kronecker product
    /// or of `vec(X)`: built by [`Dim::product`] only, so that it holds two
    /// or more factors, symbolic names in name order after at most one
    /// literal coefficient (`2·m·n`), and equal products are equal values.
    Prod(Vec<Dim>),
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

    /// The product `a·b` in its normal form: nested products flattened,
    /// literals multiplied into one coefficient (saturating), factors of 1
    /// dropped, symbolic factors sorted by name. `m·n` and `n·m` are the same
    /// dimension; `2·3` is `6`.
    ///
    /// ```
    /// use matdiff::Dim;
    /// let (m, n) = (Dim::Sym("m".into()), Dim::Sym("n".into()));
    /// assert_eq!(Dim::product(&n, &m), Dim::product(&m, &n));
    /// assert_eq!(Dim::product(&m, &Dim::one()), m);
    /// assert_eq!(Dim::product(&Dim::Lit(2), &Dim::Lit(3)), Dim::Lit(6));
    /// assert_eq!(Dim::product(&Dim::Lit(2), &Dim::product(&n, &m)).to_string(), "2mn");
    /// ```
    pub fn product(a: &Dim, b: &Dim) -> Dim {
        let mut lits: Vec<u64> = Vec::new();
        let mut syms: Vec<String> = Vec::new();
        for d in a.factors().into_iter().chain(b.factors()) {
            match d {
                Dim::Lit(1) => {}
                Dim::Lit(n) => lits.push(n),
                Dim::Sym(s) => syms.push(s),
                Dim::Prod(_) => {}
            }
        }
        syms.sort();
        lits.sort_unstable();
        // Literals are multiplied into one coefficient while it stays small;
        // larger ones stay factors, so that the numeric check's stand-ins
        // for large sizes (`shrink`) replace each factor the same way
        // everywhere.
        let coef = lits.iter().try_fold(1u64, |acc, &n| {
            acc.checked_mul(n).filter(|&p| p <= Self::SMALL_PRODUCT)
        });
        let lits: Vec<Dim> = match coef {
            Some(1) => vec![],
            Some(c) => vec![Dim::Lit(c)],
            None => lits.into_iter().map(Dim::Lit).collect(),
        };
        match (lits.len(), syms.len()) {
            (0, 0) => Dim::one(),
            (1, 0) => lits.into_iter().next().unwrap_or_else(Dim::one),
            (0, 1) => Dim::Sym(syms.pop().unwrap_or_default()),
            _ => {
                let mut fs = lits;
                fs.extend(syms.into_iter().map(Dim::Sym));
                Dim::Prod(fs)
            }
        }
    }

    /// The largest product of literal sizes written as one literal.
    pub const SMALL_PRODUCT: u64 = 64;

    /// The factors of a product (itself for any other dimension).
    pub fn factors(&self) -> Vec<Dim> {
        match self {
            Dim::Prod(fs) => fs.iter().flat_map(Dim::factors).collect(),
            d => vec![d.clone()],
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Sym(s) => f.write_str(s),
            Dim::Lit(n) => write!(f, "{n}"),
            // `mn`, `2n`, `n²`; `n1·m` when a name is longer than a letter.
            Dim::Prod(fs) => {
                let lits = fs.iter().filter(|d| matches!(d, Dim::Lit(_))).count();
                let short = lits <= 1
                    && fs
                        .iter()
                        .all(|d| matches!(d, Dim::Lit(_)) || d.to_string().chars().count() == 1);
                let mut parts: Vec<String> = Vec::new();
                let mut i = 0;
                while i < fs.len() {
                    let mut j = i + 1;
                    while j < fs.len() && fs[j] == fs[i] {
                        j += 1;
                    }
                    let base = fs[i].to_string();
                    parts.push(match j - i {
                        1 => base,
                        k => format!("{base}{}", superscript(k)),
                    });
                    i = j;
                }
                f.write_str(&parts.join(if short { "" } else { "·" }))
            }
        }
    }
}

/// `k` in superscript digits (`2` → `²`).
fn superscript(k: usize) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    k.to_string()
        .chars()
        .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize])
        .collect()
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
