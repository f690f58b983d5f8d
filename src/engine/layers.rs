//! Deep expressions, layer by layer: backpropagation with named intermediates.
//!
//! `L(tanh(tanh(X W1 + B1) W2 + B2) W3 + B3)` written out in one piece has
//! differentials whose text grows with the square of the depth. A person names
//! the layers instead — `Z1 = X W1 + B1`, `H1 = tanh(Z1)`, … — and passes the
//! gradient back one definition at a time: with `G_N = ∂L/∂N` known for a
//! definition `N = E`, `dL = tr(G_Nᵀ dE)` gives the gradient of every input of
//! `E` in terms of `G_N`. Each step is an ordinary small derivation, so time
//! and output grow linearly with depth.

use std::collections::BTreeMap;

use super::{Definition, Derivation, Gradient, Lhs, Options, Step, derive};
use crate::error::Result;
use crate::problem::Problem;
use crate::registry::AxisOp;
use crate::render::text::{self, Style};
use crate::shape::{Kind, Shape, VarInfo};
use crate::term::{Func, Term};

/// Nesting of layers (elementwise functions, softmax and its relatives, of
/// non-trivial arguments) from which an expression is derived layer by
/// layer. Under an unknown function a single layer is enough when its output
/// feeds further computation (a hidden layer, as in `L(tanh(X W1 + B1) W2 +
/// B2)`): written out, its value and its derivative would repeat in the
/// gradient of every input below it.
pub const LAYER_DEPTH: usize = 2;

/// The depth of nested layers applied to expressions that involve variables.
fn layer_depth(t: &Term) -> usize {
    let inner = t.children().into_iter().map(layer_depth).max().unwrap_or(0);
    match t {
        Term::Apply(f, a) if f.is_layer() && is_layer_input(a) => inner + 1,
        _ => inner,
    }
}

/// Whether `t` is itself an elementwise layer `f(E)`.
fn is_layer(t: &Term) -> bool {
    matches!(t, Term::Apply(f, a) if f.is_elementwise() && is_layer_input(a))
}

/// The depth of nested layers applied to vectors or matrices that involve
/// variables: in a loss such as `log(sum(exp(W x)))` the logarithm of a
/// scalar is no layer of a network.
fn matrix_layer_depth(t: &Term, env: &crate::shape::Env) -> usize {
    let inner = t
        .children()
        .into_iter()
        .map(|c| matrix_layer_depth(c, env))
        .max()
        .unwrap_or(0);
    match t {
        Term::Apply(f, a)
            if f.is_layer()
                && is_layer_input(a)
                && a.shape(env).is_some_and(|s| !s.is_scalar()) =>
        {
            inner + 1
        }
        _ => inner,
    }
}

/// Whether a softmax or log-softmax is applied to an expression that
/// involves variables: under an unknown function its gradient names the
/// softmax several times (attention, `L(softmax(Q Kᵀ / τ, 2) V)`), so even
/// one such layer is named (`P = softmax(Z, 2)`).
fn has_normalising_layer(t: &Term) -> bool {
    // A pre-activation is computed (`Q Kᵀ / τ`), not a variable or its transpose.
    let computed = |a: &Term| match a {
        Term::Transpose(v) => !matches!(**v, Term::Var(_)),
        a => is_layer_input(a),
    };
    t.any(&|x| {
        matches!(x, Term::Apply(f, a)
            if f.along().is_some_and(|a| a.op != AxisOp::Logsumexp) && computed(a))
    })
}

/// The name of a layer's output: `P` for probabilities (a softmax), `H` otherwise.
fn output_base(f: Func) -> &'static str {
    match f.along() {
        Some(a) if a.op == AxisOp::Softmax => "P",
        _ => "H",
    }
}

fn is_layer_input(a: &Term) -> bool {
    !matches!(a, Term::Var(_)) && !a.variables().is_empty()
}

/// `t` with the named intermediates of `bindings` (`Z1 = X W1`,
/// `G_Z1 = …`) written out, each by its value with its own intermediates
/// written out: the gradient as one expression of the inputs.
pub fn written_out(t: &Term, bindings: &[(String, Term)]) -> Term {
    fn go(t: &Term, bindings: &[(String, Term)], depth: usize) -> Term {
        match t {
            Term::Var(n) if depth < 64 => match bindings.iter().find(|(b, _)| b == n) {
                Some((_, v)) => go(v, bindings, depth + 1),
                None => t.clone(),
            },
            _ => t.map_children(|c| go(c, bindings, depth)),
        }
    }
    go(t, bindings, 0)
}

/// A free name `{base}{k}` (or `{base}_{k}` if that is taken).
fn fresh(base: &str, k: usize, problem: &Problem) -> String {
    let plain = format!("{base}{k}");
    if problem.env.get(&plain).is_none() {
        return plain;
    }
    (0..)
        .map(|i| {
            if i == 0 {
                format!("{base}_{k}")
            } else {
                format!("{base}_{k}_{i}")
            }
        })
        .find(|n| problem.env.get(n).is_none())
        .expect("a free name")
}

/// Replaces every layer `f(E)` by a name `Hk` (`Pk` for a softmax), after
/// naming its argument `Zk`; returns the rewritten term. `defs` receives the
/// definitions in evaluation order.
fn name_layers(t: &Term, problem: &Problem, defs: &mut Vec<(String, Term)>) -> Term {
    let rebuilt = t.map_children(|c| name_layers(c, problem, defs));
    match &rebuilt {
        Term::Apply(f, a) if f.is_layer() && is_layer_input(a) => {
            let k = defs.len() / 2 + 1;
            let z = fresh("Z", k, problem);
            let h = fresh(output_base(*f), k, problem);
            defs.push((z.clone(), (**a).clone()));
            defs.push((h.clone(), Term::Apply(*f, Box::new(Term::Var(z)))));
            Term::Var(h)
        }
        _ => rebuilt,
    }
}

/// Renames variables.
fn rename(t: &Term, names: &BTreeMap<String, String>) -> Term {
    match t {
        Term::Var(n) => Term::Var(names.get(n).cloned().unwrap_or_else(|| n.clone())),
        _ => t.map_children(|c| rename(c, names)),
    }
}

/// Writes every subterm equal to a definition's value as the definition's name.
fn fold(t: &Term, defs: &[(String, Term)]) -> Term {
    let t = t.map_children(|c| fold(c, defs));
    match defs.iter().find(|(_, v)| *v == t) {
        Some((name, _)) => Term::Var(name.clone()),
        None => t,
    }
}

fn sum(mut ts: Vec<Term>) -> Term {
    if ts.len() == 1 {
        ts.pop().expect("one term")
    } else {
        Term::Add(ts)
    }
}

/// The derivation of `problem` layer by layer: an unknown function of an
/// expression with at least [`LAYER_DEPTH`] nested layers or with a softmax
/// layer, or a scalar expression without unknown functions (a loss such as
/// `−sum(Y ⊙ logsoftmax(W2 relu(W1 X)))`) with at least [`LAYER_DEPTH`]
/// nested layers.
pub fn derive_layered(
    problem: &Problem,
    opts: &Options,
    wrt: &[String],
) -> Option<Result<Derivation>> {
    match &problem.term {
        Term::Unknown(function, arg) => {
            let depth = layer_depth(arg);
            let hidden = depth == 1 && !is_layer(arg);
            if depth < LAYER_DEPTH && !hidden && !has_normalising_layer(arg) {
                return None;
            }
            Some(run(problem, Some(function), arg, opts, wrt))
        }
        t => {
            if matrix_layer_depth(t, &problem.env) < LAYER_DEPTH
                || t.any(&|x| matches!(x, Term::Unknown(..)))
            {
                return None;
            }
            Some(run(problem, None, t, opts, wrt))
        }
    }
}

/// Layer names without numbers when there is one layer (`Z`, `P`), as in
/// `Z = Q Kᵀ / τ`, `P = softmax(Z, 2)`, if those names are free: the
/// renaming, or `None`.
fn unnumbered(forward: &[(String, Term)], problem: &Problem) -> Option<BTreeMap<String, String>> {
    if forward.len() != 2 {
        return None;
    }
    let mut names = BTreeMap::new();
    for (n, _) in forward {
        let plain = n.strip_suffix('1')?.to_string();
        if plain.is_empty() || problem.env.get(&plain).is_some() {
            return None;
        }
        names.insert(n.clone(), plain);
    }
    Some(names)
}

/// `unknown` is the unknown function `L` of `L(arg)`, or `None` when `arg`
/// is the whole (scalar) expression.
fn run(
    problem: &Problem,
    unknown: Option<&String>,
    arg: &Term,
    opts: &Options,
    wrt: &[String],
) -> Result<Derivation> {
    let mut forward = Vec::new();
    let mut top = name_layers(arg, problem, &mut forward);
    if let Some(names) = unnumbered(&forward, problem) {
        for (n, v) in forward.iter_mut() {
            *v = rename(v, &names);
            *n = names[n].clone();
        }
        top = rename(&top, &names);
    }
    // Without an unknown function the expression is `f` itself, and its
    // node has no gradient symbol: dF is derived directly.
    let function = unknown.map_or("f", |s| s.as_str());
    let y = if unknown.is_none() {
        // Never a variable name: it does not appear in the output.
        "\u{0}f".to_string()
    } else {
        let y = fresh("Y", 0, problem).trim_end_matches('0').to_string();
        if problem.env.get(&y).is_none() {
            y
        } else {
            fresh("Y", 0, problem)
        }
    };
    let g = super::gradient_symbol(function);

    let mut env = problem.env.clone();
    for (name, value) in &forward {
        let shape = value.shape(&env).unwrap_or_else(Shape::scalar);
        env.vars.insert(
            name.clone(),
            VarInfo {
                kind: Kind::Matrix,
                shape,
                symmetric: false,
            },
        );
    }
    let yshape = top.shape(&env).unwrap_or_else(Shape::scalar);
    if unknown.is_some() {
        env.vars.insert(
            g.clone(),
            VarInfo {
                kind: Kind::Matrix,
                shape: yshape.clone(),
                symmetric: false,
            },
        );
    }

    let mut definitions: Vec<Definition> = forward
        .iter()
        .map(|(n, v)| Definition {
            name: n.clone(),
            value: Some(v.clone()),
            meaning: None,
            shape: env.shape(n).cloned().unwrap_or_else(Shape::scalar),
        })
        .collect();
    if unknown.is_some() {
        definitions.push(Definition {
            name: y.clone(),
            value: Some(top.clone()),
            meaning: None,
            shape: yshape.clone(),
        });
        definitions.push(Definition {
            name: g.clone(),
            value: None,
            meaning: Some(super::Meaning::Gradient {
                function: function.to_string(),
                at: Term::var(&y),
            }),
            shape: yshape,
        });
    }

    // Nodes in evaluation order; the pass goes backwards.
    let mut nodes: Vec<(String, Term)> = forward.clone();
    nodes.push((y.clone(), top));
    let intermediate = |n: &str| nodes.iter().any(|(m, _)| m == n);
    let mut grad_name: BTreeMap<String, String> = BTreeMap::new();
    grad_name.insert(y.clone(), g.clone());
    let mut contributions: BTreeMap<String, Vec<(Term, Vec<Step>)>> = BTreeMap::new();
    let mut bindings: Vec<(String, Term)> = forward.clone();
    let mut backprop = Vec::new();
    let mut stats = Vec::new();
    let mut preamble = Vec::new();

    for (name, value) in nodes.iter().rev() {
        let Some(gn) = grad_name.get(name).cloned() else {
            continue; // nothing depends on this node
        };
        if name != &y {
            // Gather this node's gradient from the nodes that use it.
            let parts = contributions.remove(name).unwrap_or_default();
            let (terms, steps): (Vec<Term>, Vec<Vec<Step>>) = parts.into_iter().unzip();
            let total = sum(terms);
            bindings.push((gn.clone(), total.clone()));
            let shape = env.shape(name).cloned().unwrap_or_else(Shape::scalar);
            // The gradient is a named intermediate too: renderers read its shape.
            env.vars.insert(
                gn.clone(),
                VarInfo {
                    kind: Kind::Matrix,
                    shape: shape.clone(),
                    symmetric: false,
                },
            );
            backprop.push(Gradient {
                wrt: name.clone(),
                shape,
                result: total,
                steps: steps.concat(),
            });
            definitions.push(Definition {
                name: gn.clone(),
                value: None,
                meaning: Some(super::Meaning::Gradient {
                    function: function.to_string(),
                    at: Term::var(name),
                }),
                shape: env.shape(name).cloned().unwrap_or_else(Shape::scalar),
            });
        }
        let inputs: Vec<String> = value
            .variables_in_order()
            .into_iter()
            .filter(|v| intermediate(v) || wrt.contains(v))
            .collect();
        if inputs.is_empty() {
            continue;
        }
        // dL = tr(G_Nᵀ dN) with dN from N = value: an ordinary derivation of L(value).
        // Only the node's own variables: the sub-derivation copies its
        // environment into every e-graph it runs.
        let mut sub_env = crate::shape::Env::default();
        for v in value.variables() {
            if let Some(info) = env.get(&v) {
                sub_env.vars.insert(v, info.clone());
            }
        }
        // The expression itself, at the top of a loss without L: df directly.
        let direct = name == &y && unknown.is_none();
        let sub = Problem {
            notes: Vec::new(),
            source: text::show(value, Style::default()),
            term: if direct {
                value.clone()
            } else {
                Term::Unknown("L".to_string(), Box::new(value.clone()))
            },
            env: sub_env,
            shape: Shape::scalar(),
        };
        let sub_opts = Options {
            wrt: inputs.clone(),
            ..opts.clone()
        };
        let der = derive(&sub, &sub_opts)?;
        stats.extend(der.stats);
        let sub_y = der
            .definitions
            .iter()
            .find(|d| d.value.is_some())
            .map(|d| d.name.clone())
            .unwrap_or_default();
        let names: BTreeMap<String, String> =
            [("G".to_string(), gn.clone()), (sub_y, name.clone())]
                .into_iter()
                .collect();
        let fix = |s: &Step| Step {
            lhs: match &s.lhs {
                Lhs::Gradient(_, v) => Lhs::Gradient(function.to_string(), v.clone()),
                Lhs::Differential(f) if f == "L" => Lhs::Differential(function.to_string()),
                other => other.clone(),
            },
            expr: fold(&rename(&s.expr, &names), &forward),
            rule: s.rule.clone(),
        };
        // The node's own differential, dN = …, once (df = … at the top of
        // a loss without L).
        if direct {
            if let Some(df) = der.preamble.first() {
                preamble.push(Step {
                    lhs: Lhs::Differential(function.to_string()),
                    ..fix(df)
                });
            }
        } else if let Some(dn) = der.preamble.get(1) {
            preamble.push(Step {
                lhs: Lhs::Differential(name.clone()),
                ..fix(dn)
            });
        }
        for (input, grad) in inputs.iter().zip(&der.gradients) {
            let result = fold(&rename(&grad.result, &names), &forward);
            let steps: Vec<Step> = grad.steps.iter().map(fix).collect();
            if intermediate(input) {
                grad_name
                    .entry(input.clone())
                    .or_insert_with(|| format!("G_{input}"));
            }
            contributions
                .entry(input.clone())
                .or_default()
                .push((result, steps));
        }
    }

    let mut gradients = Vec::new();
    for v in wrt {
        let shape = problem.env.shape(v).cloned().unwrap_or_else(Shape::scalar);
        let parts = contributions.remove(v).unwrap_or_default();
        if parts.is_empty() {
            let zero = if shape.is_scalar() {
                Term::num(0.0)
            } else {
                Term::Zero(shape.clone())
            };
            gradients.push(Gradient {
                wrt: v.clone(),
                shape,
                result: zero,
                steps: vec![],
            });
            continue;
        }
        let (terms, steps): (Vec<Term>, Vec<Vec<Step>>) = parts.into_iter().unzip();
        gradients.push(Gradient {
            wrt: v.clone(),
            shape,
            result: sum(terms),
            steps: steps.concat(),
        });
    }
    if unknown.is_some() {
        preamble.insert(
            0,
            Step {
                lhs: Lhs::Differential(function.to_string()),
                expr: Term::Apply(
                    crate::term::Func::Tr,
                    Box::new(Term::Mul(vec![
                        Term::Transpose(Box::new(Term::var(&g))),
                        Term::Diff(Box::new(Term::var(&y))),
                    ])),
                ),
                rule: super::Why::Rule("d-unknown"),
            },
        );
    }
    let mut problem = problem.clone();
    problem.env = env;
    Ok(Derivation {
        problem,
        function: function.to_string(),
        definitions,
        preamble,
        gradients,
        backprop,
        bindings,
        stats,
    })
}
