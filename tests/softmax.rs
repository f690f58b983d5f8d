//! Softmax, log-softmax, log-sum-exp and mean through the whole pipeline
//! (`Session`): both methods agree on every example of the issue, the
//! results come in the forms people write, and everything stays finite and
//! right at logits of ±1000 — matdiff's own evaluation, the numeric check,
//! and the generated NumPy and PyTorch code (run by python3; when torch or
//! NumPy is missing the test says SKIPPED on standard error).

use std::io::Write;
use std::process::{Command, Stdio};

use matdiff::numeric::{self, Values};
use matdiff::render::numpy::{self, Lib};
use matdiff::render::text::{self, Style};
use matdiff::{GradOptions, Method, Session, Term};
use nalgebra::DMatrix;

fn show(t: &Term) -> String {
    text::show(t, Style::default())
}

/// The gradient of `expr` by `wrt`, derived, checked, both methods agreeing.
fn gradient(expr: &str, lets: &[&str], wrt: &str) -> String {
    let session = Session::with_lets(lets).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let opts = GradOptions::new().wrt(&[wrt]).method(Method::Both);
    let answer = session
        .derive(expr, &opts)
        .unwrap_or_else(|e| panic!("{expr}: {}", e.render(false, 100)));
    let agreement = answer.agreement.as_ref().expect("both methods ran");
    assert!(
        agreement.agree(),
        "{expr}: the methods differ: {agreement:?}"
    );
    assert!(answer.check.as_ref().is_some_and(|c| c.passed()), "{expr}");
    let der = answer.differential.as_ref().expect("a derivation");
    let g = der
        .gradients
        .iter()
        .find(|g| g.wrt == wrt)
        .expect("the gradient");
    show(&g.result)
}

#[test]
fn the_examples_come_in_the_forms_people_write() {
    let cases: &[(&str, &[&str], &str, &str)] = &[
        ("logsumexp(W x) - yᵀ W x", &[], "W", "(softmax(W x) − y) xᵀ"),
        (
            "log(sum(exp(W x))) - yᵀ W x",
            &[],
            "W",
            "(softmax(W x) − y) xᵀ",
        ),
        (
            "-sum(Y ⊙ logsoftmax(Z))",
            &[],
            "Z",
            "softmax(Z) diag(Yᵀ 𝟙) − Y",
        ),
        ("sum(logsumexp(Z)) - sum(Y ⊙ Z)", &[], "Z", "softmax(Z) − Y"),
        ("L(softmax(Q Kᵀ / τ, 2) V)", &[], "Q", "G_Z K / τ"),
        ("L(softmax(Q Kᵀ / τ, 2) V)", &[], "K", "G_Zᵀ Q / τ"),
        ("L(softmax(Q Kᵀ / τ, 2) V)", &[], "V", "Pᵀ G"),
        ("-sum(Y ⊙ logsoftmax(W2 relu(W1 X)))", &[], "W1", "G_Z1 Xᵀ"),
        ("sum(softplus(X w)) - yᵀ X w", &[], "w", "Xᵀ (σ(X w) − y)"),
        ("logsumexp(x)", &[], "x", "softmax(x)"),
        ("mean(X)", &[], "X", "𝟙 / numel(X)"),
    ];
    for (expr, lets, wrt, want) in cases {
        assert_eq!(gradient(expr, lets, wrt), *want, "{expr} by {wrt}");
    }
}

#[test]
fn the_hand_written_forms_simplify() {
    let session = Session::new();
    for (src, want) in [
        ("exp(x) / sum(exp(x))", "softmax(x)"),
        ("log(sum(exp(x)))", "logsumexp(x)"),
        ("log(sum(exp(W x)))", "logsumexp(W x)"),
        ("softmax(Xᵀ, 2)ᵀ", "softmax(X)"),
    ] {
        let r = session
            .simplify(src)
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(show(&r.result), want, "{src}");
    }
}

/// A variable's value: its name, its size and its entries row by row.
type Given<'a> = (&'a str, (usize, usize), &'a [f64]);

fn matrix(rows: usize, cols: usize, v: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(rows, cols, v)
}

/// A point: the given matrices, the sizes of the symbolic dimensions they
/// fix (for `𝟙` and `I` in results), and the named intermediates.
fn point(der: &matdiff::Derivation, given: &[(&str, (usize, usize), &[f64])]) -> (Values, Values) {
    let mut vals = Values::new();
    for (name, (r, c), v) in given {
        vals.set(name, matrix(*r, *c, v));
        if let Some(info) = der.problem.env.get(name) {
            for (d, n) in [(&info.shape.rows, *r), (&info.shape.cols, *c)] {
                if let matdiff::Dim::Sym(s) = d {
                    vals.set_dim(s, n);
                }
            }
        }
    }
    let mut with_bindings = vals.clone();
    for (name, value) in &der.bindings {
        let m = numeric::eval(value, &with_bindings)
            .unwrap_or_else(|e| panic!("{name} = {}: {e}", show(value)));
        with_bindings.set(name, m);
    }
    (vals, with_bindings)
}

fn close(a: &DMatrix<f64>, b: &DMatrix<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter().all(|x| x.is_finite())
        && (a - b).norm() <= 1e-12 * b.norm().max(1.0)
}

/// Logits of ±1000: exp overflows and underflows there unless the largest
/// entry is taken out first.
#[test]
fn evaluation_is_stable_at_plus_minus_1000() {
    let z = matrix(3, 2, &[1000.0, -1000.0, -1000.0, 0.0, 0.0, 1000.0]);
    let mut vals = Values::new();
    vals.set("Z", z);
    let env = Session::new()
        .check("softmax(Z) + 0 Z")
        .expect("checks")
        .env;
    let eval_at = |src: &str, vals: &Values| {
        let p = matdiff::check::check_in(src, &env).unwrap_or_else(|e| panic!("{src}: {e}"));
        numeric::eval(&p.term, vals).unwrap_or_else(|e| panic!("{src}: {e}"))
    };
    let eval = |src: &str| eval_at(src, &vals);
    let e = (-1000f64).exp(); // e⁻¹⁰⁰⁰ underflows to 0 in f64, as it should
    assert!(close(
        &eval("softmax(Z)"),
        &matrix(3, 2, &[1.0, 0.0, 0.0, e, 0.0, 1.0])
    ));
    assert!(close(
        &eval("logsoftmax(Z)"),
        &matrix(3, 2, &[0.0, -2000.0, -2000.0, -1000.0, -1000.0, 0.0])
    ));
    assert!(close(
        &eval("logsumexp(Z)"),
        &matrix(1, 2, &[1000.0, 1000.0])
    ));
    let half = 0.5f64.ln();
    let rows = eval("logsumexp(Z, 2)");
    assert!(close(
        &rows,
        &matrix(3, 1, &[1000.0, 0.0, 1000.0 + (1.0 + (-1000f64).exp()).ln()])
    ));
    let s2 = eval("softmax(Z, 2)");
    assert!(close(&s2, &matrix(3, 2, &[1.0, 0.0, 0.0, 1.0, 0.0, 1.0])));
    // Equal logits give equal probabilities, however large.
    let mut equal = Values::new();
    equal.set("Z", matrix(2, 1, &[1000.0, 1000.0]));
    assert!(close(
        &eval_at("logsoftmax(Z)", &equal),
        &matrix(2, 1, &[half, half])
    ));
}

/// The gradient of a loss at logits of ±1000, by matdiff's evaluation of
/// the derived expression, against central differences of the loss.
#[test]
fn gradients_are_right_at_plus_minus_1000() {
    let session = Session::new();
    let cases: &[(&str, &str, &[Given])] = &[
        (
            "logsumexp(W x) - yᵀ W x",
            "W",
            &[
                ("W", (3, 2), &[1000.0, 0.0, -1000.0, 0.0, 0.0, 1000.0]),
                ("x", (2, 1), &[1.0, 0.5]),
                ("y", (3, 1), &[0.0, 1.0, 0.0]),
            ],
        ),
        (
            "-sum(Y ⊙ logsoftmax(Z))",
            "Z",
            &[
                ("Z", (3, 2), &[1000.0, -1000.0, -1000.0, 0.0, 0.0, 1000.0]),
                ("Y", (3, 2), &[0.0, 1.0, 1.0, 0.0, 0.0, 0.0]),
            ],
        ),
        (
            "L(softmax(Q Kᵀ / τ, 2) V)",
            "Q",
            &[
                ("Q", (2, 2), &[1000.0, 0.0, 0.0, -1000.0]),
                ("K", (3, 2), &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
                ("tau", (1, 1), &[1.0]),
                ("V", (3, 2), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                ("G", (2, 2), &[1.0, -1.0, 0.5, 2.0]),
            ],
        ),
    ];
    for (expr, wrt, given) in cases {
        let answer = session
            .derive(expr, &GradOptions::new().wrt(&[*wrt]))
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        let der = answer.differential.expect("a derivation");
        let (_, mut vals) = point(&der, given);
        let g = &der.gradients[0];
        let got = numeric::eval(&g.result, &vals).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert!(got.iter().all(|x| x.is_finite()), "{expr}: {got}");
        // Central differences of the loss itself, entry by entry.
        let base = vals.get(wrt).expect("a value").clone();
        let mut fd = DMatrix::zeros(base.nrows(), base.ncols());
        for i in 0..base.nrows() {
            for j in 0..base.ncols() {
                let h = 1e-3;
                let mut at = |d: f64| {
                    let mut m = base.clone();
                    m[(i, j)] += d;
                    vals.set(wrt, m);
                    numeric::eval(&der.problem.term, &vals).expect("the loss evaluates")[(0, 0)]
                };
                fd[(i, j)] = (at(h) - at(-h)) / (2.0 * h);
            }
        }
        assert!(
            (&got - &fd).norm() <= 1e-6 * fd.norm().max(1.0),
            "{expr}: ∂/∂{wrt} = {got} by matdiff, {fd} by differences"
        );
    }
}

/// Runs `script` with python3; `None` (after saying why) when python3 or a
/// module is missing.
fn python(script: &str, modules: &str, test: &str) -> Option<String> {
    let probe = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => {
            eprintln!("SKIPPED {test}: python3 cannot import {modules}");
            return None;
        }
    }
    let mut child = Command::new("python3")
        .args(["-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())
        .expect("python3 reads");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "python3 failed:\n{}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The generated code of a cross-entropy and of attention, run at logits
/// of ±1000: finite, and equal to matdiff's own evaluation.
fn generated_code_at_plus_minus_1000(lib: Lib) {
    let (modules, array, test) = match lib {
        Lib::Numpy => (
            "numpy",
            "np.array",
            "generated_numpy_is_stable_at_plus_minus_1000",
        ),
        Lib::Torch => (
            "torch, numpy",
            "torch.tensor",
            "generated_torch_is_stable_at_plus_minus_1000",
        ),
    };
    let session = Session::new();
    // Overflow, division by zero or NaN anywhere is an error, not a warning.
    let mut script = String::from(
        "import numpy as np\nnp.seterr(over='raise', divide='raise', invalid='raise')\n",
    );
    if lib == Lib::Torch {
        script.push_str("import torch\n");
    }
    let cases: &[(&str, &[Given])] = &[
        (
            "-sum(Y ⊙ logsoftmax(W X))",
            &[
                ("Y", (3, 2), &[0.0, 1.0, 1.0, 0.0, 0.0, 0.0]),
                ("W", (3, 2), &[1000.0, 0.0, -1000.0, 0.0, 0.0, 1000.0]),
                ("X", (2, 2), &[1.0, 0.0, 0.0, 1.0]),
            ],
        ),
        (
            "L(softmax(Q Kᵀ / τ, 2) V)",
            &[
                ("Q", (2, 2), &[1000.0, 0.0, 0.0, -1000.0]),
                ("K", (3, 2), &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
                ("tau", (1, 1), &[1.0]),
                ("V", (3, 2), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                ("G", (2, 2), &[1.0, -1.0, 0.5, 2.0]),
            ],
        ),
        (
            "sum(logsumexp(X W, 2)) + mean(logsoftmax(X W) ⊙ Y)",
            &[
                ("X", (2, 2), &[1.0, 0.0, 0.0, 1.0]),
                ("W", (2, 3), &[1000.0, -1000.0, 0.0, 0.0, 1000.0, -1000.0]),
                ("Y", (2, 3), &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
            ],
        ),
    ];
    for (k, (expr, given)) in cases.iter().enumerate() {
        let answer = session
            .derive(expr, &GradOptions::new())
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        let der = answer.differential.expect("a derivation");
        let (vals, with_bindings) = point(&der, given);
        script.push_str(&format!(
            "ns{k} = {{}}\nexec({:?}, ns{k})\n",
            numpy::functions(&der, lib)
        ));
        let args: Vec<String> = numpy::params(&der)
            .iter()
            .map(|p| {
                let name = if p == "tau" { "tau" } else { p.as_str() };
                let m = vals
                    .get(name)
                    .unwrap_or_else(|| panic!("{expr}: {p} has a value"));
                let scalar = der
                    .problem
                    .env
                    .get(name)
                    .is_some_and(|v| v.shape.is_scalar())
                    && der
                        .problem
                        .env
                        .get(name)
                        .is_some_and(|v| v.kind == matdiff::Kind::Scalar);
                if scalar {
                    format!("{:?}", m[(0, 0)])
                } else {
                    let rows: Vec<String> = (0..m.nrows())
                        .map(|i| {
                            let r: Vec<String> =
                                (0..m.ncols()).map(|j| format!("{:?}", m[(i, j)])).collect();
                            format!("[{}]", r.join(", "))
                        })
                        .collect();
                    format!(
                        "{array}([{}], dtype={}.float64)",
                        rows.join(", "),
                        array.split('.').next().unwrap_or("np")
                    )
                }
            })
            .collect();
        for g in &der.gradients {
            let want = numeric::eval(&g.result, &with_bindings).expect("the gradient evaluates");
            let flat: Vec<String> = want.transpose().iter().map(|x| format!("{x:?}")).collect();
            script.push_str(&format!(
                "got = np.asarray(ns{k}['grad_{}']({}), dtype=float).reshape(-1)\n\
                 want = np.array([{}], dtype=float)\n\
                 assert np.all(np.isfinite(got)), ({expr:?}, {:?}, got)\n\
                 assert np.linalg.norm(got - want) <= 1e-9 * max(np.linalg.norm(want), 1.0), ({expr:?}, {:?}, got, want)\n\
                 print('ok', {expr:?}, {:?})\n",
                numpy::py_name(&g.wrt),
                args.join(", "),
                flat.join(", "),
                g.wrt,
                g.wrt,
                g.wrt,
            ));
        }
    }
    if let Some(out) = python(&script, modules, test) {
        let n = out.lines().filter(|l| l.starts_with("ok")).count();
        assert!(n >= 8, "{out}");
        eprintln!("{test}: {n} gradients finite and right at ±1000");
    }
}

#[test]
fn generated_numpy_is_stable_at_plus_minus_1000() {
    generated_code_at_plus_minus_1000(Lib::Numpy);
}

#[test]
fn generated_torch_is_stable_at_plus_minus_1000() {
    generated_code_at_plus_minus_1000(Lib::Torch);
}
