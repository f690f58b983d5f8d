//! The benchmark families, shared by `benches/derive.rs`, `benches/process.rs`
//! and `examples/growth.rs`: chains `tr(A1 … An X)`, networks
//! `L(tanh(… tanh(X W1 + B1) W2 + B2 …) Wk + Bk)`, and the public cases.

#![allow(dead_code)] // Each user takes what it needs.

use std::time::{Duration, Instant};

use matdiff::check;
use matdiff::engine::{self, Options};

/// A size whose estimated time per derivation exceeds this is skipped (with
/// a note), so that a whole run stays within minutes on two cores:
/// `MATDIFF_BENCH_BUDGET` seconds, 2 by default.
pub fn budget() -> Duration {
    std::env::var("MATDIFF_BENCH_BUDGET")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs(2), Duration::from_secs_f64)
}

/// `tr(A1 A2 … An X)`, differentiated with respect to `X`.
pub fn chain(n: usize) -> String {
    let factors: Vec<String> = (1..=n).map(|i| format!("A{i}")).collect();
    format!("tr({} X)", factors.join(" "))
}

/// A network of `k` tanh layers under an unknown loss, every variable.
pub fn network(k: usize) -> String {
    let mut e = "X W1 + B1".to_string();
    for i in 2..=k {
        e = format!("tanh({e}) W{i} + B{i}");
    }
    format!("L({e})")
}

/// One input of the public case file.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's id.
    pub id: String,
    /// The expression.
    pub expr: String,
    /// Its `--let` declarations.
    pub lets: Vec<String>,
    /// The variable differentiated by.
    pub wrt: String,
}

/// The case file: `MATDIFF_CASES`, else `../shared/cases/public.json` beside
/// the crate.
pub fn cases_path() -> String {
    std::env::var("MATDIFF_CASES").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/cases/public.json").to_string()
    })
}

/// The public cases, or a note saying why there are none.
pub fn cases() -> Result<Vec<Case>, String> {
    let path = cases_path();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let strs = |x: &serde_json::Value| -> Vec<String> {
        x.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let list = v["cases"]
        .as_array()
        .ok_or_else(|| format!("{path}: no \"cases\" array"))?;
    Ok(list
        .iter()
        .map(|c| Case {
            id: c["id"].as_str().unwrap_or("?").to_string(),
            expr: c["expr"].as_str().unwrap_or("").to_string(),
            lets: strs(&c["lets"]),
            wrt: c["wrt"].as_str().unwrap_or("").to_string(),
        })
        .collect())
}

/// An estimate of one whole derivation of `expr` (every variable, or
/// `wrt`): the derivation with respect to the first variable only, its
/// per-gradient part scaled by the number of gradients. `None` when the
/// input does not derive.
pub fn estimate(expr: &str, wrt: &[String]) -> Option<Duration> {
    let problem = check::check(expr, &[]).ok()?;
    let vars = problem.term.variables_in_order();
    let gradients = if wrt.is_empty() {
        vars.len()
    } else {
        wrt.len()
    };
    let first = wrt.first().or(vars.first())?.clone();
    let started = Instant::now();
    let der = engine::derive(
        &problem,
        &Options {
            wrt: vec![first],
            ..Options::default()
        },
    )
    .ok()?;
    let total = started.elapsed();
    let shared = Duration::from_micros(
        der.stats
            .iter()
            .filter(|s| s.stage == "differential")
            .map(|s| s.micros as u64)
            .sum(),
    );
    let per_gradient = total.saturating_sub(shared);
    Some(shared + per_gradient * gradients as u32)
}

/// Whether a derivation fits in [`budget`]; prints a note when it does not.
pub fn within_budget(family: &str, size: usize, expr: &str, wrt: &[String]) -> bool {
    match estimate(expr, wrt) {
        Some(t) if t <= budget() => true,
        Some(t) => {
            eprintln!(
                "note: {family} {size} skipped: an estimated {:.1} s per derivation (budget {:.1} s, MATDIFF_BENCH_BUDGET)",
                t.as_secs_f64(),
                budget().as_secs_f64()
            );
            false
        }
        None => {
            eprintln!("note: {family} {size} skipped: it does not derive");
            false
        }
    }
}
