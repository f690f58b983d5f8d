//! `matdiff repl`: an interactive session. Declarations made with `let`
//! persist; each other line is one query. Errors are printed and the session
//! goes on. When standard input is not a terminal the lines are read plainly
//! (no prompt, no line editing), so a script can be piped in.

use std::io::{BufRead, IsTerminal, Write};

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use matdiff::render::text::Style;
use matdiff::{Error, Format, Session, render_derivation, verify};

/// Random points per gradient in the numeric check of `grad`.
const TRIALS: u32 = 3;

/// Where the history of interactive sessions is kept.
const HISTORY: &str = ".matdiff_history";

/// The text of `:help`.
pub const HELP: &str = "\
commands
  let DECLS          declare shapes for later lines: let X: 1×n, W: n×m
  grad EXPR          the gradients of a scalar expression, checked numerically
  differential EXPR  the differential d(EXPR)
  simplify EXPR      the simplest equal form and its steps
  equiv A == B       proved equal, refuted by a counterexample, or unknown
  shape EXPR         the shape of every variable and subexpression
  :decls             the declarations made so far
  :help              this text
  :quit              leave (also Ctrl-D)
A line starting with # is a comment.
";

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
        ":quit" | ":q" | ":exit" => Line::Quit,
        ":help" | ":h" | "help" => Line::Help,
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
        _ => {
            return Err(Error::Usage(format!(
                "unknown command `{cmd}`; :help lists the commands"
            )));
        }
    })
}

/// The answer to one line, or `None` to end the session.
fn answer(session: &mut Session, line: &str) -> Option<Result<String, Error>> {
    let line = match parse_line(line) {
        Ok(l) => l,
        Err(e) => return Some(Err(e)),
    };
    let style = Style::default();
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
        Line::Grad(expr) => session.derive(expr, &[]).and_then(|der| {
            let check = verify::check(&der, session.seed, TRIALS)?;
            if !check.passed() {
                return Err(Error::CheckFailed {
                    detail: format!("relative error {:.2e}", check.max_rel_error),
                });
            }
            Ok(render_derivation(&der, Format::Text, Some(&check)))
        }),
        Line::Differential(expr) => session.differential(expr).map(|d| d.render(Format::Text)),
        Line::Simplify(expr) => session.simplify(expr).map(|s| s.render(Format::Text)),
        Line::Equiv(a, b) => session
            .equivalent(a, b)
            .map(|answer| answer.render(true, style)),
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
    for line in std::io::stdin().lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                return show(
                    Err(Error::Usage(format!("cannot read standard input: {e}"))),
                    false,
                );
            }
        };
        match answer(session, &line) {
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
