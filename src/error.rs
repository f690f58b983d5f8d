//! The typed errors of the library. Input errors carry the source and the
//! span of the offending part; engine errors name the sub-expression.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

use crate::ast::Span;
use thiserror::Error;

/// Everything that can go wrong in matdiff.
#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    // ---- input errors (exit status 2) --------------------------------------
    /// The input does not follow the grammar.
    #[error("{message}")]
    #[diagnostic(code(matdiff::syntax))]
    Syntax {
        /// What is wrong.
        message: String,
        /// The input.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label under the span.
        label: String,
        /// A hint.
        #[help]
        help: Option<String>,
    },
    /// Shapes or kinds do not fit together.
    #[error("{message}")]
    #[diagnostic(code(matdiff::shape))]
    Shape {
        /// What is wrong.
        message: String,
        /// The input.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label under the span.
        label: String,
        /// A hint.
        #[help]
        help: Option<String>,
    },
    /// The input is longer than the parser accepts.
    #[error("the input is {size} bytes long; the limit is {limit} bytes")]
    #[diagnostic(
        code(matdiff::too_large),
        help("split the input into smaller expressions")
    )]
    InputTooLarge {
        /// Length of the input in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A command-line argument or request is not usable.
    #[error("{0}")]
    #[diagnostic(code(matdiff::usage))]
    Usage(String),

    // ---- derivation errors (exit status 1) ---------------------------------
    /// The engine has no rule for this sub-expression.
    #[error("cannot differentiate {at}: {reason}")]
    #[diagnostic(code(matdiff::unsupported))]
    Unsupported {
        /// The sub-expression where the derivation stopped, as text.
        at: String,
        /// Why.
        reason: String,
    },
    /// An e-graph run or another budget hit its limit.
    #[error("the {stage} stage hit its {limit} limit while working on {at}")]
    #[diagnostic(
        code(matdiff::limit),
        help("raise the limit with --node-limit or --timeout, or simplify the input")
    )]
    Limit {
        /// Which stage.
        stage: String,
        /// Which limit (nodes, iterations, time).
        limit: String,
        /// The sub-expression being worked on.
        at: String,
    },
    /// A derived result failed its numeric check.
    #[error("the derived gradient failed the numeric check: {detail}")]
    #[diagnostic(code(matdiff::check))]
    CheckFailed {
        /// The numbers.
        detail: String,
    },
    /// A term could not be evaluated on concrete numbers.
    #[error("numeric evaluation failed: {0}")]
    #[diagnostic(code(matdiff::numeric))]
    Numeric(#[from] crate::numeric::EvalError),
}

impl Error {
    /// The process exit status for this error: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Syntax { .. }
            | Error::Shape { .. }
            | Error::InputTooLarge { .. }
            | Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl Error {
    /// A syntax error at `span` of `src` (a source called `name`).
    pub fn syntax(
        name: &str,
        src: &str,
        span: Span,
        message: &str,
        label: &str,
        help: Option<&str>,
    ) -> Error {
        Error::Syntax {
            message: message.to_string(),
            src: NamedSource::new(name, src.to_string()),
            span: span.into(),
            label: label.to_string(),
            help: help.map(str::to_string),
        }
    }

    /// A shape or kind error at `span` of `src` (a source called `name`).
    pub fn shape(
        name: &str,
        src: &str,
        span: Span,
        message: &str,
        label: &str,
        help: Option<&str>,
    ) -> Error {
        Error::Shape {
            message: message.to_string(),
            src: NamedSource::new(name, src.to_string()),
            span: span.into(),
            label: label.to_string(),
            help: help.map(str::to_string),
        }
    }

    /// The diagnostic as a user sees it: message, source with the offending
    /// span underlined, help line. `color` adds ANSI colours; `width` is the
    /// terminal width used to wrap text.
    pub fn render(&self, color: bool, width: usize) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let mut out = String::new();
        let handler = GraphicalReportHandler::new_themed(theme).with_width(width);
        // Writing into a String cannot fail; fall back to the bare message
        // rather than lose the error if the handler ever does.
        if handler.render_report(&mut out, self).is_err() {
            out = self.to_string();
        }
        out
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
