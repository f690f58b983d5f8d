//! `matdiff repl`: an interactive session. Declarations made with `let`
//! persist; each other line is one query of the same pipeline as the
//! commands, with the same flags. Errors are printed and the session goes
//! on. When standard input is not a terminal the lines are read plainly (no
//! prompt, no line editing), so a script can be piped in.

use std::io::{IsTerminal, Write};

use clap::Parser;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use matdiff::engine::CostModel;
use matdiff::render::text::Style;
use matdiff::{Error, GradOptions, RenderOptions, Session};

use super::input::lines;
use super::{Cost, GradArgs, LimitArgs, SimplifyArgs, on_worker};

/// Where the history of interactive sessions is kept.
const HISTORY: &str = ".matdiff_history";

/// The text of `:help`.
pub const HELP: &str = "\
commands
  let DECLS          declare shapes for later lines: let X: 1×n, W: n×m
  grad EXPR [FLAGS]  the gradients of a scalar expression, checked numerically
                     (flags as on the command line: --wrt X, --method both,
                     --format latex, --check, --no-check, --ascii, --let …)
  EXPR               the same as grad EXPR
  differential EXPR  the differential d(EXPR)
  simplify EXPR      the simplest equal form and its steps
  equiv A == B       proved equal, refuted by a counterexample, or unknown
  shape EXPR         the shape of every variable and subexpression
  :decls             the declarations made so far
  :help              this text (also help)
  :quit              leave (also quit, exit, Ctrl-D)
A line starting with # is a comment. `matdiff help syntax` describes expressions.
";

/// `grad` flags inside the REPL: the command line's, parsed by the same
/// definitions.
#[derive(Debug, Parser)]
#[command(name = "grad", no_binary_name = true, disable_help_flag = true)]
struct GradLine {
    #[command(flatten)]
    args: GradArgs,
}

/// `simplify` flags inside the REPL.
#[derive(Debug, Parser)]
#[command(name = "simplify", no_binary_name = true, disable_help_flag = true)]
struct SimplifyLine {
    #[command(flatten)]
    args: SimplifyArgs,
}

/// What one line asks for.
enum Line<'a> {
    Nothing,
    Quit,
    Help,
    Decls,
    Let(&'a str),
    Grad(&'a str),
    Differential(&'a str),
    Simplify(&'a str),
    Equiv(&'a str, &'a str),
    Shape(&'a str),
}

fn parse_line(line: &str) -> Result<Line<'_>, Error> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Line::Nothing);
    }
    let (cmd, rest) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    };
    let needs_arg =
        |what: &str| Error::Usage(format!("`{cmd}` needs {what}; :help lists the commands"));
    let arg = |what: &str| {
        if rest.is_empty() {
            Err(needs_arg(what))
        } else {
            Ok(rest)
        }
    };
    Ok(match cmd {
        ":quit" | ":q" | ":exit" | "quit" | "exit" if rest.is_empty() => Line::Quit,
        ":help" | ":h" | "help" if rest.is_empty() => Line::Help,
        ":decls" => Line::Decls,
        "let" => Line::Let(arg("declarations, such as X: 1×n")?),
        "grad" => Line::Grad(arg("an expression")?),
        "differential" => Line::Differential(arg("an expression")?),
        "simplify" => Line::Simplify(arg("an expression")?),
        "shape" => Line::Shape(arg("an expression")?),
        "equiv" => {
            let both = arg("two expressions separated by ==")?;
            let Some((a, b)) = both.split_once("==") else {
                return Err(needs_arg("two expressions separated by =="));
            };
            let (a, b) = (a.trim(), b.trim());
            if a.is_empty() || b.is_empty() {
                return Err(needs_arg("two expressions separated by =="));
            }
            Line::Equiv(a, b)
        }
        // A lowercase word that is no command, followed by more, is a
        // mistyped command more often than an expression.
        _ if cmd.starts_with(':')
            || (cmd.len() >= 4
                && cmd.chars().all(|c| c.is_ascii_lowercase())
                && !rest.is_empty()
                && !rest.starts_with('(')) =>
        {
            return Err(Error::Usage(format!(
                "unknown command `{cmd}`; :help lists the commands"
            )));
        }
        // A bare expression is derived.
        _ => Line::Grad(line),
    })
}

/// Splits `EXPR --flag …` into the expression and the flags: flags start at
/// the first ` --` (an expression never contains `--`).
fn split_flags(text: &str) -> (&str, Vec<String>) {
    match text.find(" --") {
        Some(i) => (
            text[..i].trim(),
            text[i..].split_whitespace().map(str::to_string).collect(),
        ),
        None => (text.trim(), vec![]),
    }
}

fn flags<P: Parser>(expr: &str, rest: Vec<String>) -> Result<P, Error> {
    let mut argv = vec![expr.to_string()];
    argv.extend(rest);
    P::try_parse_from(argv).map_err(|e| {
        Error::Usage(
            e.render()
                .to_string()
                .lines()
                .next()
                .unwrap_or("bad flags")
                .trim_start_matches("error: ")
                .to_string(),
        )
    })
}

/// A session like `base` with the line's own limits and `--let`s added.
fn with_line(base: &Session, limits: &LimitArgs, lets: &[String]) -> Result<Session, Error> {
    let mut session = base.clone();
    let own = limits.session(&[] as &[String])?;
    session.limits = own.limits;
    session.seed = own.seed;
    session.add_lets(lets)?;
    Ok(session)
}

fn grad(session: &Session, text: &str) -> Result<String, Error> {
    let (expr, rest) = split_flags(text);
    let line: GradLine = flags(expr, rest)?;
    let a = line.args;
    let session = with_line(session, &a.limits, &a.lets)?;
    let opts = GradOptions {
        wrt: a.wrt.clone(),
        method: a.method.into(),
        cost: match a.cost {
            Some(Cost::Flops) => CostModel::Flops,
            None => CostModel::Size,
        },
        check: !a.no_check,
    };
    let render = RenderOptions {
        style: Style {
            ascii: a.ascii,
            dim: None,
        },
        // A session shows the check line unless the check is skipped.
        show_check: !a.no_check,
        compact: false,
    };
    let format = a.format.into();
    let expr = a.expr.clone();
    on_worker(a.limits.timeout, move || {
        let answer = session.derive(&expr, &opts)?;
        answer.render(format, &render, session.limits.output_bytes)
    })
}

fn simplify(session: &Session, text: &str) -> Result<String, Error> {
    let (expr, rest) = split_flags(text);
    let line: SimplifyLine = flags(expr, rest)?;
    let a = line.args;
    let session = with_line(session, &a.limits, &a.lets)?;
    let format = match (a.format, a.ascii) {
        (super::Format::Text, true) => matdiff::Format::Ascii,
        (f, _) => f.into(),
    };
    let expr = a.expr.clone();
    on_worker(a.limits.timeout, move || {
        Ok(session.simplify(&expr)?.render(format))
    })
}

/// The answer to one line, or `None` to end the session.
fn answer(session: &mut Session, line: &str) -> Option<Result<String, Error>> {
    let line = match parse_line(line) {
        Ok(l) => l,
        Err(e) => return Some(Err(e)),
    };
    let timeout = session.limits.timeout.as_secs_f64();
    Some(match line {
        Line::Nothing => Ok(String::new()),
        Line::Quit => return None,
        Line::Help => Ok(HELP.to_string()),
        Line::Decls => Ok(session
            .declarations()
            .iter()
            .map(|d| format!("let {d}\n"))
            .collect()),
        Line::Let(decls) => session
            .declare(decls)
            .map(|names| format!("declared {}\n", names.join(", "))),
        Line::Grad(text) => grad(session, text),
        Line::Simplify(text) => simplify(session, text),
        Line::Differential(expr) => {
            let (s, expr) = (session.clone(), expr.to_string());
            on_worker(timeout, move || {
                Ok(s.differential(&expr)?.render(matdiff::Format::Text))
            })
        }
        Line::Equiv(a, b) => {
            let (s, a, b) = (session.clone(), a.to_string(), b.to_string());
            on_worker(timeout, move || {
                Ok(s.equivalent(&a, &b)?.render(true, Style::default()))
            })
        }
        Line::Shape(expr) => session.shapes(expr).map(|a| a.report()),
    })
}

/// Runs the session; returns 0, or the worst exit status of the lines when
/// standard input is not a terminal (so that a script's failure shows).
pub fn run() -> i32 {
    let mut session = Session::new();
    if std::io::stdin().is_terminal() {
        interactive(&mut session)
    } else {
        scripted(&mut session)
    }
}

/// Prints an answer; errors go to standard output too, since in a session
/// they are the answer to the line.
fn show(result: Result<String, Error>, color: bool) -> i32 {
    let (text, status) = match result {
        Ok(text) => (text, 0),
        Err(e) => (e.render(color, 80), e.exit_code()),
    };
    if !text.is_empty() {
        let mut out = std::io::stdout().lock();
        // A blank line between answers keeps a transcript readable.
        let _ = out.write_all(text.as_bytes());
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }
    status
}

fn scripted(session: &mut Session) -> i32 {
    let mut status = 0;
    for line in lines(std::io::stdin().lock()) {
        let result = match line.text() {
            Ok(text) => answer(session, text),
            Err(e) => Some(Err(e)),
        };
        match result {
            Some(result) => status = status.max(show(result, false)),
            None => break,
        }
    }
    status
}

fn interactive(session: &mut Session) -> i32 {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("matdiff repl: cannot start the line editor ({e}); reading lines plainly");
            return scripted(session);
        }
    };
    let history = std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(HISTORY));
    if let Some(h) = &history {
        // A missing history file is the normal first run.
        let _ = editor.load_history(h);
    }
    let color = std::env::var_os("NO_COLOR").is_none();
    println!(
        "matdiff {} — :help lists the commands",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        match editor.readline("matdiff> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                match answer(session, &line) {
                    Some(result) => {
                        show(result, color);
                    }
                    None => break,
                }
            }
            // Ctrl-C abandons the line, Ctrl-D ends the session.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("matdiff repl: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    0
}
