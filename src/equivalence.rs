//! Whether two terms are equal for all values: proved by rewriting, refuted
//! by numbers, or left unknown.
//!
//! Both terms go into one e-graph with explanations on, and the rules of
//! [`RULES`] (the simplification table and the general algebra table) run
//! until the two roots meet, the graph saturates, or a limit is hit. When
//! the roots meet, egg's explanation of why they are equal becomes the proof:
//! one step per rule, each the whole term after the rule. Otherwise the two
//! terms are evaluated at random points ([`numeric::compare`]): a point where
//! they differ refutes the claim. Terms that agree numerically but were not
//! proved equal are reported as unknown, with the reason: a limit that was
//! hit, or that the rules found no proof. A limit never means "not equal".
//!
//! This module runs its own egg runner rather than `engine::stage::run`:
//! that function turns a limit into an error and cannot stop when two roots
//! meet, and a proof found before a limit must not be lost.

use egg::{Runner, SimpleScheduler, StopReason};
use nalgebra::DMatrix;

use crate::budget;
use crate::engine::Limits;
use crate::engine::lang::{Ctx, Math, ShapeAnalysis};
use crate::engine::rule::{Budget, Rule};
use crate::engine::rules::{algebra, kron, simplify};
pub use crate::engine::stage::Rewrite;
use crate::engine::stage::flat_steps;
use crate::error::{Error, Result};
use crate::numeric::{self, Counterexample};
use crate::render::text::{self, Style};
use crate::shape::Env;
use crate::term::Term;

/// The rules an equivalence proof may use: the simplification table, the
/// general algebra table, then the Kronecker identities.
pub fn rules() -> Vec<Rule> {
    let mut rules = algebra::with_simplification();
    rules.extend(kron::algebra());
    rules
}

/// The tables [`rules`] is made of, for naming the steps of a proof.
pub const RULES: &[&[Rule]] = &[
    simplify::RULES,
    algebra::RULES,
    kron::SIMPLIFY,
    kron::ALGEBRA,
];

/// Random points at which two terms are compared.
pub const TRIALS: u32 = 5;

/// A proof that two terms are equal: steps that turn the left term into the
/// right one.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof {
    /// The left term.
    pub left: Term,
    /// The right term.
    pub right: Term,
    /// The steps from `left` to `right` (none when they are the same term).
    pub steps: Vec<Rewrite>,
}

/// The answer to "are these two terms equal for all values?".
#[derive(Clone, Debug, PartialEq)]
pub enum Equivalence {
    /// Equal, with a proof.
    Proved(Proof),
    /// Not equal: a point where the values differ.
    Refuted(Box<Counterexample>),
    /// Equal at every random point tried, but not proved; the reason says why.
    Unknown(String),
}

impl Equivalence {
    /// Whether the terms were proved equal.
    pub fn is_proved(&self) -> bool {
        matches!(self, Equivalence::Proved(_))
    }

    /// The answer as text. With `explain`, a proof lists its steps; a
    /// counterexample always shows the sizes and values (3 decimals).
    pub fn render(&self, explain: bool, style: Style) -> String {
        match self {
            Equivalence::Proved(proof) => {
                let mut out = String::from("equal (proved)\n");
                if explain {
                    out.push('\n');
                    out.push_str(&steps_text(&proof.left, &proof.steps, style));
                }
                out
            }
            Equivalence::Refuted(c) => {
                let mut out = String::from("not equal: the two sides differ at this point\n");
                out.push_str(&counterexample_text(c, style));
                out
            }
            Equivalence::Unknown(reason) => format!("unknown: {reason}\n"),
        }
    }
}

/// The lines `start`, `= term    rule`, … with the rules aligned.
pub fn steps_text(start: &Term, steps: &[Rewrite], style: Style) -> String {
    let first = text::show(start, style);
    let lines: Vec<(String, String)> = steps
        .iter()
        .map(|s| {
            (
                format!("  = {}", text::show(&s.term, style)),
                s.rule.text(style),
            )
        })
        .collect();
    let col = lines
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(72)
        + 4;
    let mut out = format!("{first}\n");
    for (l, r) in lines {
        let pad = col.saturating_sub(l.chars().count()).max(2);
        out.push_str(&format!("{l}{}{r}\n", " ".repeat(pad)));
    }
    out
}

/// A matrix with 3 decimals, one row per line after the first.
fn matrix_text(m: &DMatrix<f64>) -> String {
    if m.nrows() == 1 && m.ncols() == 1 {
        return format!("{:.3}", m[(0, 0)]);
    }
    let rows: Vec<String> = (0..m.nrows())
        .map(|i| {
            let cells: Vec<String> = (0..m.ncols())
                .map(|j| format!("{:7.3}", m[(i, j)]))
                .collect();
            format!("[{}]", cells.join(" "))
        })
        .collect();
    rows.join("\n      ")
}

/// The sizes, the values of the variables and of both sides.
impl Counterexample {
    /// The point as text: the sizes, every variable's value (3 decimals),
    /// both sides and their relative difference.
    pub fn render(&self, style: Style) -> String {
        counterexample_text(self, style)
    }
}

/// The text of [`Counterexample::render`].
pub fn counterexample_text(c: &Counterexample, style: Style) -> String {
    let mut out = String::new();
    if !c.sizes.is_empty() {
        let sizes: Vec<String> = c.sizes.iter().map(|(d, n)| format!("{d} = {n}")).collect();
        out.push_str(&format!("  sizes: {}\n", sizes.join(", ")));
    }
    let width = c
        .values
        .keys()
        .map(|k| text::name(k, style).chars().count())
        .chain([5])
        .max()
        .unwrap_or(5);
    let mut line = |name: &str, m: &DMatrix<f64>| {
        let body = matrix_text(m).replace("\n      ", &format!("\n{}", " ".repeat(width + 5)));
        out.push_str(&format!("  {name:width$} = {body}\n"));
    };
    for (name, m) in &c.values {
        line(&text::name(name, style), m);
    }
    line("left", &c.left);
    line("right", &c.right);
    out.push_str(&format!("  relative difference {:.2e}\n", c.rel_difference));
    out
}

/// How the e-graph search ended.
enum Search {
    /// The roots met; the steps from the left term to the right one.
    Met(Vec<Rewrite>),
    /// No proof; why not.
    NotFound(String),
}

/// Decides whether `a` and `b` (of one shape, over the variables of `env`)
/// are equal.
pub fn decide(a: &Term, b: &Term, env: &Env, limits: &Limits, seed: u64) -> Result<Equivalence> {
    let (a, b) = &share_free_dims(a, b, env);
    if a == b {
        return Ok(Equivalence::Proved(Proof {
            left: a.clone(),
            right: b.clone(),
            steps: Vec::new(),
        }));
    }
    // The node limit bounds the number of e-nodes, not their width: a term
    // past the size limit is only compared by numbers.
    let size = budget::term_size(a).saturating_add(budget::term_size(b));
    let search = if size > budget::MAX_TERM_SIZE {
        Search::NotFound(format!(
            "the two sides are too large for the rewrite rules ({size} nodes, the limit is {})",
            budget::MAX_TERM_SIZE
        ))
    } else {
        search(a, b, env, limits)
    };
    let numbers = numeric::compare(a, b, env, seed, TRIALS);
    match search {
        Search::Met(steps) => {
            // The rules are sound, so the numbers must agree; if they do not,
            // a rule is wrong and the proof must not be reported.
            if let Ok(cmp) = &numbers
                && let Some(c) = &cmp.counterexample
            {
                return Err(Error::CheckFailed {
                    detail: format!(
                        "a proof of equality was found, but the two sides differ numerically \
                         (relative difference {:.2e}): a rewrite rule is unsound",
                        c.rel_difference
                    ),
                });
            }
            Ok(Equivalence::Proved(Proof {
                left: a.clone(),
                right: b.clone(),
                steps,
            }))
        }
        Search::NotFound(reason) => {
            let cmp = numbers?;
            match cmp.counterexample {
                Some(c) if confirmed(a, b, &c) => Ok(Equivalence::Refuted(Box::new(c))),
                Some(c) => Ok(Equivalence::Unknown(format!(
                    "{reason}; the two sides seemed to differ at a random point (relative difference {:.1e}), \
                     but the difference did not reproduce when the point was evaluated again",
                    c.rel_difference
                ))),
                None => Ok(Equivalence::Unknown(format!(
                    "{reason}; the two sides agree at {} random points (largest relative difference {:.1e})",
                    cmp.trials, cmp.max_rel_difference
                ))),
            }
        }
    }
}

/// Whether a counterexample is one: both sides evaluated again at its point
/// (the same sizes and values) still differ by the tolerance.
fn confirmed(a: &Term, b: &Term, c: &Counterexample) -> bool {
    let point = numeric::Values {
        vars: c.values.clone(),
        dims: c.sizes.clone(),
    };
    match (numeric::eval(a, &point), numeric::eval(b, &point)) {
        (Ok(l), Ok(r)) => numeric::difference(&l, &r) >= numeric::TOLERANCE,
        _ => false,
    }
}

/// The two sides with their free dimensions shared. An `I`, `𝟙` or `0`
/// whose size no variable forces gets a dimension of its own when checked
/// (`tr(I)` is tr(I_n)); the same symbol on the other side is meant to be
/// the same matrix, so the free dimensions of the two sides are paired in
/// order of appearance (a free one takes the other side's): `tr(I)` equals
/// `tr(I)`, and `tr(I) + tr(X)` equals `tr(X + I)`.
fn share_free_dims(a: &Term, b: &Term, env: &Env) -> (Term, Term) {
    use crate::shape::{Dim, Shape};
    use std::collections::BTreeMap;
    let forced: Vec<&Dim> = env
        .vars
        .values()
        .flat_map(|v| [&v.shape.rows, &v.shape.cols])
        .collect();
    let free = |d: &Dim| matches!(d, Dim::Sym(_)) && !forced.contains(&d);
    fn constants(t: &Term, out: &mut Vec<Dim>) {
        match t {
            Term::Identity(d) => out.push(d.clone()),
            Term::Ones(s) | Term::Zero(s) => out.extend([s.rows.clone(), s.cols.clone()]),
            _ => t.children().into_iter().for_each(|c| constants(c, out)),
        }
    }
    let (mut da, mut db) = (Vec::new(), Vec::new());
    constants(a, &mut da);
    constants(b, &mut db);
    let (mut map_a, mut map_b): (BTreeMap<Dim, Dim>, BTreeMap<Dim, Dim>) = Default::default();
    for (x, y) in da.iter().zip(&db) {
        if x == y || map_a.contains_key(x) || map_b.contains_key(y) {
            continue;
        }
        if free(y) {
            map_b.insert(y.clone(), x.clone());
        } else if free(x) {
            map_a.insert(x.clone(), y.clone());
        }
    }
    fn rename(t: &Term, map: &BTreeMap<Dim, Dim>) -> Term {
        let d = |d: &Dim| map.get(d).cloned().unwrap_or_else(|| d.clone());
        match t {
            Term::Identity(x) => Term::Identity(d(x)),
            Term::Ones(s) => Term::Ones(Shape::new(d(&s.rows), d(&s.cols))),
            Term::Zero(s) => Term::Zero(Shape::new(d(&s.rows), d(&s.cols))),
            _ => t.map_children(|c| rename(c, map)),
        }
    }
    let rename_all = |t: &Term, map: &BTreeMap<Dim, Dim>| {
        if map.is_empty() {
            t.clone()
        } else {
            rename(t, map)
        }
    };
    (rename_all(a, &map_a), rename_all(b, &map_b))
}

fn search(a: &Term, b: &Term, env: &Env, limits: &Limits) -> Search {
    let mut ctx = Ctx::new(env.clone());
    let left = ctx.to_rec(a);
    let right = ctx.to_rec(b);
    let rules = rules();
    let time = limits.time_left();
    let budget = Budget::new(time, limits.nodes);
    let rewrites: Vec<_> = rules.iter().map(|r| r.rewrite(&budget)).collect();
    let mut runner: Runner<Math, ShapeAnalysis, ()> = crate::engine::stage::uncalibrated(|| {
        Runner::new(ShapeAnalysis { ctx: ctx.clone() })
            .with_explanations_enabled()
            .with_expr(&left)
            .with_expr(&right)
            .with_node_limit(limits.nodes)
            .with_iter_limit(limits.iterations)
            .with_time_limit(time)
            .with_scheduler(SimpleScheduler)
            .with_hook(|r| {
                if r.egraph.find(r.roots[0]) == r.egraph.find(r.roots[1]) {
                    Err(MET.to_string())
                } else {
                    Ok(())
                }
            })
            .run(&rewrites)
    });
    if runner.egraph.find(runner.roots[0]) != runner.egraph.find(runner.roots[1]) {
        // A budget spent inside a rule is a limit whatever egg concluded.
        let reason = budget.stop_reason().or_else(|| runner.stop_reason.clone());
        let reason = match &reason {
            Some(StopReason::Saturated) | None => {
                "no proof found within the rule set (the rewrites saturated)".to_string()
            }
            Some(StopReason::NodeLimit(n)) => {
                format!("no proof found before the node limit ({n} e-nodes)")
            }
            Some(StopReason::IterationLimit(n)) => {
                format!("no proof found before the iteration limit ({n} iterations)")
            }
            Some(StopReason::TimeLimit(t)) => {
                format!("no proof found before the time limit ({t:.2} s)")
            }
            Some(StopReason::Other(s)) => format!("no proof found ({s})"),
        };
        return Search::NotFound(reason);
    }
    let mut expl = runner.explain_equivalence(&left, &right);
    let flat = expl.make_flat_explanation().clone();
    let show = |t: &Term| text::show(t, Style::default());
    Search::Met(flat_steps(&ctx, RULES, &left, flat.iter().skip(1), show))
}

const MET: &str = "the two sides met";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_counterexample_is_evaluated_again_before_it_is_believed() {
        let x = Term::var("x");
        let two_x = Term::Scale(Box::new(Term::num(2.0)), Box::new(x.clone()));
        let one = DMatrix::from_element(1, 1, 1.0);
        let mut values = BTreeMap::new();
        values.insert("x".to_string(), one.clone());
        let claim = |left: f64, right: f64| Counterexample {
            sizes: BTreeMap::new(),
            values: values.clone(),
            left: DMatrix::from_element(1, 1, left),
            right: DMatrix::from_element(1, 1, right),
            rel_difference: 0.5,
        };
        // x and 2x differ at x = 1: confirmed.
        assert!(confirmed(&x, &two_x, &claim(1.0, 2.0)));
        // x and x do not, whatever a claim says.
        assert!(!confirmed(&x, &x, &claim(1.0, 2.0)));
    }
}
