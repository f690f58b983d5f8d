//! Wall time of every case of the bad-input corpus (`tests/bad/`) through the
//! binary, as `matdiff grad` and `matdiff shape`: the promise is an answer
//! in under a second each. The median of a few runs per case is reported,
//! slowest first, with the count of cases at or over one second.
//!
//! Run with `cargo bench --bench bad_inputs`; `MATDIFF_RUNS` sets the runs
//! per case (default 5).

#[path = "../tests/support/bad_corpus.rs"]
mod bad_corpus;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_matdiff");

fn once(args: &[String], stdin: Option<&[u8]>) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("matdiff runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // An early error closes standard input: not a failure here.
        let _ = pipe.write_all(bytes);
    }
    child.wait().expect("matdiff finishes");
    started.elapsed()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("MATDIFF_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut rows: Vec<(Duration, String)> = Vec::new();
    for (name, input) in bad_corpus::all(&dir) {
        for cmd in ["grad", "shape"] {
            let args = input.args(cmd);
            let mut times: Vec<Duration> = (0..runs).map(|_| once(&args, input.stdin())).collect();
            times.sort();
            rows.push((times[times.len() / 2], format!("{cmd} {name}")));
        }
    }
    rows.sort_by(|a, b| b.cmp(a));
    let over = rows
        .iter()
        .filter(|(t, _)| *t >= Duration::from_secs(1))
        .count();
    println!(
        "bad-input corpus: {} runs ({} cases × grad, shape), median of {runs} each",
        rows.len(),
        rows.len() / 2
    );
    println!("slowest:");
    for (t, what) in rows.iter().take(12) {
        println!("  {:>9.3} ms  {what}", t.as_secs_f64() * 1000.0);
    }
    let mut all: Vec<Duration> = rows.iter().map(|r| r.0).collect();
    all.sort();
    println!(
        "median {:.3} ms, slowest {:.3} ms; at or over 1 s: {over}",
        all[all.len() / 2].as_secs_f64() * 1000.0,
        all.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    );
}
