// Equivalence queries: a proof from the rewrite rules, a numeric
// counterexample, or "unknown" with the reason.
use matdiff::{Env, Equivalence, Format, Style, equivalent, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The cyclic property of the trace proves it; the proof is a list of
    // steps, each naming its rule.
    let Equivalence::Proved(proof) = equivalent("tr(ABC)", "tr(CAB)")? else {
        panic!("tr(ABC) = tr(CAB) should be proved");
    };
    println!("tr(ABC) = tr(CAB):");
    for step in &proof.steps {
        let text = render(&step.term, &Env::default(), Format::Text);
        println!("  = {text}    by {}", step.rule);
    }

    // Swapping two factors is not allowed: random matrices show it.
    match equivalent("tr(ABC)", "tr(ACB)")? {
        Equivalence::Refuted(c) => {
            println!("tr(ABC) ≠ tr(ACB):");
            print!("{}", c.render(Style::default()));
        }
        other => panic!("expected a counterexample, got {other:?}"),
    }

    // The transpose of a product.
    let answer = equivalent("(XW)ᵀ", "WᵀXᵀ")?;
    print!("(XW)ᵀ = WᵀXᵀ: {}", answer.render(true, Style::default()));
    Ok(())
}
