//! `matdiff grad --method components|both`: the derivation by components,
//! alone or next to the differential one with the verdict on agreement.

use serde_json::{Value, json};

use matdiff::components::{self, Derivation};
use matdiff::engine::{self, Options};
use matdiff::numeric::{TOLERANCE, check_gradient};
use matdiff::render::{self, text::Style};
use matdiff::{Error, Problem};

use crate::cli::{Format, GradArgs, Method};

/// Random points per gradient in the numeric checks.
const TRIALS: u32 = 3;

/// The output of `grad` for `--method components` or `--method both`.
pub fn one(problem: &Problem, args: &GradArgs, batch: bool) -> Result<String, Error> {
    if !matches!(args.format, Format::Text | Format::Json) {
        return Err(Error::Usage(format!(
            "--method {} writes text or JSON, not --format {}",
            format!("{:?}", args.method).to_lowercase(),
            format!("{:?}", args.format).to_lowercase()
        )));
    }
    let seed = args.seed.unwrap_or(0);
    let style = Style {
        ascii: args.ascii,
        ..Style::default()
    };
    let comp = components::derive(problem, &args.wrt)?;
    if args.method == Method::Components {
        if !args.no_check {
            check(&comp, seed)?;
        }
        return Ok(match args.format {
            Format::Json => json_text(
                &json!({ "input": problem.source, "components": json(&comp, style) }),
                batch,
            ),
            _ => render::components::render(&comp, style),
        });
    }
    let opts = Options {
        wrt: args.wrt.clone(),
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
    Ok(match args.format {
        Format::Json => {
            let mut v = render::json::render(&der, None);
            if let Value::Object(m) = &mut v {
                m.insert("components".to_string(), json(&comp, style));
                m.insert("agree".to_string(), json!(agreement.agree()));
                m.insert("agreement".to_string(), json!(line));
            }
            json_text(&v, batch)
        }
        _ => format!(
            "by the matrix differential\n{}\n{}\n{line}\n",
            render::derivation::render(&der, None, style),
            render::components::render(&comp, style)
        ),
    })
}

fn json_text(v: &Value, batch: bool) -> String {
    if batch {
        format!("{v}\n")
    } else {
        format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
    }
}

/// The `"components"` field: per variable, the result (or none), its
/// entries in index form, and the lines of the derivation as text.
fn json(comp: &Derivation, style: Style) -> Value {
    let text = render::components::render(comp, style);
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
    json!({ "gradients": gradients, "text": text })
}

/// Every reassembled gradient against finite differences.
fn check(comp: &Derivation, seed: u64) -> Result<(), Error> {
    let p = &comp.problem;
    for g in &comp.gradients {
        let Some(result) = &g.result else { continue };
        let r = check_gradient(&p.term, &g.wrt, result, &p.env, seed, TRIALS)?;
        if !r.passed() {
            return Err(Error::CheckFailed {
                detail: format!(
                    "∂/∂{} by components: relative error {:.2e} (tolerance {TOLERANCE:.0e}, {TRIALS} points, seed {seed})",
                    g.wrt, r.max_rel_error
                ),
            });
        }
    }
    Ok(())
}
