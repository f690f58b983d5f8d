//! The whole `grad` pipeline on any text: check, derive, verify numerically,
//! render in every format. The first line is the expression, every further
//! line a `--let` declaration.
//!
//! Allowed outcomes: an input error, an engine `Unsupported` or `Limit`, a
//! numeric error that comes from the random point (a singular draw, a value
//! outside a function's domain) or from a size the check refuses. A derived
//! gradient that fails the numeric check, or that cannot even be evaluated
//! (wrong shape, unknown variable), is a crash.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use matdiff::engine::{self, CostModel, Limits, Options};
use matdiff::numeric::EvalError;
use matdiff::render::{self, text::Style};
use matdiff::{Error, check, verify};

/// Small budgets keep the executions per second up (100 ms per e-graph run);
/// a limit is an allowed outcome.
fn options() -> Options {
    Options {
        wrt: Vec::new(),
        limits: Limits {
            nodes: 5_000,
            iterations: 30,
            time: Duration::from_millis(100),
        },
        cost: CostModel::Size,
    }
}

fn allowed(e: &Error) -> bool {
    match e {
        Error::Unsupported { .. } | Error::Limit { .. } | Error::Usage(_) => true,
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

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let expr = lines.next().unwrap_or_default();
    let lets: Vec<String> = lines.map(str::to_string).collect();
    let Ok(problem) = check::check(expr, &lets) else {
        return;
    };
    let der = match engine::derive(&problem, &options()) {
        Ok(d) => d,
        Err(e) => {
            assert!(allowed(&e), "derive({expr:?}, {lets:?}): {e}");
            let _ = e.render(false, 80);
            return;
        }
    };
    let checked = match verify::check(&der, 0, 2) {
        Ok(c) => {
            assert!(
                c.passed(),
                "wrong gradient for {expr:?} {lets:?}: {:?}\n{}",
                c.per_gradient,
                render::derivation::render(&der, None, Style::default())
            );
            Some(c)
        }
        Err(e) => {
            assert!(
                allowed(&e),
                "gradient of {expr:?} {lets:?} cannot be checked: {e}\n{}",
                render::derivation::render(&der, None, Style::default())
            );
            None
        }
    };
    let _ = render::derivation::render(&der, checked.as_ref(), Style::default());
    let _ = render::derivation::render(&der, checked.as_ref(), Style {
            ascii: true,
            color: false,
        });
    let _ = render::json::render(&der, checked.as_ref()).to_string();
    let _ = render::latex::derivation(&der);
    let _ = render::numpy::functions(&der, render::numpy::Lib::Numpy);
    let _ = render::numpy::functions(&der, render::numpy::Lib::Torch);
});
