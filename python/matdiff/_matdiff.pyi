"""Type stubs of the compiled module. Its functions return plain data that
``matdiff._results`` turns into objects; use the ``matdiff`` functions."""

from typing import Any, Dict, List, Optional

__version__: str

def grad(
    expr: str,
    wrt: List[str],
    lets: List[str],
    method: str,
    check: bool,
    seed: int,
    timeout: Optional[float] = None,
    node_limit: Optional[int] = None,
) -> Dict[str, Any]:
    """The derivation's data: ``json`` (the CLI's JSON object as dicts),
    ``json_text``, ``function``, ``text``, ``ascii``, ``latex``,
    ``numpy``, ``torch``, ``forms`` (per gradient: ``ascii``, ``lhs``,
    ``lhs_latex``, …) and ``params``."""

def simplify(
    expr: str,
    lets: List[str],
    seed: int,
    timeout: Optional[float] = None,
    node_limit: Optional[int] = None,
) -> Dict[str, Any]:
    """The rewriting's JSON object with ``text``, ``ascii``, ``latex`` and ``shape``."""

def equiv(
    a: str,
    b: str,
    lets: List[str],
    seed: int,
    timeout: Optional[float] = None,
    node_limit: Optional[int] = None,
) -> Dict[str, Any]:
    """``verdict``, ``text``, ``ascii``, and ``proof``, ``counterexample`` or ``reason``."""

def shape_of(expr: str, lets: List[str]) -> Dict[str, Any]:
    """``input``, ``shape``, ``variables``, ``dims``, ``subexpressions``, ``report``."""
