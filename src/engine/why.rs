//! Why a line of a derivation holds, as data. Stages record rule ids and
//! the facts of a step (which variables were held constant); only the
//! renderers turn them into words, each in its own format.

use std::fmt;

use super::rules;
use crate::render::text::{self, Style};

/// The justification of one line of a derivation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// One rule of a rule table, by id (a run of steps by the same rule is
    /// one line).
    Rule(&'static str),
    /// The differential of the input: the rules that produced it (in order
    /// of first use, `linearity of d` left out when others were used), and
    /// the variables held constant from the start.
    Differential {
        /// Rule ids.
        rules: Vec<&'static str>,
        /// Variables whose differentials are zero from the start.
        constants: Vec<String>,
    },
    /// A stage too long to print step by step: the rules it used, its
    /// number of steps and the size of its term.
    Summary {
        /// Rule ids, in order of first use.
        rules: Vec<&'static str>,
        /// Rewrite steps.
        steps: u64,
        /// Nodes of the term.
        size: u64,
    },
    /// Every differential but the one of the variable set to zero.
    HoldConstant(Vec<String>),
    /// The lines above substituted into the differential.
    Substitute,
    /// `df = tr(Aᵀ dV)` read as `∂f/∂V = A`.
    Identification,
    /// A term with a zero factor or numerator is zero.
    ZeroTerms,
    /// A derivative applied to a direction: `dV` replaced by it.
    Direction {
        /// The variable.
        var: String,
        /// The direction.
        direction: String,
    },
    /// The second differential from the differential of the gradient:
    /// `d²f = tr(dVᵀ d(∂f/∂V))`, since `d(dV) = 0`.
    SecondDifferential,
    /// The gradient, as `grad` derives it.
    Gradient,
    /// The gradient with respect to a symmetric variable: the symmetric
    /// part `(A + Aᵀ)/2` of `A` (SPEC §2, "Symmetric variables").
    SymmetricPart(String),
    /// `dV` does not occur in `df`: the gradient is zero.
    Absent {
        /// The variable.
        var: String,
        /// The function.
        function: String,
    },
}

/// The display name of a rule id, as written in its table.
pub fn rule_name(id: &str) -> &'static str {
    rules::by_id(id).map_or("rule", |r| r.name)
}

impl Why {
    /// The justification in text: Unicode, or ASCII with `style.ascii`.
    pub fn text(&self, style: Style) -> String {
        let s = self.unicode();
        if style.ascii { text::ascii(&s) } else { s }
    }

    /// The justification in LaTeX text mode (inside `\text{…}`).
    pub fn latex(&self) -> String {
        crate::render::latex::text(&self.unicode())
    }

    fn unicode(&self) -> String {
        let names = |ids: &[&str]| {
            let mut out: Vec<&str> = Vec::new();
            for id in ids {
                let n = rule_name(id);
                if !out.contains(&n) {
                    out.push(n);
                }
            }
            out.join(", ")
        };
        let named = |vs: &[String]| {
            vs.iter()
                .map(|v| text::name(v, Style::default()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Why::Rule(id) => rule_name(id).to_string(),
            Why::Differential { rules, constants } => {
                let shown: Vec<&str> = rules.iter().copied().filter(|r| *r != "d-linear").collect();
                let label = if shown.is_empty() {
                    names(rules)
                } else {
                    names(&shown)
                };
                if constants.is_empty() {
                    label
                } else {
                    format!("{label} ({} constant)", named(constants))
                }
            }
            Why::Summary { rules, steps, size } => match steps {
                0 | 1 => names(rules),
                _ => format!(
                    "{} ({steps} steps of a {size}-node term: too long to print)",
                    names(rules)
                ),
            },
            Why::HoldConstant(vs) => format!("hold {} constant", named(vs)),
            Why::Substitute => "substitute".to_string(),
            Why::Identification => "identification".to_string(),
            Why::ZeroTerms => "a zero factor makes the term zero".to_string(),
            Why::SymmetricPart(v) => format!(
                "{} symmetric: sym(A) = (A + Aᵀ)/2",
                text::name(v, Style::default())
            ),
            Why::Absent { var, function } => format!("d{var} does not occur in d{function}"),
            Why::Direction { var, direction } => format!(
                "at d{} = {}",
                text::name(var, Style::default()),
                text::name(direction, Style::default())
            ),
            Why::SecondDifferential => "d²f = tr(dVᵀ d(∂f/∂V)), d(dV) = 0".to_string(),
            Why::Gradient => "the gradient, derived as by grad".to_string(),
        }
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.unicode())
    }
}

impl PartialEq<&str> for Why {
    fn eq(&self, other: &&str) -> bool {
        self.unicode() == *other
    }
}
