//! Cost models for extraction: term size (the default) and floating-point
//! operations for concrete dimensions (`--cost flops`).
//!
//! FLOPs are counted as in a straightforward evaluation: a product of an
//! `m×k` and a `k×n` matrix costs `2mkn` (a multiply-add is two operations),
//! a sum or an elementwise operation costs one per entry, a transpose is free
//! (a view), an inverse or a determinant of order `n` costs `2n³`. An n-ary
//! product is evaluated left to right, as NumPy evaluates `A @ B @ C`; a
//! nested product is evaluated as grouped. A subexpression used twice is
//! counted once, since it is computed once.
//!
//! Counts are `u128`: a product of three 3,000,000×3,000,000 matrices needs
//! about 10²⁰ operations, past `u64`. A count that does not fit even there
//! (dimensions near 10¹³) saturates at [`SATURATED`], which [`describe`]
//! prints as a bound, never as an exact number.

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use egg::{CostFunction, Id, Language, RecExpr};

use super::lang::{EG, Math};
use super::stage::Rewrite;
use crate::registry::FlopClass;
use crate::shape::{Dim, Env, Shape};
use crate::term::{Func, Term};

/// How extraction chooses among equal forms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CostModel {
    /// The smallest term.
    #[default]
    Size,
    /// The fewest floating-point operations for the declared (concrete)
    /// dimensions; products are regrouped in matrix-chain order.
    Flops,
}

/// The symbolic dimensions of `env`, which a FLOP count cannot price.
pub fn symbolic_dims(env: &Env) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in env.vars.values() {
        for d in [&v.shape.rows, &v.shape.cols] {
            if let Dim::Sym(s) = d
                && !out.contains(s)
            {
                out.push(s.clone());
            }
        }
    }
    out
}

/// A number of floating-point operations.
pub type Count = u128;

/// The saturated count: at least this many operations.
pub const SATURATED: Count = Count::MAX;

/// A count as text with thousands separators (`1,234,567`); a saturated
/// count is a bound (`more than 340,282,…`), since it is not exact.
pub fn describe(n: Count) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n == SATURATED {
        format!("more than {out}")
    } else {
        out
    }
}

fn lit(d: &Dim) -> Option<Count> {
    match d {
        Dim::Lit(n) => Some(Count::from(*n)),
        Dim::Sym(_) | Dim::Prod(_) => None,
    }
}

fn dims(s: &Shape) -> Option<(Count, Count)> {
    Some((lit(&s.rows)?, lit(&s.cols)?))
}

/// `2mkn`, saturating: the FLOPs of an `m×k` times `k×n` product.
fn matmul(m: Count, k: Count, n: Count) -> Count {
    2u128.saturating_mul(m).saturating_mul(k).saturating_mul(n)
}

/// The FLOPs of evaluating a chain with dimensions `p` (factor `i` is
/// `p[i] × p[i+1]`) from left to right.
pub fn left_to_right(p: &[Count]) -> Count {
    (2..p.len()).fold(0, |acc: Count, j| {
        acc.saturating_add(matmul(p[0], p[j - 1], p[j]))
    })
}

/// An order of evaluation of a chain: a factor, or the product of two groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// Factor `i` of the chain.
    Factor(usize),
    /// The product of two consecutive groups.
    Product(Box<Order>, Box<Order>),
}

/// The cheapest order of a chain with dimensions `p` and its FLOPs: the
/// classic matrix-chain dynamic programme, `O(k³)` for `k` factors
/// (Cormen et al., Introduction to Algorithms, §15.2).
pub fn chain_order(p: &[Count]) -> (Count, Order) {
    let k = p.len().saturating_sub(1);
    if k == 0 {
        return (0, Order::Factor(0));
    }
    // cost[i][j], split[i][j] for the factors i..=j.
    let mut cost: Vec<Vec<Count>> = vec![vec![0; k]; k];
    let mut split = vec![vec![0usize; k]; k];
    for len in 2..=k {
        for i in 0..=k - len {
            let j = i + len - 1;
            // The first split is taken even when every cost saturates, so
            // that each split lies inside its range.
            let mut best = None;
            split[i][j] = i;
            for s in i..j {
                let c = cost[i][s]
                    .saturating_add(cost[s + 1][j])
                    .saturating_add(matmul(p[i], p[s + 1], p[j + 1]));
                // Ties keep the rightmost split, `(A B) C`: a product is
                // evaluated left to right, so an equal regrouping is no gain.
                if best.is_none_or(|b| c <= b) {
                    best = Some(c);
                    split[i][j] = s;
                }
            }
            cost[i][j] = best.unwrap_or(0);
        }
    }
    fn build(split: &[Vec<usize>], i: usize, j: usize) -> Order {
        if i == j {
            return Order::Factor(i);
        }
        let s = split[i][j];
        Order::Product(
            Box::new(build(split, i, s)),
            Box::new(build(split, s + 1, j)),
        )
    }
    (cost[0][k - 1], build(&split, 0, k - 1))
}

/// The chain dimensions of factors with these shapes, if all are concrete
/// and they chain.
pub fn chain_dims<'a>(shapes: impl IntoIterator<Item = Option<&'a Shape>>) -> Option<Vec<Count>> {
    let mut p = Vec::new();
    for s in shapes {
        let (r, c) = dims(s?)?;
        match p.last() {
            None => p.push(r),
            Some(&last) if last == r => {}
            Some(_) => return None,
        }
        p.push(c);
    }
    Some(p)
}

/// The FLOPs of one operator given its own shape and its operands' shapes
/// (`None` when a dimension is symbolic). `chain` are the dimensions of a
/// product's factors.
fn own_flops(op: Op, out: Option<&Shape>, arg: Option<&Shape>, extra: Count) -> Option<Count> {
    let entries = |s: Option<&Shape>| dims(s?).map(|(r, c)| r.saturating_mul(c));
    let cube = |s: Option<&Shape>| dims(s?).map(|(n, _)| matmul(n, n, n));
    Some(match op {
        Op::Free => 0,
        Op::Entries => entries(out)?,
        Op::EntriesOfArg => entries(arg)?,
        Op::SumOf(terms) => entries(out)?.saturating_mul(Count::from(terms.saturating_sub(1))),
        Op::Cube => cube(arg)?,
        Op::Power(k) => {
            let (n, _) = dims(arg?)?;
            let prods =
                matmul(n, n, n).saturating_mul(Count::from(k.unsigned_abs().saturating_sub(1)));
            if k < 0 {
                prods.saturating_add(cube(arg)?)
            } else {
                prods
            }
        }
        Op::Chain => extra,
    })
}

/// The pricing class of an operator.
#[derive(Clone, Copy)]
enum Op {
    /// Leaves, transposes, differentials: nothing to compute.
    Free,
    /// One operation per entry of the result.
    Entries,
    /// One operation per entry of the argument (`tr`, `sum`, `norm`).
    EntriesOfArg,
    /// A sum of this many terms.
    SumOf(u64),
    /// An inverse or determinant: `2n³`.
    Cube,
    /// An integer matrix power.
    Power(i64),
    /// A product, priced by its chain.
    Chain,
}

fn func_op(f: Func) -> Op {
    match f.spec().flops {
        FlopClass::PerArgEntry => Op::EntriesOfArg,
        FlopClass::Cubic => Op::Cube,
        FlopClass::Free => Op::Free,
        FlopClass::PerEntry => Op::Entries,
    }
}

/// How many priced e-classes a cost itemises before it stops telling
/// shared subexpressions apart and only adds (so a shared one may count
/// twice in a very large gradient). Bounds the memory of extraction: one
/// cost per e-class, each of at most this many entries.
const MAX_PARTS: usize = 32;

/// What an operator whose dimensions are symbolic costs: as bad as can be
/// without a sum of a few of them saturating.
const UNPRICEABLE: Count = 1 << 100;

/// The extraction cost under [`CostModel::Flops`]: FLOPs with shared
/// subexpressions counted once, then term size to break ties.
///
/// The cost of a node is never below the cost of a child (shared classes
/// are merged by their larger price, and size grows by one per node), as
/// egg's extractor needs: otherwise it can pick a node that contains its
/// own class and build an infinite term.
#[derive(Clone, Debug)]
pub struct FlopCost {
    /// Total floating-point operations.
    pub flops: Count,
    /// Term size, counted per use.
    pub size: usize,
    /// The FLOPs of each e-class computed, so that a class used twice is paid once.
    parts: Rc<BTreeMap<Id, Count>>,
    /// FLOPs no longer itemised by class (past [`MAX_PARTS`]).
    rest: Count,
}

impl PartialEq for FlopCost {
    fn eq(&self, other: &Self) -> bool {
        (self.flops, self.size) == (other.flops, other.size)
    }
}

impl PartialOrd for FlopCost {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some((self.flops, self.size).cmp(&(other.flops, other.size)))
    }
}

/// The FLOP cost function. A `CostFunction` sees no e-graph, so it holds a
/// reference to one and reads shapes from the shape analysis.
pub struct Flops<'a> {
    /// The e-graph being extracted from.
    pub egraph: &'a EG,
}

impl Flops<'_> {
    fn shape(&self, id: Id) -> Option<&Shape> {
        self.egraph[id].data.shape.as_ref()
    }

    fn node_flops(&self, enode: &Math) -> Count {
        let arg = enode.children().first().and_then(|&c| self.shape(c));
        let out = self
            .egraph
            .lookup(enode.clone())
            .and_then(|c| self.shape(c));
        let (op, extra) = match enode {
            Math::Mul(fs) => {
                let p = chain_dims(fs.iter().map(|&f| self.shape(f)));
                (Op::Chain, p.map_or(UNPRICEABLE, |p| left_to_right(&p)))
            }
            Math::Add(ts) => (Op::SumOf(ts.len() as u64), 0),
            Math::Scale(_)
            | Math::Neg(_)
            | Math::Had(_)
            | Math::EDiv(_)
            | Math::Div(_)
            | Math::EPow(_) => (Op::Entries, 0),
            Math::Inv(_) => (Op::Cube, 0),
            Math::Pow([_, k]) => {
                let k = self.egraph[*k].data.num.map_or(2, |n| n.0 as i64);
                (Op::Power(k), 0)
            }
            other => match other.as_func() {
                Some((f, _)) => (func_op(f), 0),
                None => (Op::Free, 0),
            },
        };
        own_flops(op, out, arg, extra).unwrap_or(UNPRICEABLE)
    }
}

impl CostFunction<Math> for Flops<'_> {
    type Cost = FlopCost;

    fn cost<C: FnMut(Id) -> FlopCost>(&mut self, enode: &Math, mut costs: C) -> FlopCost {
        let mut parts: BTreeMap<Id, Count> = BTreeMap::new();
        let mut rest: Count = 0;
        let mut size = usize::from(!matches!(enode, Math::Num(_)));
        let merge = |parts: &mut BTreeMap<Id, Count>, id: Id, f: Count| {
            let e = parts.entry(id).or_insert(f);
            *e = (*e).max(f);
        };
        for &c in enode.children() {
            let k = costs(c);
            size = size.saturating_add(k.size);
            rest = rest.saturating_add(k.rest);
            for (&id, &f) in k.parts.iter() {
                merge(&mut parts, id, f);
            }
        }
        let own = self.node_flops(enode);
        if own > 0 {
            let id = self
                .egraph
                .lookup(enode.clone())
                .unwrap_or(Id::from(usize::MAX));
            merge(&mut parts, id, own);
        }
        let itemised = parts.values().fold(0, |a: Count, &f| a.saturating_add(f));
        if parts.len() > MAX_PARTS {
            rest = rest.saturating_add(itemised);
            parts.clear();
        }
        FlopCost {
            flops: rest.saturating_add(if parts.is_empty() { 0 } else { itemised }),
            size,
            parts: Rc::new(parts),
            rest,
        }
    }
}

/// The best term of class `id` under `model`.
pub fn best(egraph: &EG, id: Id, model: CostModel) -> RecExpr<Math> {
    match model {
        CostModel::Size => {
            egg::Extractor::new(egraph, super::stage::Size)
                .find_best(id)
                .1
        }
        CostModel::Flops => {
            egg::Extractor::new(egraph, Flops { egraph })
                .find_best(id)
                .1
        }
    }
}

/// The final form of a gradient extracted under `model`: under
/// [`CostModel::Flops`] its products are grouped in matrix-chain order, and
/// the regrouping is a step of the derivation when it changes the text.
pub fn finish(t: Term, env: &Env, model: CostModel, steps: &mut Vec<Rewrite>) -> Term {
    if model != CostModel::Flops {
        return t;
    }
    let grouped = regroup(&t, env);
    if grouped != t {
        steps.push(Rewrite {
            term: grouped.clone(),
            rule: super::Why::Rule(super::rules::chain::RULES[0].id),
        });
    }
    grouped
}

/// The FLOPs of evaluating `t` as written (n-ary products left to right,
/// nested products as grouped, a repeated subterm once), or `None` when a
/// dimension is symbolic or a shape is unknown.
pub fn count(t: &Term, env: &Env) -> Option<Count> {
    let mut seen = HashSet::new();
    count_in(t, env, &mut seen)
}

fn count_in(t: &Term, env: &Env, seen: &mut HashSet<Term>) -> Option<Count> {
    let kids = t.children();
    if kids.is_empty() || !seen.insert(t.clone()) {
        return Some(0);
    }
    let mut total: Count = 0;
    for k in &kids {
        total = total.saturating_add(count_in(k, env, seen)?);
    }
    let out = t.shape(env)?;
    let arg = kids.first().and_then(|k| k.shape(env));
    let (op, extra) = match t {
        Term::Mul(fs) => {
            let shapes: Vec<Option<Shape>> = fs.iter().map(|f| f.shape(env)).collect();
            (
                Op::Chain,
                left_to_right(&chain_dims(shapes.iter().map(Option::as_ref))?),
            )
        }
        Term::Add(ts) => (Op::SumOf(ts.len() as u64), 0),
        Term::Scale(..)
        | Term::Neg(_)
        | Term::Hadamard(..)
        | Term::ElemDiv(..)
        | Term::Div(..)
        | Term::EPow(..) => (Op::Entries, 0),
        Term::Inverse(_) => (Op::Cube, 0),
        Term::Pow(_, k) => (Op::Power(*k), 0),
        Term::Apply(f, _) => (func_op(*f), 0),
        _ => (Op::Free, 0),
    };
    Some(total.saturating_add(own_flops(op, Some(&out), arg.as_ref(), extra)?))
}

/// `t` with every product of three or more factors with concrete shapes
/// grouped in its cheapest matrix-chain order (nested products).
pub fn regroup(t: &Term, env: &Env) -> Term {
    match t {
        Term::Mul(fs) => {
            let fs: Vec<Term> = fs.iter().map(|f| regroup(f, env)).collect();
            let shapes: Vec<Option<Shape>> = fs.iter().map(|f| f.shape(env)).collect();
            match chain_dims(shapes.iter().map(Option::as_ref)) {
                Some(p) if fs.len() > 2 => grouped(&fs, &chain_order(&p).1),
                _ => Term::Mul(fs),
            }
        }
        other => other.map_children(|x| regroup(x, env)),
    }
}

/// The product of `fs` in `order`. A left-nested run stays one flat product
/// (`A B C` is evaluated left to right), so only the groups that change the
/// order get parentheses.
fn grouped(fs: &[Term], order: &Order) -> Term {
    match order {
        Order::Factor(i) => fs[*i].clone(),
        Order::Product(l, r) => {
            let left = grouped(fs, l);
            let right = grouped(fs, r);
            let mut out = match left {
                Term::Mul(ls) if matches!(**l, Order::Product(..)) => ls,
                other => vec![other],
            };
            out.push(right);
            Term::Mul(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_order_is_the_textbook_answer() {
        // CLRS §15.2: dims 30 35 15 5 10 20 25, 15125 scalar multiplications.
        let (cost, order) = chain_order(&[30, 35, 15, 5, 10, 20, 25]);
        assert_eq!(cost, 2 * 15125);
        let f = |i| Box::new(Order::Factor(i));
        let p = |a, b| Box::new(Order::Product(a, b));
        assert_eq!(order, *p(p(f(0), p(f(1), f(2))), p(p(f(3), f(4)), f(5))));
    }

    #[test]
    fn saturated_chains_split_inside_their_range() {
        // Every cost saturates; the order must still be a valid tree.
        let huge = Count::from(u64::MAX);
        let (cost, order) = chain_order(&[huge; 5]);
        assert_eq!(cost, SATURATED);
        let f = |i| Box::new(Order::Factor(i));
        let p = |a, b| Box::new(Order::Product(a, b));
        assert_eq!(
            order,
            *p(p(p(f(0), f(1)), f(2)), f(3)),
            "left to right on ties"
        );
        assert!(describe(cost).starts_with("more than 340,282,366"));
        assert_eq!(
            describe(108_000_000_000_000_000_000),
            "108,000,000,000,000,000,000"
        );
    }

    #[test]
    fn left_to_right_counts_each_product() {
        assert_eq!(
            left_to_right(&[10, 100, 5, 50]),
            2 * (10 * 100 * 5 + 10 * 5 * 50)
        );
        assert_eq!(left_to_right(&[3, 4]), 0);
    }
}
