//! matdiff: symbolic matrix calculus by the matrix differential, with every
//! step shown.
//!
//! The front end turns text into a shape-checked [`Problem`]:
//! [`parse::parse`] builds the syntax tree ([`ast`]), [`check::check`]
//! resolves kinds and shapes and produces the typed [`Term`].
#![warn(missing_docs)]
// An input error carries its source text for display. Errors are produced
// once per input, so their size costs nothing measurable, and boxing the
// variants would change the shared `Error` type every stage matches on.
#![allow(clippy::result_large_err)]

pub mod ast;
pub mod check;
pub mod engine;
pub mod error;
pub mod numeric;
pub mod parse;
pub mod problem;
pub mod render;
pub mod shape;
pub mod shrink;
pub mod term;
pub mod unify;
pub mod verify;

pub use error::{Error, Result};
pub use numeric::{CheckReport, Comparison, EvalError, Values, check_gradient, compare};
pub use problem::Problem;
pub use shape::{Dim, Env, Kind, Shape, VarInfo};
pub use term::{Func, Number, Term};
