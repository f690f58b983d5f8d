//! matdiff: symbolic matrix calculus by the matrix differential, with every
//! step shown.
#![warn(missing_docs)]

pub mod error;
pub mod numeric;
pub mod problem;
pub mod shape;
pub mod term;

pub use error::{Error, Result};
pub use numeric::{CheckReport, Comparison, EvalError, Values, check_gradient, compare};
pub use problem::Problem;
pub use shape::{Dim, Env, Kind, Shape, VarInfo};
pub use term::{Func, Number, Term};
pub mod engine;
pub mod render;
pub mod verify;
