#!/usr/bin/env bash
# Does the Binder launch button work? Build the environment the way Binder (repo2docker) builds
# it, without Docker, and use it as a reader would. Not part of `make test` (it installs the
# whole pinned environment from the package registry into a fresh venv: a few minutes).
#
#   scripts/check_binder.sh            # or: make binder-check
#
# What repo2docker does for this repository, and so what this script does, in a temp folder:
#  1. takes the repository as committed (here: `git archive HEAD`; commit your changes first);
#  2. makes an environment with the Python of binder/runtime.txt (repo2docker: conda) holding
#     Binder's own Jupyter server and JupyterLab;
#  3. from the repository root: pip install --no-cache-dir -r binder/requirements.txt
#  4. from the repository root: chmod +x binder/postBuild && ./binder/postBuild
# then checks that pip finds no conflicts, that `import mle_tutorial` works from outside the
# repository (the installed package, not the source folder), and runs two chapters under strict
# nbval in that environment, each in a kernel started in book/ as Binder's JupyterLab starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^python-//p' binder/runtime.txt)
python=${PYTHON:-python$version}
command -v "$python" >/dev/null || { echo "no $python (binder/runtime.txt asks for Python $version): set PYTHON="; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/binder-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "1. the repository at $(git rev-parse --short HEAD) -> $work/repo"
mkdir "$work/repo"
git archive --format=tar HEAD | tar -xf - -C "$work/repo"

echo "2. a fresh environment with $("$python" --version) and Binder's Jupyter (JupyterLab 4, Notebook 7)"
"$python" -m venv "$work/env"
export PATH="$work/env/bin:$PATH"   # as in the image: the environment's bin comes first
python -m pip install --quiet --upgrade pip
python -m pip install --quiet --no-cache-dir "jupyterlab==4.*" "notebook==7.*" "jupyter_server==2.*" "ipywidgets==8.*"

cd "$work/repo"
echo "3. pip install --no-cache-dir -r binder/requirements.txt"
pip install --quiet --no-cache-dir -r "binder/requirements.txt"
echo "4. ./binder/postBuild"
chmod +x binder/postBuild
./binder/postBuild

echo "5. checks"
pip check
cd "$work"
python -c '
import numpy as np
import mle_tutorial as mle
X, y = mle.simulate_linear(1000, [0.5, 1.0, 2.0, 3.0], 0.5, seed=408)
fit = mle.fit_linear(X, y)
print("   import mle_tutorial", mle.__version__, "from", mle.__file__)
print("   fit_linear on the running example: beta =", np.round(fit.beta, 2), " sigma =", round(fit.sigma, 2))
assert "site-packages" in mle.__file__, "mle_tutorial was not installed"
'
cd "$work/repo"
pytest -q -p no:cacheprovider --nbval --nbval-current-env book/03_step2_predict.ipynb book/30_performance.ipynb
echo "Binder's environment works: the package imports and the chapters reproduce their stored outputs"
