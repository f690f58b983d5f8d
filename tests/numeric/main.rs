//! Tests of the numeric module: evaluation, sampling, the gradient check and
//! the comparison of two terms. Terms are built by hand (see `build`).

mod build;
mod check;
mod compare;
mod eval;
mod sample;
