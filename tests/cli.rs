//! The command line's own behaviour, one test per promise: what it reads,
//! where it writes, which status it exits with. (Derivations themselves are
//! tested as data in the other harnesses.)

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn matdiff(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().expect("the binary finishes");
    writer.join().expect("input written");
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One line that is not UTF-8 is an error of that line; the others are read.
#[test]
fn an_invalid_line_does_not_end_batch_mode() {
    let out = matdiff(
        &["grad", "-", "--format", "json"],
        Some(b"tr(X)\n\xff\ntr(Y)\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["input"], "tr(X)");
    assert_eq!(lines[1]["exit"], 2);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("line 2 of standard input is not valid UTF-8")
    );
    assert_eq!(lines[2]["input"], "tr(Y)");
    // The REPL goes on too.
    let out = matdiff(&["repl"], Some(b"shape tr(X)\n\xfe\nshape tr(Y)\n"));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("tr(X) : scalar") && stdout.contains("tr(Y) : scalar"));
    assert!(stdout.contains("not valid UTF-8"), "{stdout}");
}

/// A byte-order mark at the start of standard input is not part of the
/// first expression.
#[test]
fn a_byte_order_mark_is_skipped() {
    let out = matdiff(&["grad", "-"], Some("\u{feff}tr(X)\n".as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("∂f/∂X = I"));
}

/// In batch mode a diagnostic names the line of standard input it is about.
#[test]
fn batch_errors_name_their_line() {
    let out = matdiff(&["grad", "-"], Some(b"tr(X)\n\ntr(X\n"));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("stdin line 3"), "{stderr}");
}

/// `--ascii` output is ASCII with every method.
#[test]
fn ascii_is_ascii_with_every_method() {
    for method in ["differential", "components", "both"] {
        let out = matdiff(
            &["grad", "L(XW+B)", "--ascii", "--method", method, "--check"],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{method}");
        let stdout = text(&out.stdout);
        assert!(stdout.is_ascii(), "{method}: {stdout}");
    }
}

/// Flag combinations that cannot work are usage errors (status 2), said as such.
#[test]
fn usage_errors_exit_2() {
    let cases: &[&[&str]] = &[
        &["grad", "L(XW)", "--method", "both", "--format", "numpy"],
        &[
            "grad",
            "L(XW)",
            "--method",
            "components",
            "--format",
            "latex",
        ],
        &["grad", "tr(X)", "--timeout", "0"],
        &["grad", "tr(X)", "--timeout", "5e-324"],
        &["grad", "tr(X)", "--node-limit", "0"],
        &["grad", "tr(X)", "--wrt", "Q"],
        &["grad", "tr(X)", "--wrt", "X W"],
    ];
    for args in cases {
        let out = matdiff(args, None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(stderr.len() < 600, "{args:?}: a short message\n{stderr}");
    }
    let out = matdiff(&["grad", "tr(X)", "--timeout", "5e-324"], None);
    assert!(text(&out.stderr).contains("between 0.001 and 86400"));
}

/// `--wrt` takes a variable however it is spelled.
#[test]
fn wrt_reads_greek_letters() {
    for v in ["λ", "lambda"] {
        let out = matdiff(&["grad", "λ wᵀw", "--wrt", v], None);
        assert_eq!(out.status.code(), Some(0), "{v}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("∂f/∂λ = wᵀ w"));
    }
}

/// The REPL reads bare expressions, `quit`, and the command line's flags.
#[test]
fn the_repl_reads_flags_and_bare_expressions() {
    let script = b"tr(A X)\ngrad tr(A X) --wrt X --format latex\nquit\ntr(B)\n";
    let out = matdiff(&["repl"], Some(script));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("∂f/∂A = Xᵀ"),
        "a bare expression is derived"
    );
    assert!(stdout.contains("\\begin{align*}"), "flags apply: {stdout}");
    assert!(!stdout.contains("tr(B)"), "quit ends the session");
    let out = matdiff(&["repl"], Some(b"grad tr(X) --no-such-flag\n"));
    assert_eq!(out.status.code(), Some(2));
}

/// `matdiff help syntax` describes the language, with every function of
/// the registry.
#[test]
fn help_syntax_lists_the_language() {
    let out = matdiff(&["help", "syntax"], None);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for f in matdiff::registry::SPECS {
        assert!(stdout.contains(f.name), "{} is missing", f.name);
    }
    assert!(stdout.contains("sym n×n") && stdout.contains("where X: 1×n"));
    let out = matdiff(&["grad", "--help"], None);
    let help = text(&out.stdout);
    assert!(help.contains("sym") && help.contains("scalar") && help.contains("vector"));
}

/// The query commands refuse at once what is too large, and check large
/// declared sizes at small stand-ins, as `grad` does.
#[test]
fn every_command_runs_the_same_pipeline() {
    let out = matdiff(&["repl"], Some(b"grad tr(X^{1000000} Y)\n"));
    assert!(text(&out.stdout).contains("too large to differentiate"));
    let big = ["--let", "X: 100×100"];
    let out = matdiff(
        &["grad", "sum(X)", big[0], big[1], "--method", "components"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = matdiff(&["equiv", "sum(X)", "sum(X^T)", big[0], big[1]], None);
    assert!(
        !text(&out.stderr).contains("limit of 64"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).starts_with("equal") || text(&out.stdout).starts_with("unknown"));
    let out = matdiff(&["repl"], Some(b"let X: 100x100\ngrad sum(X)\n"));
    assert!(
        text(&out.stdout).contains("∂f/∂X = 𝟙"),
        "{}",
        text(&out.stdout)
    );
}
