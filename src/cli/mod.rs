//! The command line: argument definitions, reading inputs, reporting
//! errors. Every command is a thin layer over the library's [`Session`]:
//! it turns arguments into a query, runs it, and prints the answer.
//!
//! Only this folder and `main.rs` print. Errors are rendered by miette.

mod equiv;
mod grad;
mod help;
mod hessian;
mod input;
mod jacobian;
mod repl;
#[cfg(feature = "serve")]
mod serve;
mod simplify;

use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use matdiff::{Error, LimitKind, Limits, Session};

pub use input::inputs;

/// The exit statuses, shown by `--help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  success (with EXPR `-`: every line succeeded)
  1  a derivation the tool cannot do, or a numeric check that failed
  2  bad input or usage
With EXPR `-` the status is the worst line's.

`matdiff help syntax` describes the expression language.";

/// Symbolic matrix calculus: gradients by the matrix differential, with every step shown.
#[derive(Debug, Parser)]
#[command(name = "matdiff", version, about, long_about = None, after_help = EXIT_STATUS)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Differentiate a scalar expression with respect to its variables.
    #[command(after_help = GRAD_HELP)]
    Grad(GradArgs),
    /// The Jacobian of an expression (any shape), in numerator layout, with its JVP and VJP.
    #[command(after_help = DERIV_HELP)]
    Jacobian(DerivArgs),
    /// The Hessian of a scalar expression (or a mixed block), d²f and the Hessian-vector product.
    #[command(after_help = DERIV_HELP)]
    Hessian(DerivArgs),
    /// Simplify an expression.
    Simplify(SimplifyArgs),
    /// Decide whether two expressions are equal for all values.
    Equiv(EquivArgs),
    /// Show the shape of every variable and subexpression.
    Shape(ShapeArgs),
    /// Read commands interactively (or a script from standard input).
    Repl,
    /// The expression language: spellings, functions, declarations.
    #[command(long_about = help::syntax())]
    Syntax,
    /// Serve a web page for deriving, and its JSON API.
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
}

/// How a derivation is carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// By the matrix differential.
    Differential,
    /// By components (index notation).
    Components,
    /// Both, and check that they agree.
    Both,
}

impl From<Method> for matdiff::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::Differential => matdiff::Method::Differential,
            Method::Components => matdiff::Method::Components,
            Method::Both => matdiff::Method::Both,
        }
    }
}

/// More about `grad`, shown by `grad --help`.
const GRAD_HELP: &str = "\
EXPR `-` reads one expression per line from standard input; blank lines and
lines starting with `#` are skipped. A failing line is reported on standard
error (and, with --format json, as a JSON line {\"input\", \"error\", \"exit\"})
and the next line is read. With --format json each result is one line (JSON Lines).

Text output is coloured only on a terminal, and never when NO_COLOR is set.
`--stats` writes its table to standard error, so the output stays parseable.

Exit status:
  0  success (with EXPR `-`: every line succeeded)
  1  a derivation the tool cannot do, or a numeric check that failed
  2  bad input or usage
With EXPR `-` the status is the worst line's.";

/// Output formats of `grad`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The derivation as text with Unicode symbols (with --ascii: plain ASCII).
    Text,
    /// The derivation as a LaTeX `align*` block.
    Latex,
    /// One JSON object.
    Json,
    /// A Python function per gradient, using NumPy.
    Numpy,
    /// A Python function per gradient, using PyTorch.
    Torch,
}

impl From<Format> for matdiff::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => matdiff::Format::Text,
            Format::Latex => matdiff::Format::Latex,
            Format::Json => matdiff::Format::Json,
            Format::Numpy => matdiff::Format::Numpy,
            Format::Torch => matdiff::Format::Torch,
        }
    }
}

/// Cost models for choosing among equal forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Cost {
    /// Floating-point operations for the declared dimensions.
    Flops,
}

/// The declaration help shared by every command.
const LET_HELP: &str = "A declaration such as 'X: 1×n', 'A: sym n×n', 'alpha: scalar', 'x: vector' or 'X: 3x4' (repeatable; several may be separated by commas)";

/// The limits every command takes.
#[derive(Clone, Debug, Args)]
pub struct LimitArgs {
    /// The most e-nodes of each e-graph run (at least 100).
    #[arg(long, value_name = "N", default_value_t = Limits::default().nodes,
          value_parser = parse_node_limit)]
    pub node_limit: usize,
    /// The most wall time per input, in seconds (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().timeout.as_secs_f64(),
          value_parser = parse_seconds)]
    pub timeout: f64,
    /// Seed of the numeric check.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// Arguments of `grad`.
#[derive(Clone, Debug, Args)]
pub struct GradArgs {
    /// The expression, or `-` to read one per line from standard input.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// Differentiate with respect to this variable (repeatable; default: all).
    #[arg(long = "wrt", value_name = "V")]
    pub wrt: Vec<String>,
    #[arg(long = "let", value_name = "DECL", help = LET_HELP)]
    /// Declarations.
    pub lets: Vec<String>,
    /// How to derive (components and both write text or JSON).
    #[arg(long, value_enum, default_value_t = Method::Differential)]
    pub method: Method,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Show the numeric check of every gradient against finite differences
    /// (the check itself always runs; a failing gradient is an error).
    #[arg(long)]
    pub check: bool,
    /// Skip the numeric check.
    #[arg(long, conflicts_with = "check")]
    pub no_check: bool,
    /// Prefer the cheapest of equal forms (needs concrete dimensions).
    #[arg(long, value_enum)]
    pub cost: Option<Cost>,
    /// ASCII output instead of Unicode symbols.
    #[arg(long)]
    pub ascii: bool,
    /// Print statistics of the search to standard error.
    #[arg(long)]
    pub stats: bool,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// More about `jacobian` and `hessian`, shown by their `--help`.
const DERIV_HELP: &str = "\
Layout: numerator. For a column F and a column v, J = ∂F/∂vᵀ (row i is the
gradient of Fᵢ); otherwise J = ∂vec F/∂(vec V)ᵀ, with vec stacking columns.
A Hessian is the Jacobian of the gradient: ∂²f/∂vec V ∂(vec W)ᵀ, rows from
the first --wrt. The JVP is dF at dV = V̇; the VJP is the gradient of tr(Gᵀ F).

EXPR `-` reads one expression per line from standard input, as for grad.

Exit status:
  0  success (with EXPR `-`: every line succeeded)
  1  a derivation the tool cannot do, or a numeric check that failed
  2  bad input or usage";

/// Arguments of `jacobian` and `hessian`.
#[derive(Clone, Debug, Args)]
pub struct DerivArgs {
    /// The expression, or `-` to read one per line from standard input.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// The variable (repeatable: jacobian, one result each; hessian, two
    /// give the mixed block; default: every variable).
    #[arg(long = "wrt", value_name = "V")]
    pub wrt: Vec<String>,
    #[arg(long = "let", value_name = "DECL", help = LET_HELP)]
    /// Declarations.
    pub lets: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Show the numeric check against finite differences (the check itself
    /// always runs; a failing result is an error).
    #[arg(long)]
    pub check: bool,
    /// Skip the numeric check.
    #[arg(long, conflicts_with = "check")]
    pub no_check: bool,
    /// ASCII output instead of Unicode symbols.
    #[arg(long)]
    pub ascii: bool,
    /// Print statistics of the search to standard error.
    #[arg(long)]
    pub stats: bool,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Arguments of `simplify`.
#[derive(Clone, Debug, Args)]
pub struct SimplifyArgs {
    /// The expression, or `-` to read one per line from standard input.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    #[arg(long = "let", value_name = "DECL", help = LET_HELP)]
    /// Declarations.
    pub lets: Vec<String>,
    /// Output format (numpy and torch: the result as a Python expression).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// ASCII output instead of Unicode symbols.
    #[arg(long)]
    pub ascii: bool,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Arguments of `equiv`.
#[derive(Clone, Debug, Args)]
pub struct EquivArgs {
    /// The first expression.
    #[arg(allow_hyphen_values = true)]
    pub a: String,
    /// The second expression.
    #[arg(allow_hyphen_values = true)]
    pub b: String,
    #[arg(long = "let", value_name = "DECL", help = LET_HELP)]
    /// Declarations.
    pub lets: Vec<String>,
    /// Show the chain of rewrites that proves the equivalence.
    #[arg(long)]
    pub explain: bool,
    /// ASCII output instead of Unicode symbols.
    #[arg(long)]
    pub ascii: bool,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Arguments of `shape`.
#[derive(Clone, Debug, Args)]
pub struct ShapeArgs {
    /// The expression, or `-` to read one per line from standard input.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    #[arg(long = "let", value_name = "DECL", help = LET_HELP)]
    /// Declarations.
    pub lets: Vec<String>,
}

/// A positive, finite number of seconds between a millisecond and a day.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.001..=86_400.0).contains(&v) => Ok(v),
        Ok(_) => Err("a timeout is between 0.001 and 86400 seconds".to_string()),
        Err(_) => Err(format!("`{s}` is not a number of seconds")),
    }
}

/// A node limit large enough for the smallest derivation.
fn parse_node_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 100 => Ok(n),
        Ok(_) => Err("a node limit is at least 100 e-nodes".to_string()),
        Err(_) => Err(format!("`{s}` is not a number of e-nodes")),
    }
}

impl LimitArgs {
    /// A session with these limits and declarations.
    fn session(&self, lets: &[String]) -> Result<Session, Error> {
        let mut session = Session::with_lets(lets)?;
        let timeout = Duration::from_secs_f64(self.timeout);
        session.limits = Limits {
            nodes: self.node_limit,
            // Nine tenths, so that a run that takes it all is reported by
            // its stage rather than by the wall clock.
            run_time: timeout.mul_f64(0.9),
            timeout,
            ..Limits::default()
        };
        session.seed = self.seed.unwrap_or(0);
        Ok(session)
    }
}

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Grad(args) => grad::run(&args),
        Command::Jacobian(args) => jacobian::run(&args),
        Command::Hessian(args) => hessian::run(&args),
        Command::Shape(args) => shape(&args),
        Command::Simplify(args) => simplify::run(&args),
        Command::Equiv(args) => equiv::run(&args),
        Command::Repl => repl::run(),
        Command::Syntax => {
            print!("{}", help::syntax());
            0
        }
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(&args),
    }
}

/// `shape`: every variable's shape and the shape of each subexpression.
fn shape(args: &ShapeArgs) -> i32 {
    let session = match Session::with_lets(&args.lets) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    let batch = args.expr == "-";
    let mut status = 0;
    for line in inputs(&args.expr) {
        let result = line.text().and_then(|src| session.shapes(src));
        match result {
            Ok(a) => print!("{}", a.report()),
            Err(e) => status = status.max(report(&line.locate(e, batch))),
        }
    }
    status
}

/// Stack of the worker thread: the passes recurse over terms up to their
/// depth bounds, so it gets the main thread's usual size and more.
const WORKER_STACK: usize = 16 << 20;

/// `work` on a worker thread with a large stack. The library stops each
/// query at its deadline; if a query still runs well past it, the command
/// gives up on it with a time-limit error rather than hang.
pub fn on_worker<T: Send + 'static>(
    timeout: f64,
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| Error::Usage(format!("cannot start a worker thread: {e}")))?;
    let grace = Duration::from_secs_f64(timeout * 1.5 + 1.0);
    match rx.recv_timeout(grace) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(Error::Limit {
            stage: "query".to_string(),
            limit: LimitKind::Time(timeout),
            at: Box::new(matdiff::Term::var("input")),
        }),
        // The worker dropped its sender without sending: it panicked. Let the
        // panic go on here, as if there were no worker.
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => Err(Error::Usage(
                "the query stopped without a result".to_string(),
            )),
        },
    }
}

/// Whether standard output gets colour: a terminal, and no `NO_COLOR`.
pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Rule names dimmed with ANSI, for a terminal.
pub fn dim(s: &str) -> String {
    let dim = anstyle::Style::new().dimmed();
    format!("{dim}{s}{dim:#}")
}

/// Prints `e` to standard error and returns its exit status.
pub fn report(e: &Error) -> i32 {
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = if stderr.is_terminal() { 100 } else { 80 };
    eprint!("{}", e.render(color, width));
    e.exit_code()
}
