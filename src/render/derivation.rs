//! A whole derivation as text, laid out as on paper: the introduced symbols,
//! the shared differential, then one block per variable with each line's rule
//! aligned on the right.

use crate::engine::jacobian::Layout;
use crate::engine::{Derivation, Gradient, Lhs, Step};
use crate::render::text::{self, Style};
use crate::shape::Shape;
use crate::verify::Check;

fn partial(f: &str, v: &str, style: Style) -> String {
    let (f, v) = (text::name(f, style), text::name(v, style));
    if style.ascii {
        format!("d{f}/d{v}")
    } else {
        format!("∂{f}/∂{v}")
    }
}

/// The name of a Jacobian: `∂F/∂xᵀ`, or `∂vec F/∂(vec X)ᵀ`.
pub fn jacobian_name(f: &str, v: &str, layout: Layout, style: Style) -> String {
    let (f, v) = (text::name(f, style), text::name(v, style));
    styled(
        &match layout {
            Layout::Columns => format!("∂{f}/∂{v}ᵀ"),
            Layout::Vec => format!("∂vec {f}/∂(vec {v})ᵀ"),
        },
        style,
    )
}

/// The name of a Hessian: `∂²f/∂x∂xᵀ`, or `∂²f/∂vec X ∂(vec X)ᵀ`.
pub fn hessian_name(f: &str, rows: &str, cols: &str, layout: Layout, style: Style) -> String {
    let (f, r, c) = (
        text::name(f, style),
        text::name(rows, style),
        text::name(cols, style),
    );
    styled(
        &match layout {
            Layout::Columns => format!("∂²{f}/∂{r}∂{c}ᵀ"),
            Layout::Vec => format!("∂²{f}/∂vec {r} ∂(vec {c})ᵀ"),
        },
        style,
    )
}

/// The left-hand side of a step.
pub fn lhs(l: &Lhs, style: Style) -> String {
    let arrow = if style.ascii { "=>" } else { "⇒" };
    match l {
        Lhs::Differential(f) => format!("d{} =", text::name(f, style)),
        Lhs::Same => "=".to_string(),
        Lhs::Gradient(f, v) => format!("{arrow} {} =", partial(f, v, style)),
        Lhs::Vec(inner) => format!("vec({}) =", lhs(inner, style).trim_end_matches(" =")),
        Lhs::Jacobian {
            function,
            var,
            layout,
        } => format!("{arrow} {} =", jacobian_name(function, var, *layout, style)),
        Lhs::Hessian {
            function,
            rows,
            cols,
            layout,
        } => format!(
            "{arrow} {} =",
            hessian_name(function, rows, cols, *layout, style)
        ),
        Lhs::SecondDifferential(f) => styled(&format!("d²{} =", text::name(f, style)), style),
        Lhs::GradientDifferential { function, var } => {
            format!("d({}) =", partial(function, var, style))
        }
        Lhs::Applied { name, direction } => format!(
            "{}[{}] =",
            text::name(name, style),
            text::name(direction, style)
        ),
    }
}

/// The steps of a gradient as shown: a block that opens with a continuation
/// (`= …`, when nothing was held constant) opens with `dF = …` instead, so
/// that every block reads on its own.
pub fn gradient_steps(g: &Gradient, function: &str) -> Vec<Step> {
    let mut steps = g.steps.clone();
    if let Some(first) = steps.first_mut()
        && first.lhs == Lhs::Same
    {
        first.lhs = Lhs::Differential(function.to_string());
    }
    steps
}

/// A step as one equation, `dL = tr(Gᵀ dY)`.
pub fn equation(s: &Step, style: Style) -> String {
    format!("{} {}", lhs(&s.lhs, style), text::show(&s.expr, style))
}

pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

/// Text as the style wants it: Unicode, or its ASCII form.
pub(crate) fn styled(s: &str, style: Style) -> String {
    if style.ascii {
        text::ascii(s)
    } else {
        s.to_string()
    }
}

/// A rule name as the style wants it: in ASCII if asked, dimmed in colour.
pub(crate) fn rule(r: &str, style: Style) -> String {
    let r = styled(r, style);
    match style.dim {
        Some(dim) if !r.is_empty() => dim(&r),
        _ => r,
    }
}

/// Lines `(left, rule)` with the rules aligned in one column. The rule is
/// already styled; only the left part's width counts.
pub(crate) fn aligned(lines: &[(String, String)], out: &mut String) {
    let col = lines
        .iter()
        .map(|(l, _)| width(l))
        .max()
        .unwrap_or(0)
        .min(72)
        + 4;
    for (l, r) in lines {
        out.push_str(l);
        if !r.is_empty() {
            let pad = col.saturating_sub(width(l)).max(2);
            out.push_str(&" ".repeat(pad));
            out.push_str(r);
        }
        out.push('\n');
    }
}

pub(crate) fn shape_text(s: &Shape, style: Style) -> String {
    if s.is_scalar() {
        "scalar".to_string()
    } else {
        styled(&s.to_string(), style)
    }
}

/// The derivation as text (and the numeric check, if one was made).
pub fn render(der: &Derivation, check: Option<&Check>, style: Style) -> String {
    let mut out = String::new();
    let p = &der.problem;
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
    // The input's own `where` clause is replaced by the complete one.
    let source = match p.source.find(" where ") {
        Some(i) => &p.source[..i],
        None => &p.source,
    };
    out.push_str(&format!(
        "{}    where {}\n",
        styled(source.trim(), style),
        shapes.join(", ")
    ));
    for n in &p.notes {
        out.push_str(&format!("note: {}\n", styled(n, style)));
    }
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
        // Many named layers: one definition a line.
        for d in &defs {
            out.push_str(d);
            out.push('\n');
        }
    } else if !defs.is_empty() {
        out.push_str(&defs.join(",  "));
        out.push('\n');
    }
    let pre: Vec<(String, String)> = der
        .preamble
        .iter()
        .map(|s| (equation(s, style), rule(&s.rule.text(style), style)))
        .collect();
    aligned(&pre, &mut out);
    for g in der.backprop.iter().chain(&der.gradients) {
        out.push('\n');
        let head = format!("{}:", partial(&der.function, &g.wrt, style));
        let steps = gradient_steps(g, &der.function);
        aligned(&block(&head, &steps, style), &mut out);
    }
    out.push('\n');
    let results: Vec<(String, String)> = der
        .gradients
        .iter()
        .map(|g| {
            let lhs = format!(
                "{} = {}",
                partial(&der.function, &g.wrt, style),
                text::show(&g.result, style)
            );
            (lhs, format!("({})", shape_text(&g.shape, style)))
        })
        .collect();
    aligned(&results, &mut out);
    if let Some(c) = check {
        out.push_str(&check_line(c));
        out.push('\n');
    }
    out
}

/// A block of steps under a head (`∂L/∂X:`), continuation lines with their
/// `=` under the first line's, each with its rule: `(line, rule)` pairs.
pub(crate) fn block(head: &str, steps: &[Step], style: Style) -> Vec<(String, String)> {
    let indent = if head.is_empty() {
        String::new()
    } else {
        " ".repeat(width(head) + 1)
    };
    let mut lines = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let eq = equation(s, style);
        let prefix = match (i, head.is_empty()) {
            (0, false) => format!("{head} "),
            _ => indent.clone(),
        };
        let eq = if matches!(s.lhs, Lhs::Same) {
            // Continuation lines line up their `=` under the first line's.
            let first = steps
                .first()
                .map(|f| width(&lhs(&f.lhs, style)))
                .unwrap_or(2);
            format!("{}{}", " ".repeat(first.saturating_sub(1)), eq)
        } else {
            eq
        };
        lines.push((format!("{prefix}{eq}"), rule(&s.rule.text(style), style)));
    }
    lines
}

/// The one-line summary of a numeric check.
pub fn check_line(c: &Check) -> String {
    let sizes: Vec<String> = c.sizes.iter().map(|(d, n)| format!("{d}={n}")).collect();
    let at = if sizes.is_empty() {
        String::new()
    } else {
        format!(", sizes {}", sizes.join(" "))
    };
    format!(
        "numeric check: {} (max relative error {:.1e} over {} random points per gradient{at}, seed {})",
        if c.passed() { "passed" } else { "FAILED" },
        c.max_rel_error,
        c.trials,
        c.seed
    )
}
