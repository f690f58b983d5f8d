//! `matdiff grad`: derive, verify and print.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use matdiff::engine::{self, CostModel, Derivation, Limits, Options, flops};
use matdiff::render::{self, text::Style};
use matdiff::verify::{self, Check};
use matdiff::{Error, budget, check};

use crate::cli::{Cost, Format, GradArgs, Method, inputs, report};

/// Random points per gradient in the numeric check.
const TRIALS: u32 = 3;

/// Runs `grad` over its input(s); returns the worst exit status.
pub fn run(args: &GradArgs) -> i32 {
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
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(Error::Limit {
            stage: "derivation".to_string(),
            limit: matdiff::error::LimitKind::Time(seconds),
            at: Box::new(
                check::check(src, &args.lets)
                    .map(|p| p.term)
                    .unwrap_or_else(|_| matdiff::Term::var("input")),
            ),
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
    let cost = match args.cost {
        Some(Cost::Flops) => CostModel::Flops,
        None => CostModel::Size,
    };
    if cost == CostModel::Flops {
        let symbolic = flops::symbolic_dims(&problem.env);
        if !symbolic.is_empty() {
            return Err(Error::Usage(format!(
                "--cost flops needs concrete dimensions, but {} {} symbolic (declare sizes, e.g. --let 'X: 1000×10')",
                symbolic.join(", "),
                if symbolic.len() == 1 { "is" } else { "are" }
            )));
        }
    }
    let opts = Options {
        wrt: args.wrt.clone(),
        limits: Limits {
            nodes: args.node_limit,
            // Nine tenths, so that a run that takes it all is reported by
            // its stage rather than by the wall clock.
            time: Duration::from_secs_f64(args.timeout * 0.9),
            ..Limits::default()
        },
        cost,
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
    if cost == CostModel::Flops && args.format == Format::Text {
        let by_size = engine::derive(
            &problem,
            &Options {
                cost: CostModel::Size,
                ..opts
            },
        )?;
        out.push_str(&flop_table(&der, &by_size, style));
    }
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
    // Large declared sizes (1000×10) are checked at small stand-in sizes.
    let c = if matdiff::shrink::needed(&der.problem.env) {
        verify::check(&matdiff::shrink::derivation(der), seed, trials)?
    } else {
        verify::check(der, seed, trials)?
    };
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

/// The FLOPs of each gradient as the smallest form and as the cheapest one.
fn flop_table(der: &Derivation, by_size: &Derivation, style: Style) -> String {
    let env = &der.problem.env;
    let show = |n: Option<flops::Count>| n.map_or_else(|| "?".to_string(), flops::describe);
    let mut s = String::from(
        "\nFLOPs to evaluate each gradient (a product m×k by k×n is 2mkn; a repeated subexpression counts once):\n",
    );
    for (g, small) in der.gradients.iter().zip(&by_size.gradients) {
        let name = render::text::name(&g.wrt, style);
        s.push_str(&format!(
            "  {name}: {} as {} (smallest form), {} as {}\n",
            show(flops::count(&small.result, env)),
            render::text::show(&small.result, style),
            show(flops::count(&g.result, env)),
            render::text::show(&g.result, style),
        ));
    }
    s
}

/// The `--stats` table: one row per e-graph run of the derivation (its
/// e-nodes, e-classes, iterations, why it stopped and its wall time), then
/// the totals.
fn stats(der: &Derivation) -> String {
    let mut s = format!(
        "\nstatistics of {}\n{:<38} {:>7} {:>8} {:>6}  {:<10} {:>10}\n",
        der.problem.source, "stage", "nodes", "classes", "iters", "stop", "time"
    );
    let row = |s: &mut String, stage: &str, n: usize, c: usize, i: usize, stop: &str, us: u128| {
        s.push_str(&format!(
            "{:<38} {:>7} {:>8} {:>6}  {:<10} {:>7.3} ms\n",
            stage,
            n,
            c,
            i,
            stop,
            us as f64 / 1000.0
        ));
    };
    for st in &der.stats {
        row(
            &mut s,
            &st.stage,
            st.nodes,
            st.classes,
            st.iterations,
            &st.stop,
            st.micros,
        );
    }
    let sum = |f: fn(&engine::StageStats) -> usize| der.stats.iter().map(f).sum::<usize>();
    row(
        &mut s,
        &format!("total ({} runs)", der.stats.len()),
        sum(|st| st.nodes),
        sum(|st| st.classes),
        sum(|st| st.iterations),
        "",
        der.stats.iter().map(|st| st.micros).sum(),
    );
    s
}
