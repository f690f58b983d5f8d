//! Index notation: a scalar entry of a matrix expression written as a sum of
//! products of indexed factors, each product with its own Σ over bound
//! indices, as in `y_j = Σ_k x_k w_kj + b_j`.
//!
//! A factor is an entry of a variable (`w_kj`), a Kronecker δ, an entrywise
//! map of an inner index expression (`σ(Σ_k x_ik w_kj + b_ij)`), or an entry
//! of an operation without a finer index form (`(X⁻¹)_ij`, `det(X)`,
//! `L(Y)`). Maps and operations keep the matrix [`Term`] they are an entry
//! of, so that reassembly into matrix notation never has to rebuild it.

use crate::term::{Func, Number, Term};

/// The name of an index (`i`, `k`, `k1`).
pub type Index = String;

/// A function applied entry by entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Map {
    /// An elementwise function of the language.
    Func(Func),
    /// The derivative `f′` of an elementwise function.
    Deriv(Func),
    /// An integer power (`-1` is the reciprocal of `./` and `/`).
    Pow(i64),
    /// A real power (`.^ p`).
    EPow(Number),
}

/// An operation whose entries have no finer index form; its partials are
/// known entry by entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Opaque {
    /// `(A⁻¹)_ij`: ∂(A⁻¹)_ij/∂a_kl = −(A⁻¹)_ik (A⁻¹)_lj.
    Inverse,
    /// `det(A)`: ∂det A/∂a_ij = det A · (A⁻¹)_ji.
    Det,
    /// `logdet(A)`: ∂logdet A/∂a_ij = (A⁻¹)_ji.
    Logdet,
    /// An unknown scalar function: ∂L/∂y_ij = g_ij, the entries of `G`.
    Unknown(String),
    /// An entry of softmax, log-softmax or log-sum-exp along an axis:
    /// for `s = softmax(z)`, `sᵢ = exp(zᵢ) / Σₖ exp(zₖ)` and
    /// ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ); ∂ log sᵢ/∂zⱼ = δᵢⱼ − sⱼ;
    /// ∂ logsumexp(z)/∂zⱼ = sⱼ (down each column, or along each row).
    Along(Func),
    /// The number of entries of a matrix: a constant.
    Numel,
}

/// One indexed factor of a product.
#[derive(Clone, Debug, PartialEq)]
pub enum Factor {
    /// An entry of a variable: `x_k`, `w_kj`, or a scalar `α` (no index).
    Entry {
        /// The variable.
        name: String,
        /// Its indices: none for a scalar, one for a vector or a 1×n row.
        idx: Vec<Index>,
    },
    /// The Kronecker δ: 1 when the two indices are equal, else 0.
    Delta(Index, Index),
    /// A map applied to an entry of `arg`: `(f(arg))_idx = f(inner)`.
    Map {
        /// The map.
        map: Map,
        /// The matrix it is applied to.
        arg: Term,
        /// The entry's indices (as for a variable of `arg`'s shape).
        idx: Vec<Index>,
        /// The index form of `arg` at `idx`.
        inner: Expr,
    },
    /// An entry of an operation on `arg`.
    Opaque {
        /// The operation.
        op: Opaque,
        /// Its argument.
        arg: Term,
        /// The entry's indices (none for a scalar).
        idx: Vec<Index>,
    },
}

/// `coef · Σ_sums Π factors`.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    /// A constant coefficient.
    pub coef: f64,
    /// The bound indices, summed over.
    pub sums: Vec<Index>,
    /// The factors, in the order they are written.
    pub factors: Vec<Factor>,
}

/// A sum of products; the empty sum is zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expr {
    /// The products.
    pub terms: Vec<Product>,
}

impl Product {
    /// The constant `c`.
    pub fn constant(c: f64) -> Product {
        Product {
            coef: c,
            sums: vec![],
            factors: vec![],
        }
    }

    /// One factor with coefficient 1.
    pub fn factor(f: Factor) -> Product {
        Product {
            coef: 1.0,
            sums: vec![],
            factors: vec![f],
        }
    }

    /// The product of two products (their bound indices must be distinct).
    pub fn times(&self, other: &Product) -> Product {
        let mut sums = self.sums.clone();
        sums.extend(other.sums.iter().cloned());
        let mut factors = self.factors.clone();
        factors.extend(other.factors.iter().cloned());
        Product {
            coef: self.coef * other.coef,
            sums,
            factors,
        }
    }

    /// Replaces the free index `from` by `to`. A product that binds `from`
    /// is a different scope and is left alone.
    pub fn subst(&mut self, from: &str, to: &str) {
        if self.sums.iter().any(|s| s == from) {
            return;
        }
        for f in &mut self.factors {
            f.subst(from, to);
        }
    }

    /// Whether the free or bound index `i` occurs in a factor.
    pub fn mentions(&self, i: &str) -> bool {
        self.factors.iter().any(|f| f.mentions(i))
    }
}

impl Factor {
    /// Replaces the free index `from` by `to`.
    pub fn subst(&mut self, from: &str, to: &str) {
        let swap = |idx: &mut Vec<Index>| {
            for i in idx.iter_mut() {
                if i == from {
                    *i = to.to_string();
                }
            }
        };
        match self {
            Factor::Entry { idx, .. } | Factor::Opaque { idx, .. } => swap(idx),
            Factor::Delta(a, b) => {
                if a == from {
                    *a = to.to_string();
                }
                if b == from {
                    *b = to.to_string();
                }
            }
            Factor::Map { idx, inner, .. } => {
                swap(idx);
                inner.subst(from, to);
            }
        }
    }

    /// The indices of this factor as written at the top level (for a map,
    /// the indices of its entry).
    pub fn indices(&self) -> Vec<&Index> {
        match self {
            Factor::Entry { idx, .. } | Factor::Opaque { idx, .. } | Factor::Map { idx, .. } => {
                idx.iter().collect()
            }
            Factor::Delta(a, b) => vec![a, b],
        }
    }

    /// Whether the index `i` occurs in this factor.
    pub fn mentions(&self, i: &str) -> bool {
        self.indices().iter().any(|x| *x == i)
    }
}

impl Expr {
    /// The constant `c` (zero is the empty sum).
    pub fn constant(c: f64) -> Expr {
        if c == 0.0 {
            return Expr::default();
        }
        Expr {
            terms: vec![Product::constant(c)],
        }
    }

    /// One factor.
    pub fn factor(f: Factor) -> Expr {
        Expr {
            terms: vec![Product::factor(f)],
        }
    }

    /// The sum of two expressions.
    pub fn plus(mut self, other: Expr) -> Expr {
        self.terms.extend(other.terms);
        self
    }

    /// The product, distributed over both sums.
    pub fn times(&self, other: &Expr) -> Expr {
        let mut terms = Vec::new();
        for a in &self.terms {
            for b in &other.terms {
                terms.push(a.times(b));
            }
        }
        Expr { terms }
    }

    /// Every product multiplied by `c`.
    pub fn scaled(mut self, c: f64) -> Expr {
        for t in &mut self.terms {
            t.coef *= c;
        }
        self
    }

    /// Every product summed over `sums` as well.
    pub fn summed(mut self, sums: &[Index]) -> Expr {
        for t in &mut self.terms {
            let mut s = sums.to_vec();
            s.append(&mut t.sums);
            t.sums = s;
        }
        self
    }

    /// Replaces the free index `from` by `to`.
    pub fn subst(&mut self, from: &str, to: &str) {
        for t in &mut self.terms {
            t.subst(from, to);
        }
    }

    /// Whether the expression is zero (the empty sum).
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }
}
