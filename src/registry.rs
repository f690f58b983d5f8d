//! The operator registry: one entry per function of the language.
//!
//! An entry holds everything the rest of the crate knows about a function:
//! its names and aliases, what kind of operation it is and its shape rule,
//! the domain its argument is drawn from in the numeric check, its
//! derivative (written once, in the language itself, and used by the
//! differential rules and by the components method alike), its evaluation,
//! and its LaTeX, NumPy and PyTorch spellings and FLOP class. The parser,
//! the checker, the e-graph's shape analysis, the differential rules, the
//! components method, the evaluator, the sampler and every renderer read it.
//!
//! Adding an elementwise function is one variant of [`Func`] and one row of
//! [`SPECS`]; `tests/registry.rs` checks that every row parses, evaluates and
//! differentiates, and that the grammar and the table agree.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use crate::shape::{Dim, Env, Kind, Shape, VarInfo};
use crate::term::{Number, Term};

/// A named function of one matrix argument (the id of a registry entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// Trace of a square matrix.
    Tr,
    /// Determinant of a square matrix.
    Det,
    /// Log-determinant of a square matrix.
    Logdet,
    /// Sum of all entries.
    Sum,
    /// Euclidean / Frobenius norm.
    Norm,
    /// Vector → diagonal matrix, or square matrix → vector of its diagonal.
    Diag,
    /// Elementwise natural logarithm.
    Log,
    /// Elementwise exponential.
    Exp,
    /// Elementwise sine.
    Sin,
    /// Elementwise cosine.
    Cos,
    /// Elementwise tangent.
    Tan,
    /// Elementwise hyperbolic tangent.
    Tanh,
    /// Elementwise square root.
    Sqrt,
    /// Elementwise logistic sigmoid σ(x) = 1 / (1 + e^(−x)).
    Sigmoid,
    /// Elementwise max(x, 0).
    Relu,
    /// Elementwise log(1 + e^x).
    Softplus,
    /// Elementwise Heaviside step (1 where x > 0, else 0): the derivative of relu.
    Step,
    /// Elementwise absolute value.
    Abs,
    /// Elementwise sign (−1, 0 or 1): the derivative of abs.
    Sign,
    /// Elementwise arcsine.
    Arcsin,
    /// Elementwise arccosine.
    Arccos,
    /// Elementwise error function.
    Erf,
    /// Elementwise arctangent.
    Arctan,
}

/// What kind of operation a function is. Elementwise functions are handled
/// generically from their entry; the others have rules of their own.
#[derive(Clone, Copy, Debug)]
pub enum Role {
    /// Applied entry by entry.
    Elementwise(Elementwise),
    /// `tr(A)`.
    Trace,
    /// `det(A)`.
    Det,
    /// `logdet(A)`.
    Logdet,
    /// `sum(A)`.
    Sum,
    /// `‖A‖`.
    Norm,
    /// `diag(x)` / `diag(A)`.
    Diag,
}

/// What the registry knows about an elementwise function.
#[derive(Clone, Copy, Debug)]
pub struct Elementwise {
    /// f′(x) in the language, for a scalar `x`; lifted entry by entry for a
    /// matrix argument (see [`derivative`]).
    pub derivative: &'static str,
    /// f(x).
    pub eval: fn(f64) -> f64,
    /// Where f is defined and smooth.
    pub domain: Domain,
}

/// Where an elementwise function is defined and smooth, which decides how
/// the numeric check draws the variables under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Every real number.
    All,
    /// x > 0.
    Positive,
    /// x ≥ 0 (smooth for x > 0).
    NonNegative,
    /// −1 < x < 1.
    OpenUnit,
    /// Near zero (|x| < 1.2): away from the poles of `tan`.
    NearZero,
}

impl Domain {
    /// Whether `x` is inside the domain.
    pub fn contains(self, x: f64) -> bool {
        match self {
            Domain::All => true,
            Domain::Positive => x > 0.0,
            Domain::NonNegative => x >= 0.0,
            Domain::OpenUnit => x.abs() < 1.0,
            Domain::NearZero => x.abs() < 1.5,
        }
    }

    /// The domain in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Domain::All => "every real number",
            Domain::Positive => "positive numbers",
            Domain::NonNegative => "non-negative numbers",
            Domain::OpenUnit => "numbers strictly between −1 and 1",
            Domain::NearZero => "numbers away from the poles at ±π/2",
        }
    }
}

/// How a function's result shape follows from its argument's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeRule {
    /// The argument's shape (elementwise functions).
    Same,
    /// A scalar, from any argument.
    Scalar,
    /// A scalar, from a square argument.
    SquareToScalar,
    /// A column vector n×1 → its n×n diagonal matrix; a square n×n matrix →
    /// the n×1 vector of its diagonal.
    Diag,
}

impl ShapeRule {
    /// The result shape for an argument of shape `arg`, or `None` if the
    /// argument does not fit (a non-square matrix under `tr`).
    pub fn apply(self, arg: &Shape) -> Option<Shape> {
        match self {
            ShapeRule::Same => Some(arg.clone()),
            ShapeRule::Scalar => Some(Shape::scalar()),
            ShapeRule::SquareToScalar => arg.is_square().then(Shape::scalar),
            ShapeRule::Diag if arg.cols.is_one() => {
                Some(Shape::new(arg.rows.clone(), arg.rows.clone()))
            }
            ShapeRule::Diag if arg.is_square() => Some(Shape::new(arg.rows.clone(), Dim::one())),
            ShapeRule::Diag => None,
        }
    }
}

/// Binding strength of a piece of generated Python.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyPrec {
    /// Binds like `a * b`.
    Product,
    /// An atom (a call, a name).
    Atom,
}

/// How a function is spelled in generated Python.
#[derive(Clone, Copy, Debug)]
pub enum Code {
    /// `module.name(arg)`: `Call("tanh")` is `np.tanh(X)` or `torch.tanh(X)`.
    Call(&'static str),
    /// A template: `{m}` is the module (`np`, `torch`), `{x}` the argument
    /// as a whole expression (inside parentheses of a call), `{x-}` the
    /// argument bound tightly enough to follow a unary minus, `{x^}` tightly
    /// enough to stand before `**` or a comparison.
    Template(&'static str, PyPrec),
}

/// How the FLOP cost model prices a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlopClass {
    /// One operation per entry of the result.
    PerEntry,
    /// One operation per entry of the argument (`tr`, `sum`, `norm`).
    PerArgEntry,
    /// A factorisation: 2n³ for an n×n argument (`det`, `logdet`).
    Cubic,
    /// Nothing to compute (`diag` rearranges entries).
    Free,
}

/// One entry of the registry.
#[derive(Debug)]
pub struct Spec {
    /// The id.
    pub func: Func,
    /// The canonical ASCII name: what the language reads and ASCII output and
    /// code print.
    pub name: &'static str,
    /// Other names the language reads (`atan` for `arctan`).
    pub aliases: &'static [&'static str],
    /// A Unicode symbol for text output (`σ`), read back only before `(`.
    pub symbol: Option<&'static str>,
    /// What kind of operation it is.
    pub role: Role,
    /// The result shape.
    pub shape: ShapeRule,
    /// The LaTeX operator (`\tanh`); the argument follows in `\left(…\right)`.
    pub latex: &'static str,
    /// NumPy spelling.
    pub numpy: Code,
    /// PyTorch spelling.
    pub torch: Code,
    /// FLOP class.
    pub flops: FlopClass,
    /// One line for `matdiff help syntax`.
    pub about: &'static str,
}

use Code::{Call, Template};

const fn elementwise(derivative: &'static str, eval: fn(f64) -> f64, domain: Domain) -> Role {
    Role::Elementwise(Elementwise {
        derivative,
        eval,
        domain,
    })
}

/// The registry, one row per [`Func`] in the order of its variants.
#[rustfmt::skip]
pub static SPECS: &[Spec] = &[
    Spec { func: Func::Tr, name: "tr", aliases: &[], symbol: None, role: Role::Trace,
           shape: ShapeRule::SquareToScalar, latex: "\\operatorname{tr}",
           numpy: Call("trace"), torch: Call("trace"), flops: FlopClass::PerArgEntry,
           about: "trace of a square matrix" },
    Spec { func: Func::Det, name: "det", aliases: &[], symbol: None, role: Role::Det,
           shape: ShapeRule::SquareToScalar, latex: "\\det",
           numpy: Call("linalg.det"), torch: Call("linalg.det"), flops: FlopClass::Cubic,
           about: "determinant of a square matrix" },
    Spec { func: Func::Logdet, name: "logdet", aliases: &[], symbol: None, role: Role::Logdet,
           shape: ShapeRule::SquareToScalar, latex: "\\log\\det",
           numpy: Template("{m}.linalg.slogdet({x})[1]", PyPrec::Atom),
           torch: Template("{m}.linalg.slogdet({x})[1]", PyPrec::Atom), flops: FlopClass::Cubic,
           about: "log-determinant of a square matrix (det > 0)" },
    Spec { func: Func::Sum, name: "sum", aliases: &[], symbol: None, role: Role::Sum,
           shape: ShapeRule::Scalar, latex: "\\operatorname{sum}",
           numpy: Call("sum"), torch: Call("sum"), flops: FlopClass::PerArgEntry,
           about: "sum of all entries" },
    Spec { func: Func::Norm, name: "norm", aliases: &[], symbol: None, role: Role::Norm,
           shape: ShapeRule::Scalar, latex: "\\operatorname{norm}",
           numpy: Call("linalg.norm"), torch: Call("linalg.norm"), flops: FlopClass::PerArgEntry,
           about: "Euclidean norm of a vector, Frobenius norm of a matrix (also ‖x‖, ||x||)" },
    Spec { func: Func::Diag, name: "diag", aliases: &[], symbol: None, role: Role::Diag,
           shape: ShapeRule::Diag, latex: "\\operatorname{diag}",
           numpy: Call("diag"), torch: Call("diag"), flops: FlopClass::Free,
           about: "vector → diagonal matrix; square matrix → vector of its diagonal" },
    Spec { func: Func::Log, name: "log", aliases: &["ln"], symbol: None,
           role: elementwise("1 / x", f64::ln, Domain::Positive),
           shape: ShapeRule::Same, latex: "\\log",
           numpy: Call("log"), torch: Call("log"), flops: FlopClass::PerEntry,
           about: "natural logarithm, entry by entry" },
    Spec { func: Func::Exp, name: "exp", aliases: &[], symbol: None,
           role: elementwise("exp(x)", f64::exp, Domain::All),
           shape: ShapeRule::Same, latex: "\\exp",
           numpy: Call("exp"), torch: Call("exp"), flops: FlopClass::PerEntry,
           about: "exponential, entry by entry" },
    Spec { func: Func::Sin, name: "sin", aliases: &[], symbol: None,
           role: elementwise("cos(x)", f64::sin, Domain::All),
           shape: ShapeRule::Same, latex: "\\sin",
           numpy: Call("sin"), torch: Call("sin"), flops: FlopClass::PerEntry,
           about: "sine, entry by entry" },
    Spec { func: Func::Cos, name: "cos", aliases: &[], symbol: None,
           role: elementwise("-sin(x)", f64::cos, Domain::All),
           shape: ShapeRule::Same, latex: "\\cos",
           numpy: Call("cos"), torch: Call("cos"), flops: FlopClass::PerEntry,
           about: "cosine, entry by entry" },
    Spec { func: Func::Tan, name: "tan", aliases: &[], symbol: None,
           role: elementwise("1 + tan(x)^2", f64::tan, Domain::NearZero),
           shape: ShapeRule::Same, latex: "\\tan",
           numpy: Call("tan"), torch: Call("tan"), flops: FlopClass::PerEntry,
           about: "tangent, entry by entry" },
    Spec { func: Func::Tanh, name: "tanh", aliases: &[], symbol: None,
           role: elementwise("1 - tanh(x)^2", f64::tanh, Domain::All),
           shape: ShapeRule::Same, latex: "\\tanh",
           numpy: Call("tanh"), torch: Call("tanh"), flops: FlopClass::PerEntry,
           about: "hyperbolic tangent, entry by entry" },
    Spec { func: Func::Sqrt, name: "sqrt", aliases: &[], symbol: None,
           role: elementwise("1 / (2 sqrt(x))", f64::sqrt, Domain::NonNegative),
           shape: ShapeRule::Same, latex: "\\operatorname{sqrt}",
           numpy: Call("sqrt"), torch: Call("sqrt"), flops: FlopClass::PerEntry,
           about: "square root, entry by entry" },
    Spec { func: Func::Sigmoid, name: "sigmoid", aliases: &[], symbol: Some("σ"),
           role: elementwise("sigmoid(x) (1 - sigmoid(x))", sigmoid, Domain::All),
           shape: ShapeRule::Same, latex: "\\sigma",
           numpy: Template("1 / (1 + {m}.exp(-{x-}))", PyPrec::Product),
           torch: Call("sigmoid"), flops: FlopClass::PerEntry,
           about: "logistic sigmoid 1/(1 + e^(−x)), entry by entry (also σ(…))" },
    Spec { func: Func::Relu, name: "relu", aliases: &[], symbol: None,
           role: elementwise("step(x)", relu, Domain::All),
           shape: ShapeRule::Same, latex: "\\operatorname{relu}",
           numpy: Template("{m}.maximum({x}, 0)", PyPrec::Atom),
           torch: Call("relu"), flops: FlopClass::PerEntry,
           about: "max(x, 0), entry by entry" },
    Spec { func: Func::Softplus, name: "softplus", aliases: &[], symbol: None,
           role: elementwise("sigmoid(x)", softplus, Domain::All),
           shape: ShapeRule::Same, latex: "\\operatorname{softplus}",
           numpy: Template("{m}.logaddexp(0, {x})", PyPrec::Atom),
           torch: Template("{m}.nn.functional.softplus({x})", PyPrec::Atom),
           flops: FlopClass::PerEntry,
           about: "log(1 + eˣ), entry by entry" },
    Spec { func: Func::Step, name: "step", aliases: &[], symbol: None,
           role: elementwise("0", step, Domain::All),
           shape: ShapeRule::Same, latex: "\\operatorname{step}",
           numpy: Template("({x^} > 0) * 1.0", PyPrec::Product),
           torch: Template("{m}.sign({m}.relu({x}))", PyPrec::Atom), flops: FlopClass::PerEntry,
           about: "Heaviside step (1 where x > 0, else 0): the derivative of relu" },
    Spec { func: Func::Abs, name: "abs", aliases: &[], symbol: None,
           role: elementwise("sign(x)", f64::abs, Domain::All),
           shape: ShapeRule::Same, latex: "\\operatorname{abs}",
           numpy: Call("abs"), torch: Call("abs"), flops: FlopClass::PerEntry,
           about: "absolute value, entry by entry (abs′ = sign away from 0)" },
    Spec { func: Func::Sign, name: "sign", aliases: &[], symbol: None,
           role: elementwise("0", sign, Domain::All),
           shape: ShapeRule::Same, latex: "\\operatorname{sign}",
           numpy: Call("sign"), torch: Call("sign"), flops: FlopClass::PerEntry,
           about: "sign (−1, 0 or 1), entry by entry (sign′ = 0 away from 0)" },
    Spec { func: Func::Arcsin, name: "arcsin", aliases: &["asin"], symbol: None,
           role: elementwise("1 / sqrt(1 - x^2)", f64::asin, Domain::OpenUnit),
           shape: ShapeRule::Same, latex: "\\arcsin",
           numpy: Call("arcsin"), torch: Call("asin"), flops: FlopClass::PerEntry,
           about: "arcsine, entry by entry (−1 < x < 1)" },
    Spec { func: Func::Arccos, name: "arccos", aliases: &["acos"], symbol: None,
           role: elementwise("-(1 / sqrt(1 - x^2))", f64::acos, Domain::OpenUnit),
           shape: ShapeRule::Same, latex: "\\arccos",
           numpy: Call("arccos"), torch: Call("acos"), flops: FlopClass::PerEntry,
           about: "arccosine, entry by entry (−1 < x < 1)" },
    Spec { func: Func::Erf, name: "erf", aliases: &[], symbol: None,
           role: elementwise("1.1283791670955126 exp(-x^2)", libm::erf, Domain::All),
           shape: ShapeRule::Same, latex: "\\operatorname{erf}",
           numpy: Template("scipy.special.erf({x})", PyPrec::Atom),
           torch: Call("erf"), flops: FlopClass::PerEntry,
           about: "error function, entry by entry (erf′(x) = 2/√π · e^(−x²))" },
    Spec { func: Func::Arctan, name: "arctan", aliases: &["atan"], symbol: None,
           role: elementwise("1 / (1 + x^2)", f64::atan, Domain::All),
           shape: ShapeRule::Same, latex: "\\arctan",
           numpy: Call("arctan"), torch: Call("atan"), flops: FlopClass::PerEntry,
           about: "arctangent, entry by entry" },
];

/// σ(x), written so that neither branch computes e^(large).
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)), which neither overflows nor
/// loses the small tail (NumPy's `logaddexp(0, x)`).
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn relu(x: f64) -> f64 {
    x.max(0.0)
}

fn step(x: f64) -> f64 {
    if x > 0.0 { 1.0 } else { 0.0 }
}

fn sign(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x.signum() }
}

impl Func {
    /// The registry entry of this function.
    pub fn spec(self) -> &'static Spec {
        // Rows are in the order of the variants (checked by a test).
        &SPECS[self as usize]
    }

    /// The canonical ASCII name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The elementwise entry, if the function acts entry by entry.
    pub fn elementwise(self) -> Option<&'static Elementwise> {
        match &self.spec().role {
            Role::Elementwise(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the function acts entry by entry.
    pub fn is_elementwise(self) -> bool {
        self.elementwise().is_some()
    }

    /// Whether the function returns a scalar whatever its argument.
    pub fn is_scalar_valued(self) -> bool {
        matches!(
            self.spec().shape,
            ShapeRule::Scalar | ShapeRule::SquareToScalar
        )
    }

    /// The text name: the Unicode symbol when there is one and `unicode` is
    /// asked for, else the ASCII name.
    pub fn text_name(self, unicode: bool) -> &'static str {
        match self.spec().symbol {
            Some(s) if unicode => s,
            _ => self.spec().name,
        }
    }

    /// Every function, in registry order.
    pub fn all() -> impl Iterator<Item = Func> {
        SPECS.iter().map(|s| s.func)
    }
}

impl fmt::Display for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Func {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        SPECS
            .iter()
            .find(|spec| spec.name == s)
            .map(|spec| spec.func)
            .ok_or(())
    }
}

/// What a word followed by `(` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callable {
    /// A function of the registry.
    Func(Func),
    /// `inv(A)`, the inverse.
    Inverse,
}

/// Names the language reads before `(` that are operators rather than
/// registry functions.
const OPERATOR_CALLS: &[(&str, Callable)] = &[("inv", Callable::Inverse)];

/// The callable named `name` (a registry name, alias or symbol, or an
/// operator such as `inv`).
pub fn lookup(name: &str) -> Option<Callable> {
    if let Some((_, c)) = OPERATOR_CALLS.iter().find(|(n, _)| *n == name) {
        return Some(*c);
    }
    SPECS
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name) || s.symbol == Some(name))
        .map(|s| Callable::Func(s.func))
}

/// Every name the language reads before `(`, with what it names.
pub fn call_names() -> Vec<(&'static str, Callable)> {
    let mut out: Vec<(&'static str, Callable)> = OPERATOR_CALLS.to_vec();
    for s in SPECS {
        out.push((s.name, Callable::Func(s.func)));
        out.extend(s.aliases.iter().map(|a| (*a, Callable::Func(s.func))));
        if let Some(sym) = s.symbol {
            out.push((sym, Callable::Func(s.func)));
        }
    }
    out
}

/// Words people write for functions the language spells otherwise, with
/// the spelling to suggest.
const MISNOMERS: &[(&str, &str)] = &[
    ("trace", "tr"),
    ("determinant", "det"),
    ("inverse", "inv"),
    ("transpose", "Xᵀ, X^T or X' (a postfix, not a function)"),
    ("logistic", "sigmoid"),
    ("frobenius", "norm"),
    ("heaviside", "step"),
    ("signum", "sign"),
    ("sgn", "sign"),
];

/// The closest spelling the language has to an unknown function name, for
/// "did you mean …?" (`softmx` → `softmax`, `trace` → `tr`).
pub fn suggest(word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    if let Some((_, s)) = MISNOMERS.iter().find(|(w, _)| *w == lower) {
        return Some((*s).to_string());
    }
    let mut best: Option<(f64, &str)> = None;
    for (name, _) in call_names() {
        if !name.is_ascii() {
            continue;
        }
        let score = strsim::jaro_winkler(&lower, name);
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, name));
        }
    }
    best.filter(|(s, _)| *s >= 0.75).map(|(_, n)| n.to_string())
}

/// The derivative templates, parsed once.
static DERIVATIVES: LazyLock<Vec<Option<Term>>> = LazyLock::new(|| {
    SPECS
        .iter()
        .map(|s| match s.role {
            Role::Elementwise(e) => Some(parse_template(e.derivative)),
            _ => None,
        })
        .collect()
});

/// The name the derivative templates use for their argument.
const ARG: &str = "x";

fn parse_template(src: &str) -> Term {
    let mut env = Env::default();
    env.vars.insert(
        ARG.to_string(),
        VarInfo {
            kind: Kind::Scalar,
            shape: Shape::scalar(),
            symmetric: false,
        },
    );
    match crate::check::check_in(src, &env) {
        Ok(p) => p.term,
        // The templates are constants of this file, each parsed by a test.
        Err(e) => panic!("the registry's derivative `{src}` does not parse: {e}"),
    }
}

/// The scalar derivative template f′(x) of an elementwise function, as a
/// term in the variable `x`.
pub fn derivative_template(f: Func) -> Option<&'static Term> {
    DERIVATIVES.get(f as usize)?.as_ref()
}

/// f′(arg) for an elementwise `f`: the template with `x` replaced by `arg`,
/// written entry by entry when `arg` is not a scalar (`1 − tanh(x)²` becomes
/// `𝟙 − tanh(A) ⊙ tanh(A)`, `1 / x` becomes `𝟙 ./ A`). `None` for functions
/// that are not elementwise.
pub fn derivative(f: Func, arg: &Term, shape: &Shape) -> Option<Term> {
    let t = derivative_template(f)?;
    Some(if shape.is_scalar() {
        substitute(t, arg)
    } else {
        lift(t, arg, shape, Place::Term)
    })
}

/// Whether f′ is identically zero (step, sign).
pub fn derivative_is_zero(f: Func) -> bool {
    matches!(derivative_template(f), Some(Term::Num(n)) if n.0 == 0.0)
}

fn substitute(t: &Term, arg: &Term) -> Term {
    match t {
        Term::Var(v) if v == ARG => arg.clone(),
        other => other.map_children(|c| substitute(c, arg)),
    }
}

/// Where a scalar of the template stands once lifted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// As a term of its own (a summand, an operand of ⊙ or ./): a number c
    /// becomes the matrix c𝟙.
    Term,
    /// As the coefficient of a scalar multiple: a number stays a number.
    Coefficient,
}

/// The template `t`, a scalar expression in `x`, as the matrix of its
/// values at every entry of `arg`.
fn lift(t: &Term, arg: &Term, shape: &Shape, place: Place) -> Term {
    let b = Box::new;
    let go = |t: &Term| lift(t, arg, shape, Place::Term);
    match t {
        Term::Var(v) if v == ARG => arg.clone(),
        Term::Num(n) if place == Place::Coefficient => Term::Num(*n),
        Term::Num(n) if n.0 == 0.0 => Term::Zero(shape.clone()),
        Term::Num(n) if n.0 == 1.0 => Term::Ones(shape.clone()),
        Term::Num(n) => Term::Scale(b(Term::Num(*n)), b(Term::Ones(shape.clone()))),
        Term::Add(ts) => Term::Add(ts.iter().map(go).collect()),
        Term::Neg(a) => Term::Neg(b(go(a))),
        Term::Scale(c, a) if matches!(**c, Term::Num(_)) => {
            Term::Scale(b(lift(c, arg, shape, Place::Coefficient)), b(go(a)))
        }
        Term::Scale(c, a) => Term::Hadamard(b(go(c)), b(go(a))),
        Term::Div(a, d) if matches!(**d, Term::Num(_)) => Term::Div(b(go(a)), d.clone()),
        Term::Div(a, d) => Term::ElemDiv(b(go(a)), b(go(d))),
        Term::Pow(a, 2) => {
            let a = go(a);
            Term::Hadamard(b(a.clone()), b(a))
        }
        Term::Pow(a, -1) => Term::ElemDiv(b(Term::Ones(shape.clone())), b(go(a))),
        Term::Pow(a, k) => Term::EPow(b(go(a)), Number(*k as f64)),
        Term::EPow(a, p) => Term::EPow(b(go(a)), *p),
        Term::Apply(g, a) => Term::Apply(*g, b(go(a))),
        // The templates use nothing else (checked by a test).
        other => other.clone(),
    }
}

/// The help text of the functions: one line per name.
pub fn help_table() -> String {
    let mut out = String::new();
    for s in SPECS {
        let mut names = vec![s.name.to_string()];
        names.extend(s.aliases.iter().map(|a| a.to_string()));
        if let Some(sym) = s.symbol {
            names.push(sym.to_string());
        }
        out.push_str(&format!("  {:<22} {}\n", names.join(", "), s.about));
    }
    out
}
