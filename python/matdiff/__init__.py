"""matdiff: symbolic matrix calculus by the matrix differential, with every
step shown and every gradient checked numerically.

>>> import matdiff
>>> d = matdiff.grad("L(XW+B)", lets={"X": "1×n"})
>>> d.gradients["X"].text
'G Wᵀ'
>>> f = d.gradients["X"].numpy()     # f(X=…, W=…, B=…, G=…) on NumPy arrays

Queries: :func:`grad`, :func:`simplify`, :func:`equiv`, :func:`shape`.
Results: :class:`Derivation` (with :class:`Gradient` objects),
:class:`Simplification`, :class:`Equivalence`, :class:`Shapes`; in Jupyter
they display as rendered mathematics. Every failure is a :class:`Error`.
"""

from ._api import Lets, equiv, grad, shape, simplify
from ._errors import (
    CheckError,
    Error,
    LimitError,
    ShapeError,
    SyntaxError,
    UnsupportedError,
    UsageError,
)
from ._matdiff import __version__
from ._results import (
    Check,
    Counterexample,
    Definition,
    Derivation,
    Dim,
    Equivalence,
    Gradient,
    Shape,
    Shapes,
    Simplification,
    Step,
    Subexpression,
    VariableShape,
)

__all__ = [
    "grad",
    "simplify",
    "equiv",
    "shape",
    "Lets",
    "Error",
    "SyntaxError",
    "ShapeError",
    "UsageError",
    "UnsupportedError",
    "LimitError",
    "CheckError",
    "Derivation",
    "Gradient",
    "Step",
    "Definition",
    "Check",
    "Simplification",
    "Equivalence",
    "Counterexample",
    "Shapes",
    "VariableShape",
    "Subexpression",
    "Shape",
    "Dim",
    "__version__",
]
