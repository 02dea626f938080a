#!/usr/bin/env bash
# Do the tests pass on machines other than this one? (`make portability`; CONTRIBUTING.md)
#
# Floating-point results differ in their last bits between machines: OpenBLAS picks a kernel for
# the CPU family, numpy has separate SIMD loops for exp and log with and without AVX-512, the number
# of threads changes the order of sums, macOS uses Accelerate. A stored notebook output or a test
# floor that sits on a rounding edge passes here and fails on a reader's laptop. This script runs
# the unit tests and strict nbval under every OpenBLAS kernel this x86-64 CPU can execute, with one
# BLAS thread, and with numpy's AVX-512 loops off (as on an AVX2 laptop), one line per
# configuration. Kernels whose instructions this CPU lacks are skipped, and the line says so: run
# it on another kind of machine too when you can. It is a maintainer's check, not part of
# `make test` or CI, whose environment variables (OPENBLAS_CORETYPE, ...) must never be set there.
#
#   scripts/portability_check.sh             # every configuration, unit tests and nbval
#   scripts/portability_check.sh unit        # unit tests only (faster); `nbval` for the notebooks
#   KERNELS="SkylakeX Nehalem" scripts/portability_check.sh
set -u
cd "$(dirname "$0")/.." || exit 2
what=${1:-all}
py=${PY:-.venv/bin/python}
[ -x "$py" ] || { echo "no $py: run 'make env' first (or set PY=path/to/python)"; exit 2; }
kernels=${KERNELS:-"default SkylakeX Haswell Sandybridge Nehalem Prescott"}
limit=${RUN_LIMIT:-1200}  # seconds for one pytest run: a hung run fails instead of hanging
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "

can_run() {  # a kernel needs its instructions: forcing SkylakeX without AVX-512 dies with SIGILL
  case $1 in
    default|Prescott|Nehalem) return 0 ;;
    Sandybridge) [[ $flags == *" avx "* ]] ;;
    Haswell|Zen) [[ $flags == *" avx2 "* && $flags == *" fma "* ]] ;;
    SkylakeX|Cooperlake|SapphireRapids) [[ $flags == *" avx512f "* && $flags == *" avx512bw "* && $flags == *" avx512vl "* ]] ;;
    *) return 0 ;;
  esac
}

nbval_args=$(sed -n 's/^NBVAL *:= *//p' Makefile)
status=0
configuration() {  # label, then environment assignments
  local label=$1; shift
  local log result=""
  log=$(mktemp)
  if [ "$what" = all ] || [ "$what" = unit ]; then
    timeout -k 10 "$limit" env "$@" "$py" -m pytest -q -p no:cacheprovider -x --ignore=tests/browser \
      -W error::RuntimeWarning mle_tutorial tests >"$log" 2>&1
    [ $? -ge 124 ] && echo "1 error: timed out after $limit s" >>"$log"
    result="unit: $(grep -E '(passed|failed|error)' "$log" | tail -1)"
    grep -q -E '[0-9]+ (failed|error)' "$log" && { status=1; result="$result [$(grep -m1 -E '^(FAILED|ERROR)' "$log" | cut -c1-150)]"; }
  fi
  if [ "$what" = all ] || [ "$what" = nbval ]; then
    # shellcheck disable=SC2086
    timeout -k 10 "$limit" env "$@" "$py" -m pytest -q $nbval_args book >"$log" 2>&1
    [ $? -ge 124 ] && echo "1 error: timed out after $limit s" >>"$log"
    result="$result | nbval: $(grep -E '(passed|failed|error)' "$log" | tail -1)"
    grep -q -E '[0-9]+ (failed|error)' "$log" && { status=1; result="$result [$(grep -E '^FAILED' "$log" | cut -d' ' -f2 | tr '\n' ' ' | cut -c1-200)]"; }
  fi
  printf '%-30s %s\n' "$label" "$result"
  rm -f "$log"
}

for k in $kernels; do
  if ! can_run "$k"; then printf '%-30s %s\n' "OPENBLAS_CORETYPE=$k" "skipped: this CPU lacks its instructions"; continue; fi
  if [ "$k" = default ]; then configuration "default" MLE_PORTABILITY=1; else configuration "OPENBLAS_CORETYPE=$k" OPENBLAS_CORETYPE="$k"; fi
done
configuration "one BLAS thread" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
avx512=$("$py" -c "
try:
    from numpy._core._multiarray_umath import __cpu_features__ as f, __cpu_dispatch__ as d
except ImportError:
    from numpy.core._multiarray_umath import __cpu_features__ as f, __cpu_dispatch__ as d
print(' '.join(k for k in d if f.get(k) and (k.startswith('AVX512') or k == 'X86_V4')))" 2>/dev/null)
if [ -n "$avx512" ] && can_run Haswell; then
  configuration "AVX2 laptop" OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="$avx512"
else
  echo "AVX2 laptop                    (numpy uses no AVX-512 loops on this CPU: the default run is that case)"
fi
[ $status = 0 ] && echo "portable: every configuration passed" || echo "NOT PORTABLE: see the failing configurations above"
exit $status
