"""Rename the chapters' notebooks so that their files sort in the order _toc.yml reads them.

A numbered chapter's file is ``NN_slug.ipynb`` with NN its place among the numbered chapters of
``_toc.yml`` (``tests/test_notebooks.py`` checks it). After inserting a chapter into _toc.yml
under any name (say ``book/overdispersion``), run

    python scripts/renumber_chapters.py          # show what would move
    python scripts/renumber_chapters.py --apply  # git mv, and rewrite every reference

which renames each file whose number is not its place (``git mv``), rewrites every reference to
the old names ({doc} links in the notebooks and _toc.yml, and the tests, scripts and Makefile that
name a chapter's file), and renumbers the moved notebooks' cell ids the way ``make notebooks``
does. Outputs are not touched: re-run ``make notebooks`` only if a chapter prints its own name.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from execute_notebooks import normalize  # noqa: E402

#: Files besides the notebooks that may name a chapter's file.
OTHERS = ["_toc.yml", "Makefile", "README.md", "CONTRIBUTING.md", "tests", "scripts", "benchmarks"]


def numbered_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [Path(ch["file"]).name for part in toc["parts"] if part.get("numbered") for ch in part["chapters"]]


def plan() -> dict[str, str]:
    """Old stem -> new stem for every numbered chapter whose file is not at its place."""
    moves = {}
    for place, stem in enumerate(numbered_chapters(), start=1):
        slug = re.sub(r"^\d+[a-z]?_", "", stem)
        new = f"{place:02d}_{slug}"
        if new != stem:
            moves[stem] = new
    return moves


def rewrite(path: Path, pattern: re.Pattern, moves: dict[str, str]) -> bool:
    text = path.read_text(encoding="utf-8")
    new = pattern.sub(lambda m: moves[next(g for g in m.groups() if g)], text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--apply", action="store_true", help="rename and rewrite (default: only show)")
    args = parser.parse_args()
    moves = plan()
    for old, new in moves.items():
        print(f"book/{old}.ipynb -> book/{new}.ipynb")
    if not moves or not args.apply:
        return

    # two steps, through temporary names, so that a chain of moves (15 -> 16 -> 17) never collides
    def git_mv(a: str, b: str) -> None:
        subprocess.run(["git", "mv", f"book/{a}.ipynb", f"book/{b}.ipynb"], cwd=ROOT, check=True)

    for old in moves:
        git_mv(old, f"{old}.renumbering")
    for old, new in moves.items():
        git_mv(f"{old}.renumbering", new)
    # a numbered stem (15_student_t) is a file's name wherever it stands; an unnumbered one (a new
    # chapter's slug, such as "overdispersion" or "glmm") is also a word, a label or a module's name,
    # so it is rewritten only where it names the file: {doc}`slug`, {doc}`text <slug>`, book/slug
    # and "slug" (a test's parameter)
    numbered = sorted((m for m in moves if re.match(r"\d", m)), key=len, reverse=True)
    slugs = sorted((m for m in moves if not re.match(r"\d", m)), key=len, reverse=True)
    alternatives = []
    if numbered:
        alternatives.append(r"\b(" + "|".join(map(re.escape, numbered)) + r")\b")
    if slugs:
        names = "|".join(map(re.escape, slugs))
        before, after = r"(?:(?<=\{doc\}`)|(?<=<)|(?<=book/)|(?<=\"))", r"(?=`|>|\.ipynb|\"|\s*$)"
        alternatives.append(before + "(" + names + ")" + after)
    pattern = re.compile("|".join(alternatives), re.M)
    paths = sorted((ROOT / "book").glob("*.ipynb"))
    for other in OTHERS:
        target = ROOT / other
        suffixes = {".py", ".sh", ".yml", ".md", ""}
        paths += sorted(p for p in target.rglob("*") if p.is_file() and p.suffix in suffixes)
        if target.is_file():
            paths.append(target)
    own = Path(__file__).name
    changed = [p for p in dict.fromkeys(paths) if p.name != own and rewrite(p, pattern, moves)]
    for new in moves.values():
        path = ROOT / "book" / f"{new}.ipynb"
        nb = nbformat.read(path, as_version=4)
        normalize(nb, new)
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    print(f"rewrote references in {len(changed)} file(s)")


if __name__ == "__main__":
    main()
