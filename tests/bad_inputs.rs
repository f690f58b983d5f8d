//! The bad-input corpus (`tests/bad/`): every input goes through the binary
//! as `matdiff grad` and `matdiff shape`; what a user sees (exit status,
//! standard error, standard output) is snapshotted. None may panic, each
//! must be refused (non-zero status) and answer promptly.
//!
//! - `*.txt`: an expression, with leading `# let: DECL` lines passed as
//!   `--let`; given as a command-line argument.
//! - `*.stdin`: raw bytes (NUL bytes, invalid UTF-8, odd line ends) fed to
//!   `grad -` and `shape -` on standard input.
//! - `recipes.txt`: pathological inputs too large to store (deep nesting,
//!   a 1 MiB input, a 10,000-term sum), generated here and fed on standard input.
//!
//! Adding a case needs no Rust: add a file, run
//! `INSTA_UPDATE=always cargo test --test bad_inputs`, read the snapshot.

#[path = "support/bad_corpus.rs"]
mod bad_corpus;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bad_corpus::Input;

/// A guard against hangs only: each case answers in well under a second
/// on an idle machine (see the README), but test machines are shared.
const HANG_GUARD: Duration = Duration::from_secs(10);

/// What one run of the binary did.
struct Run {
    status: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    took: Duration,
}

fn run(args: &[String], stdin: Option<&[u8]>) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // The binary may stop reading early (an error on the first line): a
        // broken pipe is not a failure of the case.
        let _ = pipe.write_all(bytes);
    }
    let out = child.wait_with_output().expect("the binary finishes");
    Run {
        status: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

/// Checks the guarantees for one run and returns its snapshot section.
fn judge(
    case: &str,
    what: &str,
    r: &Run,
    times: &mut Vec<(Duration, String)>,
    problems: &mut Vec<String>,
) -> String {
    let label = format!("{case} ({what})");
    if r.stderr.contains("panicked") {
        problems.push(format!("{label} panicked:\n{}", r.stderr));
    }
    // `shape` may accept what `grad` refuses (a well-typed expression that
    // is too large to differentiate, or not a scalar).
    let refused =
        matches!(r.status, Some(1 | 2)) || (what.starts_with("shape") && r.status == Some(0));
    if !refused {
        problems.push(format!(
            "{label}: status {:?}, expected 1 (cannot derive) or 2 (bad input)\n{}",
            r.status, r.stderr
        ));
    }
    if r.took >= HANG_GUARD {
        problems.push(format!("{label} took {:?}", r.took));
    }
    times.push((r.took, label));
    let stdout = String::from_utf8_lossy(&r.stdout);
    let stdout = if stdout.len() <= 2_000 {
        stdout.into_owned()
    } else {
        format!(
            "({} lines, {} bytes)\n",
            stdout.lines().count(),
            stdout.len()
        )
    };
    let mut s = format!("$ matdiff {what}\nexit: {:?}\n", r.status);
    if !stdout.is_empty() {
        s.push_str(&format!("stdout:\n{stdout}"));
    }
    s.push_str(&format!("stderr:\n{}\n", r.stderr));
    s
}

/// `grad` and `shape` on one input.
fn both(
    case: &str,
    shown: &str,
    input: &Input,
    times: &mut Vec<(Duration, String)>,
    problems: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    if let Input::Arg { lets, .. } = input {
        for l in lets {
            out.push_str(&format!("--let {l}\n"));
        }
    }
    out.push_str(&format!("input: {shown}\n\n"));
    // `grad` unless the case names its commands (`# run: hessian --wrt x`),
    // then `shape`.
    let mut cmds: Vec<Vec<String>> = match input {
        Input::Arg { runs, .. } if !runs.is_empty() => runs.clone(),
        _ => vec![vec!["grad".to_string()]],
    };
    cmds.push(vec!["shape".to_string()]);
    for cmd in &cmds {
        let (sub, opts) = (&cmd[0], cmd[1..].join(" "));
        let opts = if opts.is_empty() {
            String::new()
        } else {
            format!(" {opts}")
        };
        let what = match input {
            Input::Arg { .. } => format!("{sub} EXPR{opts}"),
            Input::Stdin(_) => format!("{sub} -{opts} <INPUT"),
        };
        let r = run(&input.args_of(cmd), input.stdin());
        out.push_str(&judge(case, &what, &r, times, problems));
        out.push('\n');
    }
    out
}

/// Prints the slowest runs and fails with every problem found.
fn report(times: &mut [(Duration, String)], problems: &[String]) {
    times.sort();
    let slowest: Vec<String> = times
        .iter()
        .rev()
        .take(5)
        .map(|(t, c)| format!("{c}: {t:?}"))
        .collect();
    eprintln!("{} runs; slowest:\n  {}", times.len(), slowest.join("\n  "));
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn expressions() {
    let mut times = Vec::new();
    let mut problems = Vec::new();
    insta::glob!("bad/*.txt", |path| {
        if path.file_name().is_some_and(|n| n == "recipes.txt") {
            return;
        }
        let input = bad_corpus::read_txt(path);
        let Input::Arg { expr, .. } = &input else {
            unreachable!("a text case is an argument")
        };
        let shown = format!("{expr:?}");
        let out = both(&name(path), &shown, &input, &mut times, &mut problems);
        insta::assert_snapshot!(out);
    });
    report(&mut times, &problems);
}

#[test]
fn standard_input_bytes() {
    let mut times = Vec::new();
    let mut problems = Vec::new();
    insta::glob!("bad/*.stdin", |path| {
        let bytes = std::fs::read(path).expect("case file is readable");
        let shown = format!("{:?}", bytes.escape_ascii().to_string());
        let out = both(
            &name(path),
            &shown,
            &Input::Stdin(bytes),
            &mut times,
            &mut problems,
        );
        insta::assert_snapshot!(out);
    });
    report(&mut times, &problems);
}

#[test]
fn generated_pathological_inputs() {
    let mut times = Vec::new();
    let mut problems = Vec::new();
    let mut count = 0;
    for (name, recipe, bytes) in
        bad_corpus::recipes(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad"))
    {
        let shown = format!("{recipe}   ({} bytes)", bytes.len() - 1);
        let out = both(
            &name,
            &shown,
            &Input::Stdin(bytes),
            &mut times,
            &mut problems,
        );
        insta::assert_snapshot!(format!("recipe_{name}"), out);
        count += 1;
    }
    assert!(count >= 10, "the recipes are all read");
    report(&mut times, &problems);
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
