//! Contraction of the sums: `Σ_k δ_ki w_kj = w_ij`. A δ with a bound index
//! eliminates that index; `δ_kk = 1`; products that are equal after this
//! are collected into one with the sum of their coefficients.

use super::index::{Expr, Factor, Index, Product};

/// The contracted expression and the indices the δs eliminated, in order.
pub fn contract(e: &Expr) -> (Expr, Vec<(Index, Index)>) {
    let mut eliminated = Vec::new();
    let mut out: Vec<Product> = Vec::new();
    for p in &e.terms {
        let p = product(p, &mut eliminated);
        if p.coef == 0.0 {
            continue;
        }
        match out
            .iter_mut()
            .find(|q| q.sums == p.sums && q.factors == p.factors)
        {
            Some(q) => q.coef += p.coef,
            None => out.push(p),
        }
    }
    out.retain(|p| p.coef != 0.0);
    (Expr { terms: out }, eliminated)
}

fn product(p: &Product, eliminated: &mut Vec<(Index, Index)>) -> Product {
    let mut p = p.clone();
    loop {
        let same = p
            .factors
            .iter()
            .position(|f| matches!(f, Factor::Delta(a, b) if a == b));
        if let Some(k) = same {
            p.factors.remove(k);
            continue;
        }
        let found = p.factors.iter().enumerate().find_map(|(k, f)| match f {
            Factor::Delta(a, b) if p.sums.contains(b) => Some((k, b.clone(), a.clone())),
            Factor::Delta(a, b) if p.sums.contains(a) => Some((k, a.clone(), b.clone())),
            _ => None,
        });
        let Some((k, gone, kept)) = found else {
            break;
        };
        p.factors.remove(k);
        p.sums.retain(|s| *s != gone);
        for f in &mut p.factors {
            f.subst(&gone, &kept);
        }
        if !eliminated.iter().any(|(g, _)| *g == gone) {
            eliminated.push((gone, kept));
        }
    }
    p
}
