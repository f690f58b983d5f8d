//! Derivation cases as data, in every output format.
//!
//! Every file under `tests/render` is one derivation (leading `# let: DECL`
//! lines are `--let` declarations). For each case:
//!
//! - `formats`: the text (Unicode and `--ascii`), LaTeX, JSON, NumPy and
//!   PyTorch renderings are snapshotted together;
//! - `numpy_code_computes_the_gradient`: the generated NumPy functions are run
//!   by Python and compared with matdiff's own evaluation of the gradient;
//! - `latex_compiles`: the LaTeX is compiled with `pdflatex`.
//!
//! The last two need tools outside Rust (python3 with NumPy, pdflatex). When
//! pdflatex is missing its test says so on standard error and checks
//! nothing; the code tests are *ignored* when the build script finds no
//! python3 with NumPy and SciPy (or PyTorch), except under `CI`, where they
//! run and fail loudly. `.ci/run` installs pdflatex, NumPy and SciPy.
//!
//! Adding a case needs no Rust: add a file, run
//! `INSTA_UPDATE=always cargo test --test render_cases`, read the snapshot.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use matdiff::Kind;
use matdiff::engine::{self, Derivation, Options};
use matdiff::render::numpy::{self, Input, Lib};
use matdiff::render::text::Style;
use matdiff::render::{self, latex};
use matdiff::{check, numeric, verify};
use serde_json::{Value, json};

/// The `--let` declarations and the expression of a case file.
fn load(path: &Path) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(path).expect("case file is readable");
    let mut lets = Vec::new();
    let mut expr = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("# let:") {
            Some(decl) => lets.push(decl.trim().to_string()),
            None if line.trim().is_empty() => {}
            None => expr.push(line.trim()),
        }
    }
    (lets, expr.join(" "))
}

/// Every case file, in name order.
fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/render");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/render exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no cases under {}", dir.display());
    files
}

fn case_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The derivation of a case, checked numerically against finite differences.
fn derive(path: &Path) -> (Derivation, verify::Check) {
    let (lets, expr) = load(path);
    let problem = match check::check(&expr, &lets) {
        Ok(p) => p,
        Err(e) => panic!("{} should check:\n{}", path.display(), e.render(false, 80)),
    };
    let der = match engine::derive(&problem, &Options::default()) {
        Ok(d) => d,
        Err(e) => panic!("{} should derive:\n{}", path.display(), e.render(false, 80)),
    };
    let checked = verify::check(&der, 0, 3).expect("numeric check runs");
    assert!(
        checked.passed(),
        "{}: numeric check failed: {:?}",
        path.display(),
        checked.per_gradient
    );
    (der, checked)
}

#[test]
fn formats() {
    insta::glob!("render/*.txt", |path| {
        let (lets, expr) = load(path);
        let (der, checked) = derive(path);
        let unicode = render::derivation::render(&der, None, Style::default());
        let ascii_style = Style {
            ascii: true,
            dim: None,
        };
        let ascii = render::derivation::render(&der, None, ascii_style);
        assert!(ascii.is_ascii(), "--ascii output is not ASCII:\n{ascii}");
        assert!(!unicode.contains('\x1b') && !ascii.contains('\x1b'));
        let mut json = render::json::render(&der, Some(&checked));
        // The error's last digits are not part of the contract.
        json["check"]["max_rel_error"] = json!("< 1e-6");
        let mut out = String::new();
        for l in &lets {
            out.push_str(&format!("--let {l}\n"));
        }
        out.push_str(&format!("input: {expr}\n"));
        for (title, body) in [
            ("text", unicode),
            ("text --ascii", ascii),
            ("latex", latex::derivation(&der)),
            (
                "json",
                serde_json::to_string_pretty(&json).expect("JSON serializes") + "\n",
            ),
            ("numpy", numpy::functions(&der, Lib::Numpy)),
            ("torch", numpy::functions(&der, Lib::Torch)),
        ] {
            out.push_str(&format!("\n──── {title} ────\n{body}"));
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn rule_names_are_dimmed_in_colour_only() {
    let (der, _) = derive(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/render/affine.txt"));
    // The command line dims rule names this way on a terminal.
    let color = Style {
        ascii: false,
        dim: Some(|r| format!("\x1b[2m{r}\x1b[0m")),
    };
    let out = render::derivation::render(&der, None, color);
    assert!(out.contains("\x1b[2mproduct rule\x1b[0m"), "{out}");
    // Colour does not move the rule column.
    let plain = render::derivation::render(&der, None, Style::default());
    let strip = out.replace("\x1b[2m", "").replace("\x1b[0m", "");
    assert_eq!(strip, plain);
}

/// Runs `python3 -c script` with `input` on standard input; `None` (after
/// saying why on standard error) when python3 or one of `modules` is missing.
fn python(script: &str, input: &str, modules: &[&str], test: &str) -> Option<String> {
    let import = format!("import {}", modules.join(", "));
    match Command::new("python3").args(["-c", &import]).output() {
        Err(e) => {
            eprintln!("SKIPPED {test}: python3 cannot be run ({e}); `.ci/run` installs it");
            return None;
        }
        Ok(o) if !o.status.success() => {
            eprintln!(
                "SKIPPED {test}: python3 cannot `{import}` ({}); `.ci/run` installs it",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
            );
            return None;
        }
        Ok(_) => {}
    }
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("python3 reads its input");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "python3 failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("UTF-8 output"))
}

/// Runs the generated functions of every job and prints, per call, the
/// relative error against the expected value (or why there is none).
const RUN_GENERATED: &str = r#"
import json, sys
lib = sys.argv[1]
if lib == "numpy":
    import numpy as np
    def arr(x): return np.asarray(x, dtype=float)
    def back(x): return np.asarray(x, dtype=float)
else:
    import torch, numpy as np
    def arr(x): return torch.tensor(x, dtype=torch.float64)
    def back(x): return np.asarray(x.detach().numpy() if hasattr(x, "detach") else x, dtype=float)
out = []
for job in json.load(sys.stdin):
    ns = {}
    exec(job["code"], ns)
    for call in job["calls"]:
        args = [int(a[0][0]) if k == "int" else a[0][0] if k == "number" else arr(a)
                for a, k in zip(call["args"], call["kinds"])]
        try:
            got = back(ns[call["fn"]](*args))
        except Exception as e:
            out.append({"case": job["case"], "fn": call["fn"], "error": repr(e)})
            continue
        exp = np.asarray(call["expected"], dtype=float)
        if call["scalar_result"] and got.ndim == 0:
            got = got.reshape(1, 1)
        if got.shape != exp.shape:
            err = "shape %s, expected %s" % (got.shape, exp.shape)
        else:
            err = float(np.linalg.norm(got - exp) / max(np.linalg.norm(exp), 1e-300))
        out.append({"case": job["case"], "fn": call["fn"], "error": err})
print(json.dumps(out))
"#;

/// For every case and gradient: the generated function, the point it is
/// called at (drawn by matdiff's sampler) and matdiff's value of the gradient.
fn jobs(lib: Lib) -> Value {
    let mut jobs = Vec::new();
    for path in cases() {
        let (der, _) = derive(&path);
        let env = &der.problem.env;
        let inputs = numpy::inputs(&der);
        let vals = numeric::sample(&[&der.problem.term], env, 7, 0).expect("a point is drawn");
        let matrix = |m: &nalgebra::DMatrix<f64>| -> Value {
            json!(
                (0..m.nrows())
                    .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect::<Vec<f64>>())
                    .collect::<Vec<_>>()
            )
        };
        // Every input has a value: a variable or `G` its own, the value of
        // an unknown function its value at the point, a free dimension its
        // size.
        let one = |v: f64| nalgebra::DMatrix::from_element(1, 1, v);
        let (args, kinds): (Vec<Value>, Vec<&str>) = inputs
            .iter()
            .map(|(p, input)| match input {
                Input::Var(n) => (
                    matrix(vals.get(n).unwrap_or_else(|| panic!("{n} has a value"))),
                    if env.get(n).is_some_and(|i| i.kind == Kind::Scalar) {
                        "number"
                    } else {
                        "array"
                    },
                ),
                Input::Unknown(t) => (
                    matrix(&numeric::eval(t, &vals).expect("the unknown function evaluates")),
                    "number",
                ),
                Input::Dim(d) => (
                    matrix(&one(
                        *vals.dims.get(d).unwrap_or_else(|| panic!("{p} has a size")) as f64,
                    )),
                    "int",
                ),
            })
            .unzip();
        let calls: Vec<Value> = der
            .gradients
            .iter()
            .map(|g| {
                // Layer by layer, the gradient names intermediates.
                let whole = engine::layers::written_out(&g.result, &der.bindings);
                let expected = numeric::eval(&whole, &vals).expect("the gradient evaluates");
                json!({
                    "fn": format!("grad_{}", numpy::py_name(&g.wrt)),
                    "args": args,
                    "kinds": kinds,
                    "scalar_result": env.get(&g.wrt).is_some_and(|i| i.kind == Kind::Scalar),
                    "expected": matrix(&expected),
                })
            })
            .collect();
        jobs.push(json!({
            "case": case_name(&path),
            "code": numpy::functions(&der, lib),
            "calls": calls,
        }));
    }
    Value::Array(jobs)
}

fn run_generated(lib: Lib, modules: &[&str], test: &str) {
    let lib_name = match lib {
        Lib::Numpy => "numpy",
        Lib::Torch => "torch",
    };
    let script = format!("import sys; sys.argv = ['', '{lib_name}']\n{RUN_GENERATED}");
    let Some(out) = python(&script, &jobs(lib).to_string(), modules, test) else {
        return;
    };
    let results: Vec<Value> = serde_json::from_str(&out).expect("python3 prints JSON");
    assert!(!results.is_empty());
    let mut failures = Vec::new();
    for r in &results {
        match r["error"].as_f64() {
            Some(e) if e < 1e-9 => {}
            _ => failures.push(format!("{} {}: {}", r["case"], r["fn"], r["error"])),
        }
    }
    assert!(
        failures.is_empty(),
        "generated code disagrees:\n{}",
        failures.join("\n")
    );
    eprintln!("{test}: {} gradients agree", results.len());
}

#[test]
#[cfg_attr(
    not(any(matdiff_numpy, matdiff_ci)),
    ignore = "needs python3 with NumPy and SciPy (.ci/run installs them; `touch build.rs` after installing)"
)]
fn numpy_code_computes_the_gradient() {
    run_generated(Lib::Numpy, &["numpy"], "numpy_code_computes_the_gradient");
}

#[test]
#[cfg_attr(
    not(matdiff_torch),
    ignore = "needs python3 with PyTorch, which .ci/run does not install (`touch build.rs` after installing)"
)]
fn torch_code_computes_the_gradient() {
    run_generated(
        Lib::Torch,
        &["torch", "numpy"],
        "torch_code_computes_the_gradient",
    );
}

/// A minimal document around `body`.
fn document(body: &str) -> String {
    format!(
        "\\documentclass{{article}}\n\\usepackage{{amsmath,amssymb}}\n\\begin{{document}}\n{body}\\end{{document}}\n"
    )
}

#[test]
fn latex_compiles() {
    let test = "latex_compiles";
    if let Err(e) = Command::new("pdflatex").arg("--version").output() {
        eprintln!(
            "SKIPPED {test}: pdflatex cannot be run ({e}); `.ci/run` installs it (Debian: texlive-latex-base)"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("matdiff-latex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    for path in cases() {
        let (der, checked) = derive(&path);
        let json = render::json::render(&der, Some(&checked));
        // The derivation, and every LaTeX field of the JSON in inline math.
        let mut body = latex::derivation(&der);
        let mut fields = Vec::new();
        for g in json["gradients"].as_array().expect("gradients") {
            fields.push(g["latex"].as_str().unwrap_or_default().to_string());
            for s in g["steps"].as_array().expect("steps") {
                fields.push(s["latex"].as_str().unwrap_or_default().to_string());
            }
        }
        for s in json["differential"].as_array().expect("differential") {
            fields.push(s["latex"].as_str().unwrap_or_default().to_string());
        }
        for f in fields {
            body.push_str(&format!("\n${f}$\n"));
        }
        let name = case_name(&path);
        std::fs::write(dir.join(format!("{name}.tex")), document(&body)).expect("writable");
        let out = Command::new("pdflatex")
            .args(["-interaction=nonstopmode", "-halt-on-error"])
            .arg(format!("{name}.tex"))
            .current_dir(&dir)
            .output()
            .expect("pdflatex runs");
        assert!(
            out.status.success(),
            "{name}: pdflatex failed:\n{}\n{body}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn matdiff(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("matdiff runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("matdiff reads its input");
    let out = child.wait_with_output().expect("matdiff finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn batch_json_is_one_line_per_derivation() {
    let (status, out, _) = matdiff(
        &["grad", "-", "--format", "json"],
        "L(XW+B)\n\n# a comment\ntr(AXB)\n",
    );
    assert_eq!(status, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let keys =
        |v: &Value| -> Vec<String> { v.as_object().expect("an object").keys().cloned().collect() };
    for (line, input) in lines.iter().zip(["L(XW+B)", "tr(AXB)"]) {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        assert_eq!(v["input"], input);
        assert_eq!(
            keys(&v),
            [
                "input",
                "shapes",
                "definitions",
                "differential",
                "gradients",
                "check"
            ]
        );
        assert_eq!(
            keys(&v["gradients"][0]),
            ["wrt", "shape", "text", "latex", "numpy", "torch", "steps"]
        );
    }
}

#[test]
fn a_failing_line_does_not_stop_the_batch() {
    let (status, out, err) = matdiff(
        &["grad", "-", "--format", "json"],
        "tr(AXB)\ntr(X\nlogdet(X)\n",
    );
    assert_eq!(status, 2, "the worst line's status");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[1]["input"], "tr(X");
    assert_eq!(lines[1]["exit"], 2);
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["gradients"][0]["numpy"], "np.linalg.inv(X).T");
    assert!(err.contains("unclosed `(`"), "{err}");

    let (status, out, _) = matdiff(&["grad", "-"], "tr(X)\ntr(X\nL(X')\n");
    assert_eq!(status, 2);
    assert!(
        out.contains("∂f/∂X = I") && out.contains("∂L/∂X = Gᵀ"),
        "{out}"
    );
}

#[test]
fn piped_output_has_no_colour() {
    let (status, out, _) = matdiff(&["grad", "L(XW+B)"], "");
    assert_eq!(status, 0);
    assert!(!out.contains('\x1b'), "{out}");
    assert!(out.contains("product rule"));
}

#[test]
fn help_documents_the_exit_statuses() {
    for args in [&["--help"][..], &["grad", "--help"][..]] {
        let (status, out, _) = matdiff(args, "");
        assert_eq!(status, 0);
        assert!(out.contains("Exit status:"), "{out}");
        assert!(out.contains("2  bad input or usage"), "{out}");
    }
}
