//! The second view: gradients by components (index notation), as in
//! section 2 of the design note the project started from.
//!
//! For the affine layer `L(XW + B)` with `X: 1×n, W: n×m, B: 1×m`:
//!
//! 1. **Index form** ([`lower`]): `y_j = Σ_k x_k w_kj + b_j`.
//! 2. **Chain rule**: `∂L/∂x_i = Σ_j g_j ∂y_j/∂x_i`, with `g_j = ∂L/∂y_j` the
//!    entries of `G = ∂L/∂Y`, as in the differential method.
//! 3. **Elementary partials** ([`partial`]): `∂y_j/∂x_i = Σ_k δ_ki w_kj`.
//! 4. **Contraction** ([`contract`]): δ eliminates a bound index,
//!    `Σ_k δ_ki w_kj = w_ij`.
//! 5. **Reassembly** ([`reassemble`]): `Σ_j g_j w_ij = (G Wᵀ)_i`, so
//!    `∂L/∂X = G Wᵀ`. The gradient of a scalar has the shape of its variable.
//!
//! When a result has no matrix form the derivation keeps its index form and
//! says why. [`agreement`] compares the result with the differential method's.

pub mod agreement;
pub mod contract;
pub mod fresh;
pub mod index;
pub mod lower;
pub mod notation;
pub mod partial;
pub mod reassemble;

use crate::engine::Meaning;
use crate::engine::{Definition, gradient_symbol};
use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::render::text::{self, Style};
use crate::shape::{Dim, Kind, Shape, VarInfo};
use crate::term::Term;
use fresh::Fresh;
use index::{Expr, Factor, Index, Map, Opaque};
use lower::{Slot, indices, lower};
use notation::Names;
use partial::{Wrt, partial};

pub use agreement::{Agreement, Verdict, agreement};

/// An entry named by a variable and its indices: `y_j`, `x_i`, `L`.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// The variable or function (`Y`, `X`, `L`).
    pub name: String,
    /// Its indices (none for a scalar).
    pub idx: Vec<Index>,
}

/// The left-hand side of a line.
#[derive(Clone, Debug, PartialEq)]
pub enum Lhs {
    /// `y_j = …`: an entry defined.
    Entry(Component),
    /// `∂y_j/∂x_i = …`.
    Partial(Component, Component),
    /// `= …`, continuing the previous line.
    Same,
    /// `⇒ ∂L/∂X = …`: the function and the variable.
    Gradient(String, String),
}

/// The right-hand side of a line.
#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    /// An index expression.
    Index(Expr),
    /// The chain rule `Σ_j g_j ∂y_j/∂x_i`.
    Chain {
        /// The summed indices (those of `y`).
        sums: Vec<Index>,
        /// The outer partial, an entry of `G`.
        outer: Component,
        /// The inner entry `y_j`.
        of: Component,
        /// The entry differentiated by, `x_i`.
        by: Component,
    },
    /// An entry of a matrix expression, `(G Wᵀ)_i`.
    Entry(Term, Vec<Index>),
    /// A matrix expression.
    Matrix(Term),
}

/// One line of a derivation and the rule that justifies it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What the line equates.
    pub lhs: Lhs,
    /// The right-hand side.
    pub rhs: Rhs,
    /// Why it holds.
    pub rule: String,
}

/// The gradient with respect to one variable, by components.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient {
    /// The variable.
    pub wrt: String,
    /// Its shape, which the gradient has too.
    pub shape: Shape,
    /// The indices of an entry of the variable (`i`, or `i, j`).
    pub idx: Vec<Index>,
    /// The entries of the gradient after contraction.
    pub entries: Expr,
    /// The gradient in matrix notation, when it has one.
    pub result: Option<Term>,
    /// Why there is no matrix form, when there is none.
    pub unassembled: Option<String>,
    /// The lines, from the chain rule to the reassembly.
    pub steps: Vec<Step>,
}

/// A whole derivation by components.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivation {
    /// The problem, with the gradients of unknown functions (`G`) added to
    /// its environment.
    pub problem: Problem,
    /// The name of the differentiated function (`L`, or `f` for an
    /// expression that is not an unknown function).
    pub function: String,
    /// Introduced symbols: `Y = XW + B`, `G = ∂L/∂Y`.
    pub definitions: Vec<Definition>,
    /// How entries are written.
    pub names: Names,
    /// The index form of the function or of `Y`.
    pub preamble: Vec<Step>,
    /// The range of every index of the preamble, `(j, m)`.
    pub ranges: Vec<(Index, Dim)>,
    /// One gradient per variable.
    pub gradients: Vec<Gradient>,
}

/// Derives the gradients of a scalar expression by components, with respect
/// to `wrt` (every variable when empty).
pub fn derive(problem: &Problem, wrt: &[String]) -> Result<Derivation> {
    if !problem.shape.is_scalar() {
        return Err(Error::Usage(format!(
            "{} is a {} matrix, not a scalar: a gradient needs a scalar function (wrap it, e.g. tr(…), sum(…) or L(…))",
            problem.source, problem.shape
        )));
    }
    let mut problem = problem.clone();
    let vars = problem.term.variables_in_order();
    for v in wrt {
        if problem.env.get(v).is_none() {
            return Err(Error::Usage(format!(
                "--wrt {v}: {v} is not a variable of {} (its variables: {})",
                problem.source,
                vars.join(", ")
            )));
        }
    }
    let wrt: Vec<String> = if wrt.is_empty() {
        vars.clone()
    } else {
        wrt.to_vec()
    };

    let mut definitions = Vec::new();
    let mut unknowns = Vec::new();
    collect_unknowns(&problem.term, &problem, &mut unknowns);
    for (name, shape) in &unknowns {
        problem
            .env
            .vars
            .insert(gradient_symbol(name), matrix(shape));
    }

    // With L(E) at the top, Y = E is named and differentiated through the
    // chain rule, as in the design note.
    let (function, top) = match &problem.term {
        Term::Unknown(name, arg) => {
            let y = fresh_name("Y", &problem);
            (name.clone(), Some((y, (**arg).clone())))
        }
        _ => ("f".to_string(), None),
    };
    let mut display_env = problem.env.clone();
    if let Some((y, arg)) = &top {
        let shape = arg.shape(&problem.env).unwrap_or_else(Shape::scalar);
        display_env.vars.insert(y.clone(), matrix(&shape));
        definitions.push(Definition {
            name: y.clone(),
            value: Some(arg.clone()),
            meaning: None,
            shape: shape.clone(),
        });
    }
    for (name, shape) in &unknowns {
        let meaning = Some(match &top {
            Some((y, _)) if *name == function => Meaning::Gradient {
                function: name.clone(),
                at: Term::var(y),
            },
            _ => Meaning::GradientAtArgument {
                function: name.clone(),
            },
        });
        definitions.push(Definition {
            name: gradient_symbol(name),
            value: None,
            meaning,
            shape: shape.clone(),
        });
    }
    let names = Names::new(&display_env);
    let avoid = display_env
        .vars
        .keys()
        .map(|v| {
            names.entry(
                v,
                Style {
                    ascii: true,
                    ..Style::default()
                },
            )
        })
        .collect::<Vec<_>>();
    let mut fresh = Fresh::new(avoid);

    let d = Derivation {
        problem: problem.clone(),
        function: function.clone(),
        definitions,
        names,
        preamble: vec![],
        ranges: vec![],
        gradients: vec![],
    };
    match top {
        Some((y, arg)) => with_chain_rule(d, &y, &arg, &wrt, &mut fresh),
        None => {
            let form = lower(&problem.term, &None, &None, &problem.env, &mut fresh)?;
            direct(d, form, &wrt, &mut fresh)
        }
    }
}

fn matrix(shape: &Shape) -> VarInfo {
    VarInfo {
        kind: Kind::Matrix,
        shape: shape.clone(),
        symmetric: false,
    }
}

fn fresh_name(base: &str, problem: &Problem) -> String {
    (0..)
        .map(|i| {
            if i == 0 {
                base.to_string()
            } else {
                format!("{base}_{i}")
            }
        })
        .find(|n| problem.env.get(n).is_none())
        .unwrap_or_else(|| base.to_string())
}

fn collect_unknowns(t: &Term, problem: &Problem, out: &mut Vec<(String, Shape)>) {
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

/// Slots for an entry of a result or variable of shape `s`: `i, j` for a
/// matrix, `first` alone for a vector or a row, none for a scalar.
fn named_slots(s: &Shape, first: &str, fresh: &mut Fresh) -> (Slot, Slot) {
    let mut claim = |name: &str, d: &Dim| Some(fresh.claim(name, d));
    match (s.rows.is_one(), s.cols.is_one()) {
        (false, false) => (claim("i", &s.rows), claim("j", &s.cols)),
        (true, false) => (None, claim(first, &s.cols)),
        (false, true) => (claim(first, &s.rows), None),
        (true, true) => (None, None),
    }
}

fn comp(name: &str, idx: &[Index]) -> Component {
    Component {
        name: name.to_string(),
        idx: idx.to_vec(),
    }
}

/// The indices of an expression's top level with their ranges, in order of
/// first appearance.
fn ranges_of(e: &Expr, fresh: &Fresh, out: &mut Vec<(Index, Dim)>) {
    for p in &e.terms {
        let idx = p
            .sums
            .iter()
            .chain(p.factors.iter().flat_map(|f| f.indices()));
        for i in idx {
            if !out.iter().any(|(j, _)| j == i)
                && let Some(d) = fresh.dim(i)
            {
                out.push((i.clone(), d.clone()));
            }
        }
        for f in &p.factors {
            if let Factor::Map { inner, .. } = f {
                ranges_of(inner, fresh, out);
            }
        }
    }
}

fn with_chain_rule(
    mut d: Derivation,
    y: &str,
    arg: &Term,
    wrt: &[String],
    fresh: &mut Fresh,
) -> Result<Derivation> {
    let env = d.problem.env.clone();
    let yshape = arg.shape(&env).unwrap_or_else(Shape::scalar);
    let (yr, yc) = named_slots(&yshape, "j", fresh);
    let yidx = indices(&yr, &yc);
    let form = lower(arg, &yr, &yc, &env, fresh)?;
    let mut ranges = Vec::new();
    for i in &yidx {
        if let Some(dim) = fresh.dim(i) {
            ranges.push((i.clone(), dim.clone()));
        }
    }
    ranges_of(&form, fresh, &mut ranges);
    d.ranges = ranges;
    d.preamble.push(Step {
        lhs: Lhs::Entry(comp(y, &yidx)),
        rhs: Rhs::Index(form.clone()),
        rule: "index form".to_string(),
    });
    let g = gradient_symbol(&d.function);
    // The ranges of Y's indices, before the variable's entry claims `i`, `j`.
    let ydims: Vec<Dim> = yidx
        .iter()
        .map(|k| fresh.dim(k).cloned().unwrap_or_else(Dim::one))
        .collect();
    for v in wrt {
        let mut fresh = fresh.clone();
        let (vshape, vr, vc) = var_slots(&d, v, &mut fresh);
        let vidx = indices(&vr, &vc);
        // The entries of Y are renamed where they would clash with x_i, w_ij.
        let mut yform = form.clone();
        let mut yv = yidx.clone();
        for (k, dim) in yv.iter_mut().zip(&ydims) {
            if vidx.contains(k) {
                let dim = dim.clone();
                let new = fresh.any(&dim);
                yform.subst(k, &new);
                *k = new;
            }
        }
        let mut steps = vec![Step {
            lhs: Lhs::Partial(comp(&d.function, &[]), comp(v, &vidx)),
            rhs: Rhs::Chain {
                sums: yv.clone(),
                outer: comp(&g, &yv),
                of: comp(y, &yv),
                by: comp(v, &vidx),
            },
            rule: "chain rule".to_string(),
        }];
        let by = Wrt { var: v, idx: &vidx };
        let dy = partial(&yform, &by, &env, &mut fresh)?;
        steps.push(Step {
            lhs: Lhs::Partial(comp(y, &yv), comp(v, &vidx)),
            rhs: Rhs::Index(dy.clone()),
            rule: elementary_rule(&yform, &d, v, &vidx),
        });
        let dy = contracted(dy, &mut steps);
        let full = Expr::factor(Factor::Entry {
            name: g.clone(),
            idx: yv.clone(),
        })
        .times(&dy)
        .summed(&yv);
        steps.push(Step {
            lhs: Lhs::Partial(comp(&d.function, &[]), comp(v, &vidx)),
            rhs: Rhs::Index(full.clone()),
            rule: "substitute".to_string(),
        });
        let entries = contracted(full, &mut steps);
        d.gradients
            .push(finish(&d, v, vshape, (vr, vc), entries, steps, &mut fresh));
    }
    Ok(d)
}

fn direct(mut d: Derivation, form: Expr, wrt: &[String], fresh: &mut Fresh) -> Result<Derivation> {
    let env = d.problem.env.clone();
    let mut ranges = Vec::new();
    ranges_of(&form, fresh, &mut ranges);
    d.ranges = ranges;
    d.preamble.push(Step {
        lhs: Lhs::Entry(comp(&d.function, &[])),
        rhs: Rhs::Index(form.clone()),
        rule: "index form".to_string(),
    });
    for v in wrt {
        let mut fresh = fresh.clone();
        let (vshape, vr, vc) = var_slots(&d, v, &mut fresh);
        let vidx = indices(&vr, &vc);
        let by = Wrt { var: v, idx: &vidx };
        let df = partial(&form, &by, &env, &mut fresh)?;
        let mut steps = vec![Step {
            lhs: Lhs::Partial(comp(&d.function, &[]), comp(v, &vidx)),
            rhs: Rhs::Index(df.clone()),
            rule: elementary_rule(&form, &d, v, &vidx),
        }];
        let entries = contracted(df, &mut steps);
        d.gradients
            .push(finish(&d, v, vshape, (vr, vc), entries, steps, &mut fresh));
    }
    Ok(d)
}

fn var_slots(d: &Derivation, v: &str, fresh: &mut Fresh) -> (Shape, Slot, Slot) {
    let shape = d
        .problem
        .env
        .shape(v)
        .cloned()
        .unwrap_or_else(Shape::scalar);
    let (r, c) = named_slots(&shape, "i", fresh);
    (shape, r, c)
}

/// The name of the elementary-partials line: the product rule when a
/// product has the variable more than once, and the partials it uses.
fn elementary_rule(e: &Expr, d: &Derivation, v: &str, vidx: &[Index]) -> String {
    let mut parts = Vec::new();
    let twice = e
        .terms
        .iter()
        .any(|p| p.factors.iter().filter(|f| factor_mentions(f, v)).count() > 1);
    if twice {
        parts.push("product rule".to_string());
    }
    let style = Style::default();
    let (k, l) = ("k", "l");
    let other: Vec<Index> = match vidx.len() {
        2 => vec![k.to_string(), l.to_string()],
        1 => vec![k.to_string()],
        _ => vec![],
    };
    let deltas: Vec<String> = other
        .iter()
        .zip(vidx)
        .map(|(a, b)| format!("δ{}", notation::subscript(&[a.clone(), b.clone()])))
        .collect();
    parts.push(if deltas.is_empty() {
        format!(
            "∂{}/∂{} = 1",
            d.names.component(v, &[], style),
            d.names.component(v, &[], style)
        )
    } else {
        format!(
            "∂{}/∂{} = {}",
            d.names.component(v, &other, style),
            d.names.component(v, vidx, style),
            deltas.join(" ")
        )
    });
    let mut kinds = Vec::new();
    kinds_in(e, v, &mut kinds);
    for k in kinds {
        if !parts.contains(&k) {
            parts.push(k);
        }
    }
    format!("elementary partials: {}", parts.join("; "))
}

fn factor_mentions(f: &Factor, v: &str) -> bool {
    match f {
        Factor::Entry { name, .. } => name == v,
        Factor::Delta(..) => false,
        Factor::Map { arg, .. } | Factor::Opaque { arg, .. } => arg.mentions(v),
    }
}

fn kinds_in(e: &Expr, v: &str, out: &mut Vec<String>) {
    for p in &e.terms {
        for f in &p.factors {
            if !factor_mentions(f, v) {
                continue;
            }
            let k = match f {
                Factor::Map {
                    map: Map::Pow(_) | Map::EPow(_),
                    ..
                } => "∂uᵏ/∂u = k uᵏ⁻¹",
                Factor::Map { .. } => "∂f(u)/∂u = f′(u)",
                Factor::Opaque {
                    op: Opaque::Inverse,
                    ..
                } => "∂(A⁻¹)_pq/∂a_rs = −(A⁻¹)_pr (A⁻¹)_sq",
                Factor::Opaque {
                    op: Opaque::Det, ..
                } => "∂det A/∂a_rs = det A (A⁻¹)_sr",
                Factor::Opaque {
                    op: Opaque::Logdet, ..
                } => "∂logdet A/∂a_rs = (A⁻¹)_sr",
                Factor::Opaque {
                    op: Opaque::Unknown(_),
                    ..
                } => "∂L/∂a_rs = g_rs",
                Factor::Opaque {
                    op: Opaque::Along(f),
                    ..
                } => match f.along().map(|a| a.op) {
                    Some(crate::registry::AxisOp::Softmax) => {
                        "∂s_i/∂z_j = s_i (δ_ij − s_j) for s_i = exp(z_i) / Σ_k exp(z_k)"
                    }
                    Some(crate::registry::AxisOp::Logsoftmax) => {
                        "∂ log s_i/∂z_j = δ_ij − s_j for s_i = exp(z_i) / Σ_k exp(z_k)"
                    }
                    _ => "∂ log Σ_k exp(z_k)/∂z_j = s_j = exp(z_j) / Σ_k exp(z_k)",
                },
                _ => continue,
            };
            if !out.iter().any(|o| o == k) {
                out.push(k.to_string());
            }
            if let Factor::Map { inner, .. } = f {
                kinds_in(inner, v, out);
            }
        }
    }
}

/// Contracts `e`, adding a line when δs eliminated indices.
fn contracted(e: Expr, steps: &mut Vec<Step>) -> Expr {
    let (c, gone) = contract::contract(&e);
    if c != e {
        let rule = if gone.is_empty() {
            "collect equal terms".to_string()
        } else {
            let each: Vec<String> = gone
                .iter()
                .map(|(g, k)| {
                    format!(
                        "δ{} eliminates {g}",
                        notation::subscript(&[g.clone(), k.clone()])
                    )
                })
                .collect();
            format!("contraction: {}", each.join(", "))
        };
        steps.push(Step {
            lhs: Lhs::Same,
            rhs: Rhs::Index(c.clone()),
            rule,
        });
    }
    c
}

fn finish(
    d: &Derivation,
    v: &str,
    shape: Shape,
    (vr, vc): (Slot, Slot),
    entries: Expr,
    mut steps: Vec<Step>,
    fresh: &mut Fresh,
) -> Gradient {
    let idx = indices(&vr, &vc);
    let layout = format!(
        "layout: the gradient has the shape of {} ({})",
        text::name(v, Style::default()),
        if shape.is_scalar() {
            "scalar".to_string()
        } else {
            shape.to_string()
        }
    );
    match reassemble::reassemble(&entries, &vr, &vc, &shape, &d.problem.env, fresh) {
        Ok(r) => {
            let rule = if r.patterns.is_empty() {
                "reassemble".to_string()
            } else {
                format!("reassemble: {}", r.patterns.join("; "))
            };
            if !idx.is_empty() && !matches!(r.term, Term::Var(_)) {
                steps.push(Step {
                    lhs: Lhs::Same,
                    rhs: Rhs::Entry(r.term.clone(), idx.clone()),
                    rule,
                });
            }
            steps.push(Step {
                lhs: Lhs::Gradient(d.function.clone(), v.to_string()),
                rhs: Rhs::Matrix(r.term.clone()),
                rule: layout,
            });
            Gradient {
                wrt: v.to_string(),
                shape,
                idx,
                entries,
                result: Some(r.term),
                unassembled: None,
                steps,
            }
        }
        Err(e) => Gradient {
            wrt: v.to_string(),
            shape,
            idx,
            entries,
            result: None,
            unassembled: Some(e.reason),
            steps,
        },
    }
}
