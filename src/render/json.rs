//! A derivation as the JSON object of SPEC §2, with a stable key order.

use serde_json::{Map, Value, json};

use crate::engine::Derivation;
use crate::render::derivation::{equation, gradient_steps};
use crate::render::numpy::{self, Lib};
use crate::render::{latex, text};
use crate::shape::{Dim, Shape};
use crate::verify::Check;

fn dim(d: &Dim) -> Value {
    match d {
        Dim::Lit(n) => json!(n),
        Dim::Sym(s) => json!(s),
        Dim::Prod(_) => json!(d.to_string()),
    }
}

fn shape(s: &Shape) -> Value {
    json!([dim(&s.rows), dim(&s.cols)])
}

/// The JSON object of a derivation.
pub fn render(der: &Derivation, check: Option<&Check>) -> Value {
    let style = text::Style::default();
    let p = &der.problem;
    let mut shapes = Map::new();
    for v in p.term.variables_in_order() {
        if let Some(i) = p.env.get(&v) {
            shapes.insert(v.clone(), shape(&i.shape));
        }
    }
    let definitions: Vec<Value> = der
        .definitions
        .iter()
        .map(|d| {
            let text = match &d.value {
                Some(v) => text::show(v, style),
                None => d
                    .meaning
                    .as_ref()
                    .map(|m| m.text(style))
                    .unwrap_or_default(),
            };
            json!({"name": d.name, "text": text, "shape": shape(&d.shape)})
        })
        .collect();
    let preamble: Vec<Value> = der
        .preamble
        .iter()
        .map(|s| json!({"text": equation(s, style), "latex": latex::equation(s), "rule": s.rule.to_string()}))
        .collect();
    let numpy_code = numpy::WithBindings::new(&der.bindings, &p.env, Lib::Numpy);
    let torch_code = numpy::WithBindings::new(&der.bindings, &p.env, Lib::Torch);
    let gradients: Vec<Value> = der
        .gradients
        .iter()
        .map(|g| {
            let steps: Vec<Value> = gradient_steps(g, &der.function)
                .iter()
                .map(|s| {
                    json!({
                        "text": equation(s, style),
                        "latex": latex::equation(s),
                        "rule": s.rule.to_string(),
                    })
                })
                .collect();
            json!({
                "wrt": g.wrt,
                "shape": shape(&g.shape),
                "text": text::show(&g.result, style),
                "latex": latex::show(&g.result),
                "numpy": numpy::gradient_code(g, &numpy_code, &p.env, Lib::Numpy),
                "torch": numpy::gradient_code(g, &torch_code, &p.env, Lib::Torch),
                "steps": steps,
            })
        })
        .collect();
    let mut obj = Map::new();
    obj.insert("input".into(), json!(p.source));
    obj.insert("shapes".into(), Value::Object(shapes));
    // Present when there is something to say, so that the common object
    // keeps its shape.
    if !p.notes.is_empty() {
        obj.insert("notes".into(), json!(p.notes));
    }
    obj.insert("definitions".into(), json!(definitions));
    obj.insert("differential".into(), json!(preamble));
    obj.insert("gradients".into(), json!(gradients));
    obj.insert(
        "check".into(),
        match check {
            Some(c) => json!({"max_rel_error": c.max_rel_error, "trials": c.trials, "passed": c.passed(), "seed": c.seed}),
            None => Value::Null,
        },
    );
    Value::Object(obj)
}
