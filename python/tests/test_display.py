"""Jupyter's representations: the methods a notebook calls, checked as
documents (HTML by html.parser, LaTeX by its braces and environments, and by
pdflatex when it is installed)."""

import html.parser
import re
import shutil
import subprocess

import pytest

import matdiff

VOID = {"br", "hr", "img", "meta", "input", "col", "wbr"}


class StrictHTML(html.parser.HTMLParser):
    """Fails on a closing tag that does not close the innermost open one."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def html_text(doc):
    """The text of a well-formed HTML fragment; fails if it is not one."""
    p = StrictHTML()
    p.feed(doc)
    p.close()
    assert p.stack == [], f"unclosed tags {p.stack}"
    return "".join(p.text)


def check_latex(doc):
    """Balanced braces (not counting \\{ \\}) and matching environments."""
    depth = 0
    for m in re.finditer(r"\\[{}]|[{}]", doc):
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth -= 1
            assert depth >= 0, f"unbalanced '}}' at {m.start()}: {doc!r}"
    assert depth == 0, f"{depth} unclosed braces: {doc!r}"
    envs = []
    for m in re.finditer(r"\\(begin|end)\{([^}]*)\}", doc):
        if m.group(1) == "begin":
            envs.append(m.group(2))
        else:
            assert envs and envs.pop() == m.group(2), doc
    assert envs == []


@pytest.fixture(scope="module")
def derivation():
    return matdiff.grad("L(XW+B)", lets={"X": "1×n"})


def test_check_latex_rejects_unbalanced():
    with pytest.raises(AssertionError):
        check_latex("\\frac{a}{b")
    with pytest.raises(AssertionError):
        check_latex("\\begin{align*} x \\end{aligned}")
    with pytest.raises(AssertionError):
        html_text("<table><tr><td>x</tr></table>")


def test_derivation_html_has_every_step_and_rule(derivation):
    text = html_text(derivation._repr_html_())
    for step in derivation.differential + derivation.gradients["X"].steps:
        assert step.text in text
        assert step.rule in text
    assert "cyclic property of the trace" in text
    assert "∂L/∂W = Xᵀ G" in text
    assert "numeric check: passed" in text


def test_simplification_html_has_steps_and_result():
    s = matdiff.simplify("X(A + B) - XA")
    text = html_text(s._repr_html_())
    for step in s.steps:
        assert step.text in text and step.rule in text
    assert "result: X B" in text


def test_derivation_latex_has_rule_names(derivation):
    doc = derivation._repr_latex_()
    check_latex(doc)
    assert doc.startswith("\\begin{align*}")
    assert "\\text{cyclic property of the trace}" in doc
    assert "\\frac{\\partial L}{\\partial X} &= G W^{\\top}" in doc


def test_derivation_markdown_is_the_text(derivation):
    md = derivation._repr_markdown_()
    assert md.startswith("```text\n") and md.endswith("```\n")
    assert "cyclic property of the trace" in md
    assert derivation.text.strip() in md


def test_gradient_renders_its_formula(derivation):
    g = derivation.gradients["X"]
    doc = g._repr_latex_()
    check_latex(doc)
    assert doc == "$\\displaystyle \\frac{\\partial L}{\\partial X} = G W^{\\top}$"
    assert str(g) == "G Wᵀ"
    assert repr(g) == "<Gradient ∂L/∂X = G Wᵀ  (1×n)>"


def test_other_results_render():
    s = matdiff.simplify("X(A + B) - XA")
    check_latex(s._repr_latex_())
    assert "\\text{distributivity}" in s._repr_latex_()
    e = matdiff.equiv("tr(ABC)", "tr(CAB)")
    check_latex(e._repr_latex_())
    assert "\\text{cyclic property of the trace}" in e._repr_latex_()
    assert "cyclic property of the trace" in html_text(e._repr_html_())
    refuted = matdiff.equiv("tr(ABC)", "tr(ACB)")
    assert refuted._repr_latex_() is None
    assert "not equal" in html_text(refuted._repr_html_())
    c = matdiff.grad("L(XW+B)", method="components")
    assert "index form" in html_text(c._repr_html_())
    assert c._repr_latex_() is None


PDFLATEX = shutil.which("pdflatex")


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    "make",
    [
        lambda: matdiff.grad("L(XW+B)")._repr_latex_(),
        lambda: matdiff.grad("L(tanh(X W1 + B1) W2 + B2)")._repr_latex_(),
        lambda: matdiff.grad("2 tr(AX) + α tr(XᵀX) + logdet(X)")._repr_latex_(),
        lambda: matdiff.grad("L(XW+B)").gradients["W"]._repr_latex_(),
        lambda: matdiff.simplify("((Aᵀ)ᵀ + 0) B")._repr_latex_(),
        lambda: matdiff.equiv("(XW)ᵀ", "WᵀXᵀ")._repr_latex_(),
    ],
    ids=["reference", "network", "greek-logdet", "gradient", "simplify", "equiv"],
)
def test_latex_compiles(make, tmp_path):
    doc = make()
    check_latex(doc)
    tex = tmp_path / "doc.tex"
    tex.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
        "\\begin{document}\n" + doc + "\n\\end{document}\n",
        "utf-8",
    )
    p = subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stdout[-2000:]
