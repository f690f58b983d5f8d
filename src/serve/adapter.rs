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

use matdiff::engine::{self, CostModel, Derivation, Limits, Options, flops};
use matdiff::render::numpy::Lib;
use matdiff::render::text::Style;
use matdiff::render::{self, mathml};
use matdiff::shape::{Dim, Kind, Shape};
use matdiff::verify::{self, Check};
use matdiff::{Equivalence, Error, Rewriting, Session, budget, check, components};

use super::request::{
    EquivRequest, Format, GradRequest, Method, Request, ShapeRequest, SimplifyRequest,
};

/// Random points per gradient in the numeric check (as the `grad` command).
const TRIALS: u32 = 3;

/// The e-graph budget of a request that has `time` left, with at most
/// `nodes` e-nodes per run. Each run stops at nine tenths of the time, so
/// that a run that takes it all is reported by its stage (as `grad
/// --timeout` does).
pub fn limits(time: Duration, nodes: usize) -> Limits {
    Limits {
        nodes,
        time: time.mul_f64(0.9),
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
        Request::Shape(r) => shape(r),
    }
}

/// `v` as the command line would print it, refused over the output cap.
fn capped(v: Value) -> Result<Value, Error> {
    budget::check_output(&v.to_string())?;
    Ok(v)
}

/// A MathML string, or `null` when it is over the output cap.
fn mathml_or_null(m: String) -> Value {
    if m.len() > budget::MAX_OUTPUT_BYTES {
        Value::Null
    } else {
        Value::String(m)
    }
}

/// Adds `"output"`, refused over the output cap as the command line refuses it.
fn add_output(v: &mut Value, output: Option<String>) -> Result<(), Error> {
    if let Some(o) = output {
        budget::check_output(&o)?;
        insert(v, "output", json!(o));
    }
    Ok(())
}

/// The `"mathml"` object of a derivation.
fn derivation_mathml(der: &Derivation) -> Value {
    json!({
        "derivation": mathml_or_null(mathml::derivation(der)),
        "gradients": der
            .gradients
            .iter()
            .map(|g| mathml_or_null(mathml::gradient(g, &der.function)))
            .collect::<Vec<_>>(),
    })
}

fn session(lets: &[String], limits: &Limits) -> Session {
    let mut s = Session::with_lets(lets);
    s.limits = limits.clone();
    s
}

fn dim(d: &Dim) -> Value {
    match d {
        Dim::Lit(n) => json!(n),
        Dim::Sym(s) => json!(s),
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
    let problem = check::check(&r.expr, &r.lets)?;
    budget::check_term_size(&problem.term, &r.expr)?;
    if r.method != Method::Differential {
        return grad_components(&problem, r, limits);
    }
    let cost = if r.cost_flops {
        let symbolic = flops::symbolic_dims(&problem.env);
        if !symbolic.is_empty() {
            return Err(Error::Usage(format!(
                "cost \"flops\" needs concrete dimensions, but {} {} symbolic (declare sizes, e.g. \"X: 1000×10\")",
                symbolic.join(", "),
                if symbolic.len() == 1 { "is" } else { "are" }
            )));
        }
        CostModel::Flops
    } else {
        CostModel::Size
    };
    let opts = Options {
        wrt: r.wrt.clone(),
        limits: limits.clone(),
        cost,
    };
    let der = engine::derive(&problem, &opts)?;
    let checked = if r.no_check {
        None
    } else {
        Some(verify_all(&der, r.seed.unwrap_or(0))?)
    };
    let mut v = capped(render::json::render(&der, checked.as_ref()))?;
    insert(&mut v, "mathml", derivation_mathml(&der));
    let style = Style {
        ascii: r.ascii,
        color: false,
    };
    let output = match r.format {
        Format::Json => None,
        Format::Text => Some(render::derivation::render(
            &der,
            checked.as_ref().filter(|_| r.check),
            style,
        )),
        Format::Latex => Some(render::latex::derivation(&der)),
        Format::Numpy => Some(render::numpy::functions(&der, Lib::Numpy)),
        Format::Torch => Some(render::numpy::functions(&der, Lib::Torch)),
    };
    add_output(&mut v, output)?;
    if r.stats {
        insert(&mut v, "stats", stats(&der));
    }
    Ok(v)
}

/// Every gradient against finite differences, as the `grad` command checks.
fn verify_all(der: &Derivation, seed: u64) -> Result<Check, Error> {
    let trials = if der.bindings.len() > 32 { 1 } else { TRIALS };
    let c = if matdiff::shrink::needed(&der.problem.env) {
        verify::check(&matdiff::shrink::derivation(der), seed, trials)?
    } else {
        verify::check(der, seed, trials)?
    };
    if !c.passed() {
        let worst: Vec<String> = c
            .failures()
            .iter()
            .map(|(v, e)| format!("∂/∂{v}: relative error {e:.2e}"))
            .collect();
        return Err(Error::CheckFailed {
            detail: format!(
                "{} (tolerance {:.0e}, {} points, seed {})",
                worst.join("; "),
                matdiff::numeric::TOLERANCE,
                c.trials,
                c.seed
            ),
        });
    }
    Ok(c)
}

fn stats(der: &Derivation) -> Value {
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
    )
}

/// `method` components or both: the object the `grad` command prints for
/// them, with the differential derivation's MathML when there is one.
fn grad_components(
    problem: &matdiff::Problem,
    r: &GradRequest,
    limits: &Limits,
) -> Result<Value, Error> {
    if !matches!(r.format, Format::Json | Format::Text) {
        return Err(Error::Unsupported {
            at: format!("format {}", r.format.name()),
            reason: "the derivation by components is written as text or JSON".to_string(),
        });
    }
    let seed = r.seed.unwrap_or(0);
    let style = Style {
        ascii: r.ascii,
        color: false,
    };
    let comp = components::derive(problem, &r.wrt)?;
    let comp_json = components_json(&comp, style);
    if r.method == Method::Components {
        if !r.no_check {
            check_components(&comp, seed)?;
        }
        let mut v = capped(json!({ "input": problem.source, "components": comp_json }))?;
        let text = (r.format == Format::Text).then(|| render::components::render(&comp, style));
        add_output(&mut v, text)?;
        insert(&mut v, "mathml", Value::Null);
        return Ok(v);
    }
    let opts = Options {
        wrt: r.wrt.clone(),
        limits: limits.clone(),
        ..Options::default()
    };
    let der = engine::derive(problem, &opts)?;
    let agreement = components::agreement(&der, &comp, seed, TRIALS)?;
    let line = render::components::agreement_line(&agreement, &comp.function, style);
    if agreement
        .verdicts
        .iter()
        .any(|v| v.numeric.as_ref().is_some_and(|c| !c.agree()))
    {
        return Err(Error::CheckFailed { detail: line });
    }
    let mut v = render::json::render(&der, None);
    if let Value::Object(m) = &mut v {
        m.insert("components".to_string(), comp_json);
        m.insert("agree".to_string(), json!(agreement.agree()));
        m.insert("agreement".to_string(), json!(line));
    }
    let mut v = capped(v)?;
    let text = (r.format == Format::Text).then(|| {
        format!(
            "by the matrix differential\n{}\n{}\n{line}\n",
            render::derivation::render(&der, None, style),
            render::components::render(&comp, style)
        )
    });
    add_output(&mut v, text)?;
    insert(&mut v, "mathml", derivation_mathml(&der));
    Ok(v)
}

/// The `"components"` field of the `grad` command's JSON.
fn components_json(comp: &components::Derivation, style: Style) -> Value {
    let gradients: Vec<Value> = comp
        .gradients
        .iter()
        .map(|g| {
            json!({
                "wrt": g.wrt,
                "result": g.result.as_ref().map(|t| render::text::show(t, style)),
                "entries": components::notation::show(&g.entries, &comp.names, style),
                "unassembled": g.unassembled,
            })
        })
        .collect();
    json!({ "gradients": gradients, "text": render::components::render(comp, style) })
}

fn check_components(comp: &components::Derivation, seed: u64) -> Result<(), Error> {
    let p = &comp.problem;
    for g in &comp.gradients {
        let Some(result) = &g.result else { continue };
        let r = matdiff::check_gradient(&p.term, &g.wrt, result, &p.env, seed, TRIALS)?;
        if !r.passed() {
            return Err(Error::CheckFailed {
                detail: format!(
                    "∂/∂{} by components: relative error {:.2e} (tolerance {:.0e}, {TRIALS} points, seed {seed})",
                    g.wrt,
                    r.max_rel_error,
                    matdiff::numeric::TOLERANCE
                ),
            });
        }
    }
    Ok(())
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
    let s = session(&r.lets, limits).simplify(&r.expr)?;
    let mut v = capped(s.to_json())?;
    add_output(&mut v, rewriting_output(&s, r.format))?;
    insert(
        &mut v,
        "mathml",
        json!({
            "derivation": mathml_or_null(mathml::rewrites(&s.start, &s.steps)),
            "result": mathml_or_null(mathml::term(&s.result)),
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
    let answer = session(&r.lets, limits).equivalent(&r.a, &r.b)?;
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
                        "text": render::text::show(&s.term, style),
                        "latex": render::latex::show(&s.term),
                        "rule": s.rule,
                    })
                })
                .collect();
            insert(
                &mut v,
                "proof",
                json!({
                    "left": render::text::show(&p.left, style),
                    "right": render::text::show(&p.right, style),
                    "steps": steps,
                }),
            );
            insert(
                &mut v,
                "mathml",
                json!({ "derivation": mathml_or_null(mathml::rewrites(&p.left, &p.steps)) }),
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
    capped(v)
}

/// The answer to `shape`: what the command prints as a table, as data.
fn shape(r: &ShapeRequest) -> Result<Value, Error> {
    let a = check::annotate(&r.expr, &r.lets)?;
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
        "mathml": { "term": mathml_or_null(mathml::term(&p.term)) },
    }))
    .and_then(capped)
}

/// Whether `e` says the time ran out (an e-graph run's time limit), which
/// the server answers as a passed deadline rather than as "cannot do".
pub fn out_of_time(e: &Error) -> bool {
    matches!(e, Error::Limit { limit, .. } if limit.starts_with("time"))
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
