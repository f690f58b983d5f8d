"""The example notebook examples/logistic_regression.ipynb: its code runs
and trains (always), and the notebook executes in a Jupyter kernel (when
nbclient and ipykernel are installed, as in CI)."""

import json
import pathlib

import pytest

NOTEBOOK = pathlib.Path(__file__).resolve().parents[2] / "examples" / "logistic_regression.ipynb"


def code_cells():
    nb = json.loads(NOTEBOOK.read_text("utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_notebook_code_trains_a_classifier():
    scope = {}
    for i, src in enumerate(code_cells()):
        exec(compile(src, f"{NOTEBOOK.name} cell {i}", "exec"), scope)  # noqa: S102
    assert scope["accuracy"] > 0.9
    assert scope["history"][-1] < 0.5 * scope["history"][0]
    assert scope["g"].text == "Xᵀ (σ(X w) − y)"


def test_notebook_executes_in_jupyter():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # The derivation was displayed with its rich representations.
    rich = [o for o in outputs if o.get("output_type") == "execute_result"]
    assert any("text/latex" in o["data"] and "text/html" in o["data"] for o in rich)
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "training accuracy" in printed
