//! matdiff: symbolic matrix calculus by the matrix differential, with every
//! step shown, and CAS-style queries on matrix expressions.
//!
//! The queries are in [`api`] and re-exported here: [`parse()`], [`check()`],
//! [`shapes`], [`grad`], [`differential`], [`simplify`], [`equivalent`] and
//! [`render`], each also a method of a [`Session`] that holds declarations.
//! Underneath, [`parse::parse`] builds the syntax tree ([`ast`]),
//! [`check::check`] resolves kinds and shapes into a typed [`Term`], and the
//! [`engine`] rewrites terms on an e-graph.
//!
//! This is `examples/affine_layer.rs` (`cargo run --example affine_layer`):
//!
//! ```
#![doc = include_str!("../examples/affine_layer.rs")]
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]
// An input error carries its source text for display. Errors are produced
// once per input, so their size costs nothing measurable, and boxing the
// variants would change the shared `Error` type every stage matches on.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod ast;
pub mod budget;
pub mod check;
pub mod components;
pub mod engine;
pub mod equivalence;
pub mod error;
pub mod numeric;
pub mod parse;
pub mod problem;
pub mod registry;
pub mod render;
pub mod shape;
pub mod shrink;
pub mod term;
pub mod unify;
pub mod verify;

pub use api::{
    Format, Rewriting, Session, differential, equivalent, grad, render, render_derivation, shapes,
    simplify,
};
pub use check::check;
pub use equivalence::{Equivalence, Proof, Rewrite};
pub use error::{Error, Result};
pub use numeric::{
    CheckReport, Comparison, Counterexample, EvalError, Values, check_gradient, compare,
};
pub use parse::parse;
pub use problem::Problem;
pub use shape::{Dim, Env, Kind, Shape, VarInfo};
pub use term::{Func, Number, Term};
