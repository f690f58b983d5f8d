//! Terms as LaTeX: `G W^{\top}`, `X^{-1}`, `\odot`, `\operatorname{tr}`.

use crate::term::{Func, Term};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Sum,
    Product,
    Unary,
    Postfix,
    Atom,
}

/// The LaTeX of a variable name: Greek names as commands, `W_1` as `W_{1}`.
pub fn name(n: &str) -> String {
    let (base, sub) = match n.find('_') {
        Some(i) => (&n[..i], Some(&n[i + 1..])),
        None => {
            // A trailing run of digits is a subscript: W1 → W_{1}.
            let cut = n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            if cut > 0 && cut < n.len() {
                (&n[..cut], Some(&n[cut..]))
            } else {
                (n, None)
            }
        }
    };
    const GREEK: &[&str] = &[
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
    ];
    let base = if GREEK.contains(&base) {
        format!("\\{base}")
    } else if base == "ell" {
        "\\ell".to_string()
    } else {
        base.to_string()
    };
    match sub {
        Some(s) if !s.is_empty() => format!("{base}_{{{s}}}"),
        _ => base,
    }
}

/// The LaTeX of a term.
pub fn show(t: &Term) -> String {
    let mut out = String::new();
    write(t, &mut out);
    out
}

fn prec(t: &Term) -> Prec {
    match t {
        Term::Add(_) => Prec::Sum,
        Term::Mul(_) | Term::Scale(..) | Term::Hadamard(..) | Term::ElemDiv(..) | Term::Div(..) => {
            Prec::Product
        }
        Term::Neg(_) => Prec::Unary,
        Term::Num(n) if n.0 < 0.0 => Prec::Unary,
        Term::Transpose(_) | Term::Inverse(_) | Term::Pow(..) => Prec::Postfix,
        _ => Prec::Atom,
    }
}

fn wrap(t: &Term, min: Prec, out: &mut String) {
    if prec(t) < min {
        out.push_str("\\left(");
        write(t, out);
        out.push_str("\\right)");
    } else {
        write(t, out);
    }
}

fn write(t: &Term, out: &mut String) {
    match t {
        Term::Var(n) => out.push_str(&name(n)),
        Term::Num(n) => out.push_str(&n.to_string()),
        Term::Identity(_) => out.push('I'),
        Term::Ones(_) => out.push_str("\\mathbf{1}"),
        Term::Zero(_) => out.push('0'),
        Term::Neg(a) => {
            out.push('-');
            wrap(a, Prec::Product, out);
        }
        Term::Add(ts) => {
            for (i, t) in ts.iter().enumerate() {
                match t {
                    Term::Neg(a) if i > 0 => {
                        out.push_str(" - ");
                        wrap(a, Prec::Product, out);
                    }
                    _ => {
                        if i > 0 {
                            out.push_str(" + ");
                        }
                        wrap(t, Prec::Product, out);
                    }
                }
            }
        }
        Term::Mul(fs) => {
            for (i, f) in fs.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                // A leading scalar multiple reads without parentheses: 2 X a aᵀ.
                match f {
                    Term::Scale(..) if i == 0 => write(f, out),
                    _ => wrap(f, Prec::Postfix, out),
                }
            }
        }
        Term::Scale(c, a) => {
            wrap(c, Prec::Postfix, out);
            out.push_str(" \\, ");
            match **a {
                Term::Mul(_) | Term::Scale(..) => write(a, out),
                _ => wrap(a, Prec::Postfix, out),
            }
        }
        Term::Hadamard(a, b) => {
            wrap(a, Prec::Postfix, out);
            out.push_str(" \\odot ");
            wrap(b, Prec::Postfix, out);
        }
        Term::ElemDiv(a, b) => {
            wrap(a, Prec::Postfix, out);
            out.push_str(" \\oslash ");
            wrap(b, Prec::Postfix, out);
        }
        Term::Div(a, b) => {
            out.push_str("\\frac{");
            write(a, out);
            out.push_str("}{");
            write(b, out);
            out.push('}');
        }
        Term::Transpose(a) => match &**a {
            Term::Inverse(b) => {
                wrap(b, Prec::Atom, out);
                out.push_str("^{-\\top}");
            }
            _ => {
                wrap(a, Prec::Atom, out);
                out.push_str("^{\\top}");
            }
        },
        Term::Inverse(a) => {
            wrap(a, Prec::Atom, out);
            out.push_str("^{-1}");
        }
        Term::Pow(a, k) => {
            wrap(a, Prec::Atom, out);
            out.push_str(&format!("^{{{k}}}"));
        }
        Term::Apply(Func::Norm, a) => {
            out.push_str("\\left\\lVert ");
            write(a, out);
            out.push_str(" \\right\\rVert");
        }
        Term::Apply(f, a) => {
            out.push_str(match f {
                Func::Tr => "\\operatorname{tr}",
                Func::Det => "\\det",
                Func::Logdet => "\\log\\det",
                Func::Sum => "\\operatorname{sum}",
                Func::Diag => "\\operatorname{diag}",
                Func::Log => "\\log",
                Func::Exp => "\\exp",
                Func::Sin => "\\sin",
                Func::Cos => "\\cos",
                Func::Tanh => "\\tanh",
                Func::Sqrt => "\\operatorname{sqrt}",
                Func::Sigmoid => "\\sigma",
                Func::Relu => "\\operatorname{relu}",
                Func::Softplus => "\\operatorname{softplus}",
                Func::Step => "\\operatorname{step}",
                Func::Norm => unreachable!("handled above"),
            });
            out.push_str("\\left(");
            write(a, out);
            out.push_str("\\right)");
        }
        Term::Unknown(n, a) => {
            out.push_str(&name(n));
            out.push_str("\\left(");
            write(a, out);
            out.push_str("\\right)");
        }
        Term::Diff(a) => {
            out.push_str("\\mathrm{d}");
            if matches!(**a, Term::Var(_)) {
                write(a, out);
            } else {
                out.push_str("\\left(");
                write(a, out);
                out.push_str("\\right)");
            }
        }
    }
}

/// A derivation as a LaTeX `align*` block.
pub fn derivation(der: &crate::engine::Derivation) -> String {
    use crate::engine::Lhs;
    let f = name(&der.function);
    let lhs = |l: &Lhs| match l {
        Lhs::Differential(g) => format!("\\mathrm{{d}}{}", name(g)),
        Lhs::Same => String::new(),
        Lhs::Gradient(g, v) => format!(
            "\\Rightarrow \\frac{{\\partial {}}}{{\\partial {}}}",
            name(g),
            name(v)
        ),
    };
    let mut lines = Vec::new();
    for d in &der.definitions {
        if let Some(v) = &d.value {
            lines.push(format!("{} &= {}", name(&d.name), show(v)));
        }
    }
    for s in &der.preamble {
        lines.push(format!(
            "{} &= {} && \\text{{{}}}",
            lhs(&s.lhs),
            show(&s.expr),
            s.rule
        ));
    }
    for g in &der.gradients {
        for s in &g.steps {
            lines.push(format!(
                "{} &= {} && \\text{{{}}}",
                lhs(&s.lhs),
                show(&s.expr),
                s.rule
            ));
        }
    }
    let _ = f;
    format!(
        "\\begin{{align*}}\n{}\n\\end{{align*}}\n",
        lines.join(" \\\\\n")
    )
}
