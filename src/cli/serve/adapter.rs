//! Every call from the server into the library, in one place.
//!
//! [`answer`] takes a parsed request and gives the JSON object of the
//! answer, or the library's error. It is written against today's public API
//! (`check::check`, `engine::derive`, `verify::check`, `render::json`,
//! `Session` for the queries), assembling `grad` the way the `grad` command
//! does; when the library offers one checked pipeline, only this file
//! changes. Nothing here knows about HTTP.

use std::time::Duration;

use serde_json::{Map, Value, json};

use matdiff::engine::CostModel;
use matdiff::render::mathml;
use matdiff::{
    Derivation, Dim, Equivalence, Error, GradOptions, Kind, LimitKind, Limits, RenderOptions,
    Rewriting, Session, Shape, Style,
};

use super::request::{
    EquivRequest, Format, GradRequest, Method, Request, ShapeRequest, SimplifyRequest,
};

/// The limits of a request that has `time` left, with at most `nodes`
/// e-nodes per e-graph run. Each run stops at nine tenths of the time, so
/// that a run that takes it all is reported by its stage (as `grad
/// --timeout` does).
pub fn limits(time: Duration, nodes: usize) -> Limits {
    Limits {
        nodes,
        run_time: time.mul_f64(0.9),
        timeout: time,
        ..Limits::default()
    }
}

/// The e-node budget of one e-graph run when the request sets none.
pub fn default_nodes() -> usize {
    Limits::default().nodes
}

/// The answer to `request`: the JSON object the command line prints with
/// `--format json` (see the README for commands that have none), plus a
/// `"mathml"` object, plus `"output"` when another format was asked for.
///
/// The command line's output cap applies to what the command line would
/// print (the object, and the output in the other format); MathML is several
/// times longer than the text it typesets, so a MathML string over the cap
/// is left out (`null`) rather than refusing an answer the command line
/// gives.
pub fn answer(request: &Request, limits: &Limits) -> Result<Value, Error> {
    match request {
        Request::Grad(r) => grad(r, limits),
        Request::Simplify(r) => simplify(r, limits),
        Request::Equiv(r) => equiv(r, limits),
        Request::Shape(r) => shape(r, limits),
    }
}

/// `v` as the command line would print it, refused over the output cap.
fn capped(v: Value, limits: &Limits) -> Result<Value, Error> {
    limits.check_output(&v.to_string())?;
    Ok(v)
}

/// A MathML string, or `null` when it is over the output cap.
fn mathml_or_null(m: String, limits: &Limits) -> Value {
    if m.len() > limits.output_bytes {
        Value::Null
    } else {
        Value::String(m)
    }
}

/// The `"mathml"` object of a derivation.
fn derivation_mathml(der: &Derivation, limits: &Limits) -> Value {
    json!({
        "derivation": mathml_or_null(mathml::derivation(der), limits),
        "gradients": der
            .gradients
            .iter()
            .map(|g| mathml_or_null(mathml::gradient(g, &der.function), limits))
            .collect::<Vec<_>>(),
    })
}

fn session(lets: &[String], limits: &Limits, seed: Option<u64>) -> Result<Session, Error> {
    let mut s = Session::with_lets(lets)?;
    s.limits = limits.clone();
    s.seed = seed.unwrap_or(0);
    Ok(s)
}

fn dim(d: &Dim) -> Value {
    match d {
        Dim::Lit(n) => json!(n),
        Dim::Sym(s) => json!(s),
        Dim::Prod(_) => json!(d.to_string()),
    }
}

fn shape_json(s: &Shape) -> Value {
    json!([dim(&s.rows), dim(&s.cols)])
}

fn insert(v: &mut Value, key: &str, value: Value) {
    if let Value::Object(m) = v {
        m.insert(key.to_string(), value);
    }
}

fn grad(r: &GradRequest, limits: &Limits) -> Result<Value, Error> {
    let session = session(&r.lets, limits, r.seed)?;
    let opts = GradOptions {
        wrt: r.wrt.clone(),
        method: match r.method {
            Method::Differential => matdiff::Method::Differential,
            Method::Components => matdiff::Method::Components,
            Method::Both => matdiff::Method::Both,
        },
        cost: if r.cost_flops {
            CostModel::Flops
        } else {
            CostModel::Size
        },
        check: !r.no_check,
    };
    let answer = session.derive(&r.expr, &opts)?;
    let json = RenderOptions {
        style: Style::default(),
        show_check: false,
        compact: true,
    };
    let text = answer.render(matdiff::Format::Json, &json, limits.output_bytes)?;
    let mut v: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("the answer is not JSON: {e}")))?;
    let output = match r.format {
        Format::Json => None,
        other => {
            let format = match other {
                Format::Latex => matdiff::Format::Latex,
                Format::Numpy => matdiff::Format::Numpy,
                Format::Torch => matdiff::Format::Torch,
                _ => matdiff::Format::Text,
            };
            let opts = RenderOptions {
                style: Style {
                    ascii: r.ascii,
                    dim: None,
                },
                show_check: r.check,
                compact: false,
            };
            Some(answer.render(format, &opts, limits.output_bytes)?)
        }
    };
    if let Some(o) = output {
        insert(&mut v, "output", json!(o));
    }
    let mathml = match &answer.differential {
        Some(der) => derivation_mathml(der, limits),
        None => Value::Null,
    };
    insert(&mut v, "mathml", mathml);
    if r.stats
        && let Some(der) = &answer.differential
    {
        insert(
            &mut v,
            "stats",
            json!(
                der.stats
                    .iter()
                    .map(|s| json!({
                        "stage": s.stage,
                        "nodes": s.nodes,
                        "classes": s.classes,
                        "iterations": s.iterations,
                        "stop": s.stop,
                        "micros": s.micros,
                    }))
                    .collect::<Vec<_>>()
            ),
        );
    }
    Ok(v)
}

/// A chain of rewrites in `format`, as the `simplify` command prints it.
fn rewriting_output(s: &Rewriting, format: Format) -> Option<String> {
    let f = match format {
        Format::Json => return None,
        Format::Text => matdiff::Format::Text,
        Format::Latex => matdiff::Format::Latex,
        Format::Numpy => matdiff::Format::Numpy,
        Format::Torch => matdiff::Format::Torch,
    };
    Some(s.render(f))
}

fn simplify(r: &SimplifyRequest, limits: &Limits) -> Result<Value, Error> {
    let s = session(&r.lets, limits, None)?.simplify(&r.expr)?;
    let mut v = capped(s.to_json(), limits)?;
    if let Some(o) = rewriting_output(&s, r.format) {
        limits.check_output(&o)?;
        insert(&mut v, "output", json!(o));
    }
    insert(
        &mut v,
        "mathml",
        json!({
            "derivation": mathml_or_null(mathml::rewrites(&s.start, &s.steps), limits),
            "result": mathml_or_null(mathml::term(&s.result), limits),
        }),
    );
    Ok(v)
}

fn matrix(m: &nalgebra::DMatrix<f64>) -> Value {
    json!(
        (0..m.nrows())
            .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect::<Vec<f64>>())
            .collect::<Vec<_>>()
    )
}

/// The answer to `equiv`: the verdict, the text the command prints, and
/// the proof or the counterexample.
fn equiv(r: &EquivRequest, limits: &Limits) -> Result<Value, Error> {
    let answer = session(&r.lets, limits, None)?.equivalent(&r.a, &r.b)?;
    let style = Style::default();
    let text = answer.render(r.explain, style);
    let mut v = json!({
        "input": [r.a, r.b],
        "verdict": match &answer {
            Equivalence::Proved(_) => "proved",
            Equivalence::Refuted(_) => "refuted",
            Equivalence::Unknown(_) => "unknown",
        },
        "output": text,
        "proof": Value::Null,
        "counterexample": Value::Null,
        "reason": Value::Null,
        "mathml": Value::Null,
    });
    match &answer {
        Equivalence::Proved(p) => {
            let steps: Vec<Value> = p
                .steps
                .iter()
                .map(|s| {
                    json!({
                        "text": matdiff::render(&s.term, &Default::default(), matdiff::Format::Text),
                        "latex": matdiff::render(&s.term, &Default::default(), matdiff::Format::Latex),
                        "rule": s.rule.to_string(),
                    })
                })
                .collect();
            insert(
                &mut v,
                "proof",
                json!({
                    "left": matdiff::render(&p.left, &Default::default(), matdiff::Format::Text),
                    "right": matdiff::render(&p.right, &Default::default(), matdiff::Format::Text),
                    "steps": steps,
                }),
            );
            insert(
                &mut v,
                "mathml",
                json!({ "derivation": mathml_or_null(mathml::rewrites(&p.left, &p.steps), limits) }),
            );
        }
        Equivalence::Refuted(c) => {
            let values: Map<String, Value> = c
                .values
                .iter()
                .map(|(k, m)| (k.clone(), matrix(m)))
                .collect();
            insert(
                &mut v,
                "counterexample",
                json!({
                    "sizes": c.sizes,
                    "values": values,
                    "left": matrix(&c.left),
                    "right": matrix(&c.right),
                    "rel_difference": c.rel_difference,
                }),
            );
        }
        Equivalence::Unknown(reason) => insert(&mut v, "reason", json!(reason)),
    }
    capped(v, limits)
}

/// The answer to `shape`: what the command prints as a table, as data.
fn shape(r: &ShapeRequest, limits: &Limits) -> Result<Value, Error> {
    let a = session(&r.lets, limits, None)?.shapes(&r.expr)?;
    let p = &a.problem;
    let variables: Map<String, Value> = p
        .env
        .vars
        .iter()
        .map(|(name, info)| {
            let kind = match info.kind {
                Kind::Scalar => "scalar",
                Kind::Vector => "vector",
                Kind::Matrix => "matrix",
            };
            (
                name.clone(),
                json!({"shape": shape_json(&info.shape), "kind": kind, "symmetric": info.symmetric}),
            )
        })
        .collect();
    let nodes: Vec<Value> = a
        .nodes
        .iter()
        .map(|n| {
            json!({
                "text": n.span.text(&p.source),
                "span": [n.span.start, n.span.end],
                "level": n.level,
                "shape": shape_json(&n.shape),
            })
        })
        .collect();
    Ok(json!({
        "input": p.source,
        "shape": shape_json(&p.shape),
        "variables": variables,
        "dims": a.dims,
        "subexpressions": nodes,
        "output": a.report(),
        "mathml": { "term": mathml_or_null(mathml::term(&p.term), limits) },
    }))
    .and_then(|v| capped(v, limits))
}

/// Whether `e` says the time ran out (an e-graph run's time limit), which
/// the server answers as a passed deadline rather than as "cannot do".
pub fn out_of_time(e: &Error) -> bool {
    matches!(
        e,
        Error::Limit {
            limit: LimitKind::Time(_),
            ..
        }
    )
}

/// The error as JSON: the message, the diagnostic's code, label and help,
/// the exit status the command line would give, the whole diagnostic as the
/// command line prints it (without colour), and where it points in the
/// request (`span`: the field, the index of a declaration, byte offsets in
/// that text, and the text), or `null`.
pub fn diagnostic(e: &Error, request: &Request) -> Value {
    use miette::Diagnostic;
    let (label, span) = match e {
        Error::Syntax {
            src, span, label, ..
        }
        | Error::Shape {
            src, span, label, ..
        } => (
            Some(label.clone()),
            locate(src.name(), src.inner(), span.offset(), span.len(), request),
        ),
        _ => (None, None),
    };
    json!({
        "message": e.to_string(),
        "code": e.code().map(|c| c.to_string()),
        "exit": e.exit_code(),
        "label": label,
        "help": e.help().map(|h| h.to_string()),
        "span": span,
        "diagnostic": e.render(false, 80),
    })
}

/// Where a diagnostic about the source `name` (`input` or `--let`, as the
/// library names them; a long one shown as an excerpt named `…, from byte
/// N of M`) points in the request's own texts. Each candidate is confirmed
/// by the text under the span, so a span is never put on the wrong field.
fn locate(name: &str, shown: &str, offset: usize, len: usize, request: &Request) -> Option<Value> {
    let marked = shown.get(offset..offset + len)?;
    let (kind, excerpt) = match name.split_once(", from byte ") {
        Some((kind, rest)) => {
            let from: usize = rest.split(' ').next()?.parse().ok()?;
            // An excerpt that does not start at the beginning opens with `…`.
            let lead = if from > 0 { '…'.len_utf8() } else { 0 };
            (kind, Some((from, lead)))
        }
        None => (name, None),
    };
    let field = match kind {
        "--let" => "let",
        _ => "input",
    };
    let found = |field: &'static str, index: Option<usize>, start: usize, end: usize| json!({"field": field, "index": index, "start": start, "end": end, "text": marked});
    for (f, index, text) in request.texts() {
        if (field == "let") != (f == "let") {
            continue;
        }
        let (start, fits) = match excerpt {
            None => (offset, text == shown),
            Some((from, lead)) => {
                let start = (from + offset).checked_sub(lead)?;
                (start, true)
            }
        };
        if fits && text.get(start..start + len) == Some(marked) {
            return Some(found(f, index, start, start + len));
        }
    }
    // `equiv` checks its two sides together as `(a) - (b)`: a span in that
    // text is moved back into the side it falls in.
    if let Request::Equiv(r) = request {
        let (ia, ib) = (
            matdiff::parse::parse(&r.a).ok()?,
            matdiff::parse::parse(&r.b).ok()?,
        );
        let (ea, eb) = (ia.expr.span.text(&r.a), ib.expr.span.text(&r.b));
        if shown != format!("({ea}) - ({eb})") {
            return None;
        }
        // `(` a `) - (` b `)`: the second side's text starts after its
        // parenthesis, and a span on a whole side includes its parentheses.
        let (f, text, side, from, base) = if offset >= ea.len() + 5 {
            ("b", &r.b, eb, ea.len() + 6, ib.expr.span.start)
        } else {
            ("a", &r.a, ea, 1, ia.expr.span.start)
        };
        let start = offset.saturating_sub(from).min(side.len());
        let end = (offset + len).saturating_sub(from).clamp(start, side.len());
        let (start, end) = (base + start, base + end);
        let marked = text.get(start..end)?;
        return Some(
            json!({"field": f, "index": null, "start": start, "end": end, "text": marked}),
        );
    }
    None
}
