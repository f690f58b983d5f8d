//! The library's front door: one checked pipeline for every query.
//!
//! A [`Session`] holds declarations, [`Limits`] and the seed of numeric
//! checks. Each query runs the whole pipeline under one deadline:
//!
//! ```text
//! parse → check kinds and shapes → term budget → derive (e-graph stages,
//! each bounded) → numeric check (at stand-in sizes for large dimensions)
//! → render (under the output cap)
//! ```
//!
//! The command line, batch mode, the REPL, the web server, the Python
//! package, the fuzz targets and the tests all call it; none of them
//! assembles the pipeline again.
//!
//! | query | answer |
//! |---|---|
//! | [`Session::derive`] | every gradient with its steps, checked: an [`Answer`] |
//! | [`Session::grad`] | one gradient, checked |
//! | [`Session::differential`] | the differential with its steps |
//! | [`Session::simplify`] | the simplest equal form with its steps |
//! | [`Session::equivalent`] | proved equal, refuted by a counterexample, or unknown |
//! | [`Session::shapes`] | the shape of every variable and subexpression |

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ast::{Expr, ExprKind, Input};
use crate::check::{self, Annotated, Declared};
use crate::components::{self, Agreement};
use crate::engine::rule::Rule;
use crate::engine::rules::differential as dtable;
use crate::engine::stage::Rewrite;
use crate::engine::{self, CostModel, Derivation, Gradient, Options, flops, stage};
use crate::equivalence::{self, Equivalence};
use crate::error::{Error, LimitKind, Result};
use crate::numeric::{self, TOLERANCE};
use crate::parse;
use crate::problem::Problem;
use crate::render::numpy::Lib;
use crate::render::text::{self, Style};
use crate::render::{self, derivation, latex, numpy};
use crate::shape::{Env, Kind, Shape, VarInfo};
use crate::term::Term;
use crate::verify::{self, Check};
use crate::{budget, shrink};

/// The bounds every query runs under.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// The most e-nodes of one e-graph run.
    pub nodes: usize,
    /// The most iterations of one e-graph run.
    pub iterations: usize,
    /// The most wall time of one e-graph run.
    pub run_time: Duration,
    /// The most wall time of a whole query, from parsing to rendering.
    pub timeout: Duration,
    /// The largest term given to the engine, in nodes, with `X^k` counted
    /// as `k²` copies of `X` (see [`budget::term_size`]).
    pub term_size: usize,
    /// The longest output, in bytes.
    pub output_bytes: usize,
    /// Random points per gradient in the numeric check.
    pub trials: u32,
}

impl Default for Limits {
    fn default() -> Self {
        let engine = engine::Limits::default();
        Limits {
            nodes: engine.nodes,
            iterations: engine.iterations,
            run_time: engine.time,
            timeout: budget::DEFAULT_TIMEOUT,
            term_size: budget::MAX_TERM_SIZE,
            output_bytes: budget::MAX_OUTPUT_BYTES,
            trials: 3,
        }
    }
}

impl Limits {
    /// Refuses `text` when it is longer than [`Limits::output_bytes`].
    pub fn check_output(&self, text: &str) -> Result<()> {
        budget::check_output(text, self.output_bytes)
    }

    /// The limits of each e-graph run of a query that must end at `deadline`.
    pub(crate) fn engine(&self, deadline: Instant) -> engine::Limits {
        engine::Limits {
            nodes: self.nodes,
            iterations: self.iterations,
            time: self.run_time,
            deadline: Some(deadline),
        }
    }
}

/// How a gradient is derived.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    /// By the matrix differential (the default).
    #[default]
    Differential,
    /// By components, in index notation.
    Components,
    /// Both, and whether they agree.
    Both,
}

/// What a gradient query asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct GradOptions {
    /// The variables to differentiate by; empty means every variable.
    pub wrt: Vec<String>,
    /// How to derive.
    pub method: Method,
    /// How to choose among equal forms of each gradient.
    pub cost: CostModel,
    /// Check every gradient numerically (a gradient that fails is an error).
    pub check: bool,
}

impl Default for GradOptions {
    fn default() -> Self {
        GradOptions {
            wrt: Vec::new(),
            method: Method::Differential,
            cost: CostModel::Size,
            check: true,
        }
    }
}

impl GradOptions {
    /// Every gradient, by the matrix differential, checked.
    pub fn new() -> GradOptions {
        GradOptions::default()
    }

    /// With respect to `vars` only.
    pub fn wrt<S: AsRef<str>>(mut self, vars: &[S]) -> GradOptions {
        self.wrt = vars.iter().map(|v| v.as_ref().to_string()).collect();
        self
    }

    /// By `method`.
    pub fn method(mut self, method: Method) -> GradOptions {
        self.method = method;
        self
    }
}

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
    /// NumPy code.
    Numpy,
    /// PyTorch code.
    Torch,
}

/// How an answer is written, beyond its format.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    /// Text style: ASCII, and how rule names are set off on a terminal.
    pub style: Style,
    /// Show the line of the numeric check in text output.
    pub show_check: bool,
    /// JSON on one line (JSON Lines), not pretty-printed.
    pub compact: bool,
}

/// The gradients of one scalar expression, derived and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The checked input.
    pub problem: Problem,
    /// The derivation by the matrix differential.
    pub differential: Option<Derivation>,
    /// The derivation by components.
    pub components: Option<components::Derivation>,
    /// Whether the two methods agree (with [`Method::Both`]).
    pub agreement: Option<Agreement>,
    /// The numeric check of every gradient, when one was made.
    pub check: Option<Check>,
    /// With [`CostModel::Flops`]: each gradient in its smallest form, to
    /// compare FLOP counts with the chosen one.
    pub smallest: Option<Vec<Gradient>>,
}

impl Answer {
    /// The gradients by the matrix differential (by components when only
    /// that method ran), as `(variable, result)`.
    pub fn results(&self) -> Vec<(&str, Option<&Term>)> {
        match (&self.differential, &self.components) {
            (Some(d), _) => d
                .gradients
                .iter()
                .map(|g| (g.wrt.as_str(), Some(&g.result)))
                .collect(),
            (None, Some(c)) => c
                .gradients
                .iter()
                .map(|g| (g.wrt.as_str(), g.result.as_ref()))
                .collect(),
            (None, None) => vec![],
        }
    }

    /// The answer in `format`. A derivation by components is written as
    /// text or JSON only; other formats are a usage error. The output is
    /// refused (an [`Error::OutputTooLarge`]) past `limit` bytes.
    pub fn render(&self, format: Format, opts: &RenderOptions, limit: usize) -> Result<String> {
        let style = Style {
            ascii: opts.style.ascii || format == Format::Ascii,
            ..opts.style
        };
        let check = self.check.as_ref();
        let out = match (&self.differential, &self.components) {
            (Some(der), None) => match format {
                Format::Text | Format::Ascii => {
                    let mut out = derivation::render(der, check.filter(|_| opts.show_check), style);
                    if let Some(small) = &self.smallest {
                        out.push_str(&flop_table(der, small, style));
                    }
                    out
                }
                Format::Json => json_text(&self.to_json_styled(style), opts.compact),
                Format::Latex => latex::derivation(der),
                Format::Numpy => numpy::functions(der, Lib::Numpy),
                Format::Torch => numpy::functions(der, Lib::Torch),
            },
            (None, Some(comp)) => match format {
                Format::Text | Format::Ascii => render::components::render(comp, style),
                Format::Json => json_text(&self.to_json_styled(style), opts.compact),
                other => return Err(components_format(other)),
            },
            (Some(der), Some(comp)) => {
                let line = self
                    .agreement
                    .as_ref()
                    .map(|a| render::components::agreement_line(a, &comp.function, style))
                    .unwrap_or_default();
                match format {
                    Format::Text | Format::Ascii => format!(
                        "by the matrix differential\n{}\n{}\n{line}\n",
                        derivation::render(der, check.filter(|_| opts.show_check), style),
                        render::components::render(comp, style)
                    ),
                    Format::Json => json_text(&self.to_json_styled(style), opts.compact),
                    other => return Err(components_format(other)),
                }
            }
            (None, None) => String::new(),
        };
        budget::check_output(&out, limit)?;
        Ok(out)
    }

    /// The answer as the JSON object of `--format json`, as data: the
    /// derivation's fields (`input`, `shapes`, `definitions`,
    /// `differential`, `gradients`, `check`), and with a derivation by
    /// components its `components` field (and `agree`, `agreement` when both
    /// methods ran).
    ///
    /// ```
    /// let a = matdiff::Session::new().derive("L(XW+B)", &Default::default()).unwrap();
    /// let v = a.to_json();
    /// assert_eq!(v["gradients"][0]["text"], "G Wᵀ");
    /// assert_eq!(v["gradients"][0]["numpy"], "G @ W.T");
    /// ```
    pub fn to_json(&self) -> Value {
        self.to_json_styled(Style::default())
    }

    fn to_json_styled(&self, style: Style) -> Value {
        let check = self.check.as_ref();
        match (&self.differential, &self.components) {
            (Some(der), None) => render::json::render(der, check),
            (None, Some(comp)) => {
                json!({ "input": self.problem.source, "components": components_json(comp, style) })
            }
            (Some(der), Some(comp)) => {
                let mut v = render::json::render(der, check);
                if let Value::Object(m) = &mut v {
                    let line = self
                        .agreement
                        .as_ref()
                        .map(|a| render::components::agreement_line(a, &comp.function, style))
                        .unwrap_or_default();
                    m.insert("components".to_string(), components_json(comp, style));
                    let agree = self.agreement.as_ref().is_some_and(Agreement::agree);
                    m.insert("agree".to_string(), json!(agree));
                    m.insert("agreement".to_string(), json!(line));
                }
                v
            }
            (None, None) => Value::Null,
        }
    }

    /// The statistics of every e-graph run, one row each, then the totals.
    pub fn stats(&self) -> String {
        match &self.differential {
            Some(der) => render::stats::table(&der.problem.source, &der.stats),
            None => String::new(),
        }
    }
}

fn components_format(f: Format) -> Error {
    Error::Usage(format!(
        "a derivation by components is written as text or JSON, not as {}",
        format!("{f:?}").to_lowercase()
    ))
}

fn json_text(v: &Value, compact: bool) -> String {
    if compact {
        format!("{v}\n")
    } else {
        format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
    }
}

/// The `"components"` field: per variable, the result (or none), its
/// entries in index form, and the lines of the derivation as text.
fn components_json(comp: &components::Derivation, style: Style) -> Value {
    let text = render::components::render(comp, style);
    let gradients: Vec<Value> = comp
        .gradients
        .iter()
        .map(|g| {
            json!({
                "wrt": g.wrt,
                "result": g.result.as_ref().map(|t| text::show(t, style)),
                "entries": components::notation::show(&g.entries, &comp.names, style),
                "unassembled": g.unassembled,
            })
        })
        .collect();
    json!({ "gradients": gradients, "text": text })
}

/// The FLOPs of each gradient as the smallest form and as the cheapest one.
fn flop_table(der: &Derivation, smallest: &[Gradient], style: Style) -> String {
    let env = &der.problem.env;
    let show = |n: Option<flops::Count>| n.map_or_else(|| "?".to_string(), flops::describe);
    let mut s = String::from(
        "\nFLOPs to evaluate each gradient (a product m×k by k×n is 2mkn; a repeated subexpression counts once):\n",
    );
    for (g, small) in der.gradients.iter().zip(smallest) {
        s.push_str(&format!(
            "  {}: {} as {} (smallest form), {} as {}\n",
            text::name(&g.wrt, style),
            show(flops::count(&small.result, env)),
            text::show(&small.result, style),
            show(flops::count(&g.result, env)),
            text::show(&g.result, style),
        ));
    }
    s
}

/// A chain of rewrites from a starting term to a result, each step named by
/// its rule: what [`Session::simplify`] and [`Session::differential`] return.
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
    /// (JSON); the result as a Python expression (NumPy, PyTorch).
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
            Format::Numpy | Format::Torch => render_term(&self.result, env, format),
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
pub fn render_term(term: &Term, env: &Env, format: Format) -> String {
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

/// Declarations, limits and the seed that queries share.
///
/// Declarations come two ways. [`Session::with_lets`] declarations apply to
/// every query, as `--let` does: declaring a name the expression does not
/// use is an error (it is usually a misspelling). [`Session::declare`] adds
/// declarations that persist across queries, as in the REPL: each applies
/// to the queries whose expression uses the name, unless the expression's
/// own `where` clause declares it.
#[derive(Clone, Debug, Default)]
pub struct Session {
    lets: Vec<Declared>,
    declared: Vec<Declared>,
    /// The bounds of every query.
    pub limits: Limits,
    /// The seed of numeric checks and counterexamples.
    pub seed: u64,
}

impl Session {
    /// A session without declarations, with the default limits and seed 0.
    ///
    /// ```
    /// let s = matdiff::Session::new();
    /// assert_eq!(s.seed, 0);
    /// ```
    pub fn new() -> Session {
        Session::default()
    }

    /// A session whose queries all get the declarations `lets` (each like
    /// `"X: 1×n"` or `"X: 1×n, W: n×m"`), as `--let`.
    ///
    /// ```
    /// use matdiff::Session;
    ///
    /// let s = Session::with_lets(&["X: 1×n"]).unwrap();
    /// assert_eq!(s.check("X W").unwrap().shape.to_string(), "1×m");
    /// assert!(s.check("W").is_err()); // X is declared but not used
    /// assert!(Session::with_lets(&["X: 1×"]).is_err());
    /// ```
    pub fn with_lets<S: AsRef<str>>(lets: &[S]) -> Result<Session> {
        Ok(Session {
            lets: lets
                .iter()
                .map(|l| Declared::parse(l.as_ref()))
                .collect::<Result<_>>()?,
            ..Session::new()
        })
    }

    /// Adds declarations that apply to every query, as [`Session::with_lets`].
    pub fn add_lets<S: AsRef<str>>(&mut self, lets: &[S]) -> Result<()> {
        for l in lets {
            self.lets.push(Declared::parse(l.as_ref())?);
        }
        Ok(())
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
            self.declared
                .retain(|x| x.decls.first().is_none_or(|e| e.name != d.name));
            self.declared.push(Declared::parse(&text)?);
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
        self.declared.iter().map(|d| d.text.as_str()).collect()
    }

    /// The declarations that apply to the parsed inputs `inputs`.
    fn decls_for(&self, inputs: &[&Input]) -> Vec<Declared> {
        let mut used = BTreeSet::new();
        let mut own = BTreeSet::new();
        for input in inputs {
            names(&input.expr, &mut used);
            own.extend(input.decls.iter().map(|d| d.name.clone()));
        }
        let mut out = self.lets.clone();
        out.extend(
            self.declared
                .iter()
                .filter(|d| {
                    d.decls
                        .iter()
                        .any(|x| used.contains(&x.name) && !own.contains(&x.name))
                })
                .cloned(),
        );
        out
    }

    /// Parses and checks `expr` (kinds, shapes, the typed term).
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
        check::check_parsed(expr, &input, &self.decls_for(&[&input]), false)
    }

    /// A checked problem within the term budget for `task`.
    pub(crate) fn bounded(&self, expr: &str, task: &'static str) -> Result<Problem> {
        let problem = self.check(expr)?;
        budget::check_term_size(&problem.term, &problem.source, task, self.limits.term_size)?;
        Ok(problem)
    }

    /// The gradients of the scalar `expr`, derived by `opts.method` and
    /// checked numerically (unless `opts.check` is off): the whole pipeline.
    /// A gradient that fails its check, or two methods that disagree, is an
    /// [`Error::CheckFailed`], never an answer.
    ///
    /// ```
    /// use matdiff::{Format, GradOptions, RenderOptions, Session};
    ///
    /// let s = Session::with_lets(&["X: 1×n"]).unwrap();
    /// let a = s.derive("L(XW+B)", &GradOptions::new()).unwrap();
    /// assert!(a.check.as_ref().unwrap().passed());
    /// let text = a.render(Format::Text, &RenderOptions::default(), 1 << 20).unwrap();
    /// assert!(text.contains("∂L/∂W = Xᵀ G"));
    /// ```
    pub fn derive(&self, expr: &str, opts: &GradOptions) -> Result<Answer> {
        let deadline = Instant::now() + self.limits.timeout;
        let problem = self.bounded(expr, "differentiate")?;
        if opts.cost == CostModel::Flops {
            let symbolic = flops::symbolic_dims(&problem.env);
            if !symbolic.is_empty() {
                return Err(Error::Usage(format!(
                    "the FLOP cost needs concrete dimensions, but {} {} symbolic (declare sizes, e.g. X: 1000×10)",
                    symbolic.join(", "),
                    if symbolic.len() == 1 { "is" } else { "are" }
                )));
            }
        }
        let wrt = opts
            .wrt
            .iter()
            .map(|v| parse::variable_name(v))
            .collect::<Result<Vec<_>>>()?;
        let engine_opts = Options {
            wrt: wrt.clone(),
            limits: self.limits.engine(deadline),
            cost: opts.cost,
        };
        let differential = match opts.method {
            Method::Differential | Method::Both => Some(engine::derive(&problem, &engine_opts)?),
            Method::Components => None,
        };
        let components = match opts.method {
            Method::Components | Method::Both => Some(components::derive(&problem, &wrt)?),
            Method::Differential => None,
        };
        let mut answer = Answer {
            problem,
            differential,
            components,
            agreement: None,
            check: None,
            smallest: None,
        };
        if opts.check {
            self.verify(&mut answer, deadline)?;
        }
        if opts.method == Method::Both
            && let (Some(der), Some(comp)) = (&answer.differential, &answer.components)
        {
            let (der, comp) = (shrink::derivation(der), shrink::components(comp));
            let agreement = components::agreement(&der, &comp, self.seed, self.limits.trials)?;
            if agreement
                .verdicts
                .iter()
                .any(|v| v.numeric.as_ref().is_some_and(|c| !c.agree()))
            {
                return Err(Error::CheckFailed {
                    detail: render::components::agreement_line(
                        &agreement,
                        &comp.function,
                        Style::default(),
                    ),
                });
            }
            answer.agreement = Some(agreement);
        }
        if opts.cost == CostModel::Flops && answer.differential.is_some() {
            let by_size = engine::derive(
                &answer.problem,
                &Options {
                    cost: CostModel::Size,
                    ..engine_opts
                },
            )?;
            answer.smallest = Some(by_size.gradients);
        }
        past(deadline, &answer.problem, self.limits.timeout)?;
        Ok(answer)
    }

    /// Checks every gradient of `answer` numerically, at stand-in sizes when
    /// dimensions are large.
    fn verify(&self, answer: &mut Answer, deadline: Instant) -> Result<()> {
        let seed = self.seed;
        if let Some(der) = &answer.differential {
            // A deep network has many gradients, each checked entry by
            // entry; one random point each keeps the check to about a second.
            let trials = if der.bindings.len() > 32 {
                1
            } else {
                self.limits.trials
            };
            let c = verify::check_until(&shrink::derivation(der), seed, trials, Some(deadline))?;
            if !c.passed() {
                let worst: Vec<String> = c
                    .failures()
                    .iter()
                    .map(|(v, e)| format!("∂/∂{v}: relative error {e:.2e}"))
                    .collect();
                return Err(Error::CheckFailed {
                    detail: format!(
                        "{} (tolerance {TOLERANCE:.0e}, {} points, seed {})",
                        worst.join("; "),
                        c.trials,
                        c.seed
                    ),
                });
            }
            answer.check = Some(c);
        } else if let Some(comp) = &answer.components {
            let comp = shrink::components(comp);
            let p = &comp.problem;
            for g in &comp.gradients {
                let Some(result) = &g.result else { continue };
                past(deadline, &answer.problem, self.limits.timeout)?;
                let trials = self.limits.trials;
                let r = numeric::check_gradient(&p.term, &g.wrt, result, &p.env, seed, trials)?;
                if !r.passed() {
                    return Err(Error::CheckFailed {
                        detail: format!(
                            "∂/∂{} by components: relative error {:.2e} (tolerance {TOLERANCE:.0e}, {trials} points, seed {seed})",
                            g.wrt, r.max_rel_error
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The gradient of the scalar `expr` with respect to the variable `wrt`,
    /// derived and checked.
    ///
    /// ```
    /// let mut s = matdiff::Session::new();
    /// s.declare("X: 1×n").unwrap();
    /// let g = s.grad("L(XW+B)", "W").unwrap();
    /// assert_eq!(g.shape.to_string(), "n×m");
    /// assert_eq!(g.steps.last().unwrap().rule, "identification");
    /// ```
    pub fn grad(&self, expr: &str, wrt: &str) -> Result<Gradient> {
        let answer = self.derive(expr, &GradOptions::new().wrt(&[wrt]))?;
        answer
            .differential
            .and_then(|d| d.gradients.into_iter().next())
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
        let deadline = Instant::now() + self.limits.timeout;
        let mut problem = self.bounded(expr, "differentiate")?;
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
            deadline,
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
        let deadline = Instant::now() + self.limits.timeout;
        let problem = self.bounded(expr, "simplify")?;
        let rules = crate::equivalence::rules();
        let start = problem.term.clone();
        let (result, steps) = self.run_stage(
            &problem,
            &start,
            &rules,
            "simplification",
            Goal::Smallest,
            deadline,
        )?;
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
        deadline: Instant,
    ) -> Result<(Term, Vec<Rewrite>)> {
        let show = |t: &Term| text::show(t, Style::default());
        let mut ctx = engine::lang::Ctx::new(problem.env.clone());
        for v in problem.env.vars.keys() {
            ctx.var_atom(v);
        }
        let rec = ctx.to_rec(start);
        let limits = self.limits.engine(deadline);
        let mut st = stage::run(&ctx, rec, rules, &limits, name, start)?;
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
        let steps = st.steps(&ctx, rules, &best, show);
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
    /// random points (at stand-in sizes for large dimensions) either refutes
    /// the claim ([`Equivalence::Refuted`], with the point) or finds no
    /// difference ([`Equivalence::Unknown`], with the reason no proof was
    /// found).
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
    /// let declared = Session::with_lets(&["X: 2×3"]).unwrap();
    /// assert!(declared.equivalent("X", "Xᵀ").is_err()); // 2×3 against 3×2
    /// ```
    pub fn equivalent(&self, a: &str, b: &str) -> Result<Equivalence> {
        let deadline = Instant::now() + self.limits.timeout;
        // A pair too large for the rewrite rules is compared by numbers
        // only (see `equivalence::decide`).
        let (left, right, env) = self.check_pair(a, b)?;
        let limits = self.limits.engine(deadline);
        // Large declared sizes are compared at small stand-ins: equality
        // does not depend on them.
        let (left, right, env) = (shrink::term(&left), shrink::term(&right), shrink::env(&env));
        equivalence::decide(&left, &right, &env, &limits, self.seed)
    }

    /// Checks `a` and `b` as one problem, `(a) - (b)`, so that the two share
    /// their variables' shapes, and splits the term again.
    fn check_pair(&self, a: &str, b: &str) -> Result<(Term, Term, Env)> {
        let (ia, ib) = (parse::parse(a)?, parse::parse(b)?);
        let mut decls = self.decls_for(&[&ia, &ib]);
        for (src, input) in [(a, &ia), (b, &ib)] {
            for d in &input.decls {
                decls.push(Declared::parse(d.span.text(src))?);
            }
        }
        let (ea, eb) = (ia.expr.span.text(a), ib.expr.span.text(b));
        let joint = format!("({ea}) - ({eb})");
        let second = crate::ast::Span::new(ea.len() + 5, joint.len());
        let input = parse::parse(&joint)?;
        let problem = match check::check_parsed(&joint, &input, &decls, false) {
            Ok(a) => a.problem,
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

/// A time-limit error once `deadline` has passed.
fn past(deadline: Instant, problem: &Problem, timeout: Duration) -> Result<()> {
    if Instant::now() > deadline {
        return Err(Error::Limit {
            stage: "derivation".to_string(),
            limit: LimitKind::Time(timeout.as_secs_f64()),
            at: Box::new(problem.term.clone()),
        });
    }
    Ok(())
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
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Var { name, .. } => {
                out.insert(name.clone());
            }
            ExprKind::Identity
            | ExprKind::Ones
            | ExprKind::Number(_)
            | ExprKind::Commutation(..) => {}
            ExprKind::Call(_, xs) => stack.extend(xs),
            ExprKind::Paren(x)
            | ExprKind::Neg(x)
            | ExprKind::Transpose(x)
            | ExprKind::Power(x, _)
            | ExprKind::EPower(x, _)
            | ExprKind::Norm(x)
            | ExprKind::Unknown(_, x) => stack.push(x),
            ExprKind::Sum(ts) => stack.extend(ts.iter().map(|(_, t)| t)),
            ExprKind::Product { first, rest } => {
                stack.push(first);
                stack.extend(rest.iter().map(|(_, t)| t));
            }
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

/// The gradient of the scalar `expr` with respect to `wrt`, checked; the
/// same as [`Session::grad`] on a new session.
///
/// ```
/// use matdiff::{Format, grad, render};
///
/// let g = grad("L(XW+B) where X: 1×n", "X").unwrap();
/// assert_eq!(g.shape.to_string(), "1×n");
/// // The gradient mentions G = ∂L/∂Y, which the derivation introduces.
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
