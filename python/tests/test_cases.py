"""Every gradient of the case file, through matdiff.grad and its .numpy()
callable, against central finite differences of the case's NumPy reference."""

import json
import math
import pathlib
import zlib

import numpy as np
import pytest

import matdiff

CASES = json.loads((pathlib.Path(__file__).parent / "cases.json").read_text("utf-8"))["cases"]
TOL, STEP, TRIALS = 1e-6, 1e-4, 2


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0.0, x)


def logdet(x):
    sign, val = np.linalg.slogdet(x)
    return val if sign > 0 else np.nan


HELPERS = {"np": np, "sigmoid": sigmoid, "softplus": softplus, "logdet": logdet}


def shape_of(case, name):
    return tuple(d if isinstance(d, int) else case["dims"][d] for d in case["vars"][name])


def draw(kind, shape, rng):
    if shape == ():
        return float(rng.uniform(0.5, 1.5))
    if kind == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "wellcond":
        n = shape[0]
        return np.eye(n) + 0.3 * rng.standard_normal((n, n)) / math.sqrt(n)
    assert kind == "normal", kind
    return rng.standard_normal(shape)


def point(case, trial):
    rng = np.random.default_rng([zlib.crc32(case["id"].encode()), trial])
    kinds = case.get("sample", {})
    return {v: draw(kinds.get(v, "normal"), shape_of(case, v), rng) for v in sorted(case["vars"])}


def finite_differences(f, at, wrt):
    """Central differences with one Richardson step, entry by entry."""
    x0 = np.array(at[wrt], dtype=float)
    out = np.zeros_like(x0)

    def f_at(idx, h):
        x = x0.copy()
        x[idx] += h
        return float(np.asarray(f(**{**at, wrt: x if x.ndim else float(x)})).reshape(()))

    for idx in np.ndindex(x0.shape):
        d1 = (f_at(idx, STEP) - f_at(idx, -STEP)) / (2 * STEP)
        d2 = (f_at(idx, STEP / 2) - f_at(idx, -STEP / 2)) / STEP
        out[idx] = (4 * d2 - d1) / 3
    return out


def rel_error(got, want):
    return np.linalg.norm(got - want) / max(np.linalg.norm(want), 1.0)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_numpy_callable_matches_finite_differences(case):
    d = matdiff.grad(case["expr"], wrt=case["wrt"], lets=case["lets"])
    assert list(d.gradients) == [case["wrt"]]
    g = d.gradients[case["wrt"]]
    assert d.check is not None and d.check.passed
    # The callable asks for exactly the case's variables (and G for L).
    assert sorted(g.params) == sorted(case["vars"])
    fn = g.numpy()
    reference = eval(case["f"], dict(HELPERS))  # noqa: S307 - the test's own data
    want_shape = shape_of(case, case["wrt"])
    for trial in range(TRIALS):
        at = point(case, trial)
        got = np.asarray(fn(**at), dtype=float)
        assert got.shape == want_shape, (got.shape, want_shape, g.numpy_source)
        want = finite_differences(reference, at, case["wrt"])
        err = rel_error(got, want)
        assert err < TOL, f"{g.lhs} = {g.text} ({g.numpy_source}): relative error {err:.2e}"


def test_numpy_callable_catches_a_wrong_formula():
    """The comparison above fails for a wrong gradient: the harness can fail."""
    case = next(c for c in CASES if c["id"] == "tr_AXB")
    reference = eval(case["f"], dict(HELPERS))  # noqa: S307
    at = point(case, 0)
    want = finite_differences(reference, at, "X")
    right = at["A"].T @ at["B"].T
    assert rel_error(right, want) < TOL
    assert rel_error(1.001 * right, want) > TOL  # off by 0.1%
    assert rel_error(at["A"].T @ at["B"].T[::-1], want) > TOL  # rows swapped


def test_reference_case_acceptance():
    """The README's acceptance line and the three gradients of L(XW+B)."""
    d = matdiff.grad("L(XW+B)")
    assert d.gradients["X"].text == "G Wᵀ"
    assert {v: g.text for v, g in d.gradients.items()} == {"X": "G Wᵀ", "W": "Xᵀ G", "B": "G"}
    assert d.gradients["X"].latex == "G W^{\\top}"
    assert d.gradients["W"].ascii == "X^T G"
    assert d.gradients["X"].params == ("X", "W", "B", "G")
    assert d.differential[0] == matdiff.Step(
        "dL = tr(Gᵀ dY)", d.differential[0].latex, "differential of L"
    )
    assert d.gradients["X"].steps[-1].rule == "identification"
    assert d.definitions[1].name == "G" and d.definitions[1].text == "∂L/∂Y"
    assert json.loads(d.to_json())["gradients"][0]["numpy"] == "G @ W.T"


def test_reference_case_with_lets_as_dict():
    d = matdiff.grad("L(XW+B)", lets={"X": "1×n", "W": "n×m"})
    assert d.shapes == {"X": (1, "n"), "W": ("n", "m"), "B": (1, "m")}
    assert d.gradients["B"].shape == (1, "m")
    rng = np.random.default_rng(1)
    X, W, B, G = (rng.standard_normal(s) for s in [(1, 4), (4, 3), (1, 3), (1, 3)])
    np.testing.assert_allclose(d.gradients["X"].numpy()(X=X, W=W, B=B, G=G), G @ W.T)
    np.testing.assert_allclose(d.gradients["W"].numpy()(X=X, W=W, B=B, G=G), X.T @ G)


def test_layered_network_binds_intermediates():
    """A deep network's code names its layers, (Z1 := …, …, result)[-1]."""
    d = matdiff.grad("L(tanh(tanh(X W1 + B1) W2 + B2))", wrt="W1")
    g = d.gradients["W1"]
    assert ":=" in g.numpy_source
    assert g.params == ("X", "W1", "B1", "W2", "B2", "G")
    rng = np.random.default_rng(2)
    shapes = {"X": (5, 4), "W1": (4, 3), "B1": (5, 3), "W2": (3, 2), "B2": (5, 2), "G": (5, 2)}
    at = {k: rng.standard_normal(s) for k, s in shapes.items()}

    def f(X, W1, B1, W2, B2, G):
        return np.sum(G * np.tanh(np.tanh(X @ W1 + B1) @ W2 + B2))

    err = rel_error(g.numpy()(**at), finite_differences(f, at, "W1"))
    assert err < TOL


def test_scalar_variable_gives_a_number_and_keywords_are_renamed():
    d = matdiff.grad("λ tr(X) + α tr(XᵀX)", wrt=["λ", "alpha"])
    assert set(d.gradients) == {"lambda", "alpha"}
    g = d.gradients["lambda"]
    assert g.params == ("lambda_", "X", "alpha")
    assert d.shapes == {"lambda": (1, 1), "X": ("n", "n"), "alpha": (1, 1)}
    X = np.arange(9.0).reshape(3, 3)
    args = {"lambda_": 2.0, "alpha": 0.5, "X": X}
    assert float(g.numpy()(**args)) == pytest.approx(np.trace(X))
    assert np.ndim(g.numpy()(**args)) == 0


def test_methods_components_and_both():
    c = matdiff.grad("L(XW+B)", method="components")
    assert c.gradients["X"].text == "G Wᵀ"
    # By components: the text derivation, no LaTeX or module (checked, but
    # the check has no summary line).
    assert (c.latex, c.numpy_source, c.check, c.agree) == (None, None, None, None)
    assert "index form" in c.text and c.gradients["X"].steps == ()
    rng = np.random.default_rng(3)
    X, W, B, G = (rng.standard_normal(s) for s in [(2, 4), (4, 3), (2, 3), (2, 3)])
    np.testing.assert_allclose(c.gradients["X"].numpy()(X=X, W=W, B=B, G=G), G @ W.T)
    both = matdiff.grad("tr(AXB)", method="both")
    assert both.agree is True
    assert "identification" in [s.rule for s in both.gradients["X"].steps]
    assert "both methods agree" in both.text
    # LaTeX and code of the half by the matrix differential.
    assert both.latex.startswith("\\begin{align*}")
    assert "def grad_X(A, X, B):" in both.numpy_source
