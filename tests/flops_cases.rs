//! `--cost flops` as data: every file in `tests/flops/` is one case with
//! concrete dimensions, in the format of `tests/derive/`. Each case is derived
//! twice, choosing the smallest form and the form with the fewest FLOPs; the
//! snapshot holds the FLOP derivation and both forms of every gradient with
//! their FLOP counts. Every FLOP gradient is checked numerically (at small
//! stand-in sizes) and is never dearer than the smallest form.

use matdiff::engine::{self, CostModel, Derivation, Options, flops};
use matdiff::render::derivation;
use matdiff::render::text::{Style, show};
use matdiff::{check, shrink, verify};

struct Case {
    expr: String,
    lets: Vec<String>,
    wrt: Vec<String>,
}

fn read(text: &str) -> Case {
    let mut case = Case {
        expr: String::new(),
        lets: vec![],
        wrt: vec![],
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
        } else {
            assert!(case.expr.is_empty(), "two expressions in one case: {line}");
            case.expr = line.to_string();
        }
    }
    case
}

fn derive(case: &Case, cost: CostModel) -> Derivation {
    let problem =
        check::check(&case.expr, &case.lets).unwrap_or_else(|e| panic!("{}: {e}", case.expr));
    assert!(flops::symbolic_dims(&problem.env).is_empty());
    engine::derive(
        &problem,
        &Options {
            wrt: case.wrt.clone(),
            cost,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", case.expr))
}

#[test]
fn flop_extraction() {
    insta::glob!("flops/*.txt", |path| {
        let case = read(&std::fs::read_to_string(path).expect("readable case"));
        let cheap = derive(&case, CostModel::Flops);
        let small = derive(&case, CostModel::Size);

        let checked = verify::check(&shrink::derivation(&cheap), 5, 3)
            .unwrap_or_else(|e| panic!("{}: numeric check: {e}", case.expr));
        assert!(
            checked.passed(),
            "{}: numeric check failed: {:?}",
            case.expr,
            checked.per_gradient
        );

        let style = Style::default();
        let mut out = derivation::render(&cheap, None, style);
        out.push_str("\nFLOPs\n");
        let env = &cheap.problem.env;
        for (c, s) in cheap.gradients.iter().zip(&small.gradients) {
            let before = flops::count(&s.result, env).expect("concrete dimensions");
            let after = flops::count(&c.result, env).expect("concrete dimensions");
            assert!(
                after <= before,
                "{}: ∂/∂{} costs {after} FLOPs, more than the smallest form's {before}",
                case.expr,
                c.wrt
            );
            out.push_str(&format!(
                "∂/∂{}\n  smallest form  {:>14}  {}\n  fewest FLOPs   {:>14}  {}\n",
                c.wrt,
                before,
                show(&s.result, style),
                after,
                show(&c.result, style)
            ));
        }
        insta::assert_snapshot!(out);
    });
}
