//! Shape-checking cases as data: every file under `tests/shape/valid` must
//! check, and its shape report is snapshotted; every file under
//! `tests/shape/invalid` must fail, and the diagnostic a user sees is
//! snapshotted. Adding a case needs no Rust: add a file, run
//! `INSTA_UPDATE=always cargo test --test shape_cases`, read the snapshot.
//!
//! A case file holds one expression; leading `# let: DECL` lines are passed
//! as `--let` declarations.

use std::path::Path;
use std::process::Command;

use matdiff::check;

/// The `--let` declarations and the expression of a case file.
fn load(path: &Path) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(path).expect("case file is readable");
    let mut lets = Vec::new();
    let mut expr = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("# let:") {
            Some(decl) => lets.push(decl.trim().to_string()),
            None if line.trim().is_empty() => {}
            None => expr.push(line.trim()),
        }
    }
    (lets, expr.join(" "))
}

fn header(lets: &[String], expr: &str) -> String {
    let mut out = String::new();
    for l in lets {
        out.push_str(&format!("--let {l}\n"));
    }
    if expr.len() <= 200 {
        out.push_str(&format!("input: {expr}\n"));
    }
    out
}

#[test]
fn valid() {
    insta::glob!("shape/valid/*.txt", |path| {
        let (lets, expr) = load(path);
        let annotated = match check::annotate(&expr, &lets) {
            Ok(a) => a,
            Err(e) => panic!("{} should check:\n{}", path.display(), e.render(false, 80)),
        };
        // As the `check` fuzz target asserts: the typed term has a shape in
        // its own environment (`x ⊗ x + x` once did not: m·m was taken for m).
        let p = &annotated.problem;
        assert!(
            p.term.shape(&p.env).is_some(),
            "{}: no shape",
            path.display()
        );
        let out = format!(
            "{}\n{}\nterm: {:?}\n",
            header(&lets, &expr),
            annotated.report(),
            annotated.problem.term
        );
        insta::assert_snapshot!(out);
    });
}

#[test]
fn invalid() {
    insta::glob!("shape/invalid/*.txt", |path| {
        let (lets, expr) = load(path);
        let err = match check::annotate(&expr, &lets) {
            Ok(a) => panic!("{} should fail, got:\n{}", path.display(), a.report()),
            Err(e) => e,
        };
        assert_eq!(err.exit_code(), 2, "input errors exit with 2");
        let out = format!("{}\n{}", header(&lets, &expr), err.render(false, 80));
        insta::assert_snapshot!(out);
    });
}

/// The binary reports every invalid case with exit status 2 and the span.
#[test]
fn binary_rejects_invalid_cases_with_status_2() {
    insta::glob!("shape/invalid/*.txt", |path| {
        let (lets, expr) = load(path);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_matdiff"));
        cmd.arg("shape").arg(&expr).env("NO_COLOR", "1");
        for l in &lets {
            cmd.arg("--let").arg(l);
        }
        let out = cmd.output().expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert!(
            out.stdout.is_empty(),
            "{}: nothing on stdout",
            path.display()
        );
        let shows_span = stderr.contains('╭') || stderr.contains("limit");
        assert!(shows_span, "{}: no span shown in\n{stderr}", path.display());
    });
}

/// The acceptance case of the `shape` command.
#[test]
fn binary_prints_shapes_of_the_reference_case() {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(["shape", "L(XW+B) where X: 1×n, W: n×m, B: 1×m"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "X  1×n",
        "W  n×m",
        "B  1×m",
        "XW+B   1×m",
        "L(XW+B)  scalar",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in\n{stdout}");
    }
}

/// Exit statuses: 0 success, 2 usage errors and bad input.
#[test]
fn binary_exit_statuses() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_matdiff"))
            .args(args)
            .output()
            .expect("the binary runs")
            .status
            .code()
    };
    assert_eq!(run(&["--version"]), Some(0));
    assert_eq!(run(&["--help"]), Some(0));
    assert_eq!(run(&["grad", "L(XW+B)"]), Some(0));
    assert_eq!(
        run(&["grad", "XW"]),
        Some(2),
        "a matrix-valued expression has no gradient"
    );
    assert_eq!(
        run(&["grad", "L(XW)", "--wrt", "Q"]),
        Some(2),
        "Q is not a variable"
    );
    assert_eq!(run(&["frobnicate"]), Some(2));
    assert_eq!(run(&["grad", "X", "--format", "pdf"]), Some(2));
}
