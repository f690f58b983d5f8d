//! `matdiff._matdiff`: the Python extension module of matdiff.
//!
//! Each function runs one query of [`matdiff::Session`] with the GIL
//! released and returns plain data (dicts, lists, strings, numbers); the
//! Python package around it (`python/matdiff/`) turns that data into the
//! documented objects (`Derivation`, `Gradient`, `Equivalence`, …). Every
//! [`matdiff::Error`] becomes an instance of the matching exception class of
//! `matdiff._errors`, and a panic (none is reachable from input) is caught
//! and raised as `matdiff.Error` instead of unwinding into the interpreter.
//!
//! Jacobians and Hessians are queries of their own: when the library has
//! them, they get a function here and a wrapper in `matdiff/__init__.py`,
//! like `grad`.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use matdiff::{
    Annotated, Answer, Dim, Equivalence, Error, Format, GradOptions, Kind, Method, RenderOptions,
    Rewriting, Session, Shape, Style, Term,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

/// Width of the rendered diagnostic of an error, in columns.
const DIAGNOSTIC_WIDTH: usize = 80;

/// Limits given by keyword; `None` keeps the library's default.
struct Limits {
    timeout: Option<f64>,
    node_limit: Option<usize>,
}

/// Why a query produced no answer: an error of the library, or a panic.
enum Failure {
    /// Boxed: an input error carries its source text, and a failure is
    /// moved out of the detached closure.
    Library(Box<Error>),
    Panic(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Library(Box::new(e))
    }
}

/// A session with the declarations `lets`, the seed and the limits.
fn session(lets: &[String], seed: u64, limits: &Limits) -> Result<Session, Failure> {
    let mut s = Session::with_lets(lets)?;
    s.seed = seed;
    if let Some(t) = limits.timeout {
        s.limits.timeout = Duration::try_from_secs_f64(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "the timeout must be a positive number of seconds, not {t:?}"
                ))
            })?;
    }
    if let Some(n) = limits.node_limit {
        if n == 0 {
            return Err(Error::Usage("the node limit must be at least 1".to_string()).into());
        }
        s.limits.nodes = n;
    }
    Ok(s)
}

/// Runs `query` without the GIL, catching a panic.
fn detached<T: Send>(
    py: Python<'_>,
    query: impl FnOnce() -> Result<T, Failure> + Send,
) -> Result<T, Failure> {
    py.detach(|| {
        catch_unwind(AssertUnwindSafe(query)).unwrap_or_else(|payload| {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_string());
            Err(Failure::Panic(what))
        })
    })
}

/// The Python exception for `failure`. `texts` are the strings the query
/// was given (the expression, the declarations, …): the one an input error
/// was found in becomes the exception's `source`, and its span is given in
/// characters of that string.
fn exception(py: Python<'_>, failure: Failure, texts: &[&str]) -> PyErr {
    match raise(py, failure, texts) {
        Ok(err) | Err(err) => err,
    }
}

fn raise(py: Python<'_>, failure: Failure, texts: &[&str]) -> PyResult<PyErr> {
    let errors = py.import("matdiff._errors")?;
    let kwargs = PyDict::new(py);
    let (class, message) = match failure {
        Failure::Panic(what) => {
            kwargs.set_item("kind", "internal")?;
            (
                "Error",
                format!("internal error in matdiff (please report it): {what}"),
            )
        }
        Failure::Library(e) => {
            let class = match &*e {
                Error::Syntax { .. } => "SyntaxError",
                Error::Shape { .. } => "ShapeError",
                Error::Usage(_) => "UsageError",
                Error::Unsupported { .. } => "UnsupportedError",
                Error::Limit { .. }
                | Error::TooComplex { .. }
                | Error::OutputTooLarge { .. }
                | Error::InputTooLarge { .. } => "LimitError",
                Error::CheckFailed { .. } | Error::Numeric(_) | Error::Unverified { .. } => {
                    "CheckError"
                }
            };
            kwargs.set_item("kind", kind(&e))?;
            kwargs.set_item("exit_code", e.exit_code())?;
            kwargs.set_item("diagnostic", e.render(false, DIAGNOSTIC_WIDTH))?;
            if let (Some((start, end)), Some(shown)) = (e.span(), e.input_text()) {
                let (source, span) = locate(shown, (start, end), texts);
                kwargs.set_item("source", source)?;
                kwargs.set_item("span", span)?;
            }
            (class, e.to_string())
        }
    };
    let instance = errors.getattr(class)?.call((message,), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

/// The name of an error's variant, for `Error.kind`.
fn kind(e: &Error) -> &'static str {
    match e {
        Error::Syntax { .. } => "syntax",
        Error::Shape { .. } => "shape",
        Error::InputTooLarge { .. } => "input_too_large",
        Error::Usage(_) => "usage",
        Error::Unsupported { .. } => "unsupported",
        Error::Limit { .. } => "limit",
        Error::CheckFailed { .. } => "check_failed",
        Error::Numeric(_) => "numeric",
        Error::TooComplex { .. } => "too_complex",
        Error::OutputTooLarge { .. } => "output_too_large",
        Error::Unverified { .. } => "unverified",
    }
}

/// The text an input error was found in, among `texts`, and the span in
/// characters of it. `shown` is the error's text as its diagnostic shows it
/// (an excerpt of a long input, between `…` marks), `bytes` the span in
/// bytes of the whole text. A text that is none of `texts` (the two sides
/// of an equivalence are checked together, as `(a) - (b)`) is given as
/// shown.
fn locate(shown: &str, bytes: (usize, usize), texts: &[&str]) -> (String, (usize, usize)) {
    let inner = shown.trim_matches('…');
    let found = texts.iter().find(|t| {
        (**t == shown || (t.len() > shown.len() && t.contains(inner)))
            && t.get(bytes.0..bytes.1).is_some()
    });
    let source = found.copied().unwrap_or(shown);
    let chars = |b: usize| source.get(..b).map_or(0, |s| s.chars().count());
    (source.to_string(), (chars(bytes.0), chars(bytes.1)))
}

/// A JSON value as Python objects (dicts keep their key order).
fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(xs) => {
            let list = PyList::empty(py);
            for x in xs {
                list.append(to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let dict = PyDict::new(py);
            for (k, x) in m {
                dict.set_item(k, to_py(py, x)?)?;
            }
            dict.into_any()
        }
    })
}

fn dim(d: &Dim) -> Value {
    match d {
        Dim::Lit(n) => Value::from(*n),
        Dim::Sym(s) => Value::from(s.as_str()),
        Dim::Prod(_) => Value::from(d.to_string()),
    }
}

fn shape(s: &Shape) -> Value {
    Value::Array(vec![dim(&s.rows), dim(&s.cols)])
}

fn term_forms(t: &Term, env: &matdiff::Env) -> Value {
    serde_json::json!({
        "text": matdiff::render(t, env, Format::Text),
        "ascii": matdiff::render(t, env, Format::Ascii),
        "latex": matdiff::render(t, env, Format::Latex),
        "numpy": matdiff::render(t, env, Format::Numpy),
        "torch": matdiff::render(t, env, Format::Torch),
    })
}

/// Adds `∂F/∂V` as text and LaTeX to the forms `f` of a gradient.
fn lhs(f: &mut Value, function: &str, wrt: &str) {
    let env = matdiff::Env::default();
    let name = |n: &str, format| matdiff::render(&Term::var(n), &env, format);
    f["lhs"] = format!(
        "∂{}/∂{}",
        name(function, Format::Text),
        name(wrt, Format::Text)
    )
    .into();
    f["lhs_latex"] = format!(
        "\\frac{{\\partial {}}}{{\\partial {}}}",
        name(function, Format::Latex),
        name(wrt, Format::Latex)
    )
    .into();
}

/// The names a gradient's NumPy expression needs: the variables, then the
/// gradients of unknown functions (`G`) that are inputs, not intermediates.
fn params(answer: &Answer) -> Vec<String> {
    let mut names = answer.problem.term.variables_in_order();
    let (definitions, bound): (Vec<_>, Vec<&str>) = match (&answer.differential, &answer.components)
    {
        (Some(d), _) => (
            d.definitions.iter().collect(),
            d.bindings.iter().map(|(n, _)| n.as_str()).collect(),
        ),
        (None, Some(c)) => (c.definitions.iter().collect(), vec![]),
        (None, None) => (vec![], vec![]),
    };
    for d in definitions {
        if d.value.is_none() && !names.contains(&d.name) && !bound.contains(&d.name.as_str()) {
            names.push(d.name.clone());
        }
    }
    names
}

/// Everything the Python `Derivation` is made of.
fn derivation_data(answer: &Answer, limit: usize) -> Result<Value, Failure> {
    let render = |format, show_check| -> Result<String, Failure> {
        let opts = RenderOptions {
            show_check,
            ..RenderOptions::default()
        };
        Ok(answer.render(format, &opts, limit)?)
    };
    // LaTeX and code are written for the derivation by the matrix
    // differential (with `method="both"`, for that half).
    let differential = match (&answer.differential, &answer.components) {
        (Some(_), None) => Some(Cow::Borrowed(answer)),
        (Some(_), Some(_)) => Some(Cow::Owned(Answer {
            components: None,
            agreement: None,
            ..answer.clone()
        })),
        (None, _) => None,
    };
    let code = |format| -> Result<Option<String>, Failure> {
        match &differential {
            Some(a) => Ok(Some(a.render(format, &RenderOptions::default(), limit)?)),
            None => Ok(None),
        }
    };
    // The forms of each gradient the JSON object does not hold, and its
    // left-hand side, ∂L/∂X.
    let mut forms = serde_json::Map::new();
    let function = match (&answer.differential, &answer.components) {
        (Some(d), _) => {
            for g in &d.gradients {
                let mut f = term_forms(&g.result, &d.problem.env);
                lhs(&mut f, &d.function, &g.wrt);
                forms.insert(g.wrt.clone(), f);
            }
            d.function.clone()
        }
        (None, Some(c)) => {
            for g in &c.gradients {
                let mut f = match &g.result {
                    Some(t) => term_forms(t, &c.problem.env),
                    None => serde_json::json!({}),
                };
                f["shape"] = shape(&g.shape);
                f["unassembled"] = g.unassembled.clone().into();
                lhs(&mut f, &c.function, &g.wrt);
                forms.insert(g.wrt.clone(), f);
            }
            c.function.clone()
        }
        (None, None) => String::new(),
    };
    Ok(serde_json::json!({
        "json": answer.to_json(),
        "json_text": render(Format::Json, false)?,
        "function": function,
        "text": render(Format::Text, true)?,
        "ascii": render(Format::Ascii, true)?,
        "latex": code(Format::Latex)?,
        "numpy": code(Format::Numpy)?,
        "torch": code(Format::Torch)?,
        "forms": forms,
        "params": params(answer),
    }))
}

/// The gradients of a scalar expression: see `matdiff.grad`.
#[pyfunction]
#[pyo3(signature = (expr, wrt, lets, method, check, seed, timeout=None, node_limit=None))]
#[allow(clippy::too_many_arguments)]
fn grad<'py>(
    py: Python<'py>,
    expr: &str,
    wrt: Vec<String>,
    lets: Vec<String>,
    method: &str,
    check: bool,
    seed: u64,
    timeout: Option<f64>,
    node_limit: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let method = match method {
        "differential" => Method::Differential,
        "components" => Method::Components,
        "both" => Method::Both,
        other => {
            return Err(PyValueError::new_err(format!(
                "method must be 'differential', 'components' or 'both', not {other:?}"
            )));
        }
    };
    let limits = Limits {
        timeout,
        node_limit,
    };
    let data = detached(py, || {
        let s = session(&lets, seed, &limits)?;
        let opts = GradOptions {
            method,
            check,
            ..GradOptions::new().wrt(&wrt)
        };
        let answer = s.derive(expr, &opts)?;
        derivation_data(&answer, s.limits.output_bytes)
    });
    let texts = texts(expr, &lets, &wrt);
    match data {
        Ok(v) => to_py(py, &v),
        Err(f) => Err(exception(py, f, &texts)),
    }
}

fn texts<'a>(expr: &'a str, lets: &'a [String], more: &'a [String]) -> Vec<&'a str> {
    let mut out = vec![expr];
    out.extend(lets.iter().map(String::as_str));
    out.extend(more.iter().map(String::as_str));
    out
}

fn rewriting_data(r: &Rewriting, limit: usize) -> Result<Value, Failure> {
    let mut v = r.to_json();
    let text = r.render(Format::Text);
    let latex = r.render(Format::Latex);
    for out in [&text, &latex] {
        matdiff::Limits {
            output_bytes: limit,
            ..Default::default()
        }
        .check_output(out)?;
    }
    v["text"] = Value::from(text);
    v["ascii"] = Value::from(r.render(Format::Ascii));
    v["latex"] = Value::from(latex);
    v["result"] = term_forms(&r.result, &r.problem.env);
    v["shape"] = shape(&r.result.shape(&r.problem.env).unwrap_or_else(Shape::scalar));
    Ok(v)
}

/// The simplest equal form of an expression: see `matdiff.simplify`.
#[pyfunction]
#[pyo3(signature = (expr, lets, seed, timeout=None, node_limit=None))]
fn simplify<'py>(
    py: Python<'py>,
    expr: &str,
    lets: Vec<String>,
    seed: u64,
    timeout: Option<f64>,
    node_limit: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = Limits {
        timeout,
        node_limit,
    };
    let data = detached(py, || {
        let s = session(&lets, seed, &limits)?;
        rewriting_data(&s.simplify(expr)?, s.limits.output_bytes)
    });
    match data {
        Ok(v) => to_py(py, &v),
        Err(f) => Err(exception(py, f, &texts(expr, &lets, &[]))),
    }
}

/// A matrix as a list of rows.
fn rows(m: &nalgebra::DMatrix<f64>) -> Value {
    Value::Array(
        (0..m.nrows())
            .map(|i| Value::Array((0..m.ncols()).map(|j| Value::from(m[(i, j)])).collect()))
            .collect(),
    )
}

fn equivalence_data(e: &Equivalence) -> Value {
    let style = Style::default();
    let text = e.render(true, style);
    let ascii = e.render(
        true,
        Style {
            ascii: true,
            ..style
        },
    );
    let steps = |steps: &[matdiff::Rewrite]| -> Vec<Value> {
        steps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "text": matdiff::render(&s.term, &Default::default(), Format::Text),
                    "latex": matdiff::render(&s.term, &Default::default(), Format::Latex),
                    "rule": s.rule.to_string(),
                    "rule_latex": s.rule.latex(),
                })
            })
            .collect()
    };
    let mut v = serde_json::json!({"text": text, "ascii": ascii});
    match e {
        Equivalence::Proved(p) => {
            v["verdict"] = "proved".into();
            v["proof"] = serde_json::json!({
                "left": matdiff::render(&p.left, &Default::default(), Format::Text),
                "left_latex": matdiff::render(&p.left, &Default::default(), Format::Latex),
                "steps": steps(&p.steps),
            });
        }
        Equivalence::Refuted(c) => {
            v["verdict"] = "refuted".into();
            v["counterexample"] = serde_json::json!({
                "sizes": c.sizes,
                "values": c.values.iter().map(|(k, m)| (k.clone(), rows(m))).collect::<serde_json::Map<_, _>>(),
                "left": rows(&c.left),
                "right": rows(&c.right),
                "rel_difference": c.rel_difference,
                "text": c.render(style),
            });
        }
        Equivalence::Unknown(reason) => {
            v["verdict"] = "unknown".into();
            v["reason"] = reason.as_str().into();
        }
    }
    v
}

/// Whether two expressions are equal for all values: see `matdiff.equiv`.
#[pyfunction]
#[pyo3(signature = (a, b, lets, seed, timeout=None, node_limit=None))]
fn equiv<'py>(
    py: Python<'py>,
    a: &str,
    b: &str,
    lets: Vec<String>,
    seed: u64,
    timeout: Option<f64>,
    node_limit: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = Limits {
        timeout,
        node_limit,
    };
    let data = detached(py, || {
        let s = session(&lets, seed, &limits)?;
        Ok(equivalence_data(&s.equivalent(a, b)?))
    });
    match data {
        Ok(v) => to_py(py, &v),
        Err(f) => {
            let b = [b.to_string()];
            Err(exception(py, f, &texts(a, &lets, &b)))
        }
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Scalar => "scalar",
        Kind::Vector => "vector",
        Kind::Matrix => "matrix",
    }
}

fn shapes_data(a: &Annotated) -> Value {
    let p = &a.problem;
    let variables: serde_json::Map<String, Value> = p
        .env
        .vars
        .iter()
        .map(|(name, info)| {
            (
                name.clone(),
                serde_json::json!({
                    "shape": shape(&info.shape),
                    "kind": kind_name(info.kind),
                    "symmetric": info.symmetric,
                }),
            )
        })
        .collect();
    let subexpressions: Vec<Value> = a
        .nodes
        .iter()
        .map(|n| {
            serde_json::json!({
                "text": n.span.text(&p.source),
                "level": n.level,
                "shape": shape(&n.shape),
            })
        })
        .collect();
    serde_json::json!({
        "input": p.source,
        "shape": shape(&p.shape),
        "variables": variables,
        "dims": a.dims,
        "subexpressions": subexpressions,
        "report": a.report(),
    })
}

/// The shape of every variable and subexpression: see `matdiff.shape`.
#[pyfunction]
#[pyo3(signature = (expr, lets))]
fn shape_of<'py>(py: Python<'py>, expr: &str, lets: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
    let data = detached(py, || {
        let s = session(
            &lets,
            0,
            &Limits {
                timeout: None,
                node_limit: None,
            },
        )?;
        Ok(shapes_data(&s.shapes(expr)?))
    });
    match data {
        Ok(v) => to_py(py, &v),
        Err(f) => Err(exception(py, f, &texts(expr, &lets, &[]))),
    }
}

/// The extension module: the queries as functions returning plain data.
#[pymodule]
fn _matdiff(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(grad, m)?)?;
    m.add_function(wrap_pyfunction!(simplify, m)?)?;
    m.add_function(wrap_pyfunction!(equiv, m)?)?;
    m.add_function(wrap_pyfunction!(shape_of, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
