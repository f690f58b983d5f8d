//! Index expressions as text, the way they are written on paper: entries in
//! lower case with their indices (`w_kj`), `Σ_k` for a bound index, `δ_ik`.

use std::collections::BTreeSet;

use super::index::{Expr, Factor, Map, Opaque, Product};
use crate::render::text::{self, Style};
use crate::shape::Env;
use crate::term::{Func, Term};

/// How the entries of each variable are written: `x` for `X`, `g` for `G`;
/// a name whose lower case is taken by another variable keeps its case.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    taken: BTreeSet<String>,
}

impl Names {
    /// The naming for the variables of `env`.
    pub fn new(env: &Env) -> Names {
        Names {
            taken: env.vars.keys().cloned().collect(),
        }
    }

    /// The letter(s) of an entry of `var`, without indices.
    pub fn entry(&self, var: &str, style: Style) -> String {
        let shown = text::name(var, style);
        let mut chars = var.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_uppercase() => {
                let lower = c.to_ascii_lowercase().to_string();
                if self.taken.contains(&lower) {
                    shown
                } else {
                    lower
                }
            }
            (Some(c), None) if c.is_ascii_lowercase() => shown,
            _ if self.taken.contains(var) && shown.chars().count() > 1 => format!("({shown})"),
            _ => shown,
        }
    }

    /// An entry with its indices: `w_kj`, `α`.
    pub fn component(&self, var: &str, idx: &[String], style: Style) -> String {
        format!("{}{}", self.entry(var, style), subscript(idx))
    }
}

/// `_kj` for single-letter indices, `_{k1,j}` otherwise, nothing for none.
pub fn subscript(idx: &[String]) -> String {
    if idx.is_empty() {
        String::new()
    } else if idx.iter().all(|i| i.chars().count() == 1) {
        format!("_{}", idx.concat())
    } else {
        format!("_{{{}}}", idx.join(","))
    }
}

/// `Σ_k`, `Σ_kl` (ASCII `sum_k`).
pub fn sigma(sums: &[String], style: Style) -> String {
    format!(
        "{}{}",
        if style.ascii { "sum" } else { "Σ" },
        subscript(sums)
    )
}

fn factor(f: &Factor, names: &Names, style: Style) -> String {
    match f {
        Factor::Entry { name, idx } => names.component(name, idx, style),
        Factor::Delta(a, b) => format!(
            "{}{}",
            if style.ascii { "delta" } else { "δ" },
            subscript(&[a.clone(), b.clone()])
        ),
        Factor::Map {
            map, inner, idx, ..
        } => {
            let arg = show(inner, names, style);
            let _ = idx;
            match map {
                Map::Func(f) => format!("{}({arg})", f.text_name(!style.ascii)),
                Map::Deriv(f) => format!("{}'({arg})", f.text_name(!style.ascii)),
                Map::EPow(q) => {
                    let base = if is_atomic(inner) {
                        arg
                    } else {
                        format!("({arg})")
                    };
                    format!("{base}^{q}")
                }
                Map::Pow(k) => {
                    let base = if is_atomic(inner) {
                        arg
                    } else {
                        format!("({arg})")
                    };
                    if style.ascii {
                        format!("{base}^({k})")
                    } else {
                        format!("{base}{}", superscript(*k))
                    }
                }
            }
        }
        Factor::Opaque { op, arg, idx } => match op {
            Opaque::Inverse => format!(
                "({}){}",
                text::show(&Term::Inverse(Box::new(arg.clone())), style),
                subscript(idx)
            ),
            Opaque::Det => text::show(&Term::Apply(Func::Det, Box::new(arg.clone())), style),
            Opaque::Logdet => text::show(&Term::Apply(Func::Logdet, Box::new(arg.clone())), style),
            Opaque::Unknown(n) => {
                text::show(&Term::Unknown(n.clone(), Box::new(arg.clone())), style)
            }
            Opaque::Numel => text::show(&Term::Apply(Func::Numel, Box::new(arg.clone())), style),
            Opaque::Along(f) => {
                let t = text::show(&Term::Apply(*f, Box::new(arg.clone())), style);
                if idx.is_empty() {
                    t
                } else {
                    format!("({t}){}", subscript(idx))
                }
            }
        },
    }
}

fn is_atomic(e: &Expr) -> bool {
    matches!(e.terms.as_slice(), [p] if p.coef == 1.0 && p.sums.is_empty() && p.factors.len() == 1)
}

fn superscript(k: i64) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if k < 0 {
        s.push('⁻');
    }
    for c in k.unsigned_abs().to_string().chars() {
        s.push(DIGITS[c as usize - '0' as usize]);
    }
    s
}

fn number(c: f64) -> String {
    crate::term::Number(c).to_string()
}

/// A product without its sign: `2 Σ_k x_k w_kj`.
fn product_abs(p: &Product, names: &Names, style: Style) -> String {
    let mut parts = Vec::new();
    let c = p.coef.abs();
    if c != 1.0 || p.factors.is_empty() {
        parts.push(number(c));
    }
    if !p.sums.is_empty() {
        parts.push(sigma(&p.sums, style));
    }
    for f in &p.factors {
        parts.push(factor(f, names, style));
    }
    parts.join(" ")
}

/// The text of an index expression.
pub fn show(e: &Expr, names: &Names, style: Style) -> String {
    if e.terms.is_empty() {
        return "0".to_string();
    }
    let minus = if style.ascii { "-" } else { "−" };
    let mut out = String::new();
    for (i, p) in e.terms.iter().enumerate() {
        let neg = p.coef < 0.0;
        match (i, neg) {
            (0, true) => out.push_str(minus),
            (0, false) => {}
            (_, true) => out.push_str(&format!(" {minus} ")),
            (_, false) => out.push_str(" + "),
        }
        out.push_str(&product_abs(p, names, style));
    }
    out
}
