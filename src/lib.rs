//! matdiff: symbolic matrix calculus by the matrix differential, with every
//! step shown, and CAS-style queries on matrix expressions.
//!
//! Everything goes through a [`Session`] (declarations, [`Limits`], the seed
//! of numeric checks), which runs one checked pipeline for every query:
//! parse, check kinds and shapes, bound the term, derive on an e-graph,
//! check every gradient against finite differences, render.
//!
//! | query | answer |
//! |---|---|
//! | [`Session::derive`] | an [`Answer`]: every gradient with its steps, checked, in any [`Format`] |
//! | [`Session::grad`], [`grad`] | one [`Gradient`] |
//! | [`Session::jacobian`] | a [`JacobianAnswer`]: each [`Jacobian`] in numerator layout, with its JVP and VJP, checked |
//! | [`Session::hessian`] | a [`HessianAnswer`]: each [`Hessian`] (or mixed block), `d²f` and the HVP, checked |
//! | [`Session::differential`], [`differential`] | a [`Rewriting`]: `d(expr)` with its steps |
//! | [`Session::simplify`], [`simplify`] | a [`Rewriting`]: the simplest equal form |
//! | [`Session::equivalent`], [`equivalent`] | an [`Equivalence`]: proved, refuted, or unknown |
//! | [`Session::shapes`], [`shapes`] | an [`Annotated`] problem: every shape |
//! | [`parse()`], [`check()`] | the syntax tree ([`ast`]), the typed [`Term`] |
//!
//! The functions of the language are listed, with their derivatives and
//! spellings, in the operator [`registry`]; [`numeric`] evaluates terms at
//! concrete points. Nothing here prints; every failure is an [`Error`].
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

pub mod ast;
pub mod numeric;
pub mod registry;

mod error;
mod jacobians;
mod problem;
mod session;
mod shape;
mod term;
mod unify;

// The stages of the pipeline. They are reachable for the crate's own
// tests, benches and fuzz targets, which look inside a derivation; they
// are not part of the library's interface and are hidden from its
// documentation.
#[doc(hidden)]
pub mod budget;
#[doc(hidden)]
pub mod check;
#[doc(hidden)]
pub mod components;
#[doc(hidden)]
pub mod engine;
#[doc(hidden)]
pub mod equivalence;
#[doc(hidden)]
pub mod parse;
#[doc(hidden)]
pub mod render;
#[doc(hidden)]
pub mod shrink;
#[doc(hidden)]
pub mod verify;

pub use check::{Annotated, NodeShape, check};
pub use components::{Agreement, Derivation as ComponentsDerivation, Verdict};
pub use engine::hessian::Hessian;
pub use engine::jacobian::{Directional, Jacobian, Layout};
pub use engine::stage::Rewrite;
pub use engine::{
    CostModel, Definition, Derivation, Gradient, Lhs, Meaning, StageStats, Step, Why,
};
pub use equivalence::{Equivalence, Proof};
pub use error::{Error, LimitKind, Result};
pub use jacobians::{DerivativeOptions, HessianAnswer, JacobianAnswer};
pub use numeric::{Comparison, Counterexample};
pub use parse::parse;
pub use problem::Problem;
pub use render::text::Style;
pub use session::{
    Answer, Format, GradOptions, Limits, Method, RenderOptions, Rewriting, Session, differential,
    equivalent, grad, render_term as render, shapes, simplify,
};
pub use shape::{Dim, Env, Kind, Shape, VarInfo};
pub use term::{Func, Number, Term};
pub use verify::Check;
