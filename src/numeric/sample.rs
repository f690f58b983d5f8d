//! Random points that suit an expression, drawn the way `check-cases` draws
//! them: small random sizes, and inputs shaped by where a variable occurs
//! (inside an inverse, a log, a log-determinant, …).

use std::collections::{BTreeMap, BTreeSet};

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::error::EvalError;
use super::eval::gradient_symbol;
use super::values::Values;
use crate::registry::Domain;
use crate::shape::{Dim, Env, Shape};
use crate::term::{Func, Term};

/// The smallest size drawn for a symbolic dimension.
pub const MIN_SIZE: usize = 2;
/// The largest size drawn for a symbolic dimension.
pub const MAX_SIZE: usize = 5;
/// The largest literal dimension the numeric stage accepts: beyond it finite
/// differences take too long to be a useful check.
pub const MAX_LITERAL_DIM: u64 = 64;

type Matrix = DMatrix<f64>;

/// Where a variable occurs, as far as drawing it is concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Role {
    /// Under an inverse, a determinant, a log-determinant or a negative power.
    invertible: bool,
    /// Under a log-determinant.
    logdet: bool,
    /// Under log or sqrt, or in the denominator of `./`.
    positive: bool,
    /// Under a function defined between −1 and 1 (arcsin) or near 0 (tan).
    small: bool,
    /// Subtracted inside the argument of log, sqrt, logdet or a denominator
    /// (`log(1 − xᵀx)`, `logdet(I − X)`): drawn small enough to keep the
    /// argument inside the domain, since a draw of size 1 leaves it.
    shrunk: bool,
}

impl Role {
    fn join(self, other: Role) -> Role {
        Role {
            invertible: self.invertible || other.invertible,
            logdet: self.logdet || other.logdet,
            positive: self.positive || other.positive,
            small: self.small || other.small,
            shrunk: self.shrunk || other.shrunk,
        }
    }
}

/// A random point for `terms`, deterministic in `(seed, stream)`.
///
/// Every symbolic dimension met in the variables' shapes or in the terms gets a
/// size in `MIN_SIZE..=MAX_SIZE`; literal dimensions keep theirs. Each variable
/// of the terms is drawn to suit every place it occurs in, in this order of
/// preference:
///
/// | where it occurs | draw |
/// |---|---|
/// | scalar | uniform(0.5, 1.5) |
/// | declared symmetric, under inverse/det/logdet/negative power | Q diag(uniform(1, 3)) Qᵀ (positive definite) |
/// | declared symmetric | (M + Mᵀ)/2, with M positive if it occurs under log/sqrt/`./` |
/// | subtracted under log, sqrt, logdet or `./` | uniform(−s, s) with s = 0.5/entries (positive if also under log …) |
/// | square, under logdet | I + 0.3·N/√n, a column negated if needed so that det > 0 |
/// | square, under inverse/det/negative power | I + 0.3·N/√n |
/// | under log, sqrt or in the denominator of `./` | uniform(0.5, 2) entries |
/// | elsewhere | standard normal entries |
///
/// The matrix `G` of every unknown function (see [`gradient_symbol`]) is
/// drawn standard normal with the shape of the function's argument.
pub fn sample(terms: &[&Term], env: &Env, seed: u64, stream: u64) -> Result<Values, EvalError> {
    let mut roles = BTreeMap::new();
    let mut unknowns = BTreeMap::new();
    let mut dims = BTreeSet::new();
    for term in terms {
        collect(term, Role::default(), &mut roles, &mut unknowns, &mut dims);
    }
    let symbols: BTreeMap<String, &Term> = unknowns
        .iter()
        .map(|(name, arg)| (gradient_symbol(name), *arg))
        .collect();
    let mut shapes = BTreeMap::new();
    for name in roles.keys().filter(|n| !symbols.contains_key(*n)) {
        let info = env
            .get(name)
            .ok_or_else(|| EvalError::UnboundVariable(name.clone()))?;
        shapes.insert(name.clone(), (info.shape.clone(), info.symmetric));
    }
    for (symbol, arg) in &symbols {
        let shape = arg.shape(env).ok_or_else(|| EvalError::UnknownShape {
            what: format!("the argument of the function whose gradient is {symbol}"),
        })?;
        shapes.insert(symbol.clone(), (shape, false));
    }
    for (shape, _) in shapes.values() {
        dims.insert(shape.rows.clone());
        dims.insert(shape.cols.clone());
    }

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let mut vals = Values::new();
    // A product (the rows of a Kronecker product) has the size of its factors.
    let dims: BTreeSet<Dim> = dims.iter().flat_map(Dim::factors).collect();
    for dim in &dims {
        match dim {
            Dim::Sym(name) => {
                vals.set_dim(name, rng.random_range(MIN_SIZE..=MAX_SIZE));
            }
            Dim::Lit(n) if *n > MAX_LITERAL_DIM => {
                return Err(EvalError::TooLarge {
                    what: "a literal dimension".to_string(),
                    size: *n,
                    limit: MAX_LITERAL_DIM,
                });
            }
            Dim::Lit(_) | Dim::Prod(_) => {}
        }
    }
    for (name, (shape, symmetric)) in &shapes {
        let size = vals.shape(shape)?;
        let role = roles.get(name).copied().unwrap_or_default();
        let value = if symbols.contains_key(name) {
            normal(size, &mut rng)
        } else {
            draw(size, *symmetric, role, &mut rng)?
        };
        vals.set(name, value);
    }
    Ok(vals)
}

fn draw(
    (r, c): (usize, usize),
    symmetric: bool,
    role: Role,
    rng: &mut ChaCha8Rng,
) -> Result<Matrix, EvalError> {
    if (r, c) == (1, 1) {
        return Ok(Matrix::from_element(1, 1, rng.random_range(0.5..1.5)));
    }
    let square = r == c;
    if symmetric {
        if !square {
            return Err(EvalError::NotSquare {
                op: "a symmetric variable",
                shape: (r, c),
            });
        }
        if role.invertible {
            return Ok(positive_definite(r, rng));
        }
        let m = if role.positive {
            positive((r, c), rng)
        } else {
            normal((r, c), rng)
        };
        return Ok(symmetrize(&m));
    }
    if role.shrunk {
        let s = 0.5 / (r * c) as f64;
        return Ok(if role.positive && !role.logdet {
            Matrix::from_fn(r, c, |_, _| rng.random_range(0.1 * s..s))
        } else {
            Matrix::from_fn(r, c, |_, _| rng.random_range(-s..s))
        });
    }
    if square && role.invertible {
        let mut m = well_conditioned(r, rng);
        if role.logdet && m.determinant() < 0.0 {
            // Negating one column flips the determinant's sign and keeps the
            // matrix as well conditioned as it was.
            m.column_mut(0).neg_mut();
        }
        return Ok(m);
    }
    // Under arcsin the variable must stay small even where it also stands
    // under a square root (as it does in arcsin′).
    Ok(if role.small && (role.positive || role.logdet) {
        Matrix::from_fn(r, c, |_, _| rng.random_range(0.2..0.8))
    } else if role.small {
        small((r, c), rng)
    } else if role.positive || role.logdet {
        positive((r, c), rng)
    } else {
        normal((r, c), rng)
    })
}

fn collect<'t>(
    term: &'t Term,
    role: Role,
    roles: &mut BTreeMap<String, Role>,
    unknowns: &mut BTreeMap<String, &'t Term>,
    dims: &mut BTreeSet<Dim>,
) {
    let inner = match term {
        Term::Var(n) => {
            let r = roles.entry(n.clone()).or_default();
            *r = r.join(role);
            return;
        }
        Term::Identity(d) => {
            dims.insert(d.clone());
            return;
        }
        Term::Ones(s) | Term::Zero(s) => {
            insert_shape(dims, s);
            return;
        }
        Term::Commutation(m, n) => {
            dims.insert(m.clone());
            dims.insert(n.clone());
            return;
        }
        Term::ElemDiv(a, b) => {
            collect(a, role, roles, unknowns, dims);
            let denominator = Role {
                positive: true,
                ..role
            };
            collect(b, denominator, roles, unknowns, dims);
            return;
        }
        Term::Unknown(name, arg) => {
            unknowns.entry(name.clone()).or_insert(arg);
            role
        }
        Term::Neg(_) if role.positive || role.logdet => Role {
            shrunk: true,
            ..role
        },
        Term::Inverse(_) | Term::Apply(Func::Det, _) => Role {
            invertible: true,
            ..role
        },
        Term::Pow(_, k) if *k < 0 => Role {
            invertible: true,
            ..role
        },
        Term::Apply(Func::Logdet, _) => Role {
            invertible: true,
            logdet: true,
            ..role
        },
        Term::EPow(_, q) if q.0.fract() != 0.0 || q.0 < 0.0 => Role {
            positive: true,
            ..role
        },
        Term::Apply(f, _) => match f.elementwise().map(|e| e.domain) {
            Some(Domain::Positive | Domain::NonNegative) => Role {
                positive: true,
                ..role
            },
            Some(Domain::OpenUnit | Domain::NearZero) => Role {
                small: true,
                ..role
            },
            _ => role,
        },
        _ => role,
    };
    for child in term.children() {
        collect(child, inner, roles, unknowns, dims);
    }
}

fn insert_shape(dims: &mut BTreeSet<Dim>, s: &Shape) {
    dims.insert(s.rows.clone());
    dims.insert(s.cols.clone());
}

/// A matrix of standard normal entries from its own stream of `seed`: a
/// direction for the numeric check.
pub(crate) fn direction((r, c): (usize, usize), seed: u64, stream: u64) -> Matrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    normal((r, c), &mut rng)
}

/// One standard normal number (Box–Muller; `rand` itself has no normal law).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn normal((r, c): (usize, usize), rng: &mut ChaCha8Rng) -> Matrix {
    Matrix::from_fn(r, c, |_, _| standard_normal(rng))
}

/// Entries in (−0.8, 0.8): inside the domain of arcsin and away from the poles of tan.
fn small((r, c): (usize, usize), rng: &mut ChaCha8Rng) -> Matrix {
    Matrix::from_fn(r, c, |_, _| rng.random_range(-0.8..0.8))
}

fn positive((r, c): (usize, usize), rng: &mut ChaCha8Rng) -> Matrix {
    Matrix::from_fn(r, c, |_, _| rng.random_range(0.5..2.0))
}

fn symmetrize(m: &Matrix) -> Matrix {
    (m + m.transpose()) * 0.5
}

fn positive_definite(n: usize, rng: &mut ChaCha8Rng) -> Matrix {
    let q = normal((n, n), rng).qr().q();
    let d = Matrix::from_fn(n, 1, |_, _| rng.random_range(1.0..3.0));
    let m = &q * Matrix::from_diagonal(&d.column(0).into_owned()) * q.transpose();
    // Round-off leaves Q D Qᵀ slightly asymmetric; symmetric perturbations in
    // the gradient check assume exact symmetry.
    symmetrize(&m)
}

fn well_conditioned(n: usize, rng: &mut ChaCha8Rng) -> Matrix {
    Matrix::identity(n, n) + normal((n, n), rng) * (0.3 / (n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_of(term: &Term, name: &str) -> Role {
        let (mut roles, mut unknowns, mut dims) =
            (BTreeMap::new(), BTreeMap::new(), BTreeSet::new());
        collect(term, Role::default(), &mut roles, &mut unknowns, &mut dims);
        roles[name]
    }

    #[test]
    fn roles_follow_the_enclosing_operators() {
        let x = || Box::new(Term::var("X"));
        let logdet = Term::Apply(Func::Logdet, x());
        assert_eq!(
            role_of(&logdet, "X"),
            Role {
                invertible: true,
                logdet: true,
                positive: false,
                small: false,
                shrunk: false,
            }
        );
        let quotient = Term::ElemDiv(Box::new(Term::var("A")), x());
        assert!(role_of(&quotient, "X").positive);
        assert!(!role_of(&quotient, "A").positive);
        let power = Term::Pow(x(), -2);
        assert!(role_of(&power, "X").invertible);
        let square = Term::Pow(x(), 2);
        assert_eq!(role_of(&square, "X"), Role::default());
    }

    #[test]
    fn standard_normal_has_mean_zero_and_variance_one() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let xs: Vec<f64> = (0..20_000).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}
