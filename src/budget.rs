//! Bounds on one derivation beyond the engine's per-run limits
//! ([`Limits`](crate::engine::Limits): e-nodes, iterations and time of each
//! e-graph run): the size of the term handed to the engine, the total wall
//! time of a command, and the size of what it prints.
//!
//! The parser already bounds the text (1 MiB, 256 levels of nesting); a
//! short text can still stand for a huge term (`X^{1000000}` is a product of
//! a million factors to the differential rules), so the term is measured with
//! powers expanded before any rule runs.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::term::Term;

/// The largest term the engine is given, in nodes, with `X^k` counted as
/// `k²` copies of `X` (the power rule writes `k` terms of `k` factors),
/// except `tr(Xᵏ)`, whose differential `k tr(Xᵏ⁻¹ dX)` is written at once.
/// Larger terms are refused with [`Error::TooComplex`]. A 64-layer network
/// (321 nodes), a 256-factor trace and `tr(X^{1000})` fit; `X^{23}` does not.
pub const MAX_TERM_SIZE: usize = 512;

/// The largest output of one command, in bytes; a derivation whose text is
/// longer is refused with [`Error::OutputTooLarge`].
pub const MAX_OUTPUT_BYTES: usize = 8 << 20;

/// The default wall-time budget of one input (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest excerpt of an input quoted in an error message, in characters.
pub const MAX_QUOTE_CHARS: usize = 120;

/// The size of `t` in nodes, counting `X^k` as `k²` copies of `X` (the sum
/// of `k` products of `k` factors that the power rule expands it into).
/// Saturates instead of overflowing.
pub fn term_size(t: &Term) -> usize {
    let children = t
        .children()
        .into_iter()
        .fold(0usize, |acc, c| acc.saturating_add(term_size(c)));
    match t {
        // d tr(Xᵏ) = k tr(Xᵏ⁻¹ dX): nothing is expanded.
        Term::Apply(crate::term::Func::Tr, a) if matches!(**a, Term::Pow(..)) => {
            let base = a.children().into_iter().map(term_size).sum::<usize>();
            base.saturating_mul(2).saturating_add(3)
        }
        Term::Pow(_, k) => {
            let k = usize::try_from(k.unsigned_abs())
                .unwrap_or(usize::MAX)
                .max(1);
            children
                .saturating_mul(k.saturating_mul(k))
                .saturating_add(1)
        }
        _ => children.saturating_add(1),
    }
}

/// Refuses a term larger than `limit` nodes (by [`term_size`]; the default
/// limit is [`MAX_TERM_SIZE`]) for any e-graph run: the node limit bounds
/// the number of e-nodes, not their width, so without this a 30,000-factor
/// product fills memory with 30,000-wide nodes. `source` names the term in
/// the message and `task` says what was asked (`differentiate`, `simplify`,
/// `compare`).
pub fn check_term_size(t: &Term, source: &str, task: &'static str, limit: usize) -> Result<()> {
    let size = term_size(t);
    if size > limit {
        return Err(Error::TooComplex {
            at: quote(source),
            task,
            size,
            limit,
        });
    }
    Ok(())
}

/// Refuses an output longer than `limit` bytes (by default
/// [`MAX_OUTPUT_BYTES`]).
pub fn check_output(text: &str, limit: usize) -> Result<()> {
    if text.len() > limit {
        return Err(Error::OutputTooLarge {
            size: text.len(),
            limit,
        });
    }
    Ok(())
}

/// `text` cut to at most [`MAX_QUOTE_CHARS`] characters, with `…` where it
/// was cut, so that an error about a huge input stays readable.
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTE_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_count_as_their_expansion() {
        let x = Term::var("X");
        assert_eq!(term_size(&x), 1);
        let p = Term::Pow(Box::new(x.clone()), 1_000);
        assert_eq!(term_size(&p), 1_000_001, "k terms of k factors");
        let huge = Term::Pow(Box::new(Term::Pow(Box::new(x), i64::MIN)), i64::MIN);
        assert_eq!(term_size(&huge), usize::MAX, "saturates, never overflows");
    }

    #[test]
    fn quotes_are_cut_on_a_character_boundary() {
        assert_eq!(quote("tr(X)"), "tr(X)");
        let long = "Xᵀ".repeat(200);
        let q = quote(&long);
        assert_eq!(q.chars().count(), MAX_QUOTE_CHARS + 1);
        assert!(q.ends_with('…'));
    }
}
