//! Whole-process timings of `matdiff hessian` and `matdiff jacobian` as a
//! user runs them: median wall time over repeated runs, output size and peak
//! memory (from `/usr/bin/time -f %M` when it is installed). The cases of
//! BENCHMARKS.md: the Hessian of logistic regression and of `xᵀAx`, a
//! Jacobian in Kronecker form, and the Hessian-vector product of networks of
//! 8 to 64 tanh layers through their named layers, each with the numeric
//! check on (the default) and off.
//!
//! Run with `cargo bench --bench second_order`; `MATDIFF_RUNS` sets the runs
//! per input (default 11). `benches/peers_second_order.py` times jax on the
//! same cases.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_matdiff");

/// `L(tanh(… tanh(X W1 + B1) W2 + B2 …) Wk + Bk)`.
fn network(k: usize) -> String {
    let mut h = "X".to_string();
    for i in 1..k {
        h = format!("tanh({h} W{i} + B{i})");
    }
    format!("L({h} W{k} + B{k})")
}

fn peak_kib(args: &[String]) -> Option<u64> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", BIN])
        .args(args)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("MATDIFF_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    let cases: Vec<(String, Vec<String>)> = {
        let s = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut v = vec![
            (
                "hessian logistic regression".to_string(),
                s(&["hessian", "sum(softplus(Xw)) - yᵀXw", "--wrt", "w"]),
            ),
            (
                "hessian xᵀAx".to_string(),
                s(&["hessian", "xᵀAx", "--wrt", "x"]),
            ),
            (
                "hessian logdet(X)".to_string(),
                s(&["hessian", "logdet(X)", "--wrt", "X"]),
            ),
            (
                "jacobian tanh(Wx + b)".to_string(),
                s(&["jacobian", "tanh(Wx + b)", "--wrt", "x"]),
            ),
        ];
        for k in [8, 16, 32, 64] {
            v.push((
                format!("HVP network {k} layers"),
                vec![
                    "hessian".to_string(),
                    network(k),
                    "--wrt".to_string(),
                    "W1".to_string(),
                ],
            ));
        }
        v
    };
    println!("matdiff … --format json, whole process, {runs} runs per input (median)");
    println!(
        "{:<30} {:>14} {:>14} {:>10} {:>9}  status",
        "input", "checked ms", "--no-check ms", "output B", "peak MB"
    );
    for (name, base) in &cases {
        let mut medians = Vec::new();
        let mut bytes = 0;
        let mut ok = true;
        let mut peak = None;
        for check in [true, false] {
            let mut args = base.clone();
            args.extend(["--format".to_string(), "json".to_string()]);
            if !check {
                args.push("--no-check".to_string());
            }
            let mut times: Vec<Duration> = Vec::new();
            for _ in 0..runs {
                let started = Instant::now();
                let out = Command::new(BIN)
                    .args(&args)
                    .output()
                    .expect("matdiff runs");
                times.push(started.elapsed());
                ok &= out.status.success();
                bytes = out.stdout.len();
            }
            times.sort();
            medians.push(times[times.len() / 2]);
            if check {
                peak = peak_kib(&args);
            }
        }
        println!(
            "{:<30} {:>14.1} {:>14.1} {:>10} {:>9}  {}",
            name,
            medians[0].as_secs_f64() * 1000.0,
            medians[1].as_secs_f64() * 1000.0,
            bytes,
            peak.map_or_else(|| "-".to_string(), |k| format!("{:.1}", k as f64 / 1024.0)),
            if ok { "ok" } else { "FAILED" }
        );
    }
}
