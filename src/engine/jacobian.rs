//! Jacobians by the matrix differential, in numerator layout.
//!
//! 1. **Differential** (the differential stage, with the Kronecker rules):
//!    `dF`, every variable but `V` held constant from the start. It exists
//!    for every shape of `F` (`d(X⁻¹) = −X⁻¹ dX X⁻¹`).
//! 2. **Vectorization** (egg, [`rules::kron::VECTORIZE`] with the trace
//!    rules): `vec(dF)` is brought to `J vec(dV)` (`J dv` for a column `v`):
//!    `vec(A dX B) = (Bᵀ ⊗ A) vec(dX)`, `vec(dXᵀ) = K vec(dX)`,
//!    `vec(A ⊙ dX) = diag(vec A) vec(dX)`, `tr(Aᵀ dX) = vec(A)ᵀ vec(dX)`.
//!    `J = ∂vec F/∂(vec V)ᵀ` is read off by pattern; for column `F` and `V`
//!    that is the m×n matrix `∂F/∂Vᵀ`. When no rule reaches that form
//!    (`vec` of `A ⊗ dX`, of `diag(dX)`), there is no closed form here, and
//!    the derivation says so.
//! 3. **Simplification** of `J` (the simplification rules and the Kronecker
//!    rules).
//!
//! The Jacobian-vector product is `dF` at `dV = V̇`; the vector-Jacobian
//! product is the gradient of `tr(Gᵀ F)`, which [`derive`](super::derive)
//! gives for `L(F)` with `G = ∂L/∂Y`.

use egg::RecExpr;

use super::lang::{Ctx, Math};
use super::rules::{self, kron};
use super::stage::{self, Limits, StageStats};
use super::{Derivation, Lhs, Options, Step, Why, flops};
use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::render::text::{self, Style};
use crate::shape::{Dim, Env, Kind, Shape, VarInfo};
use crate::term::Term;

/// How a Jacobian's entries are laid out. Both are numerator layout: the
/// rows follow the function, the columns the variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `F` and `V` are columns (or scalars): `J = ∂F/∂Vᵀ`, m×n, with
    /// `J_ij = ∂F_i/∂V_j`.
    Columns,
    /// `J = ∂vec F/∂(vec V)ᵀ`: rows follow `vec F`, columns `vec V`, and vec
    /// stacks columns.
    Vec,
}

impl Layout {
    /// The layout of the Jacobian of an `f`-shaped function by a
    /// `v`-shaped variable.
    pub fn of(f: &Shape, v: &Shape) -> Layout {
        if f.cols.is_one() && v.cols.is_one() {
            Layout::Columns
        } else {
            Layout::Vec
        }
    }
}

/// A product of the derivative with a direction: `dF` at `dV = V̇` (a JVP,
/// or an HVP for the gradient).
#[derive(Clone, Debug, PartialEq)]
pub struct Directional {
    /// The direction's name (`V` for a matrix, `v` for a vector), a
    /// variable of the problem's environment with the shape of `V`.
    pub direction: String,
    /// The product, a term in the problem's variables and the direction.
    pub result: Term,
    /// Its shape.
    pub shape: Shape,
    /// The lines from the substitution to the result.
    pub steps: Vec<Step>,
}

/// The Jacobian of an expression with respect to one variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Jacobian {
    /// The problem, with the direction of the JVP added to its environment.
    pub problem: Problem,
    /// The variable.
    pub wrt: String,
    /// How the result is laid out.
    pub layout: Layout,
    /// `dF = …`, every other variable constant.
    pub differential: Vec<Step>,
    /// `vec(dF) = … = J vec(dV)` and `⇒ J = …` with its simplification.
    pub steps: Vec<Step>,
    /// `J`, when a closed form was found.
    pub result: Option<Term>,
    /// The shape of `J`.
    pub shape: Shape,
    /// Why there is no closed form, when there is none: the part of `vec(dF)`
    /// no rule could vectorize.
    pub no_closed_form: Option<(Term, String)>,
    /// `dF` at `dV = V̇`.
    pub jvp: Directional,
    /// The gradient of `tr(Gᵀ F)`: the derivation of `L(F)` by `V`, or the
    /// part where it stopped and why.
    pub vjp: std::result::Result<Derivation, (Term, String)>,
    /// What each e-graph run did.
    pub stats: Vec<StageStats>,
}

/// The shape of `∂vec F/∂(vec V)ᵀ` (of `∂F/∂Vᵀ` for columns).
pub fn jacobian_shape(f: &Shape, v: &Shape) -> Shape {
    Shape::new(
        Dim::product(&f.rows, &f.cols),
        Dim::product(&v.rows, &v.cols),
    )
}

/// A name for a new symbol of the given kind that `env` does not use.
pub fn fresh_symbol(env: &Env, kind: Kind) -> String {
    let candidates: &[&str] = match kind {
        Kind::Matrix => &["V", "U", "E", "T", "D", "M"],
        Kind::Vector => &["v", "u", "e", "t", "s", "r"],
        Kind::Scalar => &["tau", "eta", "epsilon", "kappa"],
    };
    for c in candidates {
        if env.get(c).is_none() {
            return (*c).to_string();
        }
    }
    (1..)
        .map(|i| format!("{}_{i}", candidates[0]))
        .find(|n| env.get(n).is_none())
        .unwrap_or_default()
}

/// Adds a direction for `v` (a new variable of `v`'s shape and kind) to `env`.
pub fn add_direction(env: &mut Env, v: &str) -> String {
    let info = env.get(v).cloned().unwrap_or(VarInfo {
        kind: Kind::Scalar,
        shape: Shape::scalar(),
        symmetric: false,
    });
    let kind = if info.shape.is_scalar() {
        Kind::Scalar
    } else if info.shape.cols.is_one() {
        Kind::Vector
    } else {
        Kind::Matrix
    };
    let name = fresh_symbol(env, kind);
    env.vars.insert(
        name.clone(),
        VarInfo {
            kind,
            shape: info.shape,
            symmetric: info.symmetric,
        },
    );
    name
}

/// A context over every variable of `env`, with every variable but `wrt`
/// constant.
pub fn context(env: &Env, wrt: &str) -> Ctx {
    let mut ctx = Ctx::new(env.clone());
    for v in env.vars.keys() {
        ctx.var_atom(v);
    }
    ctx.constants = env.vars.keys().filter(|v| *v != wrt).cloned().collect();
    ctx
}

fn show(t: &Term) -> String {
    text::show(t, Style::default())
}

/// `d(t)` with every `d` on a variable (the differential stage with the
/// Kronecker rules), and why.
pub fn differential(
    ctx: &Ctx,
    t: &Term,
    limits: &Limits,
    stats: &mut Vec<StageStats>,
) -> Result<(Term, Why)> {
    let table = rules::differential::RULES;
    let mut ctx = ctx.clone();
    let start = ctx.to_rec(&Term::Diff(Box::new(t.clone())));
    let mut st = stage::run(&ctx, start, table, limits, "differential", t)?;
    let (cost, best) = st.best(st.root, stage::DiffDone);
    if cost >= usize::MAX / 4 {
        let stuck = super::stuck_differential(&ctx.from_rec(&st.best(st.root, stage::Size).1));
        return Err(Error::Unsupported {
            at: Box::new(stuck.unwrap_or_else(|| t.clone())),
            reason: "no differential rule applies to it".to_string(),
        });
    }
    let steps = st.steps(&ctx, table, &best, show);
    stats.push(st.finish());
    // `d(C) = 0` for a constant is in the e-graph, but `dC` may be the
    // smaller form: the constants' differentials are set to zero here.
    let best = ctx.from_rec(&best);
    let held = held_constant(&best, &ctx.constants, &ctx.env);
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
    let why = Why::Differential {
        rules: used,
        constants: ctx
            .constants
            .iter()
            .filter(|c| t.mentions(c))
            .cloned()
            .collect(),
    };
    Ok((held, why))
}

/// `t` with `d(C)` zero for every constant `C`, and the zero terms dropped.
fn held_constant(t: &Term, constants: &[String], env: &Env) -> Term {
    fn zeroed(t: &Term, constants: &[String], env: &Env) -> Term {
        match t {
            Term::Diff(a) => match &**a {
                Term::Var(n) if constants.contains(n) => {
                    let s = env.shape(n).cloned().unwrap_or_else(Shape::scalar);
                    if s.is_scalar() {
                        Term::num(0.0)
                    } else {
                        Term::Zero(s)
                    }
                }
                _ => t.clone(),
            },
            _ => t.map_children(|c| zeroed(c, constants, env)),
        }
    }
    let z = zeroed(t, constants, env);
    if z == *t {
        return z;
    }
    super::drop_zeros(&z).unwrap_or_else(|| {
        let s = t.shape(env).unwrap_or_else(Shape::scalar);
        if s.is_scalar() {
            Term::num(0.0)
        } else {
            Term::Zero(s)
        }
    })
}

/// The simplest form of `t` by the simplification and Kronecker rules, and
/// the steps to it.
pub fn simplify(
    ctx: &Ctx,
    t: &Term,
    limits: &Limits,
    label: &str,
    stats: &mut Vec<StageStats>,
) -> Result<(Term, Vec<stage::Rewrite>)> {
    let table: Vec<super::rule::Rule> = rules::simplify::RULES
        .iter()
        .chain(kron::SIMPLIFY)
        .cloned()
        .collect();
    let mut ctx = ctx.clone();
    let start = ctx.to_rec(t);
    let mut st = stage::run(&ctx, start, &table, limits, label, t)?;
    let best = flops::best(&st.egraph, st.root, flops::CostModel::Size);
    let steps = st.steps(&ctx, &table, &best, show);
    stats.push(st.finish());
    Ok((ctx.from_rec(&best), steps))
}

/// What vectorizing a differential gave.
pub struct Vectorized {
    /// `vec(dF) = …` lines, ending at `J vec(dV)`, then `⇒ J` and its
    /// simplification (the lhs of those is left to the caller).
    pub steps: Vec<Step>,
    /// `J`, simplified.
    pub result: Option<Term>,
    /// The part no rule could vectorize, and why.
    pub stuck: Option<(Term, String)>,
}

/// Brings `vec(df)` (`df` linear in `dv`) to `J vec(dv)`, reads off `J`
/// and simplifies it. `first` is the left-hand side of `df` (`dF`), `lhs`
/// that of the identification line.
#[allow(clippy::too_many_arguments)]
pub fn vectorize(
    ctx: &Ctx,
    df: &Term,
    layout: Layout,
    first: Lhs,
    lhs: Lhs,
    limits: &Limits,
    label: &str,
    stats: &mut Vec<StageStats>,
) -> Result<Vectorized> {
    // Transposes are pushed down to the differential (`(dxᵀ A)ᵀ = Aᵀ dx`).
    let push = rules::simplify::RULES
        .iter()
        .filter(|r| r.id == "transpose-push");
    let table: Vec<super::rule::Rule> = rules::trace::RULES
        .iter()
        .chain(kron::VECTORIZE)
        .chain(push)
        .cloned()
        .collect();
    let mut ctx = ctx.clone();
    // The vec of a column is the column: for a column by a column, the
    // steps start from `dF` itself.
    let column = layout == Layout::Columns;
    let (start_term, first) = if column {
        (df.clone(), first)
    } else {
        (Term::VecOf(Box::new(df.clone())), Lhs::Vec(Box::new(first)))
    };
    let start = ctx.to_rec(&start_term);
    let mut st = stage::run(
        &ctx,
        start,
        &table,
        limits,
        &format!("vectorization {label}"),
        df,
    )?;
    let mut steps = Vec::new();
    let Some((_, found)) = form(&st, st.root, 0) else {
        let best = ctx.from_rec(&st.best(st.root, stage::Size).1);
        stats.push(st.finish());
        let stuck = stuck_vec(&best).unwrap_or(best);
        return Ok(Vectorized {
            steps,
            result: None,
            stuck: Some((
                stuck,
                "vec of this has no closed form in Kronecker products here".to_string(),
            )),
        });
    };
    // The target `J vec(dV)` as one expression, for the explanation.
    let mut target: RecExpr<Math> = RecExpr::default();
    let (j, _) = build(&st, &ctx, &found, &mut target);
    for s in st.steps(&ctx, &table, &target, show) {
        steps.push(Step {
            lhs: if steps.is_empty() {
                first.clone()
            } else {
                Lhs::Same
            },
            expr: s.term,
            rule: s.rule,
        });
    }
    stats.push(st.finish());
    let j = j.unwrap_or_else(|| {
        let n = df
            .shape(&ctx.env)
            .map(|s| Dim::product(&s.rows, &s.cols))
            .unwrap_or_else(Dim::one);
        if n.is_one() {
            Term::num(1.0)
        } else {
            Term::Identity(n)
        }
    });
    let (result, simp) = simplify(&ctx, &j, limits, &format!("simplification {label}"), stats)?;
    steps.push(Step {
        lhs: lhs.clone(),
        expr: j,
        rule: Why::Identification,
    });
    for s in simp {
        steps.push(Step {
            lhs: Lhs::Same,
            expr: s.term,
            rule: s.rule,
        });
    }
    Ok(Vectorized {
        steps,
        result: Some(result),
        stuck: None,
    })
}

/// The shape of an identification form `J vec(dV)` found in a class.
enum Form {
    /// `vec(dV)` itself: `J` is the identity.
    Bare(egg::Id),
    /// `J₁ … Jₖ vec(dV)`.
    Chain(Vec<egg::Id>, egg::Id),
    /// `−(…)`.
    Neg(Box<Form>),
    /// `s (…)`, `s` without a differential.
    Scale(egg::Id, Box<Form>),
    /// `(…) / s`.
    Div(Box<Form>, egg::Id),
}

impl Form {
    /// The class of `vec(dV)` the form ends with.
    fn dv(&self) -> egg::Id {
        match self {
            Form::Bare(x) | Form::Chain(_, x) => *x,
            Form::Neg(f) | Form::Scale(_, f) | Form::Div(f, _) => f.dv(),
        }
    }
}

/// An identification form in class `id`, the smallest by the size of `J`.
fn form(st: &stage::Stage, id: egg::Id, depth: usize) -> Option<(usize, Form)> {
    let eg = &st.egraph;
    if let Some(x) = kron::dv_class(eg, id) {
        return Some((0, Form::Bare(x)));
    }
    if depth > 4 {
        return None;
    }
    let size = |id: egg::Id| st.best(id, stage::Size).0.size;
    let free = |id: egg::Id| !eg[id].data.has_d;
    eg[id]
        .nodes
        .iter()
        .filter_map(|n| match n {
            Math::Mul(fs) if fs.len() >= 2 => {
                let (last, prefix) = fs.split_last()?;
                let x = kron::dv_class(eg, *last)?;
                if !prefix.iter().all(|&f| free(f)) {
                    return None;
                }
                let cost: usize = prefix.iter().map(|&f| size(f)).sum();
                Some((cost, Form::Chain(prefix.to_vec(), x)))
            }
            Math::Neg(y) => form(st, *y, depth + 1).map(|(c, f)| (c + 1, Form::Neg(Box::new(f)))),
            Math::Scale([s, y]) if free(*s) => {
                form(st, *y, depth + 1).map(|(c, f)| (c + size(*s), Form::Scale(*s, Box::new(f))))
            }
            Math::Div([y, s]) if free(*s) => {
                form(st, *y, depth + 1).map(|(c, f)| (c + size(*s), Form::Div(Box::new(f), *s)))
            }
            _ => None,
        })
        .min_by_key(|(c, _)| *c)
}

/// `J` of a form (`None` for the identity), and the form as an expression
/// appended to `target`.
fn build(
    st: &stage::Stage,
    ctx: &Ctx,
    f: &Form,
    target: &mut RecExpr<Math>,
) -> (Option<Term>, egg::Id) {
    let best = |id: egg::Id| st.best(id, stage::Size).1;
    // The coefficient of a bare `vec(dV)` under a sign or a factor: I.
    let identity = |j: Option<Term>, x: egg::Id| {
        j.unwrap_or_else(|| {
            let n = st.egraph[x]
                .data
                .shape
                .as_ref()
                .map_or_else(Dim::one, |s| s.rows.clone());
            if n.is_one() {
                Term::num(1.0)
            } else {
                Term::Identity(n)
            }
        })
    };
    match f {
        Form::Bare(x) => (None, super::append(target, &best(*x))),
        Form::Chain(prefix, x) => {
            let mut ids = Vec::new();
            let mut js = Vec::new();
            for p in prefix {
                let b = best(*p);
                js.push(ctx.from_rec(&b));
                ids.push(super::append(target, &b));
            }
            ids.push(super::append(target, &best(*x)));
            let j = if js.len() == 1 {
                js.pop()
            } else {
                Some(Term::Mul(js))
            };
            (j, target.add(Math::Mul(ids.into())))
        }
        Form::Neg(inner) => {
            let (j, id) = build(st, ctx, inner, target);
            let j = identity(j, inner.dv());
            (Some(Term::Neg(Box::new(j))), target.add(Math::Neg(id)))
        }
        Form::Scale(s, inner) => {
            let b = best(*s);
            let sid = super::append(target, &b);
            let (j, id) = build(st, ctx, inner, target);
            let j = identity(j, inner.dv());
            (
                Some(Term::Scale(Box::new(ctx.from_rec(&b)), Box::new(j))),
                target.add(Math::Scale([sid, id])),
            )
        }
        Form::Div(inner, s) => {
            let (j, id) = build(st, ctx, inner, target);
            let b = best(*s);
            let sid = super::append(target, &b);
            let j = j.unwrap_or_else(|| Term::num(1.0));
            (
                Some(Term::Div(Box::new(j), Box::new(ctx.from_rec(&b)))),
                target.add(Math::Div([id, sid])),
            )
        }
    }
}

/// The innermost `vec(E)` whose argument holds a differential other than a
/// bare `dV`: what no rule could take apart.
fn stuck_vec(t: &Term) -> Option<Term> {
    for c in t.children() {
        if let Some(s) = stuck_vec(c) {
            return Some(s);
        }
    }
    match t {
        Term::VecOf(a) if a.has_diff() && !matches!(**a, Term::Diff(_)) => Some((**a).clone()),
        _ => None,
    }
}

/// `t` with `d(v)` replaced by `by`.
pub fn substitute_d(t: &Term, v: &str, by: &Term) -> Term {
    match t {
        Term::Diff(a) if matches!(&**a, Term::Var(n) if n == v) => by.clone(),
        _ => t.map_children(|c| substitute_d(c, v, by)),
    }
}

/// The product of the derivative `dF` (linear in `dv`) with a direction:
/// `dF` at `dv = direction`, simplified.
#[allow(clippy::too_many_arguments)]
pub fn directional(
    ctx: &Ctx,
    df: &Term,
    v: &str,
    direction: &str,
    limits: &Limits,
    label: &str,
    lhs: Lhs,
    stats: &mut Vec<StageStats>,
) -> Result<Directional> {
    let at = substitute_d(df, v, &Term::var(direction));
    let mut steps = vec![Step {
        lhs,
        expr: at.clone(),
        rule: Why::Direction {
            var: v.to_string(),
            direction: direction.to_string(),
        },
    }];
    let (result, simp) = simplify(ctx, &at, limits, label, stats)?;
    for s in simp {
        steps.push(Step {
            lhs: Lhs::Same,
            expr: s.term,
            rule: s.rule,
        });
    }
    let shape = result.shape(&ctx.env).unwrap_or_else(Shape::scalar);
    Ok(Directional {
        direction: direction.to_string(),
        result,
        shape,
        steps,
    })
}

/// The name of an unknown function for `tr(Gᵀ F)` whose gradient symbol
/// `F` and its environment do not use.
pub fn cotangent_function(f: &Term, env: &Env) -> String {
    let mut used = Vec::new();
    super::collect_unknown_names(f, &mut used);
    for name in ["L", "f", "g", "h", "ell"] {
        if !used.iter().any(|u| u == name) && env.get(&super::gradient_symbol(name)).is_none() {
            return name.to_string();
        }
    }
    "L".to_string()
}

/// The name of a scalar cotangent (`G`, or `G_1`, … when taken by a
/// variable or by the gradient of an unknown function of `f`).
fn cotangent_scalar(f: &Term, env: &Env) -> String {
    let mut unknowns = Vec::new();
    super::collect_unknown_names(f, &mut unknowns);
    let taken: Vec<String> = unknowns.iter().map(|u| super::gradient_symbol(u)).collect();
    std::iter::once("G".to_string())
        .chain((1..).map(|i| format!("G_{i}")))
        .find(|n| env.get(n).is_none() && !taken.contains(n))
        .unwrap_or_default()
}

/// The Jacobian of `problem`'s expression with respect to `wrt`.
pub fn jacobian(problem: &Problem, wrt: &str, opts: &Options) -> Result<Jacobian> {
    let mut problem = problem.clone();
    let Some(vinfo) = problem.env.get(wrt).cloned() else {
        return Err(Error::Usage(format!(
            "--wrt {wrt}: {wrt} is not a variable of {}",
            problem.source
        )));
    };
    let mut stats = Vec::new();
    let fshape = problem.shape.clone();
    let layout = Layout::of(&fshape, &vinfo.shape);
    let shape = jacobian_shape(&fshape, &vinfo.shape);

    // The vector-Jacobian product first, on the problem as given: the
    // gradient of tr(Gᵀ F), which is that of L(F) with G = ∂L/∂Y; for a
    // scalar F, of the product G F with a scalar G.
    let mut vjp_problem = problem.clone();
    if fshape.is_scalar() {
        let g = cotangent_scalar(&problem.term, &problem.env);
        vjp_problem.env.vars.insert(
            g.clone(),
            VarInfo {
                kind: Kind::Scalar,
                shape: Shape::scalar(),
                symmetric: false,
            },
        );
        vjp_problem.term = Term::Scale(Box::new(Term::var(&g)), Box::new(problem.term.clone()));
    } else {
        let fname = cotangent_function(&problem.term, &problem.env);
        vjp_problem.term = Term::Unknown(fname, Box::new(problem.term.clone()));
    }
    vjp_problem.shape = Shape::scalar();
    let vjp_opts = Options {
        wrt: vec![wrt.to_string()],
        ..opts.clone()
    };
    let vjp = match super::derive(&vjp_problem, &vjp_opts) {
        Ok(d) => {
            stats.extend(d.stats.iter().cloned());
            Ok(d)
        }
        // `tr(Gᵀ vec(dX))` has no gradient in the language (it is G
        // reshaped); the Jacobian and the JVP may still have closed forms.
        Err(Error::Unsupported { at, reason }) => Err((*at, reason)),
        Err(e) => return Err(e),
    };

    add_unknown_symbols(&mut problem);
    let f = super::scalars_out(&problem.term, &problem.env);
    let direction = add_direction(&mut problem.env, wrt);
    let ctx = context(&problem.env, wrt);
    let (df, why) = differential(&ctx, &f, &opts.limits, &mut stats)?;
    let df = df.flattened();
    let differential = vec![Step {
        lhs: Lhs::Differential("F".to_string()),
        expr: df.clone(),
        rule: why,
    }];
    let label = format!("∂{}", text::name(wrt, Style::default()));
    let jlhs = Lhs::Jacobian {
        function: "F".to_string(),
        var: wrt.to_string(),
        layout,
    };
    let (steps, result, no_closed_form) = if df.has_diff() {
        let first = Lhs::Differential("F".to_string());
        let v = vectorize(
            &ctx,
            &df,
            layout,
            first,
            jlhs,
            &opts.limits,
            &label,
            &mut stats,
        )?;
        (v.steps, v.result, v.stuck)
    } else {
        // F does not depend on V.
        let zero = Term::Zero(shape.clone());
        let z = if shape.is_scalar() {
            Term::num(0.0)
        } else {
            zero
        };
        (
            vec![Step {
                lhs: jlhs,
                expr: z.clone(),
                rule: Why::Absent {
                    var: wrt.to_string(),
                    function: "F".to_string(),
                },
            }],
            Some(z),
            None,
        )
    };
    let jvp = directional(
        &ctx,
        &df,
        wrt,
        &direction,
        &opts.limits,
        &format!("JVP {label}"),
        Lhs::Applied {
            name: "dF".to_string(),
            direction: direction.clone(),
        },
        &mut stats,
    )?;
    Ok(Jacobian {
        problem,
        wrt: wrt.to_string(),
        layout,
        differential,
        steps,
        result,
        shape,
        no_closed_form,
        jvp,
        vjp,
        stats,
    })
}

/// Adds the gradient symbols of the unknown functions of the problem (`G`
/// for `L`) to its environment, so that their differentials can be written.
pub fn add_unknown_symbols(problem: &mut Problem) {
    let mut unknowns = Vec::new();
    super::collect_unknowns(&problem.term, problem, &mut unknowns);
    for (name, shape) in unknowns {
        problem
            .env
            .vars
            .entry(super::gradient_symbol(&name))
            .or_insert(VarInfo {
                kind: Kind::Matrix,
                shape,
                symmetric: false,
            });
    }
}
