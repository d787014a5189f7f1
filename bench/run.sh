#!/usr/bin/env bash
# make bench: runs every bench/bench_*.sh (or only those matching $BENCH), each of which runs a
# qaudio benchmark binary and its PyTorch twin in the same run and prints the ratio.
# Figures are copied by hand into docs/benchmarks.md with the machine they came from.
set -euo pipefail
BUILD=${1:-build}
export BUILD QAUDIO=$BUILD/qaudio OPENBLAS_CORETYPE=SkylakeX
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for b in bench/bench_*.sh; do
  [ -e "$b" ] || continue
  case $b in *"${BENCH:-}"*) ;; *) continue ;; esac
  echo "== $b"; bash "$b"
done
