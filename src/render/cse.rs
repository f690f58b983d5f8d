//! Common subexpressions: the sub-terms of a term that occur more than once,
//! so that generated code computes each of them once and binds it to a
//! temporary.

use std::collections::HashMap;

use crate::term::Term;

/// Whether binding `t` to a temporary would not save any work: names,
/// constants, and a transpose or negation of one (`X.T` is a view).
fn trivial(t: &Term) -> bool {
    match t {
        Term::Var(_) | Term::Num(_) | Term::Identity(_) | Term::Ones(_) | Term::Zero(_) => true,
        Term::Transpose(a) | Term::Neg(a) => trivial(a),
        _ => false,
    }
}

/// The non-trivial sub-terms of `t` used two or more times, each listed
/// after every shared sub-term it contains (the order to bind them in).
///
/// Occurrences are counted as in the term's DAG: the inside of a repeated
/// sub-term counts once, so `(A B)ᵀ C + D (A B)ᵀ` shares `(A B)ᵀ` but does
/// not also bind `A B`. `t` itself is never listed.
pub fn shared(t: &Term) -> Vec<Term> {
    let mut uses: HashMap<&Term, usize> = HashMap::new();
    count(t, &mut uses);
    let mut order = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in t.children() {
        collect(c, &uses, &mut seen, &mut order);
    }
    order
}

fn count<'a>(t: &'a Term, uses: &mut HashMap<&'a Term, usize>) {
    // An explicit stack: terms can be deep and this must not overflow.
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        let n = uses.entry(t).or_insert(0);
        *n += 1;
        if *n == 1 {
            stack.extend(t.children());
        }
    }
}

fn collect<'a>(
    t: &'a Term,
    uses: &HashMap<&'a Term, usize>,
    seen: &mut std::collections::HashSet<&'a Term>,
    order: &mut Vec<Term>,
) {
    if trivial(t) || seen.contains(t) {
        return;
    }
    seen.insert(t);
    for c in t.children() {
        collect(c, uses, seen, order);
    }
    if uses.get(t).copied().unwrap_or(0) >= 2 {
        order.push(t.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: &str) -> Term {
        Term::var(n)
    }
    fn t(a: Term) -> Term {
        Term::Transpose(Box::new(a))
    }

    #[test]
    fn a_repeated_product_is_shared_once_and_its_inside_is_not() {
        let ab = Term::Mul(vec![v("A"), v("B")]);
        let term = Term::Add(vec![
            Term::Mul(vec![t(ab.clone()), v("C")]),
            Term::Mul(vec![v("D"), t(ab.clone())]),
        ]);
        assert_eq!(shared(&term), vec![t(ab)]);
    }

    #[test]
    fn inner_shared_terms_come_first() {
        let inv = Term::Inverse(Box::new(v("X")));
        let p = Term::Mul(vec![inv.clone(), v("A"), inv.clone()]);
        let term = Term::Add(vec![p.clone(), t(p.clone())]);
        assert_eq!(shared(&term), vec![inv, p]);
    }

    #[test]
    fn names_and_transposes_of_names_are_not_shared() {
        let term = Term::Mul(vec![t(v("X")), v("A"), t(v("X")), v("A")]);
        assert!(shared(&term).is_empty());
    }
}
