//! `matdiff simplify`: the simplest equal form and the steps that reach it.

use matdiff::{Error, Session};

use crate::cli::{Format, SimplifyArgs, inputs, report};

/// The library's format for a command-line format.
pub fn format(f: Format) -> matdiff::Format {
    match f {
        Format::Text => matdiff::Format::Text,
        Format::Latex => matdiff::Format::Latex,
        Format::Json => matdiff::Format::Json,
        Format::Numpy => matdiff::Format::Numpy,
        Format::Torch => matdiff::Format::Torch,
    }
}

/// Runs `simplify` over its input(s); returns the worst exit status.
pub fn run(args: &SimplifyArgs) -> i32 {
    let session = Session::with_lets(&args.lets);
    let mut status = 0;
    for line in inputs(&args.expr) {
        let line = match line {
            Ok(line) => line,
            Err(e) => return report(&Error::Usage(format!("cannot read standard input: {e}"))),
        };
        match session.simplify(&line) {
            Ok(s) => {
                let mut out = s.render(format(args.format));
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                print!("{out}");
            }
            Err(e) => status = status.max(report(&e)),
        }
    }
    status
}
