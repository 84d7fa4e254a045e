"""The example notebook runs: with nbclient when it is installed, else cell by cell in one
namespace (an equivalent without a Jupyter kernel), so it cannot rot."""

from __future__ import annotations

import json
import os

import pytest

from conftest import REPO

NOTEBOOK = REPO / "python" / "examples" / "quickstart.ipynb"


@pytest.mark.pyarrow
@pytest.mark.pandas
def test_the_example_notebook_runs_under_a_kernel() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("<table>" in h for h in html)


@pytest.mark.pyarrow
@pytest.mark.pandas
def test_the_example_notebook_runs() -> None:
    nb = json.loads(NOTEBOOK.read_text())
    cwd = os.getcwd()
    try:
        os.chdir(REPO)
        namespace: dict[str, object] = {}
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                exec(compile(source, f"{NOTEBOOK.name}[{cell['id']}]", "exec"), namespace)
        result = namespace["result"]
        assert not result.passed  # type: ignore[attr-defined]
        assert "<table>" in result._repr_html_()  # type: ignore[attr-defined]
    finally:
        os.chdir(cwd)
