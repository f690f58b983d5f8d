//! The typed errors of the library. Input errors carry the source and the
//! span of the offending part; engine errors name the sub-expression.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

use std::fmt;

use crate::ast::Span;
use crate::render::text::{self, Style};
use crate::term::Term;
use thiserror::Error;

/// A limit that a derivation can reach.
#[derive(Clone, Debug, PartialEq)]
pub enum LimitKind {
    /// E-nodes of one e-graph run.
    Nodes(usize),
    /// Iterations of one e-graph run.
    Iterations(usize),
    /// Wall time, in seconds (of one run, or of the whole query).
    Time(f64),
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitKind::Nodes(n) => write!(f, "node ({n} e-nodes)"),
            LimitKind::Iterations(n) => write!(f, "iteration ({n} iterations)"),
            LimitKind::Time(t) => write!(f, "time ({t:.2} s)"),
        }
    }
}

/// A term in an error message: its text, cut to
/// [`MAX_QUOTE_CHARS`](crate::budget::MAX_QUOTE_CHARS) characters.
struct Quoted<'a>(&'a Term);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::budget::quote(&text::show(self.0, Style::default())))
    }
}

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
    #[error("cannot differentiate {}: {reason}", Quoted(at))]
    #[diagnostic(code(matdiff::unsupported))]
    Unsupported {
        /// The sub-expression where the derivation stopped.
        at: Box<Term>,
        /// Why.
        reason: String,
    },
    /// An e-graph run or another budget hit its limit.
    #[error(
        "the {stage} stage hit its {limit} limit while working on {}",
        Quoted(at)
    )]
    #[diagnostic(
        code(matdiff::limit),
        help("raise the limit with --node-limit or --timeout, or simplify the input")
    )]
    Limit {
        /// Which stage (`differential`, `identification ∂L/∂X`, …).
        stage: String,
        /// Which limit.
        limit: LimitKind,
        /// The sub-expression being worked on.
        at: Box<Term>,
    },
    /// A derived result failed its numeric check.
    #[error("the derived gradient failed the numeric check: {detail}")]
    #[diagnostic(code(matdiff::check))]
    CheckFailed {
        /// The numbers.
        detail: String,
    },
    /// The numeric check found no random point at which it could judge a
    /// gradient (every point left a function's domain or made a matrix
    /// singular): the gradient is derived but unverified, so not printed.
    #[error("the gradient of {function} with respect to {wrt} could not be verified: {reason}")]
    #[diagnostic(code(matdiff::unverified), help("{help}"))]
    Unverified {
        /// The function differentiated.
        function: String,
        /// The variable.
        wrt: String,
        /// What went wrong at the last point drawn.
        reason: String,
        /// What to do about it.
        help: String,
    },
    /// A term could not be evaluated on concrete numbers.
    #[error("numeric evaluation failed: {0}")]
    #[diagnostic(code(matdiff::numeric))]
    Numeric(#[from] crate::numeric::EvalError),
    /// The term is too large to give to the engine (see `budget::MAX_TERM_SIZE`).
    #[error("{at} is too large to {task}: {size} nodes (powers expanded), the limit is {limit}")]
    #[diagnostic(
        code(matdiff::too_complex),
        help("split the expression, or use smaller powers")
    )]
    TooComplex {
        /// The input, shortened.
        at: String,
        /// What the engine was asked to do (`differentiate`, `simplify`, `compare`).
        task: &'static str,
        /// Its size in nodes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The derivation's text is longer than the output limit.
    #[error("the derivation is {size} bytes long; the output limit is {limit} bytes")]
    #[diagnostic(
        code(matdiff::output_too_large),
        help("ask for fewer gradients with --wrt, or simplify the input")
    )]
    OutputTooLarge {
        /// Length of the output in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
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
        let (name, src, span) = excerpt(name, src, span);
        Error::Syntax {
            message: message.to_string(),
            src: NamedSource::new(name, src),
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
        let (name, src, span) = excerpt(name, src, span);
        Error::Shape {
            message: message.to_string(),
            src: NamedSource::new(name, src),
            span: span.into(),
            label: label.to_string(),
            help: help.map(str::to_string),
        }
    }

    /// The same error with its source called `name` instead of `input`
    /// (`stdin:3` for the third line of standard input), so that a
    /// diagnostic points at the line it is about.
    pub fn in_source(self, name: &str) -> Error {
        let rename = |src: NamedSource<String>| {
            let old = src.name().to_string();
            let new = match old.strip_prefix("input") {
                Some(rest) => format!("{name}{rest}"),
                None => old,
            };
            NamedSource::new(new, src.inner().clone())
        };
        match self {
            Error::Syntax {
                message,
                src,
                span,
                label,
                help,
            } => Error::Syntax {
                message,
                src: rename(src),
                span,
                label,
                help,
            },
            Error::Shape {
                message,
                src,
                span,
                label,
                help,
            } => Error::Shape {
                message,
                src: rename(src),
                span,
                label,
                help,
            },
            other => other,
        }
    }

    /// The byte range `(start, end)` of the offending part of a syntax or
    /// shape error in the text it was found in: the whole text, also when
    /// the diagnostic shows an excerpt of a long one. `None` for errors
    /// without a span.
    ///
    /// ```
    /// let long = format!("{}+ )", "X + ".repeat(100));
    /// let e = matdiff::parse(&long).unwrap_err();
    /// let (start, end) = e.span().unwrap();
    /// assert_eq!(&long[start..end], ")");
    /// assert_eq!(e.input_text().unwrap().chars().next(), Some('…')); // an excerpt
    /// ```
    pub fn span(&self) -> Option<(usize, usize)> {
        let (src, span) = match self {
            Error::Syntax { src, span, .. } | Error::Shape { src, span, .. } => (src, span),
            _ => return None,
        };
        // An excerpt is named after the byte it starts at and begins with
        // a `…` mark (see `excerpt`): shift the span back by both.
        let shift = match src.name().rsplit_once(EXCERPT_FROM) {
            Some((_, rest)) => {
                let from: usize = rest.split(' ').next()?.parse().ok()?;
                from.checked_sub(if from > 0 { '…'.len_utf8() } else { 0 })?
            }
            None => 0,
        };
        Some((shift + span.offset(), shift + span.offset() + span.len()))
    }

    /// The text a syntax or shape error was found in, as its diagnostic
    /// shows it: the whole input, or an excerpt around the span, between
    /// `…` marks, of an input over 240 bytes. `None` for other errors.
    pub fn input_text(&self) -> Option<&str> {
        match self {
            Error::Syntax { src, .. } | Error::Shape { src, .. } => Some(src.inner()),
            _ => None,
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

/// Sources longer than this many bytes are shown as an excerpt around the
/// offending span, so that a diagnostic about a huge input stays short.
const MAX_SHOWN_SOURCE: usize = 240;

/// What the name of an excerpt's source says before the byte it starts at.
const EXCERPT_FROM: &str = ", from byte ";

/// Bytes of context shown on each side of the span in an excerpt.
const CONTEXT: usize = 60;

/// The source to show under a diagnostic: `src` itself when it is short,
/// else the part around `span` (itself cut if long) between `…` marks, with
/// the span moved to match and the name saying where the excerpt starts.
fn excerpt(name: &str, src: &str, span: Span) -> (String, String, Span) {
    if src.len() <= MAX_SHOWN_SOURCE {
        return (name.to_string(), src.to_string(), span);
    }
    let floor = |mut i: usize| {
        i = i.min(src.len());
        while !src.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ceil = |mut i: usize| {
        i = i.min(src.len());
        while !src.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    let start = floor(span.start);
    let end = floor(
        span.end
            .clamp(start, start + (MAX_SHOWN_SOURCE - 2 * CONTEXT)),
    );
    let from = floor(start.saturating_sub(CONTEXT));
    let to = ceil(end + CONTEXT);
    let mut text = String::new();
    if from > 0 {
        text.push('…');
    }
    let shift = text.len();
    text.push_str(&src[from..to]);
    if to < src.len() {
        text.push('…');
    }
    let span = Span::new(start - from + shift, end - from + shift);
    let name = format!("{name}{EXCERPT_FROM}{from} of {}", src.len());
    (name, text, span)
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
