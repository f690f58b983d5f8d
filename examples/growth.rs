//! The growth law, measured: for chains `tr(A1 … An X)` (∂/∂X) and networks of
//! `k` tanh layers (every gradient), the e-graph's nodes and classes summed
//! over every run of the derivation, iterations, wall time and the size of
//! the text derivation; then the exponent `b` of `y ≈ a·sizeᵇ` fitted by
//! least squares on log-log axes. `b ≈ 1` is linear growth.
//!
//!     cargo run --release --example growth
//!
//! A size whose derivation time, extrapolated from the smaller ones, exceeds `MATDIFF_BENCH_BUDGET`
//! seconds (default 2) is skipped with a note.

use std::time::{Duration, Instant};

use matdiff::check;
use matdiff::engine::{self, Options};
use matdiff::render::derivation;
use matdiff::render::text::Style;

#[path = "../benches/families/mod.rs"]
mod families;

struct Point {
    size: usize,
    nodes: usize,
    classes: usize,
    iterations: usize,
    time: Duration,
    output: usize,
}

fn measure(expr: &str, wrt: &[String]) -> Option<Point> {
    let problem = check::check(expr, &[]).ok()?;
    let started = Instant::now();
    let der = engine::derive(
        &problem,
        &Options {
            wrt: wrt.to_vec(),
            ..Options::default()
        },
    )
    .ok()?;
    let time = started.elapsed();
    let text = derivation::render(&der, None, Style::default());
    Some(Point {
        size: 0,
        nodes: der.stats.iter().map(|s| s.nodes).sum(),
        classes: der.stats.iter().map(|s| s.classes).sum(),
        iterations: der.stats.iter().map(|s| s.iterations).sum(),
        time,
        output: text.len(),
    })
}

/// The slope of the least-squares line through `(ln x, ln y)`.
fn exponent(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let (sx, sy) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

fn table(family: &str, unit: &str, sizes: &[usize], expr: fn(usize) -> String, wrt: &[String]) {
    println!("\n{family}");
    println!(
        "{:>6} {:>9} {:>9} {:>7} {:>11} {:>11}",
        unit, "nodes", "classes", "iters", "time ms", "output B"
    );
    let mut points = Vec::new();
    for n in families::admitted(family, sizes, expr, wrt) {
        let e = expr(n);
        let Some(mut p) = measure(&e, wrt) else {
            println!("{n:>6}  (does not derive)");
            continue;
        };
        p.size = n;
        println!(
            "{:>6} {:>9} {:>9} {:>7} {:>11.3} {:>11}",
            n,
            p.nodes,
            p.classes,
            p.iterations,
            p.time.as_secs_f64() * 1000.0,
            p.output
        );
        points.push(p);
    }
    let fit = |f: fn(&Point) -> f64| {
        exponent(
            &points
                .iter()
                .map(|p| (p.size as f64, f(p)))
                .collect::<Vec<_>>(),
        )
        .map_or_else(|| "–".to_string(), |b| format!("{b:.2}"))
    };
    println!(
        "fitted exponent: nodes {}, time {}, output {}",
        fit(|p| p.nodes as f64),
        fit(|p| p.time.as_secs_f64()),
        fit(|p| p.output as f64)
    );
}

fn main() {
    let x = vec!["X".to_string()];
    table("chain", "n", &[8, 32, 128, 256], families::chain, &x);
    table("network", "layers", &[1, 4, 16, 64], families::network, &[]);
}
