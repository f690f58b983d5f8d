"""matdiff's queries: grad, simplify, equiv, shape.

Each checks its arguments, runs the library's pipeline with the GIL
released (parse, check shapes, derive, check numerically, render, under the
library's limits) and wraps the answer in an object.
"""

from __future__ import annotations

from typing import Iterable, List, Mapping, Optional, Union

from . import _matdiff
from ._errors import SyntaxError, UsageError
from ._results import Derivation, Equivalence, Shapes, Simplification

__all__ = ["grad", "simplify", "equiv", "shape", "Lets"]

#: Declarations: ``{"X": "1×n", "alpha": "scalar"}``, ``["X: 1×n", "W: n×m"]``
#: or ``"X: 1×n, W: n×m"``.
Lets = Union[None, str, Mapping[str, str], Iterable[str]]

_METHODS = ("differential", "components", "both")


def _text(value: object, what: str) -> str:
    """``value`` as the text of an expression, refusing what is not text."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    for i, ch in enumerate(value):
        if "\ud800" <= ch <= "\udfff":
            raise SyntaxError(
                f"{what} holds a lone surrogate (U+{ord(ch):04X}), which is not text",
                span=(i, i + 1),
                source=value,
                kind="syntax",
                exit_code=2,
            )
    return value


def _lets(lets: Lets) -> List[str]:
    """The declarations as a list of ``"X: 1×n"`` strings."""
    if lets is None:
        return []
    if isinstance(lets, str):
        return [_text(lets, "lets")]
    if isinstance(lets, Mapping):
        return [
            f"{_text(name, 'a declared name')}: {_text(decl, f'the declaration of {name}')}"
            for name, decl in lets.items()
        ]
    try:
        return [_text(d, "a declaration") for d in lets]
    except TypeError:
        raise TypeError(
            "lets must be a dict such as {'X': '1×n'}, a list of 'X: 1×n' strings, or one string"
        ) from None


def _wrt(wrt: Union[None, str, Iterable[str]]) -> List[str]:
    if wrt is None:
        return []
    if isinstance(wrt, str):
        return [_text(wrt, "wrt")]
    return [_text(v, "a wrt variable") for v in wrt]


def _seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not 0 <= seed < 2**64:
        raise UsageError(
            f"seed must be between 0 and 2**64 - 1, not {seed}", kind="usage", exit_code=2
        )
    return seed


def _timeout(timeout: Optional[float]) -> Optional[float]:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, not {type(timeout).__name__}")
    return float(timeout)


def _node_limit(node_limit: Optional[int]) -> Optional[int]:
    if node_limit is None:
        return None
    if isinstance(node_limit, bool) or not isinstance(node_limit, int):
        raise TypeError(f"node_limit must be an int, not {type(node_limit).__name__}")
    if not 1 <= node_limit < 2**63:
        raise UsageError(
            f"node_limit must be a positive number of e-nodes, not {node_limit}",
            kind="usage",
            exit_code=2,
        )
    return node_limit


def grad(
    expr: str,
    wrt: Union[None, str, Iterable[str]] = None,
    lets: Lets = None,
    method: str = "differential",
    check: bool = True,
    seed: int = 0,
    *,
    timeout: Optional[float] = None,
    node_limit: Optional[int] = None,
) -> Derivation:
    """The gradients of the scalar ``expr``, derived step by step.

    Args:
        expr: a scalar expression in matdiff's language, e.g.
            ``"L(XW+B)"``, ``"tr(AXB)"``, ``"‖Ax - b‖^2"``; it may end with a
            ``where`` clause (``"L(XW+B) where X: 1×n"``).
        wrt: the variable or variables to differentiate by; every variable
            when ``None``.
        lets: declarations of kinds and shapes: ``{"X": "1×n"}``,
            ``["X: 1×n", "W: n×m"]`` or ``"X: 1×n, W: n×m"``.
        method: ``"differential"`` (by the matrix differential),
            ``"components"`` (in index notation) or ``"both"`` (and whether
            they agree).
        check: check every gradient against central finite differences (a
            gradient that fails raises :class:`CheckError`, never returns).
        seed: the seed of the check's random points.
        timeout: the most seconds the whole query may take (the library's
            default when ``None``).
        node_limit: the most e-nodes of one e-graph run.

    Returns:
        A :class:`Derivation`; ``.gradients["X"]`` is the gradient by ``X``.

    Raises:
        SyntaxError, ShapeError, UsageError: bad input (with its span).
        UnsupportedError: no rule applies to a part of ``expr``.
        LimitError: a time, node or size limit was hit.
        CheckError: a gradient failed its numeric check.

    >>> matdiff.grad("L(XW+B)").gradients["X"].text
    'G Wᵀ'
    """
    if method not in _METHODS:
        raise UsageError(
            f"method must be one of {', '.join(map(repr, _METHODS))}, not {method!r}",
            kind="usage",
            exit_code=2,
        )
    data = _matdiff.grad(
        _text(expr, "expr"),
        _wrt(wrt),
        _lets(lets),
        method,
        bool(check),
        _seed(seed),
        _timeout(timeout),
        _node_limit(node_limit),
    )
    return Derivation(data, method)


def simplify(
    expr: str,
    lets: Lets = None,
    *,
    timeout: Optional[float] = None,
    node_limit: Optional[int] = None,
) -> Simplification:
    """The simplest form of ``expr`` (by term size) and the steps that reach
    it, each named by its rule.

    >>> matdiff.simplify("X(A + B) - XA").result
    'X B'
    """
    data = _matdiff.simplify(
        _text(expr, "expr"), _lets(lets), 0, _timeout(timeout), _node_limit(node_limit)
    )
    return Simplification(data)


def equiv(
    a: str,
    b: str,
    lets: Lets = None,
    seed: int = 0,
    *,
    timeout: Optional[float] = None,
    node_limit: Optional[int] = None,
) -> Equivalence:
    """Whether ``a`` and ``b`` are equal for all values of their variables.

    Both are checked together (a shared variable has one shape, and the two
    must have the same shape). The answer is proved (with the proof),
    refuted (with a counterexample drawn from ``seed``) or unknown (equal
    at the random points, no proof within the limits).

    >>> matdiff.equiv("tr(ABC)", "tr(CAB)").proved
    True
    """
    data = _matdiff.equiv(
        _text(a, "a"),
        _text(b, "b"),
        _lets(lets),
        _seed(seed),
        _timeout(timeout),
        _node_limit(node_limit),
    )
    return Equivalence(a, b, data)


def shape(expr: str, lets: Lets = None) -> Shapes:
    """The kind and shape of every variable and subexpression of ``expr``.

    >>> matdiff.shape("tr(XW)", lets={"X": "2×3"}).variables["W"].shape
    (3, 2)
    """
    return Shapes(_matdiff.shape_of(_text(expr, "expr"), _lets(lets)))


# jacobian(expr, wrt, lets=None, …) and hessian(expr, wrt, lets=None, …) go
# here when the library has them: a function in python/src/lib.rs running
# the Session query, and a wrapper like grad's returning a result object.
