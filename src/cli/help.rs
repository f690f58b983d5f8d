//! `matdiff help syntax`: the expression language in brief, with the
//! functions read from the operator registry.

/// The language, before the table of functions.
const INTRO: &str = "\
The expression language of matdiff (docs/language.md has the full reference).

  written                          meaning
  XW, X W, X*W, X@W, X·W           matrix product (juxtaposition binds like *)
  2X, alpha X, α X                 scalar times matrix
  A + B, A - B, -A                 sum, difference, negation
  X^T, X', Xᵀ                      transpose
  X^{-1}, X^-1, X⁻¹, inv(X)        inverse (square)
  X^-T, X^{-T}, X⁻ᵀ                transpose of the inverse
  X^2, X^{3}, X²                   integer power of a square matrix or a scalar
  X .^ p, X.^{0.5}                 elementwise power by a real number
  A ⊙ B, A .* B                    elementwise product
  A ./ B, A / alpha                elementwise division; division by a scalar
  A ⊗ B, kron(A, B)                Kronecker product (mp×nq for m×n and p×q)
  vec(X)                           the columns of X stacked (mn×1)
  K_{m,n}                          commutation matrix: K_{m,n} vec(X) = vec(Xᵀ)
  ‖x‖, ||x||                       norm (as norm(x))
  I, 𝟙 (or ones), 0                identity, all-ones, zero (shapes inferred)
  2, 0.5, 1e-3                     constants; in a sum with a matrix, c is c𝟙
  L(…), f(…), g(…), h(…), ℓ(…)     an unknown scalar function (a loss);
                                   G = ∂L/∂Y names its gradient (G_f for f)

Names: a variable is one letter with optional digits or a subscript: X, W1,
W_1, W_{12}, b_out. A run of letters is a product of one-letter names (tr(AXB)
is tr(A·X·B)); a postfix applies to the last letter (XWᵀ is X·Wᵀ). A word
before `(` is a function (below) or an error naming the closest one.
Kinds: uppercase names are matrices, lowercase names column vectors, Greek
names (alpha, α, lambda, λ, …) scalars, capital Greek names (Sigma, Σ, Omega,
Ω, …) matrices. Dimensions are inferred; declarations fix them:

  L(XW+B) where X: 1×n, W: n×m          (in the expression)
  --let 'X: 1×n' --let 'A: sym n×n'      (on the command line)
  kinds of declaration: n×m, 3x4, sym n×n, scalar, vector, n×1, 1×n

Precedence, loosest first: + - ; ⊗ ; products (juxtaposition * @ ⊙ .* / ./) ;
unary minus ; postfix (^T ' ^{-1} ^k .^p) ; atoms. (A C ⊗ B D is (AC) ⊗ (BD).)

Functions:
";

/// Examples at the end.
const EXAMPLES: &str = "
Examples:
  matdiff grad 'L(XW+B) where X: 1×n'
  matdiff grad 'tr(X^T A X)' --let 'A: sym n×n' --wrt X
  matdiff grad 'log(det(X)) - tr(S X)' --let 'X: sym n×n'
  matdiff grad 'sum(softplus(X w)) - yᵀ X w' --wrt w
  matdiff grad 'logsumexp(W x) - yᵀ W x' --wrt W
  matdiff grad 'L(softmax(Q Kᵀ / τ, 2) V)' --wrt Q
  matdiff simplify 'X(A + B) - XA'
  matdiff equiv 'tr(ABC)' 'tr(CAB)' --explain
";

/// The whole text.
pub fn syntax() -> String {
    format!("{INTRO}{}{EXAMPLES}", matdiff::registry::help_table())
}
