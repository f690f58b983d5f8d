//! The query commands as data: `tests/equiv/*.txt` (two expressions, one per
//! line), `tests/simplify/*.txt` (one expression) and `tests/repl/*.txt` (a
//! script piped into `matdiff repl`). Each runs the binary and snapshots what
//! a user sees: the exit status, standard output and standard error.
//! Leading `# let: DECL` lines become `--let` declarations and a `# explain`
//! line adds `--explain`. Adding a case needs no Rust: add a file, run
//! `INSTA_UPDATE=always cargo test --test queries`, read the snapshot.
//!
//! Every simplification is also checked numerically: the result must equal
//! the input at random points.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use matdiff::Session;
use matdiff::numeric::compare;

struct Case {
    lets: Vec<String>,
    explain: bool,
    exprs: Vec<String>,
}

fn load(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("case file is readable");
    let mut case = Case {
        lets: Vec::new(),
        explain: false,
        exprs: Vec::new(),
    };
    for line in text.lines() {
        if let Some(decl) = line.strip_prefix("# let:") {
            case.lets.push(decl.trim().to_string());
        } else if line.trim() == "# explain" {
            case.explain = true;
        } else if !line.trim().is_empty() {
            case.exprs.push(line.trim().to_string());
        }
    }
    case
}

fn transcript(args: &[String], stdin: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_matdiff"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("stdin takes the script");
    drop(input);
    let out = child.wait_with_output().expect("the binary finishes");
    let mut shown = args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    shown = format!(
        "$ matdiff {shown}\nexit: {}\n",
        out.status.code().unwrap_or(-1)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stdout.is_empty() {
        shown.push_str(&format!("--- stdout\n{stdout}"));
    }
    if !stderr.is_empty() {
        shown.push_str(&format!("--- stderr\n{stderr}"));
    }
    shown
}

fn with_lets(mut args: Vec<String>, lets: &[String]) -> Vec<String> {
    for l in lets {
        args.push("--let".to_string());
        args.push(l.clone());
    }
    args
}

#[test]
fn equiv() {
    insta::glob!("equiv/*.txt", |path| {
        let case = load(path);
        assert_eq!(case.exprs.len(), 2, "{}: two expressions", path.display());
        let mut args = vec![
            "equiv".to_string(),
            case.exprs[0].clone(),
            case.exprs[1].clone(),
        ];
        if case.explain {
            args.push("--explain".to_string());
        }
        insta::assert_snapshot!(transcript(&with_lets(args, &case.lets), None));
    });
}

#[test]
fn simplify() {
    insta::glob!("simplify/*.txt", |path| {
        let case = load(path);
        assert_eq!(case.exprs.len(), 1, "{}: one expression", path.display());
        let expr = &case.exprs[0];
        let session = Session::with_lets(&case.lets).expect("the declarations parse");
        let s = session
            .simplify(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        let cmp = compare(&s.start, &s.result, &s.problem.env, 1, 3).expect("evaluates");
        assert!(
            cmp.agree(),
            "{expr}: the simplified form differs numerically"
        );
        let args = vec!["simplify".to_string(), expr.clone()];
        insta::assert_snapshot!(transcript(&with_lets(args, &case.lets), None));
    });
}

#[test]
fn repl() {
    insta::glob!("repl/*.txt", |path| {
        let script = std::fs::read_to_string(path).expect("script is readable");
        insta::assert_snapshot!(transcript(&["repl".to_string()], Some(&script)));
    });
}

/// `equiv` exits 0 when proved, 1 when refuted or unknown, 2 for bad input;
/// `simplify` exits 2 for bad input.
#[test]
fn exit_statuses() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_matdiff"))
            .args(args)
            .output()
            .expect("the binary runs")
            .status
            .code()
    };
    assert_eq!(run(&["equiv", "tr(ABC)", "tr(CAB)"]), Some(0));
    assert_eq!(run(&["equiv", "tr(ABC)", "tr(ACB)"]), Some(1));
    assert_eq!(run(&["equiv", "XW", "(XW)ᵀ"]), Some(1), "square: n = p");
    assert_eq!(run(&["equiv", "X", "Xᵀ", "--let", "X: 2×3"]), Some(2));
    assert_eq!(run(&["equiv", "X", "X +"]), Some(2));
    assert_eq!(run(&["simplify", "tr(X"]), Some(2));
    assert_eq!(run(&["simplify", "X", "--let", "Q: 2×2"]), Some(2));
}

/// A search that runs out of budget answers "unknown" with the limit, never
/// "not equal"; with the default budget the same pair is proved.
#[test]
fn a_limit_means_unknown() {
    let (a, b) = ("tr(ABCDE)", "tr(DEABC)");
    let mut session = Session::new();
    assert!(session.equivalent(a, b).expect("checks").is_proved());
    session.limits.iterations = 1;
    match session.equivalent(a, b).expect("checks") {
        matdiff::Equivalence::Unknown(reason) => {
            assert!(reason.contains("iteration limit"), "{reason}");
        }
        other => panic!("expected unknown, got {other:?}"),
    }
}
