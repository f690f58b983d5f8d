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

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// `grad` and `shape` on `args`-style input, or on `stdin` with `-`.
fn both(
    case: &str,
    shown: &str,
    lets: &[String],
    expr: Input,
    times: &mut Vec<(Duration, String)>,
    problems: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    for lets in lets {
        out.push_str(&format!("--let {lets}\n"));
    }
    out.push_str(&format!("input: {shown}\n\n"));
    for cmd in ["grad", "shape"] {
        let mut args = vec![cmd.to_string()];
        let (what, r) = match &expr {
            Input::Arg(e) => {
                args.push(e.clone());
                for l in lets {
                    args.extend(["--let".to_string(), l.clone()]);
                }
                (format!("{cmd} EXPR"), run(&args, None))
            }
            Input::Stdin(bytes) => {
                args.push("-".to_string());
                (format!("{cmd} - <INPUT"), run(&args, Some(bytes)))
            }
        };
        out.push_str(&judge(case, &what, &r, times, problems));
        out.push('\n');
    }
    out
}

enum Input {
    Arg(String),
    Stdin(Vec<u8>),
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
        let text = std::fs::read_to_string(path).expect("case file is readable");
        let mut lets = Vec::new();
        let mut expr = Vec::new();
        for line in text.lines() {
            match line.strip_prefix("# let:") {
                Some(decl) => lets.push(decl.trim().to_string()),
                None => expr.push(line),
            }
        }
        let expr = expr.join(" ");
        let shown = format!("{expr:?}");
        let out = both(
            &name(path),
            &shown,
            &lets,
            Input::Arg(expr),
            &mut times,
            &mut problems,
        );
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
            &[],
            Input::Stdin(bytes),
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
    let recipes = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/recipes.txt"),
    )
    .expect("recipes are readable");
    let mut count = 0;
    for line in recipes
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (name, recipe) = line.split_once(" = ").expect("NAME = RECIPE");
        let mut bytes = expand(recipe).into_bytes();
        bytes.push(b'\n');
        let shown = format!("{recipe}   ({} bytes)", bytes.len() - 1);
        let out = both(
            name,
            &shown,
            &[],
            Input::Stdin(bytes),
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

/// Expands `"text" * N + "text" + …`; `%i` in a repeated text becomes the
/// copy's number, from 1.
fn expand(recipe: &str) -> String {
    let mut out = String::new();
    let mut rest = recipe.trim();
    while !rest.is_empty() {
        let body = rest
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("a quoted piece at {rest}"));
        let close = body.find('"').expect("a closing quote");
        let piece = &body[..close];
        rest = body[close + 1..].trim_start();
        let mut copies = 1;
        if let Some(after) = rest.strip_prefix('*') {
            let after = after.trim_start();
            let digits = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            copies = after[..digits].parse().expect("a count after *");
            rest = after[digits..].trim_start();
        }
        for i in 1..=copies {
            out.push_str(&piece.replace("%i", &i.to_string()));
        }
        rest = rest.strip_prefix('+').unwrap_or(rest).trim_start();
    }
    out
}
