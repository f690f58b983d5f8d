//! What can go wrong when a term is evaluated on concrete numbers.

use thiserror::Error;

/// Why a term could not be evaluated, sampled or checked numerically.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum EvalError {
    /// A variable has no value.
    #[error("no value for the variable {0}")]
    UnboundVariable(String),
    /// A symbolic dimension has no concrete size.
    #[error("no size for the dimension {0}")]
    UnboundDim(String),
    /// An unknown function's gradient matrix (`G`, `G_f`, …) has no value.
    #[error("no value for {symbol}, the gradient of the unknown function {function}")]
    UnboundGradient {
        /// The unknown function (`L`, `f`, `ell`).
        function: String,
        /// The symbol of its gradient.
        symbol: String,
    },
    /// Two operands have sizes that do not fit together.
    #[error("{op}: sizes {}×{} and {}×{} do not fit", .left.0, .left.1, .right.0, .right.1)]
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// Size of the left operand.
        left: (usize, usize),
        /// Size of the right operand.
        right: (usize, usize),
    },
    /// An operation that needs a square matrix got another shape.
    #[error("{op} needs a square matrix, got {}×{}", .shape.0, .shape.1)]
    NotSquare {
        /// The operation.
        op: &'static str,
        /// The size it got.
        shape: (usize, usize),
    },
    /// An operation that needs a scalar (1×1) got a matrix.
    #[error("{op} needs a scalar, got {}×{}", .shape.0, .shape.1)]
    NotScalar {
        /// The operation.
        op: &'static str,
        /// The size it got.
        shape: (usize, usize),
    },
    /// A matrix to invert is singular, or so ill-conditioned that its
    /// inverse (and finite differences through it) cannot be trusted.
    #[error("{op}: {} is singular{}", at.as_deref().unwrap_or("the matrix"), condition.map_or(String::new(), |c| format!(" (condition number {c:.1e})")))]
    Singular {
        /// The operation (inverse, negative power).
        op: &'static str,
        /// The matrix, as text (the innermost sub-expression that failed).
        at: Option<String>,
        /// Its condition number, when it was finite.
        condition: Option<f64>,
    },
    /// A function was applied outside its domain.
    #[error("{func} is not defined at {value}{}", at.as_ref().map_or(String::new(), |a| format!(" (in {a})")))]
    Domain {
        /// The function (`log`, `sqrt`, `logdet`, division).
        func: &'static str,
        /// The offending value.
        value: f64,
        /// The sub-expression that left the domain, as text.
        at: Option<String>,
    },
    /// Every random point drawn was outside the domain of a function or
    /// made a matrix singular, so nothing could be judged there.
    #[error("no usable point in {draws} random draws: {last}")]
    NoUsablePoint {
        /// How many points were drawn.
        draws: u64,
        /// Why the last one failed.
        last: Box<EvalError>,
    },
    /// A result overflowed or is not a number.
    #[error("{op} gave a value that is not finite")]
    NonFinite {
        /// The operation, or the variable, that produced it.
        op: String,
    },
    /// The finite differences do not settle at the drawn point (it lies
    /// close to a pole or a kink of the function); another point is drawn.
    #[error(
        "the finite differences for {var} do not settle at this point (close to a singularity)"
    )]
    IllConditioned {
        /// The variable differentiated by.
        var: String,
    },
    /// A sum or product has no operands.
    #[error("{op} of no operands")]
    Empty {
        /// The operation.
        op: &'static str,
    },
    /// A differential `d(·)` has no value at a point.
    #[error("a differential d(·) cannot be evaluated")]
    Differential,
    /// The shape of a term could not be computed from the environment.
    #[error("cannot compute the shape of {what}")]
    UnknownShape {
        /// Which term.
        what: String,
    },
    /// The derived gradient does not have the shape of its variable.
    #[error("the gradient is {}×{} but {var} is {}×{}", .gradient.0, .gradient.1, .variable.0, .variable.1)]
    GradientShape {
        /// The variable.
        var: String,
        /// Size of the variable.
        variable: (usize, usize),
        /// Size of the gradient.
        gradient: (usize, usize),
    },
    /// A size exceeds what the numeric check handles in reasonable time.
    #[error("{what} is {size}, more than the numeric check's limit of {limit}")]
    TooLarge {
        /// What is too large.
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

impl EvalError {
    /// Whether the failure comes from the particular point (a singular draw, a
    /// value outside a function's domain), so that another random point may work.
    pub fn is_domain(&self) -> bool {
        matches!(
            self,
            EvalError::Singular { .. }
                | EvalError::Domain { .. }
                | EvalError::NoUsablePoint { .. }
                | EvalError::NonFinite { .. }
                | EvalError::IllConditioned { .. }
        )
    }
}
