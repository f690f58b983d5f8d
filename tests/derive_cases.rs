//! Derivations as data: every file in `tests/derive/` is one case.
//!
//! A case file holds comment lines (`#`, the source of the identity), the
//! expression, `let` declarations, optional `wrt` lines, and `expect V = A`
//! lines. Each case is derived and
//! - its whole text derivation is snapshotted (what a user sees),
//! - every gradient is checked numerically against finite differences,
//! - every expected gradient is reached exactly: the derived gradient's text
//!   is the `expect` text, up to spacing (the expect lines are written in
//!   the printed form, so a change of form shows up here);
//! - and, since a text can be mistyped, each expect is also read as an
//!   expression in the problem's environment and compared with the derived
//!   gradient numerically at random points.

use matdiff::engine::{self, Options};
use matdiff::render::derivation;
use matdiff::render::text::Style;
use matdiff::{check, numeric, verify};

struct Case {
    expr: String,
    lets: Vec<String>,
    wrt: Vec<String>,
    expect: Vec<(String, String)>,
}

fn read(text: &str) -> Case {
    let mut case = Case {
        expr: String::new(),
        lets: vec![],
        wrt: vec![],
        expect: vec![],
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
        } else if let Some(e) = line.strip_prefix("expect ") {
            let (v, a) = e.split_once('=').expect("expect V = A");
            case.expect
                .push((v.trim().to_string(), a.trim().to_string()));
        } else {
            assert!(case.expr.is_empty(), "two expressions in one case: {line}");
            case.expr = line.to_string();
        }
    }
    case
}

/// Text without its spaces: `2 A X` and `2 AX` are one form.
fn unspaced(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn derivations() {
    insta::glob!("derive/*.txt", |path| {
        let case = read(&std::fs::read_to_string(path).expect("readable case"));
        let problem =
            check::check(&case.expr, &case.lets).unwrap_or_else(|e| panic!("{}: {e}", case.expr));
        let der = engine::derive(
            &problem,
            &Options {
                wrt: case.wrt.clone(),
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.expr));

        let checked = verify::check(&der, 7, 3)
            .unwrap_or_else(|e| panic!("{}: numeric check: {e}", case.expr));
        assert!(
            checked.passed(),
            "{}: numeric check failed: {:?}",
            case.expr,
            checked.per_gradient
        );

        for (v, expected) in &case.expect {
            let g = der
                .gradients
                .iter()
                .find(|g| g.wrt == *v)
                .unwrap_or_else(|| panic!("no gradient for {v}"));
            // Read as `(E) + 0 V`, so that a free dimension of `E` (the size
            // of `I` in `I / α`) takes the shape of the variable. A derivation
            // layer by layer writes its results with named intermediates
            // (`G_Z1`), and so may the expected form: both are compared with
            // the intermediates written out.
            let env = der.problem.env.clone();
            let want = check::check_in(&format!("({expected}) + 0 {v}"), &env)
                .unwrap_or_else(|e| panic!("expected {expected}: {e}"));
            let result = engine::layers::written_out(&g.result, &der.bindings);
            let want_term = engine::layers::written_out(&want.term, &der.bindings);
            let mut env = env;
            env.vars
                .retain(|n, _| !der.bindings.iter().any(|(b, _)| b == n));
            let cmp =
                numeric::compare_within(&result, &want_term, &[&der.problem.term], &env, 11, 3)
                    .unwrap_or_else(|e| {
                        panic!("{}: comparing ∂/∂{v} with {expected}: {e}", case.expr)
                    });
            assert!(
                cmp.agree(),
                "{}: ∂/∂{v} = {} differs from the expected {expected} (relative difference {:.2e})",
                case.expr,
                matdiff::render::text::show(&g.result, Style::default()),
                cmp.max_rel_difference
            );
            // The expected form is reached exactly, not only numerically.
            let derived = matdiff::render::text::show(&g.result, Style::default());
            assert_eq!(
                unspaced(&derived),
                unspaced(expected),
                "{}: ∂/∂{v} is {derived}, not the expected {expected}",
                case.expr
            );
        }
        insta::assert_snapshot!(derivation::render(&der, None, Style::default()));
    });
}

/// The gradient with respect to a symmetric variable is symmetric (SPEC §2):
/// the unconstrained `Aᵀ` of `tr(AX)` agrees with finite differences along
/// symmetric directions, and the numeric check still refuses it.
#[test]
fn a_gradient_for_a_symmetric_variable_is_checked_for_symmetry() {
    let problem = check::check("tr(AX) where X: sym n×n", &[]).expect("checks");
    let mut der = engine::derive(
        &problem,
        &Options {
            wrt: vec!["X".to_string()],
            ..Options::default()
        },
    )
    .expect("derives");
    assert!(verify::check(&der, 7, 3).expect("evaluates").passed());
    der.gradients[0].result = check::check_in("Aᵀ", &der.problem.env)
        .expect("Aᵀ checks")
        .term;
    assert!(!verify::check(&der, 7, 3).expect("evaluates").passed());
}
