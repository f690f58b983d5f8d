//! Everything matdiff prints parses back (SPEC §1): every gradient of every
//! derivation case, written as Unicode text and as ASCII, is read again by
//! the parser in the derivation's environment and equals the original at
//! random points. So an answer can be pasted into `simplify` or `equiv`.

use std::path::Path;

use matdiff::numeric::compare_within;
use matdiff::{Format, GradOptions, Session, Term, check::check_in, render};

struct Case {
    expr: String,
    lets: Vec<String>,
    wrt: Vec<String>,
}

/// Reads the case formats of `tests/derive` (`let X: …`, `wrt X`) and of
/// `tests/render` (`# let: X: …`).
fn read(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("a readable case");
    let mut case = Case {
        expr: String::new(),
        lets: vec![],
        wrt: vec![],
    };
    for line in text.lines().map(str::trim) {
        if let Some(d) = line.strip_prefix("# let:").or(line.strip_prefix("let ")) {
            case.lets.push(d.trim().to_string());
        } else if let Some(v) = line.strip_prefix("wrt ") {
            case.wrt.push(v.trim().to_string());
        } else if line.is_empty() || line.starts_with('#') || line.starts_with("expect ") {
            continue;
        } else if case.expr.is_empty() {
            case.expr = line.to_string();
        } else {
            case.expr = format!("{} {line}", case.expr);
        }
    }
    case
}

/// `t` with every named intermediate replaced by its value, so that it
/// can be evaluated from the variables alone.
fn inline(t: &Term, bindings: &[(String, Term)]) -> Term {
    match t {
        Term::Var(n) => match bindings.iter().find(|(b, _)| b == n) {
            Some((_, v)) => inline(v, bindings),
            None => t.clone(),
        },
        other => other.map_children(|c| inline(c, bindings)),
    }
}

#[test]
fn every_printed_gradient_parses_back_to_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut checked = 0;
    for dir in ["derive", "render"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("a case folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for path in files {
            let case = read(&path);
            let session = Session::with_lets(&case.lets).expect("declarations parse");
            let opts = GradOptions {
                check: false,
                ..GradOptions::new().wrt(&case.wrt)
            };
            let answer = session
                .derive(&case.expr, &opts)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let der = answer.differential.expect("derived by the differential");
            let env = &der.problem.env;
            for g in &der.gradients {
                for format in [Format::Text, Format::Ascii] {
                    let printed = render(&g.result, env, format);
                    // `+ 0 V` gives a free dimension (the order of `I`) the
                    // variable's shape, as the derivation harness does.
                    let again = check_in(&format!("({printed}) + 0 {}", g.wrt), env)
                        .unwrap_or_else(|e| {
                            panic!(
                                "{}: ∂/∂{} printed as `{printed}` does not parse back: {e}",
                                path.display(),
                                g.wrt
                            )
                        });
                    let (a, b) = (
                        inline(&g.result, &der.bindings),
                        inline(&again.term, &der.bindings),
                    );
                    let cmp = compare_within(&a, &b, &[&der.problem.term], env, 5, 2)
                        .unwrap_or_else(|e| panic!("{}: {printed}: {e}", path.display()));
                    assert!(
                        cmp.agree(),
                        "{}: `{printed}` read back differs from ∂/∂{} ({:.2e})",
                        path.display(),
                        g.wrt,
                        cmp.max_rel_difference
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} gradients were read back");
}
