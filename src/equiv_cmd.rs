//! `matdiff equiv`: equal (with a proof), not equal (with a counterexample),
//! or unknown (with the reason).

use matdiff::render::text::Style;
use matdiff::{Equivalence, Session};

use crate::cli::{EquivArgs, report};

/// Runs `equiv`: exit status 0 when proved equal, 1 when not equal or
/// unknown (the output says which), 2 for bad input.
pub fn run(args: &EquivArgs) -> i32 {
    let session = Session::with_lets(&args.lets);
    match session.equivalent(&args.a, &args.b) {
        Ok(answer) => {
            print!("{}", answer.render(args.explain, Style::default()));
            status(&answer)
        }
        Err(e) => report(&e),
    }
}

/// The exit status of an answer.
pub fn status(answer: &Equivalence) -> i32 {
    if answer.is_proved() { 0 } else { 1 }
}
