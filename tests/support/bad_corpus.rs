//! Reading the bad-input corpus (`tests/bad/`), shared by the snapshot test
//! `tests/bad_inputs.rs` and the timing bench `benches/bad_inputs.rs`.

#![allow(dead_code)]

use std::path::Path;

/// How a case reaches the binary.
pub enum Input {
    /// A command-line argument, with `--let` declarations, and the
    /// commands to run it through other than `grad` (from `# run:` lines:
    /// a subcommand and its options, such as `hessian --wrt x`).
    Arg {
        expr: String,
        lets: Vec<String>,
        runs: Vec<Vec<String>>,
    },
    /// Raw bytes on standard input (`grad -`, `shape -`).
    Stdin(Vec<u8>),
}

impl Input {
    /// The arguments of `matdiff CMD …` for this input.
    pub fn args(&self, cmd: &str) -> Vec<String> {
        self.args_of(&[cmd.to_string()])
    }

    /// The arguments of `matdiff SUBCOMMAND EXPR OPTIONS… --let …` for a
    /// command line `[SUBCOMMAND, OPTIONS…]`.
    pub fn args_of(&self, cmd: &[String]) -> Vec<String> {
        let mut args = vec![cmd[0].clone()];
        match self {
            Input::Arg { expr, lets, .. } => {
                args.push(expr.clone());
                args.extend(cmd[1..].iter().cloned());
                for l in lets {
                    args.extend(["--let".to_string(), l.clone()]);
                }
            }
            Input::Stdin(_) => {
                args.push("-".to_string());
                args.extend(cmd[1..].iter().cloned());
            }
        }
        args
    }

    /// The bytes to feed on standard input, if any.
    pub fn stdin(&self) -> Option<&[u8]> {
        match self {
            Input::Arg { .. } => None,
            Input::Stdin(b) => Some(b),
        }
    }
}

/// A `*.txt` case: an expression, with leading `# let: DECL` lines and
/// `# run: SUBCOMMAND OPTIONS` lines.
pub fn read_txt(path: &Path) -> Input {
    let text = std::fs::read_to_string(path).expect("case file is readable");
    let mut lets = Vec::new();
    let mut runs = Vec::new();
    let mut expr = Vec::new();
    for line in text.lines() {
        if let Some(decl) = line.strip_prefix("# let:") {
            lets.push(decl.trim().to_string());
        } else if let Some(cmd) = line.strip_prefix("# run:") {
            runs.push(cmd.split_whitespace().map(str::to_string).collect());
        } else {
            expr.push(line);
        }
    }
    Input::Arg {
        expr: expr.join(" "),
        lets,
        runs,
    }
}

/// The generated cases of `recipes.txt`: (name, recipe, input bytes).
pub fn recipes(dir: &Path) -> Vec<(String, String, Vec<u8>)> {
    let recipes = std::fs::read_to_string(dir.join("recipes.txt")).expect("recipes are readable");
    recipes
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (name, recipe) = line.split_once(" = ").expect("NAME = RECIPE");
            let mut bytes = expand(recipe).into_bytes();
            bytes.push(b'\n');
            (name.to_string(), recipe.to_string(), bytes)
        })
        .collect()
}

/// Every case of the corpus, named, in file-name order.
pub fn all(dir: &Path) -> Vec<(String, Input)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the corpus directory is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == "recipes.txt" {
            continue;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("txt") => out.push((name, read_txt(&path))),
            Some("stdin") => out.push((
                name,
                Input::Stdin(std::fs::read(&path).expect("case file is readable")),
            )),
            _ => {}
        }
    }
    for (name, _, bytes) in recipes(dir) {
        out.push((format!("recipe {name}"), Input::Stdin(bytes)));
    }
    out
}

/// Expands `"text" * N + "text" + …`; `%i` in a repeated text becomes the
/// copy's number, from 1.
fn expand(recipe: &str) -> String {
    let mut out = String::new();
    let mut rest = recipe.trim();
    while !rest.is_empty() {
        let body = rest
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("a quoted piece at {rest}"));
        let close = body.find('"').expect("a closing quote");
        let piece = &body[..close];
        rest = body[close + 1..].trim_start();
        let mut copies = 1;
        if let Some(after) = rest.strip_prefix('*') {
            let after = after.trim_start();
            let digits = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            copies = after[..digits].parse().expect("a count after *");
            rest = after[digits..].trim_start();
        }
        for i in 1..=copies {
            out.push_str(&piece.replace("%i", &i.to_string()));
        }
        rest = rest.strip_prefix('+').unwrap_or(rest).trim_start();
    }
    out
}
