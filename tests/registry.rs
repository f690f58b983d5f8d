//! The operator registry and the rest of the crate agree.
//!
//! - every registered name, alias and symbol parses to its own entry, and a
//!   word the registry does not know is an error naming the closest
//!   function, never a product of letters or another function;
//! - every derivative the registry writes parses and matches finite
//!   differences of the function's own evaluation inside its domain;
//! - every elementwise function is derived end to end by both methods
//!   (`sum(f(X))`, `sum(A ⊙ f(X))`, `f(α)` and `L(f(XW))`), each gradient
//!   checked numerically, the two methods in agreement, and rendered in
//!   every format.
//!
//! A new registry entry is covered here without a line of this file changing.

use matdiff::ast::{Callee, ExprKind};
use matdiff::components;
use matdiff::engine::{self, Options};
use matdiff::registry::{self, Callable, Func, Role, SPECS};
use matdiff::render::{self, text::Style};
use matdiff::{check, parse, verify};

#[test]
fn rows_are_in_the_order_of_the_ids() {
    for (i, s) in SPECS.iter().enumerate() {
        assert_eq!(s.func as usize, i, "row {i} ({}) is out of order", s.name);
        assert_eq!(s.func.spec().name, s.name);
    }
}

#[test]
fn every_name_parses_to_its_own_entry() {
    for (name, callable) in registry::call_names() {
        let args = vec!["X"; callable.arity()].join(", ");
        let src = format!("{name}({args})");
        let input = parse::parse(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
        match input.expr.kind {
            ExprKind::Call(c, _) => assert_eq!(c, callable, "{src}"),
            other => panic!("{src} parses as {other:?}"),
        }
        // The name alone is a function used as a variable, not a product.
        if name.is_ascii() {
            let err = parse::parse(name).expect_err(name);
            assert!(err.to_string().contains("is a function"), "{name}: {err}");
        }
    }
}

#[test]
fn names_are_unique() {
    let names = registry::call_names();
    for (i, (a, _)) in names.iter().enumerate() {
        for (b, _) in &names[i + 1..] {
            assert_ne!(a, b, "`{a}` names two entries");
        }
    }
}

#[test]
fn unknown_words_before_a_parenthesis_are_errors() {
    let words = [
        "softmx",
        "trace",
        "transpose",
        "sigmod",
        "tnah",
        "foo",
        "xy",
        "Xw",
    ];
    for w in words {
        let src = format!("sum({w}(x))");
        let err = parse::parse(&src).expect_err(&src);
        assert!(
            err.to_string().starts_with("unknown function"),
            "{src}: {err}"
        );
        assert_eq!(err.exit_code(), 2);
    }
    // A misspelling of every registered name is refused, never read as a
    // product of letters or as another function.
    for (name, _) in registry::call_names() {
        if !name.is_ascii() || name.len() < 3 {
            continue;
        }
        let typo: String = name.chars().rev().collect();
        if registry::lookup(&typo).is_some() {
            continue;
        }
        let src = format!("sum({typo}(x))");
        let err = parse::parse(&src).expect_err(&src);
        assert!(err.to_string().starts_with("unknown function"), "{src}");
    }
    // Suggestions name the function meant.
    assert_eq!(registry::suggest("trace").as_deref(), Some("tr"));
    assert_eq!(registry::suggest("sigmod").as_deref(), Some("sigmoid"));
    // A run of capitals before `(` is a product, and so is one letter.
    for src in ["XW(A + B)", "X(A + B)", "α(x)"] {
        let input = parse::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(
            !matches!(input.expr.kind, ExprKind::Call(..)),
            "{src} is not a call"
        );
    }
    assert!(matches!(
        parse::parse("inv(X)").unwrap().expr.kind,
        ExprKind::Call(Callee::Inverse, _)
    ));
}

/// f′ at `x` by central differences of the registry's evaluation.
fn numeric_derivative(eval: fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-5 * x.abs().max(1.0);
    (eval(x + h) - eval(x - h)) / (2.0 * h)
}

#[test]
fn every_derivative_matches_finite_differences() {
    let points = [-0.7, -0.3, 0.2, 0.45, 0.9, 1.3, 2.5];
    for s in SPECS {
        let Role::Elementwise(e) = s.role else {
            continue;
        };
        let template = registry::derivative_template(s.func)
            .unwrap_or_else(|| panic!("{}: no derivative", s.name));
        for x in points.iter().copied().filter(|x| e.domain.contains(*x)) {
            let mut vals = matdiff::numeric::Values::new();
            vals.set("x", nalgebra::DMatrix::from_element(1, 1, x));
            let symbolic = matdiff::numeric::eval(template, &vals)
                .unwrap_or_else(|err| panic!("{}′({x}): {err}", s.name))[(0, 0)];
            let numeric = numeric_derivative(e.eval, x);
            assert!(
                (symbolic - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
                "{}′({x}) = {symbolic} by the registry, {numeric} by differences",
                s.name
            );
        }
    }
}

fn elementwise() -> Vec<Func> {
    Func::all().filter(|f| f.is_elementwise()).collect()
}

/// Every expression derives, every gradient checks, both methods agree,
/// and every renderer writes something for it.
fn end_to_end(src: &str, lets: &[&str]) {
    let lets: Vec<String> = lets.iter().map(|s| s.to_string()).collect();
    let problem = check::check(src, &lets).unwrap_or_else(|e| panic!("{src}: {e}"));
    let der = engine::derive(&problem, &Options::default())
        .unwrap_or_else(|e| panic!("{src}: cannot derive: {e}"));
    let checked = verify::check(&der, 3, 2).unwrap_or_else(|e| panic!("{src}: {e}"));
    assert!(checked.passed(), "{src}: {:?}", checked.per_gradient);
    let comp = components::derive(&problem, &[])
        .unwrap_or_else(|e| panic!("{src}: cannot derive by components: {e}"));
    let agreement = components::agreement(&der, &comp, 5, 2).expect("evaluates");
    for v in &agreement.verdicts {
        let c = v
            .numeric
            .as_ref()
            .unwrap_or_else(|| panic!("{src}: ∂/∂{} has no matrix form by components", v.wrt));
        assert!(
            c.agree(),
            "{src}: the methods differ for ∂/∂{}: {c:?}",
            v.wrt
        );
    }
    let text = render::derivation::render(&der, Some(&checked), Style::default());
    let ascii = render::derivation::render(
        &der,
        None,
        Style {
            ascii: true,
            ..Style::default()
        },
    );
    assert!(ascii.is_ascii(), "{src}: ASCII output has other characters");
    assert!(!text.is_empty());
    let json = render::json::render(&der, Some(&checked)).to_string();
    assert!(json.starts_with('{'));
    let latex = render::latex::derivation(&der);
    assert!(latex.contains("\\begin{align*}"));
    for lib in [render::numpy::Lib::Numpy, render::numpy::Lib::Torch] {
        let code = render::numpy::functions(&der, lib);
        assert!(code.contains("def grad_"), "{src}");
    }
}

#[test]
fn every_elementwise_function_is_derived_both_ways() {
    for f in elementwise() {
        let name = f.name();
        end_to_end(&format!("sum({name}(X))"), &["X: 3×2"]);
        end_to_end(&format!("sum(A ⊙ {name}(X))"), &[]);
        end_to_end(&format!("L({name}(X) W)"), &[]);
    }
}

#[test]
fn every_elementwise_function_of_a_scalar() {
    for f in elementwise() {
        let src = format!("{}(alpha)", f.name());
        let problem = check::check(&src, &[]).unwrap_or_else(|e| panic!("{src}: {e}"));
        let der =
            engine::derive(&problem, &Options::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
        let checked = verify::check(&der, 0, 2).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(checked.passed(), "{src}");
    }
}

#[test]
fn callables_cover_the_operators() {
    assert_eq!(registry::lookup("inv"), Some(Callable::Inverse));
    assert_eq!(registry::lookup("σ"), Some(Callable::Func(Func::Sigmoid)));
    assert_eq!(registry::lookup("nonsense"), None);
}

/// Every function along an axis (softmax, log-softmax, log-sum-exp, down
/// columns and along rows) is derived end to end by both methods, of a
/// matrix and of a vector, and `mean` and `numel` too.
#[test]
fn every_function_along_an_axis_is_derived_both_ways() {
    for f in Func::all().filter(|f| f.axis().is_some()) {
        let rows = f.axis() == Some(registry::Axis::Rows);
        let call = |arg: &str| {
            if rows {
                format!("{}({arg}, 2)", f.name())
            } else {
                format!("{}({arg})", f.name())
            }
        };
        end_to_end(&format!("L({})", call("X W")), &[]);
        end_to_end(&format!("L({})", call("X")), &["X: 3×2"]);
        end_to_end(&format!("L({})", call(if rows { "xᵀ" } else { "x" })), &[]);
    }
    end_to_end("mean(A ⊙ X)", &[]);
    end_to_end("sum(X) / numel(X)", &[]);
}

/// Each function along an axis is the same name with an axis argument:
/// `softmax(X, 2)` parses to the entry along rows, `softmax(X, 1)` and
/// `softmax(X)` to the entry down columns, and both print back as written.
#[test]
fn an_axis_argument_names_the_entry_along_rows() {
    for f in Func::all().filter(|f| f.axis() == Some(registry::Axis::Columns)) {
        let rows = f.with_axis(registry::Axis::Rows).expect("a row entry");
        for (src, want) in [
            (format!("{}(X)", f.name()), f),
            (format!("{}(X, 1)", f.name()), f),
            (format!("{}(X, 2)", f.name()), rows),
        ] {
            let p = check::check(&src, &[]).unwrap_or_else(|e| panic!("{src}: {e}"));
            match &p.term {
                matdiff::Term::Apply(g, _) => assert_eq!(*g, want, "{src}"),
                other => panic!("{src} checks as {other:?}"),
            }
            let shown = render::text::show(&p.term, Style::default());
            let again = check::check(&shown, &[]).unwrap_or_else(|e| panic!("{shown}: {e}"));
            assert_eq!(again.term, p.term, "{src} prints as {shown}");
        }
        for bad in ["(X, 3)", "()", "(X, Y)", "(X, 0.5)", "(X, 1, 2)"] {
            let src = format!("{}{bad}", f.name());
            let err = parse::parse(&src).expect_err(&src);
            assert_eq!(err.exit_code(), 2, "{src}");
        }
    }
}
