//! The engine: gradients by the matrix differential, stage by stage.
//!
//! 1. **Differential** (egg, [`rules::differential`]): `d(f)` is rewritten
//!    until every `d` sits on a variable. For `L(E)` the engine introduces
//!    `Y = E`, `G = ∂L/∂Y` and writes `dL = tr(Gᵀ dY)`.
//! 2. **Hold the others constant**: for each variable `V`, every other
//!    differential is set to zero.
//! 3. **Identification** (egg, [`rules::trace`]): linearity, the cyclic
//!    property, the transpose of a scalar and the Hadamard adjoint bring `dL`
//!    to `tr(Aᵀ dV)`, and `∂L/∂V = A` is read off.
//! 4. **Simplification** (egg, [`rules::simplify`]) of `A`.
//!
//! Each stage's steps are egg's explanation of how the starting term became
//! the extracted one, with each step named by its rule.

pub mod flops;
pub mod hessian;
pub mod jacobian;
#[allow(missing_docs)] // egg's define_language! cannot document its variants.
pub mod lang;
pub mod layers;
pub mod rule;
pub mod rules;
pub mod stage;
pub mod why;

use std::collections::BTreeSet;

use egg::{Language, RecExpr};

use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::render::text::{self, Style};
use crate::shape::{Kind, Shape, VarInfo};
use crate::term::{Func, Term};
pub use flops::CostModel;
use lang::{Ctx, Math};
use stage::Rewrite;
pub use stage::{Limits, StageStats};
pub use why::Why;

/// The symbol that stands for the gradient of the unknown function `name`:
/// `G` for `L`, `G_f` for `f` (in derivations, code and
/// the numeric check; the checker refuses inputs that use it otherwise).
pub fn gradient_symbol(name: &str) -> String {
    if name == "L" {
        "G".to_string()
    } else {
        format!("G_{name}")
    }
}

/// Options of a derivation.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The variables to differentiate by; empty means every variable.
    pub wrt: Vec<String>,
    /// The budget of each e-graph run.
    pub limits: Limits,
    /// How the simplification stage chooses the final form of each gradient.
    pub cost: CostModel,
}

/// The left-hand side of a derivation line.
#[derive(Clone, Debug, PartialEq)]
pub enum Lhs {
    /// `dF = …` for the named function or intermediate.
    Differential(String),
    /// `= …`, continuing the previous line.
    Same,
    /// `∂F/∂V = …`.
    Gradient(String, String),
    /// `vec(…) = …`: the vectorization of another left-hand side.
    Vec(Box<Lhs>),
    /// `⇒ ∂F/∂vᵀ = …` or `⇒ ∂vec F/∂(vec V)ᵀ = …`: a Jacobian read off.
    Jacobian {
        /// The function (`F`).
        function: String,
        /// The variable.
        var: String,
        /// Its layout.
        layout: jacobian::Layout,
    },
    /// `⇒ ∂²f/∂v∂wᵀ = …` or `⇒ ∂²f/∂vec V ∂(vec W)ᵀ = …`: a Hessian read off.
    Hessian {
        /// The function (`f`).
        function: String,
        /// The variable of the rows.
        rows: String,
        /// The variable of the columns.
        cols: String,
        /// Its layout.
        layout: jacobian::Layout,
    },
    /// `d²f = …`.
    SecondDifferential(String),
    /// `d(∂f/∂V) = …`: the differential of a gradient.
    GradientDifferential {
        /// The function.
        function: String,
        /// The variable of the gradient.
        var: String,
    },
    /// `H[V] = …`, `dF[V] = …`: a derivative applied to a direction.
    Applied {
        /// What is applied (`H`, `dF`).
        name: String,
        /// The direction.
        direction: String,
    },
}

/// One line of a derivation: an equation and the rule that justifies it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What the line equates.
    pub lhs: Lhs,
    /// The right-hand side.
    pub expr: Term,
    /// Why it holds.
    pub rule: Why,
}

/// What an introduced symbol stands for when it is not a term.
#[derive(Clone, Debug, PartialEq)]
pub enum Meaning {
    /// The gradient of an unknown function at its argument: `G = ∂L/∂Y`.
    Gradient {
        /// The unknown function (`L`, `f`).
        function: String,
        /// Its argument (`Y`, or the argument itself).
        at: Term,
    },
    /// The gradient of an unknown function at its argument, when the
    /// argument is not named: `G_f = ∂f/∂(argument of f)`.
    GradientAtArgument {
        /// The unknown function.
        function: String,
    },
}

impl Meaning {
    /// `∂L/∂Y` in text (`dL/dY` in ASCII), with a compound argument in
    /// parentheses.
    pub fn text(&self, style: Style) -> String {
        let s = match self {
            Meaning::Gradient { function, at } => {
                let arg = match at {
                    Term::Var(_) => text::show(at, style),
                    _ => format!("({})", text::show(at, style)),
                };
                format!("∂{}/∂{arg}", text::name(function, style))
            }
            Meaning::GradientAtArgument { function } => {
                let f = text::name(function, style);
                format!("∂{f}/∂(argument of {f})")
            }
        };
        if style.ascii { text::ascii(&s) } else { s }
    }

    /// `\frac{\partial L}{\partial Y}`.
    pub fn latex(&self) -> String {
        use crate::render::latex;
        match self {
            Meaning::Gradient { function, at } => {
                let arg = match at {
                    Term::Var(_) => latex::show(at),
                    _ => format!("\\left({}\\right)", latex::show(at)),
                };
                format!(
                    "\\frac{{\\partial {}}}{{\\partial {arg}}}",
                    latex::name(function)
                )
            }
            Meaning::GradientAtArgument { function } => format!(
                "\\frac{{\\partial {}}}{{\\partial(\\text{{argument of }} {})}}",
                latex::name(function),
                latex::name(function)
            ),
        }
    }
}

/// A symbol the derivation introduces, such as `Y = XW + B` or `G = ∂L/∂Y`.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// The symbol.
    pub name: String,
    /// What it stands for, as a term (`Y = XW + B`), if it is one.
    pub value: Option<Term>,
    /// What it means when it is not a term (`∂L/∂Y`).
    pub meaning: Option<Meaning>,
    /// Its shape.
    pub shape: Shape,
}

/// The gradient with respect to one variable, and how it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient {
    /// The variable.
    pub wrt: String,
    /// Its shape (the gradient has the same shape).
    pub shape: Shape,
    /// The gradient.
    pub result: Term,
    /// The lines from `dF` to `∂F/∂V = result`.
    pub steps: Vec<Step>,
}

/// A whole derivation.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivation {
    /// The problem, with the introduced symbols (`G`) added to its environment.
    pub problem: Problem,
    /// The name of the differentiated function (`L` or `f`).
    pub function: String,
    /// Introduced symbols.
    pub definitions: Vec<Definition>,
    /// The lines shared by every gradient (`dL = tr(Gᵀ dY)`, `dY = …`).
    pub preamble: Vec<Step>,
    /// One gradient per variable.
    pub gradients: Vec<Gradient>,
    /// For a derivation layer by layer, the gradients of the named
    /// intermediates, in the order they were passed back.
    pub backprop: Vec<Gradient>,
    /// Named intermediates (`Z1 = X W1 + B1`, `G_Z1 = …`) in evaluation
    /// order: the gradients may refer to them.
    pub bindings: Vec<(String, Term)>,
    /// What each e-graph run did.
    pub stats: Vec<StageStats>,
}

fn show(t: &Term) -> String {
    text::show(t, Style::default())
}

/// Derives the gradients of a scalar expression.
pub fn derive(problem: &Problem, opts: &Options) -> Result<Derivation> {
    if !problem.shape.is_scalar() {
        return Err(Error::Usage(format!(
            "{} is a {} matrix, not a scalar: a gradient needs a scalar function (wrap it, e.g. tr(…), sum(…) or L(…))",
            problem.source, problem.shape
        )));
    }
    let mut problem = problem.clone();
    let vars: Vec<String> = problem.term.variables_in_order();
    let wrt: Vec<String> = if opts.wrt.is_empty() {
        vars.clone()
    } else {
        for v in &opts.wrt {
            if problem.env.get(v).is_none() {
                return Err(Error::Usage(format!(
                    "--wrt {v}: {v} is not a variable of {} (its variables: {})",
                    problem.source,
                    vars.join(", ")
                )));
            }
        }
        opts.wrt.clone()
    };

    if let Some(layered) = layers::derive_layered(&problem, opts, &wrt) {
        return layered;
    }

    // Introduce the gradients of the unknown functions.
    let mut definitions = Vec::new();
    let mut unknowns = Vec::new();
    collect_unknowns(&problem.term, &problem, &mut unknowns);
    // One symbol G per function stands for its gradient at one argument; at
    // two different arguments the two gradients differ in general.
    for (name, _) in &unknowns {
        let mut args = Vec::new();
        unknown_arguments(&problem.term, name, &mut args);
        if let Some(other) = args.iter().skip(1).find(|a| **a != args[0]) {
            return Err(Error::Unsupported {
                at: Box::new(problem.term.clone()),
                reason: format!(
                    "{name} is applied at two different arguments ({} and {}), where its gradients differ; give the functions different names (e.g. L and f)",
                    show(&args[0]),
                    show(other)
                ),
            });
        }
    }
    for (name, arg_shape) in &unknowns {
        let g = gradient_symbol(name);
        problem.env.vars.insert(
            g.clone(),
            VarInfo {
                kind: Kind::Matrix,
                shape: arg_shape.clone(),
                symmetric: false,
            },
        );
        let _ = g;
    }

    problem.term = scalars_out(&problem.term, &problem.env);
    let mut ctx = Ctx::new(problem.env.clone());
    for v in &vars {
        ctx.var_atom(v);
    }
    for (name, _) in &unknowns {
        ctx.var_atom(&gradient_symbol(name));
    }
    let mut stats = Vec::new();
    let mut preamble = Vec::new();

    // dF, with F = L(Y) introducing Y when the whole input is one unknown function.
    let (function, outer, inner) = match &problem.term {
        Term::Unknown(name, arg) => (name.clone(), Some(gradient_symbol(name)), (**arg).clone()),
        t => ("f".to_string(), None, t.clone()),
    };
    // Variables not differentiated by are constants from the start, so the
    // differential holds only what the requested gradients need.
    ctx.constants = vars.iter().filter(|v| !wrt.contains(v)).cloned().collect();
    let (differential, rules_used) = differentiate(&mut ctx, &inner, opts, &mut stats)?;
    let dlabel = Why::Differential {
        rules: rules_used,
        constants: ctx.constants.clone(),
    };
    let total = match &outer {
        Some(g) => {
            let y = fresh_name("Y", &problem);
            let yshape = inner.shape(&problem.env).unwrap_or_else(Shape::scalar);
            definitions.push(Definition {
                name: y.clone(),
                value: Some(inner.clone()),
                meaning: None,
                shape: yshape.clone(),
            });
            definitions.push(Definition {
                name: g.clone(),
                value: None,
                meaning: Some(Meaning::Gradient {
                    function: function.clone(),
                    at: Term::var(&y),
                }),
                shape: yshape,
            });
            preamble.push(Step {
                lhs: Lhs::Differential(function.clone()),
                expr: tr(Term::Mul(vec![
                    Term::Transpose(Box::new(Term::var(g))),
                    Term::Diff(Box::new(Term::var(&y))),
                ])),
                rule: Why::Rule("d-unknown"),
            });
            preamble.push(Step {
                lhs: Lhs::Differential(y),
                expr: differential.clone(),
                rule: dlabel,
            });
            tr(mul2(Term::Transpose(Box::new(Term::var(g))), differential))
        }
        None => {
            preamble.push(Step {
                lhs: Lhs::Differential(function.clone()),
                expr: differential.clone(),
                rule: dlabel,
            });
            differential
        }
    };
    for (name, _) in unknowns
        .iter()
        .filter(|(n, _)| Some(gradient_symbol(n)) != outer)
    {
        let g = gradient_symbol(name);
        let shape = problem.env.shape(&g).cloned().unwrap_or_else(Shape::scalar);
        definitions.push(Definition {
            name: g,
            value: None,
            meaning: unknown_argument(&problem.term, name).map(|at| Meaning::Gradient {
                function: name.clone(),
                at,
            }),
            shape,
        });
    }

    let mut gradients = Vec::new();
    for v in &wrt {
        let g = gradient(
            &mut ctx,
            &problem,
            &function,
            &total,
            v,
            &vars,
            outer.is_some(),
            opts,
            &mut stats,
        )?;
        gradients.push(g);
    }
    Ok(Derivation {
        problem,
        function,
        definitions,
        preamble,
        gradients,
        backprop: Vec::new(),
        bindings: Vec::new(),
        stats,
    })
}

/// The arguments of every application of unknown function `name`.
fn unknown_arguments(t: &Term, name: &str, out: &mut Vec<Term>) {
    if let Term::Unknown(n, a) = t
        && n == name
    {
        out.push((**a).clone());
    }
    for c in t.children() {
        unknown_arguments(c, name, out);
    }
}

/// The argument of the first application of unknown function `name`.
fn unknown_argument(t: &Term, name: &str) -> Option<Term> {
    if let Term::Unknown(n, a) = t
        && n == name
    {
        return Some((**a).clone());
    }
    t.children()
        .into_iter()
        .find_map(|c| unknown_argument(c, name))
}

fn fresh_name(base: &str, problem: &Problem) -> String {
    if problem.env.get(base).is_none() {
        return base.to_string();
    }
    (1..)
        .map(|i| format!("{base}_{i}"))
        .find(|n| problem.env.get(n).is_none())
        .expect("a free name")
}

/// The unknown functions of `t` with the shapes of their arguments.
pub(crate) fn collect_unknowns(t: &Term, problem: &Problem, out: &mut Vec<(String, Shape)>) {
    if let Term::Unknown(name, arg) = t
        && !out.iter().any(|(n, _)| n == name)
    {
        out.push((
            name.clone(),
            arg.shape(&problem.env).unwrap_or_else(Shape::scalar),
        ));
    }
    for c in t.children() {
        collect_unknowns(c, problem, out);
    }
}

/// The names of the unknown functions of `t`.
pub(crate) fn collect_unknown_names(t: &Term, out: &mut Vec<String>) {
    if let Term::Unknown(name, _) = t
        && !out.contains(name)
    {
        out.push(name.clone());
    }
    for c in t.children() {
        collect_unknown_names(c, out);
    }
}

fn tr(t: Term) -> Term {
    Term::Apply(crate::term::Func::Tr, Box::new(t))
}

fn mul2(a: Term, b: Term) -> Term {
    let mut fs = vec![a];
    match b {
        Term::Mul(more) => fs.extend(more),
        b => fs.push(b),
    }
    Term::Mul(fs)
}

/// Whether `t` is a scalar in the reader's sense: a number, a scalar
/// variable, or a scalar-valued function.
fn is_scalar_factor(t: &Term, env: &crate::shape::Env) -> bool {
    match t {
        Term::Num(_) | Term::Unknown(..) => true,
        Term::Var(n) => env
            .get(n)
            .is_some_and(|v| v.kind == Kind::Scalar || v.shape.is_scalar()),
        Term::Apply(f, _) => f.is_scalar_valued(),
        Term::Pow(a, _) | Term::Neg(a) => is_scalar_factor(a, env),
        _ => t.shape(env).is_some_and(|s| s.is_scalar()) && !matches!(t, Term::Mul(_)),
    }
}

/// Products with scalar factors written as scalar multiples: `2 tr(AX)`
/// and `α X W` become `2 · tr(AX)` and `α · (X W)`, so that the rules see
/// scalar factors as coefficients, not as 1×1 matrices in a chain.
pub(crate) fn scalars_out(t: &Term, env: &crate::shape::Env) -> Term {
    let t = match t {
        Term::Mul(fs) => {
            let fs: Vec<Term> = fs.iter().map(|f| scalars_out(f, env)).collect();
            let (mut scalars, mut rest): (Vec<Term>, Vec<Term>) =
                fs.into_iter().partition(|f| is_scalar_factor(f, env));
            if scalars.is_empty() {
                return Term::Mul(rest);
            }
            let mut body = match rest.len() {
                0 => scalars.pop().expect("a scalar factor"),
                1 => rest.pop().expect("one factor"),
                _ => Term::Mul(rest),
            };
            while let Some(s) = scalars.pop() {
                body = Term::Scale(Box::new(s), Box::new(body));
            }
            return body;
        }
        other => other.clone(),
    };
    match t {
        Term::Add(ts) => Term::Add(ts.iter().map(|x| scalars_out(x, env)).collect()),
        Term::Neg(a) => Term::Neg(Box::new(scalars_out(&a, env))),
        Term::Transpose(a) => Term::Transpose(Box::new(scalars_out(&a, env))),
        Term::Inverse(a) => Term::Inverse(Box::new(scalars_out(&a, env))),
        Term::Pow(a, k) => Term::Pow(Box::new(scalars_out(&a, env)), k),
        Term::Apply(f, a) => Term::Apply(f, Box::new(scalars_out(&a, env))),
        Term::Unknown(n, a) => Term::Unknown(n, Box::new(scalars_out(&a, env))),
        Term::Scale(a, b) => Term::Scale(
            Box::new(scalars_out(&a, env)),
            Box::new(scalars_out(&b, env)),
        ),
        Term::Hadamard(a, b) => Term::Hadamard(
            Box::new(scalars_out(&a, env)),
            Box::new(scalars_out(&b, env)),
        ),
        Term::ElemDiv(a, b) => Term::ElemDiv(
            Box::new(scalars_out(&a, env)),
            Box::new(scalars_out(&b, env)),
        ),
        Term::Div(a, b) => Term::Div(
            Box::new(scalars_out(&a, env)),
            Box::new(scalars_out(&b, env)),
        ),
        other => other,
    }
}

/// The differential of `t`, and the ids of the rules that produced it, in
/// order of first use.
fn differentiate(
    ctx: &mut Ctx,
    t: &Term,
    opts: &Options,
    stats: &mut Vec<StageStats>,
) -> Result<(Term, Vec<&'static str>)> {
    let start = ctx.to_rec(&Term::Diff(Box::new(t.clone())));
    let mut st = stage::run(
        ctx,
        start,
        rules::differential::RULES,
        &opts.limits,
        "differential",
        t,
    )?;
    let (cost, best) = st.best(st.root, stage::DiffDone);
    if cost >= usize::MAX / 4 {
        let stuck = stuck_differential(&ctx.from_rec(&st.best(st.root, stage::Size).1));
        return Err(Error::Unsupported {
            at: Box::new(stuck.unwrap_or_else(|| t.clone())),
            reason: "no differential rule applies to it".to_string(),
        });
    }
    let steps = st.steps(ctx, rules::differential::RULES, &best, show);
    stats.push(st.finish());
    let mut used: Vec<&'static str> = Vec::new();
    for s in &steps {
        let ids = match &s.rule {
            Why::Rule(id) => vec![*id],
            Why::Summary { rules, .. } => rules.clone(),
            _ => vec![],
        };
        for id in ids {
            if !used.contains(&id) {
                used.push(id);
            }
        }
    }
    Ok((ctx.from_rec(&best), used))
}

pub(crate) fn stuck_differential(t: &Term) -> Option<Term> {
    if let Term::Diff(a) = t
        && !matches!(**a, Term::Var(_))
    {
        return Some((**a).clone());
    }
    t.children().into_iter().find_map(stuck_differential)
}

/// `t` without its zero parts (`A ⊙ 0`, `0 + B`, `tr(0 X)`); `None` when `t`
/// is zero. Only operations linear in the zero operand are cleared:
/// `exp(0)` is not zero.
pub(crate) fn drop_zeros(t: &Term) -> Option<Term> {
    use Term::*;
    let is_zero = |t: &Term| match t {
        Zero(_) => true,
        Num(n) => n.0 == 0.0,
        _ => false,
    };
    if is_zero(t) {
        return None;
    }
    Some(match t {
        Add(ts) => {
            let kept: Vec<Term> = ts.iter().filter_map(drop_zeros).collect();
            match kept.len() {
                0 => return None,
                1 => kept.into_iter().next().expect("one term"),
                _ => Add(kept),
            }
        }
        Mul(fs) => Mul(fs.iter().map(drop_zeros).collect::<Option<_>>()?),
        Scale(a, b) | Hadamard(a, b) => {
            let (a, b) = (drop_zeros(a)?, drop_zeros(b)?);
            match t {
                Scale(..) => Scale(Box::new(a), Box::new(b)),
                _ => Hadamard(Box::new(a), Box::new(b)),
            }
        }
        Div(a, b) => Div(Box::new(drop_zeros(a)?), b.clone()),
        ElemDiv(a, b) => ElemDiv(Box::new(drop_zeros(a)?), b.clone()),
        Neg(a) => Neg(Box::new(drop_zeros(a)?)),
        Transpose(a) => Transpose(Box::new(drop_zeros(a)?)),
        Apply(f, a) if matches!(f, Func::Tr | Func::Sum | Func::Diag) => {
            Apply(*f, Box::new(drop_zeros(a)?))
        }
        other => other.clone(),
    })
}

/// Sets `d(U)` to zero for every variable `U ≠ v`, and drops the zero terms.
fn hold_constant(t: &Term, v: &str) -> Option<Term> {
    use Term::*;
    Some(match t {
        Diff(a) => match &**a {
            Var(n) if n != v => return None,
            _ => t.clone(),
        },
        Add(ts) => {
            let kept: Vec<Term> = ts.iter().filter_map(|x| hold_constant(x, v)).collect();
            match kept.len() {
                0 => return None,
                1 => kept.into_iter().next().expect("one term"),
                _ => Add(kept),
            }
        }
        _ if !t.has_diff() => t.clone(),
        Mul(fs) => Mul(fs
            .iter()
            .map(|f| {
                if f.has_diff() {
                    hold_constant(f, v)
                } else {
                    Some(f.clone())
                }
            })
            .collect::<Option<_>>()?),
        Neg(a) => Neg(Box::new(hold_constant(a, v)?)),
        Transpose(a) => Transpose(Box::new(hold_constant(a, v)?)),
        Apply(f, a) => Apply(*f, Box::new(hold_constant(a, v)?)),
        Scale(a, b) | Hadamard(a, b) | ElemDiv(a, b) | Div(a, b) => {
            let a2 = if a.has_diff() {
                hold_constant(a, v)?
            } else {
                (**a).clone()
            };
            let b2 = if b.has_diff() {
                hold_constant(b, v)?
            } else {
                (**b).clone()
            };
            match t {
                Scale(..) => Scale(Box::new(a2), Box::new(b2)),
                Hadamard(..) => Hadamard(Box::new(a2), Box::new(b2)),
                ElemDiv(..) => ElemDiv(Box::new(a2), Box::new(b2)),
                _ => Div(Box::new(a2), Box::new(b2)),
            }
        }
        other => other.clone(),
    })
}

#[allow(clippy::too_many_arguments)]
fn gradient(
    ctx: &mut Ctx,
    problem: &Problem,
    function: &str,
    total: &Term,
    v: &str,
    vars: &[String],
    substitutes_y: bool,
    opts: &Options,
    stats: &mut Vec<StageStats>,
) -> Result<Gradient> {
    let vshape = problem.env.shape(v).cloned().unwrap_or_else(Shape::scalar);
    let mut steps = Vec::new();
    // Zero terms (`A ⊙ 0`, from step′ = 0) are dropped; a differential
    // with no d left is zero.
    let Some(held) = hold_constant(total, v)
        .and_then(|t| drop_zeros(&t))
        .map(|t| t.flattened())
        .filter(Term::has_diff)
    else {
        let zero = if vshape.is_scalar() {
            Term::num(0.0)
        } else {
            Term::Zero(vshape.clone())
        };
        steps.push(Step {
            lhs: Lhs::Gradient(function.to_string(), v.to_string()),
            expr: zero.clone(),
            rule: Why::Absent {
                var: v.to_string(),
                function: function.to_string(),
            },
        });
        return Ok(Gradient {
            wrt: v.to_string(),
            shape: vshape,
            result: zero,
            steps,
        });
    };
    let in_total = differentials(total);
    let others: Vec<&str> = vars
        .iter()
        .filter(|u| *u != v && in_total.contains(u))
        .map(String::as_str)
        .collect();
    let hold_rule = if others.is_empty() {
        Why::Substitute
    } else {
        Why::HoldConstant(others.iter().map(|o| o.to_string()).collect())
    };
    if !others.is_empty() || substitutes_y {
        steps.push(Step {
            lhs: Lhs::Differential(function.to_string()),
            expr: held.clone(),
            rule: hold_rule,
        });
    }

    // A bare 1×1 product is its own trace (the e-graph handles nested ones),
    // and a bare dα of a scalar variable is tr(1ᵀ dα).
    let held = match held {
        Term::Diff(_) if held.shape(&ctx.env).is_some_and(|s| s.is_scalar()) => {
            let t = tr(Term::Mul(vec![
                Term::Transpose(Box::new(Term::num(1.0))),
                held,
            ]));
            steps.push(Step {
                lhs: if steps.is_empty() {
                    Lhs::Differential(function.to_string())
                } else {
                    Lhs::Same
                },
                expr: t.clone(),
                rule: Why::Rule("scalar-trace"),
            });
            t
        }
        Term::Mul(_) if held.shape(&ctx.env).is_some_and(|s| s.is_scalar()) => {
            let t = tr(held);
            steps.push(Step {
                lhs: if steps.is_empty() {
                    Lhs::Differential(function.to_string())
                } else {
                    Lhs::Same
                },
                expr: t.clone(),
                rule: Why::Rule("scalar-trace"),
            });
            t
        }
        h => h,
    };
    let at = format!(
        "∂{}/∂{}",
        text::name(function, Style::default()),
        text::name(v, Style::default())
    );
    let start = ctx.to_rec(&held);
    let mut st = stage::run(
        ctx,
        start,
        rules::trace::RULES,
        &opts.limits,
        &format!("identification {at}"),
        &held,
    )?;
    let Some((a_id, dv_id)) = identification(&st) else {
        let best = ctx.from_rec(&st.best(st.root, stage::Size).1);
        return Err(Error::Unsupported {
            at: Box::new(best),
            reason: format!("could not bring d{function} to the form tr(Aᵀ d{v})"),
        });
    };
    let (_, a_best) = st.best(a_id, stage::Size);
    let (_, dv_best) = st.best(dv_id, stage::Size);
    let target = identification_expr(&a_best, &dv_best);
    for s in st.steps(ctx, rules::trace::RULES, &target, show) {
        let lhs = if steps.is_empty() {
            Lhs::Differential(function.to_string())
        } else {
            Lhs::Same
        };
        steps.push(Step {
            lhs,
            expr: s.term,
            rule: s.rule,
        });
    }
    stats.push(st.finish());
    let identified = ctx.from_rec(&a_best);
    // For a symmetric variable only symmetric dV are allowed, and the
    // gradient is the symmetric part of A (SPEC §2).
    let (a, convention) = if problem.env.is_symmetric(v) {
        let sym = symmetric_part(&identified);
        let step = Step {
            lhs: Lhs::Same,
            expr: sym.clone(),
            rule: Why::SymmetricPart(v.to_string()),
        };
        (sym, Some(step))
    } else {
        (identified.clone(), None)
    };

    // Simplify A.
    let start = ctx.to_rec(&a);
    let table = rules::chain::simplification(opts.cost);
    let mut st = stage::run(
        ctx,
        start,
        &table,
        &opts.limits,
        &format!("simplification {at}"),
        &a,
    )?;
    let best = flops::best(&st.egraph, st.root, opts.cost);
    let mut simp_steps = st.steps(ctx, &table, &best, show);
    stats.push(st.finish());
    let result = flops::finish(ctx.from_rec(&best), &ctx.env, opts.cost, &mut simp_steps);
    // A result that is zero however it is written (`0 / exp(ω)`) is the zero
    // of the variable's shape: a bare `0` reads back as that.
    let zero = || {
        if vshape.is_scalar() {
            Term::num(0.0)
        } else {
            Term::Zero(vshape.clone())
        }
    };
    let (result, zeroed) = match drop_zeros(&result) {
        Some(r) => (r, false),
        None => (zero(), result != zero()),
    };
    if zeroed {
        simp_steps.push(Rewrite {
            term: result.clone(),
            rule: Why::ZeroTerms,
        });
    }
    let lhs = Lhs::Gradient(function.to_string(), v.to_string());
    if simp_steps.is_empty() && convention.is_none() {
        steps.push(Step {
            lhs,
            expr: result.clone(),
            rule: Why::Identification,
        });
    } else {
        steps.push(Step {
            lhs,
            expr: identified,
            rule: Why::Identification,
        });
        steps.extend(convention);
        for s in simp_steps {
            steps.push(Step {
                lhs: Lhs::Same,
                expr: s.term,
                rule: s.rule,
            });
        }
    }
    Ok(Gradient {
        wrt: v.to_string(),
        shape: vshape,
        result,
        steps,
    })
}

/// `(A + Aᵀ) / 2`, the symmetric part of `A`, with the operand that has
/// fewer transposes first (`(A + Aᵀ)/2` for `Aᵀ`).
fn symmetric_part(a: &Term) -> Term {
    let (first, second) = match a {
        Term::Transpose(b) => ((**b).clone(), a.clone()),
        _ => (a.clone(), Term::Transpose(Box::new(a.clone()))),
    };
    Term::Div(
        Box::new(Term::Add(vec![first, second])),
        Box::new(Term::num(2.0)),
    )
}

/// The variables whose differentials occur in `t`, in order of appearance.
fn differentials(t: &Term) -> Vec<String> {
    let mut out = BTreeSet::new();
    fn walk(t: &Term, out: &mut BTreeSet<String>) {
        if let Term::Diff(a) = t
            && let Term::Var(n) = &**a
        {
            out.insert(n.clone());
        }
        for c in t.children() {
            walk(c, out);
        }
    }
    walk(t, &mut out);
    out.into_iter().collect()
}

/// The classes of `A` and `dV` in a root of the form `tr(Aᵀ dV)`.
fn identification(st: &stage::Stage) -> Option<(egg::Id, egg::Id)> {
    let eg = &st.egraph;
    eg[st.root].nodes.iter().find_map(|n| {
        let Math::App(Func::Tr, [x]) = n else {
            return None;
        };
        eg[*x].nodes.iter().find_map(|m| match m {
            Math::Mul(fs) if fs.len() == 2 => {
                let a = rules::find_node(eg, fs[0], |k| match k {
                    Math::Transpose(a) if !eg[*a].data.has_d => Some(*a),
                    _ => None,
                })?;
                let is_dv = eg[fs[1]]
                    .nodes
                    .iter()
                    .any(|k| matches!(k, Math::D(v) if rules::var_of(eg, *v).is_some()));
                is_dv.then_some((a, fs[1]))
            }
            _ => None,
        })
    })
}

/// The `RecExpr` of `tr(Aᵀ dV)`.
fn identification_expr(a: &RecExpr<Math>, dv: &RecExpr<Math>) -> RecExpr<Math> {
    let mut e: RecExpr<Math> = RecExpr::default();
    let a_root = append(&mut e, a);
    let at = e.add(Math::Transpose(a_root));
    let dv_root = append(&mut e, dv);
    let m = e.add(Math::Mul(vec![at, dv_root].into()));
    e.add(Math::App(Func::Tr, [m]));
    e
}

pub(crate) fn append(e: &mut RecExpr<Math>, other: &RecExpr<Math>) -> egg::Id {
    let offset = e.as_ref().len();
    let mut last = egg::Id::from(0);
    for node in other.as_ref() {
        let n = node
            .clone()
            .map_children(|c| egg::Id::from(usize::from(c) + offset));
        last = e.add(n);
    }
    last
}
