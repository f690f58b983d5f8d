//! Reassembly of an index expression into matrix notation:
//! `Σ_j g_j w_ij = (G Wᵀ)_i`.
//!
//! Each product is read as a graph whose vertices are indices and whose
//! edges are its factors (a factor joins its row index to its column index;
//! a dimension of size 1 is a vertex of its own). A free index of the result
//! must end one path and a bound index must join two factors, so that
//! - a path from the row index to the column index is a matrix product,
//!   with a factor transposed when it is walked against its orientation;
//! - a closed path of bound indices is a trace;
//! - a path between two size-1 ends is a scalar such as `aᵀb`;
//! - a bound index at the end of a path is summed with a vector of ones;
//! - a free index no factor has is a broadcast (`v 𝟙ᵀ`).
//!
//! An index shared by more factors is first reduced: factors with the same
//! indices form a Hadamard product, a repeated index `a_kk` is `diag(A)`, and
//! a vector entry `v_k` that shares `k` becomes `diag(v)`. When none of these
//! applies the product has no matrix form, and the caller shows it in index
//! form.

use std::collections::BTreeMap;

use super::fresh::Fresh;
use super::index::{Expr, Factor, Map, Opaque, Product};
use super::lower::{Slot, slots};
use crate::registry;
use crate::shape::{Dim, Env, Shape};
use crate::term::{Func, Term};

/// A product or sum that has no matrix form, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct NotMatrix {
    /// The reason, in words.
    pub reason: String,
}

/// A reassembled expression and the patterns that reassembly recognised.
#[derive(Clone, Debug, PartialEq)]
pub struct Reassembled {
    /// The matrix expression.
    pub term: Term,
    /// What was recognised (`matrix product`, `transpose`, …), in order.
    pub patterns: Vec<&'static str>,
}

/// A factor as an edge from its row vertex to its column vertex.
#[derive(Clone, Debug)]
struct Piece {
    term: Term,
    row: String,
    col: String,
    /// Its own transpose (a diagonal matrix): walked either way as it is.
    symmetric: bool,
}

/// Size-1 dimensions become vertices of their own, named so that they never
/// clash with an index.
const UNIT: char = '#';

struct Graph<'a> {
    pieces: Vec<Piece>,
    used: Vec<bool>,
    units: usize,
    free: [Option<String>; 2],
    sums: Vec<String>,
    fresh: &'a mut Fresh,
    patterns: Vec<&'static str>,
}

/// The transpose, written without `ᵀᵀ` and without transposing constants.
pub fn transpose(t: Term) -> Term {
    match t {
        Term::Transpose(a) => *a,
        Term::Identity(_) | Term::Num(_) => t,
        Term::Ones(s) => Term::Ones(s.transposed()),
        Term::Zero(s) => Term::Zero(s.transposed()),
        t => Term::Transpose(Box::new(t)),
    }
}

fn mul(mut fs: Vec<Term>) -> Term {
    if fs.len() > 1 {
        fs.retain(|f| !matches!(f, Term::Identity(_)));
    }
    // 𝟙 𝟙ᵀ is one matrix of ones.
    let mut k = 0;
    while k + 1 < fs.len() {
        if let (Term::Ones(a), Term::Ones(b)) = (&fs[k], &fs[k + 1]) {
            fs[k] = Term::Ones(Shape::new(a.rows.clone(), b.cols.clone()));
            fs.remove(k + 1);
        } else {
            k += 1;
        }
    }
    match fs.len() {
        0 => Term::num(1.0),
        1 => fs.pop().unwrap_or_else(|| Term::num(1.0)),
        _ => Term::Mul(fs),
    }
}

/// The matrix whose entries a map factor is.
pub fn map_term(m: &Map, arg: &Term, shape: &Shape) -> Result<Term, NotMatrix> {
    let ones = if shape.is_scalar() {
        Term::num(1.0)
    } else {
        Term::Ones(shape.clone())
    };
    let app = |f: Func| Term::Apply(f, Box::new(arg.clone()));
    let b = Box::new;
    let power = |k: i64| {
        if shape.is_scalar() {
            if k == 1 {
                arg.clone()
            } else {
                Term::Pow(b(arg.clone()), k)
            }
        } else {
            let mut t = arg.clone();
            for _ in 1..k {
                t = Term::Hadamard(b(t), b(arg.clone()));
            }
            t
        }
    };
    Ok(match m {
        Map::Func(f) => app(*f),
        // The registry's derivative, as the differential rules write it,
        // so that results compare.
        Map::Deriv(f) => match registry::derivative(*f, arg, shape) {
            Some(t) => t,
            None => {
                return Err(NotMatrix {
                    reason: format!("{}′ has no matrix form here", f.name()),
                });
            }
        },
        Map::EPow(q) => Term::EPow(b(arg.clone()), *q),
        Map::Pow(k) if *k > 0 => power(*k),
        Map::Pow(k) if shape.is_scalar() => Term::Div(b(Term::num(1.0)), b(power(-k))),
        Map::Pow(k) => Term::ElemDiv(b(ones), b(power(-k))),
    })
}

/// Reassembles `e`, the entry `(row, col)` of a matrix of shape `shape`.
pub fn reassemble(
    e: &Expr,
    row: &Slot,
    col: &Slot,
    shape: &Shape,
    env: &Env,
    fresh: &mut Fresh,
) -> Result<Reassembled, NotMatrix> {
    let mut patterns = Vec::new();
    // Products with the same matrix form are collected.
    let mut parts: Vec<(f64, Option<Term>)> = Vec::new();
    for p in &e.terms {
        let (c, t) = product(p, row, col, shape, env, fresh, &mut patterns)?;
        match parts.iter_mut().find(|(_, u)| *u == t) {
            Some((k, _)) => *k += c,
            None => parts.push((c, t)),
        }
    }
    parts.retain(|(c, _)| *c != 0.0);
    let signed: Vec<Term> = parts
        .into_iter()
        .map(|(c, t)| match t {
            None => Term::num(c),
            Some(t) if c == 1.0 => t,
            Some(t) if c == -1.0 => Term::Neg(Box::new(t)),
            Some(t) if c < 0.0 => {
                Term::Neg(Box::new(Term::Scale(Box::new(Term::num(-c)), Box::new(t))))
            }
            Some(t) => Term::Scale(Box::new(Term::num(c)), Box::new(t)),
        })
        .collect();
    let term = match signed.len() {
        0 if shape.is_scalar() => Term::num(0.0),
        0 => Term::Zero(shape.clone()),
        1 => signed.into_iter().next().unwrap_or_else(|| Term::num(0.0)),
        _ => Term::Add(signed),
    };
    let mut seen = Vec::new();
    for p in patterns {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    Ok(Reassembled {
        term,
        patterns: seen,
    })
}

/// One product as a coefficient times a matrix (`None` for the scalar 1).
fn product(
    p: &Product,
    row: &Slot,
    col: &Slot,
    shape: &Shape,
    env: &Env,
    fresh: &mut Fresh,
    patterns: &mut Vec<&'static str>,
) -> Result<(f64, Option<Term>), NotMatrix> {
    let mut coef = p.coef;
    let mut scalars: Vec<Term> = Vec::new();
    let mut g = Graph {
        pieces: Vec::new(),
        used: Vec::new(),
        units: 0,
        free: [row.clone(), col.clone()],
        sums: p.sums.clone(),
        fresh,
        patterns: Vec::new(),
    };
    for f in &p.factors {
        let (term, fshape, idx) = match f {
            Factor::Entry { name, idx } => {
                let s = env.shape(name).cloned().ok_or_else(|| NotMatrix {
                    reason: format!("{name} has no known shape"),
                })?;
                (Term::Var(name.clone()), s, idx.clone())
            }
            Factor::Delta(a, b) => {
                let d = g.fresh.dim(a).cloned().unwrap_or_else(Dim::one);
                let s = Shape::new(d.clone(), d.clone());
                (Term::Identity(d), s, vec![a.clone(), b.clone()])
            }
            Factor::Map { map, arg, idx, .. } => {
                let s = arg.shape(env).ok_or_else(|| NotMatrix {
                    reason: "a shape is not known".to_string(),
                })?;
                (map_term(map, arg, &s)?, s, idx.clone())
            }
            Factor::Opaque { op, arg, idx } => {
                let a = Box::new(arg.clone());
                match op {
                    Opaque::Inverse => {
                        let s = arg.shape(env).ok_or_else(|| NotMatrix {
                            reason: "a shape is not known".to_string(),
                        })?;
                        (Term::Inverse(a), s, idx.clone())
                    }
                    Opaque::Det => (Term::Apply(Func::Det, a), Shape::scalar(), vec![]),
                    Opaque::Logdet => (Term::Apply(Func::Logdet, a), Shape::scalar(), vec![]),
                    Opaque::Unknown(n) => (Term::Unknown(n.clone(), a), Shape::scalar(), vec![]),
                    Opaque::Numel => (Term::Apply(Func::Numel, a), Shape::scalar(), vec![]),
                    Opaque::Along(f) => {
                        let s = arg
                            .shape(env)
                            .and_then(|s| f.spec().shape.apply(&s))
                            .ok_or_else(|| NotMatrix {
                                reason: "a shape is not known".to_string(),
                            })?;
                        (Term::Apply(*f, a), s, idx.clone())
                    }
                }
            }
        };
        let (r, c) = slots(&fshape, &idx);
        if r.is_none() && c.is_none() {
            scalars.push(term);
            continue;
        }
        let r = r.unwrap_or_else(|| g.unit());
        let c = c.unwrap_or_else(|| g.unit());
        g.pieces.push(Piece {
            term,
            row: r,
            col: c,
            symmetric: false,
        });
        g.used.push(false);
    }
    g.reduce()?;
    for s in g.sums.clone() {
        if !g.pieces.iter().any(|q| q.row == s || q.col == s) {
            // Σ_k of something without k is its range times it.
            g.patterns.push("an index no factor has: its range");
            match g.fresh.dim(&s).cloned() {
                Some(Dim::Lit(n)) => coef *= n as f64,
                Some(d) => scalars.push(Term::Apply(Func::Tr, Box::new(Term::Identity(d)))),
                None => coef = f64::NAN,
            }
        }
    }
    for q in &g.pieces {
        for v in [&q.row, &q.col] {
            if !v.starts_with(UNIT)
                && !g.sums.contains(v)
                && !g.free.iter().flatten().any(|f| f == v)
            {
                return Err(NotMatrix {
                    reason: format!("the index {v} is neither summed nor an index of the result"),
                });
            }
        }
    }
    let main = g.main(shape);
    scalars.extend(g.scalars());
    patterns.append(&mut g.patterns);
    let term = match main {
        Some(mut t) => {
            for s in scalars.into_iter().rev() {
                t = Term::Scale(Box::new(s), Box::new(t));
            }
            Some(t)
        }
        None if scalars.is_empty() => None,
        None => Some(mul(scalars)),
    };
    Ok((coef, term))
}

impl Graph<'_> {
    fn unit(&mut self) -> String {
        self.units += 1;
        format!("{UNIT}{}", self.units)
    }

    fn is_free(&self, v: &str) -> bool {
        self.free.iter().flatten().any(|f| f == v)
    }

    /// How many factor ends meet at `v`, a free index counting one more
    /// (for the result it belongs to).
    fn degree(&self, v: &str) -> usize {
        let ends: usize = self
            .pieces
            .iter()
            .map(|p| usize::from(p.row == v) + usize::from(p.col == v))
            .sum();
        ends + usize::from(self.is_free(v))
    }

    fn dim(&self, v: &str) -> Dim {
        self.fresh.dim(v).cloned().unwrap_or_else(Dim::one)
    }

    /// The index pair of a piece with size-1 ends made alike, so that a row
    /// and a column vector of one index compare equal.
    fn key(p: &Piece) -> (String, String) {
        let k = |v: &String| {
            if v.starts_with(UNIT) {
                UNIT.to_string()
            } else {
                v.clone()
            }
        };
        let (a, b) = (k(&p.row), k(&p.col));
        if a <= b { (a, b) } else { (b, a) }
    }

    /// Brings every index to at most two ends (a free one to one).
    fn reduce(&mut self) -> Result<(), NotMatrix> {
        for _ in 0..256 {
            let Some(v) = self
                .pieces
                .iter()
                .flat_map(|p| [p.row.clone(), p.col.clone()])
                .find(|v| !v.starts_with(UNIT) && self.degree(v) > 2)
            else {
                return Ok(());
            };
            if !(self.hadamard(&v)
                || self.product_then_hadamard()
                || self.diag_of_matrix(&v)
                || self.sum_out(&v)
                || self.diag_of_vector(&v))
            {
                return Err(NotMatrix {
                    reason: format!(
                        "the index {v} joins more factors than a matrix product, a Hadamard product or diag can"
                    ),
                });
            }
        }
        Err(NotMatrix {
            reason: "too many factors share indices".to_string(),
        })
    }

    fn hadamard(&mut self, v: &str) -> bool {
        let n = self.pieces.len();
        for i in 0..n {
            for j in i + 1..n {
                let (a, b) = (&self.pieces[i], &self.pieces[j]);
                if (a.row != v && a.col != v) || Self::key(a) != Self::key(b) {
                    continue;
                }
                let b = self.pieces.remove(j);
                self.used.remove(j);
                let a = &mut self.pieces[i];
                let aligned =
                    if b.row == a.row || (b.row.starts_with(UNIT) && a.row.starts_with(UNIT)) {
                        b.term
                    } else {
                        transpose(b.term)
                    };
                a.term = Term::Hadamard(Box::new(a.term.clone()), Box::new(aligned));
                self.patterns.push("equal indices: Hadamard product");
                return true;
            }
        }
        false
    }

    /// Multiplies out a bound index shared by two factors when the product
    /// has the indices of a third factor, so that a Hadamard product can
    /// follow: `Σ_q g_pq w_jq t_pj = ((G Wᵀ) ⊙ T)_pj`.
    fn product_then_hadamard(&mut self) -> bool {
        let n = self.pieces.len();
        for w in self.sums.clone() {
            let at: Vec<usize> = (0..n)
                .filter(|&k| self.pieces[k].row == w || self.pieces[k].col == w)
                .collect();
            let [x, y] = at[..] else { continue };
            let (px, py) = (&self.pieces[x], &self.pieces[y]);
            if px.row == px.col || py.row == py.col {
                continue;
            }
            let (tx, a) = if px.col == w {
                (px.term.clone(), px.row.clone())
            } else {
                (transpose(px.term.clone()), px.col.clone())
            };
            let (ty, b) = if py.row == w {
                (py.term.clone(), py.col.clone())
            } else {
                (transpose(py.term.clone()), py.row.clone())
            };
            let merged = Piece {
                term: mul(vec![tx, ty]),
                row: a,
                col: b,
                symmetric: false,
            };
            let key = Self::key(&merged);
            if !(0..n).any(|k| k != x && k != y && Self::key(&self.pieces[k]) == key) {
                continue;
            }
            let (lo, hi) = if x < y { (x, y) } else { (y, x) };
            self.pieces.remove(hi);
            self.used.remove(hi);
            self.pieces[lo] = merged;
            self.sums.retain(|s| *s != w);
            self.patterns.push("a shared index summed: matrix product");
            return true;
        }
        false
    }

    fn diag_of_matrix(&mut self, v: &str) -> bool {
        let Some(k) = self.pieces.iter().position(|p| p.row == v && p.col == v) else {
            return false;
        };
        let unit = self.unit();
        let p = &mut self.pieces[k];
        p.term = Term::Apply(Func::Diag, Box::new(p.term.clone()));
        p.col = unit;
        self.patterns.push("repeated index: diag(A)");
        true
    }

    /// A factor at `v` whose other index is summed and in no other factor
    /// is a vector of sums: `Σ_k a_kj = (𝟙ᵀ A)_j`, `Σ_k a_jk = (A 𝟙)_j`,
    /// which can then share `v` as `diag`: `Σ_k a_kj s_ij = (S diag(Aᵀ 𝟙))_ij`.
    fn sum_out(&mut self, v: &str) -> bool {
        let alone = |g: &Self, w: &String| g.sums.contains(w) && g.degree(w) == 1;
        let Some(k) = (0..self.pieces.len()).find(|&k| {
            let p = &self.pieces[k];
            (p.col == v && p.row != v && alone(self, &p.row))
                || (p.row == v && p.col != v && alone(self, &p.col))
        }) else {
            return false;
        };
        let unit = self.unit();
        let p = self.pieces[k].clone();
        // Written as a column with row index `v`: Aᵀ 𝟙 or A 𝟙.
        let (term, w) = if p.col == v {
            let ones = self.ones_col(&p.row);
            (mul(vec![transpose(p.term), ones]), p.row)
        } else {
            let ones = self.ones_col(&p.col);
            (mul(vec![p.term, ones]), p.col)
        };
        self.pieces[k] = Piece {
            term,
            row: v.to_string(),
            col: unit,
            symmetric: false,
        };
        self.sums.retain(|s| *s != w);
        self.patterns
            .push("an index summed alone: a vector of ones");
        true
    }

    fn diag_of_vector(&mut self, v: &str) -> bool {
        let Some(k) = self.pieces.iter().position(|p| {
            (p.row == v && p.col.starts_with(UNIT)) || (p.col == v && p.row.starts_with(UNIT))
        }) else {
            return false;
        };
        let Some(other) = (0..self.pieces.len())
            .find(|&o| o != k && (self.pieces[o].row == v || self.pieces[o].col == v))
        else {
            return false;
        };
        let dim = self.dim(v);
        let w = self.fresh.any(&dim);
        self.sums.push(w.clone());
        let p = &mut self.pieces[k];
        let column = if p.row == v {
            p.term.clone()
        } else {
            transpose(p.term.clone())
        };
        p.term = Term::Apply(Func::Diag, Box::new(column));
        p.row = v.to_string();
        p.col = w.clone();
        p.symmetric = true;
        let o = &mut self.pieces[other];
        if o.row == v {
            o.row = w;
        } else {
            o.col = w;
        }
        self.patterns.push("a vector sharing an index: diag(v)");
        true
    }

    /// Walks from `start` along unused pieces; returns the factors, oriented
    /// along the walk (read right to left when `backward`), and the vertex
    /// where it ended.
    fn walk(&mut self, start: &str, backward: bool) -> (Vec<Term>, String) {
        let mut cur = start.to_string();
        let mut out = Vec::new();
        let mut moved = false;
        while !(moved && cur == start) {
            let Some(k) = (0..self.pieces.len()).find(|&k| {
                !self.used[k] && (self.pieces[k].row == cur || self.pieces[k].col == cur)
            }) else {
                break;
            };
            self.used[k] = true;
            if moved {
                self.patterns.push("a shared index summed: matrix product");
            }
            moved = true;
            let p = &self.pieces[k];
            let (near, far) = if backward {
                (&p.col, &p.row)
            } else {
                (&p.row, &p.col)
            };
            if *near == cur {
                out.push(p.term.clone());
                cur = far.clone();
            } else if p.symmetric {
                out.push(p.term.clone());
                cur = near.clone();
            } else {
                self.patterns.push("index order swapped: transpose");
                out.push(transpose(p.term.clone()));
                cur = near.clone();
            }
        }
        if backward {
            out.reverse();
        }
        (out, cur)
    }

    fn ones_col(&self, v: &str) -> Term {
        Term::Ones(Shape::new(self.dim(v), Dim::one()))
    }

    /// A path from `start`, closed with a vector of ones where it ends on a
    /// summed index; returns the factors and the end vertex.
    fn path(&mut self, start: &str, backward: bool) -> (Vec<Term>, String) {
        let (mut fs, end) = self.walk(start, backward);
        if self.sums.contains(&end) && end != start {
            self.patterns
                .push("an index summed alone: a vector of ones");
            if backward {
                fs.insert(0, transpose(self.ones_col(&end)));
            } else {
                fs.push(self.ones_col(&end));
            }
        }
        (fs, end)
    }

    fn present(&self, v: &str) -> bool {
        self.pieces.iter().any(|p| p.row == v || p.col == v)
    }

    /// The part of the product that carries the result's indices.
    fn main(&mut self, shape: &Shape) -> Option<Term> {
        let [row, col] = self.free.clone();
        let mut left: Option<Vec<Term>> = None;
        let mut done = false;
        if let Some(r) = &row {
            if self.present(r) {
                let (fs, end) = self.path(r, false);
                done = Some(&end) == col.as_ref();
                left = Some(fs);
            } else if !shape.rows.is_one() {
                self.patterns
                    .push("an index no factor has: a vector of ones");
                left = Some(vec![Term::Ones(Shape::new(shape.rows.clone(), Dim::one()))]);
            }
        }
        if done {
            return left.map(mul);
        }
        let mut right: Option<Vec<Term>> = None;
        if let Some(c) = &col {
            if self.present(c) {
                let (fs, _) = self.path(c, true);
                right = Some(fs);
            } else if !shape.cols.is_one() {
                self.patterns
                    .push("an index no factor has: a vector of ones");
                right = Some(vec![Term::Ones(Shape::new(Dim::one(), shape.cols.clone()))]);
            }
        }
        match (left, right) {
            (Some(mut l), Some(r)) => {
                self.patterns.push("two separate indices: outer product");
                l.extend(r);
                Some(mul(l))
            }
            (Some(l), None) => Some(mul(l)),
            (None, Some(r)) => Some(mul(r)),
            (None, None) if shape.is_scalar() => None,
            (None, None) => Some(Term::Ones(shape.clone())),
        }
    }

    /// The scalar factors left: open paths (`aᵀb`) and closed ones (traces).
    fn scalars(&mut self) -> Vec<Term> {
        let mut out = Vec::new();
        loop {
            let ends: Vec<String> = (0..self.pieces.len())
                .filter(|&k| !self.used[k])
                .flat_map(|k| [self.pieces[k].row.clone(), self.pieces[k].col.clone()])
                .collect();
            let mut count: BTreeMap<&String, usize> = BTreeMap::new();
            for v in &ends {
                *count.entry(v).or_default() += 1;
            }
            let start = ends.iter().find(|v| count[v] == 1).cloned();
            match start {
                Some(s) => {
                    let mut fs = Vec::new();
                    if self.sums.contains(&s) {
                        self.patterns
                            .push("an index summed alone: a vector of ones");
                        fs.push(transpose(self.ones_col(&s)));
                    }
                    let (more, _) = self.path(&s, false);
                    fs.extend(more);
                    out.push(mul(fs));
                }
                None => match ends.first().cloned() {
                    Some(s) => {
                        let (fs, _) = self.walk(&s, false);
                        self.patterns.push("a closed chain of sums: trace");
                        out.push(Term::Apply(Func::Tr, Box::new(mul(fs))));
                    }
                    None => return out,
                },
            }
        }
    }
}
