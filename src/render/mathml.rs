//! Terms and derivations as MathML (presentation markup, MathML Core), for
//! the web page: every current browser typesets it without scripts or fonts
//! from the network.
//!
//! The layout follows the LaTeX renderer: the same precedence and
//! parentheses, an upright `d` for differentials, `⊤` for the transpose,
//! `\,` after a scalar coefficient. Every `<math>` element is a standalone
//! XML document (it carries the MathML namespace, and only the predefined
//! entities and numeric character references are used), so the output can
//! go into HTML, XHTML or a notebook as it is.
//!
//! A derivation is one `<math display="block">` holding an `<mtable>` of
//! three columns: the left-hand side, `= right-hand side`, and the rule as
//! `<mtext>`. MathML Core leaves column alignment to CSS (the page sets it);
//! the `columnalign` attribute is there for renderers of full MathML.

use crate::Rewrite;
use crate::engine::jacobian::Layout;
use crate::engine::{Definition, Derivation, Gradient, Lhs, Meaning, Step};
use crate::render::derivation::gradient_steps;
use crate::render::text::{self, Style};
use crate::shape::Shape;
use crate::term::{Func, Term};

/// The MathML namespace, on every `<math>` element.
pub const NAMESPACE: &str = "http://www.w3.org/1998/Math/MathML";

/// Invisible times (U+2062) between the factors of a product.
const TIMES: &str = "<mo>&#x2062;</mo>";

/// Function application (U+2061) between a function's name and its argument.
const APPLY: &str = "<mo>&#x2061;</mo>";

/// The thin space LaTeX writes as `\,`.
const THIN: &str = "<mspace width=\"0.1667em\"/>";

/// The space between two blocks of a derivation table.
const BLOCK_GAP: &str = "<mtr><mtd columnspan=\"3\"><mspace height=\"0.6em\"/></mtd></mtr>";

/// Binding strength, loosest first (as in the text and LaTeX renderers).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Sum,
    Kron,
    Product,
    Unary,
    Postfix,
    Atom,
}

/// `s` with the characters that XML reserves escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A `<math>` element around presentation markup; `display` makes it a block.
pub fn math(inner: &str, display: bool) -> String {
    let block = if display { " display=\"block\"" } else { "" };
    format!("<math xmlns=\"{NAMESPACE}\"{block}>{inner}</math>")
}

fn mi(s: &str) -> String {
    format!("<mi>{}</mi>", escape(s))
}

fn mo(s: &str) -> String {
    format!("<mo>{}</mo>", escape(s))
}

fn mtext(s: &str) -> String {
    format!("<mtext>{}</mtext>", escape(s))
}

fn mrow(inner: &str) -> String {
    format!("<mrow>{inner}</mrow>")
}

fn msup(base: &str, sup: &str) -> String {
    format!("<msup>{base}{sup}</msup>")
}

/// A number as written (`2`, `0.5`, `-1`); a negative one is a minus sign
/// before its magnitude.
fn number(shown: &str) -> String {
    match shown.strip_prefix('-') {
        Some(magnitude) => mrow(&format!("{}<mn>{}</mn>", mo("−"), escape(magnitude))),
        None => format!("<mn>{}</mn>", escape(shown)),
    }
}

/// The MathML of a subscript: runs of digits are numbers, runs of letters
/// names (`Z1` → Z, 1; `out` stays one word).
fn subscript(s: &str) -> String {
    let mut parts = Vec::new();
    let mut run = String::new();
    let mut digits = false;
    let flush = |run: &mut String, digits: bool, parts: &mut Vec<String>| {
        if run.is_empty() {
            return;
        }
        if digits {
            parts.push(format!("<mn>{run}</mn>"));
        } else {
            parts.push(mi(&text::name(run, Style::default())));
        }
        run.clear();
    };
    for c in s.chars() {
        let d = c.is_ascii_digit();
        if d != digits {
            flush(&mut run, digits, &mut parts);
            digits = d;
        }
        run.push(c);
    }
    flush(&mut run, digits, &mut parts);
    match parts.len() {
        1 => parts.remove(0),
        _ => mrow(&parts.concat()),
    }
}

/// The MathML of a variable name: Greek names as Greek letters, `W_1` and
/// `W1` as W with subscript 1, `G_Z1` as G with subscript Z1.
pub fn name(n: &str) -> String {
    let (base, sub) = match n.find('_') {
        Some(i) => (&n[..i], Some(&n[i + 1..])),
        None => {
            let cut = n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            if cut > 0 && cut < n.len() {
                (&n[..cut], Some(&n[cut..]))
            } else {
                (n, None)
            }
        }
    };
    let base = mi(&text::name(base, Style::default()));
    match sub {
        Some(s) if !s.is_empty() => format!("<msub>{base}{}</msub>", subscript(s)),
        _ => base,
    }
}

/// The presentation markup of a term, without the `<math>` element.
pub fn show(t: &Term) -> String {
    let mut out = String::new();
    write(t, &mut out);
    out
}

/// A term as an inline `<math>` element.
pub fn term(t: &Term) -> String {
    math(&show(t), false)
}

fn prec(t: &Term) -> Prec {
    match t {
        Term::Add(_) => Prec::Sum,
        Term::Kron(..) => Prec::Kron,
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
        _ => Prec::Atom,
    }
}

/// `inner` between parentheses, as one row so that the fences stretch.
fn parens(inner: &str) -> String {
    mrow(&format!("{}{inner}{}", mo("("), mo(")")))
}

fn wrap(t: &Term, min: Prec, out: &mut String) {
    if prec(t) < min {
        out.push_str(&parens(&show(t)));
    } else {
        write(t, out);
    }
}

/// `t` as one element, in parentheses if it binds looser than `min`. Every
/// term is written as one element (an `<mrow>` around anything longer), so
/// it can be the base of a script or a part of a fraction as it is.
fn element(t: &Term, min: Prec) -> String {
    let mut s = String::new();
    wrap(t, min, &mut s);
    s
}

fn write(t: &Term, out: &mut String) {
    match t {
        Term::Var(n) => out.push_str(&name(n)),
        Term::Kron(a, b) => {
            let mut inner = String::new();
            wrap(a, Prec::Kron, &mut inner);
            inner.push_str(&mo("⊗"));
            wrap(b, Prec::Product, &mut inner);
            out.push_str(&mrow(&inner));
        }
        Term::VecOf(a) => out.push_str(&mrow(&format!(
            "{}<mo>&#x2061;</mo>{}",
            mi("vec"),
            parens(&show(a))
        ))),
        Term::Commutation(m, n) => out.push_str(&format!(
            "<msub>{}<mrow>{}{}{}</mrow></msub>",
            mi("K"),
            mi(&m.to_string()),
            mo(","),
            mi(&n.to_string())
        )),
        Term::Num(n) => match n.scientific() {
            // `4.4 · 10⁶⁸`, not `4.4e68`.
            Some((m, e)) => {
                let power = format!("<msup><mn>10</mn>{}</msup>", number(&e));
                if m == "1" {
                    out.push_str(&power);
                } else {
                    out.push_str(&mrow(&format!("{}{}{power}", number(&m), mo("·"))));
                }
            }
            None => out.push_str(&number(&n.to_string())),
        },
        Term::Identity(_) => out.push_str(&mi("I")),
        Term::Ones(_) => out.push_str(&mi("𝟙")),
        Term::Zero(_) => out.push_str("<mn>0</mn>"),
        Term::Neg(a) => {
            let mut inner = mo("−");
            wrap(a, Prec::Product, &mut inner);
            out.push_str(&mrow(&inner));
        }
        Term::Add(ts) => {
            let mut inner = String::new();
            for (i, t) in ts.iter().enumerate() {
                match t {
                    Term::Neg(a) if i > 0 => {
                        inner.push_str(&mo("−"));
                        wrap(a, Prec::Kron, &mut inner);
                    }
                    _ => {
                        if i > 0 {
                            inner.push_str(&mo("+"));
                        }
                        wrap(t, Prec::Kron, &mut inner);
                    }
                }
            }
            out.push_str(&mrow(&inner));
        }
        Term::Mul(fs) => {
            let mut inner = String::new();
            for (i, f) in fs.iter().enumerate() {
                if i > 0 {
                    inner.push_str(TIMES);
                    // A thin space on each side of a differential, as on
                    // paper: `dX W` must not read as d(XW).
                    if matches!(f, Term::Diff(_)) || matches!(fs[i - 1], Term::Diff(_)) {
                        inner.push_str(THIN);
                    }
                }
                // A leading scalar multiple reads without parentheses: 2 X a aᵀ.
                match f {
                    Term::Scale(..) if i == 0 => write(f, &mut inner),
                    _ => wrap(f, Prec::Postfix, &mut inner),
                }
            }
            out.push_str(&mrow(&inner));
        }
        Term::Scale(c, a) => {
            let mut inner = String::new();
            wrap(c, Prec::Postfix, &mut inner);
            inner.push_str(THIN);
            match **a {
                Term::Mul(_) | Term::Scale(..) => write(a, &mut inner),
                _ => wrap(a, Prec::Postfix, &mut inner),
            }
            out.push_str(&mrow(&inner));
        }
        Term::Hadamard(a, b) | Term::ElemDiv(a, b) => {
            let op = if matches!(t, Term::Hadamard(..)) {
                "⊙"
            } else {
                "⊘"
            };
            let mut inner = String::new();
            wrap(a, Prec::Postfix, &mut inner);
            inner.push_str(&mo(op));
            wrap(b, Prec::Postfix, &mut inner);
            out.push_str(&mrow(&inner));
        }
        Term::Div(a, b) => {
            // A fraction groups its parts itself: no parentheses inside.
            out.push_str(&format!(
                "<mfrac>{}{}</mfrac>",
                element(a, Prec::Sum),
                element(b, Prec::Sum)
            ));
        }
        Term::Transpose(a) => match &**a {
            Term::Inverse(b) => out.push_str(&msup(
                &element(b, Prec::Atom),
                &mrow(&format!("{}{}", mo("−"), mi("⊤"))),
            )),
            _ => out.push_str(&msup(&element(a, Prec::Atom), &mi("⊤"))),
        },
        Term::Inverse(a) => out.push_str(&msup(
            &element(a, Prec::Atom),
            &mrow(&format!("{}<mn>1</mn>", mo("−"))),
        )),
        Term::Pow(a, k) => {
            out.push_str(&msup(&element(a, Prec::Atom), &number(&k.to_string())));
        }
        Term::EPow(a, q) => {
            // The Hadamard power A^{∘p}.
            out.push_str(&msup(
                &element(a, Prec::Atom),
                &mrow(&format!("{}{}", mo("∘"), number(&q.to_string()))),
            ));
        }
        Term::Apply(Func::Norm, a) => {
            let bar = mo("‖");
            out.push_str(&mrow(&format!("{bar}{}{bar}", show(a))));
        }
        Term::Apply(f, a) => {
            out.push_str(&mrow(&format!(
                "{}{APPLY}{}",
                mi(f.text_name(true)),
                parens(&show(a))
            )));
        }
        Term::Unknown(n, a) => {
            out.push_str(&mrow(&format!("{}{APPLY}{}", name(n), parens(&show(a)))));
        }
        Term::Diff(a) => {
            let d = "<mi mathvariant=\"normal\">d</mi>";
            let arg = if matches!(**a, Term::Var(_)) {
                show(a)
            } else {
                parens(&show(a))
            };
            out.push_str(&mrow(&format!("{d}{arg}")));
        }
    }
}

/// `∂F/∂V` as a fraction.
fn partial(f: &str, v: &str) -> String {
    let d = mi("∂");
    format!(
        "<mfrac><mrow>{d}{}</mrow><mrow>{d}{}</mrow></mfrac>",
        name(f),
        name(v)
    )
}

/// The left-hand side of a step, without its `=`: `dL`, `⇒ ∂L/∂X`, or
/// nothing for a continuation.
pub fn lhs(l: &Lhs) -> String {
    match l {
        Lhs::Differential(f) => mrow(&format!("<mi mathvariant=\"normal\">d</mi>{}", name(f))),
        Lhs::Same => String::new(),
        Lhs::Gradient(f, v) => mrow(&format!("{}{}", mo("⇒"), partial(f, v))),
        Lhs::Vec(inner) => mrow(&format!(
            "{}<mo>&#x2061;</mo>{}",
            mi("vec"),
            parens(&lhs(inner))
        )),
        Lhs::Jacobian {
            function,
            var,
            layout,
        } => mrow(&format!("{}{}", mo("⇒"), jacobian(function, var, *layout))),
        Lhs::Hessian {
            function,
            rows,
            cols,
            layout,
        } => mrow(&format!(
            "{}{}",
            mo("⇒"),
            hessian(function, rows, cols, *layout)
        )),
        Lhs::SecondDifferential(f) => mrow(&format!(
            "<msup><mi mathvariant=\"normal\">d</mi><mn>2</mn></msup>{}",
            name(f)
        )),
        Lhs::GradientDifferential { function, var } => mrow(&format!(
            "<mi mathvariant=\"normal\">d</mi>{}",
            parens(&partial(function, var))
        )),
        Lhs::Applied {
            name: what,
            direction,
        } => {
            let what = match what.strip_prefix('d') {
                Some(f) if !f.is_empty() => {
                    format!("<mi mathvariant=\"normal\">d</mi>{}", name(f))
                }
                _ => name(what),
            };
            mrow(&format!("{what}{}{}{}", mo("["), name(direction), mo("]")))
        }
    }
}

/// `∂F/∂vᵀ`, or `∂vec F/∂(vec V)ᵀ` in the vec layout.
fn jacobian(f: &str, v: &str, layout: Layout) -> String {
    let d = mi("∂");
    let t = mi("⊤");
    match layout {
        Layout::Columns => format!(
            "<mfrac><mrow>{d}{}</mrow><mrow>{d}<msup>{}{t}</msup></mrow></mfrac>",
            name(f),
            name(v)
        ),
        Layout::Vec => format!(
            "<mfrac><mrow>{d}{}{}</mrow><mrow>{d}<msup>{}{t}</msup></mrow></mfrac>",
            mi("vec"),
            name(f),
            parens(&format!("{}{}", mi("vec"), name(v)))
        ),
    }
}

/// `∂²f/∂x ∂yᵀ`, or the same of the vectorizations.
fn hessian(f: &str, rows: &str, cols: &str, layout: Layout) -> String {
    let d = mi("∂");
    let d2 = format!("<msup>{d}<mn>2</mn></msup>");
    let t = mi("⊤");
    match layout {
        Layout::Columns => format!(
            "<mfrac><mrow>{d2}{}</mrow><mrow>{d}{}{d}<msup>{}{t}</msup></mrow></mfrac>",
            name(f),
            name(rows),
            name(cols)
        ),
        Layout::Vec => format!(
            "<mfrac><mrow>{d2}{}</mrow><mrow>{d}{}{}{d}<msup>{}{t}</msup></mrow></mfrac>",
            name(f),
            mi("vec"),
            name(rows),
            parens(&format!("{}{}", mi("vec"), name(cols)))
        ),
    }
}

/// A step as one inline equation: `dL = tr(Gᵀ dY)`, `⇒ ∂L/∂X = G Wᵀ`.
pub fn equation(s: &Step) -> String {
    math(
        &format!("{}{}{}", lhs(&s.lhs), mo("="), show(&s.expr)),
        false,
    )
}

/// A gradient's result as one inline equation: `∂L/∂X = G Wᵀ`.
pub fn gradient(g: &Gradient, function: &str) -> String {
    math(
        &format!(
            "{}{}{}",
            partial(function, &g.wrt),
            mo("="),
            show(&g.result)
        ),
        false,
    )
}

/// One row of a derivation table: left side, `= right side`, rule.
fn row(left: &str, right: &str, rule: &str) -> String {
    let rule = if rule.is_empty() {
        String::new()
    } else {
        mtext(rule)
    };
    format!("<mtr><mtd>{left}</mtd><mtd>{right}</mtd><mtd>{rule}</mtd></mtr>")
}

fn step_row(s: &Step) -> String {
    row(
        &lhs(&s.lhs),
        &format!("{}{}", mo("="), show(&s.expr)),
        &s.rule.to_string(),
    )
}

fn shape_text(s: &Shape) -> String {
    if s.is_scalar() {
        "scalar".to_string()
    } else {
        s.to_string()
    }
}

/// What an introduced symbol stands for, and the note beside it: `X W + B`,
/// or for a symbol that is not a term its meaning (`∂L/∂Y` as a fraction
/// of partials, or words) and its shape, as the text shows them.
fn definition(d: &Definition) -> (String, String) {
    match &d.value {
        Some(v) => (show(v), String::new()),
        None => {
            let rhs = match &d.meaning {
                Some(Meaning::Gradient {
                    function,
                    at: Term::Var(y),
                }) => partial(function, y),
                Some(Meaning::Gradient { function, at }) => {
                    let d = mi("∂");
                    format!(
                        "<mfrac><mrow>{d}{}</mrow><mrow>{d}<mo>(</mo>{}<mo>)</mo></mrow></mfrac>",
                        name(function),
                        show(at)
                    )
                }
                Some(m @ Meaning::GradientAtArgument { .. }) => mtext(&m.text(Style::default())),
                None => String::new(),
            };
            (rhs, format!("({})", shape_text(&d.shape)))
        }
    }
}

/// Rows as a table of three columns.
fn table(rows: &[String]) -> String {
    math(
        &format!(
            "<mtable columnalign=\"right left left\">{}</mtable>",
            rows.concat()
        ),
        true,
    )
}

/// A derivation as one block `<math>`: the introduced symbols (with the
/// shape of those that are not terms, as the text shows them), the shared
/// differential, then each block of steps (the intermediates' gradients of
/// a derivation layer by layer, then each variable's) with its rules, a
/// little space between blocks.
pub fn derivation(der: &Derivation) -> String {
    let mut rows = Vec::new();
    for d in &der.definitions {
        let (rhs, note) = definition(d);
        rows.push(row(&name(&d.name), &format!("{}{rhs}", mo("=")), &note));
    }
    rows.extend(der.preamble.iter().map(step_row));
    for g in der.backprop.iter().chain(&der.gradients) {
        if !rows.is_empty() {
            rows.push(BLOCK_GAP.to_string());
        }
        rows.extend(gradient_steps(g, &der.function).iter().map(step_row));
    }
    table(&rows)
}

/// A chain of rewrites as one block `<math>`: the start, then `= term` and
/// its rule on each row (the first on the start's row).
pub fn rewrites(start: &Term, steps: &[Rewrite]) -> String {
    let first = show(start);
    let mut rows = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let left = if i == 0 { first.as_str() } else { "" };
        rows.push(row(
            left,
            &format!("{}{}", mo("="), show(&s.term)),
            &s.rule.to_string(),
        ));
    }
    if rows.is_empty() {
        rows.push(row(&first, "", ""));
    }
    table(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(src: &str) -> Term {
        crate::check::check(src, &[]).expect("checks").term
    }

    #[test]
    fn names_get_greek_letters_and_subscripts() {
        assert_eq!(name("X"), "<mi>X</mi>");
        assert_eq!(name("alpha"), "<mi>α</mi>");
        assert_eq!(name("W1"), "<msub><mi>W</mi><mn>1</mn></msub>");
        assert_eq!(name("W_12"), "<msub><mi>W</mi><mn>12</mn></msub>");
        assert_eq!(name("b_out"), "<msub><mi>b</mi><mi>out</mi></msub>");
        assert_eq!(
            name("G_Z1"),
            "<msub><mi>G</mi><mrow><mi>Z</mi><mn>1</mn></mrow></msub>"
        );
    }

    #[test]
    fn postfix_operators_are_superscripts_of_one_element() {
        assert_eq!(
            show(&typed("(XW)^T")),
            "<msup><mrow><mo>(</mo><mrow><mi>X</mi><mo>&#x2062;</mo><mi>W</mi></mrow><mo>)</mo></mrow><mi>⊤</mi></msup>"
        );
        assert_eq!(
            show(&typed("X^{-1}")),
            "<msup><mi>X</mi><mrow><mo>−</mo><mn>1</mn></mrow></msup>"
        );
        assert_eq!(
            show(&Term::Pow(Box::new(Term::var("X")), -2)),
            "<msup><mi>X</mi><mrow><mo>−</mo><mn>2</mn></mrow></msup>"
        );
        assert_eq!(
            show(&typed("X .^ 0.5")),
            "<msup><mi>X</mi><mrow><mo>∘</mo><mn>0.5</mn></mrow></msup>"
        );
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(mtext("x > 0"), "<mtext>x &gt; 0</mtext>");
        assert!(
            row("", "", "a < b & c").ends_with("<mtd><mtext>a &lt; b &amp; c</mtext></mtd></mtr>")
        );
    }
}
