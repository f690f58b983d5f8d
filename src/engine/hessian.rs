//! Hessians by the matrix differential: the differential of the gradient.
//!
//! For a scalar `f` and variables `V` (rows) and `W` (columns, `W = V` for
//! the Hessian proper):
//!
//! 1. **Gradient**: `∂f/∂V`, derived as `grad` derives it (layer by layer
//!    for a deep network).
//! 2. **Differential of the gradient**: `d(∂f/∂V)`, every variable but `W`
//!    constant. Since `df = tr((∂f/∂V)ᵀ dV)` and `d(dV) = 0`, the second
//!    differential is the bilinear form `d²f = tr(dVᵀ d(∂f/∂V))`; the terms
//!    that a direct second differentiation would produce twice (`dxᵀ A dx`
//!    and `dxᵀ Aᵀ dx`) are already merged in the gradient (`(A + Aᵀ) x`).
//! 3. **Hessian-vector product**: `d(∂f/∂V)` at `dW = Ẇ`, of `V`'s shape.
//! 4. **Hessian**: the Jacobian of the gradient, `∂vec(∂f/∂V)/∂(vec W)ᵀ =
//!    ∂²f/∂vec V ∂(vec W)ᵀ` (rows from `V`), by the vectorization stage of
//!    [`jacobian`](super::jacobian).
//!
//! A network derived layer by layer has its gradient written with named
//! intermediates (`Z1`, `H1`, `G_Z1`, …). Its Hessian-vector product is
//! carried forward through the same names (`dZ1 = X V`, `dH1 = …`, …,
//! `dG_Z1 = …`): one small differential per definition, so time and output
//! grow linearly with depth. The Hessian matrix is not formed for it.

use std::collections::BTreeSet;

use super::jacobian::{
    self, Directional, Layout, add_direction, context, differential, directional, jacobian_shape,
    substitute_d, vectorize,
};
use super::stage::StageStats;
use super::{Derivation, Lhs, Options, Step, Why};
use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::shape::{Kind, Shape, VarInfo};
use crate::term::{Func, Term};

/// The Hessian (or a mixed block of it) of a scalar expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Hessian {
    /// The problem, its environment extended with the symbols the gradient
    /// introduces, the named intermediates and the HVP's direction.
    pub problem: Problem,
    /// The variable of the rows (the gradient's variable).
    pub rows: String,
    /// The variable of the columns (the one the gradient is differentiated by).
    pub cols: String,
    /// How the result is laid out.
    pub layout: Layout,
    /// The derivation of the gradient `∂f/∂V`.
    pub gradient: Derivation,
    /// `d(∂f/∂V) = …` and `d²f = …`.
    pub second: Vec<Step>,
    /// `d²f` as a bilinear form in `dV` and `dW`.
    pub bilinear: Term,
    /// The vectorization of `d(∂f/∂V)` and `⇒ H = …`.
    pub steps: Vec<Step>,
    /// The Hessian, when a closed form was found.
    pub result: Option<Term>,
    /// Its shape.
    pub shape: Shape,
    /// Why there is no closed form, when there is none.
    pub no_closed_form: Option<(Term, String)>,
    /// `H[Ẇ]`, of `V`'s shape.
    pub hvp: Directional,
    /// Named intermediates in evaluation order: the gradient's, then the
    /// tangents of the HVP (`dZ1`, …). The gradient and the HVP may refer
    /// to them.
    pub bindings: Vec<(String, Term)>,
    /// How many of [`Hessian::bindings`] the gradient itself needs.
    pub gradient_bindings: usize,
    /// The unknown functions whose gradient symbols are held constant
    /// (their second derivatives are not part of the result).
    pub held: Vec<String>,
    /// What each e-graph run did.
    pub stats: Vec<StageStats>,
}

/// The Hessian block `∂²f/∂vec V ∂(vec W)ᵀ` of the scalar expression of
/// `problem` (`rows = V`, `cols = W`).
pub fn hessian(problem: &Problem, rows: &str, cols: &str, opts: &Options) -> Result<Hessian> {
    for v in [rows, cols] {
        if problem.env.get(v).is_none() {
            return Err(Error::Usage(format!(
                "--wrt {v}: {v} is not a variable of {}",
                problem.source
            )));
        }
    }
    let gradient = super::derive(
        problem,
        &Options {
            wrt: vec![rows.to_string()],
            ..opts.clone()
        },
    )?;
    let mut stats = gradient.stats.clone();
    let g = gradient
        .gradients
        .first()
        .map(|g| g.result.clone())
        .ok_or_else(|| Error::Usage(format!("{} has no gradient", problem.source)))?;
    let mut p = gradient.problem.clone();
    let mut held = Vec::new();
    super::collect_unknown_names(&problem.term, &mut held);
    let vshape = problem
        .env
        .shape(rows)
        .cloned()
        .unwrap_or_else(Shape::scalar);
    let wshape = problem
        .env
        .shape(cols)
        .cloned()
        .unwrap_or_else(Shape::scalar);
    let layout = Layout::of(&vshape, &wshape);
    let shape = jacobian_shape(&vshape, &wshape);
    let f = gradient.function.clone();
    // Bindings' names become variables, with their shapes.
    for (name, value) in &gradient.bindings {
        if p.env.get(name).is_none() {
            let s = value.shape(&p.env).unwrap_or_else(Shape::scalar);
            insert_matrix(&mut p, name, s);
        }
    }
    let direction = add_direction(&mut p.env, cols);
    let dv = Term::Diff(Box::new(Term::var(rows)));
    let hlhs = Lhs::Hessian {
        function: f.clone(),
        rows: rows.to_string(),
        cols: cols.to_string(),
        layout,
    };
    let glhs = Lhs::GradientDifferential {
        function: f.clone(),
        var: rows.to_string(),
    };
    let hvp_lhs = Lhs::Applied {
        name: "H".to_string(),
        direction: direction.clone(),
    };

    if !gradient.bindings.is_empty() {
        return layered(LayeredInput {
            problem: p,
            rows,
            cols,
            layout,
            shape,
            gradient,
            g,
            direction,
            glhs,
            hvp_lhs,
            held,
            stats,
            opts,
        });
    }

    let ctx = context(&p.env, cols);
    let g_term = super::scalars_out(&g, &p.env);
    let (dg, why) = differential(&ctx, &g_term, &opts.limits, &mut stats)?;
    let dg = dg.flattened();
    let bilinear = bilinear_form(&dv, &dg, &vshape);
    let bilinear = jacobian::simplify(&ctx, &bilinear, &opts.limits, "d²f", &mut stats)
        .map(|(t, _)| t)
        .unwrap_or(bilinear);
    let second = vec![
        Step {
            lhs: glhs.clone(),
            expr: dg.clone(),
            rule: why,
        },
        Step {
            lhs: Lhs::SecondDifferential(f.clone()),
            expr: bilinear.clone(),
            rule: Why::SecondDifferential,
        },
    ];
    let label = format!("∂²/∂{rows}∂{cols}");
    let (steps, result, no_closed_form) = if dg.has_diff() {
        let v = vectorize(
            &ctx,
            &dg,
            layout,
            glhs,
            hlhs,
            &opts.limits,
            &label,
            &mut stats,
        )?;
        (v.steps, v.result, v.stuck)
    } else {
        let z = zero(&shape);
        (
            vec![Step {
                lhs: hlhs,
                expr: z.clone(),
                rule: Why::Absent {
                    var: cols.to_string(),
                    function: format!("(∂{f}/∂{rows})"),
                },
            }],
            Some(z),
            None,
        )
    };
    let hvp = directional(
        &ctx,
        &dg,
        cols,
        &direction,
        &opts.limits,
        &format!("HVP {label}"),
        hvp_lhs,
        &mut stats,
    )?;
    Ok(Hessian {
        problem: p,
        rows: rows.to_string(),
        cols: cols.to_string(),
        layout,
        gradient,
        second,
        bilinear,
        steps,
        result,
        shape,
        no_closed_form,
        hvp,
        bindings: Vec::new(),
        gradient_bindings: 0,
        held,
        stats,
    })
}

fn zero(s: &Shape) -> Term {
    if s.is_scalar() {
        Term::num(0.0)
    } else {
        Term::Zero(s.clone())
    }
}

fn insert_matrix(p: &mut Problem, name: &str, shape: Shape) {
    p.env.vars.insert(
        name.to_string(),
        VarInfo {
            kind: Kind::Matrix,
            shape,
            symmetric: false,
        },
    );
}

/// `tr(dVᵀ M)`, written `dvᵀ M` for a column `v` and `dα M` for a scalar.
fn bilinear_form(dv: &Term, m: &Term, vshape: &Shape) -> Term {
    let t = if vshape.is_scalar() {
        Term::Mul(vec![dv.clone(), m.clone()])
    } else if vshape.cols.is_one() {
        Term::Mul(vec![Term::Transpose(Box::new(dv.clone())), m.clone()])
    } else {
        Term::Apply(
            Func::Tr,
            Box::new(Term::Mul(vec![
                Term::Transpose(Box::new(dv.clone())),
                m.clone(),
            ])),
        )
    };
    t.flattened()
}

struct LayeredInput<'a> {
    problem: Problem,
    rows: &'a str,
    cols: &'a str,
    layout: Layout,
    shape: Shape,
    gradient: Derivation,
    g: Term,
    direction: String,
    glhs: Lhs,
    hvp_lhs: Lhs,
    held: Vec<String>,
    stats: Vec<StageStats>,
    opts: &'a Options,
}

/// The name of the tangent of a named intermediate: `dZ1` for `Z1`.
pub fn tangent_name(n: &str) -> String {
    format!("d{n}")
}

/// `t` with `d(N)` written as the tangent variable `dN` for every name in
/// `names`, and `d(W)` as the direction.
fn as_tangents(t: &Term, names: &BTreeSet<String>, w: &str, direction: &str) -> Term {
    match t {
        Term::Diff(a) => match &**a {
            Term::Var(n) if n == w => Term::var(direction),
            Term::Var(n) if names.contains(n) => Term::var(&tangent_name(n)),
            _ => t.clone(),
        },
        _ => t.map_children(|c| as_tangents(c, names, w, direction)),
    }
}

/// The environment of the variables of `t` and of `w` only: every e-graph
/// run copies its environment, and a network has as many variables as
/// layers.
fn own_env(env: &crate::shape::Env, t: &Term, w: &str) -> crate::shape::Env {
    let mut out = crate::shape::Env::default();
    for v in t.variables().into_iter().chain([w.to_string()]) {
        if let Some(info) = env.get(&v) {
            out.vars.insert(v, info.clone());
        }
    }
    out
}

/// Every subterm equal to a binding's value written as the binding's name
/// (`tanh(Z1)` as `H1`).
fn fold(t: &Term, bindings: &[(String, Term)]) -> Term {
    let t = t.map_children(|c| fold(c, bindings));
    match bindings.iter().find(|(_, v)| *v == t) {
        Some((name, _)) => Term::Var(name.clone()),
        None => t,
    }
}

/// The Hessian-vector product of a gradient written with named
/// intermediates: forward through the same names.
fn layered(input: LayeredInput<'_>) -> Result<Hessian> {
    let LayeredInput {
        mut problem,
        rows,
        cols,
        layout,
        shape,
        gradient,
        g,
        direction,
        glhs,
        hvp_lhs,
        held,
        mut stats,
        opts,
    } = input;
    let limits = &opts.limits;
    // The names that depend on W, in evaluation order.
    let mut moving: BTreeSet<String> = BTreeSet::new();
    moving.insert(cols.to_string());
    let mut second = Vec::new();
    let mut tangents: Vec<(String, Term)> = Vec::new();
    for (name, value) in &gradient.bindings {
        if !moving.iter().any(|m| value.mentions(m)) {
            continue;
        }
        let mut ctx = context(&own_env(&problem.env, value, cols), cols);
        ctx.constants.retain(|c| !moving.contains(c));
        let (d, why) = differential(
            &ctx,
            &super::scalars_out(value, &problem.env),
            limits,
            &mut stats,
        )?;
        let d = fold(&d.flattened(), &gradient.bindings);
        second.push(Step {
            lhs: Lhs::Differential(name.clone()),
            expr: substitute_d(&d, cols, &Term::var(&direction)),
            rule: why,
        });
        moving.insert(name.clone());
        let t = as_tangents(&d, &moving, cols, &direction);
        let s = problem
            .env
            .shape(name)
            .cloned()
            .unwrap_or_else(Shape::scalar);
        insert_matrix(&mut problem, &tangent_name(name), s);
        tangents.push((tangent_name(name), t));
    }
    let mut ctx = context(&own_env(&problem.env, &g, cols), cols);
    ctx.constants.retain(|c| !moving.contains(c));
    let (dg, why) = differential(
        &ctx,
        &super::scalars_out(&g, &problem.env),
        limits,
        &mut stats,
    )?;
    let dg = dg.flattened();
    let shown = substitute_d(&dg, cols, &Term::var(&direction));
    second.push(Step {
        lhs: glhs,
        expr: shown,
        rule: why,
    });
    let hvp_term = as_tangents(&dg, &moving, cols, &direction);
    let vshape = problem
        .env
        .shape(rows)
        .cloned()
        .unwrap_or_else(Shape::scalar);
    let hvp = Directional {
        direction: direction.clone(),
        shape: vshape.clone(),
        steps: vec![Step {
            lhs: hvp_lhs,
            expr: hvp_term.clone(),
            rule: Why::Direction {
                var: cols.to_string(),
                direction: direction.clone(),
            },
        }],
        result: hvp_term,
    };
    let dv = Term::Diff(Box::new(Term::var(rows)));
    let bilinear = bilinear_form(&dv, &dg, &vshape);
    let gradient_bindings = gradient.bindings.len();
    let mut bindings = gradient.bindings.clone();
    bindings.extend(tangents);
    Ok(Hessian {
        problem,
        rows: rows.to_string(),
        cols: cols.to_string(),
        layout,
        gradient,
        second,
        bilinear,
        steps: Vec::new(),
        result: None,
        shape,
        no_closed_form: Some((
            Term::var(rows),
            "the Hessian of a network derived layer by layer is given as its product with a direction (H[V]), not as a matrix".to_string(),
        )),
        hvp,
        bindings,
        gradient_bindings,
        held,
        stats,
    })
}
