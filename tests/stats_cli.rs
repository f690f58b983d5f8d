//! `matdiff grad --stats` and `--cost flops` as a user sees them, with the
//! wall times filtered out (they differ on every run). The statistics go to
//! standard error, so that the output itself stays machine-readable; the
//! snapshot shows standard output, then standard error after a rule.

use std::process::Command;

fn grad(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .arg("grad")
        .args(args)
        .output()
        .expect("matdiff runs");
    assert!(
        out.status.success(),
        "matdiff grad {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 errors");
    if stderr.is_empty() {
        stdout
    } else {
        format!("{stdout}──── standard error ────\n{stderr}")
    }
}

/// The JSON output stays JSON with `--stats`: the table is on standard error.
#[test]
fn stats_leave_json_parseable() {
    for format in ["json", "latex", "numpy"] {
        let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
            .args(["grad", "L(XW+B)", "--stats", "--format", format])
            .output()
            .expect("matdiff runs");
        let stdout = String::from_utf8(out.stdout).expect("UTF-8");
        assert!(!stdout.contains("statistics of"), "{format}: {stdout}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("statistics of"));
        if format == "json" {
            serde_json::from_str::<serde_json::Value>(&stdout).expect("JSON parses");
        }
    }
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({filters => vec![(r" +\d+\.\d{3} ms", "  [time]")]}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn stats_of_a_reference_case() {
    snapshot(
        "stats_affine",
        &grad(&["L(XW+B)", "--let", "X: 1×n", "--stats"]),
    );
}

#[test]
fn stats_of_a_chain() {
    snapshot(
        "stats_chain",
        &grad(&["tr(A1 A2 A3 A4 A5 A6 A7 A8 X)", "--wrt", "X", "--stats"]),
    );
}

#[test]
fn cost_flops_with_stats() {
    snapshot(
        "flops_least_squares",
        &grad(&[
            "‖A B x − y‖²",
            "--wrt",
            "x",
            "--let",
            "A: 1000×10",
            "--let",
            "B: 10×1000",
            "--let",
            "x: 1000×1",
            "--let",
            "y: 1000×1",
            "--cost",
            "flops",
            "--check",
            "--stats",
        ]),
    );
}

#[test]
fn cost_flops_needs_concrete_dimensions() {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(["grad", "tr(A X)", "--cost", "flops"])
        .env("NO_COLOR", "1")
        .output()
        .expect("matdiff runs");
    assert_eq!(out.status.code(), Some(2));
    snapshot("flops_symbolic", &String::from_utf8_lossy(&out.stderr));
}
