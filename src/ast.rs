//! The syntax tree the parser produces: what the user wrote, with a byte span
//! on every node, before kinds and shapes are known.
//!
//! Products are kept as flat chains and sums as flat lists so that a long
//! input does not become a deep tree (every later pass recurses over it).

pub use crate::registry::Callable as Callee;
use crate::shape::Dim;

/// A byte range `start..end` in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text this span covers in `src` (empty if out of range).
    pub fn text(self, src: &str) -> &str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.end.saturating_sub(s.start)).into()
    }
}

/// A whole input: the expression and its `where` declarations.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// The expression.
    pub expr: Expr,
    /// Declarations of the `where` clause, in order.
    pub decls: Vec<Decl>,
}

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The sign of a term in a sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// `+` (or the first term).
    Plus,
    /// `-`.
    Minus,
}

/// An operator of the product level, all left-associative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductOp {
    /// Two operands side by side: `XW`, `2X`, `alpha X`.
    Juxtapose,
    /// `*`, `@`, `·`: the same as juxtaposition.
    Times,
    /// `⊙`, `∘`, `.*`: elementwise product.
    Hadamard,
    /// `./`: elementwise division.
    ElemDiv,
    /// `/`: division by a scalar.
    Div,
    /// `⊗`: the Kronecker product (it binds looser than the others; the
    /// parser keeps a chain left-associative, so it only ever ends one).
    Kron,
}

/// The kinds of expression nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A variable, by canonical ASCII name (`X`, `W_1`, `alpha`).
    Var {
        /// Canonical name.
        name: String,
        /// Written as a Greek letter or Greek letter name.
        greek: bool,
    },
    /// `I`.
    Identity,
    /// `𝟙` or `ones`: the all-ones matrix, its shape inferred.
    Ones,
    /// A numeric literal.
    Number(f64),
    /// `( … )`.
    Paren(Box<Expr>),
    /// `-E`.
    Neg(Box<Expr>),
    /// Two or more signed terms; the first sign is `Plus`.
    Sum(Vec<(Sign, Expr)>),
    /// A left-associative chain: `first op1 e1 op2 e2 …`.
    Product {
        /// The first operand.
        first: Box<Expr>,
        /// The following operators and operands.
        rest: Vec<(ProductOp, Expr)>,
    },
    /// `E^T`, `E'`, `Eᵀ`.
    Transpose(Box<Expr>),
    /// `E^k` for an integer `k` (`E^{-1}` is `k = -1`).
    Power(Box<Expr>, i64),
    /// `E .^ p`: elementwise power by a real constant.
    EPower(Box<Expr>, f64),
    /// `f(E, …)` for a function of the language (or `inv`).
    Call(Callee, Vec<Expr>),
    /// `‖E‖` or `||E||` (the same as `norm(E)`).
    Norm(Box<Expr>),
    /// `L(E)`: an unknown scalar function (`ℓ` spelled `ell`).
    Unknown(String, Box<Expr>),
    /// `K_{m,n}`: the commutation matrix of m×n matrices.
    Commutation(Dim, Dim),
}

/// A declaration `X: 1×n`, `alpha: scalar`, `A: sym n×n`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// Canonical name of the declared variable.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// What is declared.
    pub ty: DeclType,
    /// Span of the whole declaration.
    pub span: Span,
}

/// The right-hand side of a declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclType {
    /// `scalar`: 1×1.
    Scalar,
    /// `vector`: a column vector of some length.
    Vector,
    /// `rows×cols`, possibly `sym`.
    Matrix {
        /// Rows.
        rows: Dim,
        /// Columns.
        cols: Dim,
        /// Declared symmetric.
        symmetric: bool,
    },
}
