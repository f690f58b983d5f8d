"""The objects matdiff's queries return, and how Jupyter displays them."""

from __future__ import annotations

import html
import keyword
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, Union

from ._errors import UnsupportedError

__all__ = [
    "Dim",
    "Shape",
    "Step",
    "Definition",
    "Check",
    "Gradient",
    "Derivation",
    "Simplification",
    "Counterexample",
    "Equivalence",
    "VariableShape",
    "Subexpression",
    "Shapes",
]

#: A dimension: a name such as ``"n"``, or a number.
Dim = Union[str, int]
#: A shape ``(rows, cols)``; a scalar is ``(1, 1)``, a column vector ``("n", 1)``.
Shape = Tuple[Dim, Dim]


def _shape(s: List[Any]) -> Shape:
    return (s[0], s[1])


def python_name(name: str) -> str:
    """The Python name of a matdiff variable in generated code: the name
    itself, with ``_`` appended to a Python keyword (``lambda_``)."""
    return name + "_" if keyword.iskeyword(name) else name


class Step(NamedTuple):
    """One line of a derivation: an equation and the rule that justifies it."""

    text: str
    """The line in Unicode text, e.g. ``= tr(W Gᵀ dX)``."""
    latex: str
    """The line in LaTeX."""
    rule: str
    """The rule's name, e.g. ``cyclic property of the trace``."""


class Definition(NamedTuple):
    """A symbol the derivation introduces: ``Y = X W + B``, ``G = ∂L/∂Y``."""

    name: str
    """The symbol."""
    text: str
    """What it stands for."""
    shape: Shape
    """Its shape."""


class Check(NamedTuple):
    """The numeric check of every gradient against central finite differences."""

    max_rel_error: float
    """The largest relative (Frobenius) error over all gradients and points."""
    trials: int
    """Random points per gradient."""
    passed: bool
    """Whether every gradient is within the tolerance (always true in a
    returned derivation: a failure raises CheckError)."""
    seed: int
    """The seed of the random points."""


def _steps(raw: List[Dict[str, str]]) -> Tuple[Step, ...]:
    return tuple(Step(s["text"], s["latex"], s["rule"]) for s in raw)


def _html_steps(steps: Tuple[Step, ...]) -> str:
    rows = "".join(
        f'<tr><td style="text-align:left">{html.escape(s.text)}</td>'
        f'<td style="text-align:left;opacity:0.6">{html.escape(s.rule)}</td></tr>'
        for s in steps
    )
    return f"<table>{rows}</table>"


def _markdown_text(text: str) -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}text\n{text.rstrip()}\n{fence}\n"


class Gradient:
    """The gradient of a scalar with respect to one variable, with its steps.

    ``text``, ``ascii`` and ``latex`` are the formula (``G Wᵀ``, ``G W^T``,
    ``G W^{\\top}``); ``numpy_source`` is a Python expression that computes
    it with ``np`` bound to NumPy and every name of ``params`` bound to an
    array, and ``numpy()`` turns it into a function.
    """

    __slots__ = (
        "wrt",
        "function",
        "shape",
        "text",
        "ascii",
        "latex",
        "lhs",
        "lhs_latex",
        "steps",
        "numpy_source",
        "torch_source",
        "params",
        "unassembled",
    )

    def __init__(
        self,
        *,
        wrt: str,
        function: str,
        shape: Shape,
        text: str,
        ascii: str,
        latex: str,
        lhs: str,
        lhs_latex: str,
        steps: Tuple[Step, ...],
        numpy_source: Optional[str],
        torch_source: Optional[str],
        params: Tuple[str, ...],
        unassembled: Optional[str] = None,
    ) -> None:
        self.wrt = wrt
        """The variable, e.g. ``"X"``."""
        self.function = function
        """The differentiated function: ``"L"`` for ``L(…)``, else ``"f"``."""
        self.shape = shape
        """The shape of the variable, which the gradient has too."""
        self.text = text
        """The gradient in Unicode text, e.g. ``G Wᵀ``."""
        self.ascii = ascii
        """The gradient in ASCII, e.g. ``G W^T``."""
        self.latex = latex
        """The gradient in LaTeX, e.g. ``G W^{\\top}``."""
        self.lhs = lhs
        """``∂L/∂X`` as text."""
        self.lhs_latex = lhs_latex
        """``\\frac{\\partial L}{\\partial X}``."""
        self.steps = steps
        """The lines from ``dL = …`` to ``⇒ ∂L/∂X = …`` (empty for a
        derivation by components, whose lines are in ``Derivation.text``)."""
        self.numpy_source = numpy_source
        """The gradient as a Python expression over ``params`` and ``np``
        (a layered network binds its intermediates first:
        ``(Z1 := …, …, result)[-1]``); ``None`` without a matrix form."""
        self.torch_source = torch_source
        """The same for PyTorch (``torch`` and tensors)."""
        self.params = params
        """The names the NumPy code needs: every variable (Python names:
        ``alpha``, ``lambda_``), then ``G`` (``G_f``, …) for an unknown
        function."""
        self.unassembled = unassembled
        """For a derivation by components without a matrix form, why."""

    def numpy(self) -> Callable[..., Any]:
        """A function computing this gradient with NumPy.

        It takes every name of ``params`` by keyword, bound to a NumPy
        array of the variable's shape (a vector is an n×1 array, a scalar a
        number), ``G`` being ∂L/∂Y for an unknown ``L``, and returns the
        gradient, an array of the variable's shape (a number for a scalar
        variable)::

            f = matdiff.grad("L(XW+B)").gradients["W"].numpy()
            f(X=X, W=W, B=B, G=G)      # X.T @ G
        """
        if self.numpy_source is None:
            raise UnsupportedError(
                f"{self.lhs} has no matrix form: {self.unassembled or 'see the derivation'}",
                kind="unsupported",
            )
        import numpy as np

        for p in self.params:
            if not p.isidentifier() or keyword.iskeyword(p):
                raise UnsupportedError(f"the variable {p!r} has no Python name", kind="unsupported")
        name = "grad_" + python_name(self.wrt)
        args = ", ".join(self.params)
        source = f"def {name}(*, {args}):\n    return {self.numpy_source}\n"
        scope: Dict[str, Any] = {"np": np}
        exec(compile(source, f"<matdiff {self.lhs}>", "exec"), scope)  # noqa: S102
        fn: Callable[..., Any] = scope[name]
        fn.__doc__ = (
            f"{self.lhs} = {self.text}, computed with NumPy.\n\n"
            f"Arguments by keyword: {args}.\n\n{self.numpy_source}"
        )
        fn.__qualname__ = name
        return fn

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<Gradient {self.lhs} = {self.text}  ({self.shape[0]}×{self.shape[1]})>"

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.lhs_latex} = {self.latex}$"

    def _repr_markdown_(self) -> str:
        return f"$\\displaystyle {self.lhs_latex} = {self.latex}$"


class Derivation:
    """The gradients of a scalar expression, derived step by step and
    checked numerically: what ``matdiff.grad`` returns.

    ``gradients`` maps each variable to its :class:`Gradient`. ``text``,
    ``ascii`` and ``latex`` are the whole derivation as the command line
    prints it; in Jupyter the derivation is displayed with the rule of
    every line.
    """

    def __init__(self, data: Dict[str, Any], method: str) -> None:
        j = data["json"]
        self.method = method
        """How it was derived: ``differential``, ``components`` or ``both``."""
        self.input: str = j["input"]
        """The expression as given."""
        self.function: str = data["function"]
        """The differentiated function: ``L`` for ``L(…)``, else ``f``."""
        self.shapes: Dict[str, Shape] = {k: _shape(v) for k, v in j.get("shapes", {}).items()}
        """Every variable's shape, by name."""
        self.definitions: Tuple[Definition, ...] = tuple(
            Definition(d["name"], d["text"], _shape(d["shape"])) for d in j.get("definitions", [])
        )
        """Introduced symbols: ``Y = X W + B``, ``G = ∂L/∂Y``."""
        self.differential: Tuple[Step, ...] = _steps(j.get("differential", []))
        """The lines every gradient shares: ``dL = tr(Gᵀ dY)``, ``dY = …``."""
        c = j.get("check")
        self.check: Optional[Check] = (
            Check(c["max_rel_error"], c["trials"], c["passed"], c["seed"]) if c else None
        )
        """The numeric check, or ``None`` when ``check=False`` (or by components)."""
        self.text: str = data["text"]
        """The whole derivation in Unicode text, as ``matdiff grad --check`` prints it."""
        self.ascii: str = data["ascii"]
        """The whole derivation in ASCII."""
        self.latex: Optional[str] = data["latex"]
        """The whole derivation as a LaTeX ``align*`` block (needs
        ``amsmath``); ``None`` for a derivation by components."""
        self.numpy_source: Optional[str] = data["numpy"]
        """A Python module with one NumPy function per gradient
        (``def grad_X(X, W, B, G): …``); ``None`` by components."""
        self.torch_source: Optional[str] = data["torch"]
        """The same module for PyTorch."""
        self.agree: Optional[bool] = j.get("agree")
        """With ``method="both"``: whether the two methods agree."""
        self._json_text: str = data["json_text"]
        params = tuple(python_name(p) for p in data["params"])
        forms = data["forms"]
        grads: Dict[str, Gradient] = {}
        if "gradients" in j:
            for g in j["gradients"]:
                f = forms[g["wrt"]]
                grads[g["wrt"]] = Gradient(
                    wrt=g["wrt"],
                    function=self.function,
                    shape=_shape(g["shape"]),
                    text=g["text"],
                    ascii=f["ascii"],
                    latex=g["latex"],
                    lhs=f["lhs"],
                    lhs_latex=f["lhs_latex"],
                    steps=_steps(g["steps"]),
                    numpy_source=g["numpy"],
                    torch_source=g["torch"],
                    params=params,
                )
        else:
            for g in j["components"]["gradients"]:
                f = forms[g["wrt"]]
                grads[g["wrt"]] = Gradient(
                    wrt=g["wrt"],
                    function=self.function,
                    shape=_shape(f["shape"]),
                    text=f.get("text", g["entries"]),
                    ascii=f.get("ascii", g["entries"]),
                    latex=f.get("latex", ""),
                    lhs=f["lhs"],
                    lhs_latex=f["lhs_latex"],
                    steps=(),
                    numpy_source=f.get("numpy"),
                    torch_source=f.get("torch"),
                    params=params,
                    unassembled=f.get("unassembled"),
                )
        self.gradients: Dict[str, Gradient] = grads
        """The gradient with respect to each variable, by name, in order."""

    def to_json(self) -> str:
        """The derivation as the JSON object of ``matdiff grad --format json``."""
        return self._json_text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        results = ", ".join(f"{g.lhs} = {g.text}" for g in self.gradients.values())
        return f"<Derivation of {self.input!r}: {results}>"

    def _repr_latex_(self) -> Optional[str]:
        return self.latex

    def _repr_markdown_(self) -> str:
        return _markdown_text(self.text)

    def _repr_html_(self) -> str:
        if not self.gradients or self.method != "differential":
            return f"<pre>{html.escape(self.text)}</pre>"
        parts = [f"<div><p><code>{html.escape(self.input)}</code></p>"]
        if self.definitions:
            defs = ",&nbsp; ".join(html.escape(f"{d.name} = {d.text}") for d in self.definitions)
            parts.append(f"<p>{defs}</p>")
        parts.append(_html_steps(self.differential))
        for g in self.gradients.values():
            parts.append(f"<p><b>{html.escape(g.lhs)}</b></p>")
            parts.append(_html_steps(g.steps))
        rows = "".join(
            f"<tr><td>{html.escape(g.lhs)} = {html.escape(g.text)}</td>"
            f"<td>({html.escape(str(g.shape[0]))}×{html.escape(str(g.shape[1]))})</td></tr>"
            for g in self.gradients.values()
        )
        parts.append(f"<p><b>gradients</b></p><table>{rows}</table>")
        if self.check is not None:
            parts.append(
                f"<p>numeric check: passed (max relative error "
                f"{self.check.max_rel_error:.1e} over {self.check.trials} random "
                f"points per gradient, seed {self.check.seed})</p>"
            )
        parts.append("</div>")
        return "".join(parts)


class Simplification:
    """The simplest equal form of an expression and the steps that reach
    it: what ``matdiff.simplify`` returns."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.input: str = data["input"]
        """The expression as given."""
        self.start: str = data["start"]["text"]
        """The first term of the chain, in text."""
        r = data["result"]
        self.result: str = r["text"]
        """The simplest form, in Unicode text (``X B``)."""
        self.result_ascii: str = r["ascii"]
        """The simplest form in ASCII."""
        self.result_latex: str = r["latex"]
        """The simplest form in LaTeX."""
        self.numpy_source: str = r["numpy"]
        """The simplest form as a NumPy expression over the variable names."""
        self.shape: Shape = _shape(data["shape"])
        """The shape of the expression."""
        self.steps: Tuple[Step, ...] = _steps(data["steps"])
        """The steps, each with its rule; empty when no rule applied."""
        self.text: str = data["text"]
        """The chain as ``matdiff simplify`` prints it."""
        self.ascii: str = data["ascii"]
        """The chain in ASCII."""
        self.latex: str = data["latex"]
        """The chain as a LaTeX ``align*`` block."""
        self._json = {k: data[k] for k in ("input", "start", "result", "steps")}

    def to_json(self) -> str:
        """The chain as one JSON object: ``input``, ``start``, ``result``, ``steps``."""
        import json

        return json.dumps(self._json, ensure_ascii=False, indent=2)

    def __str__(self) -> str:
        return self.result

    def __repr__(self) -> str:
        return f"<Simplification {self.input!r} = {self.result}>"

    def _repr_latex_(self) -> str:
        return self.latex

    def _repr_markdown_(self) -> str:
        return _markdown_text(self.text)

    def _repr_html_(self) -> str:
        return (
            f"<div><p><code>{html.escape(self.start)}</code></p>"
            f"{_html_steps(self.steps)}"
            f"<p>result: <b>{html.escape(self.result)}</b></p></div>"
        )


class Counterexample:
    """A point where two expressions differ: sizes, the variables' values
    and both sides, as NumPy arrays."""

    def __init__(self, data: Dict[str, Any]) -> None:
        import numpy as np

        self.sizes: Dict[str, int] = dict(data["sizes"])
        """The sizes drawn for the symbolic dimensions."""
        self.values: Dict[str, Any] = {
            k: np.array(v, dtype=float) for k, v in data["values"].items()
        }
        """Every variable's value (2-D arrays; a scalar is 1×1)."""
        self.left = np.array(data["left"], dtype=float)
        """The left side's value."""
        self.right = np.array(data["right"], dtype=float)
        """The right side's value."""
        self.rel_difference: float = data["rel_difference"]
        """The relative difference of the two sides."""
        self.text: str = data["text"]
        """The point as ``matdiff equiv`` prints it (3 decimals)."""

    def __repr__(self) -> str:
        return f"<Counterexample sizes={self.sizes} rel_difference={self.rel_difference:.2e}>"

    def __str__(self) -> str:
        return self.text


class Equivalence:
    """Whether two expressions are equal for all values: ``proved`` (with
    a proof), ``refuted`` (with a ``counterexample``) or ``unknown`` (equal
    at random points, no proof within the limits: never "not equal")."""

    def __init__(self, a: str, b: str, data: Dict[str, Any]) -> None:
        self.left: str = a
        """The first expression as given."""
        self.right: str = b
        """The second expression as given."""
        self.verdict: str = data["verdict"]
        """``"proved"``, ``"refuted"`` or ``"unknown"``."""
        self.proved: bool = self.verdict == "proved"
        """Proved equal by the rewrite rules."""
        self.refuted: bool = self.verdict == "refuted"
        """Shown not equal by a counterexample."""
        self.unknown: bool = self.verdict == "unknown"
        """Neither: no difference found, no proof within the limits."""
        c = data.get("counterexample")
        self.counterexample: Optional[Counterexample] = Counterexample(c) if c else None
        """The point where the two sides differ, when refuted."""
        p = data.get("proof")
        self.proof: Tuple[Step, ...] = (
            tuple(Step(s["text"], s["latex"], s["rule"]) for s in p["steps"]) if p else ()
        )
        """The proof's steps from the left side, each with its rule, when proved."""
        self._proof_start: Tuple[str, str] = (p["left"], p["left_latex"]) if p else ("", "")
        self._rule_latex: Tuple[str, ...] = tuple(s["rule_latex"] for s in p["steps"]) if p else ()
        self.reason: Optional[str] = data.get("reason")
        """Why it is unknown: which limit was hit, or that no rule applies."""
        self.text: str = data["text"]
        """The answer as ``matdiff equiv --explain`` prints it."""
        self.ascii: str = data["ascii"]
        """The same in ASCII."""

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<Equivalence {self.left!r} vs {self.right!r}: {self.verdict}>"

    def _repr_latex_(self) -> Optional[str]:
        if not self.proved:
            return None
        start, start_latex = self._proof_start
        lines = [f"&{start_latex}"] + [
            f"&= {s.latex} && \\text{{{r}}}" for s, r in zip(self.proof, self._rule_latex)
        ]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"

    def _repr_markdown_(self) -> str:
        return _markdown_text(self.text)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text)}</pre>"


class VariableShape(NamedTuple):
    """A variable's kind and shape."""

    shape: Shape
    """Its shape."""
    kind: str
    """``"scalar"``, ``"vector"`` or ``"matrix"``."""
    symmetric: bool
    """Declared symmetric (``A: sym n×n``)."""


class Subexpression(NamedTuple):
    """The shape of one subexpression."""

    text: str
    """The subexpression as written."""
    level: int
    """How many recorded subexpressions enclose it."""
    shape: Shape
    """Its shape."""


class Shapes:
    """The kind and shape of every variable and subexpression: what
    ``matdiff.shape`` returns."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.input: str = data["input"]
        """The expression as given."""
        self.shape: Shape = _shape(data["shape"])
        """The shape of the whole expression."""
        self.variables: Dict[str, VariableShape] = {
            k: VariableShape(_shape(v["shape"]), v["kind"], v["symmetric"])
            for k, v in data["variables"].items()
        }
        """Every variable, by name."""
        self.dims: Tuple[str, ...] = tuple(data["dims"])
        """The symbolic dimensions, in order of first appearance."""
        self.subexpressions: Tuple[Subexpression, ...] = tuple(
            Subexpression(n["text"], n["level"], _shape(n["shape"])) for n in data["subexpressions"]
        )
        """Subexpressions in source order, outermost first."""
        self.report: str = data["report"]
        """The table ``matdiff shape`` prints."""

    def __str__(self) -> str:
        return self.report

    def __repr__(self) -> str:
        return f"<Shapes {self.input!r}: {self.shape[0]}×{self.shape[1]}>"

    def _repr_markdown_(self) -> str:
        return _markdown_text(self.report)
