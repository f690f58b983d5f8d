//! Jacobians and Hessians as queries of a [`Session`]: the same checked
//! pipeline as [`Session::derive`] (parse, check, term budget, derive under
//! one deadline, numeric check at stand-in sizes, render under the output
//! cap), for derivatives of any expression and second derivatives of a
//! scalar one.

use std::time::Instant;

use crate::ast::Span;
use crate::engine::hessian::{self, Hessian};
use crate::engine::jacobian::{self, Jacobian};
use crate::engine::{Options, StageStats};
use crate::error::{Error, LimitKind, Result};
use crate::numeric::{Bound, TOLERANCE};
use crate::problem::Problem;
use crate::render::jacobian as show;
use crate::session::{Format, RenderOptions, Session};
use crate::verify::Check;
use crate::{budget, parse, shrink, verify};

/// What a Jacobian or Hessian query asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct DerivativeOptions {
    /// The variables. For a Jacobian, one result per variable (every
    /// variable when empty). For a Hessian, one variable for its Hessian,
    /// two for the mixed block (rows from the first), none for the Hessian
    /// of every variable.
    pub wrt: Vec<String>,
    /// Check every result numerically (a result that fails is an error).
    pub check: bool,
}

impl Default for DerivativeOptions {
    fn default() -> Self {
        DerivativeOptions {
            wrt: Vec::new(),
            check: true,
        }
    }
}

impl DerivativeOptions {
    /// With respect to `vars`, checked.
    pub fn wrt<S: AsRef<str>>(vars: &[S]) -> DerivativeOptions {
        DerivativeOptions {
            wrt: vars.iter().map(|v| v.as_ref().to_string()).collect(),
            check: true,
        }
    }
}

/// The Jacobians of an expression, derived and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct JacobianAnswer {
    /// The checked input.
    pub problem: Problem,
    /// One Jacobian per variable.
    pub jacobians: Vec<Jacobian>,
    /// The numeric check of every Jacobian, JVP and VJP, when one was made.
    pub check: Option<Check>,
}

/// The Hessians (or a mixed block) of a scalar expression, derived and
/// checked.
#[derive(Clone, Debug, PartialEq)]
pub struct HessianAnswer {
    /// The checked input.
    pub problem: Problem,
    /// One Hessian (block) per variable (pair).
    pub hessians: Vec<Hessian>,
    /// The numeric check of every gradient, Hessian and HVP, when one was made.
    pub check: Option<Check>,
}

impl JacobianAnswer {
    /// The answer in `format`, refused past `limit` bytes.
    pub fn render(&self, format: Format, opts: &RenderOptions, limit: usize) -> Result<String> {
        let out = show::jacobians(self, format, opts);
        budget::check_output(&out, limit)?;
        Ok(out)
    }

    /// The statistics of every e-graph run.
    pub fn stats(&self) -> String {
        let stats: Vec<StageStats> = self
            .jacobians
            .iter()
            .flat_map(|j| j.stats.clone())
            .collect();
        crate::render::stats::table(&self.problem.source, &stats)
    }
}

impl HessianAnswer {
    /// The answer in `format`, refused past `limit` bytes.
    pub fn render(&self, format: Format, opts: &RenderOptions, limit: usize) -> Result<String> {
        let out = show::hessians(self, format, opts);
        budget::check_output(&out, limit)?;
        Ok(out)
    }

    /// The statistics of every e-graph run.
    pub fn stats(&self) -> String {
        let stats: Vec<StageStats> = self.hessians.iter().flat_map(|h| h.stats.clone()).collect();
        crate::render::stats::table(&self.problem.source, &stats)
    }
}

/// The span of the expression in `src` (without its `where` clause).
fn expr_span(problem: &Problem) -> Span {
    let src = &problem.source;
    let end = src.find(" where ").unwrap_or(src.len());
    let text = &src[..end];
    let start = text.len() - text.trim_start().len();
    Span::new(start, text.trim_end().len())
}

/// The variables asked for, by canonical name, each a variable of the
/// expression (an input error with the expression's span otherwise).
fn variables(problem: &Problem, wrt: &[String]) -> Result<Vec<String>> {
    let vars = problem.term.variables_in_order();
    let mut out = Vec::new();
    for w in wrt {
        let v = parse::variable_name(w)?;
        if !vars.contains(&v) {
            return Err(Error::shape(
                "input",
                &problem.source,
                expr_span(problem),
                &format!("--wrt {w}: `{v}` does not occur in the expression"),
                &format!("its variables: {}", vars.join(", ")),
                Some("name a variable of the expression, or leave out --wrt for all of them"),
            ));
        }
        out.push(v);
    }
    Ok(out)
}

/// An expression without variables has no derivative to show.
fn no_variables(problem: &Problem) -> Error {
    Error::shape(
        "input",
        &problem.source,
        expr_span(problem),
        "the expression has no variables to differentiate by",
        "a constant",
        None,
    )
}

fn time_limit(deadline: Instant, problem: &Problem, session: &Session) -> Result<()> {
    if Instant::now() > deadline {
        return Err(Error::Limit {
            stage: "derivation".to_string(),
            limit: LimitKind::Time(session.limits.timeout.as_secs_f64()),
            at: Box::new(problem.term.clone()),
        });
    }
    Ok(())
}

/// A failed numeric check as an error.
fn failed(c: &Check) -> Error {
    let worst: Vec<String> = c
        .failures()
        .iter()
        .map(|(v, e)| format!("{v}: relative error {e:.2e}"))
        .collect();
    Error::CheckFailed {
        detail: format!(
            "{} (tolerance {TOLERANCE:.0e}, {} points, seed {})",
            worst.join("; "),
            c.trials,
            c.seed
        ),
    }
}

impl Session {
    /// The Jacobian of `expr` (any shape) with respect to each variable of
    /// `opts.wrt`, in numerator layout, with its JVP and VJP, checked.
    ///
    /// ```
    /// use matdiff::{DerivativeOptions, Format, RenderOptions, Session, render};
    ///
    /// let s = Session::new();
    /// let a = s.jacobian("A X B", &DerivativeOptions::wrt(&["X"])).unwrap();
    /// let j = &a.jacobians[0];
    /// assert_eq!(render(j.result.as_ref().unwrap(), &j.problem.env, Format::Text), "Bᵀ ⊗ A");
    /// assert!(a.check.unwrap().passed());
    /// ```
    pub fn jacobian(&self, expr: &str, opts: &DerivativeOptions) -> Result<JacobianAnswer> {
        let deadline = Instant::now() + self.limits.timeout;
        let problem = self.bounded(expr, "differentiate")?;
        let wrt = if opts.wrt.is_empty() {
            problem.term.variables_in_order()
        } else {
            variables(&problem, &opts.wrt)?
        };
        if wrt.is_empty() {
            return Err(no_variables(&problem));
        }
        let engine_opts = Options {
            wrt: wrt.clone(),
            limits: self.limits.engine(deadline),
            ..Options::default()
        };
        let mut jacobians = Vec::new();
        for v in &wrt {
            jacobians.push(jacobian::jacobian(&problem, v, &engine_opts)?);
            time_limit(deadline, &problem, self)?;
        }
        let mut answer = JacobianAnswer {
            problem,
            jacobians,
            check: None,
        };
        if opts.check {
            let c = self.check_jacobians(&answer, deadline)?;
            if !c.passed() {
                return Err(failed(&c));
            }
            answer.check = Some(c);
        }
        time_limit(deadline, &answer.problem, self)?;
        Ok(answer)
    }

    /// The Hessian of the scalar `expr` with respect to `opts.wrt` (one
    /// variable, or two for the mixed block `∂²f/∂vec V ∂(vec W)ᵀ`; every
    /// variable's Hessian when empty), with `d²f` and the HVP, checked.
    ///
    /// ```
    /// use matdiff::{DerivativeOptions, Format, Session, render};
    ///
    /// let s = Session::new();
    /// let a = s.hessian("xᵀ A x", &DerivativeOptions::wrt(&["x"])).unwrap();
    /// let h = &a.hessians[0];
    /// assert_eq!(render(h.result.as_ref().unwrap(), &h.problem.env, Format::Text), "A + Aᵀ");
    /// assert!(a.check.unwrap().passed());
    /// ```
    pub fn hessian(&self, expr: &str, opts: &DerivativeOptions) -> Result<HessianAnswer> {
        let deadline = Instant::now() + self.limits.timeout;
        let problem = self.bounded(expr, "differentiate")?;
        if !problem.shape.is_scalar() {
            return Err(Error::shape(
                "input",
                &problem.source,
                expr_span(&problem),
                &format!(
                    "a Hessian needs a scalar function, but this is a {} matrix",
                    problem.shape
                ),
                &format!("{}, not a scalar", problem.shape),
                Some(
                    "wrap it, e.g. tr(…), sum(…), ‖…‖² or L(…); for a matrix function use `matdiff jacobian`",
                ),
            ));
        }
        let pairs: Vec<(String, String)> = match opts.wrt.len() {
            0 => problem
                .term
                .variables_in_order()
                .into_iter()
                .map(|v| (v.clone(), v))
                .collect(),
            1 | 2 => {
                let vs = variables(&problem, &opts.wrt)?;
                vec![(vs[0].clone(), vs[vs.len() - 1].clone())]
            }
            n => {
                return Err(Error::Usage(format!(
                    "a Hessian block has rows and columns: give one or two --wrt, not {n}"
                )));
            }
        };
        if pairs.is_empty() {
            return Err(no_variables(&problem));
        }
        let engine_opts = Options {
            limits: self.limits.engine(deadline),
            ..Options::default()
        };
        let mut hessians = Vec::new();
        for (v, w) in &pairs {
            hessians.push(hessian::hessian(&problem, v, w, &engine_opts)?);
            time_limit(deadline, &problem, self)?;
        }
        let mut answer = HessianAnswer {
            problem,
            hessians,
            check: None,
        };
        if opts.check {
            let c = self.check_hessians(&answer, deadline)?;
            if !c.passed() {
                return Err(failed(&c));
            }
            answer.check = Some(c);
        }
        time_limit(deadline, &answer.problem, self)?;
        Ok(answer)
    }

    fn check_jacobians(&self, a: &JacobianAnswer, deadline: Instant) -> Result<Check> {
        let (seed, trials) = (self.seed, self.limits.trials);
        let mut c = Check::new(seed, trials);
        for j in &a.jacobians {
            let env = shrink::env(&j.problem.env);
            let f = shrink::term(&a.problem.term);
            let v = &j.wrt;
            if let Some(r) = &j.result {
                let r = shrink::term(r);
                let rep = crate::numeric::check_jacobian(
                    Bound::plain(&f),
                    v,
                    Bound::plain(&r),
                    &env,
                    seed,
                    trials,
                )?;
                c.add(&format!("∂F/∂{v}"), &rep);
            }
            let jvp = shrink::term(&j.jvp.result);
            let rep = crate::numeric::check_directional(
                Bound::plain(&f),
                v,
                &j.jvp.direction,
                Bound::plain(&jvp),
                &env,
                seed,
                trials,
            )?;
            c.add(&format!("JVP ∂/∂{v}"), &rep);
            if let Ok(vjp) = &j.vjp {
                let vc = verify::check(&shrink::derivation(vjp), seed, trials)?;
                for (_, e) in &vc.per_gradient {
                    c.add_error(&format!("VJP ∂/∂{v}"), *e, &vc.sizes);
                }
            }
            time_limit(deadline, &a.problem, self)?;
        }
        Ok(c)
    }

    fn check_hessians(&self, a: &HessianAnswer, deadline: Instant) -> Result<Check> {
        let (seed, trials) = (self.seed, self.limits.trials);
        let mut c = Check::new(seed, trials);
        for h in &a.hessians {
            // A deep network is checked at one point per result.
            let trials = if h.bindings.len() > 32 { 1 } else { trials };
            let gc = verify::check(&shrink::derivation(&h.gradient), seed, trials)?;
            for (v, e) in &gc.per_gradient {
                c.add_error(&format!("∂f/∂{v}"), *e, &gc.sizes);
            }
            let env = shrink::env(&h.problem.env);
            let g = shrink::term(&h.gradient.gradients[0].result);
            let bindings: Vec<(String, crate::term::Term)> = h
                .bindings
                .iter()
                .map(|(n, t)| (n.clone(), shrink::term(t)))
                .collect();
            let gb = Bound {
                term: &g,
                bindings: &bindings[..h.gradient_bindings.min(bindings.len())],
            };
            let (v, w) = (&h.rows, &h.cols);
            if let Some(r) = &h.result {
                let r = shrink::term(r);
                let rep =
                    crate::numeric::check_jacobian(gb, w, Bound::plain(&r), &env, seed, trials)?;
                c.add(&format!("∂²f/∂{v}∂{w}"), &rep);
            }
            let hvp = shrink::term(&h.hvp.result);
            let rep = crate::numeric::check_directional(
                gb,
                w,
                &h.hvp.direction,
                Bound {
                    term: &hvp,
                    bindings: &bindings,
                },
                &env,
                seed,
                trials,
            )?;
            c.add(&format!("HVP ∂²/∂{v}∂{w}"), &rep);
            time_limit(deadline, &a.problem, self)?;
        }
        Ok(c)
    }
}
