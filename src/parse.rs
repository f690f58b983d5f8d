//! The parser: source text → [`ast::Input`](crate::ast::Input).
//!
//! This is the only module that sees pest types. The grammar
//! (`grammar/matdiff.pest`) yields a flat stream of operands and operators per
//! expression; precedence is the Pratt table below.
//!
//! Limits, checked here so that no later pass can be crashed by its input:
//! the input is at most [`MAX_INPUT_BYTES`] long and nests at most
//! [`MAX_DEPTH`] levels (parentheses, prefix and postfix operators, calls).

use std::sync::LazyLock;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use crate::ast::{Callee, Decl, DeclType, Expr, ExprKind, Input, ProductOp, Sign, Span};
use crate::error::{Error, Result};
use crate::registry;
use crate::shape::Dim;

/// The longest input accepted, in bytes (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// The deepest nesting accepted: parentheses, calls, prefix and postfix
/// operators each add a level. Every recursive pass relies on this bound.
pub const MAX_DEPTH: usize = 256;

/// The generated parser; its `Rule` enum never leaves this module.
mod generated {
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/matdiff.pest"]
    pub(super) struct Grammar;
}
use generated::{Grammar, Rule};

/// Precedence, loosest first (SPEC §1).
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::kron, Assoc::Left))
        .op(Op::infix(Rule::matmul, Assoc::Left)
            | Op::infix(Rule::hadamard, Assoc::Left)
            | Op::infix(Rule::elem_div, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::juxt, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::postfix(Rule::transpose)
            | Op::postfix(Rule::transpose_inverse)
            | Op::postfix(Rule::power)
            | Op::postfix(Rule::epower))
});

/// Parses a whole input: an expression with an optional `where` clause.
pub fn parse(src: &str) -> Result<Input> {
    let b = Builder::new("input", src);
    b.precheck()?;
    let mut pairs = Grammar::parse(Rule::input, src).map_err(|e| b.pest_error(e))?;
    let Some(input) = pairs.next() else {
        return Err(b.error(Span::new(0, 0), "empty input", "here", None));
    };
    let mut expr = None;
    let mut decls = Vec::new();
    for p in input.into_inner() {
        match p.as_rule() {
            Rule::expr => expr = Some(b.expr(p)?.expr),
            Rule::where_clause => {
                for d in p.into_inner().filter(|d| d.as_rule() == Rule::decl) {
                    decls.push(b.decl(d)?);
                }
            }
            _ => {}
        }
    }
    match expr {
        Some(expr) => Ok(Input { expr, decls }),
        None => Err(b.error(Span::new(0, src.len()), "no expression", "here", None)),
    }
}

/// The canonical name of the variable written `src` (`λ_1` → `lambda_1`,
/// `W_{12}` → `W_12`), for options such as `--wrt` that name a variable.
pub fn variable_name(src: &str) -> Result<String> {
    let not_a_name = || {
        Error::Usage(format!(
            "`{src}` is not a variable name (a letter with optional digits or subscript, or a Greek name)"
        ))
    };
    let input = parse(src.trim()).map_err(|_| not_a_name())?;
    match input.expr.kind {
        ExprKind::Var { name, .. } if input.decls.is_empty() => Ok(name),
        _ => Err(not_a_name()),
    }
}

/// Parses the text of a `--let` option: declarations separated by commas,
/// with the syntax of the `where` clause. Spans are relative to `src`.
pub fn parse_decls(src: &str) -> Result<Vec<Decl>> {
    let b = Builder::new("--let", src);
    b.precheck()?;
    let pairs = Grammar::parse(Rule::lets, src).map_err(|e| b.pest_error(e))?;
    pairs
        .flatten()
        .filter(|p| p.as_rule() == Rule::decl)
        .map(|d| b.decl(d))
        .collect()
}

/// A node with the nesting depth of the tree below it.
struct Built {
    expr: Expr,
    depth: usize,
}

/// Turns pest pairs into AST nodes, reporting errors against one source.
struct Builder<'s> {
    name: &'static str,
    src: &'s str,
}

fn span_of(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

impl<'s> Builder<'s> {
    fn new(name: &'static str, src: &'s str) -> Self {
        Builder { name, src }
    }

    fn error(&self, span: Span, message: &str, label: &str, help: Option<&str>) -> Error {
        Error::syntax(self.name, self.src, span, message, label, help)
    }

    /// Size and bracket depth, before pest recurses into the input.
    fn precheck(&self) -> Result<()> {
        if self.src.len() > MAX_INPUT_BYTES {
            return Err(Error::InputTooLarge {
                size: self.src.len(),
                limit: MAX_INPUT_BYTES,
            });
        }
        let mut depth = 0usize;
        // Unmatched brackets are reported here, before pest sees them: with
        // many unclosed `(` the grammar's alternatives (a call or a group)
        // backtrack exponentially (a 718-byte input took over a minute).
        let mut open: Vec<(usize, char)> = Vec::new();
        for (i, c) in self.src.char_indices() {
            match c {
                '(' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(self.too_deep(Span::new(i, i + 1)));
                    }
                    open.push((i, c));
                }
                ')' | '}' => {
                    depth = depth.saturating_sub(1);
                    let want = if c == ')' { '(' } else { '{' };
                    match open.pop() {
                        Some((_, o)) if o == want => {}
                        Some((j, o)) => {
                            return Err(self.error(
                                Span::new(j, j + o.len_utf8()),
                                &format!("`{o}` is closed by `{c}`"),
                                "opened here",
                                Some(&format!(
                                    "close it with `{}`",
                                    if o == '(' { ')' } else { '}' }
                                )),
                            ));
                        }
                        None => {
                            return Err(self.error(
                                Span::new(i, i + 1),
                                &format!("unmatched `{c}`"),
                                "nothing opens this",
                                Some("remove it, or add the opening bracket"),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(&(j, o)) = open.last() {
            return Err(self.error(
                Span::new(j, j + o.len_utf8()),
                &format!("unclosed `{o}`"),
                "opened here and never closed",
                Some(&format!("add `{}`", if o == '(' { ')' } else { '}' })),
            ));
        }
        Ok(())
    }

    fn too_deep(&self, span: Span) -> Error {
        self.error(
            span,
            &format!("the expression nests more than {MAX_DEPTH} levels deep"),
            "too deep from here on",
            Some("name an intermediate result and write it in several steps"),
        )
    }

    fn checked(&self, expr: Expr, depth: usize) -> Result<Built> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(expr.span));
        }
        Ok(Built { expr, depth })
    }

    fn pest_error(&self, e: pest::error::Error<Rule>) -> Error {
        let pos = match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((a, _)) => a,
        };
        let found = self.src.get(pos..).and_then(|s| s.chars().next());
        let mut expected: Vec<&str> = match &e.variant {
            ErrorVariant::ParsingError { positives, .. } => {
                positives.iter().filter_map(|r| describe(*r)).collect()
            }
            ErrorVariant::CustomError { .. } => vec![],
        };
        expected.sort_unstable();
        expected.dedup();
        // "an integer" only matters right after `^`.
        if expected.contains(&"an operator") {
            expected.retain(|e| *e != "an integer");
        }
        let expected = join_or(&expected);
        let (span, message, label) = match found {
            Some(c) => (
                Span::new(pos, pos + c.len_utf8()),
                // Control and invisible characters (a NUL byte, a zero-width
                // space) are named by their code point, or the message shows nothing.
                if c.is_control()
                    || c.is_whitespace()
                    || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{feff}')
                {
                    format!("unexpected character U+{:04X}", u32::from(c))
                } else {
                    format!("unexpected `{c}`")
                },
                format!("expected {expected}"),
            ),
            // An empty span at the very end shows no label: point at the
            // last character instead.
            None => {
                let last = self.src[..pos.min(self.src.len())]
                    .char_indices()
                    .next_back()
                    .map_or(Span::new(0, 0), |(i, c)| Span::new(i, i + c.len_utf8()));
                (
                    last,
                    "unexpected end of input".to_string(),
                    format!("expected {expected} after this"),
                )
            }
        };
        let label = if expected.is_empty() {
            "not understood here".to_string()
        } else {
            label
        };
        let help = if self.name == "--let" {
            DECL_HELP
        } else {
            SYNTAX_HELP
        };
        self.error(span, &message, &label, Some(help))
    }

    /// Folds the operand/operator stream of an `expr` or `bar_expr`.
    fn expr(&self, pair: Pair<Rule>) -> Result<Built> {
        // pest's Pratt parser recurses once per prefix operator before any
        // of our callbacks run, so long runs of `-` are refused up front.
        let mut run = 0;
        for p in pair.clone().into_inner() {
            if p.as_rule() == Rule::neg {
                run += 1;
                if run > MAX_DEPTH {
                    return Err(self.too_deep(span_of(&p)));
                }
            } else {
                run = 0;
            }
        }
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = span_of(&op).to(rhs.expr.span);
                // `-2` is a literal, not the negation of one.
                if let ExprKind::Number(v) = rhs.expr.kind {
                    return self.checked(
                        Expr {
                            kind: ExprKind::Number(-v),
                            span,
                        },
                        rhs.depth,
                    );
                }
                let kind = ExprKind::Neg(Box::new(rhs.expr));
                self.checked(Expr { kind, span }, rhs.depth + 1)
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                // In `XWᵀ` the postfix belongs to the last letter of the run.
                if let ExprKind::Product { first, mut rest } = lhs.expr.kind {
                    let span = lhs.expr.span.to(span_of(&op));
                    let Some((o, last)) = rest.pop() else {
                        return self.postfix(*first, 1, &op);
                    };
                    let last = self.postfix(last, 1, &op)?;
                    rest.push((o, last.expr));
                    let kind = ExprKind::Product { first, rest };
                    return self.checked(Expr { kind, span }, lhs.depth.max(last.depth + 1));
                }
                self.postfix(lhs.expr, lhs.depth, &op)
            })
            .map_infix(|lhs, op, rhs| self.infix(lhs?, op, rhs?))
            .parse(pair.into_inner())
    }

    fn infix(&self, lhs: Built, op: Pair<Rule>, rhs: Built) -> Result<Built> {
        let span = lhs.expr.span.to(rhs.expr.span);
        let sign = match op.as_rule() {
            Rule::add => Some(Sign::Plus),
            Rule::sub => Some(Sign::Minus),
            _ => None,
        };
        if let Some(sign) = sign {
            // Sums are built flat, so a sum of 100k terms is not 100k deep.
            let depth = lhs.depth.max(rhs.depth + 1);
            let terms = match lhs.expr.kind {
                ExprKind::Sum(mut terms) => {
                    terms.push((sign, rhs.expr));
                    terms
                }
                _ => vec![(Sign::Plus, lhs.expr), (sign, rhs.expr)],
            };
            return self.checked(
                Expr {
                    kind: ExprKind::Sum(terms),
                    span,
                },
                depth,
            );
        }
        let op = match op.as_rule() {
            Rule::matmul => ProductOp::Times,
            Rule::hadamard => ProductOp::Hadamard,
            Rule::elem_div => ProductOp::ElemDiv,
            Rule::div => ProductOp::Div,
            Rule::kron => ProductOp::Kron,
            _ => ProductOp::Juxtapose,
        };
        let (first, mut rest, mut depth) = match lhs.expr.kind {
            ExprKind::Product { first, rest } => (first, rest, lhs.depth),
            _ => (Box::new(lhs.expr), Vec::new(), lhs.depth + 1),
        };
        let joins = matches!(op, ProductOp::Juxtapose | ProductOp::Times) && is_word(&rhs.expr);
        let rhs = match rhs.expr.kind {
            // A run of letters on the right (`2 XW`) joins the chain: its
            // factors are all plain products, so regrouping changes nothing.
            ExprKind::Product { first: f, rest: r } if joins => {
                rest.push((op, *f));
                rest.extend(r);
                let expr = Expr {
                    kind: ExprKind::Product { first, rest },
                    span,
                };
                return self.checked(expr, depth.max(rhs.depth));
            }
            kind => Built {
                expr: Expr {
                    kind,
                    span: rhs.expr.span,
                },
                depth: rhs.depth,
            },
        };
        depth = depth.max(rhs.depth + 1);
        rest.push((op, rhs.expr));
        self.checked(
            Expr {
                kind: ExprKind::Product { first, rest },
                span,
            },
            depth,
        )
    }

    fn postfix(&self, e: Expr, depth: usize, op: &Pair<Rule>) -> Result<Built> {
        let span = e.span.to(span_of(op));
        let kind = match op.as_rule() {
            Rule::transpose => ExprKind::Transpose(Box::new(e)),
            Rule::transpose_inverse => {
                let inverse = Expr {
                    kind: ExprKind::Power(Box::new(e), -1),
                    span,
                };
                return self.checked(
                    Expr {
                        kind: ExprKind::Transpose(Box::new(inverse)),
                        span,
                    },
                    depth + 2,
                );
            }
            Rule::epower => ExprKind::EPower(Box::new(e), self.real_exponent(op)?),
            _ => ExprKind::Power(Box::new(e), self.exponent(op)?),
        };
        self.checked(Expr { kind, span }, depth + 1)
    }

    /// The exponent of `.^`: a finite real literal.
    fn real_exponent(&self, op: &Pair<Rule>) -> Result<f64> {
        let text: String = op
            .as_str()
            .chars()
            .filter_map(|c| match c {
                '−' | '-' => Some('-'),
                c if c.is_ascii_digit() || c == '.' => Some(c),
                _ => None,
            })
            .collect();
        // `.` of `.^` is not part of the number.
        let text = text.strip_prefix('.').unwrap_or(&text);
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= 1e6 => Ok(v),
            _ => Err(self.error(
                span_of(op),
                "this exponent is out of range",
                "exponent",
                Some("elementwise powers are real numbers between -1000000 and 1000000"),
            )),
        }
    }

    fn exponent(&self, op: &Pair<Rule>) -> Result<i64> {
        let span = span_of(op);
        let text: String = op
            .as_str()
            .chars()
            .filter_map(|c| match c {
                '⁻' | '−' | '-' => Some('-'),
                '⁰' => Some('0'),
                '¹' => Some('1'),
                '²' => Some('2'),
                '³' => Some('3'),
                '⁴' => Some('4'),
                '⁵' => Some('5'),
                '⁶' => Some('6'),
                '⁷' => Some('7'),
                '⁸' => Some('8'),
                '⁹' => Some('9'),
                c if c.is_ascii_digit() => Some(c),
                _ => None,
            })
            .collect();
        text.parse::<i64>()
            .ok()
            .filter(|k| k.unsigned_abs() <= 1_000_000)
            .ok_or_else(|| {
                self.error(
                    span,
                    "this exponent is too large",
                    "exponent",
                    Some("powers are integers between -1000000 and 1000000"),
                )
            })
    }

    fn primary(&self, p: Pair<Rule>) -> Result<Built> {
        let span = span_of(&p);
        let leaf = |kind| {
            Ok(Built {
                expr: Expr { kind, span },
                depth: 1,
            })
        };
        match p.as_rule() {
            Rule::number => match p.as_str().parse::<f64>() {
                Ok(v) if v.is_finite() => leaf(ExprKind::Number(v)),
                _ => Err(self.error(span, "this number is out of range", "number", None)),
            },
            Rule::paren | Rule::norm_bars => {
                let is_paren = p.as_rule() == Rule::paren;
                let inner = self.inner_expr(p, span)?;
                let arg = Box::new(inner.expr);
                let kind = if is_paren {
                    ExprKind::Paren(arg)
                } else {
                    ExprKind::Norm(arg)
                };
                self.checked(Expr { kind, span }, inner.depth + 1)
            }
            Rule::call => self.call(p, span),
            Rule::unknown_call => self.unknown_call(p, span),
            Rule::ones => leaf(ExprKind::Ones),
            Rule::greek => leaf(ExprKind::Var {
                name: greek_name(p.as_str()),
                greek: true,
            }),
            Rule::word => self.word(p),
            Rule::commutation => {
                let dims = p
                    .into_inner()
                    .filter(|q| q.as_rule() == Rule::dim)
                    .map(|q| self.dim(&q))
                    .collect::<Result<Vec<_>>>()?;
                match <[Dim; 2]>::try_from(dims) {
                    Ok([m, n]) => leaf(ExprKind::Commutation(m, n)),
                    Err(_) => Err(self.error(span, "malformed K_{m,n}", "here", None)),
                }
            }
            _ => Err(self.error(span, "unexpected token", "here", None)),
        }
    }

    fn inner_expr(&self, p: Pair<Rule>, span: Span) -> Result<Built> {
        match p
            .into_inner()
            .find(|q| matches!(q.as_rule(), Rule::expr | Rule::bar_expr))
        {
            Some(e) => self.expr(e),
            None => Err(self.error(span, "empty brackets", "nothing inside", None)),
        }
    }

    /// `name(args)` for a name of the operator registry.
    fn call(&self, p: Pair<Rule>, span: Span) -> Result<Built> {
        let mut inner = p.into_inner();
        let Some(head) = inner.next() else {
            return Err(self.error(span, "malformed call", "here", None));
        };
        let name = head.as_str();
        let Some(callee) = registry::lookup(name) else {
            return Err(self.unknown_function(name, span_of(&head)));
        };
        let args: Vec<Pair<Rule>> = inner.filter(|q| q.as_rule() == Rule::expr).collect();
        // The registry says which functions take an axis as a second argument.
        let func = match callee {
            Callee::Func(f) => Some(f),
            _ => None,
        };
        let takes_axis = func.is_some_and(|f| f.axis().is_some());
        let forms = match func {
            Some(f) => registry::call_forms(f),
            None if callee.arity() == 2 => format!("{name}(A, B)"),
            None => format!("{name}(X)"),
        };
        if args.is_empty() {
            return Err(self.error(
                span,
                &format!("`{name}` is applied to nothing"),
                "missing argument",
                Some(&format!(
                    "write an argument inside the parentheses, as in {forms}"
                )),
            ));
        }
        let (least, most) = if takes_axis {
            (1, 2)
        } else {
            (callee.arity(), callee.arity())
        };
        if args.len() < least {
            return Err(self.error(
                span,
                &format!(
                    "`{name}` takes {least} arguments, but {} {} given",
                    args.len(),
                    if args.len() == 1 { "is" } else { "are" }
                ),
                "too few arguments",
                Some(&format!("write {forms}")),
            ));
        }
        if args.len() > most {
            let (message, help) = if takes_axis {
                (
                    format!(
                        "`{name}` takes a matrix and an axis, but {} arguments are given",
                        args.len()
                    ),
                    format!("write {forms}"),
                )
            } else {
                (
                    format!(
                        "`{name}` takes {}, but {} are given",
                        if most == 1 {
                            "one argument".to_string()
                        } else {
                            format!("{most} arguments")
                        },
                        args.len()
                    ),
                    format!("write {forms}"),
                )
            };
            let extra = span_of(&args[most]);
            let last = span_of(&args[args.len() - 1]);
            return Err(self.error(
                Span::new(extra.start, last.end),
                &message,
                "too many arguments",
                Some(&help),
            ));
        }
        let mut built = Vec::new();
        let mut depth = 0;
        for a in args {
            let b = self.expr(a)?;
            depth = depth.max(b.depth);
            built.push(b.expr);
        }
        if let Some(axis) = built.get(1).filter(|_| takes_axis) {
            let ok = matches!(axis.kind, ExprKind::Number(k) if registry::Axis::from_number(k).is_some());
            if !ok {
                return Err(self.error(
                    axis.span,
                    &format!("the axis of `{name}` is 1 (down each column) or 2 (along each row)"),
                    "not 1 or 2",
                    Some(&format!("write {forms}")),
                ));
            }
        }
        self.checked(
            Expr {
                kind: ExprKind::Call(callee, built),
                span,
            },
            depth + 1,
        )
    }

    /// `L(E)`: an unknown scalar function.
    fn unknown_call(&self, p: Pair<Rule>, span: Span) -> Result<Built> {
        let mut inner = p.into_inner();
        let Some(head) = inner.next() else {
            return Err(self.error(span, "malformed call", "here", None));
        };
        let name = head.as_str();
        let Some(arg) = inner.find(|q| q.as_rule() == Rule::expr) else {
            return Err(self.error(
                span,
                &format!("`{name}` is applied to nothing"),
                "missing argument",
                Some(&format!(
                    "write an argument inside the parentheses, as in {name}(X)"
                )),
            ));
        };
        let arg = self.expr(arg)?;
        let name = if name == "ℓ" { "ell" } else { name };
        let kind = ExprKind::Unknown(name.to_string(), Box::new(arg.expr));
        self.checked(Expr { kind, span }, arg.depth + 1)
    }

    /// A word before `(` that names no function: an error naming the closest one.
    fn unknown_function(&self, name: &str, span: Span) -> Error {
        let suggestion = registry::suggest(name);
        let message = match &suggestion {
            Some(s) => format!("unknown function `{name}`; did you mean {s}?"),
            None => format!("unknown function `{name}`"),
        };
        let product = if name.chars().count() <= 8 {
            let letters: Vec<String> = name.chars().map(|c| c.to_string()).collect();
            format!("write `{}`", letters.join(" "))
        } else {
            "put spaces or `*` between them".to_string()
        };
        self.error(
            span,
            &message,
            "not a function of the language",
            Some(&format!(
                "`matdiff help syntax` lists the functions; for a product of one-letter names, {product}"
            )),
        )
    }

    /// A run of letters: one name, or a product of one-letter names.
    fn word(&self, p: Pair<Rule>) -> Result<Built> {
        let span = span_of(&p);
        let text = p.as_str();
        if registry::lookup(text).is_some() || text == "ones" {
            return Err(self.error(
                span,
                &format!("`{text}` is a function, not a variable"),
                "function name used as a variable",
                Some(&format!("apply it to an argument, as in {text}(X)")),
            ));
        }
        let mut factors = p
            .into_inner()
            .filter(|q| q.as_rule() == Rule::name)
            .map(|n| {
                let kind = match n.as_str() {
                    "I" => ExprKind::Identity,
                    s => ExprKind::Var {
                        name: canonical(s),
                        greek: false,
                    },
                };
                Expr {
                    kind,
                    span: span_of(&n),
                }
            });
        let Some(first) = factors.next() else {
            return Err(self.error(span, "expected a name", "here", None));
        };
        let rest: Vec<_> = factors.map(|f| (ProductOp::Juxtapose, f)).collect();
        if rest.is_empty() {
            return Ok(Built {
                expr: first,
                depth: 1,
            });
        }
        let kind = ExprKind::Product {
            first: Box::new(first),
            rest,
        };
        Ok(Built {
            expr: Expr { kind, span },
            depth: 2,
        })
    }

    fn decl(&self, p: Pair<Rule>) -> Result<Decl> {
        let span = span_of(&p);
        let mut name = None;
        let mut ty = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::decl_name => {
                    let name_span = span_of(&q);
                    let text = q.as_str();
                    let is_greek = q
                        .into_inner()
                        .next()
                        .is_some_and(|g| g.as_rule() == Rule::greek);
                    let canon = if is_greek {
                        greek_name(text)
                    } else {
                        canonical(text)
                    };
                    name = Some((canon, name_span));
                }
                Rule::scalar_kw => ty = Some(DeclType::Scalar),
                Rule::vector_kw => ty = Some(DeclType::Vector),
                Rule::matrix_type => ty = Some(self.matrix_type(q)?),
                _ => {}
            }
        }
        match (name, ty) {
            (Some((name, name_span)), Some(ty)) => Ok(Decl {
                name,
                name_span,
                ty,
                span,
            }),
            _ => Err(self.error(span, "malformed declaration", "here", None)),
        }
    }

    fn matrix_type(&self, p: Pair<Rule>) -> Result<DeclType> {
        let mut symmetric = false;
        let mut dims = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::sym_kw => symmetric = true,
                Rule::dim => dims.push(self.dim(&q)?),
                _ => {}
            }
        }
        match <[Dim; 2]>::try_from(dims) {
            Ok([rows, cols]) => Ok(DeclType::Matrix {
                rows,
                cols,
                symmetric,
            }),
            Err(_) => Err(self.error(Span::new(0, 0), "malformed shape", "here", None)),
        }
    }

    fn dim(&self, q: &Pair<Rule>) -> Result<Dim> {
        let text = q.as_str();
        if !text.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(Dim::Sym(text.to_string()));
        }
        match text.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Dim::Lit(n)),
            _ => Err(self.error(
                span_of(q),
                "a dimension must be a positive whole number or a name",
                "bad dimension",
                Some("write a size such as 3, or a name such as n"),
            )),
        }
    }
}

const DECL_HELP: &str = "declarations look like `X: 1×n`, `alpha: scalar` or `A: sym n×n`";
const SYNTAX_HELP: &str = "expressions look like `tr(X^T A X)` or `L(XW+B) where X: 1×n`";

/// A reader's name for what a grammar rule stands for in "expected …".
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        EOI => "end of input",
        number | call | unknown_call | greek | paren | word | norm_bars | neg | call_name
        | commutation | unknown | greek_letter | name | expr | bar_expr | ones => "an operand",
        add | sub | kron | hadamard | elem_div | div | matmul | juxt | transpose | power
        | epower | transpose_inverse => "an operator",
        where_clause | where_kw => "`where`",
        decl | decl_name => "a declaration such as `X: 1×n`",
        scalar_kw | vector_kw | matrix_type | sym_kw | dim => {
            "a shape such as `n×m`, `scalar` or `vector`"
        }
        int | sup_int => "an integer",
        real => "a number",
        rparen => "`)`",
        colon => "`:`",
        _ => return None,
    })
}

/// Whether `e` is a run of letters (`XW`): a chain of juxtaposed names.
fn is_word(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Product { first, rest } => {
            is_name(first)
                && rest
                    .iter()
                    .all(|(o, f)| *o == ProductOp::Juxtapose && is_name(f))
        }
        _ => false,
    }
}

fn is_name(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Var { .. } | ExprKind::Identity | ExprKind::Transpose(_) | ExprKind::Power(..)
    )
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `W_{12}` is spelled `W_12`.
fn canonical(name: &str) -> String {
    name.chars().filter(|c| *c != '{' && *c != '}').collect()
}

/// `λ_1` and `lambda_1` are both spelled `lambda_1`.
fn greek_name(text: &str) -> String {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let ascii = match first {
        'α' => "alpha",
        'β' => "beta",
        'γ' => "gamma",
        'δ' => "delta",
        'ε' | 'ϵ' => "epsilon",
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
        'φ' | 'ϕ' => "phi",
        'χ' => "chi",
        'ψ' => "psi",
        'ω' => "omega",
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
        _ => return canonical(text),
    };
    format!("{ascii}{}", canonical(chars.as_str()))
}
