//! Terms as LaTeX: `G W^{\top}`, `X^{-1}`, `\odot`, `\operatorname{tr}`.

use crate::engine::jacobian::Layout;
use crate::engine::{Derivation, Lhs, Step};
use crate::render::derivation::gradient_steps;
use crate::term::{Func, Term};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Sum,
    Kron,
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
        "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
        "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
        "Omega",
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
        Term::Num(n) => match n.scientific() {
            Some((m, _)) if m == "1" => Prec::Postfix,
            Some(_) => Prec::Product,
            None => Prec::Atom,
        },
        Term::Transpose(_) | Term::Inverse(_) | Term::Pow(..) | Term::EPow(..) => Prec::Postfix,
        Term::Kron(..) => Prec::Kron,
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
        Term::Kron(a, b) => {
            wrap(a, Prec::Kron, out);
            out.push_str(" \\otimes ");
            wrap(b, Prec::Product, out);
        }
        Term::VecOf(a) => {
            out.push_str("\\operatorname{vec}\\left(");
            write(a, out);
            out.push_str("\\right)");
        }
        Term::Commutation(m, n) => out.push_str(&format!("K_{{{m},{n}}}")),
        Term::Var(n) => out.push_str(&name(n)),
        Term::Num(n) => match n.scientific() {
            Some((m, e)) if m == "1" => out.push_str(&format!("10^{{{e}}}")),
            Some((m, e)) if m == "-1" => out.push_str(&format!("-10^{{{e}}}")),
            Some((m, e)) => out.push_str(&format!("{m} \\cdot 10^{{{e}}}")),
            None => out.push_str(&n.to_string()),
        },
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
                        wrap(a, Prec::Kron, out);
                    }
                    _ => {
                        if i > 0 {
                            out.push_str(" + ");
                        }
                        wrap(t, Prec::Kron, out);
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
        Term::EPow(a, q) => {
            // The Hadamard power A^{∘p}.
            wrap(a, Prec::Atom, out);
            out.push_str(&format!("^{{\\circ {q}}}"));
        }
        Term::Apply(Func::Norm, a) => {
            out.push_str("\\left\\lVert ");
            write(a, out);
            out.push_str(" \\right\\rVert");
        }
        Term::Apply(f, a) => {
            out.push_str(f.spec().latex);
            out.push_str("\\left(");
            write(a, out);
            if f.axis() == Some(crate::registry::Axis::Rows) {
                out.push_str(",\\, 2");
            }
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

/// Text for `\text{…}`: LaTeX's special characters escaped, and the
/// mathematics written in Unicode inside rule names (`d(Aᵀ) = (dA)ᵀ`,
/// `A⁻¹`, `⊙`, `∂`) switched to inline math, so that `pdflatex` accepts it.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(first) = superscript(c) {
            let mut run = String::from(first);
            while let Some(r) = chars.peek().and_then(|&n| superscript(n)) {
                run.push_str(r);
                chars.next();
            }
            out.push_str(&format!("$^{{{run}}}$"));
            continue;
        }
        match c {
            '\\' => out.push_str(r"\textbackslash{}"),
            '{' | '}' | '_' | '#' | '&' | '%' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str(r"\^{}"),
            '~' => out.push_str(r"\~{}"),
            '<' => out.push_str("$<$"),
            '>' => out.push_str("$>$"),
            '|' => out.push_str(r"$\vert$"),
            c if c.is_ascii() => out.push(c),
            '−' => out.push_str("$-$"),
            '⊙' => out.push_str(r"$\odot$"),
            '⊗' => out.push_str(r"$\otimes$"),
            '⊘' => out.push_str(r"$\oslash$"),
            '∂' => out.push_str(r"$\partial$"),
            '⇒' => out.push_str(r"$\Rightarrow$"),
            '×' => out.push_str(r"$\times$"),
            '·' => out.push_str(r"$\cdot$"),
            '‖' => out.push_str(r"$\Vert$"),
            '𝟙' => out.push_str(r"$\mathbf{1}$"),
            '…' => out.push_str(r"\dots{}"),
            'Σ' => out.push_str(r"$\Sigma$"),
            c => match crate::render::text::greek_name(c) {
                Some(g) => out.push_str(&format!("$\\{g}$")),
                None => out.push('?'),
            },
        }
    }
    out
}

/// The LaTeX of a superscript character (`ᵀ` → `\top`).
fn superscript(c: char) -> Option<&'static str> {
    Some(match c {
        'ᵀ' => r"\top",
        '⁻' => "-",
        '⁰' => "0",
        '¹' => "1",
        '²' => "2",
        '³' => "3",
        '⁴' => "4",
        '⁵' => "5",
        '⁶' => "6",
        '⁷' => "7",
        '⁸' => "8",
        '⁹' => "9",
        _ => return None,
    })
}

/// The left-hand side of a step, without its `=`: `\mathrm{d}L`,
/// `\Rightarrow \frac{\partial L}{\partial X}`, or nothing for a continuation.
pub fn lhs(l: &Lhs) -> String {
    match l {
        Lhs::Differential(g) => format!("\\mathrm{{d}}{}", name(g)),
        Lhs::Same => String::new(),
        Lhs::Gradient(g, v) => format!(
            "\\Rightarrow \\frac{{\\partial {}}}{{\\partial {}}}",
            name(g),
            name(v)
        ),
        Lhs::Vec(inner) => format!("\\operatorname{{vec}}\\left({}\\right)", lhs(inner)),
        Lhs::Jacobian {
            function,
            var,
            layout,
        } => format!("\\Rightarrow {}", jacobian(function, var, *layout)),
        Lhs::Hessian {
            function,
            rows,
            cols,
            layout,
        } => format!("\\Rightarrow {}", hessian(function, rows, cols, *layout)),
        Lhs::SecondDifferential(f) => format!("\\mathrm{{d}}^2 {}", name(f)),
        Lhs::GradientDifferential { function, var } => format!(
            "\\mathrm{{d}}\\left(\\frac{{\\partial {}}}{{\\partial {}}}\\right)",
            name(function),
            name(var)
        ),
        Lhs::Applied {
            name: what,
            direction,
        } => {
            // `dF` is the differential of F.
            let what = match what.strip_prefix('d') {
                Some(f) if !f.is_empty() => format!("\\mathrm{{d}}{}", name(f)),
                _ => name(what),
            };
            format!("{what}[{}]", name(direction))
        }
    }
}

/// `\frac{\partial F}{\partial x^{\top}}` or the same of the vectorizations.
pub fn jacobian(f: &str, v: &str, layout: Layout) -> String {
    match layout {
        Layout::Columns => format!(
            "\\frac{{\\partial {}}}{{\\partial {}^{{\\top}}}}",
            name(f),
            name(v)
        ),
        Layout::Vec => format!(
            "\\frac{{\\partial \\operatorname{{vec}} {}}}{{\\partial (\\operatorname{{vec}} {})^{{\\top}}}}",
            name(f),
            name(v)
        ),
    }
}

/// `\frac{\partial^2 f}{\partial x \, \partial x^{\top}}` or the same of the vectorizations.
pub fn hessian(f: &str, rows: &str, cols: &str, layout: Layout) -> String {
    match layout {
        Layout::Columns => format!(
            "\\frac{{\\partial^2 {}}}{{\\partial {} \\, \\partial {}^{{\\top}}}}",
            name(f),
            name(rows),
            name(cols)
        ),
        Layout::Vec => format!(
            "\\frac{{\\partial^2 {}}}{{\\partial \\operatorname{{vec}} {} \\, \\partial (\\operatorname{{vec}} {})^{{\\top}}}}",
            name(f),
            name(rows),
            name(cols)
        ),
    }
}

/// A step as one equation, `\mathrm{d}L = \operatorname{tr}\left(G^{\top} \mathrm{d}Y\right)`.
pub fn equation(s: &Step) -> String {
    let l = lhs(&s.lhs);
    if l.is_empty() {
        format!("= {}", show(&s.expr))
    } else {
        format!("{l} = {}", show(&s.expr))
    }
}

/// A derivation as a LaTeX `align*` block (needs `amsmath`): the introduced
/// symbols, the shared differential, then each gradient's steps with their
/// rules in a second column, each block ending in its result.
pub fn derivation(der: &Derivation) -> String {
    let mut lines = Vec::new();
    for d in &der.definitions {
        let rhs = match &d.value {
            Some(v) => show(v),
            None => d.meaning.as_ref().map(|m| m.latex()).unwrap_or_default(),
        };
        lines.push(format!("{} &= {}", name(&d.name), rhs));
    }
    // Line breaks: a little space before each gradient's block.
    let mut breaks = vec![" \\\\\n"; lines.len()];
    let step = |s: &Step| {
        format!(
            "{} &= {} && \\text{{{}}}",
            lhs(&s.lhs),
            show(&s.expr),
            s.rule.latex()
        )
    };
    lines.extend(der.preamble.iter().map(step));
    breaks.resize(lines.len(), " \\\\\n");
    for g in &der.gradients {
        if let Some(b) = breaks.last_mut() {
            *b = " \\\\[1ex]\n";
        }
        lines.extend(gradient_steps(g, &der.function).iter().map(step));
        breaks.resize(lines.len(), " \\\\\n");
    }
    let mut body = String::new();
    for (i, l) in lines.iter().enumerate() {
        body.push_str(l);
        if i + 1 < lines.len() {
            body.push_str(breaks[i]);
        }
    }
    format!("\\begin{{align*}}\n{body}\n\\end{{align*}}\n")
}
