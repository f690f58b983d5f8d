//! Terms as NumPy and PyTorch expressions over the variable names, and
//! whole Python functions with common subexpressions bound once.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use crate::engine::{Derivation, Gradient};
use crate::registry::{Code, PyPrec};
use crate::render::cse;
use crate::render::text::{self, Style};
use crate::shape::{Dim, Env, Kind, Shape};
use crate::term::{Func, Term};

/// Which array library the code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    /// NumPy, imported as `np`.
    Numpy,
    /// PyTorch, imported as `torch`.
    Torch,
}

/// Binding strength in Python, loosest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Sum,
    Product,
    Unary,
    Power,
    Atom,
}

/// The Python expression of `t`, for variables bound to arrays of the shapes in `env`.
pub fn code(t: &Term, env: &Env, lib: Lib) -> String {
    code_reading(t, env, lib, &Readable::new(env, &[]))
}

/// [`code`], reading sizes only from the variables `readable` lists.
fn code_reading(t: &Term, env: &Env, lib: Lib, readable: &Readable) -> String {
    let names = HashMap::new();
    Writer {
        env,
        lib,
        names: &names,
        readable,
    }
    .expr(t)
    .0
}

/// What the generated code reads sizes and PyTorch's dtype from: the
/// variables it is given, not the hidden names (intermediates that the code
/// computes, which may not exist yet where a size is needed). Looked up once
/// per rendering: a network's code asks for sizes at every layer.
struct Readable {
    /// A symbolic dimension's size, `X.shape[0]`, from the first variable
    /// (in the environment's order) that has it as rows or else as columns.
    sizes: HashMap<String, String>,
    /// The first readable matrix variable.
    first: Option<String>,
}

impl Readable {
    fn new(env: &Env, hidden: &[String]) -> Readable {
        let hidden: HashSet<&str> = hidden.iter().map(String::as_str).collect();
        let mut sizes = HashMap::new();
        let mut first = None;
        for (name, v) in &env.vars {
            if v.kind == Kind::Scalar || hidden.contains(name.as_str()) {
                continue;
            }
            first.get_or_insert_with(|| name.clone());
            for (d, axis) in [(&v.shape.rows, 0), (&v.shape.cols, 1)] {
                if let Dim::Sym(s) = d {
                    sizes
                        .entry(s.clone())
                        .or_insert_with(|| format!("{}.shape[{axis}]", py_name(name)));
                }
            }
        }
        Readable { sizes, first }
    }
}

/// The Python name of a variable: its ASCII name, except that a name which
/// is a Python keyword (`lambda`) gets a trailing underscore.
pub fn py_name(n: &str) -> String {
    if n == "lambda" {
        "lambda_".to_string()
    } else {
        n.to_string()
    }
}

/// The Python expression of a gradient: the code of its result over the
/// derivation's bindings ([`code_with`]), squeezed to a number when the
/// variable is a scalar (a 1×1 array otherwise).
pub fn gradient_code(g: &Gradient, with: &WithBindings, env: &Env, lib: Lib) -> String {
    finish(g, env, lib, with.code(&g.result))
}

/// The gradient of a scalar is a number; of a vector or matrix forced to
/// 1×1, a 1×1 array like the variable (a product of numbers is a number).
fn finish(g: &Gradient, env: &Env, lib: Lib, code: String) -> String {
    if !g.shape.is_scalar() {
        return code;
    }
    match (env.get(&g.wrt).map(|i| i.kind), lib) {
        // A constant (a zero gradient) is a number already.
        (Some(Kind::Scalar), _) if code.parse::<f64>().is_ok() => code,
        (Some(Kind::Scalar), _) => format!("{}.squeeze({code})", lib.module()),
        (_, Lib::Numpy) => format!("np.reshape({code}, (1, 1))"),
        (_, Lib::Torch) => format!("torch.as_tensor({code}).reshape(1, 1)"),
    }
}

/// The Python name of the value of the unknown function `function` at its
/// argument (`g_value` for `g(X W)`), an input of the generated code like
/// its gradient `G_g`: the code cannot compute an unknown function. A name
/// the expression already uses gets underscores appended.
pub fn unknown_value_name(function: &str, env: &Env) -> String {
    let mut name = format!("{}_value", py_name(function));
    while env.get(&name).is_some() {
        name.push('_');
    }
    name
}

/// Whether `t` is 1×1: a Python number or a 1×1 array in the generated code.
fn scalar_valued(t: &Term, env: &Env) -> bool {
    match t {
        Term::Unknown(..) | Term::Num(_) => true,
        _ => t.shape(env).is_some_and(|s| s.is_scalar()),
    }
}

impl Lib {
    /// The module name the code refers to (`np` or `torch`).
    pub fn module(self) -> &'static str {
        match self {
            Lib::Numpy => "np",
            Lib::Torch => "torch",
        }
    }
}

struct Writer<'a> {
    env: &'a Env,
    lib: Lib,
    /// Sub-terms already bound to temporaries.
    names: &'a HashMap<Term, String>,
    /// Where sizes are read from.
    readable: &'a Readable,
}

impl Writer<'_> {
    fn m(&self) -> &'static str {
        self.lib.module()
    }

    /// A Python expression of a dimension's size, read from the shape of a
    /// variable that has it; a dimension no input has is an input of its
    /// own, by name (see [`inputs`]).
    fn size(&self, d: &Dim) -> String {
        match d {
            Dim::Lit(n) => n.to_string(),
            Dim::Prod(fs) => {
                let parts: Vec<String> = fs.iter().map(|f| self.size(f)).collect();
                format!("({})", parts.join(" * "))
            }
            Dim::Sym(s) => self
                .readable
                .sizes
                .get(s)
                .cloned()
                .unwrap_or_else(|| s.clone()),
        }
    }

    /// `dtype=…` for a new PyTorch tensor: `torch.eye(n)` is float32, and
    /// `@` refuses to mix it with the float64 tensors of the variables.
    fn dtype(&self) -> String {
        match self.lib {
            Lib::Numpy => String::new(),
            Lib::Torch => self
                .readable
                .first
                .as_ref()
                .map(|n| format!(", dtype={}.dtype", py_name(n)))
                .unwrap_or_default(),
        }
    }

    fn shape_args(&self, s: &Shape) -> String {
        format!(
            "({}, {}){}",
            self.size(&s.rows),
            self.size(&s.cols),
            self.dtype()
        )
    }

    fn wrap(&self, t: &Term, min: Prec) -> String {
        let (s, p) = self.expr(t);
        if p < min { format!("({s})") } else { s }
    }

    fn call(&self, f: &str, t: &Term) -> (String, Prec) {
        (format!("{}.{f}({})", self.m(), self.expr(t).0), Prec::Atom)
    }

    fn expr(&self, t: &Term) -> (String, Prec) {
        if let Some(n) = self.names.get(t) {
            return (n.clone(), Prec::Atom);
        }
        let m = self.m();
        match t {
            Term::Var(n) => (py_name(n), Prec::Atom),
            Term::Num(n) if n.0 < 0.0 => (n.to_string(), Prec::Unary),
            Term::Num(n) => (n.to_string(), Prec::Atom),
            Term::Identity(d) => (
                format!("{m}.eye({}{})", self.size(d), self.dtype()),
                Prec::Atom,
            ),
            Term::Ones(s) => (format!("{m}.ones({})", self.shape_args(s)), Prec::Atom),
            Term::Zero(s) => (format!("{m}.zeros({})", self.shape_args(s)), Prec::Atom),
            Term::Neg(a) => (format!("-{}", self.wrap(a, Prec::Unary)), Prec::Unary),
            Term::Add(ts) => {
                let mut s = String::new();
                for (i, t) in ts.iter().enumerate() {
                    match t {
                        Term::Neg(a) if i > 0 => {
                            s.push_str(" - ");
                            s.push_str(&self.wrap(a, Prec::Product));
                        }
                        _ => {
                            if i > 0 {
                                s.push_str(" + ");
                            }
                            s.push_str(&self.wrap(t, Prec::Sum));
                        }
                    }
                }
                (s, Prec::Sum)
            }
            Term::Mul(fs) => {
                // A 1×1 factor may be a Python number, which `@` refuses;
                // `*` broadcasts it and, `@` and `*` binding alike, keeps
                // the order of evaluation.
                let mut s = String::new();
                for (i, f) in fs.iter().enumerate() {
                    if i > 0 {
                        let scalar =
                            scalar_valued(f, self.env) || scalar_valued(&fs[i - 1], self.env);
                        s.push_str(if scalar { " * " } else { " @ " });
                    }
                    s.push_str(&self.wrap(f, Prec::Unary));
                }
                (s, Prec::Product)
            }
            Term::Scale(c, a) => (
                format!(
                    "{} * {}",
                    self.wrap(c, Prec::Unary),
                    self.wrap(a, Prec::Unary)
                ),
                Prec::Product,
            ),
            Term::Hadamard(a, b) => (
                format!(
                    "{} * {}",
                    self.wrap(a, Prec::Product),
                    self.wrap(b, Prec::Unary)
                ),
                Prec::Product,
            ),
            Term::ElemDiv(a, b) | Term::Div(a, b) => (
                format!(
                    "{} / {}",
                    self.wrap(a, Prec::Product),
                    self.wrap(b, Prec::Unary)
                ),
                Prec::Product,
            ),
            Term::Transpose(a) => (format!("{}.T", self.wrap(a, Prec::Atom)), Prec::Atom),
            Term::Inverse(a) if scalar_valued(a, self.env) => {
                (format!("1 / {}", self.wrap(a, Prec::Unary)), Prec::Product)
            }
            Term::Inverse(a) => self.call("linalg.inv", a),
            // Of a 1×1 argument (a Python number or a 1×1 array), these are
            // the argument itself, and NumPy's versions want a matrix.
            Term::Apply(Func::Tr | Func::Det | Func::Diag, a) if scalar_valued(a, self.env) => {
                self.expr(a)
            }
            Term::Apply(Func::Logdet, a) if scalar_valued(a, self.env) => self.call("log", a),
            Term::Apply(Func::Norm, a) if scalar_valued(a, self.env) => self.call("abs", a),
            Term::Pow(a, k) => {
                let scalar = a.shape(self.env).is_some_and(|s| s.is_scalar());
                if scalar {
                    (format!("{} ** {k}", self.wrap(a, Prec::Atom)), Prec::Power)
                } else if matches!(**a, Term::Var(_)) && (2..=3).contains(k) {
                    // X @ X reads more easily than matrix_power(X, 2).
                    let x = self.expr(a).0;
                    (vec![x; *k as usize].join(" @ "), Prec::Product)
                } else {
                    (
                        format!("{m}.linalg.matrix_power({}, {k})", self.expr(a).0),
                        Prec::Atom,
                    )
                }
            }
            Term::EPow(a, q) => (format!("{} ** {q}", self.wrap(a, Prec::Atom)), Prec::Power),
            Term::Apply(Func::Diag, a) => {
                let is_vec = a.shape(self.env).is_some_and(|s| s.cols.is_one());
                match (is_vec, self.lib) {
                    (true, Lib::Numpy) => self.call("diagflat", a),
                    (true, Lib::Torch) => (
                        format!("torch.diag({}.flatten())", self.wrap(a, Prec::Atom)),
                        Prec::Atom,
                    ),
                    (false, _) => (format!("{m}.diag({})[:, None]", self.expr(a).0), Prec::Atom),
                }
            }
            Term::Apply(f, a) => {
                let mut arg = self.expr(a);
                // PyTorch's functions take tensors, and a scalar may be a
                // Python number: made a tensor of the variables' precision.
                if self.lib == Lib::Torch && f.is_elementwise() && scalar_valued(a, self.env) {
                    let dtype = match self.dtype() {
                        d if d.is_empty() => ", dtype=torch.float64".to_string(),
                        d => d,
                    };
                    arg = (format!("torch.as_tensor({}{dtype})", arg.0), Prec::Atom);
                }
                let code = match self.lib {
                    Lib::Numpy => f.spec().numpy,
                    Lib::Torch => f.spec().torch,
                };
                let m = self.m();
                let at = |min: Prec| {
                    if arg.1 < min {
                        format!("({})", arg.0)
                    } else {
                        arg.0.clone()
                    }
                };
                match code {
                    Code::Call(name) => (format!("{m}.{name}({})", arg.0), Prec::Atom),
                    Code::Template(text, prec) => {
                        let filled = text
                            .replace("{m}", m)
                            .replace("{x-}", &at(Prec::Unary))
                            .replace("{x^}", &at(Prec::Power))
                            .replace("{x}", &arg.0);
                        let prec = match prec {
                            PyPrec::Sum => Prec::Sum,
                            PyPrec::Product => Prec::Product,
                            PyPrec::Atom => Prec::Atom,
                        };
                        (filled, prec)
                    }
                    Code::Bound(text, prec) => {
                        let arg = self.expr(a).0;
                        let is_name = arg
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphabetic() || c == '_')
                            && arg.chars().all(|c| c.is_alphanumeric() || c == '_');
                        let body = text.replace("{m}", m);
                        if is_name {
                            let prec = match prec {
                                PyPrec::Sum => Prec::Sum,
                                PyPrec::Product => Prec::Product,
                                PyPrec::Atom => Prec::Atom,
                            };
                            (body.replace("{z}", &arg), prec)
                        } else {
                            let body = body.replace("{z}", "z");
                            (format!("(lambda z: {body})({arg})"), Prec::Atom)
                        }
                    }
                }
            }
            Term::Unknown(n, _) => (unknown_value_name(n, self.env), Prec::Atom),
            Term::Diff(a) => (format!("d{}", self.wrap(a, Prec::Atom)), Prec::Atom),
            Term::Kron(a, b) => (
                format!("{m}.kron({}, {})", self.expr(a).0, self.expr(b).0),
                Prec::Atom,
            ),
            // The columns stacked: the rows of the transpose, read in order.
            Term::VecOf(a) => (
                format!("{}.T.reshape(-1, 1)", self.wrap(a, Prec::Atom)),
                Prec::Atom,
            ),
            // Row j + i·n of K_{m,n} is row i + j·m of the identity.
            Term::Commutation(rows, cols) => {
                let (r, c) = (self.size(rows), self.size(cols));
                let perm = match self.lib {
                    Lib::Numpy => format!("np.arange({r} * {c}).reshape({c}, {r}).T.ravel()"),
                    Lib::Torch => {
                        format!("torch.arange({r} * {c}).reshape({c}, {r}).T.flatten()")
                    }
                };
                (
                    format!("{m}.eye({r} * {c}{})[{perm}]", self.dtype()),
                    Prec::Atom,
                )
            }
        }
    }
}

/// The Python expression of `t` where `t` may use the named intermediates of
/// `bindings`: the ones it needs are bound first with assignment expressions,
/// `(Z1 := X @ W1 + B1, …, result)[-1]`, so the whole is still one expression.
pub fn code_with(t: &Term, bindings: &[(String, Term)], env: &Env, lib: Lib) -> String {
    WithBindings::new(bindings, env, lib).code(t)
}

/// [`code_with`] for many terms over the same bindings (a gradient for every
/// variable of a network): the code of each binding and the variables it
/// uses are worked out once, when a term first needs them, not once per term.
pub struct WithBindings<'a> {
    bindings: &'a [(String, Term)],
    env: &'a Env,
    lib: Lib,
    readable: Readable,
    /// The variables each binding's value uses.
    uses: Vec<OnceCell<Vec<String>>>,
    /// Each binding's code.
    code: Vec<OnceCell<String>>,
}

impl<'a> WithBindings<'a> {
    /// Code over `bindings`, for variables bound to arrays of the shapes in `env`.
    pub fn new(bindings: &'a [(String, Term)], env: &'a Env, lib: Lib) -> WithBindings<'a> {
        let hidden: Vec<String> = bindings.iter().map(|(n, _)| n.clone()).collect();
        WithBindings {
            bindings,
            env,
            lib,
            readable: Readable::new(env, &hidden),
            uses: bindings.iter().map(|_| OnceCell::new()).collect(),
            code: bindings.iter().map(|_| OnceCell::new()).collect(),
        }
    }

    /// The indices of the bindings `t` needs, in order (see [`needed`]).
    fn needed(&self, t: &Term) -> Vec<usize> {
        needed(t, self.bindings, &self.uses)
    }

    /// The code of binding `i`'s value.
    fn binding(&self, i: usize) -> &str {
        self.code[i]
            .get_or_init(|| code_reading(&self.bindings[i].1, self.env, self.lib, &self.readable))
    }

    /// The one Python expression of `t` (see [`code_with`]).
    pub fn code(&self, t: &Term) -> String {
        let result = code_reading(t, self.env, self.lib, &self.readable);
        let needed = self.needed(t);
        if needed.is_empty() {
            return result;
        }
        let mut parts: Vec<String> = needed
            .into_iter()
            .map(|i| format!("{} := {}", self.bindings[i].0, self.binding(i)))
            .collect();
        parts.push(result);
        format!("({})[-1]", parts.join(", "))
    }
}

/// The indices of the bindings that `t` needs, directly or through other
/// bindings, in order; `uses[i]` holds the variables of binding i's value,
/// found the first time binding i is needed.
fn needed(t: &Term, bindings: &[(String, Term)], uses: &[OnceCell<Vec<String>>]) -> Vec<usize> {
    let mut need: HashSet<&str> = HashSet::new();
    let own = t.variables();
    need.extend(own.iter().map(String::as_str));
    let mut keep = vec![false; bindings.len()];
    for (i, (name, value)) in bindings.iter().enumerate().rev() {
        if need.contains(name.as_str()) {
            keep[i] = true;
            need.extend(
                uses[i]
                    .get_or_init(|| value.variables())
                    .iter()
                    .map(String::as_str),
            );
        }
    }
    (0..bindings.len()).filter(|&i| keep[i]).collect()
}

/// The bindings that `t` needs, directly or through other bindings, in order.
pub fn needed_bindings<'a>(t: &Term, bindings: &'a [(String, Term)]) -> Vec<&'a (String, Term)> {
    let uses: Vec<OnceCell<Vec<String>>> = bindings.iter().map(|_| OnceCell::new()).collect();
    needed(t, bindings, &uses)
        .into_iter()
        .map(|i| &bindings[i])
        .collect()
}

/// The Python statements of a function returning `t`: every common
/// subexpression bound once to a temporary (`tmp0`, `tmp1`, …, names the
/// language cannot give a variable), in dependency order, then `return …`.
pub fn body(t: &Term, env: &Env, lib: Lib, indent: &str) -> (Vec<String>, String) {
    body_reading(t, env, lib, indent, &Readable::new(env, &[]))
}

fn body_reading(
    t: &Term,
    env: &Env,
    lib: Lib,
    indent: &str,
    readable: &Readable,
) -> (Vec<String>, String) {
    let mut names: HashMap<Term, String> = HashMap::new();
    let mut lines = Vec::new();
    for (i, s) in cse::shared(t).into_iter().enumerate() {
        let rhs = Writer {
            env,
            lib,
            names: &names,
            readable,
        }
        .expr(&s)
        .0;
        let tmp = format!("tmp{i}");
        lines.push(format!("{indent}{tmp} = {rhs}"));
        names.insert(s, tmp);
    }
    let ret = Writer {
        env,
        lib,
        names: &names,
        readable,
    }
    .expr(t)
    .0;
    (lines, ret)
}

/// What an input of the generated functions stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A variable, or the gradient of an unknown function (`G`): its value.
    Var(String),
    /// The value of an unknown function at its argument (`g(X W)`), which
    /// the code cannot compute.
    Unknown(Term),
    /// The size of a dimension that no variable has (the order of a free
    /// `I` in `tr(I) tr(X)`), an integer.
    Dim(String),
}

/// The inputs of every generated function with their Python names: the
/// variables in order of appearance, then the gradients of the unknown
/// functions (`G`), then the values of the unknown functions the gradients
/// use (`g_value`). Named intermediates (`Z1`, `G_Z1`) are computed inside,
/// never asked for.
pub fn inputs(der: &Derivation) -> Vec<(String, Input)> {
    let bound = |n: &str| der.bindings.iter().any(|(b, _)| b == n);
    let mut names: Vec<String> = der.problem.term.variables_in_order();
    for d in &der.definitions {
        if d.value.is_none() && !names.contains(&d.name) && !bound(&d.name) {
            names.push(d.name.clone());
        }
    }
    let mut out: Vec<(String, Input)> = names
        .into_iter()
        .map(|n| (py_name(&n), Input::Var(n)))
        .collect();
    let mut used: Vec<Term> = Vec::new();
    let results = der.gradients.iter().map(|g| &g.result);
    for t in results.chain(der.bindings.iter().map(|(_, v)| v)) {
        collect_unknowns(t, &mut used);
    }
    for u in used {
        if let Term::Unknown(n, _) = &u {
            let name = unknown_value_name(n, &der.problem.env);
            if !out.iter().any(|(p, _)| *p == name) {
                out.push((name, Input::Unknown(u)));
            }
        }
    }
    // Dimensions the code needs (of `I`, `𝟙`, `0`) and no input has.
    let env = &der.problem.env;
    let known: Vec<Dim> = out
        .iter()
        .filter_map(|(_, i)| match i {
            Input::Var(n) => env.get(n).filter(|v| v.kind != Kind::Scalar),
            _ => None,
        })
        .flat_map(|v| [v.shape.rows.clone(), v.shape.cols.clone()])
        .collect();
    let has = |d: &Dim| known.contains(d);
    let mut dims: Vec<Dim> = Vec::new();
    let results = der.gradients.iter().map(|g| &g.result);
    for t in results.chain(der.bindings.iter().map(|(_, v)| v)) {
        collect_dims(t, &mut dims);
    }
    for d in dims {
        if let Dim::Sym(s) = &d
            && !has(&d)
            && !out.iter().any(|(p, _)| p == s)
        {
            out.push((s.clone(), Input::Dim(s.clone())));
        }
    }
    out
}

fn collect_dims(t: &Term, out: &mut Vec<Dim>) {
    let found: Vec<&Dim> = match t {
        Term::Identity(d) => vec![d],
        Term::Ones(s) | Term::Zero(s) => vec![&s.rows, &s.cols],
        _ => vec![],
    };
    for d in found {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    for c in t.children() {
        collect_dims(c, out);
    }
}

fn collect_unknowns(t: &Term, out: &mut Vec<Term>) {
    if let Term::Unknown(..) = t {
        if !out.contains(t) {
            out.push(t.clone());
        }
        return;
    }
    for c in t.children() {
        collect_unknowns(c, out);
    }
}

/// The parameter names of every generated function (see [`inputs`]).
pub fn params(der: &Derivation) -> Vec<String> {
    inputs(der).into_iter().map(|(p, _)| p).collect()
}

/// One Python function per gradient, `def grad_X(X, W, B, G): return …`,
/// with common subexpressions bound once to temporaries.
pub fn functions(der: &Derivation, lib: Lib) -> String {
    let env = &der.problem.env;
    let mut out = String::new();
    out.push_str(match lib {
        Lib::Numpy => "import numpy as np\n",
        Lib::Torch => "import torch\n",
    });
    let start = out.len();
    let inputs = inputs(der);
    let params: Vec<String> = inputs.iter().map(|(p, _)| p.clone()).collect();
    let with = WithBindings::new(&der.bindings, env, lib);
    // What the inputs that are not variables stand for.
    let notes: Vec<String> = inputs
        .iter()
        .filter_map(|(p, i)| match i {
            Input::Var(_) => None,
            Input::Unknown(t) => Some(format!("{p} = {}", text::show(t, Style::default()))),
            Input::Dim(d) => Some(format!(
                "{p}: the size of the dimension {d}, which no input has"
            )),
        })
        .collect();
    let doc_tail = if notes.is_empty() {
        String::new()
    } else {
        format!("\n\n    {}\n    ", text::ascii(&notes.join("\n    ")))
    };
    for g in &der.gradients {
        let (mut lines, ret) = body_reading(&g.result, env, lib, "    ", &with.readable);
        // Named intermediates (layer by layer) come first, in evaluation order.
        let lets: Vec<String> = with
            .needed(&g.result)
            .into_iter()
            .map(|i| format!("    {} = {}", der.bindings[i].0, with.binding(i)))
            .collect();
        lines.splice(0..0, lets);
        out.push_str(&format!(
            "\n\ndef grad_{}({}):\n    \"\"\"{}{doc_tail}\"\"\"\n",
            py_name(&g.wrt),
            params.join(", "),
            text::ascii(&format!(
                "∂{}/∂{}",
                text::name(&der.function, Style::default()),
                text::name(&g.wrt, Style::default())
            ))
        ));
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out.push_str(&format!("    return {}\n", finish(g, env, lib, ret)));
    }
    // A few functions NumPy lacks come from SciPy (`scipy.special.erf`).
    if out[start..].contains("scipy.") {
        out.insert_str(start, "import scipy.special\n");
    }
    out
}
