//! The JSON bodies of the API: one object per command, whose keys are the
//! command line's arguments (`expr`, `wrt`, `let`, `method`, `format`, …;
//! `lets`, `no-check` and `node-limit` are read too).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// A command of the API, served at `POST /api/<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Gradients with their derivation.
    Grad,
    /// The simplest equal form.
    Simplify,
    /// Equal for all values, or not.
    Equiv,
    /// The shape of every variable and subexpression.
    Shape,
}

impl Command {
    /// Every command, in the order the page lists them.
    pub const ALL: [Command; 4] = [
        Command::Grad,
        Command::Simplify,
        Command::Equiv,
        Command::Shape,
    ];

    /// The name in the URL and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Command::Grad => "grad",
            Command::Simplify => "simplify",
            Command::Equiv => "equiv",
            Command::Shape => "shape",
        }
    }

    /// The command called `name`.
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// How `grad` derives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// By the matrix differential.
    #[default]
    Differential,
    /// By components.
    Components,
    /// Both, and whether they agree.
    Both,
}

/// What the `"output"` field of an answer holds, besides the JSON object
/// that every answer is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Nothing more: the object is the answer.
    #[default]
    Json,
    /// The command's text output.
    Text,
    /// Its LaTeX.
    Latex,
    /// Its NumPy code.
    Numpy,
    /// Its PyTorch code.
    Torch,
}

/// Cost models of `grad`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Cost {
    Flops,
}

/// A string or a list of strings, as a list: `"X: 1×n"` and `["X: 1×n"]`
/// are one declaration, as one `--let` is.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Strings;
    impl<'de> Visitor<'de> for Strings {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(vec![s.to_string()])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(Strings)
}

/// The body of `POST /api/grad`: the arguments of `matdiff grad`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradRequest {
    /// The expression (a `where` clause allowed).
    pub expr: String,
    /// The variables to differentiate by (default: all).
    #[serde(default, deserialize_with = "strings")]
    pub wrt: Vec<String>,
    /// Declarations, each like one `--let`.
    #[serde(default, rename = "let", alias = "lets", deserialize_with = "strings")]
    pub lets: Vec<String>,
    /// How to derive.
    #[serde(default)]
    pub method: Method,
    /// The extra `"output"` format.
    #[serde(default)]
    pub format: Format,
    /// The text output shows the numeric check.
    #[serde(default)]
    pub check: bool,
    /// Skip the numeric check.
    #[serde(default, alias = "no-check")]
    pub no_check: bool,
    /// Seed of the numeric check.
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    cost: Option<Cost>,
    /// The cheapest of equal forms by floating-point operations.
    #[serde(skip)]
    pub cost_flops: bool,
    /// ASCII instead of Unicode in the text output.
    #[serde(default)]
    pub ascii: bool,
    /// Add the statistics of each e-graph run.
    #[serde(default)]
    pub stats: bool,
    /// At most this many e-nodes per e-graph run.
    #[serde(default, alias = "node-limit")]
    pub node_limit: Option<usize>,
    /// At most this many seconds.
    #[serde(default)]
    pub timeout: Option<f64>,
}

/// The body of `POST /api/simplify`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimplifyRequest {
    /// The expression.
    pub expr: String,
    /// Declarations.
    #[serde(default, rename = "let", alias = "lets", deserialize_with = "strings")]
    pub lets: Vec<String>,
    /// The extra `"output"` format.
    #[serde(default)]
    pub format: Format,
    /// At most this many e-nodes per e-graph run.
    #[serde(default, alias = "node-limit")]
    pub node_limit: Option<usize>,
    /// At most this many seconds.
    #[serde(default)]
    pub timeout: Option<f64>,
}

/// The body of `POST /api/equiv`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquivRequest {
    /// The first expression.
    pub a: String,
    /// The second expression.
    pub b: String,
    /// Declarations.
    #[serde(default, rename = "let", alias = "lets", deserialize_with = "strings")]
    pub lets: Vec<String>,
    /// The text output lists the proof's steps.
    #[serde(default)]
    pub explain: bool,
    /// At most this many e-nodes per e-graph run.
    #[serde(default, alias = "node-limit")]
    pub node_limit: Option<usize>,
    /// At most this many seconds.
    #[serde(default)]
    pub timeout: Option<f64>,
}

/// The body of `POST /api/shape`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeRequest {
    /// The expression.
    pub expr: String,
    /// Declarations.
    #[serde(default, rename = "let", alias = "lets", deserialize_with = "strings")]
    pub lets: Vec<String>,
    /// At most this many seconds.
    #[serde(default)]
    pub timeout: Option<f64>,
}

/// A parsed and validated request.
#[derive(Clone, Debug)]
pub enum Request {
    /// `grad`.
    Grad(GradRequest),
    /// `simplify`.
    Simplify(SimplifyRequest),
    /// `equiv`.
    Equiv(EquivRequest),
    /// `shape`.
    Shape(ShapeRequest),
}

impl Request {
    /// Reads the body of a request for `command`; the error says what is
    /// wrong with it, as serde_json or the command line would.
    pub fn parse(command: Command, body: &[u8]) -> Result<Request, String> {
        fn read<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, String> {
            serde_json::from_slice(body).map_err(|e| format!("the request body is not usable: {e}"))
        }
        let request = match command {
            Command::Grad => {
                let mut r: GradRequest = read(body)?;
                if r.check && r.no_check {
                    return Err("`check` and `no_check` cannot both be true".to_string());
                }
                r.cost_flops = r.cost == Some(Cost::Flops);
                Request::Grad(r)
            }
            Command::Simplify => Request::Simplify(read(body)?),
            Command::Equiv => Request::Equiv(read(body)?),
            Command::Shape => Request::Shape(read(body)?),
        };
        if let Some(t) = request.timeout()
            && !(t.is_finite() && t > 0.0 && t <= 86_400.0)
        {
            return Err(format!(
                "`timeout` is {t}; it must be a number of seconds above 0 and at most 86400"
            ));
        }
        if request.node_limit() == Some(0) {
            return Err("`node_limit` must be at least 1".to_string());
        }
        Ok(request)
    }

    /// The seconds the request asks to be limited to, if any.
    pub fn timeout(&self) -> Option<f64> {
        match self {
            Request::Grad(r) => r.timeout,
            Request::Simplify(r) => r.timeout,
            Request::Equiv(r) => r.timeout,
            Request::Shape(r) => r.timeout,
        }
    }

    /// The e-nodes per run the request asks to be limited to, if any.
    pub fn node_limit(&self) -> Option<usize> {
        match self {
            Request::Grad(r) => r.node_limit,
            Request::Simplify(r) => r.node_limit,
            Request::Equiv(r) => r.node_limit,
            Request::Shape(_) => None,
        }
    }

    /// The texts of the request that a diagnostic may point into:
    /// `(field, index in a list, text)`.
    pub fn texts(&self) -> Vec<(&'static str, Option<usize>, &str)> {
        let (mut out, lets) = match self {
            Request::Grad(r) => (vec![("expr", None, r.expr.as_str())], &r.lets),
            Request::Simplify(r) => (vec![("expr", None, r.expr.as_str())], &r.lets),
            Request::Shape(r) => (vec![("expr", None, r.expr.as_str())], &r.lets),
            Request::Equiv(r) => (
                vec![("a", None, r.a.as_str()), ("b", None, r.b.as_str())],
                &r.lets,
            ),
        };
        out.extend(
            lets.iter()
                .enumerate()
                .map(|(i, l)| ("let", Some(i), l.as_str())),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_one_string_or_a_list() {
        let r = Request::parse(
            Command::Grad,
            r#"{"expr": "L(XW+B)", "let": "X: 1×n"}"#.as_bytes(),
        );
        let Ok(Request::Grad(g)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(g.lets, ["X: 1×n"]);
        let r = Request::parse(
            Command::Grad,
            r#"{"expr": "L(XW+B)", "lets": ["X: 1×n", "W: n×m"], "wrt": "X"}"#.as_bytes(),
        );
        let Ok(Request::Grad(g)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(g.lets, ["X: 1×n", "W: n×m"]);
        assert_eq!(g.wrt, ["X"]);
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        let err = |c, body: &str| Request::parse(c, body.as_bytes()).unwrap_err();
        assert!(err(Command::Grad, "{").contains("EOF"));
        assert!(err(Command::Grad, "{}").contains("missing field `expr`"));
        assert!(
            err(Command::Grad, r#"{"expr": "X", "colour": 1}"#).contains("unknown field `colour`")
        );
        assert!(err(Command::Grad, r#"{"expr": 3}"#).contains("expected a string"));
        assert!(err(Command::Grad, r#"{"expr": "X", "wrt": [1]}"#).contains("expected a string"));
        assert!(
            err(Command::Grad, r#"{"expr": "X", "method": "magic"}"#).contains("unknown variant")
        );
        assert!(
            err(
                Command::Grad,
                r#"{"expr": "X", "check": true, "no_check": true}"#
            )
            .contains("cannot both")
        );
        assert!(err(Command::Simplify, r#"{"expr": "X", "timeout": -1}"#).contains("timeout"));
        assert!(err(Command::Equiv, r#"{"a": "X"}"#).contains("missing field `b`"));
        assert!(err(Command::Shape, r#"{"expr": "X", "node_limit": 5}"#).contains("unknown field"));
        assert!(err(Command::Grad, "[]").contains("expected struct"));
    }
}
