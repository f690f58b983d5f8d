//! One stage of a derivation: an egg run of one rule table over one term,
//! with limits, and the named steps that egg's explanation gives for it.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use egg::{
    Extractor, FlatTerm, Id, Language, RecExpr, Runner, SimpleScheduler, StopReason, TreeTerm,
};

use super::lang::{Ctx, EG, Math, ShapeAnalysis};
use super::rule::{Budget, Rule};
use super::why::Why;
use crate::error::{Error, LimitKind, Result};
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
    /// When the whole query must end: a run gets at most the time left.
    pub deadline: Option<Instant>,
}

impl Limits {
    /// The time one run may take now: [`Limits::time`], or less when the
    /// query's deadline is nearer.
    pub fn time_left(&self) -> Duration {
        match self.deadline {
            Some(d) => self.time.min(d.saturating_duration_since(Instant::now())),
            None => self.time,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            nodes: 50_000,
            iterations: 200,
            time: Duration::from_secs(5),
            deadline: None,
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

/// One rewriting step: the whole term after the rule fired, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rewrite {
    /// The term after the step.
    pub term: Term,
    /// The rule (or, for a summarised stage, the rules).
    pub rule: Why,
}

/// Runs `rules` on `start` until saturation or a limit.
pub fn run(
    ctx: &Ctx,
    start: RecExpr<Math>,
    rules: &[Rule],
    limits: &Limits,
    stage: &str,
    at: &Term,
) -> Result<Stage> {
    let started = Instant::now();
    let time = limits.time_left();
    if time.is_zero() {
        return Err(limit(stage, LimitKind::Time(limits.time.as_secs_f64()), at));
    }
    let budget = Budget::new(time, limits.nodes);
    let rewrites: Vec<_> = rules.iter().map(|r| r.rewrite(&budget)).collect();
    let runner: Runner<Math, ShapeAnalysis, ()> = uncalibrated(|| {
        Runner::new(ShapeAnalysis { ctx: ctx.clone() })
            .with_explanations_enabled()
            .with_expr(&start)
            .with_node_limit(limits.nodes)
            .with_iter_limit(limits.iterations)
            .with_time_limit(time)
            .with_scheduler(SimpleScheduler)
            .run(&rewrites)
    });
    // A budget spent inside a rule is a limit whatever egg concluded (it
    // may have seen an iteration with nothing applied as saturation).
    let reason = budget.stop_reason().or_else(|| runner.stop_reason.clone());
    let stop = match &reason {
        Some(StopReason::Saturated) | None => "saturated".to_string(),
        Some(StopReason::NodeLimit(n)) => {
            return Err(limit(stage, LimitKind::Nodes(*n), at));
        }
        Some(StopReason::IterationLimit(n)) => {
            return Err(limit(stage, LimitKind::Iterations(*n), at));
        }
        Some(StopReason::TimeLimit(t)) => {
            return Err(limit(stage, LimitKind::Time(*t), at));
        }
        // The rules stop only for the budget (reported above).
        Some(StopReason::Other(_)) => {
            return Err(limit(stage, LimitKind::Time(time.as_secs_f64()), at));
        }
    };
    let root = runner.egraph.find(runner.roots[0]);
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

/// Runs `f` (an egg run) without egg's own clock. egg times its runs with
/// `quanta`, whose first reading calibrates the processor's counter in a
/// busy loop of at least half a millisecond, and up to 200 ms on a noisy
/// machine: most of the time of a small derivation. The time limit does
/// not need it: the rules' `Budget` reads the system clock inside every
/// search and application and stops the run, which is then reported as
/// that limit. egg's iteration and node limits are unaffected.
pub fn uncalibrated<T>(f: impl FnOnce() -> T) -> T {
    let (clock, _) = quanta::Clock::mock();
    quanta::with_clock(&clock, f)
}

fn limit(stage: &str, limit: LimitKind, at: &Term) -> Error {
    Error::Limit {
        stage: stage.to_string(),
        limit,
        at: Box::new(at.clone()),
    }
}

/// What a person reads, with ties broken by the (deterministic) order of
/// nodes: the number of operators and leaves of the term, as its text or
/// its NumPy code counts them. An n-ary product or sum of k operands counts
/// k − 1 operators; an integer coefficient costs nothing, so `2 A` beats
/// `A + A`; a fraction costs one (`x / 2` beats `0.5 x`), and a negative
/// number is never chosen while `−` can be written in front. Among forms of
/// one size, transposes go outside (`X⁻ᵀ`, not `(Xᵀ)⁻¹`; `(X²)ᵀ`, not
/// `(Xᵀ)²`) and an inverse is written `X⁻¹`, not `X^(−1)`.
pub struct Size;

/// The cost of a form under [`Size`]: its size, then the tie-breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Readable {
    /// Operators and leaves.
    pub size: usize,
    /// Transposes inside inverses or powers, powers written for inverses,
    /// and parentheses.
    pub awkward: usize,
    /// How the form binds at its top, for its parent's parentheses.
    top: Binding,
    /// Whether the form is the number −1.
    minus_one: bool,
    /// Whether the form is a number.
    number: bool,
    /// Whether the form is a number times something (`2 W`).
    numbered: bool,
}

/// The operator at the top of a form, as the text renderer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Binding {
    Sum,
    Product,
    Scaled,
    Quotient,
    Hadamard,
    ElemQuotient,
    Unary,
    Postfix,
    Inverse,
    Transpose,
    Atom,
}

impl Binding {
    /// The binding strength, loosest first.
    fn level(self) -> u8 {
        use Binding::*;
        match self {
            Sum => 0,
            Product | Scaled | Quotient | Hadamard | ElemQuotient => 1,
            Unary => 2,
            Postfix | Inverse | Transpose => 3,
            Atom => 4,
        }
    }
}

fn binding(enode: &Math) -> Binding {
    match enode {
        Math::Add(_) => Binding::Sum,
        Math::Mul(_) => Binding::Product,
        Math::Scale(_) => Binding::Scaled,
        Math::Div(_) => Binding::Quotient,
        Math::Had(_) => Binding::Hadamard,
        Math::EDiv(_) => Binding::ElemQuotient,
        Math::Neg(_) => Binding::Unary,
        Math::Num(n) if n.0 < 0.0 => Binding::Unary,
        Math::Transpose(_) => Binding::Transpose,
        Math::Inv(_) => Binding::Inverse,
        Math::Pow(_) | Math::EPow(_) => Binding::Postfix,
        _ => Binding::Atom,
    }
}

/// Whether operand `i` of `enode`, binding as `child`, is printed in
/// parentheses (as `render::text` writes it).
fn parenthesised(enode: &Math, i: usize, child: Binding) -> bool {
    use Binding::*;
    let below = |min: Binding| child.level() < min.level();
    match enode {
        Math::Neg(_) => below(Product) || child == Unary,
        Math::Add(_) => below(Product),
        Math::Mul(_) | Math::Scale(_) if i == 0 => child != Scaled && below(Postfix),
        Math::Scale(_) => !matches!(child, Product | Scaled | Hadamard) && below(Postfix),
        Math::Had(_) | Math::EDiv(_) if i == 0 => child != Hadamard && below(Postfix),
        Math::Div(_) if i == 0 => below(Product),
        Math::Mul(_) | Math::Had(_) | Math::EDiv(_) | Math::Div(_) => below(Postfix),
        Math::Transpose(_) => child != Inverse && below(Atom),
        Math::Inv(_) | Math::Pow(_) | Math::EPow(_) => i == 0 && below(Atom),
        _ => false,
    }
}

impl egg::CostFunction<Math> for Size {
    type Cost = Readable;
    fn cost<C: FnMut(Id) -> Readable>(&mut self, enode: &Math, mut costs: C) -> Readable {
        let (own, operands): (usize, &[Id]) = match enode {
            Math::Num(n) if n.0 < 0.0 => (3, &[]),
            Math::Num(n) if n.0.fract() != 0.0 => (1, &[]),
            Math::Num(_) => (0, &[]),
            // Dimensions are part of I, 𝟙 and 0, which count as one.
            Math::Atom(a) if !matches!(a, super::lang::Atom::Var(_)) => (0, &[]),
            Math::Add(xs) | Math::Mul(xs) => (xs.len().saturating_sub(1).max(1), xs),
            // The exponent is a superscript (`X⁻²`) or `.^q`, never a
            // negative number in front.
            Math::Pow([a, _]) | Math::EPow([a, _]) => (1, std::slice::from_ref(a)),
            other => (1, other.children()),
        };
        let mut awkward = 0usize;
        if let Math::Inv(a) | Math::Pow([a, _]) = enode
            && costs(*a).top == Binding::Transpose
        {
            awkward += 1;
        }
        if let Math::Pow([_, k]) = enode
            && costs(*k).minus_one
        {
            awkward += 1;
        }
        // The number in front: `2 λ W`, not `λ 2 W`; `2 A X`, not `(2 A) X`.
        if let Math::Scale([c, a]) = enode
            && !costs(*c).number
            && (costs(*a).number || costs(*a).numbered)
        {
            awkward += 1;
        }
        if let Math::Mul(fs) = enode
            && costs(fs[0]).numbered
        {
            awkward += 1;
        }
        // One fraction bar: `a / (2 s)`, not `a / s / 2`.
        if let Math::Div([a, _]) = enode
            && costs(*a).top == Binding::Quotient
        {
            awkward += 1;
        }
        let mut size = own;
        for (i, &c) in operands.iter().enumerate() {
            let k = costs(c);
            size = size.saturating_add(k.size);
            awkward = awkward
                .saturating_add(k.awkward)
                .saturating_add(usize::from(parenthesised(enode, i, k.top)));
        }
        Readable {
            size,
            awkward,
            top: binding(enode),
            minus_one: matches!(enode, Math::Num(n) if n.0 == -1.0),
            number: matches!(enode, Math::Num(_)),
            numbered: matches!(enode, Math::Scale([c, _]) if costs(*c).number),
        }
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
    ) -> Vec<Rewrite> {
        let Some(id) = self.egraph.lookup_expr(target) else {
            return vec![];
        };
        if self.egraph.find(id) != self.root {
            return vec![];
        }
        let start = self.start.clone();
        let mut expl = self.egraph.explain_equivalence(&start, target);
        // Flattening copies the whole term at every step: a long explanation
        // of a large term is summarised instead of printed.
        let (steps, terms, names) = proof_outline(&expl.explanation_trees);
        let size = tree_size(&start).max(tree_size(target));
        let cost = terms.saturating_mul(size);
        if cost > FLAT_BUDGET {
            let rules = names.iter().filter_map(|r| rule_id(rules, r)).collect();
            return vec![Rewrite {
                term: ctx.from_rec(target),
                rule: Why::Summary { rules, steps, size },
            }];
        }
        let flat = expl.make_flat_explanation();
        flat_steps(ctx, &[rules], &start, flat.iter().skip(1), show)
    }

    /// Finishes the statistics with the elapsed time.
    pub fn finish(&mut self) -> StageStats {
        self.stats.micros = self.started.elapsed().as_micros();
        self.stats.clone()
    }
}

/// The most work that printing one explanation step by step may cost,
/// counted as proof terms × term size (egg's flattening rebuilds the term
/// for every proof term; measured at 4–11 ns per unit, so the budget is
/// about 0.1–0.2 s); beyond it the steps are summarised.
const FLAT_BUDGET: u64 = 20_000_000;

/// The number of rewrite steps and of proof terms of an explanation once
/// flattened (counted without its sharing, saturating), and the rules it
/// uses, in order of first use.
fn proof_outline(trees: &[Rc<TreeTerm<Math>>]) -> (u64, u64, Vec<String>) {
    /// (rewrite steps, tree terms), both counted without sharing.
    fn walk(
        t: &Rc<TreeTerm<Math>>,
        memo: &mut HashMap<*const TreeTerm<Math>, (u64, u64)>,
        names: &mut Vec<String>,
    ) -> (u64, u64) {
        let key = Rc::as_ptr(t);
        if let Some(&n) = memo.get(&key) {
            return n;
        }
        let mut steps = u64::from(t.forward_rule.is_some() || t.backward_rule.is_some());
        let mut terms = 1u64;
        if let Some(r) = t.forward_rule.or(t.backward_rule) {
            let r = r.to_string();
            if !names.contains(&r) {
                names.push(r);
            }
        }
        for proof in &t.child_proofs {
            for c in proof {
                let (s, n) = walk(c, memo, names);
                steps = steps.saturating_add(s);
                terms = terms.saturating_add(n);
            }
        }
        memo.insert(key, (steps, terms));
        (steps, terms)
    }
    let mut memo = HashMap::new();
    let mut names = Vec::new();
    let (steps, terms) = trees.iter().fold((0u64, 0u64), |(s, n), t| {
        let (s2, n2) = walk(t, &mut memo, &mut names);
        (s.saturating_add(s2), n.saturating_add(n2))
    });
    (steps, terms, names)
}

/// The number of nodes of a term written out as a tree (saturating).
fn tree_size(e: &RecExpr<Math>) -> u64 {
    let mut sizes: Vec<u64> = Vec::with_capacity(e.as_ref().len());
    for n in e.as_ref() {
        let s = n
            .children()
            .iter()
            .fold(1u64, |acc, &c| acc.saturating_add(sizes[usize::from(c)]));
        sizes.push(s);
    }
    sizes.last().copied().unwrap_or(0)
}

/// The term of one explanation step. (egg's `FlatTerm::get_recexpr` prints
/// the term and parses it back, which dominated the time of small runs.)
fn rec_of(ft: &FlatTerm<Math>) -> RecExpr<Math> {
    fn add(ft: &FlatTerm<Math>, out: &mut RecExpr<Math>) -> Id {
        let ids: Vec<Id> = ft.children.iter().map(|c| add(c, out)).collect();
        let mut node = ft.node.clone();
        for (slot, id) in node.children_mut().iter_mut().zip(ids) {
            *slot = id;
        }
        out.add(node)
    }
    let mut out = RecExpr::default();
    add(ft, &mut out);
    out
}

/// The static id of the rule named `name` in `rules`.
fn rule_id(rules: &[Rule], name: &str) -> Option<&'static str> {
    rules.iter().find(|r| r.id == name).map(|r| r.id)
}

/// Egg's flat explanation as named steps: each step the whole term after
/// one rule, steps that change nothing visible dropped, and consecutive
/// steps by rules of one name merged into one line.
pub fn flat_steps<'a>(
    ctx: &Ctx,
    tables: &[&[Rule]],
    start: &RecExpr<Math>,
    flat: impl Iterator<Item = &'a FlatTerm<Math>>,
    show: impl Fn(&Term) -> String,
) -> Vec<Rewrite> {
    let mut out: Vec<Rewrite> = Vec::new();
    let mut last_text = show(&ctx.from_rec(start));
    for ft in flat {
        let term = ctx.from_rec(&rec_of(ft));
        let text = show(&term);
        let Some(rule) = rule_of(ft).and_then(|r| tables.iter().find_map(|t| rule_id(t, &r)))
        else {
            continue;
        };
        if text == last_text {
            continue;
        }
        last_text = text;
        let rule = Why::Rule(rule);
        match out.last_mut() {
            Some(prev) if prev.rule.to_string() == rule.to_string() => prev.term = term,
            _ => out.push(Rewrite { term, rule }),
        }
    }
    out
}

fn rule_of(ft: &FlatTerm<Math>) -> Option<String> {
    if let Some(r) = ft.forward_rule.or(ft.backward_rule) {
        return Some(r.to_string());
    }
    ft.children.iter().find_map(rule_of)
}
