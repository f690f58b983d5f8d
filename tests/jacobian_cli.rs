//! `matdiff jacobian` and `matdiff hessian` from the command line: the
//! acceptance example, and generated NumPy code run against finite
//! differences of the function's own NumPy form.

use std::process::Command;

fn matdiff(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_matdiff"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn logistic_regression_hessian_is_checked() {
    let (code, out, err) = matdiff(&[
        "hessian",
        "sum(softplus(Xw)) - yᵀXw",
        "--wrt",
        "w",
        "--check",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("∂²f/∂w∂wᵀ = Xᵀ diag(σ(X w) ⊙ (𝟙 − σ(X w))) X    (m×m)"),
        "{out}"
    );
    assert!(out.contains("numeric check: passed"), "{out}");
}

#[test]
fn layouts_are_stated() {
    let (_, out, _) = matdiff(&["jacobian", "tanh(Wx + b)", "--wrt", "x"]);
    assert!(out.contains("numerator layout: ∂F/∂xᵀ is n×m"), "{out}");
    let (_, out, _) = matdiff(&["jacobian", "AXB", "--wrt", "X"]);
    assert!(out.contains("∂vec F/∂(vec X)ᵀ is nq×mp"), "{out}");
}

/// Runs the generated NumPy functions of `cmd EXPR --wrt V…` on random
/// arrays and compares the matrix they return (`jacobian_…`/`hessian_…`)
/// with central differences of `vec F` (of the gradient, for a Hessian).
fn numpy_agrees(cmd: &str, expr: &str, wrt: &[&str]) {
    let mut args = vec![cmd, expr];
    for w in wrt {
        args.extend(["--wrt", w]);
    }
    let mut json_args = args.clone();
    json_args.extend(["--format", "json"]);
    let (code, json, err) = matdiff(&json_args);
    assert_eq!(code, 0, "{err}");
    let mut code_args = args.clone();
    code_args.extend(["--format", "numpy"]);
    let (_, code_text, _) = matdiff(&code_args);
    let script = format!(
        r#"
import json, numpy as np
d = json.loads({json:?})
exec({code_text:?})
rng = np.random.default_rng(3)
sizes = {{}}
def size(x):
    if isinstance(x, int):
        return x
    return sizes.setdefault(x, 2 + len(sizes))
vals = {{}}
for name, (r, c) in d["shapes"].items():
    m = rng.standard_normal((size(r), size(c)))
    if size(r) == size(c) and ("inv" in d["function"]["numpy"] or "slogdet" in d["function"]["numpy"]):
        m = np.eye(size(r)) + 0.2 * m
    vals[name] = m
kind = {cmd:?}
wrt = {wrt:?}
def F(**v):
    return np.atleast_2d(eval(d["function"]["numpy"], {{"np": np}}, v))
if kind == "hessian":
    grad = d["hessians"][0]["gradient"]["numpy"]
    def F(**v):
        return np.atleast_2d(eval(grad, {{"np": np}}, v))
    J = eval("hessian_" + ("_".join(dict.fromkeys(wrt))))(**vals)
else:
    J = eval("jacobian_" + wrt[0])(**vals)
v = wrt[-1]
x0 = vals[v]
cols = []
h = 1e-6
for k in range(x0.size):
    e = np.zeros(x0.size); e[k] = 1.0
    e = e.reshape(x0.shape, order="F")
    up = dict(vals); up[v] = x0 + h * e
    dn = dict(vals); dn[v] = x0 - h * e
    cols.append(((F(**up) - F(**dn)) / (2 * h)).reshape(-1, order="F"))
num = np.stack(cols, axis=1)
J = np.atleast_2d(J)
assert J.shape == num.shape, (J.shape, num.shape)
err = np.linalg.norm(J - num) / max(np.linalg.norm(num), 1e-12)
assert err < 1e-5, err
print("ok", err)
"#
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{cmd} {expr}: {}\n{code_text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn generated_numpy_matches_finite_differences() {
    if Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        eprintln!("python3 with numpy is not available: skipped");
        return;
    }
    numpy_agrees("jacobian", "AXB", &["X"]);
    numpy_agrees("jacobian", "X^{-1}", &["X"]);
    numpy_agrees("jacobian", "Xᵀ", &["X"]);
    numpy_agrees("jacobian", "tanh(Wx + b)", &["x"]);
    numpy_agrees("jacobian", "XᵀX", &["X"]);
    numpy_agrees("hessian", "logdet(X)", &["X"]);
    numpy_agrees("hessian", "tr(XᵀAX)", &["X"]);
    numpy_agrees("hessian", "sum(softplus(Xw)) - yᵀXw", &["w"]);
    numpy_agrees("hessian", "tr(AXBX)", &["X"]);
}
