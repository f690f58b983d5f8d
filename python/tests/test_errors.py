"""Bad inputs raise the matching exception class, with the span of the
offending part; nothing crashes the interpreter."""

import threading
import time

import pytest

import matdiff


def raised(cls, query):
    with pytest.raises(cls) as info:
        query()
    e = info.value
    assert isinstance(e, matdiff.Error)
    assert e.message and str(e) == e.message
    # The diagnostic holds the message, wrapped at 80 columns.
    words = " ".join(e.diagnostic.replace("│", " ").split())
    assert " ".join(e.message.split()) in words
    return e


def part(e):
    """The offending part of the input, as the span points at it."""
    start, end = e.span
    return e.source[start:end]


def test_syntax_error_has_span_and_diagnostic():
    e = raised(matdiff.SyntaxError, lambda: matdiff.grad("L(XW+"))
    assert e.message == "unclosed `(`"
    assert (e.span, e.source, part(e)) == ((1, 2), "L(XW+", "(")
    assert (e.kind, e.exit_code) == ("syntax", 2)
    assert "L(XW+" in e.diagnostic and "─" in e.diagnostic
    assert isinstance(e, ValueError)


def test_span_counts_characters_not_bytes():
    e = raised(matdiff.SyntaxError, lambda: matdiff.grad("tr(X⁻¹A) + )"))
    assert e.span == (11, 12) and part(e) == ")"


def test_span_in_a_long_input_points_into_the_whole_input():
    expr = "X + " * 100 + ")"  # the diagnostic shows an excerpt
    e = raised(matdiff.SyntaxError, lambda: matdiff.grad(expr))
    assert e.source == expr and e.span == (400, 401)
    assert "from byte" in e.diagnostic


def test_shape_error_points_at_the_product():
    e = raised(matdiff.ShapeError, lambda: matdiff.shape("tr(XW)", lets=["X: 2×3", "W: 4×5"]))
    assert e.message == "the columns of `X` (3) differ from the rows of `W` (4)"
    assert (e.span, part(e)) == ((3, 5), "XW")
    assert "2×3 times 4×5" in e.diagnostic


def test_errors_in_declarations_point_into_the_declaration():
    e = raised(matdiff.SyntaxError, lambda: matdiff.grad("tr(XW)", lets={"X": "1×"}))
    assert e.source == "X: 1×" and e.span == (4, 5)
    e = raised(matdiff.ShapeError, lambda: matdiff.grad("tr(XW)", lets={"Z": "1×n"}))
    assert e.message == "`Z` is declared but does not appear in the expression"
    assert e.source == "Z: 1×n" and part(e) == "Z"


def test_equivalence_of_different_shapes_is_a_shape_error():
    e = raised(matdiff.ShapeError, lambda: matdiff.equiv("X", "Xᵀ", lets=["X: 2×3"]))
    assert e.source == "(X) - (Xᵀ)" and part(e) == "(Xᵀ)"


def test_usage_errors():
    e = raised(matdiff.UsageError, lambda: matdiff.grad("XW"))
    assert "not a scalar" in e.message and e.span is None and e.exit_code == 2
    e = raised(matdiff.UsageError, lambda: matdiff.grad("tr(XW)", wrt="Z"))
    assert "Z is not a variable of tr(XW)" in e.message
    raised(matdiff.UsageError, lambda: matdiff.grad("tr(X)", method="symbolic"))
    raised(matdiff.UsageError, lambda: matdiff.grad("tr(X)", timeout=-1))
    raised(matdiff.UsageError, lambda: matdiff.grad("tr(X)", timeout=float("nan")))
    raised(matdiff.UsageError, lambda: matdiff.grad("tr(X)", node_limit=0))
    raised(matdiff.UsageError, lambda: matdiff.grad("tr(X)", seed=-1))
    with pytest.raises(TypeError):
        matdiff.grad(b"tr(X)")
    with pytest.raises(TypeError):
        matdiff.grad("tr(X)", lets=42)


def test_unsupported_error():
    e = raised(matdiff.UnsupportedError, lambda: matdiff.grad("L(X) + L(W)"))
    assert "applied at two different arguments" in e.message
    assert (e.span, e.kind, e.exit_code) == (None, "unsupported", 1)


def test_limit_errors():
    e = raised(matdiff.LimitError, lambda: matdiff.grad("L(XW+B)", node_limit=1))
    assert e.kind == "limit" and "node" in e.message
    e = raised(matdiff.LimitError, lambda: matdiff.grad("sum(X^30)"))
    assert e.kind == "too_complex"
    e = raised(matdiff.LimitError, lambda: matdiff.grad("x" * (2 << 20)))
    assert e.kind == "input_too_large"
    e = raised(
        matdiff.LimitError,
        lambda: matdiff.grad("L(tanh(tanh(X W1 + B1) W2 + B2))", timeout=1e-6),
    )
    assert e.kind == "limit" and "time" in e.message


def test_check_error():
    """A gradient whose numeric check cannot be made is not returned."""
    e = raised(matdiff.CheckError, lambda: matdiff.grad("sum(log(X - X))"))
    assert e.kind == "unverified" and "log is not defined at 0" in e.message


@pytest.mark.parametrize(
    "expr",
    [
        "",
        " ",
        "(((",
        ")",
        "\x00",
        "\ud800",
        "tr(" * 300 + "X" + ")" * 300,
        "X" * 100_000,
        "‖" * 1000,
        "L(XW+B) where",
        "L(XW+B) where X: 1×n, X: 2×n",
        "X^{-99999999999999999999}",
        "1e999999 tr(X)",
        "tr(X)^" + "9" * 40,
        "sum(" + "X ⊙ " * 2000 + "X)",
    ],
)
def test_bad_inputs_raise_matdiff_errors(expr):
    for query in (matdiff.grad, matdiff.simplify, matdiff.shape):
        try:
            query(expr)
        except matdiff.Error as e:
            assert e.diagnostic
            if e.span is not None:
                assert 0 <= e.span[0] <= e.span[1] <= len(e.source)
    try:
        matdiff.equiv(expr, expr)
    except matdiff.Error:
        pass


def test_the_gil_is_released_during_a_derivation():
    """Another thread runs while a long derivation is under way."""
    expr = "X"
    for i in range(1, 25):
        expr = f"tanh({expr} W{i} + B{i})"
    expr = f"L({expr})"
    start = time.perf_counter()
    matdiff.grad(expr)
    alone = time.perf_counter() - start
    done = threading.Event()

    def work():
        for _ in range(3):
            matdiff.grad(expr)
        done.set()

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    worker.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # Holding the GIL, the worker would stop this loop for a whole call.
    assert len(ticks) > 20
    assert max(gaps) < alone / 2, (max(gaps), alone)
