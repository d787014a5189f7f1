#!/usr/bin/env bash
# make bench: runs every bench/bench_*.sh (or only those matching $BENCH), each of which runs a
# qaudio benchmark binary and its PyTorch twin in the same run and prints the ratio.
# Figures are copied by hand into docs/benchmarks.md with the machine they came from.
set -euo pipefail
BUILD=${1:-build}
# Debian's python3 has python3-torch; a python3 earlier on PATH (pyenv) may not.
export BUILD QAUDIO=$BUILD/qaudio OPENBLAS_CORETYPE=SkylakeX PYTHON=${PYTHON:-/usr/bin/python3}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for b in bench/bench_*.sh; do
  [ -e "$b" ] || continue
  case $b in *"${BENCH:-}"*) ;; *) continue ;; esac
  echo "== $b"; bash "$b"
done
