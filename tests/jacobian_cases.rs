//! Jacobians and Hessians as data: every file in `tests/jacobian/` and
//! `tests/hessian/` is one case, run through the library's pipeline
//! ([`Session::jacobian`], [`Session::hessian`]), which checks every result
//! against finite differences (a failure is an error, so the case fails).
//!
//! A case file holds comment lines (`#`, the source of the identity), the
//! expression, `let` declarations, `wrt` lines (one, or two for a mixed
//! Hessian block), and optionally
//! - `expect J`: the expected Jacobian or Hessian, read in the problem's
//!   environment and compared with the derived one at random points;
//! - `expect none`: no closed form is expected (the derivation says so);
//! - `expect hvp H`: the expected Hessian-vector product (or JVP), with the
//!   direction named as in the derivation (`v`, `V`).
//!
//! The whole text derivation is snapshotted (what a user sees).
//! Adding a case needs no Rust: add a file, run
//! `INSTA_UPDATE=always cargo test --test jacobian_cases`, read the snapshot.

use matdiff::render::text::{Style, show};
use matdiff::{DerivativeOptions, Env, Format, RenderOptions, Session, Term, check};

struct Case {
    expr: String,
    lets: Vec<String>,
    wrt: Vec<String>,
    expect: Option<String>,
    none: bool,
    directional: Option<String>,
}

fn read(text: &str) -> Case {
    let mut case = Case {
        expr: String::new(),
        lets: vec![],
        wrt: vec![],
        expect: None,
        none: false,
        directional: None,
    };
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        if let Some(d) = line.strip_prefix("let ") {
            case.lets.push(d.to_string());
        } else if let Some(v) = line.strip_prefix("wrt ") {
            case.wrt.push(v.to_string());
        } else if line == "expect none" {
            case.none = true;
        } else if let Some(e) = line.strip_prefix("expect hvp ") {
            case.directional = Some(e.to_string());
        } else if let Some(e) = line.strip_prefix("expect ") {
            case.expect = Some(e.to_string());
        } else {
            assert!(case.expr.is_empty(), "two expressions in one case: {line}");
            case.expr = line.to_string();
        }
    }
    case
}

/// `expected` read as a term of `env`, its free dimensions tied to `tie`
/// (`(E) + 0 tie`), so that `I` takes the size it has in the result.
fn expected(expected: &str, tie: &str, env: &Env) -> Term {
    let src = format!("({expected}) + 0 {tie}");
    check::check_in(&src, env)
        .unwrap_or_else(|e| panic!("expected {expected}: {e}"))
        .term
}

/// Compares `got` with `want` at random points drawn for `context`.
fn agree(case: &Case, what: &str, got: &Term, want: &Term, context: &Term, env: &Env) {
    let cmp = matdiff::numeric::compare_within(got, want, &[context], env, 11, 3)
        .unwrap_or_else(|e| panic!("{}: comparing {what}: {e}", case.expr));
    assert!(
        cmp.agree(),
        "{}: {what} = {} differs from the expected {} (relative difference {:.2e})",
        case.expr,
        show(got, Style::default()),
        show(want, Style::default()),
        cmp.max_rel_difference
    );
}

/// The environment of `env` without the symbols a derivation introduced
/// (whose shapes may be products of dimensions).
fn reading_env(env: &Env, keep: &[String]) -> Env {
    let mut out = env.clone();
    out.vars.retain(|n, _| keep.contains(n));
    out
}

#[test]
fn jacobians() {
    insta::glob!("jacobian/*.txt", |path| {
        let case = read(&std::fs::read_to_string(path).expect("readable case"));
        let session = Session::with_lets(&case.lets).expect("declarations");
        let answer = session
            .jacobian(&case.expr, &DerivativeOptions::wrt(&case.wrt))
            .unwrap_or_else(|e| panic!("{}: {e}", case.expr));
        let j = &answer.jacobians[0];
        let mut keep = answer.problem.term.variables_in_order();
        keep.push(j.jvp.direction.clone());
        let env = reading_env(&j.problem.env, &keep);
        let source = match case.expr.find(" where ") {
            Some(i) => &case.expr[..i],
            None => &case.expr,
        };
        let tie = format!("vec(({source})) vec({})ᵀ", j.wrt);
        match (&case.expect, &j.result) {
            (Some(want), Some(got)) => {
                let want = expected(want, &tie, &env);
                agree(&case, "J", got, &want, &answer.problem.term, &env);
            }
            (Some(_), None) => panic!("{}: no closed form", case.expr),
            _ => {}
        }
        assert_eq!(
            case.none,
            j.result.is_none(),
            "{}: closed form expected: {}",
            case.expr,
            !case.none
        );
        if let Some(want) = &case.directional {
            let want = expected(want, &format!("({source})"), &env);
            agree(
                &case,
                "JVP",
                &j.jvp.result,
                &want,
                &answer.problem.term,
                &env,
            );
        }
        let out = answer
            .render(Format::Text, &RenderOptions::default(), 1 << 20)
            .expect("rendered");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn hessians() {
    insta::glob!("hessian/*.txt", |path| {
        let case = read(&std::fs::read_to_string(path).expect("readable case"));
        let session = Session::with_lets(&case.lets).expect("declarations");
        let answer = session
            .hessian(&case.expr, &DerivativeOptions::wrt(&case.wrt))
            .unwrap_or_else(|e| panic!("{}: {e}", case.expr));
        let h = &answer.hessians[0];
        let mut keep = answer.problem.term.variables_in_order();
        keep.push(h.hvp.direction.clone());
        keep.push("G".to_string());
        let env = reading_env(&h.problem.env, &keep);
        let tie = format!("vec({}) vec({})ᵀ", h.rows, h.cols);
        match (&case.expect, &h.result) {
            (Some(want), Some(got)) => {
                let want = expected(want, &tie, &env);
                agree(&case, "H", got, &want, &answer.problem.term, &env);
            }
            (Some(_), None) => panic!("{}: no closed form", case.expr),
            _ => {}
        }
        assert_eq!(
            case.none,
            h.result.is_none(),
            "{}: closed form expected: {}",
            case.expr,
            !case.none
        );
        if let Some(want) = &case.directional {
            let want = expected(want, &h.rows, &env);
            if h.bindings.is_empty() {
                agree(
                    &case,
                    "HVP",
                    &h.hvp.result,
                    &want,
                    &answer.problem.term,
                    &env,
                );
            }
        }
        let out = answer
            .render(Format::Text, &RenderOptions::default(), 1 << 20)
            .expect("rendered");
        insta::assert_snapshot!(out);
    });
}
