"""The analyst notebooks: stored without outputs, and they run on the bundled data in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
BUDGET_SECONDS = 90  # all three together


def test_the_three_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_explore_data.ipynb", "02_train_and_evaluate.ipynb",
                                           "03_corrections.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs"


def test_the_default_kernel_is_this_python():
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.argv[0]).name.startswith("python")


def test_notebooks_run_in_bounded_time():
    started = time.monotonic()
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=60, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_SECONDS, f"notebooks took {elapsed:.0f} s"
