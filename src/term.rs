//! The typed expression tree that every stage after the semantic pass works
//! on: the engine, the numeric checker and the renderers.
//!
//! A `Term` carries no spans and no ambiguity: juxtaposition has been resolved
//! into a matrix product (`Mul`) or a scalar multiple (`Scale`), Greek names
//! are spelled in ASCII (`alpha`), and the identity, ones and zero matrices
//! carry their shapes.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

pub use crate::registry::Func;
use crate::shape::{Dim, Env, Shape};

/// A real constant. Compared and hashed by its bits so that terms can be keys.
#[derive(Clone, Copy, Debug)]
pub struct Number(pub f64);

impl Number {
    /// The value as `f64`.
    pub fn value(self) -> f64 {
        self.0
    }

    /// Mantissa and exponent of a number shown in scientific notation
    /// (`4.4e68` is `("4.4", "68")`); `None` for a number shown plainly.
    pub fn scientific(self) -> Option<(String, String)> {
        let shown = self.to_string();
        let (m, e) = shown.split_once('e')?;
        Some((m.to_string(), e.to_string()))
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Number {}
impl Hash for Number {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 {
            write!(f, "{}", v as i64)
        } else if v != 0.0 && !(1e-6..1e16).contains(&v.abs()) {
            // `1e-200`, `4.4e68`: the shortest form that reads back exactly.
            write!(f, "{v:e}")
        } else {
            write!(f, "{v}")
        }
    }
}

/// A typed matrix expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// A variable by canonical ASCII name (`X`, `W_1`, `alpha`).
    Var(String),
    /// A real constant (a scalar).
    Num(Number),
    /// The identity matrix of the given order.
    Identity(Dim),
    /// The all-ones matrix of the given shape.
    Ones(Shape),
    /// The zero matrix of the given shape.
    Zero(Shape),
    /// Negation.
    Neg(Box<Term>),
    /// A sum of two or more terms of one shape.
    Add(Vec<Term>),
    /// A matrix product of two or more factors, left to right.
    Mul(Vec<Term>),
    /// A scalar (first) times a matrix (second).
    Scale(Box<Term>, Box<Term>),
    /// Elementwise (Hadamard) product.
    Hadamard(Box<Term>, Box<Term>),
    /// Elementwise division.
    ElemDiv(Box<Term>, Box<Term>),
    /// A matrix (first) divided by a scalar (second).
    Div(Box<Term>, Box<Term>),
    /// Transpose.
    Transpose(Box<Term>),
    /// Inverse of a square matrix.
    Inverse(Box<Term>),
    /// Integer power of a square matrix or a scalar.
    Pow(Box<Term>, i64),
    /// Elementwise power by a real constant (`X .^ p`).
    EPow(Box<Term>, Number),
    /// A named function applied to an argument.
    Apply(Func, Box<Term>),
    /// An unknown smooth scalar function (`L`, `f`, `ℓ` spelled `ell`) of a matrix.
    Unknown(String, Box<Term>),
    /// The differential `d(E)`.
    Diff(Box<Term>),
    /// The Kronecker product `A ⊗ B`: for `A` m×n and `B` p×q, the mp×nq
    /// matrix of blocks `a_ij B`.
    Kron(Box<Term>, Box<Term>),
    /// `vec(A)`: the columns of an m×n matrix stacked into one mn×1 column.
    VecOf(Box<Term>),
    /// The commutation matrix `K_{m,n}`: the mn×mn permutation with
    /// `K_{m,n} vec(A) = vec(Aᵀ)` for every m×n matrix `A` (Magnus and
    /// Neudecker, "Matrix Differential Calculus", 3.7).
    Commutation(Dim, Dim),
}

impl Term {
    /// A variable.
    pub fn var(name: &str) -> Term {
        Term::Var(name.to_string())
    }

    /// A numeric constant.
    pub fn num(v: f64) -> Term {
        Term::Num(Number(v))
    }

    /// The shape of this term, computed bottom-up from the variables' shapes.
    /// `None` if a variable is missing from `env` or the term is ill-shaped.
    pub fn shape(&self, env: &Env) -> Option<Shape> {
        use Term::*;
        Some(match self {
            Var(n) => env.shape(n)?.clone(),
            Num(_) => Shape::scalar(),
            Identity(d) => Shape::new(d.clone(), d.clone()),
            Ones(s) | Zero(s) => s.clone(),
            Neg(a) | Inverse(a) | Diff(a) | Pow(a, _) | EPow(a, _) => a.shape(env)?,
            Add(ts) => {
                let first = ts.first()?.shape(env)?;
                for t in &ts[1..] {
                    if t.shape(env)? != first {
                        return None;
                    }
                }
                first
            }
            Mul(ts) => {
                let first = ts.first()?.shape(env)?;
                let mut cols = first.cols.clone();
                for t in &ts[1..] {
                    let s = t.shape(env)?;
                    if s.rows != cols {
                        return None;
                    }
                    cols = s.cols;
                }
                Shape::new(first.rows, cols)
            }
            Scale(_, b) | Div(b, _) => b.shape(env)?,
            Hadamard(a, b) | ElemDiv(a, b) => {
                let sa = a.shape(env)?;
                if sa != b.shape(env)? {
                    return None;
                }
                sa
            }
            Transpose(a) => a.shape(env)?.transposed(),
            Apply(f, a) => f.spec().shape.apply(&a.shape(env)?)?,
            Unknown(..) => Shape::scalar(),
            Kron(a, b) => {
                let (sa, sb) = (a.shape(env)?, b.shape(env)?);
                Shape::new(
                    Dim::product(&sa.rows, &sb.rows),
                    Dim::product(&sa.cols, &sb.cols),
                )
            }
            VecOf(a) => {
                let s = a.shape(env)?;
                Shape::new(Dim::product(&s.rows, &s.cols), Dim::one())
            }
            Commutation(m, n) => {
                let d = Dim::product(m, n);
                Shape::new(d.clone(), d)
            }
        })
    }

    /// The number of levels of the tree (a leaf has depth 1), computed
    /// without recursion, so that it can measure a term too deep for the
    /// recursive passes.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((t, d)) = stack.pop() {
            deepest = deepest.max(d);
            stack.extend(t.children().into_iter().map(|c| (c, d + 1)));
        }
        deepest
    }

    /// Whether `d(·)` occurs anywhere in this term.
    pub fn has_diff(&self) -> bool {
        self.any(&|t| matches!(t, Term::Diff(_)))
    }

    /// Whether the variable `name` occurs anywhere in this term.
    pub fn mentions(&self, name: &str) -> bool {
        self.any(&|t| matches!(t, Term::Var(n) if n == name))
    }

    /// Whether any sub-term (this one included) satisfies `pred`.
    pub fn any(&self, pred: &dyn Fn(&Term) -> bool) -> bool {
        if pred(self) {
            return true;
        }
        self.children().iter().any(|c| c.any(pred))
    }

    /// The direct sub-terms, left to right.
    pub fn children(&self) -> Vec<&Term> {
        use Term::*;
        match self {
            Var(_) | Num(_) | Identity(_) | Ones(_) | Zero(_) | Commutation(..) => vec![],
            VecOf(a)
            | Neg(a)
            | Transpose(a)
            | Inverse(a)
            | Pow(a, _)
            | EPow(a, _)
            | Apply(_, a)
            | Unknown(_, a)
            | Diff(a) => vec![a],
            Add(ts) | Mul(ts) => ts.iter().collect(),
            Scale(a, b) | Hadamard(a, b) | ElemDiv(a, b) | Div(a, b) | Kron(a, b) => vec![a, b],
        }
    }

    /// The variables of this term in order of first appearance, without repeats.
    pub fn variables_in_order(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut stack = vec![self];
        while let Some(t) = stack.pop() {
            if let Term::Var(n) = t
                && seen.insert(n.as_str())
            {
                out.push(n.clone());
            }
            stack.extend(t.children().into_iter().rev());
        }
        out
    }

    /// The same term with nested products and sums spliced into their parents.
    pub fn flattened(&self) -> Term {
        fn splice(ts: &[Term], is_same: fn(&Term) -> bool) -> Vec<Term> {
            let mut out = Vec::new();
            for t in ts {
                let t = t.flattened();
                if is_same(&t) {
                    out.extend(t.children().into_iter().cloned());
                } else {
                    out.push(t);
                }
            }
            out
        }
        match self {
            Term::Add(ts) => Term::Add(splice(ts, |t| matches!(t, Term::Add(_)))),
            Term::Mul(ts) => Term::Mul(splice(ts, |t| matches!(t, Term::Mul(_)))),
            other => other.map_children(Term::flattened),
        }
    }

    /// The same operator over new children: `f` applied to each direct
    /// sub-term, left to right; leaves are cloned.
    pub fn map_children(&self, mut f: impl FnMut(&Term) -> Term) -> Term {
        let mut b = |x: &Term| Box::new(f(x));
        match self {
            Term::Neg(a) => Term::Neg(b(a)),
            Term::Transpose(a) => Term::Transpose(b(a)),
            Term::Inverse(a) => Term::Inverse(b(a)),
            Term::Diff(a) => Term::Diff(b(a)),
            Term::VecOf(a) => Term::VecOf(b(a)),
            Term::Kron(x, y) => {
                let x = b(x);
                Term::Kron(x, b(y))
            }
            Term::Pow(a, k) => Term::Pow(b(a), *k),
            Term::EPow(a, p) => Term::EPow(b(a), *p),
            Term::Apply(g, a) => Term::Apply(*g, b(a)),
            Term::Unknown(n, a) => Term::Unknown(n.clone(), b(a)),
            Term::Scale(x, y) => {
                let x = b(x);
                Term::Scale(x, b(y))
            }
            Term::Hadamard(x, y) => {
                let x = b(x);
                Term::Hadamard(x, b(y))
            }
            Term::ElemDiv(x, y) => {
                let x = b(x);
                Term::ElemDiv(x, b(y))
            }
            Term::Div(x, y) => {
                let x = b(x);
                Term::Div(x, b(y))
            }
            Term::Add(ts) => Term::Add(ts.iter().map(|t| *b(t)).collect()),
            Term::Mul(ts) => Term::Mul(ts.iter().map(|t| *b(t)).collect()),
            leaf => leaf.clone(),
        }
    }

    /// The variables of this term, in name order, without repeats.
    pub fn variables(&self) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        self.collect_vars(&mut out);
        out.into_iter().collect()
    }

    fn collect_vars(&self, out: &mut std::collections::BTreeSet<String>) {
        if let Term::Var(n) = self {
            out.insert(n.clone());
        }
        for c in self.children() {
            c.collect_vars(out);
        }
    }
}
