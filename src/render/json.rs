//! A derivation as the JSON object of SPEC §2, with a stable key order.

use serde_json::{Map, Value, json};

use crate::engine::Derivation;
use crate::render::derivation::equation;
use crate::render::numpy::{self, Lib};
use crate::render::{latex, text};
use crate::shape::{Dim, Shape};
use crate::verify::Check;

fn dim(d: &Dim) -> Value {
    match d {
        Dim::Lit(n) => json!(n),
        Dim::Sym(s) => json!(s),
    }
}

fn shape(s: &Shape) -> Value {
    json!([dim(&s.rows), dim(&s.cols)])
}

fn latex_lhs(l: &crate::engine::Lhs, f: &str) -> String {
    use crate::engine::Lhs;
    match l {
        Lhs::Differential(g) => format!("\\mathrm{{d}}{} =", latex::name(g)),
        Lhs::Same => "=".to_string(),
        Lhs::Gradient(g, v) => format!(
            "\\Rightarrow \\frac{{\\partial {}}}{{\\partial {}}} =",
            latex::name(if g.is_empty() { f } else { g }),
            latex::name(v)
        ),
    }
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
                None => d.meaning.clone(),
            };
            json!({"name": d.name, "text": text, "shape": shape(&d.shape)})
        })
        .collect();
    let preamble: Vec<Value> = der
        .preamble
        .iter()
        .map(|s| {
            json!({"text": equation(s, style), "latex": format!("{} {}", latex_lhs(&s.lhs, &der.function), latex::show(&s.expr)), "rule": s.rule})
        })
        .collect();
    let gradients: Vec<Value> = der
        .gradients
        .iter()
        .map(|g| {
            let steps: Vec<Value> = g
                .steps
                .iter()
                .map(|s| {
                    json!({
                        "text": equation(s, style),
                        "latex": format!("{} {}", latex_lhs(&s.lhs, &der.function), latex::show(&s.expr)),
                        "rule": s.rule,
                    })
                })
                .collect();
            let mut code = numpy::code_with(&g.result, &der.bindings, &p.env, Lib::Numpy);
            if g.shape.is_scalar() && p.env.get(&g.wrt).is_some_and(|i| i.kind == crate::shape::Kind::Scalar) {
                // A scalar variable's gradient is a number, not a 1×1 array.
                code = format!("np.squeeze({code})");
            }
            json!({
                "wrt": g.wrt,
                "shape": shape(&g.shape),
                "text": text::show(&g.result, style),
                "latex": latex::show(&g.result),
                "numpy": code,
                "torch": numpy::code_with(&g.result, &der.bindings, &p.env, Lib::Torch),
                "steps": steps,
            })
        })
        .collect();
    let mut obj = Map::new();
    obj.insert("input".into(), json!(p.source));
    obj.insert("shapes".into(), Value::Object(shapes));
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
