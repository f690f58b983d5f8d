//! `matdiff jacobian`: the Jacobian of any expression, with its JVP and VJP,
//! one query of the library's pipeline per input, printed. `hessian` runs
//! through [`run_query`] too.

use std::io::Write;

use matdiff::render::text::Style;
use matdiff::{DerivativeOptions, Error, RenderOptions, Session};

use super::{DerivArgs, Format, inputs, on_worker, report, stdout_color};

/// Runs `jacobian` over its input(s); returns the worst exit status.
pub fn run(args: &DerivArgs) -> i32 {
    run_query(args, |session, src, opts, format, render| {
        let answer = session.jacobian(src, opts)?;
        let out = answer.render(format, render, session.limits.output_bytes)?;
        Ok((out, answer.stats()))
    })
}

/// A query: the rendered answer and its statistics.
pub type Query = fn(
    &Session,
    &str,
    &DerivativeOptions,
    matdiff::Format,
    &RenderOptions,
) -> Result<(String, String), Error>;

/// Runs `query` over the inputs of `args` (one, or one per line of standard
/// input), printing each answer; returns the worst exit status.
pub fn run_query(args: &DerivArgs, query: Query) -> i32 {
    let session = match args.limits.session(&args.lets) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let batch = args.expr == "-";
    let json = args.format == Format::Json;
    let opts = DerivativeOptions {
        wrt: args.wrt.clone(),
        check: !args.no_check,
    };
    let render = RenderOptions {
        style: Style {
            ascii: args.ascii,
            dim: stdout_color().then_some(super::dim as fn(&str) -> String),
        },
        show_check: args.check,
        compact: batch,
    };
    let format: matdiff::Format = match (args.format, args.ascii) {
        (Format::Text, true) => matdiff::Format::Ascii,
        (f, _) => f.into(),
    };
    let stdout = std::io::stdout();
    let mut status = 0;
    let mut first = true;
    for line in inputs(&args.expr) {
        if batch && !first && !json {
            let _ = writeln!(stdout.lock());
        }
        first = false;
        let result = line.text().map(str::to_string).and_then(|src| {
            let (session, opts) = (session.clone(), opts.clone());
            on_worker(args.limits.timeout, move || {
                query(&session, &src, &opts, format, &render)
            })
        });
        match result {
            Ok((out, stats)) => {
                let _ = stdout.lock().write_all(out.as_bytes());
                if args.stats {
                    eprint!("\n{stats}");
                }
            }
            Err(e) => {
                let e = line.locate(e, batch);
                status = status.max(report(&e));
                if batch && json {
                    let v = serde_json::json!({"input": line.lossy(), "error": e.to_string(), "exit": e.exit_code()});
                    let _ = writeln!(stdout.lock(), "{v}");
                }
            }
        }
    }
    status
}
