//! `matdiff simplify`: the simplest equal form and the steps that reach it.

use matdiff::Format as Out;

use super::{Format, SimplifyArgs, inputs, on_worker, report};

/// Runs `simplify` over its input(s); returns the worst exit status.
pub fn run(args: &SimplifyArgs) -> i32 {
    let session = match args.limits.session(&args.lets) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let batch = args.expr == "-";
    let format = match (args.format, args.ascii) {
        (Format::Text, true) => Out::Ascii,
        (f, _) => f.into(),
    };
    let mut status = 0;
    for line in inputs(&args.expr) {
        let result = line.text().map(str::to_string).and_then(|src| {
            let session = session.clone();
            on_worker(args.limits.timeout, move || {
                let s = session.simplify(&src)?;
                let mut out = s.render(format);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                session.limits.check_output(&out)?;
                Ok(out)
            })
        });
        match result {
            Ok(out) => print!("{out}"),
            Err(e) => status = status.max(report(&line.locate(e, batch))),
        }
    }
    status
}
