"""The exceptions of matdiff: one class per kind of failure, all under Error.

Every error the library reports is raised as one of these; a bad input never
crashes the interpreter. Input errors (syntax, shape, usage) are also
ValueErrors.
"""

from __future__ import annotations

from typing import Optional, Tuple

__all__ = [
    "Error",
    "SyntaxError",
    "ShapeError",
    "UsageError",
    "UnsupportedError",
    "LimitError",
    "CheckError",
]


class Error(Exception):
    """Anything matdiff refuses or cannot do.

    Attributes:
        message: what went wrong, in one line.
        span: for a syntax or shape error, the offending part as
            ``(start, end)`` character offsets into ``source``, so that
            ``source[start:end]`` is that part; ``None`` otherwise.
        source: the text ``span`` points into (the expression, a
            declaration, a variable name given as ``wrt``; for ``equiv``
            the two sides as they are checked together, ``(a) - (b)``).
        diagnostic: the error as the command line prints it, with the
            source and the span underlined, and a hint when there is one.
        kind: the library's name of the error (``"syntax"``, ``"shape"``,
            ``"usage"``, ``"limit"``, ``"too_complex"``, …).
        exit_code: the command line's exit status for it: 2 for bad input,
            1 for a derivation that cannot be done.
    """

    def __init__(
        self,
        message: str,
        *,
        span: Optional[Tuple[int, int]] = None,
        source: Optional[str] = None,
        diagnostic: Optional[str] = None,
        kind: str = "",
        exit_code: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = tuple(span) if span is not None else None
        self.source = source
        self.diagnostic = diagnostic if diagnostic is not None else message
        self.kind = kind
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        where = f", span={self.span!r}" if self.span is not None else ""
        return f"{type(self).__name__}({self.message!r}{where})"


class SyntaxError(Error, ValueError):  # noqa: A001 - matdiff.SyntaxError by design
    """The input does not follow matdiff's grammar (its ``span`` says where)."""


class ShapeError(Error, ValueError):
    """Kinds or shapes do not fit together, e.g. a 2×3 times a 4×5 matrix."""


class UsageError(Error, ValueError):
    """An argument that cannot be used: an unknown ``wrt`` variable, a
    non-scalar expression to differentiate, a bad limit."""


class UnsupportedError(Error):
    """No rule of the engine applies to a part of the expression."""


class LimitError(Error):
    """A limit was hit: the time or node limit of a derivation (raise it
    with ``timeout=`` or ``node_limit=``), or the size of the input, of the
    term, or of the output."""


class CheckError(Error):
    """A derived gradient failed its numeric check against finite
    differences, could not be evaluated, or could not be verified at any
    random point (``kind == "unverified"``); matdiff never returns such a
    gradient."""
