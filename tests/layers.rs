//! Deep networks are derived layer by layer, so the derivation's text grows
//! linearly with depth (time is measured in the benchmarks, not here).

use matdiff::engine::{self, Options};
use matdiff::render::derivation;
use matdiff::render::text::Style;
use matdiff::{check, verify};

fn network(layers: usize) -> String {
    let mut e = "X".to_string();
    for i in 1..=layers {
        e = if i < layers {
            format!("tanh({e} W{i} + B{i})")
        } else {
            format!("{e} W{i} + B{i}")
        };
    }
    format!("L({e})")
}

fn text_len(layers: usize) -> usize {
    let p = check::check(&network(layers), &[]).expect("a network checks");
    let der = engine::derive(&p, &Options::default()).expect("a network derives");
    derivation::render(&der, None, Style::default()).len()
}

#[test]
fn output_grows_linearly_with_depth() {
    let (a, b, c) = (text_len(8), text_len(16), text_len(32));
    // Doubling the depth about doubles the text (a quadratic law would quadruple it).
    assert!(
        b < a * 5 / 2 && c < b * 5 / 2,
        "text sizes {a}, {b}, {c} for 8, 16, 32 layers"
    );
}

#[test]
fn every_gradient_of_a_deep_network_checks() {
    let p = check::check(&network(12), &[]).expect("a network checks");
    let der = engine::derive(&p, &Options::default()).expect("a network derives");
    assert_eq!(der.gradients.len(), 1 + 2 * 12, "X and every W, B");
    let c = verify::check(&der, 3, 1).expect("evaluates");
    assert!(c.passed(), "{:?}", c.per_gradient);
}

/// The check catches a wrong gradient: a derived gradient is spoiled on
/// purpose (here, in the test only) and the check must fail.
#[test]
fn the_check_catches_a_perturbed_gradient() {
    use matdiff::Term;
    let p = check::check("L(XW+B)", &[]).expect("checks");
    let der = engine::derive(&p, &Options::default()).expect("derives");
    assert!(verify::check(&der, 0, 3).expect("evaluates").passed());
    for spoil in [
        // G Wᵀ + 10⁻³·(G Wᵀ): a small relative error
        |t: &Term| {
            Term::Add(vec![
                t.clone(),
                Term::Scale(Box::new(Term::num(1e-3)), Box::new(t.clone())),
            ])
        },
        // the classic slip: a sign
        |t: &Term| Term::Neg(Box::new(t.clone())),
    ] {
        let mut bad = der.clone();
        let g = bad
            .gradients
            .iter_mut()
            .find(|g| g.wrt == "X")
            .expect("∂/∂X");
        g.result = spoil(&g.result);
        let c = verify::check(&bad, 0, 3).expect("evaluates");
        assert!(
            !c.passed(),
            "a spoiled gradient passed: {:?}",
            c.per_gradient
        );
        assert_eq!(c.failures().len(), 1, "only ∂/∂X is wrong");
    }
}
