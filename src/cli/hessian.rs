//! `matdiff hessian`: the Hessian of a scalar expression (or the mixed block
//! of two variables), `d²f` and the Hessian-vector product.

use super::DerivArgs;
use super::jacobian::run_query;

/// Runs `hessian` over its input(s); returns the worst exit status.
pub fn run(args: &DerivArgs) -> i32 {
    run_query(args, |session, src, opts, format, render| {
        let answer = session.hessian(src, opts)?;
        let out = answer.render(format, render, session.limits.output_bytes)?;
        Ok((out, answer.stats()))
    })
}
