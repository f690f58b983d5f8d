//! A derivation by components as text, laid out like the differential
//! method's: the introduced symbols, the index form, then one block per
//! variable with each line's rule aligned on the right; and the line that
//! says whether the two methods agree.

use crate::components::notation::{self, Names};
use crate::components::{Agreement, Component, Derivation, Lhs, Rhs, Step};
use crate::render::text::{self, Style};
use crate::shape::Shape;

fn shape_text(s: &Shape) -> String {
    if s.is_scalar() {
        "scalar".to_string()
    } else {
        s.to_string()
    }
}

fn d(style: Style) -> &'static str {
    if style.ascii { "d" } else { "∂" }
}

fn entry(c: &Component, names: &Names, style: Style) -> String {
    if c.idx.is_empty() && c.name.chars().next().is_some_and(|ch| ch.is_uppercase()) {
        // A scalar function or result keeps its name: L, not l.
        return text::name(&c.name, style);
    }
    names.component(&c.name, &c.idx, style)
}

fn partial(f: &Component, v: &Component, names: &Names, style: Style) -> String {
    format!(
        "{}{}/{}{}",
        d(style),
        entry(f, names, style),
        d(style),
        entry(v, names, style)
    )
}

fn gradient(f: &str, v: &str, style: Style) -> String {
    format!(
        "{}{}/{}{}",
        d(style),
        text::name(f, style),
        d(style),
        text::name(v, style)
    )
}

fn lhs(l: &Lhs, names: &Names, style: Style) -> String {
    match l {
        Lhs::Entry(c) => format!("{} =", entry(c, names, style)),
        Lhs::Partial(f, v) => format!("{} =", partial(f, v, names, style)),
        Lhs::Same => "=".to_string(),
        Lhs::Gradient(f, v) => format!(
            "{} {} =",
            if style.ascii { "=>" } else { "⇒" },
            gradient(f, v, style)
        ),
    }
}

fn rhs(r: &Rhs, names: &Names, style: Style) -> String {
    match r {
        Rhs::Index(e) => notation::show(e, names, style),
        Rhs::Chain {
            sums,
            outer,
            of,
            by,
        } => {
            let sum = if sums.is_empty() {
                String::new()
            } else {
                format!("{} ", notation::sigma(sums, style))
            };
            format!(
                "{sum}{} {}",
                entry(outer, names, style),
                partial(of, by, names, style)
            )
        }
        Rhs::Entry(t, idx) => format!("({}){}", text::show(t, style), notation::subscript(idx)),
        Rhs::Matrix(t) => text::show(t, style),
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn aligned(lines: &[(String, String)], out: &mut String) {
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
            out.push_str(&" ".repeat(col.saturating_sub(width(l)).max(2)));
            out.push_str(r);
        }
        out.push('\n');
    }
}

fn rule(s: &Step, style: Style) -> String {
    if style.ascii {
        s.rule
            .replace('∂', "d")
            .replace('δ', "delta")
            .replace('Σ', "sum")
    } else {
        s.rule.clone()
    }
}

/// The derivation as text.
pub fn render(der: &Derivation, style: Style) -> String {
    let names = &der.names;
    let p = &der.problem;
    let mut out = String::new();
    let shapes: Vec<String> = p
        .term
        .variables_in_order()
        .iter()
        .filter_map(|v| {
            p.env
                .get(v)
                .map(|i| format!("{}: {}", text::name(v, style), shape_text(&i.shape)))
        })
        .collect();
    if p.source.contains("where") {
        out.push_str(&format!("{}\n", p.source));
    } else {
        out.push_str(&format!("{}    where {}\n", p.source, shapes.join(", ")));
    }
    out.push_str("by components (index notation); a gradient has the shape of its variable\n");
    let mut defs: Vec<String> = Vec::new();
    for def in &der.definitions {
        let name = text::name(&def.name, style);
        match &def.value {
            Some(v) => defs.push(format!("{name} = {}", text::show(v, style))),
            None => {
                let meaning = def
                    .meaning
                    .as_ref()
                    .map(|m| m.text(style))
                    .unwrap_or_default();
                defs.push(format!("{name} = {meaning} ({})", shape_text(&def.shape)));
            }
        }
    }
    if let Some(y) = der.definitions.iter().find(|x| x.value.is_some())
        && let Some(g) = der.definitions.iter().find(|x| x.value.is_none())
        && let Some(Step {
            lhs: Lhs::Entry(c), ..
        }) = der.preamble.first()
    {
        let gc = Component {
            name: g.name.clone(),
            idx: c.idx.clone(),
        };
        let fc = Component {
            name: der.function.clone(),
            idx: vec![],
        };
        let yc = Component {
            name: y.name.clone(),
            idx: c.idx.clone(),
        };
        defs.push(format!(
            "{} = {}",
            entry(&gc, names, style),
            partial(&fc, &yc, names, style)
        ));
    }
    if !defs.is_empty() {
        out.push_str(&defs.join(",  "));
        out.push('\n');
    }
    let ranges: Vec<String> = der
        .ranges
        .iter()
        .map(|(i, dim)| {
            if style.ascii {
                format!("{i} = 1..{dim}")
            } else {
                format!("{i} = 1…{dim}")
            }
        })
        .collect();
    let pre: Vec<(String, String)> = der
        .preamble
        .iter()
        .map(|s| {
            let mut r = rule(s, style);
            if !ranges.is_empty() {
                r = format!("{r} ({})", ranges.join(", "));
            }
            (
                format!(
                    "{} {}",
                    lhs(&s.lhs, names, style),
                    rhs(&s.rhs, names, style)
                ),
                r,
            )
        })
        .collect();
    aligned(&pre, &mut out);
    for g in &der.gradients {
        out.push('\n');
        let head = format!("{}:", gradient(&der.function, &g.wrt, style));
        let indent = " ".repeat(width(&head) + 1);
        let mut lines = Vec::new();
        let mut first_lhs: usize = 2;
        for (i, s) in g.steps.iter().enumerate() {
            let l = lhs(&s.lhs, names, style);
            let eq = if matches!(s.lhs, Lhs::Same) {
                // Continuation lines put their `=` under the previous `=`.
                format!("{}{l}", " ".repeat(first_lhs.saturating_sub(1)))
            } else {
                first_lhs = width(&l);
                l
            };
            let prefix = if i == 0 {
                format!("{head} ")
            } else {
                indent.clone()
            };
            lines.push((
                format!("{prefix}{eq} {}", rhs(&s.rhs, names, style)),
                rule(s, style),
            ));
        }
        if let Some(why) = &g.unassembled {
            lines.push((
                format!(
                    "{indent}{} has no matrix form here: {why}",
                    gradient(&der.function, &g.wrt, style)
                ),
                String::new(),
            ));
            lines.push((
                format!("{indent}its entries are the index form above"),
                String::new(),
            ));
        }
        aligned(&lines, &mut out);
    }
    out.push('\n');
    for g in &der.gradients {
        let value = match &g.result {
            Some(t) => text::show(t, style),
            None => {
                let c = Component {
                    name: der.function.clone(),
                    idx: vec![],
                };
                let v = Component {
                    name: g.wrt.clone(),
                    idx: g.idx.clone(),
                };
                format!(
                    "(entries) {} = {}",
                    partial(&c, &v, names, style),
                    notation::show(&g.entries, names, style)
                )
            }
        };
        out.push_str(&format!(
            "{} = {}    ({})\n",
            gradient(&der.function, &g.wrt, style),
            value,
            shape_text(&g.shape)
        ));
    }
    // Shapes and rule formulas are written once in Unicode; ASCII output
    // spells them in the input language (`n×m` → `nxm`, `f′` → `f'`).
    if style.ascii { text::ascii(&out) } else { out }
}

/// The last line of `--method both`.
pub fn agreement_line(a: &Agreement, function: &str, style: Style) -> String {
    let list = |f: &dyn Fn(&crate::components::Verdict) -> bool| {
        a.verdicts
            .iter()
            .filter(|v| f(v))
            .map(|v| gradient(function, &v.wrt, style))
            .collect::<Vec<_>>()
    };
    let worst = a
        .verdicts
        .iter()
        .filter_map(|v| v.numeric.as_ref())
        .map(|c| c.max_rel_difference)
        .fold(0.0_f64, f64::max);
    let trials = a
        .verdicts
        .iter()
        .filter_map(|v| v.numeric.as_ref())
        .map(|c| c.trials)
        .max()
        .unwrap_or(0);
    let symbolic = list(&|v| v.symbolic);
    let sym = if symbolic.is_empty() {
        "none symbolically".to_string()
    } else if symbolic.len() == a.verdicts.len() {
        "all symbolically".to_string()
    } else {
        format!("symbolically {}", symbolic.join(", "))
    };
    let numbers = format!(
        "max relative difference {worst:.1e} over {trials} random points, seed {}",
        a.seed
    );
    if a.agree() {
        format!("both methods agree: {sym}, all numerically ({numbers})")
    } else {
        // A result without a matrix form cannot be compared; that is not a
        // disagreement.
        let bad = list(&|v| v.numeric.is_some() && !v.agree());
        let unassembled = list(&|v| v.numeric.is_none());
        let rest = if bad.is_empty() {
            format!("the others agree ({numbers})")
        } else {
            format!("the methods DISAGREE on {} ({numbers})", bad.join(", "))
        };
        if unassembled.is_empty() {
            rest
        } else {
            format!(
                "the methods cannot be compared on {}: no matrix form by components; {rest}",
                unassembled.join(", ")
            )
        }
    }
}
