//! Numbers for terms: evaluation at a point, random points that suit an
//! expression, and the checks built on them (a derived gradient against
//! finite differences, two terms against each other).
//!
//! Conventions:
//!
//! - Scalars are 1×1 matrices and vectors are n×1 columns.
//! - An unknown function is linear at a point: `L(Y) = Σ G ⊙ Y` with a random
//!   `G` of the shape of `Y` (SPEC §2), so that ∂L/∂Y = G exactly. The symbol
//!   is `G` for `L` and `G_name` for any other name (`G_f`, `G_g`, `G_ell`);
//!   see [`gradient_symbol`]. Gradients mention these symbols as variables.
//! - Gradients are in denominator layout: ∂f/∂X has the shape of X.
//! - A declared symmetric variable is compared along symmetric directions
//!   only; see [`check_gradient`] and the `check` module documentation.
//! - Everything is deterministic in the seed (ChaCha8).
//!
//! Checking ∂ tr(AXB)/∂X = Aᵀ Bᵀ (Matrix Cookbook (100)):
//!
//! ```
//! use matdiff::numeric::check_gradient;
//! use matdiff::{Dim, Env, Func, Kind, Shape, Term, VarInfo};
//!
//! let mut env = Env::default();
//! for (name, rows, cols) in [("A", "p", "n"), ("X", "n", "m"), ("B", "m", "p")] {
//!     let shape = Shape::new(Dim::Sym(rows.into()), Dim::Sym(cols.into()));
//!     let info = VarInfo { kind: Kind::Matrix, shape, symmetric: false };
//!     env.vars.insert(name.to_string(), info);
//! }
//! let f = Term::Apply(
//!     Func::Tr,
//!     Box::new(Term::Mul(vec![Term::var("A"), Term::var("X"), Term::var("B")])),
//! );
//! let transposed = |name| Term::Transpose(Box::new(Term::var(name)));
//! let grad = Term::Mul(vec![transposed("A"), transposed("B")]);
//!
//! let report = check_gradient(&f, "X", &grad, &env, 1, 3).unwrap();
//! assert!(report.passed());
//!
//! let doubled = Term::Scale(Box::new(Term::num(2.0)), Box::new(grad));
//! assert!(!check_gradient(&f, "X", &doubled, &env, 1, 3).unwrap().passed());
//! ```

mod check;
mod compare;
mod error;
mod eval;
mod jacobian;
mod sample;
mod values;

pub use check::{
    CheckReport, MAX_DRAWS, MAX_ENTRIES, SPREAD_SLACK, STEP, TOLERANCE, ZERO_NORM, check_gradient,
    check_gradient_with, finite_differences, relative_error,
};
pub use compare::{Comparison, Counterexample, compare, compare_within, difference};
pub use error::EvalError;
pub use eval::{MAX_CONSTANT_ENTRIES, eval, gradient_symbol};
pub use jacobian::{Bound, check_directional, check_jacobian};
pub use sample::{MAX_LITERAL_DIM, MAX_SIZE, MIN_SIZE, sample};
pub use values::Values;
