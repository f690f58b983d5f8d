// The gradients of an affine layer Y = XW + B under an arbitrary loss L,
// read off the matrix differential, checked numerically, and printed.
use matdiff::{Format, GradOptions, RenderOptions, Session, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut session = Session::new();
    session.declare("X: 1×n, W: n×m, B: 1×m")?;

    // One gradient: ∂L/∂W, with the steps that lead to it.
    let dw = session.grad("L(XW+B)", "W")?;
    // Every gradient, each checked against finite differences at random
    // points before it is returned.
    let answer = session.derive("L(XW+B)", &GradOptions::new())?;
    let env = &answer.problem.env;
    assert_eq!(render(&dw.result, env, Format::Text), "Xᵀ G");
    assert_eq!(render(&dw.result, env, Format::Numpy), "X.T @ G");
    assert!(answer.check.as_ref().is_some_and(|c| c.passed()));

    let shown = RenderOptions {
        show_check: true,
        ..RenderOptions::default()
    };
    print!(
        "{}",
        answer.render(Format::Text, &shown, session.limits.output_bytes)?
    );
    Ok(())
}
