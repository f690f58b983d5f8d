//! The library's front door: CAS-style queries on expressions written in the
//! matdiff language.
//!
//! Each query is a free function that takes the expression as text (with an
//! optional `where` clause), and the same query is a method of [`Session`],
//! which also holds declarations, limits and the seed of numeric checks:
//!
//! | query | answer |
//! |---|---|
//! | [`parse`](crate::parse()) | the syntax tree, with a span on every node |
//! | [`check`](crate::check()) | the typed term and every variable's shape |
//! | [`shapes`] | the shape of every subexpression |
//! | [`grad`] | one gradient, with its steps |
//! | [`differential`] | the differential, with its steps |
//! | [`simplify`] | the simplest equal form, with its steps |
//! | [`equivalent`] | proved equal, refuted by a counterexample, or unknown |
//! | [`render`], [`render_derivation`] | text, ASCII, LaTeX, JSON, NumPy, PyTorch |
//!
//! Nothing here prints; every failure is an [`Error`].

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::ast::{Expr, ExprKind};
use crate::check::{self, Annotated};
use crate::engine::lang::Ctx;
use crate::engine::rule::Rule;
use crate::engine::rules::{algebra, differential as dtable};
use crate::engine::{self, Derivation, Gradient, Limits, Options, stage};
use crate::equivalence::{self, Equivalence, Rewrite};
use crate::error::{Error, Result};
use crate::parse;
use crate::problem::Problem;
use crate::render::numpy::{self, Lib};
use crate::render::text::{self, Style};
use crate::render::{derivation, json as json_render, latex};
use crate::shape::{Env, Kind, Shape, VarInfo};
use crate::term::Term;
use crate::verify::Check;

/// An output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Plain text with Unicode symbols (`G Wᵀ`).
    #[default]
    Text,
    /// Plain ASCII text (`G W^T`).
    Ascii,
    /// LaTeX (`G W^{\top}`).
    Latex,
    /// JSON.
    Json,
    /// A NumPy expression.
    Numpy,
    /// A PyTorch expression.
    Torch,
}

/// A term in `format`; `env` gives the shapes that NumPy and PyTorch code
/// needs (JSON holds the text, LaTeX and NumPy forms).
///
/// ```
/// use matdiff::{Format, render};
///
/// let p = matdiff::check("X W^T", &[]).unwrap();
/// assert_eq!(render(&p.term, &p.env, Format::Text), "X Wᵀ");
/// assert_eq!(render(&p.term, &p.env, Format::Ascii), "X W^T");
/// assert_eq!(render(&p.term, &p.env, Format::Numpy), "X @ W.T");
/// assert!(render(&p.term, &p.env, Format::Latex).contains("\\top"));
/// ```
pub fn render(term: &Term, env: &Env, format: Format) -> String {
    match format {
        Format::Text => text::show(term, Style::default()),
        Format::Ascii => text::show(
            term,
            Style {
                ascii: true,
                ..Style::default()
            },
        ),
        Format::Latex => latex::show(term),
        Format::Json => term_json(term, env).to_string(),
        Format::Numpy => numpy::code(term, env, Lib::Numpy),
        Format::Torch => numpy::code(term, env, Lib::Torch),
    }
}

fn term_json(term: &Term, env: &Env) -> Value {
    json!({
        "text": text::show(term, Style::default()),
        "latex": latex::show(term),
        "numpy": numpy::code(term, env, Lib::Numpy),
    })
}

/// A whole derivation in `format`, with the numeric check if one was made
/// (see [`crate::verify::check`]).
///
/// ```
/// use matdiff::{Format, Session, render_derivation};
///
/// let der = Session::new().derive("L(XW+B)", &[]).unwrap();
/// let text = render_derivation(&der, Format::Text, None);
/// assert!(text.contains("∂L/∂W = Xᵀ G"));
/// let json = render_derivation(&der, Format::Json, None);
/// assert!(json.contains("\"wrt\": \"X\""));
/// ```
pub fn render_derivation(der: &Derivation, format: Format, check: Option<&Check>) -> String {
    match format {
        Format::Text => derivation::render(der, check, Style::default()),
        Format::Ascii => derivation::render(
            der,
            check,
            Style {
                ascii: true,
                ..Style::default()
            },
        ),
        Format::Latex => latex::derivation(der),
        Format::Json => {
            let v = json_render::render(der, check);
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        Format::Numpy => numpy::functions(der, Lib::Numpy),
        Format::Torch => numpy::functions(der, Lib::Torch),
    }
}

/// A chain of rewrites from a starting term to a result, each step named by
/// its rule: what [`simplify`] and [`differential`] return.
#[derive(Clone, Debug, PartialEq)]
pub struct Rewriting {
    /// The checked input (its environment also holds the symbols a
    /// differential introduces, such as `G`).
    pub problem: Problem,
    /// The first term of the chain (the input, or `d(input)`).
    pub start: Term,
    /// The last term of the chain.
    pub result: Term,
    /// The steps from `start` to `result`; empty when no rule applied.
    pub steps: Vec<Rewrite>,
}

impl Rewriting {
    /// The chain in `format`: the starting term, one `= term   rule` line per
    /// step and the result (text); an `align*` block (LaTeX); one object
    /// (JSON); the result as code (NumPy, PyTorch).
    ///
    /// ```
    /// use matdiff::{Format, simplify};
    ///
    /// let s = simplify("tr(Xᵀ) + 0").unwrap();
    /// assert_eq!(
    ///     s.render(Format::Text),
    ///     "tr(Xᵀ) + 0\n  = tr(Xᵀ)    identity, ones and zeros\n  = tr(X)     tr(Aᵀ) = tr(A)\n\nresult: tr(X)\n"
    /// );
    /// assert!(s.render(Format::Latex).starts_with("\\begin{align*}"));
    /// assert_eq!(s.render(Format::Numpy), "np.trace(X)");
    /// ```
    pub fn render(&self, format: Format) -> String {
        let env = &self.problem.env;
        match format {
            Format::Text | Format::Ascii => {
                let style = Style {
                    ascii: format == Format::Ascii,
                    ..Style::default()
                };
                format!(
                    "{}\nresult: {}\n",
                    equivalence::steps_text(&self.start, &self.steps, style),
                    text::show(&self.result, style)
                )
            }
            Format::Latex => {
                let mut lines = vec![format!("&{}", latex::show(&self.start))];
                for s in &self.steps {
                    lines.push(format!(
                        "&= {} && \\text{{{}}}",
                        latex::show(&s.term),
                        s.rule.latex()
                    ));
                }
                format!(
                    "\\begin{{align*}}\n{}\n\\end{{align*}}\n",
                    lines.join(" \\\\\n")
                )
            }
            Format::Json => format!(
                "{}\n",
                serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
            ),
            Format::Numpy | Format::Torch => render(&self.result, env, format),
        }
    }

    /// The chain as one JSON object: `input`, `start`, `result` (each with
    /// `text`, `latex` and `numpy`) and `steps` (each with `text`, `latex`
    /// and `rule`).
    ///
    /// ```
    /// let s = matdiff::simplify("2X + 3X").unwrap();
    /// let v = s.to_json();
    /// assert_eq!(v["result"]["text"], "5 X");
    /// assert_eq!(v["steps"][0]["rule"], "collect like terms");
    /// ```
    pub fn to_json(&self) -> Value {
        let env = &self.problem.env;
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                json!({
                    "text": text::show(&s.term, Style::default()),
                    "latex": latex::show(&s.term),
                    "rule": s.rule.to_string(),
                })
            })
            .collect();
        json!({
            "input": self.problem.source,
            "start": term_json(&self.start, env),
            "result": term_json(&self.result, env),
            "steps": steps,
        })
    }
}

/// Declarations, limits and the seed that queries share.
///
/// Declarations come two ways. [`Session::lets`] are passed to every check
/// as `--let` declarations are: declaring a name the expression does not use
/// is an error (it is usually a misspelling). [`Session::declare`] adds
/// declarations that persist across queries, as in the REPL: each applies to
/// the queries whose expression uses the name, unless the expression's own
/// `where` clause declares it.
#[derive(Clone, Debug)]
pub struct Session {
    /// Declarations such as `"X: 1×n"` passed to every check.
    pub lets: Vec<String>,
    /// The budget of each e-graph run.
    pub limits: Limits,
    /// The seed of numeric checks and counterexamples.
    pub seed: u64,
    declared: Vec<(String, String)>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session without declarations, with the default limits and seed 0.
    ///
    /// ```
    /// let s = matdiff::Session::new();
    /// assert!(s.lets.is_empty());
    /// assert_eq!(s.seed, 0);
    /// ```
    pub fn new() -> Session {
        Session {
            lets: Vec::new(),
            limits: Limits::default(),
            seed: 0,
            declared: Vec::new(),
        }
    }

    /// A session whose checks all get the declarations `lets`, as `--let`.
    ///
    /// ```
    /// use matdiff::Session;
    ///
    /// let s = Session::with_lets(&["X: 1×n".to_string()]);
    /// assert_eq!(s.check("X W").unwrap().shape.to_string(), "1×m");
    /// assert!(s.check("W").is_err()); // X is declared but not used
    /// ```
    pub fn with_lets(lets: &[String]) -> Session {
        Session {
            lets: lets.to_vec(),
            ..Session::new()
        }
    }

    /// Adds persistent declarations such as `"X: 1×n, W: n×m"` (a later
    /// declaration of a name replaces an earlier one) and returns the
    /// declared names.
    ///
    /// ```
    /// let mut s = matdiff::Session::new();
    /// assert_eq!(s.declare("x: n×1").unwrap(), vec!["x"]);
    /// assert_eq!(s.check("xᵀ A x").unwrap().env.shape("A").unwrap().to_string(), "n×n");
    /// assert!(s.check("tr(A)").is_ok()); // x is not used: the declaration does not apply
    /// assert!(s.declare("x: n×").is_err());
    /// ```
    pub fn declare(&mut self, decls: &str) -> Result<Vec<String>> {
        let parsed = parse::parse_decls(decls)?;
        let mut names = Vec::new();
        for d in parsed {
            let text = d.span.text(decls).to_string();
            self.declared.retain(|(n, _)| *n != d.name);
            self.declared.push((d.name.clone(), text));
            names.push(d.name);
        }
        Ok(names)
    }

    /// The persistent declarations, in the order they were made.
    ///
    /// ```
    /// let mut s = matdiff::Session::new();
    /// s.declare("X: 1×n, W: n×m").unwrap();
    /// s.declare("X: 2×n").unwrap();
    /// assert_eq!(s.declarations(), vec!["W: n×m", "X: 2×n"]);
    /// ```
    pub fn declarations(&self) -> Vec<&str> {
        self.declared.iter().map(|(_, t)| t.as_str()).collect()
    }

    /// The declarations that apply to the parsed inputs `inputs`.
    fn lets_for(&self, inputs: &[&crate::ast::Input]) -> Vec<String> {
        let mut used = BTreeSet::new();
        let mut own = BTreeSet::new();
        for input in inputs {
            names(&input.expr, &mut used);
            own.extend(input.decls.iter().map(|d| d.name.clone()));
        }
        let mut lets = self.lets.clone();
        lets.extend(
            self.declared
                .iter()
                .filter(|(n, _)| used.contains(n) && !own.contains(n))
                .map(|(_, t)| t.clone()),
        );
        lets
    }

    /// Parses and checks `expr` (see [`check::check`]).
    ///
    /// ```
    /// let p = matdiff::Session::new().check("tr(AXB)").unwrap();
    /// assert!(p.shape.is_scalar());
    /// assert_eq!(p.env.shape("X").unwrap().to_string(), "m×p");
    /// ```
    pub fn check(&self, expr: &str) -> Result<Problem> {
        Ok(self.shapes(expr)?.problem)
    }

    /// Like [`Session::check`], with the shape of every subexpression.
    ///
    /// ```
    /// let a = matdiff::Session::new().shapes("tr(XW)").unwrap();
    /// assert!(a.report().contains("XW    n×n"));
    /// ```
    pub fn shapes(&self, expr: &str) -> Result<Annotated> {
        let input = parse::parse(expr)?;
        check::annotate(expr, &self.lets_for(&[&input]))
    }

    /// The derivation of every gradient of the scalar `expr` (of those with
    /// respect to `wrt`, when it is not empty).
    ///
    /// ```
    /// let der = matdiff::Session::new().derive("tr(AXB)", &["X".to_string()]).unwrap();
    /// assert_eq!(der.gradients.len(), 1);
    /// assert_eq!(matdiff::render(&der.gradients[0].result, &der.problem.env, matdiff::Format::Text), "(B A)ᵀ");
    /// ```
    pub fn derive(&self, expr: &str, wrt: &[String]) -> Result<Derivation> {
        let problem = self.check(expr)?;
        let opts = Options {
            wrt: wrt.to_vec(),
            limits: self.limits.clone(),
            ..Options::default()
        };
        engine::derive(&problem, &opts)
    }

    /// The gradient of the scalar `expr` with respect to the variable `wrt`.
    ///
    /// ```
    /// let mut s = matdiff::Session::new();
    /// s.declare("X: 1×n").unwrap();
    /// let g = s.grad("L(XW+B)", "W").unwrap();
    /// assert_eq!(g.shape.to_string(), "n×m");
    /// assert_eq!(g.steps.last().unwrap().rule, "identification");
    /// ```
    pub fn grad(&self, expr: &str, wrt: &str) -> Result<Gradient> {
        let der = self.derive(expr, &[wrt.to_string()])?;
        der.gradients
            .into_iter()
            .next()
            .ok_or_else(|| Error::Usage(format!("{expr} has no gradient with respect to {wrt}")))
    }

    /// The differential `d(expr)`, with every `d` on a variable, and its
    /// steps. An unknown function `L(E)` contributes `tr(Gᵀ dE)` with
    /// `G = ∂L/∂E` (`G_f` for `f`), added to the environment.
    ///
    /// ```
    /// let d = matdiff::Session::new().differential("XW + B").unwrap();
    /// assert_eq!(matdiff::render(&d.result, &d.problem.env, matdiff::Format::Text), "dX W + X dW + dB");
    /// assert_eq!(d.steps[0].rule, "linearity of d");
    /// assert_eq!(d.steps[1].rule, "product rule");
    /// ```
    pub fn differential(&self, expr: &str) -> Result<Rewriting> {
        let mut problem = self.check(expr)?;
        let mut unknowns = Vec::new();
        unknown_functions(&problem.term, &problem.env, &mut unknowns);
        for (name, shape) in unknowns {
            let info = VarInfo {
                kind: Kind::Matrix,
                shape,
                symmetric: false,
            };
            problem
                .env
                .vars
                .entry(engine::gradient_symbol(&name))
                .or_insert(info);
        }
        let start = Term::Diff(Box::new(problem.term.clone()));
        let (result, steps) = self.run_stage(
            &problem,
            &start,
            dtable::RULES,
            "differential",
            Goal::Differentiated,
        )?;
        Ok(Rewriting {
            problem,
            start,
            result,
            steps,
        })
    }

    /// The simplest form of `expr` by term size, and the steps that reach
    /// it: the engine's simplification rules and the general algebra rules
    /// (cyclic trace, transposes, linearity, distributivity, commutativity of
    /// `+` and `⊙`).
    ///
    /// ```
    /// let s = matdiff::Session::new().simplify("X(A + B) - XA").unwrap();
    /// assert_eq!(matdiff::render(&s.result, &s.problem.env, matdiff::Format::Text), "X B");
    /// ```
    pub fn simplify(&self, expr: &str) -> Result<Rewriting> {
        let problem = self.check(expr)?;
        let rules = algebra::with_simplification();
        let start = problem.term.clone();
        let (result, steps) =
            self.run_stage(&problem, &start, &rules, "simplification", Goal::Smallest)?;
        Ok(Rewriting {
            problem,
            start,
            result,
            steps,
        })
    }

    fn run_stage(
        &self,
        problem: &Problem,
        start: &Term,
        rules: &[Rule],
        name: &str,
        goal: Goal,
    ) -> Result<(Term, Vec<Rewrite>)> {
        let show = |t: &Term| text::show(t, Style::default());
        let mut ctx = Ctx::new(problem.env.clone());
        for v in problem.env.vars.keys() {
            ctx.var_atom(v);
        }
        let rec = ctx.to_rec(start);
        let mut st = stage::run(&ctx, rec, rules, &self.limits, name, start)?;
        let best = match goal {
            Goal::Smallest => st.best(st.root, stage::Size).1,
            Goal::Differentiated => {
                let (cost, best) = st.best(st.root, stage::DiffDone);
                if cost >= usize::MAX / 4 {
                    return Err(Error::Unsupported {
                        at: Box::new(start.clone()),
                        reason: "no differential rule applies to a part of it".to_string(),
                    });
                }
                best
            }
        };
        let steps = st.steps(&ctx, rules, &best, show).into_iter().collect();
        Ok((ctx.from_rec(&best), steps))
    }

    /// Whether `a` and `b` are equal for all values of their variables.
    ///
    /// The two expressions are checked together, so a variable they share
    /// has one shape, and they must have the same shape: two expressions of
    /// different shapes are an input error (a [`Error::Shape`]), not a
    /// refutation. The answer is [`Equivalence::Proved`] with a proof when
    /// the rewrite rules (the simplification and general algebra tables)
    /// connect the two within the limits; otherwise a numeric comparison at
    /// random points either refutes the claim
    /// ([`Equivalence::Refuted`], with the point) or finds no difference
    /// ([`Equivalence::Unknown`], with the reason no proof was found).
    ///
    /// ```
    /// use matdiff::{Equivalence, Session};
    ///
    /// let s = Session::new();
    /// let Equivalence::Proved(proof) = s.equivalent("tr(ABC)", "tr(CAB)").unwrap() else {
    ///     panic!("the cyclic property proves it");
    /// };
    /// assert_eq!(proof.steps[0].rule, "cyclic property of the trace");
    /// assert!(matches!(s.equivalent("tr(ABC)", "tr(ACB)").unwrap(), Equivalence::Refuted(_)));
    /// // The two sides are checked together: here X and W must be square.
    /// assert!(matches!(s.equivalent("XW", "(XW)ᵀ").unwrap(), Equivalence::Refuted(_)));
    /// let declared = Session::with_lets(&["X: 2×3".to_string()]);
    /// assert!(declared.equivalent("X", "Xᵀ").is_err()); // 2×3 against 3×2
    /// ```
    pub fn equivalent(&self, a: &str, b: &str) -> Result<Equivalence> {
        let (left, right, env) = self.check_pair(a, b)?;
        equivalence::decide(&left, &right, &env, &self.limits, self.seed)
    }

    /// Checks `a` and `b` as one problem, `(a) - (b)`, so that the two share
    /// their variables' shapes, and splits the term again.
    fn check_pair(&self, a: &str, b: &str) -> Result<(Term, Term, Env)> {
        let (ia, ib) = (parse::parse(a)?, parse::parse(b)?);
        let mut lets = self.lets_for(&[&ia, &ib]);
        for (src, input) in [(a, &ia), (b, &ib)] {
            lets.extend(input.decls.iter().map(|d| d.span.text(src).to_string()));
        }
        let (ea, eb) = (ia.expr.span.text(a), ib.expr.span.text(b));
        let joint = format!("({ea}) - ({eb})");
        let second = crate::ast::Span::new(ea.len() + 5, joint.len());
        let problem = match check::check(&joint, &lets) {
            Ok(p) => p,
            Err(Error::Shape {
                src, span, label, ..
            }) if span.offset() == second.start => {
                return Err(Error::Shape {
                    message: format!(
                        "`{ea}` and `{eb}` have different shapes, so they cannot be equal"
                    ),
                    src,
                    span,
                    label: label.replace("the sum so far is", "the first is"),
                    help: Some("equivalence compares two expressions of one shape".to_string()),
                });
            }
            Err(e) => return Err(e),
        };
        let Term::Add(mut ts) = problem.term else {
            return Err(Error::Usage(format!("cannot compare {a} and {b}")));
        };
        let (Some(Term::Neg(right)), false) = (ts.pop(), ts.is_empty()) else {
            return Err(Error::Usage(format!("cannot compare {a} and {b}")));
        };
        let left = if ts.len() == 1 {
            ts.pop().expect("one term")
        } else {
            Term::Add(ts)
        };
        Ok((left, *right, problem.env))
    }
}

/// What a stage's result must be.
#[derive(Clone, Copy)]
enum Goal {
    /// The smallest term.
    Smallest,
    /// The smallest term with every `d` on a variable.
    Differentiated,
}

/// The variable names of an expression.
fn names(e: &Expr, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Var { name, .. } => {
            out.insert(name.clone());
        }
        ExprKind::Identity | ExprKind::Ones | ExprKind::Number(_) => {}
        ExprKind::Call(_, xs) => xs.iter().for_each(|x| names(x, out)),
        ExprKind::Paren(x)
        | ExprKind::Neg(x)
        | ExprKind::Transpose(x)
        | ExprKind::Power(x, _)
        | ExprKind::EPower(x, _)
        | ExprKind::Norm(x)
        | ExprKind::Unknown(_, x) => names(x, out),
        ExprKind::Sum(ts) => ts.iter().for_each(|(_, t)| names(t, out)),
        ExprKind::Product { first, rest } => {
            names(first, out);
            rest.iter().for_each(|(_, t)| names(t, out));
        }
    }
}

/// The unknown functions of a term with the shapes of their arguments.
fn unknown_functions(t: &Term, env: &Env, out: &mut Vec<(String, Shape)>) {
    if let Term::Unknown(name, arg) = t
        && !out.iter().any(|(n, _)| n == name)
    {
        out.push((name.clone(), arg.shape(env).unwrap_or_else(Shape::scalar)));
    }
    for c in t.children() {
        unknown_functions(c, env, out);
    }
}

/// Parses and shape-checks `expr` (with its `where` clause); the same as
/// [`Session::shapes`] on a new session.
///
/// ```
/// let a = matdiff::shapes("L(XW+B) where X: 1×n").unwrap();
/// assert_eq!(a.problem.env.shape("B").unwrap().to_string(), "1×m");
/// assert_eq!(a.dims, vec!["n", "m"]);
/// ```
pub fn shapes(expr: &str) -> Result<Annotated> {
    Session::new().shapes(expr)
}

/// The gradient of the scalar `expr` with respect to `wrt`; the same as
/// [`Session::grad`] on a new session.
///
/// ```
/// use matdiff::{Format, grad, render};
///
/// let g = grad("L(XW+B) where X: 1×n", "X").unwrap();
/// assert_eq!(g.shape.to_string(), "1×n");
/// // The gradient mentions G = ∂L/∂Y, which `Session::derive` adds to the environment.
/// assert_eq!(render(&g.result, &Default::default(), Format::Text), "G Wᵀ");
/// ```
pub fn grad(expr: &str, wrt: &str) -> Result<Gradient> {
    Session::new().grad(expr, wrt)
}

/// The differential of `expr`; the same as [`Session::differential`] on a
/// new session.
///
/// ```
/// use matdiff::{Format, differential, render};
///
/// let d = differential("tr(Xᵀ A X)").unwrap();
/// assert_eq!(render(&d.result, &d.problem.env, Format::Text), "tr(dXᵀ A X + Xᵀ dA X + Xᵀ A dX)");
/// ```
pub fn differential(expr: &str) -> Result<Rewriting> {
    Session::new().differential(expr)
}

/// The simplest form of `expr` with its steps; the same as
/// [`Session::simplify`] on a new session.
///
/// ```
/// use matdiff::{Format, simplify, render};
///
/// let s = simplify("((Aᵀ)ᵀ + 0) B").unwrap();
/// assert_eq!(render(&s.result, &s.problem.env, Format::Text), "A B");
/// ```
pub fn simplify(expr: &str) -> Result<Rewriting> {
    Session::new().simplify(expr)
}

/// Whether `a` and `b` are equal for all values; the same as
/// [`Session::equivalent`] on a new session.
///
/// ```
/// use matdiff::{Equivalence, equivalent};
///
/// assert!(equivalent("(XW)ᵀ", "WᵀXᵀ").unwrap().is_proved());
/// match equivalent("tr(ABC)", "tr(ACB)").unwrap() {
///     Equivalence::Refuted(c) => assert!(c.rel_difference > 1e-6),
///     other => panic!("expected a counterexample, got {other:?}"),
/// }
/// ```
pub fn equivalent(a: &str, b: &str) -> Result<Equivalence> {
    Session::new().equivalent(a, b)
}
