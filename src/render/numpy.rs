//! Terms as NumPy and PyTorch expressions over the variable names, and
//! whole Python functions with common subexpressions bound once.

use std::collections::HashMap;

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
    let names = HashMap::new();
    Writer {
        env,
        lib,
        names: &names,
    }
    .expr(t)
    .0
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

/// The Python expression of a gradient: [`code`] of its result, squeezed to
/// a number when the variable is a scalar (a 1×1 array otherwise).
pub fn gradient_code(g: &Gradient, bindings: &[(String, Term)], env: &Env, lib: Lib) -> String {
    finish(g, env, lib, code_with(&g.result, bindings, env, lib))
}

fn finish(g: &Gradient, env: &Env, lib: Lib, code: String) -> String {
    if g.shape.is_scalar() && env.get(&g.wrt).is_some_and(|i| i.kind == Kind::Scalar) {
        format!("{}.squeeze({code})", lib.module())
    } else {
        code
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
}

impl Writer<'_> {
    fn m(&self) -> &'static str {
        self.lib.module()
    }

    /// A Python expression of a dimension's size, read from the shape of a
    /// variable that has it.
    fn size(&self, d: &Dim) -> String {
        match d {
            Dim::Lit(n) => n.to_string(),
            Dim::Sym(s) => {
                for (name, v) in &self.env.vars {
                    if v.kind == Kind::Scalar {
                        continue;
                    }
                    if v.shape.rows == *d {
                        return format!("{}.shape[0]", py_name(name));
                    }
                    if v.shape.cols == *d {
                        return format!("{}.shape[1]", py_name(name));
                    }
                }
                s.clone()
            }
        }
    }

    /// `dtype=…` for a new PyTorch tensor: `torch.eye(n)` is float32, and
    /// `@` refuses to mix it with the float64 tensors of the variables.
    fn dtype(&self) -> String {
        match self.lib {
            Lib::Numpy => String::new(),
            Lib::Torch => self
                .env
                .vars
                .iter()
                .find(|(_, v)| v.kind != Kind::Scalar)
                .map(|(n, _)| format!(", dtype={}.dtype", py_name(n)))
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
                let parts: Vec<String> = fs.iter().map(|f| self.wrap(f, Prec::Unary)).collect();
                (parts.join(" @ "), Prec::Product)
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
            Term::Inverse(a) => self.call("linalg.inv", a),
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
                let code = match self.lib {
                    Lib::Numpy => f.spec().numpy,
                    Lib::Torch => f.spec().torch,
                };
                match code {
                    Code::Call(name) => self.call(name, a),
                    Code::Template(text, prec) => {
                        let filled = text
                            .replace("{m}", m)
                            .replace("{x-}", &self.wrap(a, Prec::Unary))
                            .replace("{x^}", &self.wrap(a, Prec::Power))
                            .replace("{x}", &self.expr(a).0);
                        let prec = match prec {
                            PyPrec::Product => Prec::Product,
                            PyPrec::Atom => Prec::Atom,
                        };
                        (filled, prec)
                    }
                }
            }
            Term::Unknown(n, a) => (format!("{n}({})", self.expr(a).0), Prec::Atom),
            Term::Diff(a) => (format!("d{}", self.wrap(a, Prec::Atom)), Prec::Atom),
        }
    }
}

/// The Python expression of `t` where `t` may use the named intermediates of
/// `bindings`: the ones it needs are bound first with assignment expressions,
/// `(Z1 := X @ W1 + B1, …, result)[-1]`, so the whole is still one expression.
pub fn code_with(t: &Term, bindings: &[(String, Term)], env: &Env, lib: Lib) -> String {
    let needed = needed_bindings(t, bindings);
    if needed.is_empty() {
        return code(t, env, lib);
    }
    let mut parts: Vec<String> = needed
        .iter()
        .map(|(n, v)| format!("{n} := {}", code(v, env, lib)))
        .collect();
    parts.push(code(t, env, lib));
    format!("({})[-1]", parts.join(", "))
}

/// The bindings that `t` needs, directly or through other bindings, in order.
pub fn needed_bindings<'a>(t: &Term, bindings: &'a [(String, Term)]) -> Vec<&'a (String, Term)> {
    let mut need: std::collections::BTreeSet<String> = t.variables().into_iter().collect();
    let mut keep = vec![false; bindings.len()];
    for (i, (name, value)) in bindings.iter().enumerate().rev() {
        if need.contains(name) {
            keep[i] = true;
            need.extend(value.variables());
        }
    }
    bindings
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(b, _)| b)
        .collect()
}

/// The Python statements of a function returning `t`: every common
/// subexpression bound once to a temporary (`tmp0`, `tmp1`, …, names the
/// language cannot give a variable), in dependency order, then `return …`.
pub fn body(t: &Term, env: &Env, lib: Lib, indent: &str) -> (Vec<String>, String) {
    let mut names: HashMap<Term, String> = HashMap::new();
    let mut lines = Vec::new();
    for (i, s) in cse::shared(t).into_iter().enumerate() {
        let rhs = Writer {
            env,
            lib,
            names: &names,
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
    }
    .expr(t)
    .0;
    (lines, ret)
}

/// The parameters of every generated function: the variables in order of
/// appearance, then the gradients of the unknown functions (`G`).
pub fn params(der: &Derivation) -> Vec<String> {
    let mut params: Vec<String> = der.problem.term.variables_in_order();
    for d in &der.definitions {
        if d.value.is_none() && !params.contains(&d.name) {
            params.push(d.name.clone());
        }
    }
    params.iter().map(|p| py_name(p)).collect()
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
    let params = params(der);
    for g in &der.gradients {
        let (mut lines, ret) = body(&g.result, env, lib, "    ");
        // Named intermediates (layer by layer) come first, in evaluation order.
        let lets: Vec<String> = needed_bindings(&g.result, &der.bindings)
            .iter()
            .map(|(n, v)| format!("    {n} = {}", code(v, env, lib)))
            .collect();
        lines.splice(0..0, lets);
        out.push_str(&format!(
            "\n\ndef grad_{}({}):\n    \"\"\"{}\"\"\"\n",
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
    out
}
