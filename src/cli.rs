//! The command-line interface: argument definitions and the commands.
//!
//! Only this module and `main.rs` print. Errors are rendered by miette.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Parser, Subcommand, ValueEnum};

use matdiff::Error;
use matdiff::check;

/// The exit statuses, shown by `--help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  success (with EXPR `-`: every line succeeded)
  1  a derivation the tool cannot do, or a numeric check that failed
  2  bad input or usage
With EXPR `-` the status is the worst line's.";

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
    /// Simplify an expression.
    Simplify(SimplifyArgs),
    /// Decide whether two expressions are equal for all values.
    Equiv(EquivArgs),
    /// Show the shape of every variable and subexpression.
    Shape(ShapeArgs),
    /// Read expressions interactively.
    Repl,
    /// Serve a web page for deriving, and its JSON API.
    #[cfg(feature = "serve")]
    Serve(crate::serve::ServeArgs),
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

/// More about `grad`, shown by `grad --help`.
const GRAD_HELP: &str = "\
EXPR `-` reads one expression per line from standard input; blank lines and
lines starting with `#` are skipped. A failing line is reported on standard
error (and, with --format json, as a JSON line {\"input\", \"error\", \"exit\"})
and the next line is read. With --format json each result is one line (JSON Lines).

Text output is coloured only on a terminal, and never when NO_COLOR is set.

Exit status:
  0  success (with EXPR `-`: every line succeeded)
  1  a derivation the tool cannot do, or a numeric check that failed
  2  bad input or usage
With EXPR `-` the status is the worst line's.";

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text with Unicode symbols.
    Text,
    /// A LaTeX `align*` block.
    Latex,
    /// One JSON object.
    Json,
    /// A Python function per gradient, using NumPy.
    Numpy,
    /// A Python function per gradient, using PyTorch.
    Torch,
}

/// Cost models for choosing among equal forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Cost {
    /// Floating-point operations for the declared dimensions.
    Flops,
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
    /// A declaration such as 'X: 1×n' (repeatable).
    #[arg(long = "let", value_name = "DECL")]
    pub lets: Vec<String>,
    /// How to derive.
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
    /// Seed of the numeric check.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Prefer the cheapest of equal forms.
    #[arg(long, value_enum)]
    pub cost: Option<Cost>,
    /// ASCII output instead of Unicode symbols.
    #[arg(long)]
    pub ascii: bool,
    /// Print statistics of the search.
    #[arg(long)]
    pub stats: bool,
    /// The most e-nodes of each e-graph run.
    #[arg(long, value_name = "N", default_value_t = matdiff::engine::Limits::default().nodes,
          value_parser = clap::value_parser!(usize))]
    pub node_limit: usize,
    /// The most wall time per input, in seconds (fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value_t = matdiff::budget::DEFAULT_TIMEOUT.as_secs_f64(),
          value_parser = parse_seconds)]
    pub timeout: f64,
}

/// A positive, finite number of seconds (at most a day).
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a number of seconds between 0 and 86400"
        )),
    }
}

/// Arguments of `simplify`.
#[derive(Debug, Args)]
pub struct SimplifyArgs {
    /// The expression.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// A declaration such as 'X: 1×n' (repeatable).
    #[arg(long = "let", value_name = "DECL")]
    pub lets: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `equiv`.
#[derive(Debug, Args)]
pub struct EquivArgs {
    /// The first expression.
    #[arg(allow_hyphen_values = true)]
    pub a: String,
    /// The second expression.
    #[arg(allow_hyphen_values = true)]
    pub b: String,
    /// A declaration such as 'X: 1×n' (repeatable).
    #[arg(long = "let", value_name = "DECL")]
    pub lets: Vec<String>,
    /// Show the chain of rewrites that proves the equivalence.
    #[arg(long)]
    pub explain: bool,
}

/// Arguments of `shape`.
#[derive(Debug, Args)]
pub struct ShapeArgs {
    /// The expression, or `-` to read one per line from standard input.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// A declaration such as 'X: 1×n' (repeatable).
    #[arg(long = "let", value_name = "DECL")]
    pub lets: Vec<String>,
}

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Grad(args) => run_grad(&args),
        Command::Shape(args) => run_shape(&args),
        Command::Simplify(args) => crate::simplify_cmd::run(&args),
        Command::Equiv(args) => crate::equiv_cmd::run(&args),
        Command::Repl => crate::repl::run(),
        #[cfg(feature = "serve")]
        Command::Serve(args) => crate::serve::run(&args),
    }
}

/// `grad`: the engine's entry point from the command line.
pub fn run_grad(args: &GradArgs) -> i32 {
    crate::grad_cmd::run(args)
}

/// `shape`: prints every variable's shape and the shape of each subexpression.
pub fn run_shape(args: &ShapeArgs) -> i32 {
    let mut status = 0;
    for line in inputs(&args.expr) {
        let line = match line {
            Ok(line) => line,
            Err(e) => return report(&Error::Usage(format!("cannot read standard input: {e}"))),
        };
        match check::annotate(&line, &args.lets) {
            Ok(a) => print!("{}", a.report()),
            Err(e) => status = status.max(report(&e)),
        }
    }
    status
}

/// The expressions to work on: `expr` itself, or with `-` the lines of
/// standard input without blank lines and `#` comments.
pub fn inputs(expr: &str) -> Box<dyn Iterator<Item = std::io::Result<String>>> {
    if expr != "-" {
        return Box::new(std::iter::once(Ok(expr.to_string())));
    }
    // A lone carriage return ends a line too (old Mac line endings): reading
    // `tr(X)\rtr(W)` as one product would answer a question nobody asked.
    let lines = std::io::stdin()
        .lock()
        .lines()
        .flat_map(|l| -> Vec<std::io::Result<String>> {
            match l {
                Ok(s) => s.split('\r').map(|p| Ok(p.to_string())).collect(),
                Err(e) => vec![Err(e)],
            }
        })
        .filter(|l| {
            l.as_ref()
                .map(|s| !s.trim().is_empty() && !s.trim_start().starts_with('#'))
                .unwrap_or(true)
        });
    Box::new(lines)
}

/// Prints `e` to standard error and returns its exit status.
pub fn report(e: &Error) -> i32 {
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = if stderr.is_terminal() { 100 } else { 80 };
    eprint!("{}", e.render(color, width));
    e.exit_code()
}
