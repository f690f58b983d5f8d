//! The e-graph language of the engine, its shape analysis, and the
//! conversions between [`Term`] and egg's `RecExpr`.
//!
//! Products and sums are n-ary (`Mul`, `Add` hold a slice of children): a
//! chain of k factors is one e-node, so a rule that rotates or regroups it
//! adds one node, not the 2^k regroupings that binary associativity makes.
//!
//! Leaves are [`Atom`]s numbered in order of first appearance in the input,
//! never egg `Symbol`s: node order inside an e-class is then the same in every
//! run, and extraction ties break the same way each time.

use std::fmt;
use std::str::FromStr;

use egg::{Analysis, DidMerge, Id, Language, RecExpr, define_language};

use crate::shape::{Dim, Env, Shape};
use crate::term::{Func, Number, Term};

/// A leaf of the e-graph language: an index into the problem's [`Ctx`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Atom {
    /// A variable, by index into [`Ctx::vars`].
    Var(u32),
    /// A symbolic dimension, by index into [`Ctx::dims`].
    Dim(u32),
    /// A literal dimension.
    Lit(u64),
    /// The name of an unknown function, by index into [`Ctx::fnames`].
    Fname(u32),
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Var(i) => write!(f, "$v{i}"),
            Atom::Dim(i) => write!(f, "$d{i}"),
            Atom::Lit(n) => write!(f, "$l{n}"),
            Atom::Fname(i) => write!(f, "$f{i}"),
        }
    }
}

impl FromStr for Atom {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let rest = s.strip_prefix('$').ok_or(())?;
        let (tag, num) = rest.split_at(rest.len().min(1));
        match tag {
            "v" => num.parse().map(Atom::Var).map_err(|_| ()),
            "d" => num.parse().map(Atom::Dim).map_err(|_| ()),
            "l" => num.parse().map(Atom::Lit).map_err(|_| ()),
            "f" => num.parse().map(Atom::Fname).map_err(|_| ()),
            _ => Err(()),
        }
    }
}

impl FromStr for Number {
    type Err = std::num::ParseFloatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Number)
    }
}

define_language! {
    /// The operators of the engine's e-graph.
    pub enum Math {
        "+" = Add(Box<[Id]>),
        "*" = Mul(Box<[Id]>),
        "scale" = Scale([Id; 2]),
        "neg" = Neg(Id),
        "had" = Had([Id; 2]),
        "ediv" = EDiv([Id; 2]),
        "div" = Div([Id; 2]),
        "T" = Transpose(Id),
        "inv" = Inv(Id),
        "pow" = Pow([Id; 2]),
        "d" = D(Id),
        "unknown" = Unknown([Id; 2]),
        "I" = Identity(Id),
        "ones" = Ones([Id; 2]),
        "zero" = Zero([Id; 2]),
        "epow" = EPow([Id; 2]),
        "kron" = Kron([Id; 2]),
        "vec" = VecOf(Id),
        // The commutation matrix K_{m,n}; its children are dimensions.
        "K" = Commutation([Id; 2]),
        // A product of dimensions (the rows of a Kronecker product), as a
        // dimension of `I`, `𝟙`, `0` or `K`; its children are dimension atoms.
        "dim*" = DimProd(Box<[Id]>),
        Num(Number),
        App(Func, [Id; 1]),
        Atom(Atom),
    }
}

impl Math {
    /// The node for `f(arg)`.
    pub fn apply(f: Func, arg: Id) -> Math {
        Math::App(f, [arg])
    }

    /// The node for `tr(arg)`.
    pub fn trace(arg: Id) -> Math {
        Math::App(Func::Tr, [arg])
    }

    /// The function and argument of a function node.
    pub fn as_func(&self) -> Option<(Func, Id)> {
        match *self {
            Math::App(f, [a]) => Some((f, a)),
            _ => None,
        }
    }

    /// The argument of an application of `f`.
    pub fn arg_of(&self, f: Func) -> Option<Id> {
        match *self {
            Math::App(g, [a]) if g == f => Some(a),
            _ => None,
        }
    }
}

/// The names behind the atoms of one problem, and its environment.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// Variable names; `Atom::Var(i)` is `vars[i]`.
    pub vars: Vec<String>,
    /// Symbolic dimension names; `Atom::Dim(i)` is `dims[i]`.
    pub dims: Vec<String>,
    /// Unknown-function names; `Atom::Fname(i)` is `fnames[i]`.
    pub fnames: Vec<String>,
    /// Shapes of the variables (including introduced ones such as `G`).
    pub env: Env,
    /// Variables held constant (those not differentiated by): their
    /// differentials are zero from the start.
    pub constants: Vec<String>,
}

impl Ctx {
    /// A context over the variables of `env`.
    pub fn new(env: Env) -> Ctx {
        // Every dimension gets its atom up front: rules build identity, ones
        // and zero matrices from shapes while the e-graph holds a copy.
        let mut dims = Vec::new();
        for v in env.vars.values() {
            for d in [&v.shape.rows, &v.shape.cols] {
                for f in d.factors() {
                    if let Dim::Sym(s) = f
                        && !dims.contains(&s)
                    {
                        dims.push(s);
                    }
                }
            }
        }
        Ctx {
            env,
            dims,
            ..Ctx::default()
        }
    }

    fn index(table: &mut Vec<String>, name: &str) -> u32 {
        match table.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                table.push(name.to_string());
                (table.len() - 1) as u32
            }
        }
    }

    /// The atom of variable `name`, registering it on first use.
    pub fn var_atom(&mut self, name: &str) -> Atom {
        Atom::Var(Self::index(&mut self.vars, name))
    }

    fn dim_atom(&mut self, d: &Dim) -> Atom {
        match d {
            Dim::Lit(n) => Atom::Lit(*n),
            Dim::Sym(s) => Atom::Dim(Self::index(&mut self.dims, s)),
            // Products are nodes of their own (see `add_dim`).
            Dim::Prod(_) => Atom::Lit(0),
        }
    }

    /// Adds the dimension `d` to `expr`: an atom, or a `DimProd` node over
    /// the atoms of its factors.
    fn add_dim(&mut self, expr: &mut RecExpr<Math>, d: &Dim) -> Id {
        match d {
            Dim::Prod(fs) => {
                let ids: Vec<Id> = fs
                    .iter()
                    .map(|f| expr.add(Math::Atom(self.dim_atom(f))))
                    .collect();
                expr.add(Math::DimProd(ids.into()))
            }
            d => expr.add(Math::Atom(self.dim_atom(d))),
        }
    }

    fn dim_of(&self, a: Atom) -> Option<Dim> {
        match a {
            Atom::Lit(n) => Some(Dim::Lit(n)),
            Atom::Dim(i) => self.dims.get(i as usize).map(|s| Dim::Sym(s.clone())),
            _ => None,
        }
    }

    /// The shape of the variable behind `a`, if it is one.
    pub fn var_shape(&self, a: Atom) -> Option<Shape> {
        match a {
            Atom::Var(i) => self.env.shape(self.vars.get(i as usize)?).cloned(),
            _ => None,
        }
    }

    /// The name of the variable behind `a`.
    pub fn var_name(&self, a: Atom) -> Option<&str> {
        match a {
            Atom::Var(i) => self.vars.get(i as usize).map(String::as_str),
            _ => None,
        }
    }

    /// Adds `term` to `expr`, flattening nested products and sums.
    pub fn add_term(&mut self, expr: &mut RecExpr<Math>, term: &Term) -> Id {
        let node = match term {
            Term::Var(n) => Math::Atom(self.var_atom(n)),
            Term::Num(v) => Math::Num(*v),
            Term::Identity(d) => Math::Identity(self.add_dim(expr, d)),
            Term::Commutation(m, n) => {
                let m = self.add_dim(expr, m);
                Math::Commutation([m, self.add_dim(expr, n)])
            }
            Term::Kron(a, b) => Math::Kron([self.add_term(expr, a), self.add_term(expr, b)]),
            Term::VecOf(a) => Math::VecOf(self.add_term(expr, a)),
            Term::Ones(s) | Term::Zero(s) => {
                let r = self.add_dim(expr, &s.rows);
                let c = self.add_dim(expr, &s.cols);
                if matches!(term, Term::Ones(_)) {
                    Math::Ones([r, c])
                } else {
                    Math::Zero([r, c])
                }
            }
            Term::Neg(a) => Math::Neg(self.add_term(expr, a)),
            Term::Add(ts) => {
                let mut ids = Vec::new();
                for t in flatten(ts, |t| matches!(t, Term::Add(_))) {
                    ids.push(self.add_term(expr, t));
                }
                Math::Add(ids.into())
            }
            Term::Mul(ts) => {
                let mut ids = Vec::new();
                for t in flatten(ts, |t| matches!(t, Term::Mul(_))) {
                    ids.push(self.add_term(expr, t));
                }
                Math::Mul(ids.into())
            }
            Term::Scale(a, b) => Math::Scale([self.add_term(expr, a), self.add_term(expr, b)]),
            Term::Hadamard(a, b) => Math::Had([self.add_term(expr, a), self.add_term(expr, b)]),
            Term::ElemDiv(a, b) => Math::EDiv([self.add_term(expr, a), self.add_term(expr, b)]),
            Term::Div(a, b) => Math::Div([self.add_term(expr, a), self.add_term(expr, b)]),
            Term::Transpose(a) => Math::Transpose(self.add_term(expr, a)),
            Term::Inverse(a) => Math::Inv(self.add_term(expr, a)),
            Term::Pow(a, k) => {
                let a = self.add_term(expr, a);
                let k = expr.add(Math::Num(Number(*k as f64)));
                Math::Pow([a, k])
            }
            Term::EPow(a, p) => {
                let a = self.add_term(expr, a);
                let p = expr.add(Math::Num(*p));
                Math::EPow([a, p])
            }
            Term::Apply(f, a) => {
                let a = self.add_term(expr, a);
                Math::apply(*f, a)
            }
            Term::Unknown(name, a) => {
                let n = expr.add(Math::Atom(Atom::Fname(Self::index(&mut self.fnames, name))));
                let a = self.add_term(expr, a);
                Math::Unknown([n, a])
            }
            Term::Diff(a) => Math::D(self.add_term(expr, a)),
        };
        expr.add(node)
    }

    /// The `RecExpr` of a term.
    pub fn to_rec(&mut self, term: &Term) -> RecExpr<Math> {
        let mut expr = RecExpr::default();
        self.add_term(&mut expr, term);
        expr
    }

    /// The term of a `RecExpr` (its root is the last node).
    pub fn from_rec(&self, expr: &RecExpr<Math>) -> Term {
        let nodes = expr.as_ref();
        self.term_at(nodes, Id::from(nodes.len() - 1))
    }

    /// The children's terms, with children of the same n-ary operator spliced in.
    fn spliced(
        &self,
        nodes: &[Math],
        ids: &[Id],
        same: fn(Term) -> Result<Vec<Term>, Term>,
    ) -> Vec<Term> {
        let mut out = Vec::new();
        for &i in ids {
            match same(self.term_at(nodes, i)) {
                Ok(ts) => out.extend(ts),
                Err(t) => out.push(t),
            }
        }
        out
    }

    fn term_at(&self, nodes: &[Math], id: Id) -> Term {
        let t = |i: Id| Box::new(self.term_at(nodes, i));
        let atom = |i: &Id| match &nodes[usize::from(*i)] {
            Math::Atom(a) => self.dim_of(*a).unwrap_or(Dim::Lit(0)),
            _ => Dim::Lit(0),
        };
        let dim = |i: Id| match &nodes[usize::from(i)] {
            Math::DimProd(fs) => fs
                .iter()
                .map(atom)
                .fold(Dim::one(), |acc, f| Dim::product(&acc, &f)),
            _ => atom(&i),
        };
        match &nodes[usize::from(id)] {
            Math::Add(ids) => Term::Add(self.spliced(nodes, ids, |t| match t {
                Term::Add(ts) => Ok(ts),
                t => Err(t),
            })),
            Math::Mul(ids) => Term::Mul(self.spliced(nodes, ids, |t| match t {
                Term::Mul(ts) => Ok(ts),
                t => Err(t),
            })),
            Math::Scale([a, b]) => Term::Scale(t(*a), t(*b)),
            Math::Neg(a) => Term::Neg(t(*a)),
            Math::Had([a, b]) => Term::Hadamard(t(*a), t(*b)),
            Math::EDiv([a, b]) => Term::ElemDiv(t(*a), t(*b)),
            Math::Div([a, b]) => Term::Div(t(*a), t(*b)),
            Math::Transpose(a) => Term::Transpose(t(*a)),
            Math::Inv(a) => Term::Inverse(t(*a)),
            Math::Pow([a, k]) => {
                let k = match &nodes[usize::from(*k)] {
                    Math::Num(n) => n.0 as i64,
                    _ => 1,
                };
                Term::Pow(t(*a), k)
            }
            Math::EPow([a, p]) => {
                let p = match &nodes[usize::from(*p)] {
                    Math::Num(n) => *n,
                    _ => Number(1.0),
                };
                Term::EPow(t(*a), p)
            }
            Math::D(a) => Term::Diff(t(*a)),
            Math::Unknown([n, a]) => {
                let name = match &nodes[usize::from(*n)] {
                    Math::Atom(Atom::Fname(i)) => self.fnames[*i as usize].clone(),
                    _ => "L".to_string(),
                };
                Term::Unknown(name, t(*a))
            }
            Math::Identity(d) => Term::Identity(dim(*d)),
            Math::Ones([r, c]) => Term::Ones(Shape::new(dim(*r), dim(*c))),
            Math::Zero([r, c]) => Term::Zero(Shape::new(dim(*r), dim(*c))),
            Math::Num(n) => Term::Num(*n),
            Math::Atom(a) => match self.var_name(*a) {
                Some(n) => Term::Var(n.to_string()),
                None => Term::Var(a.to_string()),
            },
            Math::App(f, [a]) => Term::Apply(*f, t(*a)),
            Math::Kron([a, b]) => Term::Kron(t(*a), t(*b)),
            Math::VecOf(a) => Term::VecOf(t(*a)),
            Math::Commutation([m, n]) => Term::Commutation(dim(*m), dim(*n)),
            // A dimension is read only as the child of a matrix constant.
            Math::DimProd(_) => Term::Identity(dim(id)),
        }
    }
}

fn flatten(ts: &[Term], same: fn(&Term) -> bool) -> Vec<&Term> {
    let mut out = Vec::new();
    let mut stack: Vec<&Term> = ts.iter().rev().collect();
    while let Some(t) = stack.pop() {
        if same(t) {
            stack.extend(t.children().into_iter().rev());
        } else {
            out.push(t);
        }
    }
    out
}

/// What the analysis knows about an e-class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Data {
    /// The shape of the class's value (`None` for dimension and name leaves).
    pub shape: Option<Shape>,
    /// Whether a differential `d(·)` occurs in the class's terms.
    pub has_d: bool,
    /// Whether the class's value involves no variable (a constant).
    pub constant: bool,
    /// The value, when the class is a known number.
    pub num: Option<Number>,
    /// Whether the class's value is known to be a symmetric matrix: a
    /// declared `sym` variable, a scalar, `I`, `XᵀX`, `XXᵀ`, `AᵀSA` for
    /// symmetric `S`, `A + Aᵀ`, and the transposes, inverses, powers, sums,
    /// scalar multiples and elementwise functions of symmetric matrices.
    pub symmetric: bool,
}

/// The shape analysis: shapes from the problem's environment.
#[derive(Clone, Debug, Default)]
pub struct ShapeAnalysis {
    /// The problem's names and shapes.
    pub ctx: Ctx,
}

/// The engine's e-graph.
pub type EG = egg::EGraph<Math, ShapeAnalysis>;

impl Analysis<Math> for ShapeAnalysis {
    type Data = Data;

    fn make(egraph: &mut EG, enode: &Math, _id: Id) -> Data {
        let d = |i: &Id| &egraph[*i].data;
        let sh = |i: &Id| d(i).shape.clone();
        let atom = |i: &Id| -> Option<Dim> {
            egraph[*i].nodes.iter().find_map(|n| match n {
                Math::Atom(a) => egraph.analysis.ctx.dim_of(*a),
                _ => None,
            })
        };
        let dim = |i: &Id| -> Option<Dim> {
            egraph[*i].nodes.iter().find_map(|n| match n {
                Math::Atom(a) => egraph.analysis.ctx.dim_of(*a),
                Math::DimProd(fs) => fs
                    .iter()
                    .try_fold(Dim::one(), |acc, f| Some(Dim::product(&acc, &atom(f)?))),
                _ => None,
            })
        };
        let has_d = matches!(enode, Math::D(_)) || enode.children().iter().any(|c| d(c).has_d);
        let constant = match enode {
            Math::Atom(Atom::Var(i)) => {
                let ctx = &egraph.analysis.ctx;
                ctx.vars
                    .get(*i as usize)
                    .is_some_and(|n| ctx.constants.contains(n))
            }
            Math::Atom(_) => true,
            Math::Unknown([_, a]) => d(a).constant,
            _ => enode.children().iter().all(|c| d(c).constant),
        };
        let shape = match enode {
            Math::Atom(a) => egraph.analysis.ctx.var_shape(*a),
            Math::Num(_) => Some(Shape::scalar()),
            Math::Identity(n) => dim(n).map(|n| Shape::new(n.clone(), n)),
            Math::Ones([r, c]) | Math::Zero([r, c]) => {
                dim(r).zip(dim(c)).map(|(r, c)| Shape::new(r, c))
            }
            Math::Add(ids) => ids.first().and_then(sh),
            Math::Mul(ids) => match (ids.first().and_then(sh), ids.last().and_then(sh)) {
                (Some(a), Some(b)) => Some(Shape::new(a.rows, b.cols)),
                _ => None,
            },
            Math::Scale([_, b]) | Math::Div([b, _]) => sh(b),
            Math::Neg(a) | Math::Inv(a) | Math::D(a) | Math::Pow([a, _]) | Math::EPow([a, _]) => {
                sh(a)
            }
            Math::Had([a, _]) | Math::EDiv([a, _]) => sh(a),
            Math::Transpose(a) => sh(a).map(|s| s.transposed()),
            Math::Unknown(_) => Some(Shape::scalar()),
            Math::App(f, [a]) => sh(a).and_then(|s| f.spec().shape.apply(&s)),
            Math::Kron([a, b]) => match (sh(a), sh(b)) {
                (Some(x), Some(y)) => Some(Shape::new(
                    Dim::product(&x.rows, &y.rows),
                    Dim::product(&x.cols, &y.cols),
                )),
                _ => None,
            },
            Math::VecOf(a) => sh(a).map(|s| Shape::new(Dim::product(&s.rows, &s.cols), Dim::one())),
            Math::Commutation([m, n]) => dim(m).zip(dim(n)).map(|(m, n)| {
                let d = Dim::product(&m, &n);
                Shape::new(d.clone(), d)
            }),
            Math::DimProd(_) => None,
        };
        let num = match enode {
            Math::Num(n) => Some(*n),
            _ => None,
        };
        let symmetric = shape.as_ref().is_some_and(Shape::is_scalar) || symmetric(egraph, enode);
        Data {
            shape,
            has_d,
            constant,
            num,
            symmetric,
        }
    }

    fn merge(&mut self, to: &mut Data, from: Data) -> DidMerge {
        let mut changed_to = false;
        if to.shape.is_none() && from.shape.is_some() {
            to.shape = from.shape.clone();
            changed_to = true;
        }
        if !to.has_d && from.has_d {
            to.has_d = true;
            changed_to = true;
        }
        if to.num.is_none() && from.num.is_some() {
            to.num = from.num;
            changed_to = true;
        }
        // One form that shows symmetry is enough: the class is one value.
        if !to.symmetric && from.symmetric {
            to.symmetric = true;
            changed_to = true;
        }
        let changed_from =
            to.shape != from.shape || to.has_d != from.has_d || to.symmetric != from.symmetric;
        DidMerge(changed_to, changed_from)
    }
}

/// Whether `enode` is a symmetric matrix, from its operator and what is
/// known of its operands (the scalar case is decided by the shape).
fn symmetric(egraph: &EG, enode: &Math) -> bool {
    let sym = |i: &Id| egraph[*i].data.symmetric;
    match enode {
        Math::Atom(a) => {
            let ctx = &egraph.analysis.ctx;
            ctx.var_name(*a).is_some_and(|n| ctx.env.is_symmetric(n))
        }
        Math::Identity(_) => true,
        Math::Ones([r, c]) | Math::Zero([r, c]) => egraph.find(*r) == egraph.find(*c),
        Math::Transpose(a)
        | Math::Inv(a)
        | Math::Neg(a)
        | Math::Pow([a, _])
        | Math::EPow([a, _])
        | Math::Scale([_, a])
        | Math::Div([a, _]) => sym(a),
        Math::Add(ts) => ts.iter().all(sym),
        Math::Had([a, b]) | Math::EDiv([a, b]) => sym(a) && sym(b),
        Math::App(f, [a]) if f.is_elementwise() => sym(a),
        // diag(v) of a column v is diagonal.
        Math::App(Func::Diag, [a]) => egraph[*a]
            .data
            .shape
            .as_ref()
            .is_some_and(|s| s.cols.is_one()),
        // A palindrome of transposes around a symmetric middle: XᵀX, X Xᵀ, AᵀSA.
        Math::Mul(fs) => {
            let k = fs.len();
            (0..k / 2).all(|i| transposes(egraph, fs[i], fs[k - 1 - i]))
                && (k % 2 == 0 || sym(&fs[k / 2]))
        }
        _ => false,
    }
}

/// Whether class `b` is known to be the transpose of class `a`.
fn transposes(egraph: &EG, a: Id, b: Id) -> bool {
    let (a, b) = (egraph.find(a), egraph.find(b));
    let holds_transpose_of = |x: Id, y: Id| {
        egraph[x]
            .nodes
            .iter()
            .any(|n| matches!(n, Math::Transpose(z) if egraph.find(*z) == y))
    };
    (a == b && egraph[a].data.symmetric) || holds_transpose_of(b, a) || holds_transpose_of(a, b)
}
