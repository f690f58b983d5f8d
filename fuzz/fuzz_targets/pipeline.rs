//! One input through the library's whole `grad` pipeline, as the `grad`
//! fuzz target runs it and `tests/fuzz_found.rs` replays it: the text's
//! first line is the expression, every further line a `--let`
//! declaration. Shared by both through `#[path]`, so the two cannot drift.
//!
//! Allowed outcomes: an input error (exit status 2), an engine `Unsupported`
//! or `Limit`, a numeric error that comes from the random point (a singular
//! draw, a value outside a function's domain) or from a size the check
//! refuses. A derived gradient that fails the numeric check, or that cannot
//! even be evaluated (wrong shape, unknown variable), panics.

#![allow(clippy::result_large_err)] // see the note in lib.rs

use std::time::Duration;

use matdiff::numeric::EvalError;
use matdiff::{Error, Format, GradOptions, Limits, RenderOptions, Session, Style};

/// What became of one input.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Refused as bad input (exit status 2).
    Refused,
    /// An allowed error of the engine or of the numeric check's point.
    Stopped,
    /// Derived, checked and rendered; `summarised` when a stage was too
    /// long to print step by step.
    Derived {
        /// Whether some stage was summarised in one line.
        summarised: bool,
    },
}

/// Small budgets keep the executions per second up: 2,000 e-nodes and 25 ms
/// per e-graph run when fuzzing (a grown corpus is mostly inputs that reach
/// the limits, and at 5,000 nodes and 100 ms a run took 16 ms on average);
/// 5,000 nodes and 500 ms when replayed by the tests, whose profile is
/// slower and which must derive the power chain. A limit is an allowed
/// outcome.
pub fn session(lets: &[String]) -> Result<Session, Error> {
    let mut s = Session::with_lets(lets)?;
    let (nodes, run) = if cfg!(test) {
        (5_000, 500)
    } else {
        (2_000, 25)
    };
    s.limits = Limits {
        nodes,
        iterations: 30,
        run_time: Duration::from_millis(run),
        timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    s.limits.trials = 2;
    Ok(s)
}

fn allowed(e: &Error) -> bool {
    match e {
        Error::Unsupported { .. }
        | Error::Limit { .. }
        | Error::Usage(_)
        | Error::TooComplex { .. }
        | Error::OutputTooLarge { .. }
        // No usable point for the check (the input is defined nowhere near
        // the points drawn, `log(X ./ (0 Y))`): reported as unverified, with
        // what to do, and the gradient is not printed.
        | Error::Unverified { .. } => true,
        Error::Numeric(n) => {
            n.is_domain()
                || matches!(n, EvalError::TooLarge { .. })
                // Known: the numeric model of an unknown function has one
                // gradient matrix per name, so `L(X) + L(W)` with X and W of
                // different shapes cannot be evaluated (see the README).
                || matches!(n, EvalError::ShapeMismatch { op: "unknown function", .. })
        }
        _ => false,
    }
}

/// Runs `text` through the pipeline and every renderer.
pub fn run(text: &str) -> Outcome {
    let mut lines = text.split('\n');
    let expr = lines.next().unwrap_or_default();
    let lets: Vec<String> = lines.map(str::to_string).collect();
    let session = match session(&lets) {
        Ok(s) => s,
        Err(e) => {
            assert_eq!(e.exit_code(), 2, "{e}");
            return Outcome::Refused;
        }
    };
    let answer = match session.derive(expr, &GradOptions::new()) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.render(false, 80);
            if e.exit_code() == 2 {
                return Outcome::Refused;
            }
            assert!(allowed(&e), "grad({expr:?}, {lets:?}): {e}");
            return Outcome::Stopped;
        }
    };
    let mut summarised = false;
    for format in [
        Format::Text,
        Format::Ascii,
        Format::Json,
        Format::Latex,
        Format::Numpy,
        Format::Torch,
    ] {
        let opts = RenderOptions {
            style: Style::default(),
            show_check: true,
            compact: false,
        };
        match answer.render(format, &opts, session.limits.output_bytes) {
            Ok(out) => {
                if format == Format::Ascii {
                    assert!(out.is_ascii(), "ASCII output of {expr:?} is not ASCII");
                }
                summarised |= out.contains("too long to print");
            }
            Err(e) => assert!(allowed(&e), "render({expr:?}, {format:?}): {e}"),
        }
    }
    Outcome::Derived { summarised }
}
