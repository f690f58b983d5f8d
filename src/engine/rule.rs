//! Named rewrite rules over the n-ary language, as egg searchers and appliers.
//!
//! A rule looks at one e-node (and, where it needs to, the e-nodes of its
//! children's classes), and proposes a rewrite as two small patterns over
//! e-class ids: the structure it matched and the structure it builds. The
//! applier adds exactly the built structure and unions it with the matched
//! one through `union_instantiations`, so that egg's explanations name the
//! rule, and every match adds a bounded number of e-nodes.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use egg::{
    Applier, ENodeOrVar, Id, Language, PatternAst, RecExpr, Rewrite, SearchMatches, Searcher,
    StopReason, Subst, Symbol, Var,
};

use super::lang::{Atom, EG, Math};
use crate::term::Func;
use crate::term::{Number, Term};

/// A pattern built by a rule: e-nodes over existing e-classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pat {
    /// An existing e-class.
    Class(Id),
    /// A new e-node; the ids inside `Math` are ignored, `Vec<Pat>` are its children.
    Node(Math, Vec<Pat>),
}

impl Pat {
    /// A leaf-free node built from an operator template and its children.
    pub fn node(op: Math, children: Vec<Pat>) -> Pat {
        Pat::Node(op, children)
    }

    /// The class `id`.
    pub fn class(id: Id) -> Pat {
        Pat::Class(id)
    }

    /// The class of this structure, if every node of it is in the e-graph.
    pub fn lookup(&self, eg: &EG) -> Option<Id> {
        match self {
            Pat::Class(id) => Some(eg.find(*id)),
            Pat::Node(op, kids) => {
                let ids = kids
                    .iter()
                    .map(|k| k.lookup(eg))
                    .collect::<Option<Vec<_>>>()?;
                let mut node = op.clone();
                for (slot, id) in node.children_mut().iter_mut().zip(ids) {
                    *slot = id;
                }
                eg.lookup(node)
            }
        }
    }
}

#[allow(non_snake_case)]
fn Z() -> Id {
    Id::from(0)
}

/// Builders for patterns, mirroring the operators.
pub mod p {
    use super::*;

    /// `a₁ a₂ … aₖ` (a single factor stands alone).
    pub fn mul(fs: Vec<Pat>) -> Pat {
        // Products are n-ary: a nested product pattern is spliced in.
        let mut fs: Vec<Pat> = fs
            .into_iter()
            .flat_map(|f| match f {
                Pat::Node(Math::Mul(_), kids) => kids,
                f => vec![f],
            })
            .collect();
        if fs.len() == 1 {
            return fs.pop().expect("one factor");
        }
        let n = fs.len();
        Pat::Node(Math::Mul(vec![Z(); n].into()), fs)
    }
    /// `a₁ + … + aₖ`.
    pub fn add(mut ts: Vec<Pat>) -> Pat {
        if ts.len() == 1 {
            return ts.pop().expect("one term");
        }
        let n = ts.len();
        Pat::Node(Math::Add(vec![Z(); n].into()), ts)
    }
    /// `s · a`.
    pub fn scale(s: Pat, a: Pat) -> Pat {
        Pat::Node(Math::Scale([Z(), Z()]), vec![s, a])
    }
    /// `−a`.
    pub fn neg(a: Pat) -> Pat {
        Pat::Node(Math::Neg(Z()), vec![a])
    }
    /// `a ⊙ b`.
    pub fn had(a: Pat, b: Pat) -> Pat {
        Pat::Node(Math::Had([Z(), Z()]), vec![a, b])
    }
    /// `a ./ b`.
    pub fn ediv(a: Pat, b: Pat) -> Pat {
        Pat::Node(Math::EDiv([Z(), Z()]), vec![a, b])
    }
    /// `a / s`.
    pub fn div(a: Pat, s: Pat) -> Pat {
        Pat::Node(Math::Div([Z(), Z()]), vec![a, s])
    }
    /// `aᵀ`.
    pub fn t(a: Pat) -> Pat {
        Pat::Node(Math::Transpose(Z()), vec![a])
    }
    /// `a⁻¹`.
    pub fn inv(a: Pat) -> Pat {
        Pat::Node(Math::Inv(Z()), vec![a])
    }
    /// `a^k`.
    pub fn pow(a: Pat, k: i64) -> Pat {
        Pat::Node(Math::Pow([Z(), Z()]), vec![a, num(k as f64)])
    }
    /// `a .^ q`, elementwise.
    pub fn epow(a: Pat, q: f64) -> Pat {
        Pat::Node(Math::EPow([Z(), Z()]), vec![a, num(q)])
    }
    /// `tr(a)`.
    pub fn tr(a: Pat) -> Pat {
        Pat::Node(Math::App(Func::Tr, [Z()]), vec![a])
    }
    /// `d(a)`.
    pub fn d(a: Pat) -> Pat {
        Pat::Node(Math::D(Z()), vec![a])
    }
    /// A number.
    pub fn num(v: f64) -> Pat {
        Pat::Node(Math::Num(Number(v)), vec![])
    }
    /// An atom leaf.
    pub fn atom(a: Atom) -> Pat {
        Pat::Node(Math::Atom(a), vec![])
    }
    /// A one-argument operator (`op` is a template such as `Math::App(Func::Exp, [Id])`).
    pub fn op1(op: Math, a: Pat) -> Pat {
        Pat::Node(op, vec![a])
    }
    /// A two-argument operator.
    pub fn op2(op: Math, a: Pat, b: Pat) -> Pat {
        Pat::Node(op, vec![a, b])
    }
    /// An existing class.
    pub fn c(id: Id) -> Pat {
        Pat::Class(id)
    }
}

/// The pattern of a term whose variable `hole` stands for the class `at`;
/// other variables become their atoms. `None` for a term the e-graph cannot
/// hold as a pattern (a differential, an unknown variable).
pub fn pat_of_term(eg: &EG, t: &Term, hole: &str, at: Id) -> Option<Pat> {
    use super::rules::{identity_of, ones_of, zero_of};
    let go = |t: &Term| pat_of_term(eg, t, hole, at);
    Some(match t {
        Term::Var(v) if v == hole => p::c(at),
        Term::Var(v) => {
            let i = eg.analysis.ctx.vars.iter().position(|n| n == v)?;
            p::atom(Atom::Var(i as u32))
        }
        Term::Num(n) => p::num(n.0),
        Term::Identity(d) => identity_of(eg, d),
        Term::Ones(s) => ones_of(eg, s),
        Term::Zero(s) => zero_of(eg, s),
        Term::Neg(a) => p::neg(go(a)?),
        Term::Add(ts) => p::add(ts.iter().map(go).collect::<Option<_>>()?),
        Term::Mul(ts) => p::mul(ts.iter().map(go).collect::<Option<_>>()?),
        Term::Scale(a, b) => p::scale(go(a)?, go(b)?),
        Term::Hadamard(a, b) => p::had(go(a)?, go(b)?),
        Term::ElemDiv(a, b) => p::ediv(go(a)?, go(b)?),
        Term::Div(a, b) => p::div(go(a)?, go(b)?),
        Term::Transpose(a) => p::t(go(a)?),
        Term::Inverse(a) => p::inv(go(a)?),
        Term::Pow(a, k) => p::pow(go(a)?, *k),
        Term::EPow(a, q) => p::epow(go(a)?, q.0),
        Term::Apply(f, a) => p::op1(Math::apply(*f, Z()), go(a)?),
        Term::Kron(a, b) => p::op2(Math::Kron([Z(), Z()]), go(a)?, go(b)?),
        Term::VecOf(a) => p::op1(Math::VecOf(Z()), go(a)?),
        Term::Commutation(m, n) => {
            use super::rules::dim_pat;
            p::op2(
                Math::Commutation([Z(), Z()]),
                dim_pat(eg, m),
                dim_pat(eg, n),
            )
        }
        Term::Unknown(..) | Term::Diff(_) => return None,
    })
}

/// The matched structure of a rule and what it becomes.
pub struct Proposal {
    /// What was matched (rooted at the matched e-class).
    pub from: Pat,
    /// What it equals.
    pub to: Pat,
}

/// The display name of the rule with identifier `id` in `tables`.
pub fn display_name(tables: &[&[Rule]], id: &str) -> String {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .find(|r| r.id == id)
        .map_or_else(|| id.to_string(), |r| r.name.to_string())
}

/// The signature of a rule: every rewrite it proposes at one e-node of class `eclass`.
pub type RuleFn = fn(&EG, Id, &Math) -> Vec<Proposal>;

/// A named rule. The name is what a derivation step prints.
#[derive(Clone)]
pub struct Rule {
    /// The short identifier (`trace-cyclic`).
    pub id: &'static str,
    /// What a person calls it (`cyclic property of the trace`).
    pub name: &'static str,
    /// The rule itself.
    pub f: RuleFn,
}

impl Rule {
    /// The egg rewrite that applies this rule within `budget`.
    pub fn rewrite(&self, budget: &Budget) -> Rewrite<Math, super::lang::ShapeAnalysis> {
        let r = DynRule {
            f: self.f,
            budget: budget.clone(),
        };
        Rewrite::new(self.id, r.clone(), r).expect("a rule binds no pattern variables")
    }
}

/// The time and node budget of one e-graph run, checked inside the rules.
/// egg checks its own limits only between rules, and one search or one
/// application can itself grow without bound (a class that absorbs
/// `2·0 = 0`, `2·(2·0) = 0`, … makes every match re-derive a growing list
/// of proposals); the rules stop at the budget and the run reports it.
#[derive(Clone, Debug)]
pub struct Budget {
    deadline: Instant,
    time: Duration,
    nodes: usize,
    hit: Arc<AtomicU8>,
    /// Checks since the clock was last read: reading it on every check
    /// took 40% of a small derivation's time.
    checks: Arc<AtomicU32>,
}

/// The clock is read once in this many checks of the budget.
const CLOCK_EVERY: u32 = 64;

impl Budget {
    /// A budget of `time` from now and `nodes` e-nodes.
    pub fn new(time: Duration, nodes: usize) -> Budget {
        Budget {
            deadline: Instant::now() + time,
            time,
            nodes,
            hit: Arc::new(AtomicU8::new(0)),
            checks: Arc::new(AtomicU32::new(0)),
        }
    }

    /// Whether the budget is spent; the first time it is, that is recorded.
    fn spent(&self, egraph: &EG) -> bool {
        if self.hit.load(Ordering::Relaxed) != 0 {
            return true;
        }
        let read_clock = self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(CLOCK_EVERY);
        let why = if read_clock && Instant::now() >= self.deadline {
            1
        } else if egraph.total_size() > self.nodes {
            2
        } else {
            return false;
        };
        self.hit.store(why, Ordering::Relaxed);
        true
    }

    /// What ran out inside a rule, if anything did, as egg's stop reason.
    pub fn stop_reason(&self) -> Option<StopReason> {
        match self.hit.load(Ordering::Relaxed) {
            1 => Some(StopReason::TimeLimit(self.time.as_secs_f64())),
            2 => Some(StopReason::NodeLimit(self.nodes)),
            _ => None,
        }
    }
}

#[derive(Clone)]
struct DynRule {
    f: RuleFn,
    budget: Budget,
}

/// Turns a pattern into an egg pattern AST, binding each class to a variable.
fn to_ast(p: &Pat, ast: &mut PatternAst<Math>, subst: &mut Subst, vars: &mut Vec<(Id, Var)>) -> Id {
    match p {
        Pat::Class(id) => {
            let var = match vars.iter().find(|(i, _)| i == id) {
                Some((_, v)) => *v,
                None => {
                    let v: Var = format!("?c{}", vars.len()).parse().expect("valid variable");
                    vars.push((*id, v));
                    subst.insert(v, *id);
                    v
                }
            };
            ast.add(ENodeOrVar::Var(var))
        }
        Pat::Node(op, kids) => {
            let ids: Vec<Id> = kids.iter().map(|k| to_ast(k, ast, subst, vars)).collect();
            let mut node = op.clone();
            for (slot, id) in node.children_mut().iter_mut().zip(ids) {
                *slot = id;
            }
            ast.add(ENodeOrVar::ENode(node))
        }
    }
}

/// Reads a pattern AST back into a pattern, resolving variables through `subst`.
fn from_ast(ast: &[ENodeOrVar<Math>], at: Id, subst: &Subst) -> Option<Pat> {
    match &ast[usize::from(at)] {
        ENodeOrVar::Var(v) => subst.get(*v).map(|id| Pat::Class(*id)),
        ENodeOrVar::ENode(n) => {
            let kids = n
                .children()
                .iter()
                .map(|c| from_ast(ast, *c, subst))
                .collect::<Option<Vec<_>>>()?;
            Some(Pat::Node(n.clone(), kids))
        }
    }
}

impl Searcher<Math, super::lang::ShapeAnalysis> for DynRule {
    fn search_eclass_with_limit(
        &self,
        egraph: &EG,
        eclass: Id,
        limit: usize,
    ) -> Option<SearchMatches<'_, Math>> {
        let mut found = Vec::new();
        self.search_class(egraph, eclass, limit, &mut found);
        found.into_iter().next()
    }

    fn search_with_limit(&self, egraph: &EG, limit: usize) -> Vec<SearchMatches<'_, Math>> {
        let mut ids: Vec<Id> = egraph.classes().map(|c| c.id).collect();
        ids.sort();
        let mut found = Vec::new();
        for id in ids {
            if found.len() >= limit || self.budget.spent(egraph) {
                break;
            }
            self.search_class(egraph, id, limit, &mut found);
        }
        found
    }

    fn vars(&self) -> Vec<Var> {
        vec![]
    }
}

impl DynRule {
    /// Every proposal at the nodes of one class, one `SearchMatches` each,
    /// since a `SearchMatches` carries a single matched AST.
    fn search_class<'a>(
        &self,
        egraph: &EG,
        eclass: Id,
        limit: usize,
        found: &mut Vec<SearchMatches<'a, Math>>,
    ) {
        for node in &egraph[eclass].nodes {
            if self.budget.spent(egraph) {
                return;
            }
            for prop in (self.f)(egraph, eclass, node) {
                if found.len() >= limit {
                    return;
                }
                // What is already in the class needs no rewrite.
                if prop.to.lookup(egraph) == Some(egraph.find(eclass)) {
                    continue;
                }
                let mut ast = RecExpr::default();
                let mut subst = Subst::default();
                let mut vars = Vec::new();
                to_ast(&prop.from, &mut ast, &mut subst, &mut vars);
                found.push(SearchMatches {
                    eclass,
                    substs: vec![subst],
                    ast: Some(Cow::Owned(ast)),
                });
            }
        }
    }
}

impl Applier<Math, super::lang::ShapeAnalysis> for DynRule {
    fn apply_matches(
        &self,
        egraph: &mut EG,
        matches: &[SearchMatches<Math>],
        rule_name: Symbol,
    ) -> Vec<Id> {
        let mut changed = vec![];
        for m in matches {
            if self.budget.spent(egraph) {
                break;
            }
            let Some(ast) = m.ast.as_ref() else { continue };
            for subst in &m.substs {
                let nodes = ast.as_ref().as_ref();
                let root = Id::from(nodes.len() - 1);
                let Some(from) = from_ast(nodes, root, subst) else {
                    continue;
                };
                // Re-derive the proposal for exactly this matched structure.
                let to = proposals_at(self.f, egraph, m.eclass)
                    .into_iter()
                    .find(|p| same_structure(egraph, &p.from, &from))
                    .map(|p| p.to);
                let Some(to) = to else { continue };
                let mut from_ast_buf = RecExpr::default();
                let mut to_ast_buf = RecExpr::default();
                let mut s = Subst::default();
                let mut vars = Vec::new();
                to_ast(&from, &mut from_ast_buf, &mut s, &mut vars);
                to_ast(&to, &mut to_ast_buf, &mut s, &mut vars);
                let (id, did) =
                    egraph.union_instantiations(&from_ast_buf, &to_ast_buf, &s, rule_name);
                if did {
                    changed.push(id);
                }
            }
        }
        changed
    }

    fn apply_one(
        &self,
        _egraph: &mut EG,
        _eclass: Id,
        _subst: &Subst,
        _searcher_ast: Option<&PatternAst<Math>>,
        _rule_name: Symbol,
    ) -> Vec<Id> {
        // Everything happens in apply_matches, which sees the whole match.
        vec![]
    }
}

fn proposals_at(f: RuleFn, egraph: &EG, eclass: Id) -> Vec<Proposal> {
    let nodes = egraph[eclass].nodes.clone();
    nodes.iter().flat_map(|n| f(egraph, eclass, n)).collect()
}

fn same_structure(egraph: &EG, a: &Pat, b: &Pat) -> bool {
    match (a, b) {
        (Pat::Class(x), Pat::Class(y)) => egraph.find(*x) == egraph.find(*y),
        (Pat::Node(n, xs), Pat::Node(m, ys)) => {
            std::mem::discriminant(n) == std::mem::discriminant(m)
                && xs.len() == ys.len()
                && leaf_eq(n, m)
                && xs.iter().zip(ys).all(|(x, y)| same_structure(egraph, x, y))
        }
        _ => false,
    }
}

fn leaf_eq(a: &Math, b: &Math) -> bool {
    match (a, b) {
        (Math::Num(x), Math::Num(y)) => x == y,
        (Math::Atom(x), Math::Atom(y)) => x == y,
        _ => true,
    }
}
