//! `matdiff grad`: derive, verify and print.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use matdiff::engine::{self, Derivation, Limits, Options};
use matdiff::render::{self, text::Style};
use matdiff::verify::{self, Check};
use matdiff::{Error, budget, check};

use crate::cli::{Format, GradArgs, Method, inputs, report};

/// Random points per gradient in the numeric check.
const TRIALS: u32 = 3;

/// Runs `grad` over its input(s); returns the worst exit status.
pub fn run(args: &GradArgs) -> i32 {
    if args.cost.is_some() {
        return report(&Error::Unsupported {
            at: "--cost flops".to_string(),
            reason: "FLOP-based extraction is not available in this version".to_string(),
        });
    }
    let batch = args.expr == "-";
    let mut status = 0;
    let stdout = std::io::stdout();
    let style = Style {
        ascii: args.ascii,
        color: stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut first = true;
    for line in inputs(&args.expr) {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                return status.max(report(&Error::Usage(format!(
                    "cannot read standard input: {e}"
                ))));
            }
        };
        // Derivations in text, LaTeX or code are separated by a blank line.
        if batch && !first && args.format != Format::Json {
            let _ = writeln!(stdout.lock());
        }
        first = false;
        let out = match one(&line, args, batch, style) {
            Ok(text) => text,
            Err(e) => {
                status = status.max(report(&e));
                if batch && args.format == Format::Json {
                    let v = serde_json::json!({"input": line, "error": e.to_string(), "exit": e.exit_code()});
                    let _ = writeln!(stdout.lock(), "{v}");
                }
                continue;
            }
        };
        let _ = stdout.lock().write_all(out.as_bytes());
    }
    status
}

/// Stack of the worker thread: the passes recurse over terms up to
/// `check::MAX_TERM_DEPTH` deep, so it gets the main thread's usual size and more.
const WORKER_STACK: usize = 16 << 20;

/// `work` on a worker thread, abandoned with a time-limit error when it
/// takes longer than `--timeout`. Each e-graph run also stops at that time on
/// its own, so an abandoned worker of a batch finishes soon after.
fn one(src: &str, args: &GradArgs, batch: bool, style: Style) -> Result<String, Error> {
    let seconds = args.timeout;
    let (tx, rx) = mpsc::channel();
    let (job_src, job_args) = (src.to_string(), args.clone());
    let worker = std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let _ = tx.send(work(&job_src, &job_args, batch, style));
        })
        .map_err(|e| Error::Usage(format!("cannot start a worker thread: {e}")))?;
    match rx.recv_timeout(Duration::from_secs_f64(seconds)) {
        Ok(result) => result.map_err(budget::shorten),
        Err(RecvTimeoutError::Timeout) => Err(Error::Limit {
            stage: "derivation".to_string(),
            limit: format!("time ({seconds} s)"),
            at: budget::quote(src),
        }),
        // The worker dropped its sender without sending: it panicked. Let the
        // panic go on here, as if there were no worker.
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => Err(Error::Usage(
                "the derivation stopped without a result".to_string(),
            )),
        },
    }
}

fn work(src: &str, args: &GradArgs, batch: bool, style: Style) -> Result<String, Error> {
    let problem = check::check(src, &args.lets)?;
    budget::check_term_size(&problem.term, src)?;
    if args.method != Method::Differential {
        return crate::components_cmd::one(&problem, args, batch);
    }
    let opts = Options {
        wrt: args.wrt.clone(),
        limits: Limits {
            nodes: args.node_limit,
            time: Duration::from_secs_f64(args.timeout),
            ..Limits::default()
        },
    };
    let der = engine::derive(&problem, &opts)?;
    let checked = if args.no_check {
        None
    } else {
        Some(verify_all(&der, args.seed.unwrap_or(0))?)
    };
    let mut out = match args.format {
        Format::Text => {
            render::derivation::render(&der, checked.as_ref().filter(|_| args.check), style)
        }
        Format::Json => {
            let v = render::json::render(&der, checked.as_ref());
            if batch {
                format!("{v}\n")
            } else {
                format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
            }
        }
        Format::Latex => render::latex::derivation(&der),
        Format::Numpy => render::numpy::functions(&der, render::numpy::Lib::Numpy),
        Format::Torch => render::numpy::functions(&der, render::numpy::Lib::Torch),
    };
    if args.stats {
        out.push_str(&stats(&der));
    }
    budget::check_output(&out)?;
    Ok(out)
}

fn verify_all(der: &Derivation, seed: u64) -> Result<Check, Error> {
    // A deep network has many gradients, each checked entry by entry; one
    // random point each keeps the check to about a second.
    let trials = if der.bindings.len() > 32 { 1 } else { TRIALS };
    let c = verify::check(der, seed, trials)?;
    if !c.passed() {
        let worst: Vec<String> = c
            .failures()
            .iter()
            .map(|(v, e)| format!("∂/∂{v}: relative error {e:.2e}"))
            .collect();
        return Err(Error::CheckFailed {
            detail: format!(
                "{} (tolerance {:.0e}, {} points, seed {})",
                worst.join("; "),
                matdiff::numeric::TOLERANCE,
                c.trials,
                c.seed
            ),
        });
    }
    Ok(c)
}

fn stats(der: &Derivation) -> String {
    let mut s = String::from(
        "\nstage                                  nodes  classes  iters  stop        time\n",
    );
    for st in &der.stats {
        s.push_str(&format!(
            "{:<38} {:>6} {:>8} {:>6}  {:<10} {:>7.3} ms\n",
            st.stage,
            st.nodes,
            st.classes,
            st.iterations,
            st.stop,
            st.micros as f64 / 1000.0
        ));
    }
    s
}
