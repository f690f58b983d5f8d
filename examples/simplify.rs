// Simplification: the smallest equal form, with the rule of every step.
use matdiff::{Format, simplify};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for expr in [
        "tr(Xᵀ) + 0",
        "X(A + B) - XA",
        "2X + 3X - X",
        "tr(AB) - tr(BA)",
    ] {
        let s = simplify(expr)?;
        print!("{}", s.render(Format::Text));
        println!();
    }
    let s = simplify("((Wᵀ)ᵀ X)ᵀ")?;
    println!("{}", s.render(Format::Latex));
    Ok(())
}
