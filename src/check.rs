//! The semantic pass: kinds, shapes and the typed [`Term`].
//!
//! Kinds come from the case of a name (uppercase: matrix, lowercase: column
//! vector, Greek: scalar) unless a declaration says otherwise. Dimensions are
//! symbolic and unified with a union-find ([`crate::unify`]); a dimension that
//! nothing constrains gets a fresh readable name (`n`, `m`, `p`, …) in order of
//! first appearance.
//!
//! Juxtaposition is resolved left to right: a matrix product, or a scalar
//! multiple when one side is already known to be 1×1 (a Greek name, a number,
//! a scalar declaration, or a 1×1 result such as `aᵀb` or `tr(…)`).
//!
//! A declaration of a name that the expression does not use is an error: it
//! is almost always a misspelling, and silently ignoring it would let a shape
//! the user meant to impose go unchecked.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Callee, Decl, DeclType, Expr, ExprKind, Input, ProductOp, Sign, Span};
use crate::error::{Error, Result};
use crate::parse::{self, MAX_DEPTH};
use crate::problem::Problem;
use crate::registry::{Axis, ShapeRule};
use crate::shape::{Dim, Env, Kind, Shape, VarInfo};
use crate::term::{Func, Number, Term};
use crate::unify::{Conflict, DimId, Dims};

/// The deepest typed term accepted. Elementwise chains (`A ⊙ B ⊙ C …`) nest
/// one level per operator, so this is larger than the syntax limit.
pub const MAX_TERM_DEPTH: usize = 2 * MAX_DEPTH;

/// Parses `src`, applies the `--let` declarations `lets` (each like
/// `"X: 1×n"` or `"X: 1×n, W: n×m"`) and checks kinds and shapes.
///
/// ```
/// use matdiff::{Dim, Shape, Term};
///
/// let p = matdiff::check::check("L(XW+B)", &["X: 1×n".to_string()]).unwrap();
/// let shape = |r: Dim, c: &str| Shape::new(r, Dim::Sym(c.into()));
/// assert_eq!(p.env.shape("X"), Some(&shape(Dim::Lit(1), "n")));
/// assert_eq!(p.env.shape("W"), Some(&shape(Dim::Sym("n".into()), "m")));
/// assert_eq!(p.env.shape("B"), Some(&shape(Dim::Lit(1), "m")));
/// assert!(p.shape.is_scalar());
/// assert!(matches!(p.term, Term::Unknown(ref name, _) if name == "L"));
/// ```
pub fn check(src: &str, lets: &[String]) -> Result<Problem> {
    Ok(annotate(src, lets)?.problem)
}

/// Like [`check`], and also keeps the shape of every subexpression, for the
/// `shape` command.
pub fn annotate(src: &str, lets: &[String]) -> Result<Annotated> {
    annotate_with(src, lets, false)
}

/// Checks `src` in the environment `env`: every variable of `env` that `src`
/// uses keeps its kind and shape, and the others are ignored. For reading an
/// expected answer or a second expression against a known problem.
///
/// ```
/// let p = matdiff::check::check("L(XW+B)", &["X: 1×n".to_string()]).unwrap();
/// let g = matdiff::check::check_in("Wᵀ", &p.env).unwrap();
/// assert_eq!(g.shape, p.env.shape("W").unwrap().transposed());
/// ```
pub fn check_in(src: &str, env: &Env) -> Result<Problem> {
    let lets: Vec<String> = env
        .vars
        .iter()
        .map(|(name, v)| match v.kind {
            Kind::Scalar => format!("{name}: scalar"),
            _ if v.symmetric => format!("{name}: sym {}×{}", v.shape.rows, v.shape.cols),
            _ => format!("{name}: {}×{}", v.shape.rows, v.shape.cols),
        })
        .collect();
    Ok(annotate_with(src, &lets, true)?.problem)
}

fn annotate_with(src: &str, lets: &[String], allow_unused: bool) -> Result<Annotated> {
    let input = parse::parse(src)?;
    let lets = lets
        .iter()
        .map(|l| Declared::parse(l))
        .collect::<Result<Vec<_>>>()?;
    check_parsed(src, &input, &lets, allow_unused)
}

/// The declarations of one `--let` text (`X: 1×n, W: n×m`), parsed once:
/// a session keeps them, and errors point into `text`.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    /// The text they were read from.
    pub text: String,
    /// The declarations.
    pub decls: Vec<Decl>,
}

impl Declared {
    /// Parses `text` as `--let` declarations.
    pub fn parse(text: &str) -> Result<Declared> {
        Ok(Declared {
            text: text.to_string(),
            decls: parse::parse_decls(text)?,
        })
    }
}

/// Checks the parsed `input` (whose text is `src`) with the declarations
/// `lets` and the input's own `where` clause. With `allow_unused`, a
/// declared name the expression does not use is ignored rather than refused.
pub fn check_parsed(
    src: &str,
    input: &Input,
    lets: &[Declared],
    allow_unused: bool,
) -> Result<Annotated> {
    let mut decls = Vec::new();
    for (i, d) in lets.iter().enumerate() {
        for x in &d.decls {
            decls.push((Origin::Let(i), x.clone()));
        }
    }
    decls.extend(input.decls.iter().cloned().map(|d| (Origin::Input, d)));
    let mut c = Checker {
        src,
        lets,
        dims: Dims::default(),
        vars: BTreeMap::new(),
        functions: BTreeMap::new(),
        function_args: BTreeMap::new(),
        dim_names: BTreeMap::new(),
        nodes: Vec::new(),
        seen: Vec::new(),
        ones_columns: Vec::new(),
    };
    for (origin, d) in &decls {
        c.declare(*origin, d)?;
    }
    let root = c.expr(&input.expr, 0)?;
    c.depth_limit(&root, input.expr.span)?;
    c.ones_are_columns();
    // Reading in a derivation's own environment (`check_in`), the gradient
    // symbols of unknown functions are what they name, not a clash.
    if !allow_unused {
        c.gradient_names()?;
        c.unused_declarations()?;
    }
    Ok(c.finish(root, input.expr.span))
}

/// A checked problem with the shape of each subexpression.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotated {
    /// The checked problem.
    pub problem: Problem,
    /// Subexpressions in source order (outermost first), without plain
    /// variables and numbers, which the environment already lists.
    pub nodes: Vec<NodeShape>,
    /// The symbolic dimensions, in order of first appearance.
    pub dims: Vec<String>,
    /// The span of the expression (the input without its `where` clause).
    pub expr: Span,
}

/// The shape of one subexpression.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeShape {
    /// Where it is in the source.
    pub span: Span,
    /// How many recorded subexpressions enclose it.
    pub level: usize,
    /// Its shape.
    pub shape: Shape,
}

impl Annotated {
    /// A readable table: the whole expression, the variables, the dimensions
    /// and the tree of subexpressions, each with its shape.
    pub fn report(&self) -> String {
        let src = &self.problem.source;
        let mut out = String::new();
        let whole = ellipsize(self.expr.text(src), 60);
        out.push_str(&format!("{whole} : {}\n", show(&self.problem.shape)));
        out.push_str("\nvariables\n");
        let width = self
            .problem
            .env
            .vars
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        for (name, info) in &self.problem.env.vars {
            let kind = match info.kind {
                Kind::Scalar => "scalar",
                Kind::Vector => "vector",
                Kind::Matrix => "matrix",
            };
            let sym = if info.symmetric { ", symmetric" } else { "" };
            out.push_str(&format!(
                "  {name:width$}  {}  ({kind}{sym})\n",
                show(&info.shape)
            ));
        }
        if !self.dims.is_empty() {
            out.push_str(&format!("\ndimensions\n  {}\n", self.dims.join(", ")));
        }
        if !self.nodes.is_empty() {
            out.push_str("\nsubexpressions\n");
            let rows: Vec<(String, String)> = self
                .nodes
                .iter()
                .map(|n| {
                    let indent = "  ".repeat(n.level.min(20));
                    (
                        format!("{indent}{}", ellipsize(n.span.text(src), 40)),
                        show(&n.shape),
                    )
                })
                .collect();
            let width = rows
                .iter()
                .map(|(t, _)| t.chars().count())
                .max()
                .unwrap_or(0);
            for (text, shape) in rows {
                out.push_str(&format!("  {text:width$}  {shape}\n"));
            }
        }
        out
    }
}

fn show(s: &Shape) -> String {
    if s.is_scalar() {
        "scalar".to_string()
    } else {
        s.to_string()
    }
}

fn ellipsize(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let head: String = one_line.chars().take(max - 1).collect();
        format!("{head}…")
    }
}

/// Which text a declaration came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Input,
    Let(usize),
}

/// A shape whose dimensions are union-find variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DimShape {
    rows: DimId,
    cols: DimId,
}

struct VarState {
    kind: Kind,
    shape: DimShape,
    symmetric: bool,
    declared: Option<(Origin, Decl)>,
    used: Option<Span>,
}

/// A checked subexpression.
struct Typed {
    term: Term,
    shape: DimShape,
    depth: usize,
}

struct Checker<'a> {
    src: &'a str,
    lets: &'a [Declared],
    dims: Dims,
    vars: BTreeMap<String, VarState>,
    /// Unknown functions (`L`, `f`) by name, with the span of their first use.
    functions: BTreeMap<String, Span>,
    /// The argument shape of each unknown function, with the span of its first argument:
    /// one function takes arguments of one shape.
    function_args: BTreeMap<String, (DimShape, Span)>,
    /// Declared dimension names.
    dim_names: BTreeMap<String, DimId>,
    nodes: Vec<(Span, usize, Option<DimShape>)>,
    /// Dimensions in order of first appearance in the expression.
    seen: Vec<DimId>,
    /// The column dimension of every `𝟙` written in the input.
    ones_columns: Vec<DimId>,
}

const MATMUL_HELP: &str = "a product AB needs as many columns in A as rows in B; check the declarations, or transpose one side";
const SQUARE_HELP: &str = "only a square matrix (n×n) has this; check the declarations";

impl Checker<'_> {
    // ---- errors ------------------------------------------------------------

    fn text(&self, span: Span) -> String {
        format!("`{}`", ellipsize(span.text(self.src), 30))
    }

    fn error(&self, span: Span, message: &str, label: &str, help: Option<&str>) -> Error {
        Error::shape("input", self.src, span, message, label, help)
    }

    fn decl_error(&self, origin: Origin, span: Span, message: &str, label: &str) -> Error {
        match origin {
            Origin::Input => self.error(span, message, label, None),
            Origin::Let(i) => {
                let text = self.lets.get(i).map_or("", |d| d.text.as_str());
                Error::shape("--let", text, span, message, label, None)
            }
        }
    }

    fn show_dim(&mut self, d: DimId) -> String {
        match self.dims.value(d) {
            Some(v) => v.to_string(),
            None => "?".to_string(),
        }
    }

    fn show_shape(&mut self, s: DimShape) -> String {
        if self.is_scalar(s) {
            return "scalar".to_string();
        }
        format!("{}×{}", self.show_dim(s.rows), self.show_dim(s.cols))
    }

    fn is_scalar(&mut self, s: DimShape) -> bool {
        let one = Some(Dim::one());
        self.dims.value(s.rows) == one && self.dims.value(s.cols) == one
    }

    // ---- declarations --------------------------------------------------------

    fn dim(&mut self, d: &Dim) -> DimId {
        match d {
            Dim::Lit(_) | Dim::Prod(_) => self.dims.constant(d.clone()),
            Dim::Sym(name) => match self.dim_names.get(name) {
                Some(id) => *id,
                None => {
                    let id = self.dims.constant(d.clone());
                    self.dim_names.insert(name.clone(), id);
                    id
                }
            },
        }
    }

    fn declare(&mut self, origin: Origin, d: &Decl) -> Result<()> {
        if let Some(prev) = self.vars.get(&d.name).and_then(|v| v.declared.as_ref()) {
            if prev.1.ty == d.ty {
                return Ok(());
            }
            let message = format!("`{}` is declared twice with different shapes", d.name);
            let prev_text = match prev.0 {
                Origin::Input => prev.1.span.text(self.src).to_string(),
                Origin::Let(i) => prev
                    .1
                    .span
                    .text(self.lets.get(i).map_or("", |d| d.text.as_str()))
                    .to_string(),
            };
            let label = format!("contradicts the earlier `{prev_text}`");
            return Err(self.decl_error(origin, d.span, &message, &label));
        }
        let (kind, shape, symmetric) = match &d.ty {
            DeclType::Scalar => (Kind::Scalar, self.scalar_shape(), false),
            DeclType::Vector => {
                let rows = self.dims.fresh();
                (
                    Kind::Vector,
                    DimShape {
                        rows,
                        cols: self.dims.constant(Dim::one()),
                    },
                    false,
                )
            }
            DeclType::Matrix {
                rows,
                cols,
                symmetric,
            } => {
                if *symmetric && rows != cols {
                    let message = format!("`{}` is declared symmetric but not square", d.name);
                    return Err(self.decl_error(
                        origin,
                        d.span,
                        &message,
                        "a symmetric matrix is n×n",
                    ));
                }
                let kind = match (rows.is_one(), cols.is_one()) {
                    (true, true) => Kind::Scalar,
                    (_, true) => Kind::Vector,
                    _ => Kind::Matrix,
                };
                let shape = DimShape {
                    rows: self.dim(rows),
                    cols: self.dim(cols),
                };
                (kind, shape, *symmetric)
            }
        };
        let state = VarState {
            kind,
            shape,
            symmetric,
            declared: Some((origin, d.clone())),
            used: None,
        };
        self.vars.insert(d.name.clone(), state);
        Ok(())
    }

    fn unused_declarations(&self) -> Result<()> {
        for v in self.vars.values() {
            if let (Some((origin, d)), None) = (&v.declared, v.used) {
                let message = format!(
                    "`{}` is declared but does not appear in the expression",
                    d.name
                );
                return Err(self.decl_error(*origin, d.name_span, &message, "not used"));
            }
        }
        Ok(())
    }

    fn scalar_shape(&mut self) -> DimShape {
        DimShape {
            rows: self.dims.constant(Dim::one()),
            cols: self.dims.constant(Dim::one()),
        }
    }

    // ---- expressions ---------------------------------------------------------

    fn typed(&self, term: Term, shape: DimShape, depth: usize, span: Span) -> Result<Typed> {
        if depth > MAX_TERM_DEPTH {
            return Err(self.error(
                span,
                &format!("the expression nests more than {MAX_TERM_DEPTH} levels deep"),
                "too deep",
                Some("name an intermediate result and write it in several steps"),
            ));
        }
        Ok(Typed { term, shape, depth })
    }

    fn unify(&mut self, a: DimId, b: DimId) -> std::result::Result<(), Conflict> {
        self.dims.union(a, b)
    }

    fn expr(&mut self, e: &Expr, level: usize) -> Result<Typed> {
        let record = !matches!(
            e.kind,
            ExprKind::Var { .. } | ExprKind::Number(_) | ExprKind::Paren(_)
        );
        let slot = self.nodes.len();
        if record {
            self.nodes.push((e.span, level, None));
        }
        let inner = if record { level + 1 } else { level };
        let t = self.expr_kind(e, inner)?;
        if record {
            self.nodes[slot].2 = Some(t.shape);
        }
        Ok(t)
    }

    fn expr_kind(&mut self, e: &Expr, level: usize) -> Result<Typed> {
        let span = e.span;
        match &e.kind {
            ExprKind::Var { name, greek } => self.var(name, *greek, span),
            ExprKind::Identity => {
                let d = self.dims.fresh();
                self.seen.push(d);
                self.typed(
                    Term::Identity(placeholder(d)),
                    DimShape { rows: d, cols: d },
                    1,
                    span,
                )
            }
            ExprKind::Ones => {
                let s = DimShape {
                    rows: self.dims.fresh(),
                    cols: self.dims.fresh(),
                };
                self.seen.extend([s.rows, s.cols]);
                self.ones_columns.push(s.cols);
                let term = Term::Ones(Shape::new(placeholder(s.rows), placeholder(s.cols)));
                self.typed(term, s, 1, span)
            }
            ExprKind::Number(v) => {
                let shape = self.scalar_shape();
                self.typed(Term::num(*v), shape, 1, span)
            }
            ExprKind::Paren(inner) => self.expr(inner, level),
            ExprKind::Neg(inner) => {
                let t = self.expr(inner, level)?;
                self.typed(Term::Neg(Box::new(t.term)), t.shape, t.depth + 1, span)
            }
            ExprKind::Sum(terms) => self.sum(terms, level, span),
            ExprKind::Product { first, rest } => self.product(first, rest, level),
            ExprKind::Transpose(inner) => {
                let t = self.expr(inner, level)?;
                let shape = DimShape {
                    rows: t.shape.cols,
                    cols: t.shape.rows,
                };
                self.typed(Term::Transpose(Box::new(t.term)), shape, t.depth + 1, span)
            }
            ExprKind::Power(inner, k) => {
                let t = self.expr(inner, level)?;
                self.power(t, *k, inner.span, span)
            }
            ExprKind::EPower(inner, p) => {
                let t = self.expr(inner, level)?;
                let term = Term::EPow(Box::new(t.term), Number(*p));
                self.typed(term, t.shape, t.depth + 1, span)
            }
            ExprKind::Call(Callee::Kron, args) => {
                let [a, b] = args.as_slice() else {
                    return Err(self.error(span, "`kron` takes two arguments", "here", None));
                };
                let (ta, tb) = (self.expr(a, level)?, self.expr(b, level)?);
                self.kron(ta, tb, span)
            }
            ExprKind::Commutation(m, n) => {
                let (m, n) = (self.dim(m), self.dim(n));
                self.seen.extend([m, n]);
                let d = self.dims.product(m, n);
                let term = Term::Commutation(placeholder(m), placeholder(n));
                self.typed(term, DimShape { rows: d, cols: d }, 1, span)
            }
            ExprKind::Call(callee, args) => {
                let (arg, axis) = match (args.as_slice(), callee) {
                    ([arg], _) => (arg, None),
                    // The parser allows an axis only where the registry has one.
                    ([arg, axis], Callee::Func(f)) if f.axis().is_some() => match axis.kind {
                        ExprKind::Number(k) => (arg, Axis::from_number(k)),
                        _ => (arg, None),
                    },
                    _ => {
                        return Err(self.error(
                            span,
                            "a function takes one argument",
                            "here",
                            None,
                        ));
                    }
                };
                let t = self.expr(arg, level)?;
                let callee = match (callee, axis) {
                    (Callee::Func(f), Some(a)) => Callee::Func(f.with_axis(a).unwrap_or(*f)),
                    // Over the entries of a row vector, unless an axis is written.
                    (Callee::Func(f), None)
                        if f.axis().is_some()
                            && self.dims.value(t.shape.rows) == Some(Dim::one())
                            && self.dims.value(t.shape.cols) != Some(Dim::one()) =>
                    {
                        Callee::Func(f.with_axis(Axis::Rows).unwrap_or(*f))
                    }
                    (c, _) => *c,
                };
                self.call(callee, t, arg.span, span)
            }
            ExprKind::Norm(arg) => {
                let t = self.expr(arg, level)?;
                let shape = self.scalar_shape();
                self.typed(
                    Term::Apply(Func::Norm, Box::new(t.term)),
                    shape,
                    t.depth + 1,
                    span,
                )
            }
            ExprKind::Unknown(name, arg) => {
                if let Some(v) = self.vars.get(name) {
                    let message = format!("`{name}` is used both as a variable and as a function");
                    let label = if v.declared.is_some() {
                        "declared as a variable, applied as a function"
                    } else {
                        "applied as a function here"
                    };
                    return Err(self.error(
                        span,
                        &message,
                        label,
                        Some("use another letter for one of them"),
                    ));
                }
                self.functions.entry(name.clone()).or_insert(span);
                let t = self.expr(arg, level)?;
                match self.function_args.get(name).copied() {
                    None => {
                        self.function_args.insert(name.clone(), (t.shape, arg.span));
                    }
                    Some((s, first)) => {
                        let ok = self
                            .unify(s.rows, t.shape.rows)
                            .and_then(|_| self.unify(s.cols, t.shape.cols));
                        if ok.is_err() {
                            let (a, b) = (self.show_shape(s), self.show_shape(t.shape));
                            let message = format!(
                                "`{name}` is applied to {} ({a}) and to {} ({b}): a function takes arguments of one shape",
                                self.text(first),
                                self.text(arg.span)
                            );
                            let label = format!("{b}, but `{name}` took {a} before");
                            return Err(self.error(
                                arg.span,
                                &message,
                                &label,
                                Some("use another letter for the other function"),
                            ));
                        }
                    }
                }
                let shape = self.scalar_shape();
                let term = Term::Unknown(name.clone(), Box::new(t.term));
                self.typed(term, shape, t.depth + 1, span)
            }
        }
    }

    fn var(&mut self, name: &str, greek: bool, span: Span) -> Result<Typed> {
        if self.functions.contains_key(name) {
            let message = format!("`{name}` is used both as a function and as a variable");
            return Err(self.error(
                span,
                &message,
                "used as a variable here",
                Some("use another letter for one of them"),
            ));
        }
        let state = match self.vars.get(name) {
            Some(v) => v,
            None => {
                let capital = name.starts_with(|c: char| c.is_ascii_uppercase());
                let (kind, shape) = if greek && !capital {
                    (Kind::Scalar, self.scalar_shape())
                } else if capital {
                    (
                        Kind::Matrix,
                        DimShape {
                            rows: self.dims.fresh(),
                            cols: self.dims.fresh(),
                        },
                    )
                } else {
                    let cols = self.dims.constant(Dim::one());
                    (
                        Kind::Vector,
                        DimShape {
                            rows: self.dims.fresh(),
                            cols,
                        },
                    )
                };
                let state = VarState {
                    kind,
                    shape,
                    symmetric: false,
                    declared: None,
                    used: None,
                };
                self.vars.entry(name.to_string()).or_insert(state)
            }
        };
        let shape = state.shape;
        if state.used.is_none() {
            self.seen.extend([shape.rows, shape.cols]);
        }
        if let Some(v) = self.vars.get_mut(name) {
            v.used.get_or_insert(span);
        }
        self.typed(Term::var(name), shape, 1, span)
    }

    fn sum(&mut self, terms: &[(Sign, Expr)], level: usize, span: Span) -> Result<Typed> {
        let mut out: Vec<Term> = Vec::with_capacity(terms.len());
        let mut shape: Option<(DimShape, Span)> = None;
        let mut depth = 1;
        for (sign, e) in terms {
            // A literal in a sum takes the sum's shape: 0 is the zero matrix,
            // 1 the all-ones matrix 𝟙 and c the matrix c𝟙 (`1 - X` is 𝟙 − X);
            // in a scalar sum they are numbers again (see `resolve_term`).
            let t = if let Some(v) = literal(e) {
                let s = DimShape {
                    rows: self.dims.fresh(),
                    cols: self.dims.fresh(),
                };
                self.nodes.push((e.span, level, Some(s)));
                let shape = Shape::new(placeholder(s.rows), placeholder(s.cols));
                let term = if v == 0.0 {
                    Term::Zero(shape)
                } else if v == 1.0 {
                    Term::Ones(shape)
                } else {
                    Term::Scale(Box::new(Term::num(v)), Box::new(Term::Ones(shape)))
                };
                Typed {
                    term,
                    shape: s,
                    depth: 2,
                }
            } else {
                self.expr(e, level)?
            };
            match shape {
                None => shape = Some((t.shape, e.span)),
                Some((s, first)) => {
                    let ok = self
                        .unify(s.rows, t.shape.rows)
                        .and_then(|_| self.unify(s.cols, t.shape.cols));
                    if ok.is_err() {
                        let (a, b) = (self.show_shape(s), self.show_shape(t.shape));
                        let message = format!(
                            "cannot add {} ({a}) and {} ({b}): a sum needs terms of one shape",
                            self.text(first),
                            self.text(e.span)
                        );
                        let label = format!("{b}, but the sum so far is {a}");
                        return Err(self.error(
                            e.span,
                            &message,
                            &label,
                            Some("check the declarations, or transpose one term"),
                        ));
                    }
                }
            }
            depth = depth.max(t.depth + 1);
            let term = match (sign, t.term) {
                (Sign::Minus, term) => Term::Neg(Box::new(term)),
                (Sign::Plus, Term::Add(inner)) => {
                    out.extend(inner);
                    continue;
                }
                (Sign::Plus, term) => term,
            };
            out.push(term);
        }
        let Some((shape, _)) = shape else {
            return Err(self.error(span, "empty sum", "here", None));
        };
        self.typed(Term::Add(out), shape, depth, span)
    }

    fn product(&mut self, first: &Expr, rest: &[(ProductOp, Expr)], level: usize) -> Result<Typed> {
        let mut acc = self.expr(first, level)?;
        let mut acc_span = first.span;
        for (op, e) in rest {
            let t = self.expr(e, level)?;
            let span = acc_span.to(e.span);
            acc = match op {
                ProductOp::Juxtapose | ProductOp::Times => self.times(acc, t, acc_span, e.span)?,
                ProductOp::Hadamard | ProductOp::ElemDiv => {
                    let ok = self
                        .unify(acc.shape.rows, t.shape.rows)
                        .and_then(|_| self.unify(acc.shape.cols, t.shape.cols));
                    if ok.is_err() {
                        let (a, b) = (self.show_shape(acc.shape), self.show_shape(t.shape));
                        let what = if *op == ProductOp::Hadamard {
                            "an elementwise product"
                        } else {
                            "an elementwise division"
                        };
                        let message = format!(
                            "{what} needs operands of one shape, but {} is {a} and {} is {b}",
                            self.text(acc_span),
                            self.text(e.span)
                        );
                        return Err(self.error(span, &message, &format!("{a} and {b}"), None));
                    }
                    if *op == ProductOp::ElemDiv {
                        self.nonzero(&t.term, e.span, "divides by")?;
                    }
                    let (a, b) = (Box::new(acc.term), Box::new(t.term));
                    let term = if *op == ProductOp::Hadamard {
                        Term::Hadamard(a, b)
                    } else {
                        Term::ElemDiv(a, b)
                    };
                    self.typed(term, acc.shape, acc.depth.max(t.depth) + 1, span)?
                }
                ProductOp::Kron => self.kron(acc, t, span)?,
                ProductOp::Div => {
                    if !self.is_scalar(t.shape) {
                        let message = format!(
                            "`/` divides by a scalar, but {} is a matrix",
                            self.text(e.span)
                        );
                        return Err(self.error(
                            e.span,
                            &message,
                            "not a scalar",
                            Some("use ./ for elementwise division, or multiply by the inverse"),
                        ));
                    }
                    self.nonzero(&t.term, e.span, "divides by")?;
                    let term = Term::Div(Box::new(acc.term), Box::new(t.term));
                    self.typed(term, acc.shape, acc.depth.max(t.depth) + 1, span)?
                }
            };
            acc_span = span;
        }
        Ok(acc)
    }

    /// `a b`: a matrix product, or a scalar multiple when either side is 1×1.
    fn times(&mut self, a: Typed, b: Typed, a_span: Span, b_span: Span) -> Result<Typed> {
        let span = a_span.to(b_span);
        // Chains are flattened into the `Mul` or `Scale` on the left, so
        // appending to one does not deepen it (an upper bound, not exact).
        let depth = if matches!(a.term, Term::Mul(_) | Term::Scale(..)) {
            a.depth.max(b.depth + 2)
        } else {
            a.depth.max(b.depth) + 2
        };
        let (a_scalar, b_scalar) = (self.is_scalar(a.shape), self.is_scalar(b.shape));
        if a_scalar && b_scalar {
            // Vectors and matrices forced to 1×1 (`x x`) multiply as the
            // matrices they are, and a chain of them grows flat; otherwise
            // the left scalar scales the right one, one level deeper each
            // time (`α β γ …`), and the depth limit refuses a chain too
            // long to handle.
            let (term, depth) = if self.matrix_like(&a.term) && self.matrix_like(&b.term) {
                (mul(a.term, b.term), a.depth.max(b.depth + 1))
            } else {
                (
                    Term::Scale(Box::new(a.term), Box::new(b.term)),
                    a.depth.max(b.depth) + 1,
                )
            };
            return self.typed(term, b.shape, depth, span);
        }
        if a_scalar || b_scalar {
            let (s, m) = if a_scalar { (a, b) } else { (b, a) };
            let term = match m.term {
                Term::Scale(s2, m2) => Term::Scale(Box::new(mul(s.term, *s2)), m2),
                other => Term::Scale(Box::new(s.term), Box::new(other)),
            };
            return self.typed(term, m.shape, depth, span);
        }
        if let Err(Conflict(x, y)) = self.unify(a.shape.cols, b.shape.rows) {
            let (sa, sb) = (self.show_shape(a.shape), self.show_shape(b.shape));
            let message = format!(
                "the columns of {} ({x}) differ from the rows of {} ({y})",
                self.text(a_span),
                self.text(b_span)
            );
            return Err(self.error(
                span,
                &message,
                &format!("{sa} times {sb}"),
                Some(MATMUL_HELP),
            ));
        }
        let shape = DimShape {
            rows: a.shape.rows,
            cols: b.shape.cols,
        };
        let (sa, ma) = split_scale(a.term);
        let (sb, mb) = split_scale(b.term);
        let matrices = mul(ma, mb);
        let term = match (sa, sb) {
            (None, None) => matrices,
            (Some(s), None) | (None, Some(s)) => Term::Scale(Box::new(s), Box::new(matrices)),
            (Some(s), Some(t)) => Term::Scale(Box::new(mul(s, t)), Box::new(matrices)),
        };
        self.typed(term, shape, depth, span)
    }

    /// Whether `t` is a matrix product or a vector or matrix variable (maybe
    /// transposed), as opposed to a scalar such as `α`, `2` or `tr(X)`.
    fn matrix_like(&self, t: &Term) -> bool {
        match t {
            Term::Mul(_) => true,
            Term::Transpose(a) => self.matrix_like(a),
            Term::Var(n) => self.vars.get(n).is_some_and(|v| v.kind != Kind::Scalar),
            _ => false,
        }
    }

    fn require_square(&mut self, t: &Typed, what: &str, arg_span: Span, span: Span) -> Result<()> {
        if let Err(Conflict(r, c)) = self.unify(t.shape.rows, t.shape.cols) {
            let message = format!(
                "{what} needs a square matrix, but {} is {r}×{c}",
                self.text(arg_span)
            );
            return Err(self.error(
                span,
                &message,
                &format!("{r}×{c}, not square"),
                Some(SQUARE_HELP),
            ));
        }
        Ok(())
    }

    /// Refuses an operation on a literal zero that is defined nowhere
    /// (`A / 0`, `0⁻¹`): no point could check its gradient.
    fn nonzero(&self, t: &Term, span: Span, what: &str) -> Result<()> {
        fn zero(t: &Term) -> bool {
            match t {
                Term::Num(n) => n.0 == 0.0,
                Term::Zero(_) => true,
                Term::Neg(a) | Term::Transpose(a) => zero(a),
                Term::Scale(a, b) | Term::Hadamard(a, b) => zero(a) || zero(b),
                Term::Mul(fs) => fs.iter().any(zero),
                _ => false,
            }
        }
        if !zero(t) {
            return Ok(());
        }
        let message = format!(
            "this {what} zero: {} is 0, so the expression is defined nowhere",
            self.text(span)
        );
        Err(self.error(span, &message, "zero", None))
    }

    fn power(&mut self, t: Typed, k: i64, arg_span: Span, span: Span) -> Result<Typed> {
        let depth = t.depth + 1;
        if k < 0 {
            self.nonzero(&t.term, arg_span, "inverts")?;
        }
        if self.is_scalar(t.shape) {
            return self.typed(Term::Pow(Box::new(t.term), k), t.shape, depth, span);
        }
        let what = if k == -1 {
            "the inverse".to_string()
        } else {
            format!("the power {k}")
        };
        self.require_square(&t, &what, arg_span, span)?;
        let term = match k {
            0 => Term::Identity(placeholder(t.shape.rows)),
            1 => t.term,
            -1 => Term::Inverse(Box::new(t.term)),
            k if k < 0 => Term::Pow(Box::new(Term::Inverse(Box::new(t.term))), -k),
            k => Term::Pow(Box::new(t.term), k),
        };
        self.typed(term, t.shape, depth + 1, span)
    }

    /// `A ⊗ B`: an mp×nq matrix for A m×n and B p×q.
    fn kron(&mut self, a: Typed, b: Typed, span: Span) -> Result<Typed> {
        let shape = DimShape {
            rows: self.dims.product(a.shape.rows, b.shape.rows),
            cols: self.dims.product(a.shape.cols, b.shape.cols),
        };
        let depth = a.depth.max(b.depth) + 1;
        self.typed(
            Term::Kron(Box::new(a.term), Box::new(b.term)),
            shape,
            depth,
            span,
        )
    }

    fn call(&mut self, callee: Callee, t: Typed, arg_span: Span, span: Span) -> Result<Typed> {
        let depth = t.depth + 1;
        let f = match callee {
            Callee::Inverse => return self.power(t, -1, arg_span, span),
            // The parser gives `kron` its two arguments (see `expr_kind`).
            Callee::Kron => {
                return Err(self.error(span, "`kron` takes two arguments", "here", None));
            }
            Callee::Vec => {
                let rows = self.dims.product(t.shape.rows, t.shape.cols);
                let shape = DimShape {
                    rows,
                    cols: self.dims.constant(Dim::one()),
                };
                return self.typed(Term::VecOf(Box::new(t.term)), shape, depth, span);
            }
            Callee::Func(f) => f,
        };
        let shape = match f.spec().shape {
            ShapeRule::SquareToScalar => {
                self.require_square(&t, &format!("`{}`", f.name()), arg_span, span)?;
                self.scalar_shape()
            }
            ShapeRule::Scalar => self.scalar_shape(),
            ShapeRule::Diag => {
                // `diag(A 𝟙)`: a free 𝟙 is a column, so its argument is a
                // vector (as the engine prints it), not a square matrix.
                if self.is_free_ones_column(t.shape.cols) {
                    let one = self.dims.constant(Dim::one());
                    let _ = self.dims.union(t.shape.cols, one);
                }
                if self.dims.value(t.shape.cols) == Some(Dim::one()) {
                    DimShape {
                        rows: t.shape.rows,
                        cols: t.shape.rows,
                    }
                } else {
                    self.require_square(&t, "`diag` of a matrix", arg_span, span)?;
                    DimShape {
                        rows: t.shape.rows,
                        cols: self.dims.constant(Dim::one()),
                    }
                }
            }
            ShapeRule::Same => t.shape,
            ShapeRule::Reduce(Axis::Columns) => DimShape {
                rows: self.dims.constant(Dim::one()),
                cols: t.shape.cols,
            },
            ShapeRule::Reduce(Axis::Rows) => DimShape {
                rows: t.shape.rows,
                cols: self.dims.constant(Dim::one()),
            },
        };
        self.typed(Term::Apply(f, Box::new(t.term)), shape, depth, span)
    }

    // ---- results -------------------------------------------------------------

    /// Refuses a term deeper than [`MAX_TERM_DEPTH`]. The depths tracked
    /// while checking are estimates; this measures the built term, since
    /// every later pass recurses over it (a product of scalars such as
    /// `XxXx…` nests one level per factor however flat it was written).
    fn depth_limit(&self, root: &Typed, span: Span) -> Result<()> {
        let depth = root.term.depth();
        if depth <= MAX_TERM_DEPTH {
            return Ok(());
        }
        Err(self.error(
            span,
            &format!(
                "the expression is {depth} levels deep as a term, more than the limit of {MAX_TERM_DEPTH} (a product of scalars nests one level per factor)"
            ),
            "too deep",
            Some("name an intermediate result and write it in several steps, or use a power (x^k)"),
        ))
    }

    /// Whether `d` is the number of columns of a `𝟙` that nothing else
    /// fixes yet (no variable shares it).
    fn is_free_ones_column(&mut self, d: DimId) -> bool {
        let root = self.dims.find(d);
        if self.dims.value(root).is_some() {
            return false;
        }
        let ones: Vec<DimId> = self.ones_columns.clone();
        if !ones.iter().any(|&o| self.dims.find(o) == root) {
            return false;
        }
        let var_dims: Vec<DimId> = self
            .vars
            .values()
            .flat_map(|v| [v.shape.rows, v.shape.cols])
            .collect();
        !var_dims.into_iter().any(|v| self.dims.find(v) == root)
    }

    /// `𝟙` whose number of columns nothing fixes is a column vector, as in
    /// `𝟙ᵀ X y` or `X 𝟙` (a dimension shared with a variable is not free).
    fn ones_are_columns(&mut self) {
        let mut bound: BTreeSet<DimId> = BTreeSet::new();
        let var_dims: Vec<DimId> = self
            .vars
            .values()
            .flat_map(|v| [v.shape.rows, v.shape.cols])
            .collect();
        for d in var_dims {
            bound.insert(self.dims.find(d));
        }
        let one = self.dims.constant(Dim::one());
        for d in self.ones_columns.clone() {
            let root = self.dims.find(d);
            if self.dims.value(root).is_none() && !bound.contains(&root) {
                let _ = self.dims.union(root, one);
            }
        }
    }

    /// The gradient of an unknown function has a name of its own (`G` for
    /// `L`, `G_f` for `f`); a variable or function of that name would be
    /// confused with it in the derivation, the code and the check.
    fn gradient_names(&self) -> Result<()> {
        for function in self.functions.keys() {
            let g = crate::engine::gradient_symbol(function);
            let clash = self
                .vars
                .get(&g)
                .and_then(|v| v.used)
                .or_else(|| self.functions.get(&g).copied());
            if let Some(span) = clash {
                return Err(self.error(
                    span,
                    &format!("`{g}` names the gradient of the unknown function `{function}` in the derivation"),
                    &format!("`{g}` is taken by ∂{function}/∂(argument)"),
                    Some("use another name here"),
                ));
            }
        }
        Ok(())
    }

    fn finish(mut self, root: Typed, expr: Span) -> Annotated {
        // Fresh names must not clash with declared dimensions or with
        // one-letter variables (`n: vector` next to a dimension `n` reads badly).
        let mut taken: BTreeSet<String> = self.dim_names.keys().cloned().collect();
        taken.extend(self.vars.keys().cloned());
        let mut names = fresh_names().filter(|n| !taken.contains(n));
        let mut named: BTreeMap<DimId, String> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let all: Vec<DimId> = self.seen.iter().copied().chain(self.dims.ids()).collect();
        for id in all {
            let root = self.dims.find(id);
            match self.dims.value(root) {
                Some(Dim::Sym(s)) if !order.contains(&s) => order.push(s),
                Some(_) => {}
                None if named.contains_key(&root) || self.dims.is_product(root) => {}
                None => {
                    let name = names.next().unwrap_or_default();
                    order.push(name.clone());
                    named.insert(root, name);
                }
            }
        }
        let mut resolve = |d: DimId| -> Dim {
            self.dims.resolve(d, &mut |root| {
                Dim::Sym(named.get(&root).cloned().unwrap_or_default())
            })
        };
        let shape_of = |s: DimShape, resolve: &mut dyn FnMut(DimId) -> Dim| {
            Shape::new(resolve(s.rows), resolve(s.cols))
        };
        let mut env = Env::default();
        for (name, v) in &self.vars {
            let shape = shape_of(v.shape, &mut resolve);
            env.vars.insert(
                name.clone(),
                VarInfo {
                    kind: v.kind,
                    shape,
                    symmetric: v.symmetric,
                },
            );
        }
        let nodes = self
            .nodes
            .iter()
            .filter_map(|(span, level, s)| {
                s.map(|s| NodeShape {
                    span: *span,
                    level: *level,
                    shape: shape_of(s, &mut resolve),
                })
            })
            .collect();
        let shape = shape_of(root.shape, &mut resolve);
        let term = resolve_term(root.term, &mut |d| match d {
            Dim::Sym(s) => match s.strip_prefix(PLACEHOLDER).and_then(|n| n.parse().ok()) {
                Some(id) => resolve(id),
                None => Dim::Sym(s),
            },
            d => d,
        });
        // A name read by its case as a vector or matrix that unification
        // made 1×1 is a scalar now: say so rather than change it silently.
        let mut notes = Vec::new();
        for (name, v) in &self.vars {
            if v.declared.is_none()
                && v.kind != Kind::Scalar
                && env.shape(name).is_some_and(Shape::is_scalar)
            {
                let what = if v.kind == Kind::Vector {
                    "a column vector"
                } else {
                    "a matrix"
                };
                notes.push(format!(
                    "`{name}` is {what} by its case, but the expression makes it 1×1: it is read as a scalar (declare `{name}: scalar` to say so)"
                ));
            }
        }
        let problem = Problem {
            source: self.src.to_string(),
            term,
            env,
            shape,
            notes,
        };
        Annotated {
            problem,
            nodes,
            dims: order,
            expr,
        }
    }
}

/// Dimensions inside a term are written as placeholders until unification
/// has finished and the final names are known.
const PLACEHOLDER: &str = "\u{0}dim";

fn placeholder(d: DimId) -> Dim {
    Dim::Sym(format!("{PLACEHOLDER}{d}"))
}

/// `n, m, p, q, k, r, s`, then `n1, m1, …`, then `n2, …`.
fn fresh_names() -> impl Iterator<Item = String> {
    const BASE: [&str; 7] = ["n", "m", "p", "q", "k", "r", "s"];
    (0..).flat_map(|round: usize| {
        BASE.iter().map(move |b| {
            if round == 0 {
                b.to_string()
            } else {
                format!("{b}{round}")
            }
        })
    })
}

/// Replaces every dimension in `t` (depth-capped by the checker).
fn resolve_term(t: Term, f: &mut dyn FnMut(Dim) -> Dim) -> Term {
    let go = |t: Box<Term>, f: &mut dyn FnMut(Dim) -> Dim| Box::new(resolve_term(*t, f));
    match t {
        Term::Identity(d) => Term::Identity(f(d)),
        Term::Ones(s) => {
            let s = Shape::new(f(s.rows), f(s.cols));
            if s.is_scalar() {
                Term::num(1.0)
            } else {
                Term::Ones(s)
            }
        }
        Term::Zero(s) => {
            let s = Shape::new(f(s.rows), f(s.cols));
            if s.is_scalar() {
                Term::num(0.0)
            } else {
                Term::Zero(s)
            }
        }
        Term::Var(_) | Term::Num(_) => t,
        Term::Commutation(m, n) => Term::Commutation(f(m), f(n)),
        Term::Kron(a, b) => Term::Kron(go(a, f), go(b, f)),
        Term::VecOf(a) => Term::VecOf(go(a, f)),
        Term::Neg(a) => Term::Neg(go(a, f)),
        Term::Transpose(a) => Term::Transpose(go(a, f)),
        Term::Inverse(a) => Term::Inverse(go(a, f)),
        Term::Diff(a) => Term::Diff(go(a, f)),
        Term::Pow(a, k) => Term::Pow(go(a, f), k),
        Term::EPow(a, p) => Term::EPow(go(a, f), p),
        Term::Apply(g, a) => Term::Apply(g, go(a, f)),
        Term::Unknown(n, a) => Term::Unknown(n, go(a, f)),
        Term::Add(ts) => Term::Add(ts.into_iter().map(|t| resolve_term(t, f)).collect()),
        Term::Mul(ts) => Term::Mul(ts.into_iter().map(|t| resolve_term(t, f)).collect()),
        Term::Scale(a, b) => match (resolve_term(*a, f), resolve_term(*b, f)) {
            // A literal c in a scalar sum was written c𝟙 with 𝟙 of the sum's shape.
            (Term::Num(c), Term::Num(one)) if one.0 == 1.0 => Term::Num(c),
            (a, b) => Term::Scale(Box::new(a), Box::new(b)),
        },
        Term::Hadamard(a, b) => Term::Hadamard(go(a, f), go(b, f)),
        Term::ElemDiv(a, b) => Term::ElemDiv(go(a, f), go(b, f)),
        Term::Div(a, b) => Term::Div(go(a, f), go(b, f)),
    }
}

/// The number `e` is, looking through parentheses (`(0)` in a sum is the
/// zero of the sum's shape as `0` is).
fn literal(e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Number(v) => Some(*v),
        ExprKind::Paren(inner) => literal(inner),
        _ => None,
    }
}

/// The product `a b`, flattening nested `Mul` chains.
fn mul(a: Term, b: Term) -> Term {
    let mut factors = match a {
        Term::Mul(fs) => fs,
        a => vec![a],
    };
    match b {
        Term::Mul(fs) => factors.extend(fs),
        b => factors.push(b),
    }
    Term::Mul(factors)
}

fn split_scale(t: Term) -> (Option<Term>, Term) {
    match t {
        Term::Scale(s, m) => (Some(*s), *m),
        t => (None, t),
    }
}
