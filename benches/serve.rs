//! Load on `matdiff serve`: the public cases posted to `/api/grad` by
//! several clients at once for a fixed time; requests per second and the
//! latency percentiles. Not a test: it measures and prints.
//!
//! Run with `cargo bench --bench serve`. `MATDIFF_SERVE_CLIENTS` (default
//! 8), `MATDIFF_SERVE_SECONDS` (default 10) and `MATDIFF_SERVE_JOBS` (the
//! server's `--jobs`, default its own: the number of cores) change the load;
//! `MATDIFF_CASES` another case file (see `families`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod families;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(jobs: Option<usize>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_matdiff"));
    cmd.args(["serve", "--port", "0"]);
    if let Some(j) = jobs {
        cmd.args(["--jobs", &j.to_string()]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("matdiff serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the server prints its URL");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL")
        .to_string();
    Server { child, url }
}

/// One request: its latency and whether it was answered 200.
fn post(agent: &ureq::Agent, url: &str, body: &str) -> (Duration, bool) {
    let started = Instant::now();
    let ok = match agent.post(url).send(body) {
        Ok(mut r) => {
            let ok = r.status().as_u16() == 200;
            let _ = r.body_mut().read_to_vec();
            ok
        }
        Err(_) => false,
    };
    (started.elapsed(), ok)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `clients` threads posting the bodies round robin for `seconds`.
fn load(url: &str, bodies: &Arc<Vec<String>>, clients: usize, seconds: f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (url, bodies) = (url.to_string(), bodies.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut times = Vec::new();
                let mut failed = 0usize;
                let mut i = c;
                while Instant::now() < deadline {
                    let (t, ok) = post(&agent, &url, &bodies[i % bodies.len()]);
                    times.push(t);
                    failed += usize::from(!ok);
                    i += 1;
                }
                (times, failed)
            })
        })
        .collect();
    let mut times = Vec::new();
    let mut failed = 0;
    for t in threads {
        let (ts, f) = t.join().expect("a client finishes");
        times.extend(ts);
        failed += f;
    }
    let elapsed = started.elapsed();
    times.sort();
    println!(
        "{clients:>7} {:>9} {:>8.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7}",
        times.len(),
        times.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default()),
        failed
    );
}

fn main() {
    // `cargo test --benches` runs bench targets without `--bench`; only
    // load the server when asked to benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let clients: usize = env_or("MATDIFF_SERVE_CLIENTS", 8);
    let seconds: f64 = env_or("MATDIFF_SERVE_SECONDS", 10.0);
    let jobs: Option<usize> = std::env::var("MATDIFF_SERVE_JOBS")
        .ok()
        .and_then(|s| s.parse().ok());
    let cases = match families::cases() {
        Ok(c) => c,
        Err(note) => {
            println!("note: no cases, nothing measured: {note}");
            return;
        }
    };
    let bodies: Arc<Vec<String>> = Arc::new(
        cases
            .iter()
            .map(|c| serde_json::json!({"expr": c.expr, "let": c.lets, "wrt": c.wrt}).to_string())
            .collect(),
    );
    let server = start(jobs);
    let url = format!("{}api/grad", server.url);
    // Every case once, so that a case the server refuses is named.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for (c, b) in cases.iter().zip(bodies.iter()) {
        let (_, ok) = post(&agent, &url, b);
        if !ok {
            println!("note: {} is not answered 200", c.id);
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "POST /api/grad, the {} public cases round robin (numeric check on), {seconds} s per row; \
         server --jobs {}, {cores} cores",
        cases.len(),
        jobs.map_or_else(|| format!("default ({cores})"), |j| j.to_string()),
    );
    println!(
        "{:>7} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "clients", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "not 200"
    );
    load(&url, &bodies, 1, seconds);
    if clients > 1 {
        load(&url, &bodies, clients, seconds);
    }
}
