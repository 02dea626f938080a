"""Re-execute the book's notebooks in place, top to bottom, each in a fresh kernel.

The files it writes are byte-stable: running it twice without changing the
package or a notebook gives identical files. To get there it records no
timing metadata, numbers cells deterministically, and keeps only
version-independent notebook metadata.

Before running a notebook it makes its first cell the Colab cell
(``colab_cell_source``): hidden in the rendered book (tag ``remove-cell``), it
does nothing and prints nothing except on Google Colab, where it clones the
repository named in _config.yml, installs the package and changes into
``book/`` so that the chapter runs there as it does locally. The cell is
inserted if missing and rewritten if outdated; never edit it by hand.

Usage::

    python scripts/execute_notebooks.py            # every notebook in _toc.yml
    python scripts/execute_notebooks.py book/03_step2_predict.ipynb
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
COLAB_TAG = "remove-cell"  # Jupyter Book 1.x: the cell is left out of the rendered page
COLAB_FIRST_LINE = "# On Google Colab: get this book's repository and its package. Elsewhere: nothing."


def colab_cell_source(config_path: Path = ROOT / "_config.yml") -> str:
    """The first cell of every chapter, built from `repository` in _config.yml.

    On Colab a notebook arrives alone: the cell clones the repository (the chapters read files
    from it, e.g. ../tests/data/filip.txt), installs the package with what the chapters import,
    and changes into book/. Elsewhere `import google.colab` fails and the cell does nothing.
    """
    repository = yaml.safe_load(config_path.read_text())["repository"]
    url, branch = repository["url"].rstrip("/"), repository.get("branch", "main")
    clone = "/content/" + url.removesuffix(".git").rsplit("/", 1)[-1]
    # formatted as `ruff format --line-length 68` formats the chapters' code (make lint checks it)
    return f"""{COLAB_FIRST_LINE}
try:
    import google.colab
except ImportError:
    pass
else:
    import os
    import subprocess
    import sys

    repository = {json.dumps(url)}
    branch = {json.dumps(branch)}
    clone = {json.dumps(clone)}
    if not os.path.isdir(clone):
        git = ["git", "clone", "--depth=1", "--branch", branch]
        subprocess.run([*git, repository, clone], check=True)
    extras = ["matplotlib", "statsmodels", "mpmath"]
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, clone + "[dask]", *extras], check=True)
    os.chdir(clone + "/book")"""


def ensure_colab_cell(nb: nbformat.NotebookNode, source: str | None = None) -> bool:
    """Make the notebook's first cell the current Colab cell; True if the notebook changed."""
    source = colab_cell_source() if source is None else source
    first = nb.cells[0] if nb.cells else None
    is_colab_cell = (
        first is not None and first.cell_type == "code" and first.source.startswith(COLAB_FIRST_LINE)
    )
    if is_colab_cell and first.source == source and first.metadata.get("tags") == [COLAB_TAG]:
        return False
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [COLAB_TAG]})
    if is_colab_cell:
        nb.cells[0] = cell
    else:
        nb.cells.insert(0, cell)
    return True


def toc_notebooks() -> list[Path]:
    """The notebooks listed in _toc.yml, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def normalize(nb: nbformat.NotebookNode, stem: str) -> None:
    """Make metadata and cell ids independent of the machine and of the run."""
    nb.metadata = nbformat.NotebookNode(
        kernelspec=KERNELSPEC,
        language_info={"name": "python", "pygments_lexer": "ipython3"},
    )
    slug = re.sub(r"[^A-Za-z0-9-]", "-", stem)[:40]
    for i, cell in enumerate(nb.cells):
        cell.id = f"{slug}-{i:03d}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
            for out in cell.outputs:
                out.get("metadata", {}).pop("execution", None)


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout (or stderr) chunks: how a kernel splits a stream depends on timing."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and out.output_type == "stream"
            and prev.output_type == "stream"
            and prev.name == out.name
        ):
            prev.text += out.text
        else:
            merged.append(out)
    return merged


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    ensure_colab_cell(nb)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    seconds = time.perf_counter() - start
    normalize(nb, path.stem)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for out in cell.outputs:
                if out.output_type == "stream" and out.name == "stderr":
                    sys.exit(f"{path.name}: a cell wrote to stderr:\n{out.text}")
                if out.output_type == "error":  # e.g. raised while a figure was rendered
                    sys.exit(f"{path.name}: a cell raised {out.ename}: {out.evalue}")
    if nb.cells[0].outputs:
        sys.exit(f"{path.name}: the Colab cell printed something outside Colab: {nb.cells[0].outputs}")
    text = nbformat.writes(nb) + "\n"
    path.write_text(text, encoding="utf-8")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: all in _toc.yml)")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    for path in paths:
        seconds = execute(path)
        print(f"{path.relative_to(ROOT)}: executed in {seconds:.1f} s")


if __name__ == "__main__":
    main()
