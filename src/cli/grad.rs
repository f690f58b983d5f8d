//! `matdiff grad`: one query of the library's pipeline per input, printed.

use std::io::Write;

use matdiff::engine::CostModel;
use matdiff::render::text::Style;
use matdiff::{Error, GradOptions, RenderOptions, Session};

use super::{Cost, Format, GradArgs, inputs, on_worker, report, stdout_color};

/// Runs `grad` over its input(s); returns the worst exit status.
pub fn run(args: &GradArgs) -> i32 {
    let session = match args.limits.session(&args.lets) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let batch = args.expr == "-";
    let json = args.format == Format::Json;
    let mut status = 0;
    let stdout = std::io::stdout();
    let mut first = true;
    for line in inputs(&args.expr) {
        // Derivations in text, LaTeX or code are separated by a blank line.
        if batch && !first && !json {
            let _ = writeln!(stdout.lock());
        }
        first = false;
        let result = line
            .text()
            .map(str::to_string)
            .and_then(|src| one(&session, src, args, batch));
        match result {
            Ok((out, stats)) => {
                let _ = stdout.lock().write_all(out.as_bytes());
                if let Some(stats) = stats {
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

/// One input through the pipeline: the rendered answer, and the statistics
/// when asked for.
fn one(
    session: &Session,
    src: String,
    args: &GradArgs,
    batch: bool,
) -> Result<(String, Option<String>), Error> {
    let opts = GradOptions {
        wrt: args.wrt.clone(),
        method: args.method.into(),
        cost: match args.cost {
            Some(Cost::Flops) => CostModel::Flops,
            None => CostModel::Size,
        },
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
    let format = args.format.into();
    let stats = args.stats;
    let session = session.clone();
    on_worker(args.limits.timeout, move || {
        let answer = session.derive(&src, &opts)?;
        let out = answer.render(format, &render, session.limits.output_bytes)?;
        Ok((out, stats.then(|| answer.stats())))
    })
}
