//! `matdiff equiv`: equal (with a proof), not equal (with a counterexample),
//! or unknown (with the reason).

use matdiff::Equivalence;
use matdiff::render::text::Style;

use super::{EquivArgs, on_worker, report};

/// Runs `equiv`: exit status 0 when proved equal, 1 when not equal or
/// unknown (the output says which), 2 for bad input.
pub fn run(args: &EquivArgs) -> i32 {
    let session = match args.limits.session(&args.lets) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let (a, b) = (args.a.clone(), args.b.clone());
    let (explain, ascii) = (args.explain, args.ascii);
    let result = on_worker(args.limits.timeout, move || {
        let answer = session.equivalent(&a, &b)?;
        let style = Style {
            ascii,
            ..Style::default()
        };
        Ok((answer.render(explain, style), status(&answer)))
    });
    match result {
        Ok((text, status)) => {
            print!("{text}");
            status
        }
        Err(e) => report(&e),
    }
}

/// The exit status of an answer.
pub fn status(answer: &Equivalence) -> i32 {
    if answer.is_proved() { 0 } else { 1 }
}
