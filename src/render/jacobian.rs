//! Jacobians and Hessians in every format: text laid out as on paper, a
//! LaTeX `align*` block, the JSON object (the shape of `grad`'s, with
//! `jacobians` or `hessians`), and NumPy/PyTorch functions (`jacobian_x`,
//! `jvp_x`, `vjp_x`, `hessian_x`, `hvp_x`).

use serde_json::{Map, Value, json};

use crate::engine::hessian::Hessian;
use crate::engine::jacobian::{Jacobian, Layout};
use crate::engine::{Derivation, Lhs, Step};
use crate::jacobians::{HessianAnswer, JacobianAnswer};
use crate::problem::Problem;
use crate::render::derivation::{
    aligned, block, equation, gradient_steps, hessian_name, jacobian_name, shape_text, styled,
};
use crate::render::latex;
use crate::render::numpy::{self, Lib};
use crate::render::text::{self, Style};
use crate::session::{Format, RenderOptions};
use crate::shape::{Dim, Shape};
use crate::term::Term;
use crate::verify::Check;

// ---- text ------------------------------------------------------------------

/// `source    where x: n×1, A: n×n`: the input with the shape of every variable.
fn header(p: &Problem, style: Style) -> String {
    let shapes: Vec<String> = p
        .term
        .variables_in_order()
        .iter()
        .filter_map(|v| {
            p.env.get(v).map(|i| {
                let sym = if i.symmetric { "sym " } else { "" };
                format!(
                    "{}: {sym}{}",
                    text::name(v, style),
                    shape_text(&i.shape, style)
                )
            })
        })
        .collect();
    let source = match p.source.find(" where ") {
        Some(i) => &p.source[..i],
        None => &p.source,
    };
    format!(
        "{}    where {}\n",
        styled(source.trim(), style),
        shapes.join(", ")
    )
}

fn size(s: &Shape, style: Style) -> String {
    shape_text(s, style)
}

/// What the layout of a Jacobian means, in one line.
fn jacobian_layout(j: &Jacobian, fshape: &Shape, style: Style) -> String {
    let name = jacobian_name("F", &j.wrt, j.layout, style);
    let v = text::name(&j.wrt, style);
    let s = match j.layout {
        Layout::Columns => format!(
            "Jacobian by {v}, numerator layout: {name} is {} (row i is the gradient of Fᵢ, column j the derivative by {v}ⱼ)",
            size(&j.shape, style)
        ),
        Layout::Vec => format!(
            "Jacobian by {v}, numerator layout of the vectorizations: {name} is {}, so that vec(dF) = J vec(d{v}) (vec stacks columns; F is {})",
            size(&j.shape, style),
            size(fshape, style)
        ),
    };
    styled(&s, style)
}

fn hessian_layout(h: &Hessian, style: Style) -> String {
    let name = hessian_name(&h.gradient.function, &h.rows, &h.cols, h.layout, style);
    let (v, w) = (text::name(&h.rows, style), text::name(&h.cols, style));
    let f = text::name(&h.gradient.function, style);
    let s = match (h.layout, h.rows == h.cols) {
        (Layout::Columns, true) => format!(
            "Hessian by {v}: {name} is {}, entry (i, j) = ∂²{f}/∂{v}ᵢ∂{v}ⱼ",
            size(&h.shape, style)
        ),
        (Layout::Columns, false) => format!(
            "mixed block of the Hessian: {name} is {}, entry (i, j) = ∂²{f}/∂{v}ᵢ∂{w}ⱼ (rows from {v})",
            size(&h.shape, style)
        ),
        (Layout::Vec, true) => format!(
            "Hessian by {v}: {name} is {}; rows and columns follow vec {v} (vec stacks columns), so that d²{f} = vec(d{v})ᵀ H vec(d{v})",
            size(&h.shape, style)
        ),
        (Layout::Vec, false) => format!(
            "mixed block of the Hessian: {name} is {}; rows follow vec {v}, columns vec {w} (vec stacks columns)",
            size(&h.shape, style)
        ),
    };
    styled(&s, style)
}

/// The one-line summary of the numeric check of Jacobians or Hessians.
pub fn check_line(c: &Check, what: &str) -> String {
    let sizes: Vec<String> = c.sizes.iter().map(|(d, n)| format!("{d}={n}")).collect();
    let at = if sizes.is_empty() {
        String::new()
    } else {
        format!(", sizes {}", sizes.join(" "))
    };
    format!(
        "numeric check: {} ({what} against finite differences: max relative error {:.1e} over {} random points each{at}, seed {})",
        if c.passed() { "passed" } else { "FAILED" },
        c.max_rel_error,
        c.trials,
        c.seed
    )
}

/// The lines of a derivation of a gradient, without its header and results:
/// the introduced symbols, the shared differential and each block.
fn gradient_lines(der: &Derivation, style: Style, out: &mut String) {
    let defs: Vec<String> = der
        .definitions
        .iter()
        .map(|d| match &d.value {
            Some(v) => format!("{} = {}", text::name(&d.name, style), text::show(v, style)),
            None => format!(
                "{} = {} ({})",
                text::name(&d.name, style),
                d.meaning
                    .as_ref()
                    .map(|m| m.text(style))
                    .unwrap_or_default(),
                shape_text(&d.shape, style)
            ),
        })
        .collect();
    if defs.len() > 4 {
        for d in &defs {
            out.push_str(d);
            out.push('\n');
        }
    } else if !defs.is_empty() {
        out.push_str(&defs.join(",  "));
        out.push('\n');
    }
    aligned(&block("", &der.preamble, style), out);
    for g in der.backprop.iter().chain(&der.gradients) {
        let head = styled(
            &format!(
                "∂{}/∂{}:",
                text::name(&der.function, style),
                text::name(&g.wrt, style)
            ),
            style,
        );
        aligned(&block(&head, &gradient_steps(g, &der.function), style), out);
    }
}

/// The head of a block of steps (`∂F/∂xᵀ:`), or none when the block is the
/// identification alone, which names the result itself.
fn head(name: &str, steps: &[Step]) -> String {
    match steps.first().map(|s| &s.lhs) {
        Some(Lhs::Jacobian { .. } | Lhs::Hessian { .. }) => String::new(),
        _ => format!("{name}:"),
    }
}

fn result_line(lhs: String, t: &Term, shape: &Shape, style: Style) -> (String, String) {
    (
        format!("{lhs} = {}", text::show(t, style)),
        format!("({})", shape_text(shape, style)),
    )
}

fn no_closed_form(what: &str, stuck: &(Term, String), style: Style) -> String {
    styled(
        &format!(
            "no closed form for {what}: {} ({}); the differential and the products with a direction hold all the same\n",
            stuck.1,
            text::show(&stuck.0, style)
        ),
        style,
    )
}

fn jacobians_text(a: &JacobianAnswer, check: Option<&Check>, style: Style) -> String {
    let mut out = header(&a.problem, style);
    let mut results = Vec::new();
    for j in &a.jacobians {
        out.push('\n');
        out.push_str(&jacobian_layout(j, &a.problem.shape, style));
        out.push('\n');
        aligned(&block("", &j.differential, style), &mut out);
        let name = jacobian_name("F", &j.wrt, j.layout, style);
        if !j.steps.is_empty() {
            out.push('\n');
            aligned(&block(&head(&name, &j.steps), &j.steps, style), &mut out);
        }
        if let Some(stuck) = &j.no_closed_form {
            out.push_str(&no_closed_form(&name, stuck, style));
        }
        out.push('\n');
        aligned(&block("JVP:", &j.jvp.steps, style), &mut out);
        let vjp_name = styled(
            &format!("VJP ∂/∂{} tr(Gᵀ F)", text::name(&j.wrt, style)),
            style,
        );
        match &j.vjp {
            Ok(d) => {
                out.push_str(&styled(
                    &format!("\n{vjp_name}, with G of the shape of F:\n"),
                    style,
                ));
                gradient_lines(d, style, &mut out);
            }
            Err((at, why)) => out.push_str(&styled(
                &format!(
                    "\n{vjp_name}: no closed form ({why}: {})\n",
                    text::show(at, style)
                ),
                style,
            )),
        }
        if let Some(r) = &j.result {
            results.push(result_line(name.clone(), r, &j.shape, style));
        }
        results.push(result_line(
            format!("dF[{}]", text::name(&j.jvp.direction, style)),
            &j.jvp.result,
            &j.jvp.shape,
            style,
        ));
        if let Ok(d) = &j.vjp
            && let Some(g) = d.gradients.first()
        {
            results.push(result_line(vjp_name, &g.result, &g.shape, style));
        }
    }
    out.push('\n');
    aligned(&results, &mut out);
    if let Some(c) = check {
        out.push_str(&check_line(c, "Jacobians, JVPs and VJPs"));
        out.push('\n');
    }
    out
}

fn hessians_text(a: &HessianAnswer, check: Option<&Check>, style: Style) -> String {
    let mut out = header(&a.problem, style);
    let mut results = Vec::new();
    for h in &a.hessians {
        out.push('\n');
        out.push_str(&hessian_layout(h, style));
        out.push('\n');
        if let Some(note) = held_note(h, style) {
            out.push_str(&note);
        }
        out.push('\n');
        gradient_lines(&h.gradient, style, &mut out);
        out.push('\n');
        aligned(&block("", &h.second, style), &mut out);
        let name = hessian_name(&h.gradient.function, &h.rows, &h.cols, h.layout, style);
        if !h.steps.is_empty() {
            out.push('\n');
            aligned(&block(&head(&name, &h.steps), &h.steps, style), &mut out);
        }
        match &h.no_closed_form {
            Some(_) if !h.bindings.is_empty() => out.push_str(&styled(
                &format!(
                    "{name} is not formed for a network derived layer by layer: its product with a direction is, through the same named intermediates\n"
                ),
                style,
            )),
            Some(stuck) => out.push_str(&no_closed_form(&name, stuck, style)),
            None => {}
        }
        out.push('\n');
        aligned(&block("", &h.hvp.steps, style), &mut out);
        if let Some(r) = &h.result {
            results.push(result_line(name.clone(), r, &h.shape, style));
        }
        results.push(result_line(
            format!("H[{}]", text::name(&h.hvp.direction, style)),
            &h.hvp.result,
            &h.hvp.shape,
            style,
        ));
    }
    out.push('\n');
    aligned(&results, &mut out);
    if let Some(c) = check {
        out.push_str(&check_line(c, "gradients, Hessians and HVPs"));
        out.push('\n');
    }
    out
}

/// The note for a Hessian of an unknown function: its gradient symbol is
/// held constant.
fn held_note(h: &Hessian, style: Style) -> Option<String> {
    if h.held.is_empty() {
        return None;
    }
    let names: Vec<String> = h
        .held
        .iter()
        .map(|f| {
            format!(
                "{} = ∂{}/∂(its argument)",
                text::name(&crate::engine::gradient_symbol(f), style),
                text::name(f, style)
            )
        })
        .collect();
    Some(styled(
        &format!(
            "note: {} held constant: the unknown function is taken as linear at the point (as in the numeric check), so its own second derivative is not part of the result\n",
            names.join(", ")
        ),
        style,
    ))
}

// ---- LaTeX -------------------------------------------------------------------

fn latex_step(s: &Step) -> String {
    format!(
        "{} &= {} && \\text{{{}}}",
        latex::lhs(&s.lhs),
        latex::show(&s.expr),
        s.rule.latex()
    )
}

fn latex_block(lines: Vec<String>) -> String {
    format!(
        "\\begin{{align*}}\n{}\n\\end{{align*}}\n",
        lines.join(" \\\\\n")
    )
}

fn latex_gradient(der: &Derivation, lines: &mut Vec<String>) {
    for d in &der.definitions {
        let rhs = match &d.value {
            Some(v) => latex::show(v),
            None => d.meaning.as_ref().map(|m| m.latex()).unwrap_or_default(),
        };
        lines.push(format!("{} &= {}", latex::name(&d.name), rhs));
    }
    lines.extend(der.preamble.iter().map(latex_step));
    for g in der.backprop.iter().chain(&der.gradients) {
        lines.extend(gradient_steps(g, &der.function).iter().map(latex_step));
    }
}

fn jacobians_latex(a: &JacobianAnswer) -> String {
    let mut lines = Vec::new();
    for j in &a.jacobians {
        lines.extend(j.differential.iter().map(latex_step));
        lines.extend(j.steps.iter().map(latex_step));
        lines.extend(j.jvp.steps.iter().map(latex_step));
        if let Ok(d) = &j.vjp {
            latex_gradient(d, &mut lines);
        }
    }
    latex_block(lines)
}

fn hessians_latex(a: &HessianAnswer) -> String {
    let mut lines = Vec::new();
    for h in &a.hessians {
        latex_gradient(&h.gradient, &mut lines);
        lines.extend(h.second.iter().map(latex_step));
        lines.extend(h.steps.iter().map(latex_step));
        lines.extend(h.hvp.steps.iter().map(latex_step));
    }
    latex_block(lines)
}

// ---- JSON ----------------------------------------------------------------------

fn dim(d: &Dim) -> Value {
    match d {
        Dim::Lit(n) => json!(n),
        other => json!(other.to_string()),
    }
}

fn shape_json(s: &Shape) -> Value {
    json!([dim(&s.rows), dim(&s.cols)])
}

fn steps_json(steps: &[Step]) -> Value {
    let style = Style::default();
    json!(
        steps
            .iter()
            .map(|s| json!({
                "text": equation(s, style),
                "latex": latex::equation(s),
                "rule": s.rule.to_string(),
            }))
            .collect::<Vec<_>>()
    )
}

fn term_json(
    t: &Term,
    shape: &Shape,
    bindings: &[(String, Term)],
    p: &Problem,
) -> Map<String, Value> {
    // Sizes in code are read from the shapes of the variables the term
    // uses, never from a direction it does not take.
    let mut own = p.clone();
    let used: Vec<String> = t
        .variables()
        .into_iter()
        .chain(bindings.iter().flat_map(|(n, v)| {
            let mut vs = v.variables();
            vs.push(n.clone());
            vs
        }))
        .chain(params(p))
        .collect();
    own.env.vars.retain(|n, _| used.contains(n));
    let p = &own;
    let mut m = Map::new();
    m.insert("shape".into(), shape_json(shape));
    m.insert("text".into(), json!(text::show(t, Style::default())));
    m.insert("latex".into(), json!(latex::show(t)));
    for (key, lib) in [("numpy", Lib::Numpy), ("torch", Lib::Torch)] {
        m.insert(
            key.into(),
            json!(numpy::code_with(t, bindings, &p.env, lib)),
        );
    }
    m
}

fn base_json(p: &Problem) -> Map<String, Value> {
    let mut shapes = Map::new();
    for v in p.term.variables_in_order() {
        if let Some(i) = p.env.get(&v) {
            shapes.insert(v.clone(), shape_json(&i.shape));
        }
    }
    let mut obj = Map::new();
    obj.insert("input".into(), json!(p.source));
    obj.insert("shapes".into(), Value::Object(shapes));
    let shape = p.term.shape(&p.env).unwrap_or_else(Shape::scalar);
    obj.insert(
        "function".into(),
        Value::Object(term_json(&p.term, &shape, &[], p)),
    );
    obj
}

fn check_json(c: Option<&Check>) -> Value {
    match c {
        Some(c) => json!({
            "max_rel_error": c.max_rel_error,
            "trials": c.trials,
            "passed": c.passed(),
            "seed": c.seed,
            "results": c.per_gradient.iter().map(|(w, e)| json!({"what": w, "max_rel_error": e})).collect::<Vec<_>>(),
        }),
        None => Value::Null,
    }
}

fn gradient_json(d: &Derivation) -> Value {
    let Some(g) = d.gradients.first() else {
        return Value::Null;
    };
    let mut steps: Vec<Step> = d.preamble.clone();
    for b in &d.backprop {
        steps.extend(gradient_steps(b, &d.function));
    }
    steps.extend(gradient_steps(g, &d.function));
    let mut m = term_json(&g.result, &g.shape, &d.bindings, &d.problem);
    m.insert("wrt".into(), json!(g.wrt));
    m.insert("steps".into(), steps_json(&steps));
    Value::Object(m)
}

fn jacobians_json(a: &JacobianAnswer, check: Option<&Check>) -> Value {
    let style = Style::default();
    let mut obj = base_json(&a.problem);
    obj.insert("shape".into(), shape_json(&a.problem.shape));
    let jacobians: Vec<Value> = a
        .jacobians
        .iter()
        .map(|j| {
            let mut m = match &j.result {
                Some(r) => term_json(r, &j.shape, &[], &j.problem),
                None => {
                    let mut m = Map::new();
                    m.insert("shape".into(), shape_json(&j.shape));
                    for k in ["text", "latex", "numpy", "torch"] {
                        m.insert(k.into(), Value::Null);
                    }
                    m
                }
            };
            m.insert("wrt".into(), json!(j.wrt));
            m.insert("layout".into(), json!("numerator"));
            m.insert(
                "name".into(),
                json!(jacobian_name("F", &j.wrt, j.layout, style)),
            );
            m.insert(
                "no_closed_form".into(),
                match &j.no_closed_form {
                    Some((t, why)) => json!({"at": text::show(t, style), "reason": why}),
                    None => Value::Null,
                },
            );
            let mut steps = j.differential.clone();
            steps.extend(j.steps.iter().cloned());
            m.insert("steps".into(), steps_json(&steps));
            let mut jvp = term_json(&j.jvp.result, &j.jvp.shape, &[], &j.problem);
            jvp.insert("direction".into(), json!(j.jvp.direction));
            jvp.insert("steps".into(), steps_json(&j.jvp.steps));
            m.insert("jvp".into(), Value::Object(jvp));
            m.insert(
                "vjp".into(),
                match &j.vjp {
                    Ok(d) => gradient_json(d),
                    Err((at, why)) => {
                        json!({"no_closed_form": {"at": text::show(at, style), "reason": why}})
                    }
                },
            );
            Value::Object(m)
        })
        .collect();
    obj.insert("jacobians".into(), json!(jacobians));
    obj.insert("check".into(), check_json(check));
    Value::Object(obj)
}

fn hessians_json(a: &HessianAnswer, check: Option<&Check>) -> Value {
    let style = Style::default();
    let mut obj = base_json(&a.problem);
    let hessians: Vec<Value> = a
        .hessians
        .iter()
        .map(|h| {
            let mut m = match &h.result {
                Some(r) => term_json(r, &h.shape, &[], &h.problem),
                None => {
                    let mut m = Map::new();
                    m.insert("shape".into(), shape_json(&h.shape));
                    for k in ["text", "latex", "numpy", "torch"] {
                        m.insert(k.into(), Value::Null);
                    }
                    m
                }
            };
            m.insert("wrt".into(), json!([h.rows, h.cols]));
            m.insert("layout".into(), json!("numerator"));
            m.insert(
                "name".into(),
                json!(hessian_name(
                    &h.gradient.function,
                    &h.rows,
                    &h.cols,
                    h.layout,
                    style
                )),
            );
            m.insert(
                "no_closed_form".into(),
                match &h.no_closed_form {
                    Some((t, why)) => json!({"at": text::show(t, style), "reason": why}),
                    None => Value::Null,
                },
            );
            let mut steps = h.second.clone();
            steps.extend(h.steps.iter().cloned());
            m.insert("steps".into(), steps_json(&steps));
            m.insert("gradient".into(), gradient_json(&h.gradient));
            m.insert(
                "bilinear".into(),
                json!({"text": text::show(&h.bilinear, style), "latex": latex::show(&h.bilinear)}),
            );
            let mut hvp = term_json(&h.hvp.result, &h.hvp.shape, &h.bindings, &h.problem);
            hvp.insert("direction".into(), json!(h.hvp.direction));
            hvp.insert("steps".into(), steps_json(&h.hvp.steps));
            m.insert("hvp".into(), Value::Object(hvp));
            m.insert(
                "held_constant".into(),
                json!(
                    h.held
                        .iter()
                        .map(|f| crate::engine::gradient_symbol(f))
                        .collect::<Vec<_>>()
                ),
            );
            Value::Object(m)
        })
        .collect();
    obj.insert("hessians".into(), json!(hessians));
    obj.insert("check".into(), check_json(check));
    Value::Object(obj)
}

fn json_text(v: &Value, compact: bool) -> String {
    if compact {
        format!("{v}\n")
    } else {
        format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
    }
}

// ---- code ------------------------------------------------------------------------

/// `def name(params): return …`, with named intermediates and common
/// subexpressions bound first.
fn function(
    name: &str,
    params: &[String],
    doc: &str,
    t: &Term,
    bindings: &[(String, Term)],
    p: &Problem,
    lib: Lib,
) -> String {
    // Sizes are read from the parameters' shapes only.
    let mut own = p.env.clone();
    own.vars.retain(|n, _| params.contains(&numpy::py_name(n)));
    let env = &own;
    let (mut lines, ret) = numpy::body(t, env, lib, "    ");
    let lets: Vec<String> = numpy::needed_bindings(t, bindings)
        .iter()
        .map(|(n, v)| format!("    {n} = {}", numpy::code(v, env, lib)))
        .collect();
    lines.splice(0..0, lets);
    let mut out = format!(
        "\n\ndef {name}({}):\n    \"\"\"{}\"\"\"\n",
        params.join(", "),
        text::ascii(doc)
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(&format!("    return {ret}\n"));
    out
}

fn import(lib: Lib) -> String {
    match lib {
        Lib::Numpy => "import numpy as np\n".to_string(),
        Lib::Torch => "import torch\n".to_string(),
    }
}

/// The parameters of the generated functions: the expression's variables,
/// then the gradient symbols of its unknown functions.
fn params(p: &Problem) -> Vec<String> {
    let mut out = p.term.variables_in_order();
    let mut unknowns = Vec::new();
    crate::engine::collect_unknown_names(&p.term, &mut unknowns);
    for f in unknowns {
        let g = crate::engine::gradient_symbol(&f);
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out.iter().map(|n| numpy::py_name(n)).collect()
}

fn jacobians_code(a: &JacobianAnswer, lib: Lib) -> String {
    let mut out = import(lib);
    let base = params(&a.problem);
    for j in &a.jacobians {
        let v = numpy::py_name(&j.wrt);
        let style = Style::default();
        if let Some(r) = &j.result {
            out.push_str(&function(
                &format!("jacobian_{v}"),
                &base,
                &format!(
                    "{} (numerator layout)",
                    jacobian_name("F", &j.wrt, j.layout, style)
                ),
                r,
                &[],
                &j.problem,
                lib,
            ));
        }
        let mut ps = base.clone();
        ps.push(numpy::py_name(&j.jvp.direction));
        out.push_str(&function(
            &format!("jvp_{v}"),
            &ps,
            &format!("dF at d{} = {}", j.wrt, j.jvp.direction),
            &j.jvp.result,
            &[],
            &j.problem,
            lib,
        ));
        if let Ok(d) = &j.vjp
            && let Some(g) = d.gradients.first()
        {
            let ps = numpy::params(d);
            out.push_str(&function(
                &format!("vjp_{v}"),
                &ps,
                &format!("the gradient of tr(G^T F) by {}", j.wrt),
                &g.result,
                &d.bindings,
                &d.problem,
                lib,
            ));
        }
    }
    out
}

fn hessians_code(a: &HessianAnswer, lib: Lib) -> String {
    let mut out = import(lib);
    let base = params(&a.problem);
    for h in &a.hessians {
        let suffix = if h.rows == h.cols {
            numpy::py_name(&h.rows)
        } else {
            format!("{}_{}", numpy::py_name(&h.rows), numpy::py_name(&h.cols))
        };
        let style = Style::default();
        if let Some(r) = &h.result {
            out.push_str(&function(
                &format!("hessian_{suffix}"),
                &base,
                &format!(
                    "{} (numerator layout)",
                    hessian_name(&h.gradient.function, &h.rows, &h.cols, h.layout, style)
                ),
                r,
                &[],
                &h.problem,
                lib,
            ));
        }
        let mut ps = base.clone();
        ps.push(numpy::py_name(&h.hvp.direction));
        out.push_str(&function(
            &format!("hvp_{suffix}"),
            &ps,
            &format!(
                "H[{}]: d(df/d{}) at d{} = {}",
                h.hvp.direction, h.rows, h.cols, h.hvp.direction
            ),
            &h.hvp.result,
            &h.bindings,
            &h.problem,
            lib,
        ));
    }
    out
}

// ---- entry points -----------------------------------------------------------------

fn style_of(format: Format, opts: &RenderOptions) -> Style {
    Style {
        ascii: opts.style.ascii || format == Format::Ascii,
        ..opts.style
    }
}

/// A Jacobian answer in `format`.
pub fn jacobians(a: &JacobianAnswer, format: Format, opts: &RenderOptions) -> String {
    let check = a.check.as_ref();
    match format {
        Format::Text | Format::Ascii => {
            jacobians_text(a, check.filter(|_| opts.show_check), style_of(format, opts))
        }
        Format::Latex => jacobians_latex(a),
        Format::Json => json_text(&jacobians_json(a, check), opts.compact),
        Format::Numpy => jacobians_code(a, Lib::Numpy),
        Format::Torch => jacobians_code(a, Lib::Torch),
    }
}

/// A Hessian answer in `format`.
pub fn hessians(a: &HessianAnswer, format: Format, opts: &RenderOptions) -> String {
    let check = a.check.as_ref();
    match format {
        Format::Text | Format::Ascii => {
            hessians_text(a, check.filter(|_| opts.show_check), style_of(format, opts))
        }
        Format::Latex => hessians_latex(a),
        Format::Json => json_text(&hessians_json(a, check), opts.compact),
        Format::Numpy => hessians_code(a, Lib::Numpy),
        Format::Torch => hessians_code(a, Lib::Torch),
    }
}
