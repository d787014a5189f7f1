#!/usr/bin/env bash
# Linear layer forward + backward: qaudio (oneDNN through the tape) vs a bare oneDNN matmul vs the
# PyTorch twin, same shapes, same run. Prints qaudio/torch ratios. Uses Debian's python3 (the
# python3-torch package), not whatever python3 comes first on PATH.
set -euo pipefail
BUILD=${BUILD:-build}
PY=/usr/bin/python3
shapes="1500 384 1536 1500 1280 5120 2048 512 2048"
ours=$("$BUILD/bench/bench_linear" $shapes)
echo "$ours"
if ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "SKIP torch twin: python3-torch not importable by $PY (make deps-bench installs it)"
  exit 0
fi
theirs=$(OPENBLAS_CORETYPE=SkylakeX "$PY" bench/bench_linear.py $shapes)
echo "$theirs"
paste <(echo "$ours") <(echo "$theirs") | awk '{
  for (i = 1; i <= NF; i++) if ($i == "fwd+bwd") { if (!a) a = $(i + 1); else b = $(i + 1) }
  printf "ratio qaudio/torch %s %s %s %.2f\n", $2, $3, $4, a / b; a = 0; b = 0 }'
