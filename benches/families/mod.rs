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

/// The time of one whole derivation of `expr` (every variable, or `wrt`),
/// or `None` when it does not derive.
pub fn time_one(expr: &str, wrt: &[String]) -> Option<Duration> {
    let problem = check::check(expr, &[]).ok()?;
    let started = Instant::now();
    engine::derive(
        &problem,
        &Options {
            wrt: wrt.to_vec(),
            ..Options::default()
        },
    )
    .ok()?;
    Some(started.elapsed())
}

/// The sizes of a family to benchmark, ascending: each is derived once, and
/// the next is admitted only if its time, extrapolated from the last two
/// (with the fitted exponent, at least 1; quadratic from a single point), is
/// within [`budget`]. A size left out is named in a note. The probe never
/// starts a derivation expected to exceed the budget, and the admitted sizes
/// follow whatever the engine does today.
pub fn admitted(
    family: &str,
    sizes: &[usize],
    expr: fn(usize) -> String,
    wrt: &[String],
) -> Vec<usize> {
    let mut seen: Vec<(f64, f64)> = Vec::new();
    let mut out = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        let estimate = match seen.as_slice() {
            [] => 0.0,
            [(s, t)] => t * (n as f64 / s).powi(2),
            [.., (s0, t0), (s1, t1)] => {
                let b = ((t1 / t0).ln() / (s1 / s0).ln()).max(1.0);
                t1 * (n as f64 / s1).powf(b)
            }
        };
        if estimate > budget().as_secs_f64() {
            for &m in &sizes[i..] {
                eprintln!(
                    "note: {family} {m} skipped: estimated above the budget of {:.1} s per derivation (from {family} {}: {:.3} s; MATDIFF_BENCH_BUDGET raises it)",
                    budget().as_secs_f64(),
                    seen.last().map_or(0.0, |p| p.0),
                    seen.last().map_or(0.0, |p| p.1),
                );
            }
            break;
        }
        match time_one(&expr(n), wrt) {
            Some(t) if t > budget() => {
                eprintln!(
                    "note: {family} {n} skipped: one derivation took {:.1} s, above the budget of {:.1} s (MATDIFF_BENCH_BUDGET raises it)",
                    t.as_secs_f64(),
                    budget().as_secs_f64()
                );
                break;
            }
            Some(t) => {
                seen.push((n as f64, t.as_secs_f64().max(1e-6)));
                out.push(n);
            }
            None => eprintln!("note: {family} {n} skipped: it does not derive"),
        }
    }
    out
}
