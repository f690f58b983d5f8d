//! The output of the front end: a checked expression with its environment.

use crate::shape::{Env, Shape};
use crate::term::Term;

/// A parsed and shape-checked input, ready for the engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The text the user wrote (the expression, without `--let` declarations).
    pub source: String,
    /// The typed expression.
    pub term: Term,
    /// Every variable with its kind and shape (declared or inferred).
    pub env: Env,
    /// The shape of the whole expression.
    pub shape: Shape,
    /// What the reader should know about how the input was read, such as
    /// a lowercase name that had to be a scalar.
    pub notes: Vec<String>,
}
