//! Whole-process timings: `matdiff grad … --format json` as a user runs it,
//! median wall time over repeated runs, output size, and peak memory (from
//! `/usr/bin/time -f %M` when it is installed). Families: every public case,
//! chains `tr(A1 … An X)` and networks of `k` tanh layers, with the numeric
//! check on (the default) for the public cases, off and on for the families
//! (the check draws their symbolic sizes at random from the fixed seed), and
//! `matdiff --version` alone, the start-up under every other time.
//!
//! Run with `cargo bench --bench process`; `MATDIFF_RUNS` sets the runs per
//! input (default 21).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod families;

const BIN: &str = env!("CARGO_BIN_EXE_matdiff");

fn args(expr: &str, lets: &[String], wrt: &[String], check: bool) -> Vec<String> {
    let mut a = vec!["grad".to_string(), expr.to_string()];
    for l in lets {
        a.extend(["--let".to_string(), l.clone()]);
    }
    for w in wrt {
        a.extend(["--wrt".to_string(), w.clone()]);
    }
    a.extend(["--format".to_string(), "json".to_string()]);
    if !check {
        a.push("--no-check".to_string());
    }
    a
}

fn run(args: &[String]) -> (Duration, Output) {
    let started = Instant::now();
    let out = Command::new(BIN).args(args).output().expect("matdiff runs");
    (started.elapsed(), out)
}

/// Peak resident memory in KiB of one run, from GNU time.
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

struct Row {
    name: String,
    median: Duration,
    bytes: usize,
    peak: Option<u64>,
    ok: bool,
}

fn measure(name: &str, args: &[String], runs: usize) -> Row {
    let (first, out) = run(args);
    let mut times = vec![first];
    // A slow input is timed once: the budget is minutes for the whole run.
    if first < families::budget() / 4 {
        for _ in 1..runs {
            times.push(run(args).0);
        }
    }
    times.sort();
    Row {
        name: name.to_string(),
        median: times[times.len() / 2],
        bytes: out.stdout.len(),
        peak: peak_kib(args),
        ok: out.status.success(),
    }
}

fn print(title: &str, rows: &[Row]) {
    println!("\n{title}");
    println!(
        "{:<34} {:>12} {:>12} {:>10}  status",
        "input", "median ms", "output B", "peak MB"
    );
    for r in rows {
        println!(
            "{:<34} {:>12.3} {:>12} {:>10}  {}",
            r.name,
            r.median.as_secs_f64() * 1000.0,
            r.bytes,
            r.peak
                .map_or_else(|| "-".to_string(), |k| format!("{:.1}", k as f64 / 1024.0)),
            if r.ok { "ok" } else { "FAILED" }
        );
    }
}

fn main() {
    // `cargo test --benches` runs bench targets with no arguments but
    // `--bench`-less; only time when asked to benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("MATDIFF_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(21);
    println!("matdiff grad … --format json, {runs} runs per input (median)");

    // Start-up alone: the floor under every whole-process time.
    let version = measure("matdiff --version", &["--version".to_string()], runs);
    print("start-up", &[version]);

    match families::cases() {
        Ok(cases) => {
            let rows: Vec<Row> = cases
                .iter()
                .map(|c| {
                    let a = args(&c.expr, &c.lets, std::slice::from_ref(&c.wrt), true);
                    measure(&c.id, &a, runs)
                })
                .collect();
            let mut medians: Vec<Duration> = rows.iter().map(|r| r.median).collect();
            medians.sort();
            print("public cases (numeric check on)", &rows);
            if let Some(m) = medians.get(medians.len() / 2) {
                println!(
                    "median over the {} cases: {:.3} ms; slowest: {:.3} ms",
                    rows.len(),
                    m.as_secs_f64() * 1000.0,
                    medians.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
                );
            }
        }
        Err(note) => println!("note: public cases skipped: {note}"),
    }

    let x = vec!["X".to_string()];
    let chains = families::admitted("chain", &[8, 32, 128, 256], families::chain, &x);
    for check in [false, true] {
        let rows: Vec<Row> = chains
            .iter()
            .map(|&n| {
                measure(
                    &format!("chain {n}"),
                    &args(&families::chain(n), &[], &x, check),
                    runs,
                )
            })
            .collect();
        print(
            &format!("chains tr(A1 … An X), ∂/∂X ({})", checked(check)),
            &rows,
        );
    }

    let networks = families::admitted("network", &[1, 4, 16, 64], families::network, &[]);
    for check in [false, true] {
        let rows: Vec<Row> = networks
            .iter()
            .map(|&k| {
                measure(
                    &format!("network {k}"),
                    &args(&families::network(k), &[], &[], check),
                    runs,
                )
            })
            .collect();
        print(
            &format!(
                "networks of k tanh layers, every gradient ({})",
                checked(check)
            ),
            &rows,
        );
    }
}

fn checked(check: bool) -> &'static str {
    if check {
        "numeric check on"
    } else {
        "--no-check"
    }
}
