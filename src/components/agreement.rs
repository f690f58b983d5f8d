//! Whether the two views agree: each gradient by components against the
//! same gradient by the matrix differential, symbolically (equal normal
//! forms) where the forms allow it and always numerically.

use super::Derivation;
use crate::engine;
use crate::error::Result;
use crate::numeric::{Comparison, compare_within};
use crate::term::Term;

/// The verdict for one variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The variable.
    pub wrt: String,
    /// Whether both results have the same normal form.
    pub symbolic: bool,
    /// The numeric comparison; `None` when the components result has no
    /// matrix form (then only its index form is shown).
    pub numeric: Option<Comparison>,
}

impl Verdict {
    /// Whether the two results are equal (symbolically or numerically).
    pub fn agree(&self) -> bool {
        self.symbolic || self.numeric.as_ref().is_some_and(Comparison::agree)
    }
}

/// The verdicts of all variables.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// One verdict per variable, in the order of the derivations.
    pub verdicts: Vec<Verdict>,
    /// The seed of the numeric comparison.
    pub seed: u64,
}

impl Agreement {
    /// Whether every gradient agrees.
    pub fn agree(&self) -> bool {
        self.verdicts.iter().all(Verdict::agree)
    }
}

/// Compares the two derivations gradient by gradient at `trials` random
/// points.
pub fn agreement(
    differential: &engine::Derivation,
    components: &Derivation,
    seed: u64,
    trials: u32,
) -> Result<Agreement> {
    let env = &differential.problem.env;
    let mut verdicts = Vec::new();
    for g in &differential.gradients {
        let Some(c) = components.gradients.iter().find(|c| c.wrt == g.wrt) else {
            continue;
        };
        let Some(result) = &c.result else {
            verdicts.push(Verdict {
                wrt: g.wrt.clone(),
                symbolic: false,
                numeric: None,
            });
            continue;
        };
        // A derivation layer by layer names its intermediates; the
        // components method writes the whole expression.
        let whole = engine::layers::written_out(&g.result, &differential.bindings);
        let symbolic = normal(result) == normal(&whole);
        let numeric = compare_within(
            &whole,
            result,
            &[&differential.problem.term],
            env,
            seed,
            trials,
        )?;
        verdicts.push(Verdict {
            wrt: g.wrt.clone(),
            symbolic,
            numeric: Some(numeric),
        });
    }
    Ok(Agreement { verdicts, seed })
}

/// A light normal form: nested sums and products spliced, double
/// transposes and negations removed, identities dropped from products,
/// sums sorted. Equal normal forms are equal terms; unequal ones may still
/// be equal, which the numeric comparison decides.
pub fn normal(t: &Term) -> Term {
    let b = |x: &Term| Box::new(normal(x));
    match t.flattened() {
        Term::Transpose(a) => match normal(&a) {
            Term::Transpose(inner) => *inner,
            Term::Identity(d) => Term::Identity(d),
            x => Term::Transpose(Box::new(x)),
        },
        Term::Neg(a) => match normal(&a) {
            Term::Neg(inner) => *inner,
            x => Term::Neg(Box::new(x)),
        },
        Term::Mul(fs) => {
            let mut fs: Vec<Term> = fs.iter().map(normal).collect();
            if fs.len() > 1 {
                fs.retain(|f| !matches!(f, Term::Identity(_)));
            }
            match fs.len() {
                1 => fs.pop().unwrap_or_else(|| Term::num(1.0)),
                _ => Term::Mul(fs),
            }
        }
        Term::Add(ts) => {
            let mut ts: Vec<Term> = ts.iter().map(normal).collect();
            ts.sort();
            Term::Add(ts)
        }
        Term::Scale(s, a) if *s == Term::num(1.0) => normal(&a),
        Term::Scale(s, a) => Term::Scale(b(&s), b(&a)),
        Term::Hadamard(x, y) => Term::Hadamard(b(&x), b(&y)),
        Term::ElemDiv(x, y) => Term::ElemDiv(b(&x), b(&y)),
        Term::Div(x, y) => Term::Div(b(&x), b(&y)),
        Term::Inverse(a) => Term::Inverse(b(&a)),
        Term::Pow(a, k) => Term::Pow(b(&a), k),
        Term::Apply(f, a) => Term::Apply(f, b(&a)),
        Term::Unknown(n, a) => Term::Unknown(n, b(&a)),
        Term::Diff(a) => Term::Diff(b(&a)),
        leaf => leaf,
    }
}
