// The gradients of an affine layer Y = XW + B under an arbitrary loss L,
// read off the matrix differential, checked numerically, and printed.
use matdiff::{Format, Session, render, render_derivation, verify};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut session = Session::new();
    session.declare("X: 1×n, W: n×m, B: 1×m")?;

    // One gradient: ∂L/∂W, with the steps that lead to it.
    let dw = session.grad("L(XW+B)", "W")?;
    let der = session.derive("L(XW+B)", &[])?;
    let env = &der.problem.env;
    assert_eq!(render(&dw.result, env, Format::Text), "Xᵀ G");
    assert_eq!(render(&dw.result, env, Format::Numpy), "X.T @ G");

    // Every gradient, checked against finite differences at random points.
    let check = verify::check(&der, 0, 3)?;
    assert!(check.passed());
    print!("{}", render_derivation(&der, Format::Text, Some(&check)));
    Ok(())
}
