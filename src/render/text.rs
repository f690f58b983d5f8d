//! Terms as mathematics in plain text: Unicode (`G Wᵀ`, `X⁻¹`, `⊙`) or ASCII
//! (`G W^T`, `X^-1`, `.*`).

use crate::term::{Func, Number, Term};

/// Text style.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Plain ASCII instead of Unicode.
    pub ascii: bool,
    /// How rule names are set off from the mathematics (the command line
    /// dims them on a terminal); `None` writes them plainly. The library
    /// knows nothing of terminals.
    pub dim: Option<fn(&str) -> String>,
}

/// Binding strength, loosest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Sum,
    /// `⊗` binds looser than the other products: `A C ⊗ B D` is `(AC) ⊗ (BD)`.
    Kron,
    Product,
    Unary,
    Postfix,
    Atom,
}

/// The display name of a variable: Greek names as Greek letters.
pub fn name(n: &str, style: Style) -> String {
    if style.ascii {
        return n.to_string();
    }
    let (base, rest) = match n.find('_') {
        Some(i) => (&n[..i], &n[i..]),
        None => (n, ""),
    };
    let greek = match base {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "ell" => "ℓ",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Upsilon" => "Υ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        _ => return n.to_string(),
    };
    format!("{greek}{rest}")
}

/// The ASCII form of mathematical text written with Unicode symbols, for
/// strings that are not terms (rule names such as `d(Aᵀ) = (dA)ᵀ`, the
/// meaning `∂L/∂Y` of a symbol, shapes `n×m`): a run of superscripts becomes
/// `^…` (`A⁻¹` → `A^-1`, `Aᵀ` → `A^T`), Greek letters their names, and every
/// other symbol its spelling in the input language.
pub fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if superscript(c).is_some() {
            out.push('^');
            let mut run = String::new();
            run.push_str(superscript(c).unwrap_or_default());
            while let Some(r) = chars.peek().and_then(|&n| superscript(n)) {
                run.push_str(r);
                chars.next();
            }
            if run.len() > 1 && chars.peek().is_some_and(|n| n.is_alphanumeric()) {
                out.push_str(&format!("({run})"));
            } else {
                out.push_str(&run);
            }
            continue;
        }
        match c {
            c if c.is_ascii() => out.push(c),
            '−' => out.push('-'),
            '⊙' => out.push_str(".*"),
            '⊗' => out.push_str("(x)"),
            '⊘' => out.push_str("./"),
            '∂' => out.push('d'),
            '⇒' => out.push_str("=>"),
            '×' => out.push('x'),
            '·' => out.push('*'),
            '‖' => out.push_str("||"),
            '𝟙' => out.push_str("ones"),
            '…' => out.push_str("..."),
            '′' => out.push('\''),
            'Σ' => out.push_str("sum"),
            c => match greek_name(c) {
                Some(g) => out.push_str(g),
                None => out.push('?'),
            },
        }
    }
    out
}

/// The ASCII of a superscript character (`ᵀ` → `T`, `⁻` → `-`, `²` → `2`).
fn superscript(c: char) -> Option<&'static str> {
    Some(match c {
        'ᵀ' => "T",
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

/// The ASCII name of a Greek letter (`σ` → `sigma`, `ℓ` → `ell`).
pub fn greek_name(c: char) -> Option<&'static str> {
    Some(match c {
        'α' => "alpha",
        'β' => "beta",
        'γ' => "gamma",
        'δ' => "delta",
        'ε' => "epsilon",
        'ζ' => "zeta",
        'η' => "eta",
        'θ' => "theta",
        'ι' => "iota",
        'κ' => "kappa",
        'λ' => "lambda",
        'μ' => "mu",
        'ν' => "nu",
        'ξ' => "xi",
        'π' => "pi",
        'ρ' => "rho",
        'σ' => "sigma",
        'τ' => "tau",
        'υ' => "upsilon",
        'φ' => "phi",
        'χ' => "chi",
        'ψ' => "psi",
        'ω' => "omega",
        'ℓ' => "ell",
        'Γ' => "Gamma",
        'Δ' => "Delta",
        'Θ' => "Theta",
        'Λ' => "Lambda",
        'Ξ' => "Xi",
        'Π' => "Pi",
        'Σ' => "Sigma",
        'Φ' => "Phi",
        'Ψ' => "Psi",
        'Ω' => "Omega",
        _ => return None,
    })
}

fn sup(k: i64) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if k < 0 {
        s.push('⁻');
    }
    for c in k.unsigned_abs().to_string().chars() {
        s.push(DIGITS[c as usize - '0' as usize]);
    }
    s
}

/// The text of a term.
pub fn show(t: &Term, style: Style) -> String {
    let mut out = String::new();
    write(t, style, &mut out);
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
        Term::Transpose(_) | Term::Inverse(_) | Term::Pow(..) | Term::EPow(..) => Prec::Postfix,
        Term::Diff(_) => Prec::Atom,
        // In ASCII a Kronecker product is written as the call `kron(A, B)`.
        Term::Kron(..) => Prec::Kron,
        _ => Prec::Atom,
    }
}

fn wrap(t: &Term, min: Prec, style: Style, out: &mut String) {
    let own = match t {
        Term::Kron(..) if style.ascii => Prec::Atom,
        _ => prec(t),
    };
    if own < min {
        out.push('(');
        write(t, style, out);
        out.push(')');
    } else {
        write(t, style, out);
    }
}

/// The operand of a minus sign.
fn negated(a: &Term, s: Style, out: &mut String) {
    let min = match a {
        Term::Neg(_) => Prec::Postfix,
        Term::Num(n) if n.0 < 0.0 => Prec::Postfix,
        _ => Prec::Product,
    };
    wrap(a, min, s, out);
}

fn write(t: &Term, s: Style, out: &mut String) {
    let u = !s.ascii;
    match t {
        Term::Kron(a, b) if u => {
            // Left-associative: only the right operand of a ⊗ needs
            // parentheses at its own level.
            wrap(a, Prec::Kron, s, out);
            out.push_str(" ⊗ ");
            wrap(b, Prec::Product, s, out);
        }
        Term::Kron(a, b) => {
            out.push_str("kron(");
            write(a, s, out);
            out.push_str(", ");
            write(b, s, out);
            out.push(')');
        }
        Term::VecOf(a) => {
            out.push_str("vec(");
            write(a, s, out);
            out.push(')');
        }
        Term::Commutation(m, n) => {
            out.push_str(&format!("K_{{{m},{n}}}"));
        }
        Term::Var(n) => out.push_str(&name(n, s)),
        Term::Num(n) if u && n.0 < 0.0 => {
            out.push('−');
            out.push_str(&Number(-n.0).to_string());
        }
        Term::Num(n) => out.push_str(&n.to_string()),
        Term::Identity(_) => out.push('I'),
        Term::Ones(_) => out.push_str(if u { "𝟙" } else { "ones" }),
        Term::Zero(_) => out.push('0'),
        Term::Neg(a) => {
            out.push_str(if u { "−" } else { "-" });
            // −X⁻ᵀ Aᵀ X⁻ᵀ reads as −(X⁻ᵀ Aᵀ X⁻ᵀ); only a sum needs
            // parentheses, and a second sign: −(−A).
            negated(a, s, out);
        }
        Term::Add(ts) => {
            for (i, t) in ts.iter().enumerate() {
                match t {
                    Term::Neg(a) if i > 0 => {
                        out.push_str(if u { " − " } else { " - " });
                        // Below ⊗ in a sum: `X − A ⊗ B` needs no brackets.
                        match **a {
                            Term::Neg(_) => negated(a, s, out),
                            Term::Num(n) if n.0 < 0.0 => negated(a, s, out),
                            _ => wrap(a, Prec::Kron, s, out),
                        }
                    }
                    _ => {
                        if i > 0 {
                            out.push_str(" + ");
                        }
                        wrap(t, Prec::Kron, s, out);
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
                    Term::Scale(..) if i == 0 => write(f, s, out),
                    _ => wrap(f, Prec::Postfix, s, out),
                }
            }
        }
        Term::Scale(c, a) => {
            // A coefficient that is itself a product of scalars needs no parentheses.
            match **c {
                Term::Scale(..) => write(c, s, out),
                _ => wrap(c, Prec::Postfix, s, out),
            }
            out.push(' ');
            // The scalar binds like a factor of a product: `2 A x`, `2 G ⊙ X`.
            match **a {
                Term::Mul(_) | Term::Scale(..) | Term::Hadamard(..) => write(a, s, out),
                _ => wrap(a, Prec::Postfix, s, out),
            }
        }
        Term::Hadamard(a, b) | Term::ElemDiv(a, b) | Term::Div(a, b) => {
            // Products read left to right: `A ⊙ B ⊙ C`, `A x / s`.
            match (t, &**a) {
                (Term::Div(..), _) => wrap(a, Prec::Product, s, out),
                (_, Term::Hadamard(..)) => write(a, s, out),
                _ => wrap(a, Prec::Postfix, s, out),
            }
            out.push_str(match (t, u) {
                (Term::Hadamard(..), true) => " ⊙ ",
                (Term::Hadamard(..), false) => " .* ",
                (Term::ElemDiv(..), _) => " ./ ",
                _ => " / ",
            });
            wrap(b, Prec::Postfix, s, out);
        }
        Term::Transpose(a) => match &**a {
            Term::Inverse(b) if u => {
                wrap(b, Prec::Atom, s, out);
                out.push_str("⁻ᵀ");
            }
            _ => {
                wrap(a, Prec::Atom, s, out);
                out.push_str(if u { "ᵀ" } else { "^T" });
            }
        },
        Term::Inverse(a) => {
            wrap(a, Prec::Atom, s, out);
            out.push_str(if u { "⁻¹" } else { "^-1" });
        }
        Term::Pow(a, k) => {
            wrap(a, Prec::Atom, s, out);
            if u {
                out.push_str(&sup(*k));
            } else if *k < 0 {
                out.push_str(&format!("^({k})"));
            } else {
                out.push_str(&format!("^{k}"));
            }
        }
        Term::Apply(Func::Norm, a) => {
            out.push_str(if u { "‖" } else { "||" });
            write(a, s, out);
            out.push_str(if u { "‖" } else { "||" });
        }
        Term::EPow(a, q) => {
            wrap(a, Prec::Atom, s, out);
            out.push_str(".^");
            out.push_str(&q.to_string());
        }
        Term::Apply(f, a) => {
            out.push_str(f.text_name(u));
            out.push('(');
            write(a, s, out);
            if f.axis() == Some(crate::registry::Axis::Rows) {
                out.push_str(", 2");
            }
            out.push(')');
        }
        Term::Unknown(n, a) => {
            out.push_str(&name(n, s));
            out.push('(');
            write(a, s, out);
            out.push(')');
        }
        Term::Diff(a) => {
            out.push('d');
            if matches!(**a, Term::Var(_)) {
                write(a, s, out);
            } else {
                out.push('(');
                write(a, s, out);
                out.push(')');
            }
        }
    }
}
