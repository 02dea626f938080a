"""The book and the code never drift apart.

Strict nbval (``make nbval``) re-runs every notebook and compares every stored output.
These tests check what nbval does not: that the notebooks are the ones in _toc.yml, were
executed top to bottom with outputs stored and nothing on stderr, import the package, and
that nbval really fails when the package changes what a reader sees.
"""

import json
import os
import shutil
import subprocess
import sys
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


def test_toc_lists_exactly_the_notebooks():
    listed = {f"{f}.ipynb" for f in toc_files()}
    present = {str(p.relative_to(ROOT)) for p in NOTEBOOKS}
    assert listed == present
    assert len(listed) >= 10


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
    if path.stem not in {"00_introduction", "api", "glossary", "references"}:  # reference pages
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
