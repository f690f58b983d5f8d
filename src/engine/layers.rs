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
use crate::render::text::{self, Style};
use crate::shape::{Kind, Shape, VarInfo};
use crate::term::Term;

/// Nesting of elementwise functions (of non-trivial arguments) from which an
/// expression is derived layer by layer. A single layer is enough when its
/// output feeds further computation (a hidden layer, as in
/// `L(tanh(X W1 + B1) W2 + B2)`): written out, its value and its
/// derivative would repeat in the gradient of every input below it.
pub const LAYER_DEPTH: usize = 2;

/// The depth of nested elementwise functions applied to expressions that
/// involve variables.
fn layer_depth(t: &Term) -> usize {
    let inner = t.children().into_iter().map(layer_depth).max().unwrap_or(0);
    match t {
        Term::Apply(f, a) if f.is_elementwise() && is_layer_input(a) => inner + 1,
        _ => inner,
    }
}

/// Whether `t` is itself an elementwise layer `f(E)`.
fn is_layer(t: &Term) -> bool {
    matches!(t, Term::Apply(f, a) if f.is_elementwise() && is_layer_input(a))
}

/// `t` with the named intermediates of `bindings` (in evaluation order)
/// written out: a term over the original variables only, for comparing a
/// layered gradient with one that has no names.
pub fn inline(t: &Term, bindings: &[(String, Term)]) -> Term {
    bindings.iter().rev().fold(t.clone(), |acc, (name, value)| {
        substitute(&acc, name, value)
    })
}

fn substitute(t: &Term, name: &str, value: &Term) -> Term {
    match t {
        Term::Var(n) if n == name => value.clone(),
        _ if !t.mentions(name) => t.clone(),
        _ => t.map_children(|c| substitute(c, name, value)),
    }
}

fn is_layer_input(a: &Term) -> bool {
    !matches!(a, Term::Var(_)) && !a.variables().is_empty()
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

/// Replaces every elementwise layer `f(E)` by a name `Hk`, after naming its
/// argument `Zk`; returns the rewritten term. `defs` receives the definitions
/// in evaluation order.
fn name_layers(t: &Term, problem: &Problem, defs: &mut Vec<(String, Term)>) -> Term {
    let rebuilt = t.map_children(|c| name_layers(c, problem, defs));
    match &rebuilt {
        Term::Apply(f, a) if f.is_elementwise() && is_layer_input(a) => {
            let k = defs.len() / 2 + 1;
            let z = fresh("Z", k, problem);
            let h = fresh("H", k, problem);
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

/// The derivation of `problem` layer by layer, when it is an unknown function
/// of an expression with at least [`LAYER_DEPTH`] nested elementwise layers.
pub fn derive_layered(
    problem: &Problem,
    opts: &Options,
    wrt: &[String],
) -> Option<Result<Derivation>> {
    let Term::Unknown(function, arg) = &problem.term else {
        return None;
    };
    let depth = layer_depth(arg);
    let hidden = depth == 1 && !is_layer(arg);
    if depth < LAYER_DEPTH && !hidden {
        return None;
    }
    Some(run(problem, function, arg, opts, wrt))
}

fn run(
    problem: &Problem,
    function: &str,
    arg: &Term,
    opts: &Options,
    wrt: &[String],
) -> Result<Derivation> {
    let mut forward = Vec::new();
    let top = name_layers(arg, problem, &mut forward);
    let y = fresh("Y", 0, problem).trim_end_matches('0').to_string();
    let y = if problem.env.get(&y).is_none() {
        y
    } else {
        fresh("Y", 0, problem)
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
    env.vars.insert(
        g.clone(),
        VarInfo {
            kind: Kind::Matrix,
            shape: yshape.clone(),
            symmetric: false,
        },
    );

    let mut definitions: Vec<Definition> = forward
        .iter()
        .map(|(n, v)| Definition {
            name: n.clone(),
            value: Some(v.clone()),
            meaning: None,
            shape: env.shape(n).cloned().unwrap_or_else(Shape::scalar),
        })
        .collect();
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
            // Its shape, for the code generators and the checks.
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
        let sub = Problem {
            notes: Vec::new(),
            source: text::show(value, Style::default()),
            term: Term::Unknown("L".to_string(), Box::new(value.clone())),
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
        // The node's own differential, dN = …, once.
        if let Some(dn) = der.preamble.get(1) {
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
