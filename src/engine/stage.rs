//! One stage of a derivation: an egg run of one rule table over one term,
//! with limits, and the named steps that egg's explanation gives for it.

use std::time::{Duration, Instant};

use egg::{Extractor, FlatTerm, Id, Language, RecExpr, Runner, SimpleScheduler, StopReason};

use super::lang::{Ctx, EG, Math, ShapeAnalysis};
use super::rule::Rule;
use crate::error::{Error, Result};
use crate::term::Term;

/// The budget of one e-graph run.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Maximum number of e-nodes.
    pub nodes: usize,
    /// Maximum number of iterations.
    pub iterations: usize,
    /// Maximum wall time.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            nodes: 50_000,
            iterations: 200,
            time: Duration::from_secs(5),
        }
    }
}

/// What one e-graph run did, for `--stats`.
#[derive(Clone, Debug, PartialEq)]
pub struct StageStats {
    /// The stage (`differential`, `identification ∂/∂X`, `simplification`).
    pub stage: String,
    /// E-nodes at the end.
    pub nodes: usize,
    /// E-classes at the end.
    pub classes: usize,
    /// Iterations run.
    pub iterations: usize,
    /// Why the run stopped (`saturated` when every rule was exhausted).
    pub stop: String,
    /// Wall time of the run and its extraction, in microseconds.
    pub micros: u128,
}

/// A finished run: the e-graph, the root class and the statistics.
pub struct Stage {
    /// The e-graph after the run.
    pub egraph: EG,
    /// The class of the starting term.
    pub root: Id,
    /// The starting term as added.
    pub start: RecExpr<Math>,
    /// Statistics.
    pub stats: StageStats,
    started: Instant,
}

/// One rewriting step: the whole term after the rule fired, and its name.
#[derive(Clone, Debug)]
pub struct RawStep {
    /// The term after the step.
    pub term: Term,
    /// The rule's name.
    pub rule: String,
}

/// Runs `rules` on `start` until saturation or a limit.
pub fn run(
    ctx: &Ctx,
    start: RecExpr<Math>,
    rules: &[Rule],
    limits: &Limits,
    stage: &str,
    at: &str,
) -> Result<Stage> {
    let started = Instant::now();
    let rewrites: Vec<_> = rules.iter().map(Rule::rewrite).collect();
    let runner: Runner<Math, ShapeAnalysis, ()> = Runner::new(ShapeAnalysis { ctx: ctx.clone() })
        .with_explanations_enabled()
        .with_expr(&start)
        .with_node_limit(limits.nodes)
        .with_iter_limit(limits.iterations)
        .with_time_limit(limits.time)
        .with_scheduler(SimpleScheduler)
        .run(&rewrites);
    let stop = match &runner.stop_reason {
        Some(StopReason::Saturated) | None => "saturated".to_string(),
        Some(StopReason::NodeLimit(n)) => {
            return Err(limit(stage, &format!("node ({n} e-nodes)"), at));
        }
        Some(StopReason::IterationLimit(n)) => {
            return Err(limit(stage, &format!("iteration ({n} iterations)"), at));
        }
        Some(StopReason::TimeLimit(t)) => {
            return Err(limit(stage, &format!("time ({t:.2} s)"), at));
        }
        Some(StopReason::Other(s)) => return Err(limit(stage, s, at)),
    };
    let root = runner.egraph.find(runner.roots[0]);
    if std::env::var("MATDIFF_DEBUG_EGRAPH").is_ok() {
        for c in runner.egraph.classes() {
            eprintln!(
                "{} {:?} d={} : {:?}",
                c.id,
                c.data.shape.as_ref().map(|s| s.to_string()),
                c.data.has_d,
                c.nodes
            );
        }
    }
    let stats = StageStats {
        stage: stage.to_string(),
        nodes: runner.egraph.total_number_of_nodes(),
        classes: runner.egraph.number_of_classes(),
        iterations: runner.iterations.len(),
        stop,
        micros: 0,
    };
    Ok(Stage {
        egraph: runner.egraph,
        root,
        start,
        stats,
        started,
    })
}

fn limit(stage: &str, what: &str, at: &str) -> Error {
    Error::Limit {
        stage: stage.to_string(),
        limit: what.to_string(),
        at: at.to_string(),
    }
}

/// Term size, with ties broken by the (deterministic) order of nodes.
pub struct Size;

impl egg::CostFunction<Math> for Size {
    type Cost = usize;
    fn cost<C: FnMut(Id) -> usize>(&mut self, enode: &Math, mut costs: C) -> usize {
        // A numeric coefficient costs nothing, so `2 A` beats `A + A`.
        let own = usize::from(!matches!(enode, Math::Num(_)));
        enode.fold(own, |acc, id| acc.saturating_add(costs(id)))
    }
}

/// Size, but `d(·)` of anything other than a variable is unusable: picks the
/// form in which every differential sits on a variable.
pub struct DiffDone;

impl egg::CostFunction<Math> for DiffDone {
    type Cost = usize;
    fn cost<C: FnMut(Id) -> usize>(&mut self, enode: &Math, mut costs: C) -> usize {
        match enode {
            Math::D(a) if costs(*a) != 1 => usize::MAX / 4,
            _ => enode.fold(1, |acc, id| acc.saturating_add(costs(id))),
        }
    }
}

impl Stage {
    /// The best term of class `id` by `cost`.
    pub fn best<CF: egg::CostFunction<Math>>(&self, id: Id, cost: CF) -> (CF::Cost, RecExpr<Math>) {
        Extractor::new(&self.egraph, cost).find_best(id)
    }

    /// The steps from the starting term to `target` (which must be in the
    /// root class), as egg explains them, with repeated rules merged and
    /// steps that change nothing visible dropped.
    pub fn steps(
        &mut self,
        ctx: &Ctx,
        rules: &[Rule],
        target: &RecExpr<Math>,
        show: impl Fn(&Term) -> String,
    ) -> Vec<RawStep> {
        let Some(id) = self.egraph.lookup_expr(target) else {
            return vec![];
        };
        if self.egraph.find(id) != self.root {
            return vec![];
        }
        let start = self.start.clone();
        let mut expl = self.egraph.explain_equivalence(&start, target);
        let flat = expl.make_flat_explanation().clone();
        let mut out: Vec<RawStep> = Vec::new();
        let mut last_text = show(&ctx.from_rec(&start));
        for ft in flat.iter().skip(1) {
            let term = ctx.from_rec(&ft.get_recexpr());
            let text = show(&term);
            let rule = rule_of(ft)
                .map(|r| super::rule::display_name(&[rules], &r))
                .unwrap_or_default();
            if std::env::var("MATDIFF_DEBUG_STEPS").is_ok() {
                eprintln!("  step [{rule}] {text}");
            }
            if text == last_text {
                continue;
            }
            last_text = text;
            match out.last_mut() {
                Some(prev) if prev.rule == rule => prev.term = term,
                _ => out.push(RawStep { term, rule }),
            }
        }
        out
    }

    /// Finishes the statistics with the elapsed time.
    pub fn finish(&mut self) -> StageStats {
        self.stats.micros = self.started.elapsed().as_micros();
        self.stats.clone()
    }
}

fn rule_of(ft: &FlatTerm<Math>) -> Option<String> {
    if let Some(r) = ft.forward_rule.or(ft.backward_rule) {
        return Some(r.to_string());
    }
    ft.children.iter().find_map(rule_of)
}
