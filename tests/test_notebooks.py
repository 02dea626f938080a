"""The book and the code never drift apart.

Strict nbval (``make nbval``) re-runs every notebook and compares every stored output.
These tests check what nbval does not: that the notebooks are the ones in _toc.yml, were
executed top to bottom with outputs stored and nothing on stderr, import the package, start
with the Colab cell (and that cell does its job on Colab and nothing elsewhere), and that nbval
really fails when the package changes what a reader sees.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))


def _load_execute_notebooks():
    path = ROOT / "scripts" / "execute_notebooks.py"
    spec = importlib.util.spec_from_file_location("execute_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXECUTE_NOTEBOOKS = _load_execute_notebooks()
COLAB_CELL = EXECUTE_NOTEBOOKS.colab_cell_source()


def test_toc_lists_exactly_the_notebooks():
    listed = {f"{f}.ipynb" for f in toc_files()}
    present = {str(p.relative_to(ROOT)) for p in NOTEBOOKS}
    assert listed == present
    assert len(listed) >= 10


def test_chapter_files_sort_in_reading_order():
    """A reader who opens book/ finds the numbered chapters in the order the book reads them:
    their file names sort as _toc.yml lists them, and each starts with its two-digit place."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbered = [
        Path(chapter["file"]).name
        for part in toc["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
    ]
    assert numbered == sorted(numbered)
    for place, name in enumerate(numbered, start=1):
        assert name.startswith(f"{place:02d}_"), f"{name} is chapter {place} in _toc.yml"


def test_bad_input_appendix_drives_every_public_function():
    """The bad-input appendix's table has a case for each public function that takes input."""
    import inspect

    import mle_tutorial as mle

    notebook = json.loads((BOOK / "31_bad_input.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    functions = [n for n in mle.__all__ if inspect.isfunction(getattr(mle, n)) and n != "list_datasets"]
    missing = [n for n in functions if f'"{n}",' not in text]
    assert not missing, f"add cases for {missing} to book/31_bad_input.ipynb"


def test_introduction_table_lists_every_chapter_in_toc_order():
    """The introduction's table of chapters links each numbered chapter of _toc.yml, in its order,
    with the part it belongs to (so that adding a chapter or a part cannot leave it stale)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    expected = [
        (part["caption"], Path(chapter["file"]).name)
        for part in toc["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
    ]
    intro = json.loads((BOOK / "00_introduction.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in intro["cells"] if c["cell_type"] == "markdown")
    rows, part = [], None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("{doc}`"):
            part = cells[0] or part
            rows.append((part, cells[1][len("{doc}`") : -1]))
    assert rows == expected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_executed_clean_and_uses_the_package(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "no code cells"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "not executed top to bottom in one fresh kernel"
    for cell in code:
        assert "".join(cell["source"]).strip(), "empty code cell"
        for out in cell["outputs"]:
            assert out["output_type"] != "error", "".join(cell["source"])
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), out["text"]
            assert "execution" not in out.get("metadata", {})
        assert "execution" not in cell["metadata"], "timing metadata stored"
    assert any(c["outputs"] for c in code), "no outputs stored"
    assert "import mle_tutorial" in "".join("".join(c["source"]) for c in code)
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert sum(line.startswith("# ") for line in text.splitlines()) == 1, "one H1 title per chapter"
    if path.stem not in {"00_introduction", "notation", "api", "glossary", "references"}:  # reference pages
        for heading in ("## What you will learn", "## Exercises", "## Solutions"):
            assert heading in text, f"missing {heading!r}"


def test_nbval_fails_when_predict_changes_by_a_tenth_of_a_percent(tmp_path):
    """A 0.1 % change to a step function must fail the notebook tests until they are re-run."""
    patched = tmp_path / "mle_tutorial"
    shutil.copytree(ROOT / "mle_tutorial", patched, ignore=shutil.ignore_patterns("__pycache__"))
    source = patched / "predict.py"
    text = source.read_text()
    assert text.count("    return X @ beta\n") == 1
    source.write_text(text.replace("    return X @ beta\n", "    return 1.001 * (X @ beta)\n"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    notebook = BOOK / "03_step2_predict.ipynb"
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
               "-q", "--rootdir", str(tmp_path), str(notebook)]  # fmt: skip
    run = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "mismatch" in run.stdout.lower() or "differ" in run.stdout.lower(), run.stdout[-3000:]
    # and the unpatched package passes the same notebook
    clean = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert clean.returncode == 0, clean.stdout[-3000:]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_first_cell_is_the_current_colab_cell(path):
    first = json.loads(path.read_text())["cells"][0]
    hint = "run `make notebooks`: scripts/execute_notebooks.py inserts and refreshes the Colab cell"
    assert first["cell_type"] == "code", hint
    assert "".join(first["source"]) == COLAB_CELL, hint
    assert first["metadata"].get("tags") == ["remove-cell"], "the Colab cell must be hidden in the book"
    assert first["outputs"] == [], "the Colab cell must print nothing outside Colab"


def test_colab_cell_clones_the_repository_named_in_config():
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    assert f'repository = "{repository["url"].rstrip("/")}"' in COLAB_CELL
    assert f'branch = "{repository["branch"]}"' in COLAB_CELL
    compile(COLAB_CELL, "<colab cell>", "exec")


def _run_colab_cell(monkeypatch, *, on_colab, cloned=False):
    """Execute the Colab cell with subprocess.run and os.chdir recorded instead of run."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(("run", command, kwargs)))
    monkeypatch.setattr(os, "chdir", lambda path: calls.append(("chdir", path)))
    isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: cloned if str(p).startswith("/content/") else isdir(p))
    if on_colab:
        google, colab = types.ModuleType("google"), types.ModuleType("google.colab")
        google.colab = colab
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab)
    else:
        monkeypatch.setitem(sys.modules, "google.colab", None)  # not importable, even if `google` is
    exec(compile(COLAB_CELL, "<colab cell>", "exec"), {})
    return calls


def test_colab_cell_does_nothing_and_prints_nothing_off_colab(monkeypatch, capfd):
    assert _run_colab_cell(monkeypatch, on_colab=False) == []
    assert capfd.readouterr() == ("", "")


def test_colab_cell_on_colab_clones_installs_and_enters_book(monkeypatch):
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    url = repository["url"].rstrip("/")
    calls = _run_colab_cell(monkeypatch, on_colab=True)
    assert [c[0] for c in calls] == ["run", "run", "chdir"]
    clone_command, pip_command = calls[0][1], calls[1][1]
    clone = clone_command[-1]
    assert clone_command == ["git", "clone", "--depth=1", "--branch", repository["branch"], url, clone]
    assert pip_command[:4] == [sys.executable, "-m", "pip", "install"]
    assert f"{clone}[dask]" in pip_command
    assert calls[0][2] == calls[1][2] == {"check": True}
    assert calls[2][1] == f"{clone}/book"  # the chapters read ../tests/data, ../benchmarks/results
    # run again in the same Colab session: no second clone
    again = _run_colab_cell(monkeypatch, on_colab=True, cloned=True)
    assert [c[0] for c in again] == ["run", "chdir"]


def test_ensure_colab_cell_inserts_once_and_refreshes_an_outdated_cell():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    assert EXECUTE_NOTEBOOKS.ensure_colab_cell(nb) is True
    assert EXECUTE_NOTEBOOKS.ensure_colab_cell(nb) is False
    assert [c.cell_type for c in nb.cells] == ["code", "markdown"]
    assert nb.cells[0].source == COLAB_CELL and nb.cells[0].metadata.tags == ["remove-cell"]
    nb.cells[0].source = COLAB_CELL.replace("mle-tutorial", "old-name")  # an outdated Colab cell
    assert EXECUTE_NOTEBOOKS.ensure_colab_cell(nb) is True
    assert [c.cell_type for c in nb.cells] == ["code", "markdown"]
    assert nb.cells[0].source == COLAB_CELL


def test_api_page_documents_every_public_name():
    """book/api.ipynb lists each name in mle_tutorial.__all__ with an autodoc directive."""
    import mle_tutorial as mle

    text = "".join("".join(c["source"]) for c in json.loads((BOOK / "api.ipynb").read_text())["cells"])
    missing = [name for name in mle.__all__ if f":: mle_tutorial.{name}\n" not in text + "\n"]
    assert not missing, f"add autodoc entries for {missing} to book/api.ipynb"
